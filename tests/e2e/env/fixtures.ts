/**
 * The two simulated K3s nodes of the scenarios, built from the shared node fixtures
 * (tests/helpers/k3sfixtures.ts): a release before the October 2024 CNI bin dir gate
 * (v1.30.5+k3s1: containerd's `bin_dir` is `data/<hash>/bin`, detected as `data/current/bin`) and
 * one after it (v1.30.6+k3s1: `data/cni`). Flannel is on in both; the CNI dirs hold flannel's and
 * K3s's own files and a few look-alikes that the clean-up must leave alone.
 */
import { Entry } from "../../helpers/simnode";
import {
  cniFiles,
  containerdV2,
  ctrdConfig,
  DEFAULT_DATA_DIR as DD,
  HASH,
  k3sFiles,
} from "../../helpers/k3sfixtures";

export const CONF_DIR = `${DD}/agent/etc/cni/net.d`;

export interface Release {
  readonly tag: string;
  /** The bin dir the component must pick for it. */
  readonly binDir: string;
  /** The bin dir containerd's generated config names. */
  readonly containerdBinDir: string;
}

export const BEFORE_GATE: Release = {
  tag: "v1.30.5+k3s1",
  binDir: `${DD}/data/current/bin`,
  containerdBinDir: `${DD}/data/${HASH}/bin`,
};

export const AFTER_GATE: Release = {
  tag: "v1.30.6+k3s1",
  binDir: `${DD}/data/cni`,
  containerdBinDir: `${DD}/data/cni`,
};

/** A node's files for `release`: K3s, containerd's config and what flannel and K3s keep in the CNI dirs. */
export function nodeFiles(release: Release): Record<string, Entry> {
  const { keep } = cniFiles(release.binDir, CONF_DIR);
  return {
    ...k3sFiles(release.tag),
    [ctrdConfig(DD)]: {
      content: containerdV2({ binDir: release.containerdBinDir, confDir: CONF_DIR }),
      mode: 0o600,
    },
    ...keep,
  };
}

/** What the rke2-multus DaemonSet writes on a node (thin mode, whereabouts on), by path. */
export function chartFiles(release: Release): Record<string, Entry> {
  return cniFiles(release.binDir, CONF_DIR).chart;
}

/**
 * A shell command (run as root over SSH) that writes `files` the way the DaemonSet's containers
 * would: the tests play the DaemonSet, since no kubelet runs. Directories are created as needed.
 */
export function writeFilesCommand(files: Record<string, Entry>): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const lines = ["set -e"];
  for (const [p, entry] of Object.entries(files)) {
    if (typeof entry === "object" && ("symlink" in entry || "dir" in entry)) {
      throw new Error(`writeFilesCommand: only files are supported (${p})`);
    }
    const content = typeof entry === "string" ? entry : entry.content;
    const mode = typeof entry === "string" ? 0o644 : (entry.mode ?? 0o644);
    lines.push(
      `mkdir -p ${q(p.slice(0, p.lastIndexOf("/")))}`,
      `printf '%s' ${q(content)} > ${q(p)}`,
      `chmod ${mode.toString(8)} ${q(p)}`,
    );
  }
  return lines.join("\n");
}
