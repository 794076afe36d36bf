import { MultusError } from "../errors";
import { IpamPlugin } from "../networkArgs";
import {
  ChartInstall,
  ChartVersion,
  DEFAULT_CHART_REPOSITORY,
  DEFAULT_CHART_VERSION,
  IPAM_PLUGINS,
  parseChartVersion,
  planCharts,
} from "./chart";
import { checkChartSupport } from "./chartGates";
import { CniLayout, DEFAULT_DATA_DIR, fromConfDir, LayoutOverrides } from "./layout";
import { parseBoolean, parseInteger, parseList, parseNamespace, parseOneOf, parseRecord } from "./names";
import {
  NETWORKS_ANNOTATION,
  NetworkSpec,
  parseNetworks,
  PlannedNetwork,
  podAnnotationValue,
  renderNetwork,
} from "./networks";
import { NodeTarget, parseNodes } from "./nodes";
import { parseSafePath, pathDepth } from "./paths";
import { didYouMean } from "./suggest";
import { K3sVersion, parseK3sVersion } from "./version";

/** Chart settings after validation, defaults applied. */
export interface ChartSettings {
  readonly version: ChartVersion;
  readonly repository: string;
  readonly namespace: string;
  readonly releaseName: string;
  readonly values?: Record<string, unknown>;
  readonly timeout: number;
  readonly skipAwait: boolean;
}

/** Every input that can be checked without knowing the cluster, checked. */
export interface ValidatedInputs {
  readonly nodes: readonly NodeTarget[];
  readonly k3sVersion?: K3sVersion;
  readonly k3sDataDir?: string;
  readonly overrides: LayoutOverrides;
  /** IPAM plugins asked for, plus those the networks use, in a fixed order. */
  readonly ipam: readonly IpamPlugin[];
  readonly networks: readonly NetworkSpec[];
  readonly chart: ChartSettings;
  readonly cleanupOnDestroy: boolean;
  /** True when pinned facts make detection unnecessary. */
  readonly pinned: boolean;
  /** Warnings about accepted inputs, for the log (they never quote an input's value). */
  readonly warnings: readonly string[];
}

/** The raw inputs the planning core reads (the component's args, resolved; secrets may be absent). */
export interface PlanArgs {
  nodes?: unknown;
  k3sVersion?: unknown;
  k3sDataDir?: unknown;
  cniBinDir?: unknown;
  cniConfDir?: unknown;
  ipam?: unknown;
  networks?: unknown;
  chart?: unknown;
  cleanupOnDestroy?: unknown;
  allowOverlappingRanges?: unknown;
  /** True when chart repository credentials were given (they are removed before planning). */
  repositoryCredentials?: boolean;
}

const CHART_KEYS = ["version", "repository", "namespace", "releaseName", "values", "timeout", "skipAwait"];
const REPOSITORY = /^(https?|oci):\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/;
/** Shown instead of a refused value that may hold credentials. */
const HIDDEN = "(hidden: may hold credentials)";
const RELEASE = /^[a-z0-9]([-a-z0-9]{0,44}[a-z0-9])?$/;

/**
 * The chart repository: an `https://`, `http://` or `oci://` URL (Helm pulls `oci://<repo>/<chart>`)
 * with a port from 1 to 65535 and no credentials inside (they go in repositoryUsername and
 * repositoryPassword). Plain `http://` would send the credentials in clear text: refused with
 * credentials, warned about without, except to a loopback address (a mirror on the machine that
 * runs Pulumi: 127.0.0.0/8 or localhost), where nothing crosses a network.
 */
function parseRepository(value: unknown, credentials: boolean, warnings: string[]): string {
  const allowed =
    "expected an http(s) or oci URL such as https://rke2-charts.rancher.io or oci://registry.example.com/charts, without credentials in it (use repositoryUsername and repositoryPassword)";
  if (typeof value !== "string" || !REPOSITORY.test(value))
    throw new MultusError("chart.repository", value, allowed);
  const port = /^[a-z]+:\/\/[^/:]+:(\d+)/.exec(value)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    throw new MultusError("chart.repository", value, `${allowed}; ports are 1 to 65535`, `has port ${port}`);
  if (value.startsWith("http://") && !isLoopbackUrl(value)) {
    if (credentials)
      throw new MultusError(
        "chart.repository",
        value,
        "expected an https:// (or oci://) URL when repositoryUsername or repositoryPassword is set: plain http:// would send them in clear text",
        "is plain http",
      );
    warnings.push(
      "chart.repository is a plain http:// URL: the chart is fetched unencrypted and unauthenticated; use https:// where the mirror allows",
    );
  }
  return value;
}

