import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MultusArgs } from "./args";
import { parseDetection } from "./plan/detection";
import { clusterLayout, CniLayout, nodeLayout, pinnedLayout } from "./plan/layout";
import { cleanupLayout, MultusPlan, planFor, ValidatedInputs } from "./plan/plan";
import { ReleaseStatus, releaseStatusOf } from "./releaseStatus";
import { installCharts } from "./wiring/charts";
import { asResourceError, validatedInputs } from "./wiring/inputs";
import { createNetworks } from "./wiring/networks";
import { ownerId } from "./node/scripts";
import { claimNode, cleanupNode, detectNode, liftNodes } from "./wiring/nodes";

/** The component's type token. */
export const MULTUS_TYPE = "k3s-multus:index:Multus";

/** What the wiring hands back to the component's outputs. */
interface Wired {
  readonly k3sVersions: pulumi.Output<{ [key: string]: string }>;
  readonly layout: pulumi.Output<CniLayout>;
  readonly plan: pulumi.Output<MultusPlan>;
  readonly releaseStatus: pulumi.Output<string>;
  readonly status: pulumi.Output<ReleaseStatus>;
  /** The rke2-multus values as the release received them (secret where the user's values are). */
  readonly chartValues: pulumi.Output<Record<string, unknown>>;
  /** The releases and NADs: what a pod attaching the networks needs to exist first. */
  readonly installed: readonly pulumi.CustomResource[];
}

/**
 * `value`, carrying a dependency on `resources`: a resource that takes it as an input (a
 * Deployment taking `podAnnotations`) is created after them. Without that, a pod could start
 * before Multus is the node's CNI and would silently come up without its secondary networks.
 * The URNs are known in a preview, so this does not make a known value unknown.
 */
function after<T>(value: pulumi.Output<T>, resources: readonly pulumi.Resource[]): pulumi.Output<T> {
  // The value goes into the same `all` as the URNs, so that a failing value fails the output at
  // once: a resource that never registers (because the value failed) never resolves its URN.
  const urns = pulumi.all(resources.map((r) => r.urn));
  return pulumi.all([value, urns]).apply(([v]) => v) as pulumi.Output<T>;
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

  constructor(name: string, args: MultusArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MULTUS_TYPE, name, {}, opts);
    // A plain-JS or YAML caller may give no args at all.
    const given = (args as MultusArgs | undefined) ?? {};
    const inputs = validatedInputs(this, given);
    const wired = inputs.apply((v) => wire(this, name, v, given));
    const layout = wired.apply((w) => w.layout);
    this.k3sVersions = wired.apply((w) => w.k3sVersions);
    this.cniBinDir = layout.binDir;
    this.cniConfDir = layout.confDir;
    this.chartVersion = inputs.chart.version.text;
    this.chartValues = wired.apply((w) => w.chartValues);
    this.releaseStatus = wired.apply((w) => w.releaseStatus);
    this.status = wired.apply((w) => w.status);
    this.networkNames = wired.apply((w) =>
      after(
        w.plan.apply((p) => p.networks.map((n) => n.name)),
        w.installed,
      ),
    );
    this.networkAnnotations = wired.apply((w) => after(w.plan.networkAnnotations, w.installed));
    this.podAnnotations = wired.apply((w) => after(w.plan.podAnnotations, w.installed));
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

/**
 * Creates the children once the inputs are valid: detection commands (unless pinned), the
 * clean-up commands, the releases and the NADs. Everything derived from node facts waits on
 * detection, so a node that fails detection leaves no release or NAD behind. Creation runs in that
 * order and destruction in reverse: NADs, releases, then the clean-up of what the chart left.
 */
function wire(component: Multus, name: string, v: ValidatedInputs, args: MultusArgs): Wired {
  const parent = { parent: component };
  const nodeList = liftNodes(args.nodes);
  let layout: pulumi.Output<CniLayout>;
  /** Per node: the dirs its clean-up removes files from (its own detection only; see cleanupLayout). */
  let nodeLayouts: pulumi.Output<CniLayout>[];
  let k3sVersions: pulumi.Output<{ [key: string]: string }>;
  if (v.pinned) {
    layout = pulumi.output(
      asResourceError(component, () =>
        pinnedLayout({ version: v.k3sVersion, dataDir: v.k3sDataDir }, v.overrides),
      ),
    );
    k3sVersions = pulumi.output<Record<string, string>>({});
    const checked = layout.apply((l) => asResourceError(component, () => cleanupLayout(v, l)));
    nodeLayouts = v.nodes.map(() => checked);
  } else {
    const outputs = v.nodes.map((node, i) =>
      detectNode(name, node, i, nodeList, v.k3sDataDir, args.redetect, component).stdout.apply((stdout) =>
        asResourceError(component, () => parseDetection(node.host, stdout)),
      ),
    );
    nodeLayouts = outputs.map((o) =>
      o.apply((f) => asResourceError(component, () => cleanupLayout(v, nodeLayout(f, v.overrides)))),
    );
    const facts = pulumi.all(outputs);
    layout = facts.apply((f) => asResourceError(component, () => clusterLayout(f, v.overrides)));
    k3sVersions = facts.apply((f) => Object.fromEntries(f.map((n) => [n.host, n.version.tag] as const)));
  }
  // Pinned facts: planFor takes the pinned k3sVersion; detected: every node's version.
  const plan = pulumi
    .all([layout, k3sVersions])
    .apply(([l, versions]) =>
      asResourceError(component, () => (v.pinned ? planFor(v, l) : planFor(v, l, Object.values(versions)))),
    );
  const k8sOpts: pulumi.CustomResourceOptions = { ...parent };
  if (args.kubeconfig !== undefined) {
    k8sOpts.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: pulumi.secret(args.kubeconfig) },
      parent,
    );
  }
  const whereabouts = v.ipam.includes("whereabouts");
  const owner = ownerOf(component);
  const cleanups = v.nodes.map((node, i) =>
    cleanupNode(name, node, i, nodeList, nodeLayouts[i], whereabouts, v.cleanupOnDestroy, owner, component),
  );
  const releases = installCharts(name, v, plan, args.chart, k8sOpts, cleanups);
  const releaseList = releases.crd ? [releases.crd, releases.multus] : [releases.multus];
  if (v.cleanupOnDestroy) {
    v.nodes.forEach((node, i) =>
      claimNode(name, node, i, nodeList, nodeLayouts[i], owner, releaseList, component),
    );
  }
  const nads = createNetworks(name, v.networks, plan, args.networks, { ...k8sOpts, dependsOn: releaseList });
  return {
    k3sVersions,
    layout,
    plan,
    releaseStatus: releases.multus.status.status,
    status: releaseStatusOf(releases.multus),
    chartValues: releases.values,
    installed: [...releaseList, ...nads],
  };
}
