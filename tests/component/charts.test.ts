/**
 * The chart wiring (provider/src/wiring/charts.ts) under the mock harness: which rke2-multus-crd
 * version is installed, that the CRD release takes ownership of CRDs an older install created,
 * that a namespace other than kube-system is created, and that the release values (and so the
 * DaemonSets) change when detection finds new K3s versions on a moving bin dir, and only then.
 */
import { expect } from "chai";
import { CONF_DIR, detectOutput, gateOnly, MACVLAN_WHEREABOUTS, OLD_BIN, RELEASE_TYPE } from "./fixtures";
import { deploy, stopMocks } from "./harness";
import { dig } from "../helpers/dig";

const HOST = "10.9.0.7";
const one = (tag: string) => ({ detect: { [HOST]: gateOnly(tag) } });

describe("Multus component: chart releases", () => {
  afterEach(stopMocks);

  // ownCrds: the chart still ships CRDs (before v4.3.009): off in its values, `skipCrds` on its release.
  const crdRows: { chart: string; crd: string; ownCrds: boolean }[] = [
    { chart: "v4.3.017", crd: "4.3.017", ownCrds: false },
    { chart: "v4.3.010", crd: "4.3.010", ownCrds: false },
    // Published later than the index the component knows: the newest known CRD chart, not "4.3.018".
    { chart: "v4.3.018", crd: "4.3.017", ownCrds: false },
    // Before v4.3.009: the oldest rke2-multus-crd that renders (kept on uninstall).
    { chart: "v4.3.008", crd: "4.3.010", ownCrds: true },
    { chart: "v4.2.409", crd: "4.3.010", ownCrds: true },
  ];
  for (const row of crdRows) {
    it(`chart ${row.chart}: rke2-multus-crd ${row.crd}, taking ownership${row.ownCrds ? "; the chart's own CRDs off" : ""}`, async () => {
      const { h } = await deploy(
        { nodes: [{ host: HOST }], networks: [MACVLAN_WHEREABOUTS], chart: { version: row.chart } },
        one("v1.31.2+k3s1"),
      );
      const releases = h.ofType(RELEASE_TYPE);
      const [crd, main] = releases;
      expect(releases).to.have.lengthOf(2);
      expect(crd.inputs).to.deep.include({ chart: "rke2-multus-crd", version: row.crd, takeOwnership: true });
      expect(crd.inputs.values).to.deep.equal({ "rke2-whereabouts": { enabled: true } });
      expect(crd.inputs.skipCrds, "the CRD chart has no crds/, only templates").to.equal(undefined);
      expect(main.inputs).to.deep.include({
        chart: "rke2-multus",
        version: row.chart,
        skipCrds: row.ownCrds,
      });
      const manifests = (main.inputs.values as { manifests?: Record<string, unknown> }).manifests;
      expect(manifests?.customResourceDefinition).to.equal(row.ownCrds ? false : undefined);
      expect(main.inputs.takeOwnership, "only the CRD release adopts").to.equal(undefined);
    });
  }

  for (const [namespace, create] of [
    ["kube-system", false],
    ["networking", true],
  ] as const) {
    it(`namespace ${namespace}: createNamespace ${create} on both releases`, async () => {
      const { h } = await deploy({ nodes: [{ host: HOST }], chart: { namespace } }, one("v1.31.2+k3s1"));
      const releases = h.ofType(RELEASE_TYPE);
      expect(releases).to.have.lengthOf(2);
      for (const r of releases)
        expect(r.inputs, r.name).to.deep.include({ namespace, createNamespace: create });
    });
  }

  describe("K3s upgrades: the release values change with the detected versions where the bin dir moves", () => {
    const values = async (tags: string[], detect = (t: string) => gateOnly(t)) => {
      const hosts = tags.map((_, i) => `10.9.1.${i + 1}`);
      const { h } = await deploy(
        { nodes: hosts.map((host) => ({ host })), networks: [MACVLAN_WHEREABOUTS] },
        { detect: Object.fromEntries(hosts.map((host, i) => [host, detect(tags[i])])) },
      );
      const main = h.ofType(RELEASE_TYPE).find((r) => r.inputs.chart === "rke2-multus");
      await stopMocks();
      return main?.inputs.values;
    };

    it("before the gate: a patch upgrade changes the rollout values (Multus' ConfigMap checksum, Whereabouts' pod annotation)", async () => {
      const before = await values(["v1.30.4+k3s1"]);
      const after = await values(["v1.30.5+k3s1"]);
      expect(dig(before, "config", "cni_conf", "binDir")).to.equal(OLD_BIN);
      expect(dig(before, "config", "cni_conf", "k3sVersions")).to.equal("v1.30.4+k3s1");
      expect(dig(after, "config", "cni_conf", "k3sVersions")).to.equal("v1.30.5+k3s1");
      expect(dig(after, "rke2-whereabouts", "podAnnotations")).to.deep.equal({
        "k3s-multus/k3s-versions": "v1.30.5+k3s1",
      });
      expect(dig(after, "manifests", "configMap")).to.equal(true);
    });

    it("before the gate: redetection finding the same versions on more nodes leaves the values as they were", async () => {
      expect(await values(["v1.30.5+k3s1", "v1.30.5+k3s1"])).to.deep.equal(await values(["v1.30.5+k3s1"]));
    });

    it("from the gate on: an upgrade leaves the values as they were (no needless Multus restart)", async () => {
      const facts = (tag: string) =>
        detectOutput({ tag, binDir: "/var/lib/rancher/k3s/data/cni", confDir: CONF_DIR });
      expect(await values(["v1.31.2+k3s1"], facts)).to.deep.equal(await values(["v1.32.2+k3s1"], facts));
    });
  });
});
