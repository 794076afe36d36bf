/**
 * The Multus component's resource graph under mocks: which children it registers, their names,
 * types and parents, and the order Pulumi must create and delete them in (dependsOn).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  COMMAND_TYPE,
  CONF_DIR,
  K8S_PROVIDER_TYPE,
  MACVLAN_HOST_LOCAL,
  MACVLAN_WHEREABOUTS,
  MULTUS_TYPE,
  NAD_TYPE,
  NEW_BIN,
  NEW_K3S,
  RELEASE_TYPE,
} from "./fixtures";
import { deploy, Registration, stopMocks, unwrapSecret } from "./harness";
import { dig } from "../helpers/dig";

const DETECT = { "10.0.0.11": NEW_K3S, "k3s-2.lan": NEW_K3S };
const NODES = [{ host: "10.0.0.11", name: "k3s-1" }, { host: "k3s-2.lan" }];

/** The dependencies that come from `dependsOn`, not from Output inputs. */
function explicitDeps(r: Registration): string[] {
  const fromInputs = new Set(Object.values(r.propertyDependencies).flat());
  return r.dependencies.filter((d) => !fromInputs.has(d)).sort();
}

describe("Multus component: resource graph", () => {
  afterEach(stopMocks);

  it("registers the component, detect and clean-up Commands per node, the releases and the NADs", async () => {
    const { h } = await deploy(
      { nodes: NODES, networks: [MACVLAN_WHEREABOUTS, MACVLAN_HOST_LOCAL] },
      { detect: DETECT },
    );
    expect(h.registrations.map((r) => `${r.type} ${r.name}`).sort()).to.deep.equal(
      [
        `${MULTUS_TYPE} multus`,
        `${COMMAND_TYPE} multus-detect-k3s-1`,
        `${COMMAND_TYPE} multus-detect-k3s-2-lan`,
        `${RELEASE_TYPE} multus-crd`,
        `${RELEASE_TYPE} multus-release`,
        `${NAD_TYPE} multus-nad-macvlan-whereabouts`,
        `${NAD_TYPE} multus-nad-macvlan-host-local`,
        `${COMMAND_TYPE} multus-cleanup-k3s-1`,
        `${COMMAND_TYPE} multus-cleanup-k3s-2-lan`,
        `${COMMAND_TYPE} multus-claim-k3s-1`,
        `${COMMAND_TYPE} multus-claim-k3s-2-lan`,
      ].sort(),
    );
    const component = h.named("multus");
    expect(component.custom).to.equal(false);
    expect(component.parent).to.equal("");
    expect(component.urn).to.equal("urn:pulumi:stack::project::k3s-multus:index:Multus::multus");
    for (const r of h.registrations.filter((x) => x !== component)) {
      expect(r.parent, r.name).to.equal(component.urn);
      expect(r.custom, r.name).to.equal(true);
      expect(r.provider, `${r.name} uses the default provider`).to.equal("");
    }
  });

  it("detects each node with a create-only Command whose trigger is redetect", async () => {
    const { h } = await deploy(
      {
        nodes: [...NODES.slice(0, 1), { host: "k3s-2.lan", user: "ops", sudo: true }],
        redetect: "after-upgrade",
      },
      { detect: DETECT },
    );
    const [first, second] = [h.named("multus-detect-k3s-1"), h.named("multus-detect-k3s-2-lan")];
    for (const r of [first, second]) {
      expect(Object.keys(r.inputs).sort(), r.name).to.deep.equal([
        "connection",
        "create",
        "stdin",
        "triggers",
      ]);
      expect(r.inputs.triggers).to.deep.equal(["after-upgrade"]);
      expect(r.inputs.create).to.match(/^sh (-s --|-c ')/);
      expect(r.inputs.stdin).to.include("ME=k3s-multus-detect");
      expect(explicitDeps(r), r.name).to.deep.equal([]);
    }
    expect(unwrapSecret(first.inputs.connection)).to.deep.include({ host: "10.0.0.11", user: "root" });
    expect(unwrapSecret(second.inputs.connection)).to.deep.include({ host: "k3s-2.lan", user: "ops" });
    expect(first.inputs.create).not.to.include("sudo -n");
    expect(second.inputs.create).to.include("sudo -n");
  });

  it("passes a pinned k3sDataDir to the detect script as its argument", async () => {
    const { h } = await deploy(
      { nodes: NODES.slice(0, 1), k3sDataDir: "/data/k3s" },
      { detect: { "10.0.0.11": NEW_K3S.replace(/\/var\/lib\/rancher\/k3s/g, "/data/k3s") } },
    );
    expect(h.named("multus-detect-k3s-1").inputs.create).to.equal("sh -s -- '/data/k3s'");
    expect(dig(h.named("multus-release").inputs, "values", "config", "cni_conf", "binDir")).to.equal(
      "/data/k3s/data/cni",
    );
  });

  it("installs rke2-multus-crd, then rke2-multus, for the default chart v4.3.017", async () => {
    const { h } = await deploy({ nodes: NODES, networks: [MACVLAN_WHEREABOUTS] }, { detect: DETECT });
    const [crd, main] = h.ofType(RELEASE_TYPE);
    expect(crd.name).to.equal("multus-crd");
    expect(crd.inputs).to.deep.include({ chart: "rke2-multus-crd", version: "4.3.017", name: "multus-crd" });
    expect(crd.inputs.values).to.deep.equal({ "rke2-whereabouts": { enabled: true } });
    expect(main.name).to.equal("multus-release");
    expect(main.inputs).to.deep.include({ chart: "rke2-multus", version: "v4.3.017", name: "multus" });
    expect(explicitDeps(main)).to.deep.equal([crd.urn]);
    expect(crd.doneAt, "the CRD release is registered before rke2-multus is sent").to.be.below(main.sentAt);
    const detects = h.ofType(COMMAND_TYPE).filter((c) => c.name.includes("-detect-"));
    expect(main.propertyDependencies.values?.slice().sort()).to.deep.equal(detects.map((d) => d.urn).sort());
  });

  it("chart v4.2.418 (which still ships its CRDs): rke2-multus-crd 4.3.010 first, then rke2-multus without its CRDs", async () => {
    const { h } = await deploy(
      { nodes: NODES, networks: [MACVLAN_WHEREABOUTS], chart: { version: "v4.2.418" } },
      { detect: DETECT },
    );
    const releases = h.ofType(RELEASE_TYPE);
    expect(releases.map((r) => r.name)).to.deep.equal(["multus-crd", "multus-release"]);
    const [crd, main] = releases;
    expect(crd.inputs).to.deep.include({ chart: "rke2-multus-crd", version: "4.3.010", name: "multus-crd" });
    expect(main.inputs).to.deep.include({
      chart: "rke2-multus",
      version: "v4.2.418",
      name: "multus",
      skipCrds: true,
    });
    const cleanups = ["multus-cleanup-k3s-1", "multus-cleanup-k3s-2-lan"].map((n) => h.named(n).urn);
    expect(explicitDeps(crd), "it waits for the clean-up Commands").to.deep.equal(cleanups);
    expect(explicitDeps(main)).to.deep.equal([crd.urn]);
    const nad = h.named("multus-nad-macvlan-whereabouts");
    expect(explicitDeps(nad)).to.deep.equal([crd.urn, main.urn]);
  });

  it("creates the NADs after both releases", async () => {
    const { h } = await deploy(
      { nodes: NODES, networks: [MACVLAN_WHEREABOUTS, MACVLAN_HOST_LOCAL] },
      { detect: DETECT },
    );
    const releases = h.ofType(RELEASE_TYPE);
    const nads = h.ofType(NAD_TYPE);
    expect(nads).to.have.lengthOf(2);
    for (const nad of nads) {
      expect(explicitDeps(nad), nad.name).to.deep.equal(releases.map((r) => r.urn).sort());
      for (const r of releases) expect(r.doneAt, `${r.name} before ${nad.name}`).to.be.below(nad.sentAt);
    }
    expect(h.named("multus-nad-macvlan-host-local").inputs).to.deep.include({
      apiVersion: "k8s.cni.cncf.io/v1",
      kind: "NetworkAttachmentDefinition",
      metadata: { name: "macvlan-host-local", namespace: "apps" },
    });
    expect(h.named("multus-nad-macvlan-whereabouts").inputs.metadata).to.deep.equal({
      name: "macvlan-whereabouts",
      namespace: "default",
    });
  });

  it("registers clean-up Commands with only a delete, before the releases, so destroy runs them last", async () => {
    const { h } = await deploy({ nodes: NODES, networks: [MACVLAN_WHEREABOUTS] }, { detect: DETECT });
    const cleanups = ["multus-cleanup-k3s-1", "multus-cleanup-k3s-2-lan"].map((n) => h.named(n));
    for (const c of cleanups) {
      expect(Object.keys(c.inputs).sort(), c.name).to.deep.equal(["connection", "delete", "stdin"]);
      expect(explicitDeps(c), c.name).to.deep.equal([]);
      expect(c.inputs.stdin).to.include("ME=k3s-multus-cleanup");
      expect(c.inputs.delete).to.match(
        new RegExp(`^sh -s -- '${CONF_DIR}' '${NEW_BIN}' 'yes' '[0-9a-f]{16}'$`),
      );
      expect(unwrapSecret(c.inputs.connection)).to.deep.include({ dialErrorLimit: 3 });
    }
    // Pulumi deletes a resource before what it depends on: the NADs (which depend on the releases)
    // first, then rke2-multus, rke2-multus-crd, and the clean-up (which the releases depend on) last,
    // once Helm has uninstalled Multus and nothing rewrites the files it removes.
    const [crd, main] = h.ofType(RELEASE_TYPE);
    expect(explicitDeps(crd)).to.deep.equal(cleanups.map((c) => c.urn).sort());
    expect(explicitDeps(main)).to.deep.equal([crd.urn]);
    for (const c of cleanups) expect(c.doneAt, c.name).to.be.below(crd.sentAt);
    const nad = h.named("multus-nad-macvlan-whereabouts");
    expect(explicitDeps(nad)).to.deep.equal([crd.urn, main.urn].sort());
  });

  it("makes each node's clean-up Command depend on its own detect Command only", async () => {
    // Its `delete` takes the dirs from its own node's detection, not from the cluster-wide layout
    // (which depends on every node's): N edges in all, not N².
    const hosts = ["10.0.0.11", "10.0.0.12", "10.0.0.13"];
    const { h } = await deploy(
      { nodes: hosts.map((host) => ({ host })), networks: [MACVLAN_WHEREABOUTS] },
      { detect: Object.fromEntries(hosts.map((host) => [host, NEW_K3S])) },
    );
    const detects = hosts.map((host) => h.named(`multus-detect-${host.replace(/\./g, "-")}`));
    for (const [i, host] of hosts.entries()) {
      const cleanup = h.named(`multus-cleanup-${host.replace(/\./g, "-")}`);
      const own = detects[i].urn;
      expect(cleanup.dependencies, cleanup.name).to.deep.equal([own]);
      expect(cleanup.propertyDependencies.delete, `${cleanup.name} delete`).to.deep.equal([own]);
      expect(cleanup.propertyDependencies.connection ?? [], `${cleanup.name} connection`).to.deep.equal([]);
      for (const other of detects.filter((_, j) => j !== i))
        expect(cleanup.dependencies, `${cleanup.name} does not wait on ${other.name}`).not.to.include(
          other.urn,
        );
      expect(cleanup.sentAt, `${cleanup.name} is sent after its own detection`).to.be.above(
        detects[i].doneAt,
      );
    }
    // The releases still depend on every node's detection (the plan needs the cluster's layout).
    const [crd] = h.ofType(RELEASE_TYPE);
    expect(crd.propertyDependencies.values?.slice().sort()).to.deep.equal(detects.map((d) => d.urn).sort());
  });

  it("records ownership per node once the releases exist, with the clean-up's owner id and conf dir", async () => {
    const { h } = await deploy({ nodes: NODES, networks: [MACVLAN_WHEREABOUTS] }, { detect: DETECT });
    const releases = h.ofType(RELEASE_TYPE).map((r) => r.urn);
    for (const node of ["k3s-1", "k3s-2-lan"]) {
      const claim = h.named(`multus-claim-${node}`);
      const cleanup = h.named(`multus-cleanup-${node}`);
      expect(Object.keys(claim.inputs).sort(), claim.name).to.deep.equal(["connection", "create", "stdin"]);
      expect(explicitDeps(claim), claim.name).to.deep.equal(releases.slice().sort());
      for (const r of h.ofType(RELEASE_TYPE)) expect(r.doneAt, claim.name).to.be.below(claim.sentAt);
      const owner = /'([0-9a-f]{16})'$/.exec(String(cleanup.inputs.delete))?.[1];
      expect(owner, "the clean-up names an owner id").to.be.a("string");
      expect(claim.inputs.create).to.equal(`sh -s -- '${CONF_DIR}' '${owner}'`);
      expect(claim.inputs.stdin).to.include("ME=k3s-multus-claim");
    }
  });

  it("marks whereabouts off in the clean-up when no network uses it", async () => {
    const { h } = await deploy({ nodes: NODES, networks: [MACVLAN_HOST_LOCAL] }, { detect: DETECT });
    expect(h.named("multus-cleanup-k3s-1").inputs.delete).to.match(/ 'no' '[0-9a-f]{16}'$/);
  });

  it("keeps the clean-up Commands, without a delete, with cleanupOnDestroy: false", async () => {
    // Dropping the Commands would make Pulumi delete them, which runs the clean-up at once on every
    // node while Multus is installed; clearing their delete is an update that runs nothing.
    const on = await deploy({ nodes: NODES }, { detect: DETECT });
    // The ownership records go (their delete runs nothing); everything else stays.
    const names = on.h.registrations
      .map((r) => r.name)
      .filter((n) => !n.includes("-claim-"))
      .sort();
    await stopMocks();
    const { h } = await deploy({ nodes: NODES, cleanupOnDestroy: false }, { detect: DETECT });
    expect(h.registrations.map((r) => r.name).sort(), "the same resources, less the claims").to.deep.equal(
      names,
    );
    const cleanups = ["multus-cleanup-k3s-1", "multus-cleanup-k3s-2-lan"].map((n) => h.named(n));
    for (const c of cleanups) expect(Object.keys(c.inputs), c.name).to.deep.equal(["connection"]);
    expect(explicitDeps(h.named("multus-crd"))).to.deep.equal(cleanups.map((c) => c.urn).sort());
  });

  it("creates a kubernetes Provider from kubeconfig and uses it for every Kubernetes child only", async () => {
    const { h } = await deploy(
      { nodes: NODES, networks: [MACVLAN_WHEREABOUTS], kubeconfig: "apiVersion: v1\nkind: Config\n" },
      { detect: DETECT },
    );
    const [provider] = h.ofType(K8S_PROVIDER_TYPE);
    expect(provider.name).to.equal("multus-k8s");
    expect(provider.parent).to.equal(h.named("multus").urn);
    const ref = `${provider.urn}::multus-k8s-id`;
    for (const r of [...h.ofType(RELEASE_TYPE), ...h.ofType(NAD_TYPE)])
      expect(r.provider, r.name).to.equal(ref);
    for (const r of h.ofType(COMMAND_TYPE)) expect(r.provider, r.name).to.equal("");
  });

  it("registers no kubernetes Provider without kubeconfig", async () => {
    const { h } = await deploy({ nodes: NODES }, { detect: DETECT });
    expect(h.ofType(K8S_PROVIDER_TYPE)).to.deep.equal([]);
  });

  it("orders a consumer of podAnnotations after the NADs and releases", async () => {
    const { h, m } = await deploy({ nodes: NODES, networks: [MACVLAN_WHEREABOUTS] }, { detect: DETECT });
    class Consumer extends pulumi.CustomResource {
      constructor(name: string, props: pulumi.Inputs) {
        super("test:index:Consumer", name, props);
      }
    }
    new Consumer("demo", {
      annotations: m.podAnnotations,
      networks: m.networkNames,
      byName: m.networkAnnotations,
    });
    await h.settle();
    const consumer = h.named("demo");
    const needed = [...h.ofType(RELEASE_TYPE), ...h.ofType(NAD_TYPE)].map((r) => r.urn);
    for (const key of ["annotations", "networks", "byName"]) {
      for (const urn of needed) expect(consumer.propertyDependencies[key], key).to.include(urn);
    }
    expect(consumer.inputs.annotations).to.deep.equal({
      "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1",
    });
  });
});
