/**
 * Planning: validated inputs and a known cluster layout in, everything the component applies out
 * (chart values and installs, the NADs' configs, the pod annotation). Pure and deterministic. The
 * component and `k3s-multus render` both plan through these functions; input validation lives in
 * plan/inputs.ts (re-exported here for existing callers).
 */
import { IpamPlugin } from "../networkArgs";
import { ChartInstall, ChartPlan, planCharts } from "./chart";
import { checkCleanupDir, ChartInputs, ValidatedInputs } from "./inputs";
import { CniLayout } from "./layout";
import { NETWORKS_ANNOTATION, PlannedNetwork, podAnnotationValue, renderNetwork } from "./networks";

export { validateInputs, ValidatedInputs, PlanArgs, ChartSettings } from "./inputs";

/**
 * The layout a node's clean-up removes files from, checked like the plan checks the cluster's.
 * Each node's clean-up takes its own node's layout (which equals the cluster's whenever a plan
 * exists), so that it depends on that node's detection only, not on every node's.
 */
export function cleanupLayout(inputs: { readonly cleanupOnDestroy: boolean }, layout: CniLayout): CniLayout {
  if (inputs.cleanupOnDestroy) {
    checkCleanupDir("cniBinDir", layout.binDir);
    checkCleanupDir("cniConfDir", layout.confDir);
  }
  return layout;
}

/** Everything the component applies, for one cluster layout. */
export interface MultusPlan {
  readonly layout: CniLayout;
  readonly ipam: readonly IpamPlugin[];
  /** Charts in install order (the CRD chart first where the version needs it). */
  readonly charts: readonly ChartInstall[];
  /** The rke2-multus values. */
  readonly values: Record<string, unknown>;
  readonly separateCrdChart: boolean;
  readonly networks: readonly PlannedNetwork[];
  /** network name → `ns/name@iface`. */
  readonly networkAnnotations: Record<string, string>;
  /** `{ "k8s.v1.cni.cncf.io/networks": "..." }`, empty when there are no networks. */
  readonly podAnnotations: Record<string, string>;
}

/** The charts to install and their values, for the chart settings, the IPAM plugins and a layout. */
export function planChartsFor(
  inputs: Pick<ChartInputs, "chart" | "ipam">,
  layout: CniLayout,
  k3sVersions: readonly string[],
): ChartPlan {
  return planCharts({
    version: inputs.chart.version,
    layout,
    ipam: inputs.ipam,
    releaseName: inputs.chart.releaseName,
    userValues: inputs.chart.values,
    k3sVersions,
  });
}

/** network name → `ns/name@iface`, and the pod annotation attaching every network, in order. */
export function annotationsOf(networks: readonly { name: string; annotation: string }[]): {
  networkAnnotations: Record<string, string>;
  podAnnotations: Record<string, string>;
} {
  const networkAnnotations: Record<string, string> = {};
  for (const n of networks) networkAnnotations[n.name] = n.annotation;
  const podAnnotations: Record<string, string> = networks.length
    ? { [NETWORKS_ANNOTATION]: podAnnotationValue(networks) }
    : {};
  return { networkAnnotations, podAnnotations };
}

/**
 * Computes the plan for validated inputs and a known layout. `k3sVersions` are the nodes' detected
 * K3s versions (default: the pinned `k3sVersion`, if any): where the bin dir moves on K3s upgrades
 * they go into the values, so that a change restarts the DaemonSets.
 */
export function planFor(
  inputs: ValidatedInputs,
  layout: CniLayout,
  k3sVersions: readonly string[] = inputs.k3sVersion ? [inputs.k3sVersion.tag] : [],
): MultusPlan {
  cleanupLayout(inputs, layout);
  const { charts, values, separateCrdChart } = planChartsFor(inputs, layout, k3sVersions);
  const networks = inputs.networks.map((n) => renderNetwork(n, layout));
  return {
    layout,
    ipam: inputs.ipam,
    charts,
    values,
    separateCrdChart,
    networks,
    ...annotationsOf(networks),
  };
}
