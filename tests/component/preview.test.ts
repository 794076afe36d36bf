/**
 * Previews (dry runs: `setMocks(mocks, project, stack, true)`). With pinned facts the component
 * computes every output without touching a node, so a preview shows them all; with detection they
 * wait for the detect Commands' stdout, which the engine reports as unknown for a Command about to
 * be created and as known (from the state) once it exists. `releaseStatus` and `status` are Helm's, so unknown
 * until the release is installed.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { MultusArgs } from "../../provider/src/args";
import { renderPlan } from "../../provider/src/render";
import {
  COMMAND_TYPE,
  CONF_DIR,
  MACVLAN_HOST_LOCAL,
  MACVLAN_WHEREABOUTS,
  NAD_TYPE,
  NEW_BIN,
  NEW_K3S,
  OLD_BIN,
  RELEASE_TYPE,
} from "./fixtures";
import { deploy, isKnown, loadMultus, outputValues, startMocks, stopMocks, UNKNOWN } from "./harness";

type Multus = InstanceType<ReturnType<typeof loadMultus>["Multus"]>;

/** Output name → whether it is known. */
async function knownness(m: Multus): Promise<Record<string, boolean>> {
  const entries = Object.entries(loadMultus().multusOutputs(m));
  const known = await Promise.all(entries.map(([, o]) => isKnown(o)));
  return Object.fromEntries(entries.map(([k], i) => [k, known[i]]));
}

const ALL_KNOWN_BUT_STATUS = {
  k3sVersions: true,
  cniBinDir: true,
  cniConfDir: true,
  chartVersion: true,
  chartValues: true,
  releaseStatus: false,
  status: false,
  networkNames: true,
  networkAnnotations: true,
  podAnnotations: true,
};

/** Does the value hold the wire form of an unknown anywhere? */
function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  return typeof value === "object" && value !== null && Object.values(value).some(hasUnknown);
}

