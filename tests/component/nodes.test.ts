/**
 * Several nodes, pinned facts (no detection), two components in one stack, `redetect`, and
 * determinism of what the component registers.
 */
import { expect } from "chai";
import type { MultusArgs } from "../../provider/src/args";
import {
  COMMAND_TYPE,
  CONF_DIR,
  detectOutput,
  MACVLAN_HOST_LOCAL,
  MACVLAN_WHEREABOUTS,
  NAD_TYPE,
  NEW_BIN,
  NEW_K3S,
  OLD_BIN,
  RELEASE_TYPE,
} from "./fixtures";
import {
  deploy,
  Harness,
  loadMultus,
  outputValues,
  sortedJson,
  startMocks,
  stopMocks,
  unwrapSecret,
} from "./harness";
import { dig } from "../helpers/dig";

/** What a run registered, rendered byte-comparably (sorted keys), by resource name. */
function rendered(h: Harness): Map<string, string> {
  return new Map(
    h.registrations.map((r) => [
      r.name,
      sortedJson({ type: r.type, parent: r.parent, deps: [...r.dependencies].sort(), wire: r.wire }),
    ]),
  );
}

describe("Multus component: nodes, pinned facts, instances", () => {
  afterEach(stopMocks);

  it("detects and cleans up several nodes, each over its own connection", async () => {
    const nodes = [
      {
        host: "10.1.0.1",
        port: 2222,
        user: "admin",
        sudo: true,
        hostKey: "ssh-ed25519 AAAAC3Nz",
        perDialTimeout: 30,
      },
      { host: "10.1.0.2", dialErrorLimit: 2, proxy: { host: "bastion.lan", user: "jump" } },
      { host: "fd00::3", name: "v6-node" },
    ];
    const detect = {
      "10.1.0.1": NEW_K3S,
      "10.1.0.2": detectOutput({ tag: "v1.31.2+k3s1", binDir: NEW_BIN, confDir: CONF_DIR }),
      "fd00::3": detectOutput({ tag: "v1.32.2+k3s1" }),
    };
    const { h, m } = await deploy({ nodes }, { detect });
    const names = ["10-1-0-1", "10-1-0-2", "v6-node"];
    expect(
      h
        .ofType(COMMAND_TYPE)
        .map((c) => c.name)
        .sort(),
    ).to.deep.equal(
      [
        ...names.map((n) => `multus-detect-${n}`),
        ...names.map((n) => `multus-cleanup-${n}`),
        ...names.map((n) => `multus-claim-${n}`),
      ].sort(),
    );
    expect(unwrapSecret(h.named("multus-detect-10-1-0-1").inputs.connection)).to.deep.equal({
      host: "10.1.0.1",
      port: 2222,
      user: "admin",
      hostKey: "ssh-ed25519 AAAAC3Nz",
      perDialTimeout: 30,
      dialErrorLimit: 10,
    });
    expect(unwrapSecret(h.named("multus-detect-10-1-0-2").inputs.connection)).to.deep.include({
      host: "10.1.0.2",
      user: "root",
      dialErrorLimit: 2,
      proxy: { host: "bastion.lan", user: "jump", port: 22, dialErrorLimit: 10, perDialTimeout: 15 },
    });
    expect(unwrapSecret(h.named("multus-cleanup-10-1-0-2").inputs.connection)).to.deep.include({
      dialErrorLimit: 3,
    });
    expect(unwrapSecret(h.named("multus-cleanup-v6-node").inputs.connection)).to.deep.include({
      host: "fd00::3",
    });
    const out = await outputValues(m);
    expect(out.k3sVersions).to.deep.equal({
      "10.1.0.1": "v1.30.6+k3s1",
      "10.1.0.2": "v1.31.2+k3s1",
      "fd00::3": "v1.32.2+k3s1",
    });
    expect(out.cniBinDir).to.equal(NEW_BIN);
    expect(out.cniConfDir).to.equal(CONF_DIR);
  });

  it("pinned k3sVersion: no detection Command, clean-up Commands from the pinned layout", async () => {
    const { h, m } = await deploy({
      nodes: [{ host: "10.2.0.1" }, { host: "10.2.0.2" }],
      k3sVersion: "v1.30.5+k3s1",
      networks: [MACVLAN_WHEREABOUTS],
    });
    const commands = h.ofType(COMMAND_TYPE).filter((c) => !c.name.includes("-claim-"));
    expect(commands.map((c) => c.name).sort()).to.deep.equal([
      "multus-cleanup-10-2-0-1",
      "multus-cleanup-10-2-0-2",
    ]);
    for (const c of commands) {
      expect(c.inputs.create, c.name).to.equal(undefined);
      expect(c.inputs.delete).to.match(new RegExp(` '${CONF_DIR}' '${OLD_BIN}' 'yes' '[0-9a-f]{16}'$`));
      expect(c.propertyDependencies.delete, "the layout waits on nothing").to.deep.equal([]);
    }
    const out = await outputValues(m);
    expect(out.k3sVersions).to.deep.equal({});
    expect(out.cniBinDir).to.equal(OLD_BIN);
  });

  it("pinned k3sVersion and k3sDataDir: the layout follows the data dir", async () => {
    const { h, m } = await deploy({
      nodes: [{ host: "10.2.0.1" }],
      k3sVersion: "v1.33.1+k3s1",
      k3sDataDir: "/srv/k3s",
    });
    expect(h.named("multus-cleanup-10-2-0-1").inputs.delete).to.include(
      "'/srv/k3s/agent/etc/cni/net.d' '/srv/k3s/data/cni' 'no'",
    );
    expect(await outputValues(m)).to.deep.include({ cniBinDir: "/srv/k3s/data/cni" });
  });

  it("pinned cniBinDir and cniConfDir: no detection, those dirs everywhere", async () => {
    const { h, m } = await deploy({
      nodes: [{ host: "10.2.0.1" }],
      cniBinDir: "/opt/cni/bin",
      cniConfDir: "/etc/cni/net.d",
      networks: [MACVLAN_WHEREABOUTS],
    });
    expect(
      h
        .ofType(COMMAND_TYPE)
        .map((c) => c.name)
        .filter((n) => !n.includes("-claim-")),
    ).to.deep.equal(["multus-cleanup-10-2-0-1"]);
    expect(h.named("multus-cleanup-10-2-0-1").inputs.delete).to.match(
      / '\/etc\/cni\/net\.d' '\/opt\/cni\/bin' 'yes' '[0-9a-f]{16}'$/,
    );
    expect(dig(h.named("multus-release").inputs, "values", "config", "cni_conf")).to.deep.include({
      binDir: "/opt/cni/bin",
      confDir: "/etc/cni/net.d",
    });
    expect(await outputValues(m)).to.deep.include({
      cniBinDir: "/opt/cni/bin",
      cniConfDir: "/etc/cni/net.d",
    });
  });

  it("pinned without nodes: no Command at all", async () => {
    const { h } = await deploy({ k3sVersion: "v1.32.2+k3s1", networks: [MACVLAN_HOST_LOCAL] });
    expect(h.registrations.map((r) => r.name).sort()).to.deep.equal([
      "multus",
      "multus-crd",
      "multus-nad-macvlan-host-local",
      "multus-release",
    ]);
  });

  it("two components in one stack: every child is named after its component, no URN twice", async () => {
    const h = await startMocks({ detect: { "10.3.0.1": NEW_K3S, "10.3.0.2": NEW_K3S } });
    const { Multus } = loadMultus();
    const common: MultusArgs = {
      networks: [
        { ...MACVLAN_WHEREABOUTS, name: "b-c", namespace: "a" },
        { ...MACVLAN_HOST_LOCAL, name: "c", namespace: "a-b" },
      ],
    };
    new Multus("east", { ...common, nodes: [{ host: "10.3.0.1", name: "n1" }], kubeconfig: "east" });
    new Multus("west", { ...common, nodes: [{ host: "10.3.0.2", name: "n1" }], kubeconfig: "west" });
    await h.settle();
    const urns = h.registrations.map((r) => r.urn);
    expect(new Set(urns).size, "distinct URNs").to.equal(urns.length);
    for (const name of ["east", "west"]) {
      const parent = h.named(name).urn;
      const children = h.registrations.filter((r) => r.parent === parent);
      expect(children.map((c) => c.name).sort()).to.deep.equal(
        ["crd", "release", "k8s", "detect-n1", "cleanup-n1", "claim-n1", "nad-b-c", "nad-c"]
          .map((s) => `${name}-${s}`)
          .sort(),
      );
    }
    expect(h.registrations).to.have.lengthOf(2 * 9);
  });

  it("changing only redetect changes the detect Commands' triggers and nothing else", async () => {
    const args = (redetect: string): MultusArgs => ({
      nodes: [{ host: "10.4.0.1" }, { host: "10.4.0.2" }],
      networks: [MACVLAN_WHEREABOUTS],
      redetect,
    });
    const detect = { "10.4.0.1": NEW_K3S, "10.4.0.2": NEW_K3S };
    const first = rendered((await deploy(args("2024-10"), { detect })).h);
    await stopMocks();
    const second = rendered((await deploy(args("2024-11"), { detect })).h);
    expect([...second.keys()].sort()).to.deep.equal([...first.keys()].sort());
    const changed = [...first.keys()].filter((k) => first.get(k) !== second.get(k)).sort();
    expect(changed).to.deep.equal(["multus-detect-10-4-0-1", "multus-detect-10-4-0-2"]);
    for (const name of changed) {
      expect(first.get(name)?.replace('"2024-10"', '"2024-11"'), name).to.equal(second.get(name));
    }
    expect([...first.keys()].filter((k) => /release|crd|nad/.test(k))).to.have.lengthOf(3);
  });

  it("registers byte-identical inputs for the same inputs", async () => {
    const args: MultusArgs = {
      nodes: [{ host: "10.5.0.1", sudo: true }, { host: "10.5.0.2" }],
      networks: [MACVLAN_WHEREABOUTS, MACVLAN_HOST_LOCAL],
      chart: { values: { pod: { resources: { multus: { limits: { memory: "64Mi" } } } } } },
    };
    const detect = { "10.5.0.1": NEW_K3S, "10.5.0.2": NEW_K3S };
    const first = rendered((await deploy(args, { detect })).h);
    await stopMocks();
    const second = rendered((await deploy(args, { detect })).h);
    expect(first.size).to.equal(11);
    expect([...second.entries()]).to.deep.equal([...first.entries()]);
  });

  it("registers every output of the component with registerOutputs", async () => {
    const { h, m } = await deploy({ k3sVersion: "v1.32.2+k3s1" });
    const registered = h.outputs.filter((o) => o.urn === h.named("multus").urn);
    expect(registered).to.have.lengthOf(1);
    expect(Object.keys(registered[0].outputs).sort()).to.deep.equal(
      Object.keys(loadMultus().multusOutputs(m)).sort(),
    );
    expect(registered[0].outputs).to.deep.include({
      chartVersion: "v4.3.017",
      cniBinDir: "/var/lib/rancher/k3s/data/cni",
    });
    expect(h.ofType(RELEASE_TYPE)).to.have.lengthOf(2);
    expect(h.ofType(NAD_TYPE)).to.have.lengthOf(0);
  });
});
