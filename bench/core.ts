/**
 * The parts of the compiled provider (provider/bin) the benchmark's hand-written programs use: the
 * component itself, the planning core and the node-script builders. Kept in one file so that a
 * move inside provider/src changes one import list here, not the programs.
 */
export { Multus, MULTUS_TYPE } from "../provider/bin/multus";
export { clusterLayout, nodeLayout, planFor, validateInputs } from "../provider/bin/index";
export type { CniLayout, MultusPlan, ValidatedInputs } from "../provider/bin/index";
export { parseDetection } from "../provider/bin/plan/detection";
export { claimCommand, cleanupCommand, detectCommand, ownerId } from "../provider/bin/node/scripts";
export type { NodeCommand } from "../provider/bin/node/scripts";
