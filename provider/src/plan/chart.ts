import deepmerge from "deepmerge";
import * as semver from "semver";
import { MultusError } from "../errors";
import { IpamPlugin } from "../networkArgs";
import { CniLayout } from "./layout";
import { parseSafePath } from "./paths";

/** The rke2-multus chart version k3s-multus is tested against. */
export const DEFAULT_CHART_VERSION = "v4.3.017";
/** The Helm repository that serves rke2-multus and rke2-multus-crd. */
export const DEFAULT_CHART_REPOSITORY = "https://rke2-charts.rancher.io";

/** The IPAM plugins in the fixed order the plan lists them. */
export const IPAM_PLUGINS: readonly IpamPlugin[] = Object.values(IpamPlugin);

/** Gates of the rke2-multus chart that matter on K3s (see FACTS.md, "rke2-multus chart"). */
const GATES = {
  /** Oldest chart we plan for: the thin plugin with `config.cni_conf`. */
  minimum: "4.0.0",
  /** From here `multusAutoconfigDir` is a host path that must equal `confDir` (k3s-io/docs PR #455). */
  autoconfigDirIsHostPath: "4.2.202",
  /** From here the NetworkAttachmentDefinition CRD ships in rke2-multus-crd. */
  separateCrdChart: "4.3.9",
} as const;
/** Releases that break a non-default `confDir` (k3s-io/docs #450), which every flannel K3s has. */
const BROKEN_WITH_CUSTOM_CONF_DIR = ["4.2.107", "4.2.200"];

/** A parsed rke2-multus chart version. */
export interface ChartVersion {
  /** As given, e.g. `v4.3.017`. */
  readonly text: string;
  /** Comparable semver, e.g. `4.3.17`. */
  readonly semver: string;
}

const CHART_VERSION = /^v?(\d{1,3})\.(\d{1,3})\.(\d{1,4})(-[0-9A-Za-z][0-9A-Za-z.]*)?$/;

/** Parses a chart version such as `v4.3.017`, `4.1.000` or `v4.0.2-build2024020802`. */
export function parseChartVersion(value: unknown, field = "chart.version"): ChartVersion {
  const allowed = `expected an rke2-multus chart version from v4.0.0 on, such as ${DEFAULT_CHART_VERSION}`;
  const m = typeof value === "string" ? CHART_VERSION.exec(value) : null;
  if (!m) throw new MultusError(field, value, allowed);
  const sv = `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}${m[4] ?? ""}`;
  if (!semver.valid(sv) || semver.lt(sv, GATES.minimum)) throw new MultusError(field, value, allowed);
  return { text: value as string, semver: sv };
}

/** True when this chart version ships the NetworkAttachmentDefinition CRD in the separate rke2-multus-crd chart. */
export function usesCrdChart(version: ChartVersion): boolean {
  return semver.gte(version.semver, GATES.separateCrdChart);
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
}

/** The computed charts: the CRD chart first where the version needs it, then rke2-multus. */
export interface ChartPlan {
  readonly charts: readonly ChartInstall[];
  /** The rke2-multus values (what the K3s docs call `multus-values.yaml`). */
  readonly values: Record<string, unknown>;
  /** True when the NetworkAttachmentDefinition CRD comes from the separate rke2-multus-crd chart. */
  readonly separateCrdChart: boolean;
}

/** The values k3s-multus computes, before user values are merged. */
export function computeValues(
  version: ChartVersion,
  layout: CniLayout,
  ipam: readonly IpamPlugin[],
): Record<string, unknown> {
  const cniConf: Record<string, unknown> = {
    confDir: layout.confDir,
    binDir: layout.binDir,
    kubeconfig: layout.multusKubeconfig,
  };
  if (semver.gte(version.semver, GATES.autoconfigDirIsHostPath)) cniConf.multusAutoconfigDir = layout.confDir;
  const values: Record<string, unknown> = { config: { cni_conf: cniConf } };
  if (ipam.includes("whereabouts")) {
    values["rke2-whereabouts"] = {
      fullnameOverride: "whereabouts",
      enabled: true,
      cniConf: { confDir: layout.confDir, binDir: layout.binDir },
    };
  }
  if (ipam.includes("dhcp")) values.manifests = { dhcpDaemonSet: true };
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

/** Refuses merged values that would install a Multus that cannot work on K3s. */
function checkMergedValues(
  version: ChartVersion,
  values: Record<string, unknown>,
  ipam: readonly IpamPlugin[],
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
  const confDir = get(values, ["config", "cni_conf", "confDir"]);
  if (semver.gte(version.semver, GATES.autoconfigDirIsHostPath)) {
    const auto = get(values, ["config", "cni_conf", "multusAutoconfigDir"]);
    if (auto !== confDir) {
      refuse(
        ["config", "cni_conf", "multusAutoconfigDir"],
        `expected it to equal config.cni_conf.confDir (${JSON.stringify(confDir)}): from chart v4.2.202 Multus looks for the master CNI config there`,
      );
    }
  }
  if (BROKEN_WITH_CUSTOM_CONF_DIR.includes(version.semver) && confDir !== "/etc/cni/net.d") {
    throw new MultusError(
      "chart.version",
      version.text,
      "choose another chart version: this release breaks a non-default confDir, which K3s needs (k3s-io/docs #450)",
      `is incompatible with confDir ${JSON.stringify(confDir)}`,
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
  const computed = computeValues(input.version, input.layout, input.ipam);
  const values = input.userValues
    ? (deepmerge(computed, input.userValues, { arrayMerge: overwriteArrays }) as Record<string, unknown>)
    : computed;
  checkMergedValues(input.version, values, input.ipam);
  const separateCrdChart = usesCrdChart(input.version);
  const charts: ChartInstall[] = [];
  if (separateCrdChart) {
    const crdValues: Record<string, unknown> = {};
    if (input.ipam.includes("whereabouts")) crdValues["rke2-whereabouts"] = { enabled: true };
    charts.push({
      chart: "rke2-multus-crd",
      version: input.version.text.replace(/^v/, ""),
      releaseName: `${input.releaseName}-crd`,
      values: crdValues,
    });
  }
  charts.push({ chart: "rke2-multus", version: input.version.text, releaseName: input.releaseName, values });
  return { charts, values, separateCrdChart };
}