describe("Multus component: preview", () => {
  afterEach(stopMocks);

  const pinned: [string, MultusArgs, string][] = [
    ["k3sVersion", { k3sVersion: "v1.30.5+k3s1" }, OLD_BIN],
    ["cniBinDir and cniConfDir", { cniBinDir: NEW_BIN, cniConfDir: CONF_DIR }, NEW_BIN],
  ];
  for (const [what, pins, binDir] of pinned) {
    it(`pinned ${what}: every output is known, and equals what an update computes`, async () => {
      const args: MultusArgs = {
        ...pins,
        nodes: [{ host: "10.11.0.1" }],
        networks: [MACVLAN_WHEREABOUTS, MACVLAN_HOST_LOCAL],
      };
      const { h, m } = await deploy(args, { preview: true });
      expect(await knownness(m)).to.deep.equal(ALL_KNOWN_BUT_STATUS);
      const previewed = await outputValues(m);
      expect(previewed).to.deep.include({
        cniBinDir: binDir,
        releaseStatus: undefined,
        status: undefined,
        k3sVersions: {},
      });
      expect(previewed.podAnnotations).to.deep.equal({
        "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1,apps/macvlan-host-local@net1",
      });
      expect(h.ofType(COMMAND_TYPE).map((c) => c.name)).to.deep.equal(["multus-cleanup-10-11-0-1"]);
      for (const r of [...h.ofType(RELEASE_TYPE), ...h.ofType(NAD_TYPE), ...h.ofType(COMMAND_TYPE)]) {
        expect(hasUnknown(r.wire), `${r.name} has only known inputs`).to.equal(false);
      }
      const previewInputs = h.registrations.map((r) => [r.name, r.wire]);
      await stopMocks();
      const update = await deploy(args);
      expect(await outputValues(update.m)).to.deep.equal({
        ...previewed,
        releaseStatus: "deployed",
        status: { status: "deployed" },
      });
      expect(update.h.registrations.map((r) => [r.name, r.wire])).to.deep.equal(previewInputs);
    });
  }

  it("detected, first preview: the planned outputs are unknown until the nodes answer", async () => {
    const { h, m } = await deploy(
      { nodes: [{ host: "10.11.0.1" }], networks: [MACVLAN_WHEREABOUTS] },
      { preview: true, detect: { "10.11.0.1": NEW_K3S } },
    );
    expect(await knownness(m)).to.deep.equal({
      k3sVersions: false,
      cniBinDir: false,
      cniConfDir: false,
      chartVersion: true,
      chartValues: false,
      releaseStatus: false,
      status: false,
      networkNames: false,
      networkAnnotations: false,
      podAnnotations: false,
    });
    expect(await outputValues(m)).to.deep.include({ chartVersion: "v4.3.017", cniBinDir: undefined });
    const detect = h.named("multus-detect-10-11-0-1");
    expect(hasUnknown(detect.wire), "the detect Command itself is fully known").to.equal(false);
    const main = h.named("multus-release");
    expect(main.wire).to.deep.include({ chart: "rke2-multus", namespace: "kube-system", values: UNKNOWN });
    expect(h.named("multus-cleanup-10-11-0-1").wire.delete).to.equal(UNKNOWN);
    expect(h.ofType(NAD_TYPE)).to.have.lengthOf(1);
  });

  /** A resource being created in the same preview: its `ip` is unknown. */
  class Vm extends pulumi.CustomResource {
    declare readonly ip: pulumi.Output<string>;
    constructor(name: string) {
      super("test:index:Vm", name, { ip: undefined });
    }
  }
  const V = "v1.32.2+k3s1";
  const NETWORKS = [MACVLAN_WHEREABOUTS, MACVLAN_HOST_LOCAL];

  it("a node host that is unknown (a VM made in the same program), pinned facts: every child, with known values", async () => {
    const h = await startMocks({ preview: true });
    const vm = new Vm("vm");
    const m = new (loadMultus().Multus)("multus", {
      nodes: [{ host: vm.ip, name: "vm" }],
      k3sVersion: V,
      networks: NETWORKS,
    });
    await h.settle();
    expect(h.registrations.map((r) => r.name).sort()).to.deep.equal([
      "multus",
      "multus-claim-vm",
      "multus-cleanup-vm",
      "multus-crd",
      "multus-nad-macvlan-host-local",
      "multus-nad-macvlan-whereabouts",
      "multus-release",
      "vm",
    ]);
    // Exactly what render plans for the same inputs with any host: the values do not depend on it.
    const { plan } = renderPlan({
      nodes: [{ host: "10.0.0.1", name: "vm" }],
      k3sVersion: V,
      networks: NETWORKS,
    });
    const main = h.named("multus-release");
    expect(hasUnknown(main.wire.values), "rke2-multus values known").to.equal(false);
    expect(main.inputs.values).to.deep.equal(plan.charts.find((c) => c.chart === "rke2-multus")?.values);
    expect(h.named("multus-crd").inputs.values).to.deep.equal(
      plan.charts.find((c) => c.chart === "rke2-multus-crd")?.values,
    );
    for (const n of plan.networks) {
      const nad = h.named(`multus-nad-${n.name}`);
      expect((nad.inputs.spec as { config: unknown }).config, n.name).to.equal(n.config);
    }
    const cleanup = h.named("multus-cleanup-vm");
    expect(cleanup.wire.delete, "the clean-up's dirs are the pinned ones").to.match(
      new RegExp(` '${CONF_DIR}' '${NEW_BIN}' 'yes' '[0-9a-f]{16}'$`),
    );
    expect(hasUnknown(cleanup.wire.connection), "only the connection waits on the host").to.equal(true);
    expect(await knownness(m)).to.deep.equal(ALL_KNOWN_BUT_STATUS);
    expect((await outputValues(m)).podAnnotations).to.deep.equal(plan.podAnnotations);
  });

  it("an unknown network master: only that NAD's config is unknown, every child registered", async () => {
    const h = await startMocks({ preview: true });
    const vm = new Vm("vm");
    const m = new (loadMultus().Multus)("multus", {
      k3sVersion: V,
      cleanupOnDestroy: false,
      networks: [{ ...MACVLAN_WHEREABOUTS, master: vm.ip }, MACVLAN_HOST_LOCAL],
    });
    await h.settle();
    const { plan } = renderPlan({ k3sVersion: V, cleanupOnDestroy: false, networks: NETWORKS });
    const config = (name: string) => (h.named(`multus-nad-${name}`).wire.spec as { config: unknown }).config;
    expect(config("macvlan-whereabouts")).to.equal(UNKNOWN);
    expect(config("macvlan-host-local")).to.equal(plan.networks[1].config);
    expect(h.named("multus-release").inputs.values).to.deep.equal(plan.values);
    expect(h.ofType(RELEASE_TYPE)).to.have.lengthOf(2);
    expect((await knownness(m)).chartValues).to.equal(true);
  });

  it("a host that is the SDK's unknown sentinel inside a plain list (as Construct may deliver it): every child", async () => {
    const h = await startMocks({ preview: true });
    const host = pulumi.unknown as unknown as string;
    new (loadMultus().Multus)("multus", { nodes: [{ host, name: "vm" }], k3sVersion: V, networks: NETWORKS });
    await h.settle();
    expect(h.ofType(RELEASE_TYPE).map((r) => r.name)).to.deep.equal(["multus-crd", "multus-release"]);
    expect(h.ofType(NAD_TYPE)).to.have.lengthOf(2);
    expect(
      h
        .ofType(COMMAND_TYPE)
        .map((r) => r.name)
        .sort(),
    ).to.deep.equal(["multus-claim-vm", "multus-cleanup-vm"]);
    expect(hasUnknown(h.named("multus-release").wire.values)).to.equal(false);
  });

  it("detection unknown (facts not pinned), a node host unknown: every child still registered", async () => {
    const h = await startMocks({ preview: true });
    const vm = new Vm("vm");
    new (loadMultus().Multus)("multus", { nodes: [{ host: vm.ip, name: "vm" }], networks: NETWORKS });
    await h.settle();
    expect(h.registrations.map((r) => r.name).sort()).to.deep.equal([
      "multus",
      "multus-claim-vm",
      "multus-cleanup-vm",
      "multus-crd",
      "multus-detect-vm",
      "multus-nad-macvlan-host-local",
      "multus-nad-macvlan-whereabouts",
      "multus-release",
      "vm",
    ]);
    expect(h.named("multus-release").wire.values).to.equal(UNKNOWN);
  });

  it("a node host that is an Output without a name: refused at once, naming nodes[0].name", async () => {
    const h = await startMocks({ preview: true });
    const vm = new Vm("vm");
    expect(() => new (loadMultus().Multus)("multus", { nodes: [{ host: vm.ip }], k3sVersion: V })).to.throw(
      pulumi.ResourceError,
      "nodes[0].name: (missing) is required",
    );
    await h.settle();
    expect(h.registrations.map((r) => r.name).sort()).to.deep.equal(["multus", "vm"]);
  });

  it("detected, preview of an existing stack: the state's stdout makes every output known", async () => {
    const { m } = await deploy(
      { nodes: [{ host: "10.11.0.1" }], networks: [MACVLAN_WHEREABOUTS] },
      { preview: true, previewState: "known", detect: { "10.11.0.1": NEW_K3S } },
    );
    expect(await knownness(m)).to.deep.equal({ ...ALL_KNOWN_BUT_STATUS, releaseStatus: true, status: true });
    expect(await outputValues(m)).to.deep.include({
      k3sVersions: { "10.11.0.1": "v1.30.6+k3s1" },
      cniBinDir: NEW_BIN,
      networkNames: ["macvlan-whereabouts"],
    });
  });
});
