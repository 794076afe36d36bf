/**
 * Restarting the DaemonSets after a K3s upgrade. Before the October 2024 gate K3s keeps the CNI
 * plugins in `data/current/bin`, a symlink into `data/<hash>/bin` that moves on every upgrade: after
 * one, the multus and whereabouts binaries (and the reference plugins) are gone until their
 * DaemonSets restart and copy them again (multus-cni #927). The component then puts the detected K3s
 * versions into the release values where the chart turns them into pod-template changes:
 * - Multus: `config.cni_conf.k3sVersions`. The chart renders `config.cni_conf` into its ConfigMap
 *   and the DaemonSet's `checksum/config` annotation hashes that ConfigMap (so `manifests.configMap`
 *   must be on; it is by default from v4.2.103). Multus itself never reads the key: with
 *   `multusConfFile: auto` the entrypoint ignores the mounted ConfigMap.
 * - Whereabouts: the subchart's `podAnnotations`.
 * The values change when the set of detected versions changes, and only then; on K3s with a fixed
 * bin dir (`data/cni`, or `/opt/cni/bin` without flannel) nothing is added, so upgrades do not
 * restart Multus needlessly.
 */
import { MOVING_BIN_DIR } from "./chartGates";
import { CniLayout } from "./layout";

/** The pod annotation on the Whereabouts DaemonSet carrying the versions. */
export const ROLLOUT_ANNOTATION = "k3s-multus/k3s-versions";

/**
 * The distinct K3s versions, sorted and comma-separated, when this layout's bin dir moves on K3s
 * upgrades; undefined otherwise (or when no version is known).
 */
export function rolloutKey(layout: CniLayout, k3sVersions: readonly string[]): string | undefined {
  if (!MOVING_BIN_DIR.test(layout.binDir) || k3sVersions.length === 0) return undefined;
  return [...new Set(k3sVersions)].sort().join(",");
}
