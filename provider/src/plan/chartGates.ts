/**
 * Which rke2-multus chart versions work on K3s, and why the others do not. Every gate here comes
 * from `helm template` of the published packages (tests/charts/render.test.ts renders every version
 * in ../shared/charts/index.yaml for K3s before and after the October 2024 bin-dir gate, a custom
 * data dir, flannel off and each IPAM, and fails unless the gates refuse exactly the combinations
 * that do not render right). A refusal names the version, the reason and the nearest published
 * version that works for the same K3s layout and IPAM plugins.
 */
import * as semver from "semver";
import { MultusError } from "../errors";
import { IpamPlugin } from "../networkArgs";
import { PUBLISHED_MULTUS_VERSIONS } from "./chartIndex";
import { CniLayout, CONTAINERD_DEFAULT_BIN_DIR, CONTAINERD_DEFAULT_CONF_DIR } from "./layout";

/** The chart versions where something that matters on K3s changed (semver form). */
export const CHART_GATES = {
  /** First thin-plugin (`/thin_entrypoint`) chart; before it, Multus 3's `entrypoint.sh`. */
  thinPlugin: "4.0.2-build2023070601",
  /** First chart that passes `config.cni_conf` to the entrypoint (and `--cleanup-config-on-exit`). */
  cniConfArgs: "4.0.2-build2023081100",
  /** First chart whose hostPaths follow `confDir`/`binDir`. */
  hostPaths: "4.0.2-build2024020801",
  /** First chart without the amd64 nodeSelector. */
  noArchPin: "4.0.2-build2024020802",
  /** First chart whose Whereabouts hostPaths follow `rke2-whereabouts.cniConf`. */
  whereaboutsHostPaths: "4.0.203",
  /** First chart whose DHCP daemon mounts `binDir` (before: hard-coded `/opt/cni`). */
  dhcpBinDir: "4.0.204",
  /** First chart whose DaemonSet mounts the ConfigMap it renders (before: a name it never creates). */
  configMapName: "4.1.2",
  /** First chart that mounts Whereabouts' dirs at `/host<dir>` and tells it so (`CNI_CONF_DIR`). */
  whereaboutsKubeconfig: "4.1.202",
  /** First chart that renders its ConfigMap by default. */
  configMapDefault: "4.2.103",
  /** From here `multusAutoconfigDir` is a host path, which must equal `confDir` on K3s. */
  autoconfigDirIsHostPath: "4.2.202",
  /** First chart whose NAD CRD carries `helm.sh/resource-policy: keep`. */
  crdKeep: "4.2.410",
  /** First chart whose DHCP init container removes the host's socket (rke2 #10423). */
  dhcpSocket: "4.2.414",
  /** From here the CRDs ship in the separate chart rke2-multus-crd. */
  separateCrdChart: "4.3.9",
  /** First rke2-multus-crd that renders. */
  crdChartRenders: "4.3.10",
} as const;

/** What a gate is judged on. Without a layout, only the gates that do not need one apply. */
export interface GateContext {
  readonly layout?: CniLayout;
  readonly ipam: readonly IpamPlugin[];
}

interface Gate {
  /** A few words for tables. */
  readonly short: string;
  /** True when the gate refuses this version (semver form) in this context. */
  readonly refuses: (v: string, ctx: Required<GateContext>) => boolean;
  /** False when `refuses` reads only the version and the IPAM plugins. */
  readonly needsLayout: boolean;
  readonly reason: string;
}

const below = (v: string, gate: string) => semver.lt(v, gate);
const defaultDirs = (l: CniLayout) =>
  l.confDir === CONTAINERD_DEFAULT_CONF_DIR && l.binDir === CONTAINERD_DEFAULT_BIN_DIR;
/** K3s before the October 2024 gate: `data/current/bin` follows the running release and so moves on every upgrade. */
export const MOVING_BIN_DIR = /\/data\/current\/bin$/;

