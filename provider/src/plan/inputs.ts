/**
 * Input validation: the component's inputs (resolved, credentials removed) checked without the
 * cluster. {@link validateShape} checks the part that decides which children exist (plain in the
 * types and the schema) at once; {@link validateInputs} checks everything, as `k3s-multus render`
 * and the component's data gate do. {@link planArgsOf} is the one builder of the planning core's
 * arguments from a MultusArgs-like record, for both.
 */
import { MultusError } from "../errors";
import { IpamPlugin } from "../networkArgs";
import {
  ChartVersion,
  crdChartVersion,
  DEFAULT_CHART_REPOSITORY,
  DEFAULT_CHART_VERSION,
  IPAM_PLUGINS,
  parseChartVersion,
  planCharts,
} from "./chart";
import { checkChartSupport } from "./chartGates";
import { DEFAULT_DATA_DIR, fromConfDir, LayoutOverrides } from "./layout";
import { parseBoolean, parseInteger, parseList, parseNamespace, parseOneOf, parseRecord } from "./names";
import { hasChartCredentials, stripChartCredentials, stripNodeCredentials } from "./credentials";
import { ipamTypeOf, NetworkShape, NetworkSpec, parseNetworks, parseNetworkShapes } from "./networks";
import { HIDDEN } from "./placeholders";
import { refuseUnknownInputs } from "./inputKeys";
import { NodeShape, NodeTarget, parseNodes, parseNodeShapes } from "./nodes";
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
  const asked = parseAskedIpam(value);
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
  const { k3sVersion, k3sDataDir, overrides, pinned } = parsePinnedFacts(args as Record<string, unknown>);
  const allowOverlappingRanges =
    args.allowOverlappingRanges === undefined
      ? false
      : parseBoolean("allowOverlappingRanges", args.allowOverlappingRanges);
  const networks = parseNetworks(args.networks, { allowOverlappingRanges });
  const ipam = parseIpamList(args.ipam, networks);
  const warnings: string[] = [];
  const chart = parseChart(args.chart, args.repositoryCredentials === true, warnings);
  refuseNoNodes(pinned, nodes.length, args.nodes);
  const cleanupOnDestroy = parseCleanup(args.cleanupOnDestroy, nodes.length, overrides);
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
export function checkCleanupDir(field: "cniBinDir" | "cniConfDir", dir: string | undefined): void {
  if (dir !== undefined && pathDepth(dir) < 2) {
    throw new MultusError(
      field,
      dir,
      "expected a CNI directory at least two levels below / (e.g. /opt/cni/bin), which the node clean-up can remove files from; or set cleanupOnDestroy to false",
      "is too close to / for the node clean-up",
    );
  }
}

/** The part of the inputs that decides which children exist, validated. */
export interface Shape {
  readonly nodes: readonly NodeShape[];
  readonly networks: readonly NetworkShape[];
  readonly chartVersion: ChartVersion;
  /** The rke2-multus-crd version installed first, where the chart version has one. */
  readonly crdChartVersion?: string;
  readonly k3sVersion?: K3sVersion;
  readonly k3sDataDir?: string;
  readonly overrides: LayoutOverrides;
  /** The IPAM plugins asked for (`ipam`); the networks may add theirs. */
  readonly ipam: readonly IpamPlugin[];
  readonly cleanupOnDestroy: boolean;
  /** True when pinned facts make detection unnecessary. */
  readonly pinned: boolean;
  /** True when a kubeconfig is given (the component then makes its own Kubernetes provider). */
  readonly kubeconfig: boolean;
}

/**
 * The shape's inputs: the component's inputs as given, where the values only known at deployment
 * (a node's host from an Output) are {@link DEFERRED}. Everything else in them is ignored.
 */
export type ShapeArgs = Record<string, unknown>;

function parsePinnedFacts(args: Record<string, unknown>) {
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
  const pinned =
    k3sVersion !== undefined || (overrides.cniBinDir !== undefined && overrides.cniConfDir !== undefined);
  return { k3sVersion, k3sDataDir, overrides, pinned };
}

function parseAskedIpam(value: unknown): IpamPlugin[] {
  return value === undefined
    ? []
    : parseList("ipam", value, 3).map((p, i) => parseOneOf(`ipam[${i}]`, p, IPAM_PLUGINS));
}

