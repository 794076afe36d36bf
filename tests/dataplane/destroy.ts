/**
 * Scenario 5 of the data plane: after `pulumi destroy`. Two nodes run the deployed DaemonSets and
 * carry this installation's ownership record (claim.sh, run as the component's claim Command
 * would: `sh -s -- ARGS` with the script on stdin; no remote.Command runs here). Then `pulumi
 * destroy`; the DaemonSets' pods end as the kubelet ends them on one node (SIGTERM: thin_entrypoint
 * removes its 00-multus.conflist) and as a node that was down during the uninstall leaves them
 * on the other (SIGKILL: the conflist stays, and its service-account token now belongs to no
 * account: the next ADD fails with "Unauthorized", multus-cni #1429). The node clean-up
 * (cleanup.sh, the component's delete command, through the same `sh -s` stdin path) then leaves
 * exactly K3s's own files, and a new pod gets eth0 from the master network only, on both nodes.
 */
import { expect } from "chai";
import { ownerId, claimCommand, cleanupCommand, NodeCommand } from "../../provider/src/node/scripts";
import { CONF_DIR, componentBinDir, DataplaneNode, K3sLayout } from "./node";
import {
  add,
  demoPod,
  deployedDaemonSets,
  expectMasterEth0,
  links,
  networkStatus,
  NodeWithPods,
  nodeWithPods,
  removePod,
  Rig,
} from "./rig";
import { errors } from "../e2e/env/events";
import * as path from "node:path";

/** Runs a node command as sshd would: `sh -c <command>` with its script on stdin. */
async function viaSsh(
  node: DataplaneNode,
  cmd: NodeCommand,
): Promise<{ status: number | null; out: string }> {
  const r = await node.exec(["sh", "-c", cmd.command], { input: cmd.stdin });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The component's URN, from the stack's state. */
async function componentUrn(rig: Rig): Promise<string> {
  const state = JSON.parse(await rig.stack.exportState()) as {
    deployment: { resources?: { urn: string; type: string }[] };
  };
  const c = state.deployment.resources?.find((r) => r.type === "k3s-multus:index:Multus");
  if (!c) throw new Error("no k3s-multus:index:Multus in the state");
  return c.urn;
}

export function destroyScenario(getRig: () => Rig, layout: K3sLayout): void {
  let graceful: NodeWithPods | undefined;
  let killed: NodeWithPods | undefined;
  let owner = "";
  const chartFiles = (): string[] =>
    [
      `${CONF_DIR}/00-multus.conflist`,
      `${CONF_DIR}/multus.d/multus.kubeconfig`,
      `${CONF_DIR}/multus.d/k3s-multus-owner.${owner}`,
      `${CONF_DIR}/whereabouts.d/nodename`,
      `${CONF_DIR}/whereabouts.d/whereabouts.conf`,
      `${CONF_DIR}/whereabouts.d/whereabouts.kubeconfig`,
      `${componentBinDir(layout)}/multus`,
      `${componentBinDir(layout)}/whereabouts`,
    ].sort();
  const present = (n: DataplaneNode): string[] => chartFiles().filter((f) => n.exists(f));

  before(async () => {
    const rig = getRig();
    owner = ownerId(await componentUrn(rig));
    const sets = await deployedDaemonSets(rig, ["whereabouts", "multus"]);
    graceful = await nodeWithPods(rig, layout, sets);
    killed = await nodeWithPods(rig, layout, sets);
    for (const n of [graceful, killed]) {
      const r = await viaSsh(n.node, claimCommand({ sudo: false, confDir: CONF_DIR, owner }));
      expect(r.status, r.out).to.equal(0);
    }
  });
  after(async () => {
    await graceful?.stop();
    await killed?.stop();
  });

  it("before destroy, both nodes hold every file README says the chart and the claim write", () => {
    for (const n of [graceful, killed])
      if (n) expect(present(n.node), n.node.name).to.deep.equal(chartFiles());
  });

  it("pulumi destroy; the pods end; what each node is left with", async () => {
    const rig = getRig();
    if (!graceful || !killed) throw new Error("no nodes");
    const log = path.join(rig.work, "destroy.events.jsonl");
    const r = await rig.stack.run(["destroy", "--yes", "--skip-preview", "--event-log", log]);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log).join("\n")}`).to.equal(0);
    await graceful.stopPods();
    for (const p of killed.pods)
      for (const c of p.containers)
        if (c.daemon.alive() && c.pid !== undefined) process.kill(c.pid, "SIGKILL");
    await killed.stopPods();
    // thin_entrypoint's cleanupConfigOnExit removed only its conflist: the rest stays.
    expect(present(graceful.node)).to.deep.equal(
      chartFiles().filter((f) => !f.endsWith("/00-multus.conflist")),
    );
    expect(present(killed.node)).to.deep.equal(chartFiles());
  });

  it("without the clean-up, the killed node's leftover conflist breaks every new pod: Unauthorized", async () => {
    const rig = getRig();
    if (!killed) throw new Error("no node");
    const p = await demoPod(rig, killed.node, {});
    const r = await add(killed.node, p);
    await removePod(rig, killed.node, p);
    expect(r.status).to.equal(1);
    console.log(`        ADD: ${r.stderr.trim().split("\n").pop() ?? ""}`);
    expect(r.stderr).to.match(/Unauthorized/);
  });

  it("the node clean-up (cleanup.sh via sh -s) removes exactly the chart's files", async () => {
    for (const n of [graceful, killed]) {
      if (!n) continue;
      const before = n.node.files("/var/lib/rancher");
      const cmd = cleanupCommand({
        sudo: false,
        binDir: componentBinDir(layout),
        confDir: CONF_DIR,
        whereabouts: true,
        owner,
      });
      const r = await viaSsh(n.node, cmd);
      expect(r.status, r.out).to.equal(0);
      expect(present(n.node), n.node.name).to.deep.equal([]);
      // Every other file under /var/lib/rancher stays (compared as the node resolves them).
      const real = (fs: string[]) => fs.map((f) => n.node.path(f, false)).sort();
      const gone = before.filter((f) => !n.node.exists(f));
      expect(real(gone), n.node.name).to.deep.equal(
        real(before).filter((f) => real(chartFiles()).includes(f)),
      );
    }
  });

  it("then a new pod gets eth0 from the master network only: no Multus, no Unauthorized", async () => {
    const rig = getRig();
    for (const n of [graceful, killed]) {
      if (!n) continue;
      const p = await demoPod(rig, n.node, {});
      const r = await add(n.node, p);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.not.match(/Unauthorized/);
      const l = await links(n.node, p);
      expect(Object.keys(l.v4)).to.deep.equal(["eth0"]);
      expectMasterEth0(l.v4);
      expect(await networkStatus(rig, p)).to.equal(undefined);
      const { del } = await removePod(rig, n.node, p);
      expect(del.status, del.stderr).to.equal(0);
    }
  });
}
