/**
 * The rke2-multus chart plan: the chart version, the values k3s-multus computes for a CNI layout
 * and the IPAM plugins in use, the user's values merged over them and checked, and which charts to
 * install in which order (rke2-multus-crd first where the version needs it).
 */
import deepmerge from "deepmerge";
import * as semver from "semver";
import { MultusError } from "../errors";
import { IpamPlugin } from "../networkArgs";
import { PUBLISHED_CRD_VERSIONS } from "./chartIndex";
import { CHART_GATES, chartSemver, checkChartSupport } from "./chartGates";
import { CniLayout } from "./layout";
import { parseSafePath } from "./paths";
import { ROLLOUT_ANNOTATION, rolloutKey } from "./rollout";

/** The rke2-multus chart version k3s-multus is tested against. */
export const DEFAULT_CHART_VERSION = "v4.3.017";
/** The Helm repository that serves rke2-multus and rke2-multus-crd. */
export const DEFAULT_CHART_REPOSITORY = "https://rke2-charts.rancher.io";

/** The IPAM plugins in the fixed order the plan lists them. */
export const IPAM_PLUGINS: readonly IpamPlugin[] = Object.values(IpamPlugin);

/** A parsed rke2-multus chart version. */
export interface ChartVersion {
  /** As given, e.g. `v4.3.017`. */
  readonly text: string;
  /** Comparable semver, e.g. `4.3.17`. */
  readonly semver: string;
}

/**
 * Parses a chart version such as `v4.3.017`, `4.1.000`, `v4.0.2-build2024020802` or
 * `v3.8-build2021110403`. Whether the version works on K3s is the gates' business
 * ({@link checkChartSupport}): they refuse with a reason and the nearest good version.
 */
export function parseChartVersion(value: unknown, field = "chart.version"): ChartVersion {
  const sv = typeof value === "string" ? chartSemver(value) : undefined;
  if (sv === undefined) {
    throw new MultusError(
      field,
      value,
      `expected an rke2-multus chart version such as ${DEFAULT_CHART_VERSION}`,
    );
  }
  return { text: value as string, semver: sv };
}

/** True when this chart version ships the NetworkAttachmentDefinition CRD in the separate rke2-multus-crd chart. */
export function usesCrdChart(version: ChartVersion): boolean {
  return semver.gte(version.semver, CHART_GATES.separateCrdChart);
}

/**
 * The rke2-multus-crd version to install with this rke2-multus version, from the published index
 * (provider/src/plan/chartIndex.ts). The CRDs always come from rke2-multus-crd, whose every CRD
 * is a template marked `helm.sh/resource-policy: keep`: a chart that still ships its own CRDs
 * (before v4.3.009) installs with them turned off ({@link computeValues}; the release
 * has `skipCrds`), because there the NAD CRD has no keep policy below v4.2.410 (an
 * uninstall deletes it and every NAD in the cluster, as the e2e API server showed) and the
 * Whereabouts CRDs sit in the subchart's `crds/`, which Helm applies on first install only.
 *
 * From v4.3.009: the one with the same number when it is published, else the newest published one
 * below it that renders (the index, not the habit of releasing both together, decides: a mirror
 * may lack one). Before v4.3.009: the oldest that renders (the CRD templates of 4.3.010–4.3.017
 * are identical, and equal to the charts' own but for `keep`).
 */
export function crdChartVersion(version: ChartVersion): string | undefined {
  const candidates = PUBLISHED_CRD_VERSIONS.map((text) => ({ text, sv: chartSemver(text) as string }))
    .filter((c) => semver.gte(c.sv, CHART_GATES.crdChartRenders))
    .sort((a, b) => semver.compare(a.sv, b.sv));
  if (!usesCrdChart(version)) return candidates[0]?.text;
  const below = candidates.filter((c) => semver.lte(c.sv, version.semver));
  const same = below.find((c) => c.sv === version.semver);
  return (same ?? below.at(-1))?.text;
}

/** A Helm chart to install, in order. */
export interface ChartInstall {
  /** `rke2-multus-crd` or `rke2-multus`. */
  readonly chart: string;
  readonly version: string;
  /** Release name: the multus release name, with `-crd` for the CRD chart. */
  readonly releaseName: string;
  readonly values: Record<string, unknown>;
}

