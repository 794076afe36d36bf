/**
 * Where a node's CNI binaries and configs live: from its K3s version (the October 2024 bin dir gate),
 * data dir and flannel state, with explicit overrides; one layout the whole cluster agrees on.
 */
import { MultusError } from "../errors";
import { parseSafePath } from "./paths";
import { K3sVersion } from "./version";

/** The default K3s data dir of a root install. */
export const DEFAULT_DATA_DIR = "/var/lib/rancher/k3s";
/** containerd's own CNI defaults, which apply when K3s runs without flannel. */
export const CONTAINERD_DEFAULT_BIN_DIR = "/opt/cni/bin";
export const CONTAINERD_DEFAULT_CONF_DIR = "/etc/cni/net.d";

/** First release of each minor line that reads CNI plugins from the fixed `$DATA_DIR/data/cni` (k3s PR #10868). */
const FIXED_BIN_DIR_SINCE: Readonly<Partial<Record<number, number>>> = { 28: 15, 29: 10, 30: 6, 31: 2 };

/** What is known of one node's K3s (from detection or pinned by the user). */
export interface NodeFacts {
  /** The node's name as the user knows it (its SSH host), for error messages. */
  readonly host: string;
  readonly version: K3sVersion;
  readonly dataDir: string;
  readonly flannel: boolean;
  /** The bin dir containerd's generated config names, when it names one. */
  readonly binDir?: string;
  /** The conf dir containerd's generated config names, when it names one. */
  readonly confDir?: string;
}

/** Where CNI binaries and configs live, and the files Multus and Whereabouts are told about. */
export interface CniLayout {
  readonly binDir: string;
  readonly confDir: string;
  /** `<confDir>/multus.d/multus.kubeconfig`, written by the Multus entrypoint. */
  readonly multusKubeconfig: string;
  /** `<confDir>/whereabouts.d/whereabouts.conf`, the `configuration_path` whereabouts needs on K3s. */
  readonly whereaboutsConfig: string;
}

/** Explicit directories that override everything else. */
export interface LayoutOverrides {
  readonly cniBinDir?: string;
  readonly cniConfDir?: string;
}

/**
 * True when this K3s looks for CNI plugins in the fixed `$DATA_DIR/data/cni`: from v1.28.15+k3s1,
 * v1.29.10+k3s1, v1.30.6+k3s1, v1.31.2+k3s1 and every 1.32+. Release candidates of a gated patch
 * release count as gated (they are cut from the branch that carries the change).
 */
export function usesFixedCniBinDir(v: K3sVersion): boolean {
  if (v.major !== 1) return v.major > 1;
  if (v.minor >= 32) return true;
  const since = FIXED_BIN_DIR_SINCE[v.minor];
  return since !== undefined && v.patch >= since;
}

/** The layout for a bin dir and a conf dir: the Multus kubeconfig and whereabouts config live under the conf dir. */
export function fromConfDir(binDir: string, confDir: string): CniLayout {
  return {
    binDir,
    confDir,
    multusKubeconfig: `${confDir}/multus.d/multus.kubeconfig`,
    whereaboutsConfig: `${confDir}/whereabouts.d/whereabouts.conf`,
  };
}

/**
 * The CNI layout of one node. Precedence: explicit overrides, then what containerd's generated
 * config says, then the version gate (flannel on) or containerd's defaults (flannel off).
 */
export function nodeLayout(facts: NodeFacts, overrides: LayoutOverrides = {}): CniLayout {
  const dataDir = parseSafePath("k3sDataDir", facts.dataDir);
  const gateBin = usesFixedCniBinDir(facts.version) ? `${dataDir}/data/cni` : `${dataDir}/data/current/bin`;
  const computedBin = facts.flannel ? gateBin : CONTAINERD_DEFAULT_BIN_DIR;
  const computedConf = facts.flannel ? `${dataDir}/agent/etc/cni/net.d` : CONTAINERD_DEFAULT_CONF_DIR;
  const binDir = overrides.cniBinDir ?? facts.binDir ?? computedBin;
  const confDir = overrides.cniConfDir ?? facts.confDir ?? computedConf;
  return fromConfDir(parseSafePath("cniBinDir", binDir), parseSafePath("cniConfDir", confDir));
}

/**
 * One layout for the whole cluster, or an error naming the nodes that disagree and their versions.
 * Disagreement happens during a rolling upgrade across the October 2024 gate.
 */
export function clusterLayout(nodes: readonly NodeFacts[], overrides: LayoutOverrides = {}): CniLayout {
  if (nodes.length === 0) throw new MultusError("nodes", nodes, "expected facts for at least one node");
  const layouts = nodes.map((n) => ({ node: n, layout: nodeLayout(n, overrides) }));
  const first = layouts[0].layout;
  const differ = layouts.some((l) => l.layout.binDir !== first.binDir || l.layout.confDir !== first.confDir);
  if (!differ) return first;
  const detail = layouts
    .map(
      (l) =>
        `${l.node.host} (${l.node.version.tag}, flannel ${l.node.flannel ? "on" : "off"}): bin ${l.layout.binDir}, conf ${l.layout.confDir}`,
    )
    .join("; ");
  throw new MultusError(
    "nodes",
    nodes.map((n) => n.host),
    "finish upgrading K3s on every node (the October 2024 releases moved the CNI bin dir), then change `redetect` and run `pulumi up` again; or pin `cniBinDir` and `cniConfDir` if you manage the dirs yourself",
    `disagree on the CNI layout: ${detail}`,
  );
}

/** The layout from pinned facts only (no detection): a version, optionally a data dir and flannel state. */
export function pinnedLayout(
  pinned: { version?: K3sVersion; dataDir?: string; flannel?: boolean },
  overrides: LayoutOverrides,
): CniLayout {
  if (overrides.cniBinDir !== undefined && overrides.cniConfDir !== undefined) {
    return fromConfDir(
      parseSafePath("cniBinDir", overrides.cniBinDir),
      parseSafePath("cniConfDir", overrides.cniConfDir),
    );
  }
  if (!pinned.version) {
    throw new MultusError(
      "k3sVersion",
      undefined,
      "pin k3sVersion (or both cniBinDir and cniConfDir), or give nodes so that detection can run",
      "is required without nodes",
    );
  }
  return nodeLayout(
    {
      host: "(pinned)",
      version: pinned.version,
      dataDir: pinned.dataDir ?? DEFAULT_DATA_DIR,
      flannel: pinned.flannel ?? true,
    },
    overrides,
  );
}
