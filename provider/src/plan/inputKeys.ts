/**
 * The component's top-level inputs (MultusArgs) and the one check that refuses any other key: the
 * Multus component and `k3s-multus render` both call {@link refuseUnknownInputs}, so a misspelt
 * input (`cleanupOnDestory`, `kubeConfig`) fails the same way in both, with "did you mean".
 */
import { HIDDEN } from "./placeholders";
import { MultusError } from "../errors";
import { didYouMean } from "./suggest";

/**
 * The keys of the component's inputs (MultusArgs), which an inputs file may hold. args.ts checks
 * them against the interface at compile time, both ways (the planning core may not import it).
 */
export const INPUT_KEYS = [
  "nodes",
  "k3sVersion",
  "k3sDataDir",
  "cniBinDir",
  "cniConfDir",
  "ipam",
  "networks",
  "allowOverlappingRanges",
  "chart",
  "cleanupOnDestroy",
  "redetect",
  "kubeconfig",
] as const;

/** Refuses a top-level key that is not an input, never echoing its value. */
export function refuseUnknownInputs(args: Record<string, unknown>): void {
  for (const key of Object.keys(args)) {
    if (!(INPUT_KEYS as readonly string[]).includes(key) && args[key] !== undefined) {
      throw new MultusError(
        key,
        HIDDEN,
        `expected only the keys ${INPUT_KEYS.join(", ")}${didYouMean(key, INPUT_KEYS)}`,
        "is not a known input",
      );
    }
  }
}
