/**
 * The component's children from its validated shape alone: their names, the chart releases in
 * install order, the NADs and the Commands of each node, keyed by name (never by position). Pure:
 * the component registers exactly these, at once, and feeds them data as it becomes known.
 */
import { Shape } from "./inputs";

/** The Commands of one node. */
export interface NodeChildren {
  /** The node's name (unique among the nodes). */
  readonly node: string;
  /** The detection Command; absent when the facts are pinned. */
  readonly detect?: string;
  /** The clean-up Command (a delete only; without one when cleanupOnDestroy is off). */
  readonly cleanup: string;
  /** The ownership record, written once the releases exist; only with cleanupOnDestroy. */
  readonly claim?: string;
}

/** One Helm release, in install order. */
export interface ReleaseChild {
  readonly chart: "rke2-multus-crd" | "rke2-multus";
  readonly child: string;
}

/** One NetworkAttachmentDefinition. */
export interface NadChild {
  readonly network: string;
  readonly namespace: string;
  readonly child: string;
}

export interface Topology {
  /** The component's own Kubernetes provider, when a kubeconfig is given. */
  readonly k8sProvider?: string;
  readonly nodes: readonly NodeChildren[];
  /** rke2-multus-crd first where the chart version has one, then rke2-multus. */
  readonly releases: readonly ReleaseChild[];
  readonly nads: readonly NadChild[];
}

/**
 * The children of a component named `prefix` with this shape. A NAD is named after its network
 * alone: names are unique within one component, while `<namespace>-<name>` is not (`a`/`b-c` and
 * `a-b`/`c` would both give `a-b-c`).
 */
export function topology(prefix: string, shape: Shape): Topology {
  const nodes = shape.nodes.map(
    (n): NodeChildren => ({
      node: n.name,
      detect: shape.pinned ? undefined : `${prefix}-detect-${n.name}`,
      cleanup: `${prefix}-cleanup-${n.name}`,
      claim: shape.cleanupOnDestroy ? `${prefix}-claim-${n.name}` : undefined,
    }),
  );
  const releases: ReleaseChild[] = [];
  if (shape.crdChartVersion !== undefined)
    releases.push({ chart: "rke2-multus-crd", child: `${prefix}-crd` });
  releases.push({ chart: "rke2-multus", child: `${prefix}-release` });
  const nads = shape.networks.map((n) => ({
    network: n.name,
    namespace: n.namespace,
    child: `${prefix}-nad-${n.name}`,
  }));
  return { k8sProvider: shape.kubeconfig ? `${prefix}-k8s` : undefined, nodes, releases, nads };
}
