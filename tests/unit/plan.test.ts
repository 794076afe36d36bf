/**
 * The whole plan from validated inputs and a pinned layout: input validation, what planFor computes
 * (values, charts, NADs, node script arguments) and that the same inputs give the same bytes.
 */
import { expect } from "chai";
import { DEFAULT_CHART_VERSION } from "../../provider/src/plan/chart";
import { pinnedLayout } from "../../provider/src/plan/layout";
import { MultusPlan, PlanArgs, planFor, validateInputs } from "../../provider/src/plan/plan";
import { stableJson, stableYaml } from "../../provider/src/plan/stable";
import { dig, parseAt } from "../helpers/dig";

const WHEREABOUTS_CONF = "/var/lib/rancher/k3s/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf";

/** Validates and plans pinned args (no detection). */
function planOf(args: PlanArgs): MultusPlan {
  const inputs = validateInputs(args);
  const layout = pinnedLayout({ version: inputs.k3sVersion, dataDir: inputs.k3sDataDir }, inputs.overrides);
  return planFor(inputs, layout);
}

/** A fresh copy of a rich set of args each call (nothing shared between two plans). */
const richArgs = (): PlanArgs => ({
  k3sVersion: "k3s version v1.32.2+k3s1 (381620ef)\ngo version go1.23.6",
  k3sDataDir: "/var/lib/rancher/k3s",
  ipam: ["dhcp"],
  allowOverlappingRanges: false,
  cleanupOnDestroy: false,
  chart: {
    version: DEFAULT_CHART_VERSION,
    releaseName: "multus",
    timeout: 600,
    values: {
      global: { systemDefaultRegistry: "registry.lan:5000" },
      imagePullSecrets: [{ name: "regcred" }, { name: "other" }],
      config: { cni_conf: { namespaceIsolation: true, logLevel: "verbose" } },
      cniplugins: { skipcnis: "flannel,portmap" },
    },
  },
  networks: [
    {
      name: "lan",
      interface: "net1",
      type: "macvlan",
      master: "eth1",
      mode: "bridge",
      ipam: {
        type: "whereabouts",
        range: "10.0.0.0/24",
        gateway: "10.0.0.1",
        exclude: ["10.0.0.0/28"],
        routes: [{ dst: "10.8.0.0/16", gw: "10.0.0.1" }],
      },
    },
    {
      name: "store",
      namespace: "apps",
      type: "bridge",
      bridge: "br-store",
      vlan: 20,
      ipam: { type: "host-local", range: "10.1.0.0/24", rangeStart: "10.1.0.10" },
    },
    { name: "pt", interface: "eth9", type: "host-device", pciBusID: "0000:03:00.1" },
    {
      name: "raw",
      config:
        '{"cniVersion":"1.0.0","type":"ipvlan","master":"eth2","ipam":{"type":"static","addresses":[{"address":"10.2.0.5/24"}]}}',
    },
  ],
});

/** The same value with the keys of every object reordered (arrays keep their order). */
function permuted(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => permuted(v, seed));
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value);
  // Rotate by `seed`, and reverse for odd seeds: never the identity on the top level (8 keys).
  const shift = seed % keys.length;
  const order = [...keys.slice(shift), ...keys.slice(0, shift)].map((k) => ({ k }));
  if (seed % 2 === 1) order.reverse();
  return Object.fromEntries(order.map(({ k }) => [k, permuted((value as Record<string, unknown>)[k], seed)]));
}

