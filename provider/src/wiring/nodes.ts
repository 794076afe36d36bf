import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { NodeArgs } from "../args";
import { claimCommand, cleanupCommand, detectCommand } from "../node/scripts";
import { CniLayout } from "../plan/layout";
import { NodeTarget } from "../plan/nodes";

/** SSH settings of the clean-up command: fail fast on a node that is gone, so the rest of a destroy goes on. */
const CLEANUP_DIAL_ERROR_LIMIT = 3;

/**
 * The `@pulumi/command` connection for node `index`, credentials kept in their (secret) Outputs.
 * `nodes` is the list lifted once by {@link liftNodes}: `pulumi.output` copies the whole list, so
 * lifting it per connection made the component quadratic in the number of nodes.
 */
export function connectionOf(nodes: NodeList, index: number, dialErrorLimit?: number) {
  return nodes.apply((list) => {
    const n = (list ?? [])[index];
    return {
      host: n.host,
      port: n.port,
      user: n.user ?? "root",
      password: n.password,
      privateKey: n.privateKey,
      privateKeyPassword: n.privateKeyPassword,
      agentSocketPath: n.agentSocketPath,
      hostKey: n.hostKey,
      proxy: n.proxy,
      dialErrorLimit: dialErrorLimit ?? n.dialErrorLimit,
      perDialTimeout: n.perDialTimeout,
    };
  });
}

/** The detection command of one node: its stdout is the node's K3s facts. `redetect` replaces it. */
export function detectNode(
  prefix: string,
  node: NodeTarget,
  index: number,
  nodes: NodeList,
  dataDir: string | undefined,
  redetect: pulumi.Input<string> | undefined,
  parent: pulumi.Resource,
): command.remote.Command {
  const detect = detectCommand({ sudo: node.sudo, dataDir });
  return new command.remote.Command(
    `${prefix}-detect-${node.name}`,
    {
      connection: connectionOf(nodes, index),
      create: detect.command,
      stdin: detect.stdin,
      triggers: [pulumi.output(redetect).apply((r) => r ?? "")],
    },
    { parent, customTimeouts: { create: "5m" } },
  );
}

/**
 * The clean-up command of one node: nothing on create; on destroy it removes what the chart left.
 * The releases depend on it (not the other way round): Pulumi deletes dependents first, so it
 * uninstalls the releases (after the NADs) and runs this clean-up last, once Multus has stopped.
 *
 * With `enabled` false (cleanupOnDestroy: false) the Command stays, without a delete: turning the
 * clean-up off is then an update that clears the delete, where deleting the Command would run it
 * at once, on every node, with Multus still installed.
 */
export function cleanupNode(
  prefix: string,
  node: NodeTarget,
  index: number,
  nodes: NodeList,
  layout: pulumi.Output<CniLayout>,
  whereabouts: boolean,
  enabled: boolean,
  owner: pulumi.Output<string>,
  parent: pulumi.Resource,
): command.remote.Command {
  // Built only when enabled: with the clean-up off, its dirs are never checked or sent.
  const cleanup = enabled
    ? pulumi
        .all([layout, owner])
        .apply(([l, o]) =>
          cleanupCommand({ sudo: node.sudo, binDir: l.binDir, confDir: l.confDir, whereabouts, owner: o }),
        )
    : undefined;
  return new command.remote.Command(
    `${prefix}-cleanup-${node.name}`,
    {
      connection: connectionOf(nodes, index, CLEANUP_DIAL_ERROR_LIMIT),
      delete: cleanup?.command,
      stdin: cleanup?.stdin,
    },
    { parent, customTimeouts: { delete: "5m" } },
  );
}

/**
 * The ownership record of one node, created once the releases exist (`releases`): the clean-up
 * removes the chart's files only where this record is (provider/scripts/claim.sh), so that a
 * stack whose release never got installed (a second stack on the same cluster: "cannot re-use a
 * name") never removes another installation's Multus files on destroy. Nothing runs on delete:
 * the clean-up removes the record with `multus.d/`.
 */
export function claimNode(
  prefix: string,
  node: NodeTarget,
  index: number,
  nodes: NodeList,
  layout: pulumi.Output<CniLayout>,
  owner: pulumi.Output<string>,
  releases: readonly pulumi.Resource[],
  parent: pulumi.Resource,
): command.remote.Command {
  const claim = pulumi
    .all([layout, owner])
    .apply(([l, o]) => claimCommand({ sudo: node.sudo, confDir: l.confDir, owner: o }));
  return new command.remote.Command(
    `${prefix}-claim-${node.name}`,
    {
      connection: connectionOf(nodes, index),
      create: claim.command,
      stdin: claim.stdin,
    },
    { parent, dependsOn: [...releases], customTimeouts: { create: "5m" } },
  );
}

/** The raw node list as the user gave it (possibly a secret Output). */
export type MultusNodes = pulumi.Input<pulumi.Input<NodeArgs>[]> | undefined;

/** The node list as one Output, lifted once for all the nodes' connections. */
export type NodeList = pulumi.Output<pulumi.Unwrap<MultusNodes>>;

/** Lifts the raw node list once (see {@link connectionOf}). */
export function liftNodes(nodes: MultusNodes): NodeList {
  return pulumi.output(nodes);
}
