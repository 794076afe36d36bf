/**
 * The Multus ComponentResource. Its shape (the node and network lists, names, chart version, pinned
 * facts, IPAM list, cleanupOnDestroy) is plain: it is validated at once and turned by the pure
 * `topology` into the children, which are all registered in the constructor. Only their data waits:
 * on detection, and on the check of every input (wiring/gate.ts), so a preview with an unknown
 * input still shows every child, with every value that does not depend on that input.
 *
 * Inputs whose shape itself arrives as an Output (a list made secret as a whole, as Construct may
 * deliver it, or a JavaScript caller's Output) fall back to registering the children once that
 * shape is known (docs/provider.md: which form gives a complete preview).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartArgs, MultusArgs, NodeArgs } from "./args";
import { NetworkArgs } from "./networkArgs";
import { ownerId } from "./node/scripts";
import { stripChartCredentials, hasChartCredentials } from "./plan/credentials";
import { parseDetection } from "./plan/detection";
import { DEFERRED } from "./plan/nodes";
import { MultusError } from "./errors";
import { refuseUnknownInputs } from "./plan/inputKeys";
import {
  ChartInputs,
  planArgsOf,
  Shape,
  validateChartInputs,
  validateInputs,
  validateShape,
} from "./plan/inputs";
import { clusterLayout, CniLayout, nodeLayout, pinnedLayout } from "./plan/layout";
import { annotationOf } from "./plan/networks";
import { annotationsOf, cleanupLayout, planChartsFor } from "./plan/plan";
import { topology } from "./plan/topology";
import { usesCrdChart } from "./plan/chart";
import { ReleaseStatus, releaseStatusOf } from "./releaseStatus";
import { installCharts } from "./wiring/charts";
import { gate, hold } from "./wiring/gate";
import { asResourceError, recordSecrets, validatedInputs } from "./wiring/inputs";
import { createNetworks, nadConfig } from "./wiring/networks";
import { claimNode, cleanupNode, detectNode, NodeWiring } from "./wiring/nodes";

import { SHAPE_KEYS } from "./constructInputs";

export { plainShapeInputs } from "./constructInputs";

/** The component's type token. */
export const MULTUS_TYPE = "k3s-multus:index:Multus";

/** The component's outputs, as the wiring hands them back. */
interface Wired {
  readonly k3sVersions: pulumi.Output<{ [key: string]: string }>;
  readonly cniBinDir: pulumi.Output<string>;
  readonly cniConfDir: pulumi.Output<string>;
  readonly chartVersion: pulumi.Output<string>;
  readonly chartValues: pulumi.Output<Record<string, unknown>>;
  readonly releaseStatus: pulumi.Output<string>;
  readonly status: pulumi.Output<ReleaseStatus>;
  readonly networkNames: pulumi.Output<string[]>;
  readonly networkAnnotations: pulumi.Output<{ [key: string]: string }>;
  readonly podAnnotations: pulumi.Output<{ [key: string]: string }>;
}

/**
 * The component's owner id (ownerId of its URN) as an Output that carries no dependency on the
 * component: a resource that depends on a component waits for all of the component's children,
 * and the releases (children) depend on the clean-up Commands that take this id, a cycle.
 */
function ownerOf(component: pulumi.ComponentResource): pulumi.Output<string> {
  return pulumi.output(
    new Promise<string>((resolve) => {
      component.urn.apply((urn) => resolve(ownerId(urn)));
    }),
  );
}

/**
 * Multus CNI on a K3s cluster: detects each node's K3s over SSH (or takes pinned facts), installs
 * the rke2-multus chart with values for exactly that K3s, creates the NetworkAttachmentDefinitions,
 * and on destroy removes from the nodes what the chart leaves behind.
 */
