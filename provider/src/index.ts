/**
 * k3s-multus: Multus CNI on K3s as a Pulumi component, and the pure planning API behind it.
 */
export { Multus, MULTUS_TYPE } from "./multus";
export * from "./args";
export * from "./networkArgs";
export { MultusError } from "./errors";
export { ReleaseStatus } from "./releaseStatus";
export { parseK3sVersion, tryParseK3sVersion, compareK3sVersions, K3sVersion } from "./plan/version";
export {
  nodeLayout,
  clusterLayout,
  pinnedLayout,
  usesFixedCniBinDir,
  CniLayout,
  NodeFacts,
} from "./plan/layout";
export {
  DEFAULT_CHART_VERSION,
  DEFAULT_CHART_REPOSITORY,
  parseChartVersion,
  planCharts,
  computeValues,
} from "./plan/chart";
export { validateInputs, planFor, MultusPlan, ValidatedInputs, PlanArgs } from "./plan/plan";
export { NETWORKS_ANNOTATION, parseNetworks, renderNetwork, podAnnotationValue } from "./plan/networks";
export { stableJson, stableYaml } from "./plan/stable";