/** In order: the first gate that refuses gives the reason. */
const GATES: readonly Gate[] = [
  {
    short: "Multus 3 chart",
    needsLayout: false,
    refuses: (v) => below(v, CHART_GATES.thinPlugin),
    reason:
      "it is a Multus 3 chart: its entrypoint.sh hard-codes /etc/cni/net.d and /opt/cni/bin and forces --cni-version=0.3.1",
  },
  {
    short: "forces --cni-version=0.3.1; hard-coded dirs",
    needsLayout: false,
    refuses: (v) => below(v, CHART_GATES.cniConfArgs),
    reason:
      "it forces --cni-version=0.3.1 and hard-codes /etc/cni/net.d and /opt/cni/bin, ignoring confDir and binDir",
  },
  {
    short: "--cni-conf-dir==; hard-coded hostPaths",
    needsLayout: false,
    refuses: (v) => below(v, CHART_GATES.hostPaths),
    reason:
      "it emits --cni-conf-dir== (a double '='), passes host paths as container paths and hard-codes the hostPaths /etc/cni/net.d and /opt/cni/bin",
  },
  {
    short: "amd64 pin",
    needsLayout: false,
    refuses: (v) => below(v, CHART_GATES.noArchPin),
    reason: "it pins Multus and Whereabouts to amd64 nodes (nodeSelector kubernetes.io/arch: amd64)",
  },
  {
    short: "multusAutoconfigDir always mounted",
    needsLayout: false,
    refuses: (v) => v === "4.2.201",
    reason:
      "it always mounts multusAutoconfigDir: unset, Multus looks for the master config in /etc/cni/net.d instead of the conf dir; equal to confDir, the DaemonSet has a duplicate mountPath that the API server rejects",
  },
  {
    short: "rke2-multus-crd 4.3.009 does not render",
    needsLayout: false,
    refuses: (v) => v === "4.3.9",
    reason: "its CRD chart rke2-multus-crd 4.3.009 does not render (`dig` on chart values)",
  },
  {
    short: "DHCP: hostPath /opt/cni",
    needsLayout: false,
    refuses: (v, c) => c.ipam.includes("dhcp") && below(v, CHART_GATES.dhcpBinDir) && !defaultDirs(c.layout),
    reason: "its DHCP daemon mounts the hard-coded host dir /opt/cni, so it cannot run <binDir>/dhcp",
  },
  {
    short: "DHCP: stale socket never removed",
    needsLayout: false,
    refuses: (v, c) => c.ipam.includes("dhcp") && below(v, CHART_GATES.dhcpSocket),
    reason:
      "its DHCP daemon's init container removes /run/cni/dhcp.sock inside the container rather than the host's socket (mounted at /host/run/cni), so the daemon cannot restart until the node reboots",
  },
  {
    short: "non-default dirs break (k3s-io/docs #450)",
    needsLayout: true,
    refuses: (v, c) => (v === "4.2.107" || v === "4.2.200") && !defaultDirs(c.layout),
    reason:
      "it passes --cni-conf-dir=/host<confDir> and --cni-bin-dir=/host<binDir> but mounts the host dirs at /host/etc/cni/net.d and /host/opt/cni/bin, so a confDir or binDir other than /etc/cni/net.d and /opt/cni/bin breaks (k3s-io/docs #450)",
  },
  {
    short: "Whereabouts: hard-coded hostPaths",
    needsLayout: true,
    refuses: (v, c) =>
      c.ipam.includes("whereabouts") && below(v, CHART_GATES.whereaboutsHostPaths) && !defaultDirs(c.layout),
    reason: "its Whereabouts hostPaths are hard-coded /etc/cni/net.d and /opt/cni/bin",
  },
  {
    short: "Whereabouts: kubeconfig under /etc/cni/net.d",
    needsLayout: true,
    refuses: (v, c) =>
      c.ipam.includes("whereabouts") &&
      below(v, CHART_GATES.whereaboutsKubeconfig) &&
      c.layout.confDir !== CONTAINERD_DEFAULT_CONF_DIR,
    reason:
      "it mounts the conf dir into Whereabouts at /host/etc/cni/net.d, so whereabouts.conf names /etc/cni/net.d/whereabouts.d/whereabouts.kubeconfig, which does not exist on a K3s node",
  },
  {
    short: "no restart on K3s upgrades",
    needsLayout: true,
    refuses: (v, c) => MOVING_BIN_DIR.test(c.layout.binDir) && below(v, CHART_GATES.configMapName),
    reason:
      "on this K3s the bin dir moves on every upgrade and the Multus DaemonSet must restart to copy its binaries back (multus-cni #927), but this chart renders no pod-template value the component can change for it (its ConfigMap volume names a ConfigMap the chart does not create)",
  },
];

/** The first gate that refuses this chart version in this context (its short label and reason), or undefined. */
export function refusingGate(
  semverVersion: string,
  ctx: GateContext,
): { short: string; reason: string } | undefined {
  const full = ctx.layout ? { layout: ctx.layout, ipam: ctx.ipam } : undefined;
  const gate = GATES.find(
    (g) =>
      !(g.needsLayout && !full) && g.refuses(semverVersion, full ?? { layout: NO_LAYOUT, ipam: ctx.ipam }),
  );
  return gate && { short: gate.short, reason: gate.reason };
}