export class Multus extends pulumi.ComponentResource {
  /** K3s version detected on each node, by host; empty when the facts are pinned. */
  public readonly k3sVersions: pulumi.Output<{ [key: string]: string }>;
  /** The CNI bin dir Multus and the IPAM plugins were installed into. */
  public readonly cniBinDir: pulumi.Output<string>;
  /** The CNI conf dir holding the master config and `00-multus.conflist`. */
  public readonly cniConfDir: pulumi.Output<string>;
  /** The rke2-multus chart version installed. */
  public readonly chartVersion: pulumi.Output<string>;
  /** The rke2-multus values applied (what the K3s docs call `multus-values.yaml`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form chart values (schema: Any)
  public readonly chartValues: pulumi.Output<{ [key: string]: any }>;
  /** Helm's status of the rke2-multus release, e.g. `deployed`. */
  public readonly releaseStatus: pulumi.Output<string>;
  /** Helm's status of the rke2-multus release: name, namespace, revision, chart version and status. */
  public readonly status: pulumi.Output<ReleaseStatus>;
  /** Names of the NetworkAttachmentDefinitions, in the order given. */
  public readonly networkNames: pulumi.Output<string[]>;
  /** Network name → `namespace/name@interface`, for pod annotations. */
  public readonly networkAnnotations: pulumi.Output<{ [key: string]: string }>;
  /** `{"k8s.v1.cni.cncf.io/networks": "..."}` attaching every network, ready for a pod template. */
  public readonly podAnnotations: pulumi.Output<{ [key: string]: string }>;

  constructor(name: string, args?: MultusArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MULTUS_TYPE, name, {}, opts);
    const given: MultusArgs = args ?? {};
    const secrets = recordSecrets(this, given);
    const wired = shapeIsPlain(given)
      ? wire(this, name, plainView(given), secrets)
      : flatten(lifted(given, secrets).apply((view) => wire(this, name, view, secrets)));
    this.k3sVersions = wired.k3sVersions;
    this.cniBinDir = wired.cniBinDir;
    this.cniConfDir = wired.cniConfDir;
    this.chartVersion = wired.chartVersion;
    this.chartValues = wired.chartValues;
    this.releaseStatus = wired.releaseStatus;
    this.status = wired.status;
    this.networkNames = wired.networkNames;
    this.networkAnnotations = wired.networkAnnotations;
    this.podAnnotations = wired.podAnnotations;
    this.registerOutputs(multusOutputs(this));
  }
}

/** The component's outputs by name: what it registers, and what the provider returns from Construct. */
export function multusOutputs(m: Multus): Record<string, pulumi.Output<unknown>> {
  return {
    k3sVersions: m.k3sVersions,
    cniBinDir: m.cniBinDir,
    cniConfDir: m.cniConfDir,
    chartVersion: m.chartVersion,
    chartValues: m.chartValues,
    releaseStatus: m.releaseStatus,
    status: m.status,
    networkNames: m.networkNames,
    networkAnnotations: m.networkAnnotations,
    podAnnotations: m.podAnnotations,
  };
}

/** The inputs as the wiring reads them: the shape plain, each node's and network's data as an Input. */
interface View {
  /** The shape's inputs, plain ({@link DEFERRED} for a node's host that is an Output). */
  readonly shape: Record<string, unknown>;
  readonly nodes: readonly pulumi.Input<NodeArgs>[];
  readonly networks: readonly pulumi.Input<NetworkArgs>[];
  readonly chart: pulumi.Input<ChartArgs> | undefined;
  /** Each node's host: plain where known at once. */
  readonly hosts: readonly pulumi.Input<string>[];
  /** The inputs as given (the check, redetect, kubeconfig). */
  readonly args: MultusArgs;
}

/**
 * True for a value only known later: an Output, a promise, or the SDK's unknown sentinel (what
 * Construct's deserialization leaves inside a plain list for an unknown sent without output values).
 */
const isOutput = (v: unknown): boolean =>
  pulumi.Output.isInstance(v) || v instanceof Promise || pulumi.isUnknown(v);