/** What the chart plan is computed from. */
export interface ChartPlanInput {
  readonly version: ChartVersion;
  readonly layout: CniLayout;
  readonly ipam: readonly IpamPlugin[];
  readonly releaseName: string;
  /** User values, deep-merged last (arrays replace, as Helm does). */
  readonly userValues?: Record<string, unknown>;
  /** K3s versions of the nodes (detected or pinned): where the bin dir moves, they roll the DaemonSets. */
  readonly k3sVersions?: readonly string[];
  /**
   * True when `layout` only stands in for the real one (checking inputs before detection): the
   * gates and checks that depend on the layout are left for the real plan.
   */
  readonly precheck?: boolean;
}

/** The computed charts: the CRD chart first where the version needs it, then rke2-multus. */
export interface ChartPlan {
  readonly charts: readonly ChartInstall[];
  /** The rke2-multus values (what the K3s docs call `multus-values.yaml`). */
  readonly values: Record<string, unknown>;
  /** True when the CRDs come from the separate rke2-multus-crd chart (always, for the versions accepted). */
  readonly separateCrdChart: boolean;
}

/** The values k3s-multus computes, before user values are merged. */
export function computeValues(
  version: ChartVersion,
  layout: CniLayout,
  ipam: readonly IpamPlugin[],
  k3sVersions: readonly string[] = [],
): Record<string, unknown> {
  const cniConf: Record<string, unknown> = {
    confDir: layout.confDir,
    binDir: layout.binDir,
    kubeconfig: layout.multusKubeconfig,
  };
  if (semver.gte(version.semver, CHART_GATES.autoconfigDirIsHostPath))
    cniConf.multusAutoconfigDir = layout.confDir;
  // Also runs the loop that rewrites the kubeconfig when the token or CA rotates (multus-cni #852):
  // set for every chart that passes the flag, not only where it is the default (v4.2.303).
  if (semver.gte(version.semver, CHART_GATES.cniConfArgs)) cniConf.cleanupConfigOnExit = true;
  const roll = rolloutKey(layout, k3sVersions);
  if (roll !== undefined) cniConf.k3sVersions = roll;
  const values: Record<string, unknown> = { config: { cni_conf: cniConf } };
  const manifests: Record<string, unknown> = {};
  if (roll !== undefined) manifests.configMap = true;
  // Before v4.3.009 the chart renders the NAD CRD itself (without `keep` below v4.2.410): the CRDs
  // come from rke2-multus-crd instead (crdChartVersion).
  if (!usesCrdChart(version)) manifests.customResourceDefinition = false;
  if (ipam.includes("dhcp")) manifests.dhcpDaemonSet = true;
  if (ipam.includes("whereabouts")) {
    const whereabouts: Record<string, unknown> = {
      fullnameOverride: "whereabouts",
      enabled: true,
      cniConf: { confDir: layout.confDir, binDir: layout.binDir },
    };
    if (roll !== undefined) whereabouts.podAnnotations = { [ROLLOUT_ANNOTATION]: roll };
    values["rke2-whereabouts"] = whereabouts;
  }
  if (Object.keys(manifests).length > 0) values.manifests = manifests;
  return values;
}

