import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NetworkSpec } from "../plan/networks";
import { MultusPlan } from "../plan/plan";

/**
 * Creates one NetworkAttachmentDefinition per network, after the releases (so after their CRD).
 * The child is named after the network alone: names are unique within one component, while
 * `<namespace>-<name>` is not (`a`/`b-c` and `a-b`/`c` would both give `a-b-c`).
 */
export function createNetworks(
  prefix: string,
  specs: readonly NetworkSpec[],
  plan: pulumi.Output<MultusPlan>,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource[] {
  return specs.map(
    (spec, i) =>
      new k8s.apiextensions.CustomResource(
        `${prefix}-nad-${spec.name}`,
        {
          apiVersion: "k8s.cni.cncf.io/v1",
          kind: "NetworkAttachmentDefinition",
          metadata: { name: spec.name, namespace: spec.namespace },
          spec: { config: plan.apply((p) => p.networks[i].config) },
        },
        opts,
      ),
  );
}
