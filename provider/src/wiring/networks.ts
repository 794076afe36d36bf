import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NetworkSpec } from "../plan/networks";
import { MultusArgs } from "../args";
import { MultusPlan } from "../plan/plan";
import { secretLike } from "./inputs";

/**
 * Creates one NetworkAttachmentDefinition per network, after the releases (so after their CRD).
 * The child is named after the network alone: names are unique within one component, while
 * `<namespace>-<name>` is not (`a`/`b-c` and `a-b`/`c` would both give `a-b-c`). A config is kept
 * secret when the user's network list carries a secret.
 */
export function createNetworks(
  prefix: string,
  specs: readonly NetworkSpec[],
  plan: pulumi.Output<MultusPlan>,
  networksArg: MultusArgs["networks"],
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource[] {
  // Every config in one Output, made secret once when the network list carries a secret.
  const configs = secretLike(
    plan.apply((p) => p.networks.map((n) => n.config)),
    networksArg,
  );
  return specs.map(
    (spec, i) =>
      new k8s.apiextensions.CustomResource(
        `${prefix}-nad-${spec.name}`,
        {
          apiVersion: "k8s.cni.cncf.io/v1",
          kind: "NetworkAttachmentDefinition",
          metadata: { name: spec.name, namespace: spec.namespace },
          spec: {
            config: configs.apply((c) => c[i]),
          },
        },
        opts,
      ),
  );
}