function get(values: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = values;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Order-insensitive structural equality of JSON data. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/**
 * Values that the component computes from the K3s layout and the IPAM plugins, and that the
 * outputs, the NADs and the node clean-up follow: a user value may only repeat them.
 */
const PINNED: readonly { path: readonly string[]; because: string }[] = [
  { path: ["config", "cni_conf", "confDir"], because: "set the component's cniConfDir to move the conf dir" },
  { path: ["config", "cni_conf", "binDir"], because: "set the component's cniBinDir to move the bin dir" },
  {
    path: ["config", "cni_conf", "kubeconfig"],
    because: "Multus writes its kubeconfig to <confDir>/multus.d; set cniConfDir to move it",
  },
  {
    path: ["config", "cni_conf", "multusAutoconfigDir"],
    because: "Multus must find the master config (flannel's) in the conf dir; set cniConfDir to move it",
  },
  {
    path: ["rke2-whereabouts", "cniConf"],
    because: "Whereabouts must use Multus' dirs; set cniBinDir and cniConfDir to move them",
  },
  {
    path: ["manifests", "customResourceDefinition"],
    because:
      "the CRDs come from the rke2-multus-crd release, whose CRDs are kept on uninstall (this chart's NAD CRD has no keep policy below v4.2.410)",
  },
  {
    path: ["config", "cni_conf", "k3sVersions"],
    because: "the component sets it to restart Multus after K3s upgrades move the bin dir",
  },
  {
    path: ["rke2-whereabouts", "podAnnotations", ROLLOUT_ANNOTATION],
    because: "the component sets it to restart Whereabouts after K3s upgrades move the bin dir",
  },
];

/** Refuses merged values that would install a Multus that cannot work on K3s. */
function checkMergedValues(
  computed: Record<string, unknown>,
  values: Record<string, unknown>,
  ipam: readonly IpamPlugin[],
  precheck: boolean,
): void {
  const field = (path: readonly string[]) => `chart.values.${path.join(".")}`;
  const refuse = (path: readonly string[], allowed: string, detail?: string) => {
    throw new MultusError(field(path), get(values, path), allowed, detail);
  };
  if (get(values, ["thickPlugin", "enabled"]) === true) {
    refuse(
      ["thickPlugin", "enabled"],
      "expected false: the thick plugin hard-codes /etc/cni/net.d and /opt/cni/bin, which K3s does not use",
    );
  }
  if (!precheck) {
    for (const { path, because } of PINNED) {
      const want = get(computed, path);
      if (!sameData(get(values, path), want)) {
        refuse(
          path,
          `expected it ${want === undefined ? "unset" : `unset or equal to the computed ${JSON.stringify(want)}`}: ${because} (the outputs, the NADs and the clean-up follow cniBinDir and cniConfDir)`,
        );
      }
    }
    if (
      get(computed, ["manifests", "configMap"]) === true &&
      get(values, ["manifests", "configMap"]) !== true
    ) {
      refuse(
        ["manifests", "configMap"],
        "expected it unset or true: on this K3s the bin dir moves on upgrades and the ConfigMap's checksum is what restarts Multus",
      );
    }
  }
  const dhcp = get(values, ["manifests", "dhcpDaemonSet"]);
  if (ipam.includes("dhcp") ? dhcp !== true : dhcp === true) {
    refuse(
      ["manifests", "dhcpDaemonSet"],
      ipam.includes("dhcp")
        ? "expected it unset or true: a network uses DHCP, which needs the DHCP daemon"
        : "expected it unset: add dhcp to `ipam` (or use a DHCP network) so that the chart version is checked for it",
    );
  }
  if (get(values, ["pod", "resources", "enabled"]) === true) {
    refuse(
      ["pod", "resources", "enabled"],
      "expected false: the chart renders `resources: null` when it is true (set pod.resources.multus instead)",
    );
  }
  if (get(values, ["config", "cni_conf", "logToStderr"]) === true) {
    refuse(
      ["config", "cni_conf", "logToStderr"],
      "expected it unset or false: the chart emits a one-dash flag for it, which the entrypoint rejects",
    );
  }
  if (get(values, ["config", "cni_conf", "cniVersion"]) !== undefined) {
    refuse(
      ["config", "cni_conf", "cniVersion"],
      "expected it unset: a cniVersion unlike the master config's makes the entrypoint fail; Multus follows the master config",
    );
  }
  for (const key of ["confDir", "binDir", "kubeconfig"]) {
    parseSafePath(field(["config", "cni_conf", key]), get(values, ["config", "cni_conf", key]));
  }
  const whereabouts = get(values, ["rke2-whereabouts", "enabled"]) === true;
  if (whereabouts !== ipam.includes("whereabouts")) {
    refuse(
      ["rke2-whereabouts", "enabled"],
      "expected it unset: add whereabouts to `ipam` (or use a whereabouts network) so that its dirs and CRDs are set for K3s",
    );
  }
}

const overwriteArrays = (_target: unknown[], source: unknown[]) => source;

/** The rke2-multus values for this K3s and these IPAM plugins, user values merged last, and the charts to install. */
export function planCharts(input: ChartPlanInput): ChartPlan {
  const precheck = input.precheck === true;
  checkChartSupport(input.version.text, input.version.semver, {
    layout: precheck ? undefined : input.layout,
    ipam: input.ipam,
  });
  const computed = computeValues(input.version, input.layout, input.ipam, input.k3sVersions);
  const values = input.userValues
    ? (deepmerge(computed, input.userValues, { arrayMerge: overwriteArrays }) as Record<string, unknown>)
    : computed;
  checkMergedValues(computed, values, input.ipam, precheck);
  const crdVersion = crdChartVersion(input.version);
  const charts: ChartInstall[] = [];
  if (crdVersion !== undefined) {
    const crdValues: Record<string, unknown> = {};
    if (input.ipam.includes("whereabouts")) crdValues["rke2-whereabouts"] = { enabled: true };
    charts.push({
      chart: "rke2-multus-crd",
      version: crdVersion,
      releaseName: `${input.releaseName}-crd`,
      values: crdValues,
    });
  }
  charts.push({ chart: "rke2-multus", version: input.version.text, releaseName: input.releaseName, values });
  return { charts, values, separateCrdChart: crdVersion !== undefined };
}
