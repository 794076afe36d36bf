/**
 * Offline render: what the Multus component applies for a set of inputs and pinned K3s facts, as
 * Kubernetes manifests and Helm values, through the planning core the component uses
 * (validateInputs → pinnedLayout → planFor). Pure: no Pulumi, no I/O.
 */
import { HIDDEN, SECRET } from "./plan/placeholders";
import { MultusError } from "./errors";
import { ChartInstall } from "./plan/chart";
import { INPUT_KEYS, refuseUnknownInputs } from "./plan/inputKeys";
import { CniLayout, DEFAULT_DATA_DIR, pinnedLayout } from "./plan/layout";
import { hasChartCredentials } from "./plan/credentials";
import { PinnedFactArgs, planArgsOf } from "./plan/inputs";
import { MultusPlan, planFor, ValidatedInputs, validateInputs } from "./plan/plan";
import { stableJson, stableYaml } from "./plan/stable";

export { INPUT_KEYS };

/** Pinned K3s facts given on the command line; each overrides the same key of the inputs file. */
export type PinnedFacts = PinnedFactArgs;

/** The result of rendering: the validated inputs and the plan the component would apply. */
export interface Rendered {
  readonly inputs: ValidatedInputs;
  readonly plan: MultusPlan;
  /** True when the inputs carried chart repository credentials (never rendered). */
  readonly repositoryCredentials: boolean;
}

/** The inputs file's top level: a mapping of MultusArgs keys; never echoes values (they may be credentials). */
function inputsRecord(file: unknown): Record<string, unknown> {
  if (file === undefined || file === null) return {};
  if (typeof file !== "object" || Array.isArray(file)) {
    throw new MultusError(
      "inputs",
      HIDDEN,
      `expected a mapping of the component's inputs (${INPUT_KEYS.join(", ")})`,
    );
  }
  const args = file as Record<string, unknown>;
  refuseUnknownInputs(args);
  if (args.kubeconfig !== undefined && typeof args.kubeconfig !== "string") {
    throw new MultusError("kubeconfig", SECRET, "expected a string", "has the wrong type");
  }
  if (args.redetect !== undefined && typeof args.redetect !== "string") {
    throw new MultusError("redetect", args.redetect, "expected a string");
  }
  return args;
}

/** The error of a render without pinned K3s facts: it names the flags to pass. */
function offlineFacts(): MultusError {
  return new MultusError(
    "k3sVersion",
    undefined,
    "pass --k3s-version (or both --cni-bin-dir and --cni-conf-dir): an offline render cannot detect K3s on the nodes",
    "is required to render offline",
  );
}

/**
 * Validates the inputs (file contents, then pinned facts over them) and plans them for the pinned
 * layout, exactly as the component does when its facts are pinned. Throws {@link MultusError}.
 * `kubeconfig` and `redetect` are checked and ignored; credentials never reach the result.
 */
export function renderPlan(file: unknown, facts: PinnedFacts = {}): Rendered {
  const args = inputsRecord(file);
  const planArgs = planArgsOf(args, facts);
  let inputs: ValidatedInputs;
  try {
    inputs = validateInputs(planArgs);
  } catch (e) {
    // Without nodes the component asks for nodes or pinned facts; offline only the facts can help.
    if (e instanceof MultusError && e.field === "nodes" && e.detail === "is empty") throw offlineFacts();
    throw e;
  }
  if (!inputs.pinned) throw offlineFacts();
  const layout = pinnedLayout({ version: inputs.k3sVersion, dataDir: inputs.k3sDataDir }, inputs.overrides);
  return { inputs, plan: planFor(inputs, layout), repositoryCredentials: hasChartCredentials(args.chart) };
}

/**
 * A NetworkAttachmentDefinition as the component registers it: the one manifest for both (the
 * component's config is an Output, render's is text).
 */
export function nadManifest<C>(n: { readonly name: string; readonly namespace: string; readonly config: C }) {
  return {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    metadata: { name: n.name, namespace: n.namespace },
    spec: { config: n.config },
  };
}

