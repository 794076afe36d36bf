/**
 * Scenario 4 of the data plane: controls that must fail, so that a green run means something.
 * Each runs the same chain on a fresh node, with one thing wrong as a by-hand install gets it
 * wrong on K3s (the chart's default instead of the component's value, rendered by the real Helm
 * from the same chart): the bin dir (`/opt/cni/bin`), the conf dir and the autoconfig dir
 * (`/etc/cni/net.d`), and a NAD whose whereabouts `configuration_path` is not K3s's. Two traps
 * are checked on the way: thin_entrypoint exits 0 on every error (so the files it writes are
 * checked, not its status), and Multus answers an empty success when the pod is not in the API
 * server (so interfaces and the pod UID are checked, not ADD's status).
 */
import { expect } from "chai";
import { DEFAULT_CHART_VERSION } from "../../provider/src/plan/chart";
import { helmValues } from "../e2e/env/helm";
import { paths } from "../e2e/env/kube";
import { DaemonSet } from "./containers";
import { componentBinDir, CONF_DIR, K3sLayout } from "./node";
import { renderDaemonSets } from "./render";
import {
  add,
  allocatedTo,
  demoPod,
  deployedDaemonSets,
  expectMasterEth0,
  links,
  networkStatus,
  nodeWithPods,
  NodeWithPods,
  removePod,
  Rig,
} from "./rig";
import { SEED_RANGE } from "./afterGate";

/** Prints the error as the kubelet would show it (the report quotes these). */
const shows = (what: string, text: string): void =>
  console.log(`        ${what}: ${text.trim().split("\n").pop() ?? ""}`);

type Values = { config: { cni_conf: Record<string, unknown> } } & Record<string, unknown>;

/** The release's values with `change` applied to a copy of `config.cni_conf`. */
async function valuesWith(rig: Rig, change: (c: Record<string, unknown>) => void): Promise<Values> {
  const v = structuredClone(await helmValues(rig.env.cluster, "kube-system", "multus")) as Values;
  change(v.config.cni_conf);
  return v;
}

async function renderedSets(rig: Rig, values: Values): Promise<DaemonSet[]> {
  const sets = await renderDaemonSets(rig.work, DEFAULT_CHART_VERSION, values);
  return [sets.whereabouts, sets.multus];
}

/** A multus container's log, from the node's running pod. */
const multusLog = (n: NodeWithPods): string =>
  n.pods.find((p) => p.name.startsWith("multus-"))?.containers[0]?.daemon.log() ?? "";