/** True when every part of the shape is plain (not an Output or a promise), so the children can be registered at once. */
function shapeIsPlain(args: MultusArgs): boolean {
  const a = args as Record<string, unknown>;
  if (isOutput(a)) return false;
  for (const key of SHAPE_KEYS) {
    if (isOutput(a[key])) return false;
  }
  const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  if (items(a.ipam).some(isOutput)) return false;
  for (const n of items(a.nodes)) {
    if (isOutput(n) || isOutput((n as Record<string, unknown> | null)?.name)) return false;
  }
  for (const n of items(a.networks)) {
    const r = n as Record<string, unknown> | null;
    if (isOutput(n) || isOutput(r?.name) || isOutput(r?.namespace)) return false;
  }
  const chart = a.chart as Record<string, unknown> | undefined | null;
  return !isOutput(chart?.version);
}

/** The view of inputs whose shape is plain: every node and network object passes straight through. */
function plainView(args: MultusArgs): View {
  const nodes = Array.isArray(args.nodes) ? args.nodes : [];
  const networks = Array.isArray(args.networks) ? args.networks : [];
  const shapeNodes = Array.isArray(args.nodes)
    ? args.nodes.map((n: unknown) => {
        // A plain-JS caller may put anything in the list; validateShape says what is wrong.
        if (typeof n !== "object" || n === null) return n;
        const node = n as Record<string, unknown>;
        return isOutput(node.host) ? { ...node, host: DEFERRED } : node;
      })
    : args.nodes;
  return {
    shape: { ...(args as Record<string, unknown>), nodes: shapeNodes },
    nodes,
    networks,
    chart: args.chart,
    hosts: nodes.map((n) => (n as NodeArgs | undefined)?.host ?? ""),
    args,
  };
}

/**
 * The fallback view: the shape's Outputs resolved (after the secrets are recorded, for the error
 * messages); each node's and network's data taken from its list's Output, so it stays as secret
 * as the list was.
 */
function lifted(args: MultusArgs, secrets: pulumi.Output<number>): pulumi.Output<View> {
  const nodes = pulumi.output(args.nodes as pulumi.Input<NodeArgs[]> | undefined);
  const networks = pulumi.output(args.networks as pulumi.Input<NetworkArgs[]> | undefined);
  const resolved = pulumi.all([pulumi.unsecret(pulumi.output(args as Record<string, unknown>)), secrets]);
  return resolved.apply(([a]): View => {
    const nodeList = Array.isArray(a.nodes) ? (a.nodes as unknown[]) : [];
    const networkList = Array.isArray(a.networks) ? (a.networks as unknown[]) : [];
    return {
      shape: a,
      nodes: nodeList.map((_, i) => nodes.apply((l) => (l ?? [])[i]) as pulumi.Output<NodeArgs>),
      networks: networkList.map((_, i) => networks.apply((l) => (l ?? [])[i]) as pulumi.Output<NetworkArgs>),
      chart: args.chart,
      hosts: nodeList.map((n) => {
        const host = (n as Record<string, unknown> | null)?.host;
        return typeof host === "string" ? host : "";
      }),
      args,
    };
  });
}

/** The outputs of a wiring that ran inside an apply (the fallback). */
function flatten(w: pulumi.Output<Wired>): Wired {
  return {
    k3sVersions: w.apply((x) => x.k3sVersions),
    cniBinDir: w.apply((x) => x.cniBinDir),
    cniConfDir: w.apply((x) => x.cniConfDir),
    chartVersion: w.apply((x) => x.chartVersion),
    chartValues: w.apply((x) => x.chartValues),
    releaseStatus: w.apply((x) => x.releaseStatus),
    status: w.apply((x) => x.status),
    networkNames: w.apply((x) => x.networkNames),
    networkAnnotations: w.apply((x) => x.networkAnnotations),
    podAnnotations: w.apply((x) => x.podAnnotations),
  };
}

/**
 * Some fields of a network, as an Output that waits on those fields only: a plain network object's
 * other fields (a `master` unknown in a preview) do not hold them back.
 */
function fieldsOf<K extends keyof NetworkArgs>(
  network: pulumi.Input<NetworkArgs>,
  keys: readonly K[],
): pulumi.Output<pulumi.Unwrap<Pick<NetworkArgs, K>>> {
  if (pulumi.Output.isInstance(network) || network instanceof Promise) {
    return pulumi
      .output(network)
      .apply((n) => Object.fromEntries(keys.map((k) => [k, (n as Record<string, unknown>)[k]]))) as never;
  }
  const n = network;
  const picked: Partial<NetworkArgs> = Object.fromEntries(keys.map((k) => [k, n[k]]));
  return pulumi.output(picked) as never;
}