/** True for a URL whose host is a loopback address: 127.0.0.0/8 or localhost (REPOSITORY admits no [::1]). */
function isLoopbackUrl(url: string): boolean {
  const host = /^[a-z]+:\/\/([^/:]+)/.exec(url)?.[1] ?? "";
  return host === "localhost" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function parseChart(value: unknown, credentials = false, warnings: string[] = []): ChartSettings {
  // A list given by mistake may hold the repository credentials: do not echo it.
  if (Array.isArray(value)) throw new MultusError("chart", HIDDEN, "expected an object");
  const c = value === undefined ? {} : parseRecord("chart", value);
  // Never echo the value of an unknown chart key: it may be a misspelt repositoryPassword.
  for (const key of Object.keys(c)) {
    if (!CHART_KEYS.includes(key) && c[key] !== undefined) {
      throw new MultusError(
        `chart.${key}`,
        HIDDEN,
        `expected only the keys ${CHART_KEYS.join(", ")} (and the repository credentials, which are kept apart)${didYouMean(key, [...CHART_KEYS, "repositoryUsername", "repositoryPassword"])}`,
        "is not a known option",
      );
    }
  }
  const version = parseChartVersion(c.version ?? DEFAULT_CHART_VERSION);
  const repository = parseRepository(c.repository ?? DEFAULT_CHART_REPOSITORY, credentials, warnings);
  const namespace =
    c.namespace === undefined ? "kube-system" : parseNamespace("chart.namespace", c.namespace);
  const releaseName = c.releaseName ?? "multus";
  if (typeof releaseName !== "string" || !RELEASE.test(releaseName)) {
    throw new MultusError(
      "chart.releaseName",
      releaseName,
      "expected a Helm release name: lower-case letters, digits and '-', at most 46 characters (the CRD release adds -crd)",
    );
  }
  const values = c.values === undefined ? undefined : parseRecord("chart.values", c.values);
  if (values !== undefined) checkJsonData("chart.values", values, 0);
  const timeout = c.timeout === undefined ? 300 : parseInteger("chart.timeout", c.timeout, 1, 86400);
  const skipAwait = c.skipAwait === undefined ? false : parseBoolean("chart.skipAwait", c.skipAwait);
  return { version, repository, namespace, releaseName, values, timeout, skipAwait };
}

const JSON_DATA =
  "expected JSON data (strings, finite numbers, booleans, null, lists and objects, at most 32 levels deep) whose keys are not names of JavaScript's Object.prototype such as __proto__ or constructor, which merging the values would drop";

/**
 * Chart values must be plain JSON data: what Pulumi sends and Helm reads. Refuses what JSON or YAML
 * cannot carry (BigInt, NaN, functions, class instances, cycles) and keys that merging would
 * silently drop (`__proto__`, `constructor`, `toString`, ...), naming the exact key.
 */
function checkJsonData(field: string, value: unknown, depth: number): void {
  if (depth > 32) throw new MultusError(field, "(nested too deep)", JSON_DATA, "is nested too deep");
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number" && Number.isFinite(value)) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) throw new MultusError(`${field}[${i}]`, undefined, JSON_DATA);
      checkJsonData(`${field}[${i}]`, value[i], depth + 1);
    }
    return;
  }
  const proto: unknown = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (typeof value === "object" && (proto === Object.prototype || proto === null)) {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key in Object.prototype)
        throw new MultusError(`${field}.${key}`, key, JSON_DATA, "is a key that is not supported");
      if (v !== undefined) checkJsonData(`${field}.${key}`, v, depth + 1);
    }
    return;
  }
  throw new MultusError(field, value, JSON_DATA, "is not JSON data");
}

function parseIpamList(value: unknown, networks: readonly NetworkSpec[]): IpamPlugin[] {
  const asked =
    value === undefined
      ? []
      : parseList("ipam", value, 3).map((p, i) => parseOneOf(`ipam[${i}]`, p, IPAM_PLUGINS));
  const used = new Set<string>([...asked, ...networks.map((n) => n.ipamType ?? "")]);
  return IPAM_PLUGINS.filter((p) => used.has(p));
}

/**
 * Checks the chart values against a representative K3s layout before any node is contacted: every
 * check on merged values but the paths themselves holds for any layout, so a refused value fails
 * here, before detection runs, rather than after.
 */
function precheckValues(chart: ChartSettings, ipam: readonly IpamPlugin[], overrides: LayoutOverrides): void {
  // The gates that need no layout (the version alone, or with the IPAM plugins) refuse here.
  checkChartSupport(chart.version.text, chart.version.semver, { ipam });
  if (chart.values === undefined) return;
  const confDir = overrides.cniConfDir ?? `${DEFAULT_DATA_DIR}/agent/etc/cni/net.d`;
  const binDir = overrides.cniBinDir ?? `${DEFAULT_DATA_DIR}/data/cni`;
  planCharts({
    version: chart.version,
    layout: fromConfDir(binDir, confDir),
    ipam,
    releaseName: chart.releaseName,
    userValues: chart.values,
    precheck: true,
  });
}