/** cleanupOnDestroy with its default, checked against the node count and the CNI dirs. */
function parseCleanup(value: unknown, nodeCount: number, overrides: LayoutOverrides): boolean {
  const cleanupOnDestroy = value === undefined ? nodeCount > 0 : parseBoolean("cleanupOnDestroy", value);
  if (cleanupOnDestroy && nodeCount === 0) {
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
  return cleanupOnDestroy;
}

function refuseNoNodes(pinned: boolean, nodeCount: number, nodes: unknown): void {
  if (!pinned && nodeCount === 0) {
    throw new MultusError(
      "nodes",
      nodes,
      "give nodes to detect K3s on, or pin k3sVersion (or both cniBinDir and cniConfDir)",
      "is empty",
    );
  }
}

/**
 * Checks the shape at once, before anything is known about the nodes or the networks' data: the
 * same rules, and messages, as {@link validateInputs} for the same fields. Throws {@link MultusError}.
 */
export function validateShape(input: ShapeArgs): Shape {
  const given: unknown = input;
  if (typeof given !== "object" || given === null || Array.isArray(given))
    throw new MultusError("inputs", HIDDEN, "expected an object of Multus inputs");
  refuseUnknownInputs(input);
  const nodes = parseNodeShapes(input.nodes);
  const { k3sVersion, k3sDataDir, overrides, pinned } = parsePinnedFacts(input);
  const networks = parseNetworkShapes(input.networks);
  const ipam = parseAskedIpam(input.ipam);
  if (Array.isArray(input.chart)) throw new MultusError("chart", HIDDEN, "expected an object");
  const chart = input.chart === undefined ? {} : parseRecord("chart", input.chart);
  const chartVersion = parseChartVersion(chart.version ?? DEFAULT_CHART_VERSION);
  refuseNoNodes(pinned, nodes.length, input.nodes);
  const cleanupOnDestroy = parseCleanup(input.cleanupOnDestroy, nodes.length, overrides);
  return {
    nodes,
    networks,
    chartVersion,
    crdChartVersion: crdChartVersion(chartVersion),
    k3sVersion,
    k3sDataDir,
    overrides,
    ipam,
    cleanupOnDestroy,
    pinned,
    kubeconfig: input.kubeconfig !== undefined,
  };
}

/** The chart settings and the IPAM plugins: what the releases' values take besides the layout. */
export interface ChartInputs {
  readonly chart: ChartSettings;
  readonly ipam: readonly IpamPlugin[];
  readonly warnings: readonly string[];
}

/**
 * Validates the chart settings (credentials removed, `repositoryCredentials` telling whether there
 * were any) and merges the IPAM plugins asked for with those of the networks (`networks`: each
 * network's `ipam` and `config`, see {@link ipamTypeOf}). Checks the values before any node is
 * contacted, as {@link validateInputs} does.
 */
export function validateChartInputs(
  shape: Shape,
  chart: unknown,
  repositoryCredentials: boolean,
  networks: readonly unknown[],
): ChartInputs {
  const warnings: string[] = [];
  const settings = parseChart(chart, repositoryCredentials, warnings);
  const used = new Set<string>([...shape.ipam, ...networks.map((n) => ipamTypeOf(n) ?? "")]);
  const ipam = IPAM_PLUGINS.filter((p) => used.has(p));
  precheckValues(settings, ipam, shape.overrides);
  return { chart: settings, ipam, warnings };
}

/** What `k3s-multus render` takes on the command line: each overrides the same input. */
export interface PinnedFactArgs {
  readonly k3sVersion?: string;
  readonly k3sDataDir?: string;
  readonly cniBinDir?: string;
  readonly cniConfDir?: string;
}

/**
 * The planning core's arguments from a MultusArgs-like record (resolved): credentials removed (and
 * type-checked), `repositoryCredentials` set when the chart had any, `facts` over the same keys.
 * The component and `k3s-multus render` both build them here.
 */
export function planArgsOf(args: Record<string, unknown>, facts: PinnedFactArgs = {}): PlanArgs {
  return {
    nodes: stripNodeCredentials(args.nodes),
    chart: stripChartCredentials(args.chart),
    repositoryCredentials: hasChartCredentials(args.chart),
    k3sVersion: facts.k3sVersion ?? args.k3sVersion,
    k3sDataDir: facts.k3sDataDir ?? args.k3sDataDir,
    cniBinDir: facts.cniBinDir ?? args.cniBinDir,
    cniConfDir: facts.cniConfDir ?? args.cniConfDir,
    ipam: args.ipam,
    networks: args.networks,
    cleanupOnDestroy: args.cleanupOnDestroy,
    allowOverlappingRanges: args.allowOverlappingRanges,
  };
}
