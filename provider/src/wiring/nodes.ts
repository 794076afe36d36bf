/**
 * The Commands of one node: detection, clean-up and the ownership record, registered at once (their
 * names come from the topology) and fed the node's data as it becomes known, gated on the check.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { NodeArgs } from "../args";
import { claimCommand, cleanupCommand, detectCommand } from "../node/scripts";
import { CniLayout } from "../plan/layout";
import { hold } from "./gate";

/** SSH settings of the clean-up command: fail fast on a node that is gone, so the rest of a destroy goes on. */
const CLEANUP_DIAL_ERROR_LIMIT = 3;

/** What the Commands of one node take: its data (an Input: a plain node object passes straight through) and the check. */
export interface NodeWiring {
  readonly node: pulumi.Input<NodeArgs>;
  readonly check: pulumi.Output<unknown>;
  readonly parent: pulumi.Resource;
}

type Connection = command.types.input.remote.ConnectionArgs;

function connectionArgs(n: NodeArgs, dialErrorLimit?: number): Connection {
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
}

/** The `@pulumi/command` connection of the node, credentials kept in their (secret) Outputs, gated on the check. */
function connectionOf(w: NodeWiring, dialErrorLimit?: number) {
  const node = w.node;
  const connection = pulumi.Output.isInstance(node)
    ? (node as pulumi.Output<pulumi.Unwrap<NodeArgs>>).apply((n) => connectionArgs(n, dialErrorLimit))
    : connectionArgs(node as NodeArgs, dialErrorLimit);
  return hold(connection, w.check);
}

/**
 * The node's `sudo`: plain when given plain (the node scripts are then built once), else when
 * known. The check refuses a `sudo` that is not a boolean; until then anything but `true` is false.
 */
function sudoOf(w: NodeWiring): boolean | pulumi.Output<boolean> {
  const node = w.node;
  if (pulumi.Output.isInstance(node))
    return (node as pulumi.Output<pulumi.Unwrap<NodeArgs>>).apply((n) => (n.sudo as unknown) === true);
  const sudo = (node as NodeArgs).sudo;
  if (sudo === undefined || typeof sudo === "boolean") return sudo ?? false;
  return pulumi.output(sudo).apply((s) => (s as unknown) === true);
}

/** The detection command of one node: its stdout is the node's K3s facts. `redetect` replaces it. */
export function detectNode(
  child: string,
  w: NodeWiring,
  dataDir: string | undefined,
  redetect: pulumi.Input<string> | undefined,
): command.remote.Command {
  const sudo = sudoOf(w);
  const detect = pulumi.Output.isInstance(sudo)
    ? sudo.apply((s) => detectCommand({ sudo: s, dataDir }))
    : detectCommand({ sudo, dataDir });
  return new command.remote.Command(
    child,
    {
      connection: connectionOf(w),
      create: detect.command,
      stdin: detect.stdin,
      // Unset: the same value an unset redetect always gave (no diff for existing stacks).
      triggers: [redetect ?? ""],
    },
    { parent: w.parent, customTimeouts: { create: "5m" } },
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
  child: string,
  w: NodeWiring,
  layout: pulumi.Output<CniLayout>,
  whereabouts: pulumi.Input<boolean>,
  enabled: boolean,
  owner: pulumi.Output<string>,
): command.remote.Command {
  // Built only when enabled: with the clean-up off, its dirs are never checked or sent.
  const cleanup = enabled
    ? pulumi
        .all([layout, owner, whereabouts, sudoOf(w)])
        .apply(([l, o, wh, sudo]) =>
          cleanupCommand({ sudo, binDir: l.binDir, confDir: l.confDir, whereabouts: wh, owner: o }),
        )
    : undefined;
  return new command.remote.Command(
    child,
    {
      connection: connectionOf(w, CLEANUP_DIAL_ERROR_LIMIT),
      delete: cleanup?.command,
      stdin: cleanup?.stdin,
    },
    { parent: w.parent, customTimeouts: { delete: "5m" } },
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
  child: string,
  w: NodeWiring,
  layout: pulumi.Output<CniLayout>,
  owner: pulumi.Output<string>,
  releases: readonly pulumi.Resource[],
): command.remote.Command {
  const claim = pulumi
    .all([layout, owner, sudoOf(w)])
    .apply(([l, o, sudo]) => claimCommand({ sudo, confDir: l.confDir, owner: o }));
  return new command.remote.Command(
    child,
    {
      connection: connectionOf(w),
      create: claim.command,
      stdin: claim.stdin,
    },
    { parent: w.parent, dependsOn: [...releases], customTimeouts: { create: "5m" } },
  );
}