describe("plan", () => {
  describe("validateInputs", () => {
    // prettier-ignore
    const ipamRows: { name: string; ipam: unknown; networks: unknown[]; want: string[] }[] = [
      { name: "none asked, no networks", ipam: undefined, networks: [], want: [] },
      { name: "asked, put in the fixed order", ipam: ["dhcp", "host-local"], networks: [], want: ["host-local", "dhcp"] },
      { name: "asked twice", ipam: ["whereabouts", "whereabouts"], networks: [], want: ["whereabouts"] },
      { name: "static networks need nothing", ipam: undefined, networks: [{ name: "s", type: "macvlan", ipam: { type: "static", addresses: [{ address: "10.0.0.5/24" }] } }], want: [] },
      { name: "from typed networks, joined with those asked", ipam: ["dhcp"], networks: [{ name: "w", type: "macvlan", ipam: { type: "whereabouts", range: "10.0.0.0/24" } }], want: ["whereabouts", "dhcp"] },
      { name: "from a raw config", ipam: undefined, networks: [{ name: "r", config: '{"type":"macvlan","ipam":{"type":"dhcp"}}' }], want: ["dhcp"] },
      { name: "from a raw conflist's plugin", ipam: undefined, networks: [{ name: "r", config: '{"plugins":[{"type":"macvlan","ipam":{"type":"whereabouts","range":"10.0.0.0/24"}}]}' }], want: ["whereabouts"] },
      { name: "not from a raw config's unknown IPAM", ipam: undefined, networks: [{ name: "r", config: '{"type":"macvlan","ipam":{"type":"calico-ipam"}}' }], want: [] },
    ];
    for (const { name, ipam, networks, want } of ipamRows) {
      it(`ipam: ${name} → [${want.join(", ")}]`, () => {
        expect(validateInputs({ k3sVersion: "v1.32.2+k3s1", ipam, networks }).ipam).to.deep.equal(want);
      });
    }

    // prettier-ignore
    const pinRows: { name: string; args: PlanArgs; pinned: boolean; cleanup: boolean }[] = [
      { name: "a pinned version", args: { k3sVersion: "v1.30.6+k3s1" }, pinned: true, cleanup: false },
      { name: "both dirs pinned", args: { cniBinDir: "/opt/cni/bin", cniConfDir: "/etc/cni/net.d" }, pinned: true, cleanup: false },
      { name: "nodes to detect", args: { nodes: [{ host: "a" }] }, pinned: false, cleanup: true },
      { name: "nodes without clean-up", args: { nodes: [{ host: "a" }], cleanupOnDestroy: false }, pinned: false, cleanup: false },
      { name: "nodes and a pinned version", args: { nodes: [{ host: "a" }], k3sVersion: "v1.30.6+k3s1" }, pinned: true, cleanup: true },
      { name: "a pinned version, clean-up off", args: { k3sVersion: "v1.30.6+k3s1", cleanupOnDestroy: false }, pinned: true, cleanup: false },
    ];
    for (const { name, args, pinned, cleanup } of pinRows) {
      it(`${name}: pinned ${pinned}, cleanupOnDestroy ${cleanup}`, () => {
        const v = validateInputs(args);
        expect([v.pinned, v.cleanupOnDestroy]).to.deep.equal([pinned, cleanup]);
      });
    }
  });

  describe("planFor", () => {
    it("renders charts, networks and annotations for the pinned layout", () => {
      const plan = planOf(richArgs());
      expect(plan.layout.binDir).to.equal("/var/lib/rancher/k3s/data/cni");
      expect(plan.ipam).to.deep.equal(["host-local", "whereabouts", "dhcp"]);
      expect(plan.charts.map((c) => `${c.chart}@${c.version}:${c.releaseName}`)).to.deep.equal([
        "rke2-multus-crd@4.3.017:multus-crd",
        `rke2-multus@${DEFAULT_CHART_VERSION}:multus`,
      ]);
      expect(plan.charts[0].values).to.deep.equal({ "rke2-whereabouts": { enabled: true } });
      expect(plan.charts[1].values).to.equal(plan.values);
      expect(plan.separateCrdChart).to.equal(true);
      expect(plan.values).to.deep.include({
        manifests: { dhcpDaemonSet: true },
        imagePullSecrets: [{ name: "regcred" }, { name: "other" }],
      });
      expect(plan.networks.map((n) => [n.namespace, n.name])).to.deep.equal([
        ["default", "lan"],
        ["apps", "store"],
        ["default", "pt"],
        ["default", "raw"],
      ]);
      expect(dig(parseAt(plan.networks[0], "config"), "ipam", "configuration_path")).to.equal(
        WHEREABOUTS_CONF,
      );
      expect(plan.networks[3].config).to.equal((richArgs().networks as { config?: string }[])[3].config);
      expect(plan.networkAnnotations).to.deep.equal({
        lan: "default/lan@net1",
        store: "apps/store",
        pt: "default/pt@eth9",
        raw: "default/raw",
      });
      expect(plan.podAnnotations).to.deep.equal({
        "k8s.v1.cni.cncf.io/networks": "default/lan@net1,apps/store,default/pt@eth9,default/raw",
      });
    });

    it("has no pod annotation without networks", () => {
      const plan = planOf({ k3sVersion: "v1.30.5+k3s1", chart: { version: "v4.1.404" } });
      expect(plan.layout.binDir).to.equal("/var/lib/rancher/k3s/data/current/bin");
      expect([plan.networks, plan.networkAnnotations, plan.podAnnotations]).to.deep.equal([[], {}, {}]);
      // Before v4.3.009 too, the CRDs come from rke2-multus-crd (kept on uninstall).
      expect(plan.charts.map((c) => c.chart)).to.deep.equal(["rke2-multus-crd", "rke2-multus"]);
    });
  });

  describe("determinism", () => {
    it("the same input twice gives byte-identical values, NAD configs and plan", () => {
      const [a, b] = [planOf(richArgs()), planOf(richArgs())];
      expect(stableYaml(a.values)).to.equal(stableYaml(b.values));
      expect(a.networks.map((n) => n.config)).to.deep.equal(b.networks.map((n) => n.config));
      expect(JSON.stringify(a)).to.equal(JSON.stringify(b));
      expect(stableJson(a)).to.equal(stableJson(b));
    });

    for (const seed of [1, 2, 3, 4, 5, 6]) {
      it(`input keys permuted (variant ${seed}) give the same values YAML, NAD configs and annotations`, () => {
        const base = planOf(richArgs());
        const args = permuted(richArgs(), seed) as PlanArgs;
        expect(JSON.stringify(args), "the permutation reorders keys").not.to.equal(
          JSON.stringify(richArgs()),
        );
        const plan = planOf(args);
        expect(stableYaml(plan.values)).to.equal(stableYaml(base.values));
        expect(plan.charts.map((c) => stableYaml(c.values))).to.deep.equal(
          base.charts.map((c) => stableYaml(c.values)),
        );
        expect(plan.networks.map((n) => n.config)).to.deep.equal(base.networks.map((n) => n.config));
        expect(plan.podAnnotations).to.deep.equal(base.podAnnotations);
        expect(stableJson(plan)).to.equal(stableJson(base));
      });
    }
  });
});
