/**
 * Scenario 2 of the data plane: before the October 2024 gate (containerd's bin dir
 * `data/<hash>/bin`, the component's `data/current/bin`). The seed's network works; then K3s is
 * upgraded on the node (a new `data/<hash>`, `current` moved, containerd's config rewritten) and
 * the next ADD fails as users see it (multus-cni #927: Multus is in the old asset dir, which the
 * running DaemonSet pods still have mounted), until the component rolls the DaemonSets: a changed
 * pinned `k3sVersion` and `pulumi up` change both pod templates, and their pods re-run as the
 * new pods would (the old ones stopped first, RollingUpdate with maxUnavailable 1); then ADD works
 * again. With nodes, `redetect` would do this; it needs pulumi-resource-command (not served by
 * the Go module proxy), so that step is reported skipped.
 */
import { expect } from "chai";
import { hasCommandProvider } from "../e2e/env/cache";
import { DaemonSet } from "./containers";
import { CNI_PLUGINS_DIR } from "./images";
import { componentBinDir, containerdBinDir, K3sLayout } from "./node";
import {
  add,
  demoPod,
  deployedDaemonSets,
  expectMasterEth0,
  links,
  NodeWithPods,
  nodeWithPods,
  removePod,
  Rig,
  runPods,
  up,
} from "./rig";

/** Another K3s asset dir (a sha256, as K3s names `data/<hash>`). */
export const HASH2 = "9e1d3a6f0b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6";

export function upgradeScenario(
  getRig: () => Rig,
  from: K3sLayout,
  to: K3sLayout,
  seed: Record<string, unknown>,
): void {
  let n: NodeWithPods | undefined;
  let oldSets: DaemonSet[] = [];

  const attachSeed = async (): Promise<Record<string, string[]>> => {
    const rig = getRig();
    if (!n) throw new Error("no node");
    const p = await demoPod(rig, n.node, rig.outputs.podAnnotations as Record<string, string>);
    try {
      const r = await add(n.node, p);
      expect(r.status, r.stderr).to.equal(0);
      return (await links(n.node, p)).v4;
    } finally {
      await removePod(rig, n.node, p);
    }
  };

  before(async () => {
    const rig = getRig();
    rig.stack.setPlain({
      [`${rig.stack.project}:k3sVersion`]: from.tag,
      [`${rig.stack.project}:networks`]: [seed],
    });
    await up(rig, "up-before-gate");
    oldSets = await deployedDaemonSets(rig, ["whereabouts", "multus"]);
    n = await nodeWithPods(rig, from, oldSets);
  });
  after(async () => n?.stop());

  it("before the gate the component chose data/current/bin; containerd names data/<hash>/bin", () => {
    expect(getRig().outputs.cniBinDir).to.equal(componentBinDir(from));
    expect(n?.node.containerdDirs().binDir).to.equal(containerdBinDir(from));
    expect(n?.node.exists(`${containerdBinDir(from)}/multus`)).to.equal(true);
  });

  it("ADD: eth0 and eth1", async () => {
    const v4 = await attachSeed();
    expect(Object.keys(v4).sort()).to.deep.equal(["eth0", "eth1"]);
    expectMasterEth0(v4);
  });

  it("after a K3s upgrade on the node the next ADD fails as in multus-cni #927", async () => {
    const rig = getRig();
    if (!n) throw new Error("no node");
    await n.node.upgrade(to, CNI_PLUGINS_DIR);
    expect(n.node.containerdDirs().binDir).to.equal(containerdBinDir(to));
    const p = await demoPod(rig, n.node, rig.outputs.podAnnotations as Record<string, string>);
    const r = await add(n.node, p);
    await removePod(rig, n.node, p);
    expect(r.status).to.equal(1);
    console.log(`        ADD: ${r.stderr.trim().split("\n").pop() ?? ""}`);
    expect(r.stderr).to.include(`failed to find plugin "multus" in path [${containerdBinDir(to)}]`);
  });

  it("redetect (detection on the nodes) rolls the DaemonSets", function () {
    if (!hasCommandProvider()) {
      console.warn(
        "      skipped: redetect runs detection through remote.Command; pulumi-resource-command is not in the tool cache (not served by the Go module proxy). The pinned k3sVersion change below stands in for it.",
      );
      this.skip();
    }
  });

  it("a pinned k3sVersion change + pulumi up changes both pod templates; the new pods fix ADD", async () => {
    const rig = getRig();
    if (!n) throw new Error("no node");
    rig.stack.setPlain({ [`${rig.stack.project}:k3sVersion`]: to.tag });
    await up(rig, "up-upgraded");
    const newSets = await deployedDaemonSets(rig, ["whereabouts", "multus"]);
    for (const [i, ds] of newSets.entries()) {
      expect(JSON.stringify(ds.spec.template), `${ds.metadata.name}'s pod template`).to.not.equal(
        JSON.stringify(oldSets[i].spec.template),
      );
    }
    await n.stopPods();
    n.pods = await runPods(rig, n.node, newSets);
    expect(n.node.exists(`${containerdBinDir(to)}/multus`)).to.equal(true);
    const v4 = await attachSeed();
    expect(Object.keys(v4).sort()).to.deep.equal(["eth0", "eth1"]);
    expectMasterEth0(v4);
  });
}