/**
 * A K3s HelmChart (helm.cattle.io/v1) installing one chart of the plan with its values: what the
 * component installs as a Helm release, in the form the K3s documentation uses.
 */
export function helmChartManifest(install: ChartInstall, inputs: ValidatedInputs): Record<string, unknown> {
  const repository = inputs.chart.repository;
  const oci = repository.startsWith("oci://");
  const spec: Record<string, unknown> = {
    chart: oci ? `${repository.replace(/\/+$/, "")}/${install.chart}` : install.chart,
    version: install.version,
    targetNamespace: inputs.chart.namespace,
    timeout: `${inputs.chart.timeout}s`,
    valuesContent: stableYaml(install.values),
  };
  if (!oci) spec.repo = repository;
  return {
    apiVersion: "helm.cattle.io/v1",
    kind: "HelmChart",
    metadata: { name: install.releaseName, namespace: "kube-system" },
    spec,
  };
}

/** What to print. */
export type RenderPart = "all" | "values" | "manifests";
export type RenderFormat = "yaml" | "json";

export interface FormatOptions {
  readonly part?: RenderPart;
  readonly format?: RenderFormat;
  /** With part `values`: the chart whose values to print. @default "rke2-multus" */
  readonly chart?: string;
}

/** The values of one chart of the plan; a {@link MultusError} when the plan does not install it. */
export function chartValues(plan: MultusPlan, chart = "rke2-multus"): Record<string, unknown> {
  const found = plan.charts.find((c) => c.chart === chart);
  if (!found) {
    throw new MultusError(
      "--chart",
      chart,
      `expected one of the charts this plan installs: ${plan.charts.map((c) => c.chart).join(", ")}`,
      "is not installed by this chart version",
    );
  }
  return found.values;
}

function header(r: Rendered): string {
  const { inputs, plan } = r;
  const layout: CniLayout = plan.layout;
  const k3s = inputs.k3sVersion
    ? `K3s ${inputs.k3sVersion.tag}, data dir ${inputs.k3sDataDir ?? DEFAULT_DATA_DIR}`
    : "K3s version not pinned (CNI dirs given)";
  const lines = [
    "# k3s-multus render: what the Multus component applies for these inputs.",
    `# ${k3s}`,
    `# CNI bin dir:  ${layout.binDir}`,
    `# CNI conf dir: ${layout.confDir}`,
    "# Charts, in install order:",
    ...plan.charts.map(
      (c, i) =>
        `#   ${i + 1}. ${c.chart} ${c.version} as release ${c.releaseName} in ${inputs.chart.namespace}`,
    ),
  ];
  if (r.repositoryCredentials) lines.push("# Repository credentials are not rendered.");
  const annotation = Object.entries(plan.podAnnotations);
  if (annotation.length) {
    lines.push("# Pod annotation attaching every network:");
    for (const [k, v] of annotation) lines.push(`#   ${k}: ${v}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The documents of a render, in apply order: one HelmChart per chart, then the NADs. */
export function renderDocuments(r: Rendered, part: "all" | "manifests" = "all"): Record<string, unknown>[] {
  const nads = r.plan.networks.map(nadManifest);
  if (part === "manifests") return nads;
  return [...r.plan.charts.map((c) => helmChartManifest(c, r.inputs)), ...nads];
}

/** Formats a render. Same render and options → same bytes. */
export function formatRender(r: Rendered, options: FormatOptions = {}): string {
  const part = options.part ?? "all";
  const format = options.format ?? "yaml";
  if (part === "values") {
    const values = chartValues(r.plan, options.chart);
    return format === "json" ? `${stableJson(values)}\n` : stableYaml(values);
  }
  const docs = renderDocuments(r, part);
  if (format === "json") return `${stableJson({ apiVersion: "v1", kind: "List", items: docs })}\n`;
  const body = docs.map((d) => `---\n${stableYaml(d)}`).join("");
  return part === "all" ? `${header(r)}${body}` : body;
}