/** Checks every input that does not need the cluster. Throws {@link MultusError} naming the field. */
export function validateInputs(input: PlanArgs): ValidatedInputs {
  // Typed callers always pass an object; a file read by the CLI or a plain-JS caller may not. The
  // value is not echoed: a list given by mistake may hold nodes with credentials.
  const given: unknown = input;
  if (typeof given !== "object" || given === null || Array.isArray(given))
    throw new MultusError("inputs", HIDDEN, "expected an object of Multus inputs");
  const args: PlanArgs = input;
  const nodes = parseNodes(args.nodes);
  const k3sVersion = args.k3sVersion === undefined ? undefined : parseK3sVersion(args.k3sVersion as string);
  const k3sDataDir = args.k3sDataDir === undefined ? undefined : parseSafePath("k3sDataDir", args.k3sDataDir);
  const overrides: LayoutOverrides = {
    cniBinDir: args.cniBinDir === undefined ? undefined : parseSafePath("cniBinDir", args.cniBinDir),
    cniConfDir: args.cniConfDir === undefined ? undefined : parseSafePath("cniConfDir", args.cniConfDir),
  };
  for (const key of ["cniBinDir", "cniConfDir"] as const) {
    if (overrides[key] === "/")
      throw new MultusError(key, "/", "expected a CNI directory, not the root directory");
  }
  const allowOverlappingRanges =
    args.allowOverlappingRanges === undefined
      ? false
      : parseBoolean("allowOverlappingRanges", args.allowOverlappingRanges);
  const networks = parseNetworks(args.networks, { allowOverlappingRanges });
  const ipam = parseIpamList(args.ipam, networks);
  const warnings: string[] = [];
  const chart = parseChart(args.chart, args.repositoryCredentials === true, warnings);
  const pinned =
    k3sVersion !== undefined || (overrides.cniBinDir !== undefined && overrides.cniConfDir !== undefined);
  if (!pinned && nodes.length === 0) {
    throw new MultusError(
      "nodes",
      args.nodes,
      "give nodes to detect K3s on, or pin k3sVersion (or both cniBinDir and cniConfDir)",
      "is empty",
    );
  }
  const cleanupOnDestroy =
    args.cleanupOnDestroy === undefined
      ? nodes.length > 0
      : parseBoolean("cleanupOnDestroy", args.cleanupOnDestroy);
  if (cleanupOnDestroy && nodes.length === 0) {
    throw new MultusError(
      "cleanupOnDestroy",
      true,
      "give nodes to clean up, or set cleanupOnDestroy to false",
    );
  }
  if (cleanupOnDestroy) {
    checkCleanupDir("cniBinDir", overrides.cniBinDir);
    checkCleanupDir("cniConfDir", overrides.cniConfDir);
  }
  precheckValues(chart, ipam, overrides);
  return {
    nodes,
    k3sVersion,
    k3sDataDir,
    overrides,
    ipam,
    networks,
    chart,
    cleanupOnDestroy,
    pinned,
    warnings,
  };
}

/**
 * The node clean-up (provider/src/node/scripts.ts) refuses a CNI dir less than two levels below /.
 * Refuse it here, before anything is installed, rather than when the clean-up command is built.
 */
function checkCleanupDir(field: "cniBinDir" | "cniConfDir", dir: string | undefined): void {
  if (dir !== undefined && pathDepth(dir) < 2) {
    throw new MultusError(
      field,
      dir,
      "expected a CNI directory at least two levels below / (e.g. /opt/cni/bin), which the node clean-up can remove files from; or set cleanupOnDestroy to false",
      "is too close to / for the node clean-up",
    );
  }
}

/**
 * The layout a node's clean-up removes files from, checked like the plan checks the cluster's.
 * Each node's clean-up takes its own node's layout (which equals the cluster's whenever a plan
 * exists), so that it depends on that node's detection only, not on every node's.
 */
export function cleanupLayout(inputs: ValidatedInputs, layout: CniLayout): CniLayout {
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

/**
 * Computes the plan for validated inputs and a known layout. Pure and deterministic. `k3sVersions`
 * are the nodes' detected K3s versions (default: the pinned `k3sVersion`, if any): where the bin dir
 * moves on K3s upgrades they go into the values, so that a change restarts the DaemonSets.
 */
export function planFor(
  inputs: ValidatedInputs,
  layout: CniLayout,
  k3sVersions: readonly string[] = inputs.k3sVersion ? [inputs.k3sVersion.tag] : [],
): MultusPlan {
  cleanupLayout(inputs, layout);
  const { charts, values, separateCrdChart } = planCharts({
    version: inputs.chart.version,
    layout,
    ipam: inputs.ipam,
    releaseName: inputs.chart.releaseName,
    userValues: inputs.chart.values,
    k3sVersions,
  });
  const networks = inputs.networks.map((n) => renderNetwork(n, layout));
  const networkAnnotations: Record<string, string> = {};
  for (const n of networks) networkAnnotations[n.name] = n.annotation;
  const podAnnotations: Record<string, string> = networks.length
    ? { [NETWORKS_ANNOTATION]: podAnnotationValue(networks) }
    : {};
  return {
    layout,
    ipam: inputs.ipam,
    charts,
    values,
    separateCrdChart,
    networks,
    networkAnnotations,
    podAnnotations,
  };
}