/** Layouts: the cluster's, and each node's own (what its clean-up removes files from). */
interface Layouts {
  readonly cluster: pulumi.Output<CniLayout>;
  readonly nodes: readonly pulumi.Output<CniLayout>[];
  readonly k3sVersions: pulumi.Output<Record<string, string>>;
}

/** The layouts from pinned facts (known at once) or from each node's detection Command. */
function layoutsOf(
  component: Multus,
  shape: Shape,
  view: View,
  children: ReturnType<typeof topology>["nodes"],
  wirings: readonly NodeWiring[],
): Layouts {
  if (shape.pinned) {
    const pinned = asResourceError(component, () =>
      pinnedLayout({ version: shape.k3sVersion, dataDir: shape.k3sDataDir }, shape.overrides),
    );
    const cluster = pulumi.output(pinned);
    const checked = pulumi.output(asResourceError(component, () => cleanupLayout(shape, pinned)));
    return {
      cluster,
      nodes: children.map(() => checked),
      k3sVersions: pulumi.output<Record<string, string>>({}),
    };
  }
  const detect = children.map((c, i) =>
    detectNode(c.detect as string, wirings[i], shape.k3sDataDir, view.args.redetect),
  );
  const facts = detect.map((d, i) =>
    pulumi
      .all([d.stdout, view.hosts[i]])
      .apply(([stdout, host]) => asResourceError(component, () => parseDetection(host, stdout))),
  );
  const nodes = facts.map((o) =>
    o.apply((f) => asResourceError(component, () => cleanupLayout(shape, nodeLayout(f, shape.overrides)))),
  );
  const all = pulumi.all(facts);
  return {
    cluster: all.apply((f) => asResourceError(component, () => clusterLayout(f, shape.overrides))),
    nodes,
    k3sVersions: all.apply((f) => Object.fromEntries(f.map((n) => [n.host, n.version.tag] as const))),
  };
}

/** True when nothing in the value is an Output or a promise. */
function isPlainData(value: unknown): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (isOutput(item.v)) return false;
    if (typeof item.v === "object" && item.v !== null && item.depth < 64)
      for (const x of Object.values(item.v as Record<string, unknown>))
        stack.push({ v: x, depth: item.depth + 1 });
  }
  return true;
}

/**
 * The validated shape. When it is refused and the inputs are plain data throughout, the error is
 * the one the full check (and `k3s-multus render`) gives first, which may be about a field checked
 * before the shape's (a network's data before cleanupOnDestroy): the same inputs, the same error.
 */
function shapeOf(view: View): Shape {
  try {
    return validateShape(view.shape);
  } catch (e) {
    if (e instanceof MultusError && isPlainData(view.args)) {
      const args = view.args as Record<string, unknown>;
      refuseUnknownInputs(args);
      validateInputs(planArgsOf(args));
    }
    throw e;
  }
}

/**
 * Registers the children of the validated shape: detection Commands (unless pinned), the clean-up
 * Commands, the releases, the ownership records and the NADs. Everything derived from node facts
 * waits on detection, so a node that fails detection leaves no release or NAD behind; every child's
 * data is gated on the check of all inputs. Creation runs in that order and destruction in
 * reverse: NADs, releases, then the clean-up of what the chart left.
 */