export function controlScenarios(getRig: () => Rig, layout: K3sLayout): void {
  let n: NodeWithPods | undefined;
  afterEach(async () => {
    await n?.stop();
    n = undefined;
  });

  it("bin dir /opt/cni/bin (the chart's default): ADD fails, Multus not found where containerd looks", async () => {
    const rig = getRig();
    const values = await valuesWith(rig, (c) => delete c.binDir);
    n = await nodeWithPods(rig, layout, await renderedSets(rig, values));
    expect(n.node.exists("/opt/cni/bin/multus"), "Multus went to /opt/cni/bin").to.equal(true);
    expect(n.node.exists(`${componentBinDir(layout)}/multus`)).to.equal(false);
    const p = await demoPod(rig, n.node, rig.outputs.podAnnotations as Record<string, string>);
    const r = await add(n.node, p);
    expect(r.status, r.stderr).to.equal(1);
    shows("ADD", r.stderr);
    expect(r.stderr.trim()).to.equal(
      `failed to setup network for sandbox "${p.sandbox.id}": plugin type="multus" failed (add): failed to find plugin "multus" in path [${componentBinDir(layout)}]`,
    );
    await removePod(rig, n.node, p);
  });

  it("conf dir /etc/cni/net.d: the Multus config lands where containerd does not read; the pod gets eth0 only", async () => {
    const rig = getRig();
    const values = await valuesWith(rig, (c) => delete c.confDir);
    n = await nodeWithPods(rig, layout, await renderedSets(rig, values));
    expect(n.node.exists("/etc/cni/net.d/00-multus.conflist")).to.equal(true);
    expect(n.node.exists(`${CONF_DIR}/00-multus.conflist`)).to.equal(false);
    const p = await demoPod(rig, n.node, rig.outputs.podAnnotations as Record<string, string>);
    const r = await add(n.node, p);
    expect(r.status, r.stderr).to.equal(0);
    const l = await links(n.node, p);
    expect(Object.keys(l.v4)).to.deep.equal(["eth0"]);
    expectMasterEth0(l.v4);
    expect(await networkStatus(rig, p)).to.equal(undefined);
    expect(await allocatedTo(rig, SEED_RANGE, `default/${p.pod.metadata.name}`)).to.deep.equal([]);
    await removePod(rig, n.node, p);
  });

  it("autoconfig dir /etc/cni/net.d: thin_entrypoint finds no master config, exits 0 and writes no Multus config", async () => {
    const rig = getRig();
    const values = await valuesWith(rig, (c) => delete c.multusAutoconfigDir);
    n = await nodeWithPods(rig, layout, await renderedSets(rig, values));
    const multus = n.pods.find((p) => p.name.startsWith("multus-"))?.containers[0];
    // The trap: it has stopped, with status 0, after an error.
    expect(multus?.daemon.alive()).to.equal(false);
    expect(multus?.daemon.child.exitCode).to.equal(0);
    expect(multusLog(n)).to.match(/failed to create multus config/);
    shows("thin_entrypoint", multusLog(n));
    expect(n.node.files(CONF_DIR).filter((f) => f.includes("00-multus"))).to.deep.equal([]);
    const p = await demoPod(rig, n.node, rig.outputs.podAnnotations as Record<string, string>);
    const r = await add(n.node, p);
    expect(r.status, r.stderr).to.equal(0);
    expect(Object.keys((await links(n.node, p)).v4)).to.deep.equal(["eth0"]);
    expect(await networkStatus(rig, p)).to.equal(undefined);
    await removePod(rig, n.node, p);
  });

  describe("on a node with the deployed DaemonSets", () => {
    let good: NodeWithPods;
    before(async () => {
      good = await nodeWithPods(
        getRig(),
        layout,
        await deployedDaemonSets(getRig(), ["whereabouts", "multus"]),
      );
    });
    after(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
      await good?.stop();
    });

    it("a NAD whose whereabouts configuration_path is not K3s's: ADD fails with whereabouts' error", async () => {
      const rig = getRig();
      const nadPath = paths.nad("default", "macvlan-whereabouts");
      const nad = await rig.env.cluster.kube.get<{ spec: { config: string } }>(nadPath);
      const original = nad?.spec.config ?? "";
      const wrong = JSON.parse(original) as { ipam: Record<string, unknown> };
      wrong.ipam.configuration_path = "/etc/cni/net.d/whereabouts.d/whereabouts.conf";
      await rig.env.cluster.kube.mergePatch(nadPath, { spec: { config: JSON.stringify(wrong) } });
      try {
        const p = await demoPod(rig, good.node, rig.outputs.podAnnotations as Record<string, string>);
        const r = await add(good.node, p);
        expect(r.status).to.equal(1);
        shows("ADD", r.stderr);
        expect(r.stderr).to.include('plugin type="multus" failed (add)');
        expect(r.stderr).to.match(/macvlan-whereabouts/);
        expect(r.stderr).to.match(/config file not found|no such file/i);
        await removePod(rig, good.node, p);
      } finally {
        await rig.env.cluster.kube.mergePatch(nadPath, { spec: { config: original } });
      }
    });

    it("trap: a pod the API server does not know gets Multus' empty success, and no eth1", async () => {
      const rig = getRig();
      const p = await demoPod(rig, good.node, rig.outputs.podAnnotations as Record<string, string>);
      const ghost = { ...p, sandbox: { ...p.sandbox, pod: { ...p.sandbox.pod, name: "no-such-pod" } } };
      const r = await add(good.node, ghost);
      // Status 0: only the interfaces show what happened.
      expect(r.status, r.stderr).to.equal(0);
      const l = await links(good.node, p);
      shows("ADD's result", `${r.stdout.trim()} links: ${JSON.stringify(l.v4)}`);
      // A made-up result (eth0 with 0.0.0.0/0) and not a single interface in the namespace.
      expect(r.result?.ips?.map((i) => i.address)).to.deep.equal(["0.0.0.0/0"]);
      expect(l.v4).to.deep.equal({});
      await removePod(rig, good.node, p);
    });

    it("trap: a pod UID that is not the stored pod's is refused", async () => {
      const rig = getRig();
      const p = await demoPod(rig, good.node, rig.outputs.podAnnotations as Record<string, string>);
      const r = await add(good.node, p, { uid: "00000000-0000-0000-0000-000000000000" });
      expect(r.status).to.equal(1);
      shows("ADD", r.stderr);
      expect(r.stderr).to.match(
        new RegExp(`expected pod UID "00000000-0000-0000-0000-000000000000" but got "${p.pod.metadata.uid}"`),
      );
      expect((await links(good.node, p)).v4).to.deep.equal({});
      await removePod(rig, good.node, p);
    });
  });
}