/** The reason this chart version cannot work in this context, or undefined when it can. */
export function refusalReason(semverVersion: string, ctx: GateContext): string | undefined {
  return refusingGate(semverVersion, ctx)?.reason;
}

/** A layout-free gate never reads the layout; this stands in for it when there is none yet. */
const NO_LAYOUT: CniLayout = {
  binDir: CONTAINERD_DEFAULT_BIN_DIR,
  confDir: CONTAINERD_DEFAULT_CONF_DIR,
  multusKubeconfig: `${CONTAINERD_DEFAULT_CONF_DIR}/multus.d/multus.kubeconfig`,
  whereaboutsConfig: `${CONTAINERD_DEFAULT_CONF_DIR}/whereabouts.d/whereabouts.conf`,
};

/** `v4.3.017` → `4.3.17`; `v3.8-build2021110403` → `3.8.0-build2021110403`. Undefined when it is not a chart version. */
export function chartSemver(text: string): string | undefined {
  const m = /^v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?(-[0-9A-Za-z][0-9A-Za-z.]*)?$/.exec(text);
  // Groups 3 and 4 are optional: undefined (`at` says so, indexing does not) when they did not match.
  if (!m || (m.at(3) === undefined && m.at(4) === undefined)) return undefined;
  const sv = `${Number(m[1])}.${Number(m[2])}.${Number(m.at(3) ?? 0)}${m.at(4) ?? ""}`;
  return semver.valid(sv) ? sv : undefined;
}

/** Published versions, oldest first by semver. */
const PUBLISHED = PUBLISHED_MULTUS_VERSIONS.map((text) => ({
  text,
  semver: chartSemver(text) as string,
})).sort((a, b) => semver.compare(a.semver, b.semver));

/**
 * Layouts standing for every class the gates tell apart (a moving bin dir, K3s' fixed dirs,
 * containerd's defaults): without a layout, a suggested version must pass all of them, so that
 * the gates that wait for the layout do not refuse it later.
 */
const EVERY_LAYOUT: readonly CniLayout[] = [
  "/var/lib/rancher/k3s/data/current/bin",
  "/var/lib/rancher/k3s/data/cni",
]
  .map((binDir) => {
    const confDir = "/var/lib/rancher/k3s/agent/etc/cni/net.d";
    return {
      binDir,
      confDir,
      multusKubeconfig: `${confDir}/multus.d/multus.kubeconfig`,
      whereaboutsConfig: `${confDir}/whereabouts.d/whereabouts.conf`,
    };
  })
  .concat([NO_LAYOUT]);

function works(semverVersion: string, ctx: GateContext): boolean {
  if (ctx.layout) return refusalReason(semverVersion, ctx) === undefined;
  return EVERY_LAYOUT.every(
    (layout) => refusalReason(semverVersion, { layout, ipam: ctx.ipam }) === undefined,
  );
}

/**
 * The published version nearest to `semverVersion` (by position in the published list; on a tie
 * the newer one) that no gate refuses in this context (without a layout: on any layout), or
 * undefined when none is.
 */
export function nearestGoodVersion(semverVersion: string, ctx: GateContext): string | undefined {
  const exact = PUBLISHED.findIndex((p) => p.semver === semverVersion);
  // An unpublished version sits half-way between its published neighbours.
  const position =
    exact >= 0 ? exact : PUBLISHED.filter((p) => semver.lt(p.semver, semverVersion)).length - 0.5;
  let best: { text: string; distance: number } | undefined;
  PUBLISHED.forEach((p, i) => {
    if (i === exact || !works(p.semver, ctx)) return;
    const distance = Math.abs(i - position);
    // Ascending order: a later candidate at the same distance is the newer one.
    if (!best || distance <= best.distance) best = { text: p.text, distance };
  });
  return best?.text;
}

/**
 * Throws a {@link MultusError} on `chart.version` when a gate refuses the version in this context:
 * it names the version, the reason and the nearest good version.
 */
export function checkChartSupport(text: string, semverVersion: string, ctx: GateContext): void {
  const reason = refusalReason(semverVersion, ctx);
  if (reason === undefined) return;
  const nearest = nearestGoodVersion(semverVersion, ctx);
  const where = ctx.layout ? ` for conf dir ${ctx.layout.confDir} and bin dir ${ctx.layout.binDir}` : "";
  const ipam = ctx.ipam.length ? ` with IPAM ${ctx.ipam.join(", ")}` : "";
  throw new MultusError(
    "chart.version",
    text,
    nearest
      ? `use ${nearest}, the nearest published version that works here${where}${ipam}`
      : `no published rke2-multus version works here${where}${ipam}`,
    `cannot work on K3s: ${reason}`,
  );
}