function wire(component: Multus, name: string, view: View, secrets: pulumi.Output<number>): Wired {
  const shape = asResourceError(component, () => shapeOf(view));
  const topo = topology(name, shape);
  const check = validatedInputs(component, view.args, secrets);
  const parent = { parent: component };
  const k8sOpts: pulumi.CustomResourceOptions = { ...parent };
  if (topo.k8sProvider !== undefined) {
    k8sOpts.provider = new k8s.Provider(
      topo.k8sProvider,
      { kubeconfig: pulumi.secret(hold(view.args.kubeconfig as pulumi.Input<string>, check)) },
      parent,
    );
  }
  const wirings: NodeWiring[] = view.nodes.map((node) => ({ node, check, parent: component }));
  const layouts = layoutsOf(component, shape, view, topo.nodes, wirings);
  // The chart settings and the IPAM list: the chart input and each network's IPAM, nothing else.
  const ipamSources = view.networks.map((n) => fieldsOf(n, ["ipam", "config"]));
  const chartInputs: pulumi.Output<ChartInputs> = pulumi.unsecret(
    pulumi
      .all([hold(pulumi.output(view.chart), check), hold(pulumi.all(ipamSources), check), secrets])
      .apply(([chart, ipams]) =>
        asResourceError(component, () =>
          validateChartInputs(shape, stripChartCredentials(chart), hasChartCredentials(chart), ipams),
        ),
      ),
  );
  const versions = shape.pinned
    ? pulumi.output(shape.k3sVersion ? [shape.k3sVersion.tag] : [])
    : layouts.k3sVersions.apply((v) => Object.values(v));
  const plan = pulumi
    .all([chartInputs, layouts.cluster, versions])
    .apply(([ci, l, v]) => asResourceError(component, () => planChartsFor(ci, cleanupLayout(shape, l), v)));
  const owner = ownerOf(component);
  const whereabouts = chartInputs.apply((ci) => ci.ipam.includes("whereabouts"));
  const cleanups = topo.nodes.map((c, i) =>
    cleanupNode(c.cleanup, wirings[i], layouts.nodes[i], whereabouts, shape.cleanupOnDestroy, owner),
  );
  const releases = installCharts(
    {
      releases: topo.releases,
      inputs: chartInputs,
      plan,
      chartArgs: view.chart,
      check,
      skipCrds: !usesCrdChart(shape.chartVersion),
    },
    k8sOpts,
    cleanups,
  );
  topo.nodes.forEach((c, i) => {
    if (c.claim !== undefined) claimNode(c.claim, wirings[i], layouts.nodes[i], owner, releases.all);
  });
  const configs = topo.nads.map((_, i) =>
    nadConfig(component, i, view.networks[i], layouts.cluster, check, secrets),
  );
  const nads = createNetworks(topo.nads, configs, { ...k8sOpts, dependsOn: [...releases.all] });
  // One barrier for the three outputs a pod takes: they carry a dependency on every release and
  // NAD, so a Deployment taking them starts after Multus is the nodes' CNI. The URNs are known in
  // a preview, so this does not make a known value unknown.
  const barrier = pulumi.all([...releases.all, ...nads].map((r) => r.urn));
  const after = <T>(value: pulumi.Output<T>): pulumi.Output<T> =>
    // The value goes into the same `all` as the URNs, so that a failing value fails the output at
    // once: a resource that never registers (because the value failed) never resolves its URN.
    pulumi.all([value, barrier]).apply(([v]) => v) as pulumi.Output<T>;
  const interfaces = pulumi.all(view.networks.map((n) => gate(fieldsOf(n, ["interface"]).interface, check)));
  const annotations = pulumi.all([gate(plan, check), interfaces]).apply(([, ifaces]) =>
    annotationsOf(
      topo.nads.map((nad, i) => ({
        name: nad.network,
        annotation: annotationOf(nad.namespace, nad.network, ifaces[i]),
      })),
    ),
  );
  return {
    k3sVersions: gate(layouts.k3sVersions, check),
    cniBinDir: gate(layouts.cluster.binDir, check),
    cniConfDir: gate(layouts.cluster.confDir, check),
    chartVersion: gate(pulumi.output(shape.chartVersion.text), check),
    chartValues: gate(releases.values, check) as unknown as pulumi.Output<Record<string, unknown>>,
    releaseStatus: releases.multus.status.status,
    status: releaseStatusOf(releases.multus),
    networkNames: after(
      gate(
        plan.apply(() => topo.nads.map((n) => n.network)),
        check,
      ),
    ),
    networkAnnotations: after(annotations.apply((a) => a.networkAnnotations)),
    podAnnotations: after(annotations.apply((a) => a.podAnnotations)),
  };
}
