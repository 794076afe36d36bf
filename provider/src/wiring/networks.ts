/**
 * The NetworkAttachmentDefinitions, registered at once from the topology; each one's config waits
 * on its own network's data and the layout only (gated on the check), so a network field unknown
 * in a preview leaves only that NAD's config unknown.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NetworkArgs } from "../networkArgs";
import { CniLayout } from "../plan/layout";
import { parseNetwork, renderNetwork } from "../plan/networks";
import { NadChild } from "../plan/topology";
import { nadManifest } from "../render";
import { hold } from "./gate";
import { asResourceError } from "./inputs";

/** One NAD's config: its network validated and rendered for the layout (secret when the network holds a secret). */
export function nadConfig(
  component: pulumi.Resource,
  index: number,
  network: pulumi.Input<NetworkArgs>,
  layout: pulumi.Output<CniLayout>,
  check: pulumi.Output<unknown>,
  secrets: pulumi.Output<number>,
): pulumi.Output<string> {
  return pulumi
    .all([hold(network, check), layout, secrets])
    .apply(([n, l]) =>
      asResourceError(component, () => renderNetwork(parseNetwork(`networks[${index}]`, n), l).config),
    );
}

/** Creates one NetworkAttachmentDefinition per network of the topology, with its config. */
export function createNetworks(
  nads: readonly NadChild[],
  configs: readonly pulumi.Output<string>[],
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource[] {
  return nads.map(
    (nad, i) =>
      new k8s.apiextensions.CustomResource(
        nad.child,
        nadManifest({ name: nad.network, namespace: nad.namespace, config: configs[i] }),
        opts,
      ),
  );
}
