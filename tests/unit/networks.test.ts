/**
 * Typed network specs rendered into NetworkAttachmentDefinition configs: each plugin's fields, the
 * whereabouts configuration_path per layout, the K3s docs' golden NAD, and the pod annotation.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { CniLayout, nodeLayout } from "../../provider/src/plan/layout";
import {
  parseNetwork,
  parseNetworks,
  PlannedNetwork,
  podAnnotationValue,
  renderNetwork,
} from "../../provider/src/plan/networks";
import { parseK3sVersion } from "../../provider/src/plan/version";
import { NEW_SEED_TITLE, requireShared, seedByTitle, seedNads } from "../helpers/shared";
import { dig, parseAt } from "../helpers/dig";

const layoutFor = (tag: string, dataDir = "/var/lib/rancher/k3s", flannel = true): CniLayout =>
  nodeLayout({ host: "n1", version: parseK3sVersion(tag), dataDir, flannel });
const NEW = layoutFor("v1.32.2+k3s1");
const WHEREABOUTS_CONF = "/var/lib/rancher/k3s/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf";

const render = (spec: unknown, layout = NEW): PlannedNetwork =>
  renderNetwork(parseNetwork("networks[0]", spec), layout);

/** Typed plugin fields → the plugin part of the CNI config, in the order we write it. */
const PLUGINS: { name: string; args: Record<string, unknown>; config: Record<string, unknown> }[] = [
  {
    name: "macvlan",
    args: { type: "macvlan", master: "eth1", mode: "bridge", mtu: 1500 },
    config: { cniVersion: "1.0.0", type: "macvlan", master: "eth1", mode: "bridge", mtu: 1500 },
  },
  {
    name: "ipvlan",
    args: { mode: "l2", type: "ipvlan", master: "bond0.100" },
    config: { cniVersion: "1.0.0", type: "ipvlan", master: "bond0.100", mode: "l2" },
  },
  {
    name: "bridge",
    args: { type: "bridge", bridge: "br-lan", isGateway: true, ipMasq: false, vlan: 100, mtu: 9000 },
    config: {
      cniVersion: "1.0.0",
      type: "bridge",
      bridge: "br-lan",
      isGateway: true,
      ipMasq: false,
      vlan: 100,
      mtu: 9000,
    },
  },
  {
    name: "host-device",
    args: { type: "host-device", device: "enp3s0" },
    config: { cniVersion: "1.0.0", type: "host-device", device: "enp3s0" },
  },
];

/** IPAM args → the CNI `ipam` object, in the order we write it (whereabouts gains configuration_path). */
const IPAMS: { name: string; args: Record<string, unknown>; ipam: Record<string, unknown> }[] = [
  {
    name: "whereabouts",
    args: {
      type: "whereabouts",
      range: "10.10.0.0/24",
      rangeStart: "10.10.0.10",
      rangeEnd: "10.10.0.200",
      gateway: "10.10.0.1",
      exclude: ["10.10.0.128/28"],
      routes: [{ dst: "10.20.0.0/16" }],
      networkName: "lan",
      enableOverlappingRanges: false,
    },
    ipam: {
      type: "whereabouts",
      range: "10.10.0.0/24",
      range_start: "10.10.0.10",
      range_end: "10.10.0.200",
      gateway: "10.10.0.1",
      // The gateway is excluded: whereabouts would hand it out (whereabouts #601).
      exclude: ["10.10.0.128/28", "10.10.0.1/32"],
      routes: [{ dst: "10.20.0.0/16" }],
      network_name: "lan",
      enable_overlapping_ranges: false,
      configuration_path: WHEREABOUTS_CONF,
    },
  },
  {
    name: "whereabouts, first-last/prefix",
    args: { type: "whereabouts", range: "192.168.2.225-192.168.2.230/28" },
    ipam: {
      type: "whereabouts",
      range: "192.168.2.225-192.168.2.230/28",
      configuration_path: WHEREABOUTS_CONF,
    },
  },
  {
    name: "whereabouts, IPv6",
    args: { type: "whereabouts", range: "fd00:10::/64", gateway: "fd00:10::1" },
    ipam: {
      type: "whereabouts",
      range: "fd00:10::/64",
      gateway: "fd00:10::1",
      exclude: ["fd00:10::1/128"],
      configuration_path: WHEREABOUTS_CONF,
    },
  },
  {
    name: "host-local",
    args: {
      routes: [{ gw: "10.11.0.1", dst: "0.0.0.0/0" }],
      gateway: "10.11.0.1",
      rangeEnd: "10.11.0.99",
      rangeStart: "10.11.0.10",
      range: "10.11.0.0/24",
      type: "host-local",
    },
    ipam: {
      type: "host-local",
      ranges: [
        [{ subnet: "10.11.0.0/24", rangeStart: "10.11.0.10", rangeEnd: "10.11.0.99", gateway: "10.11.0.1" }],
      ],
      routes: [{ dst: "0.0.0.0/0", gw: "10.11.0.1" }],
    },
  },
  { name: "dhcp", args: { type: "dhcp" }, ipam: { type: "dhcp" } },
  {
    name: "static",
    args: {
      type: "static",
      addresses: [{ address: "10.12.0.5/24", gateway: "10.12.0.1" }, { address: "fd00:12::5/64" }],
    },
    ipam: {
      type: "static",
      addresses: [{ address: "10.12.0.5/24", gateway: "10.12.0.1" }, { address: "fd00:12::5/64" }],
    },
  },
];

describe("networks", () => {
  describe("typed specs → NetworkAttachmentDefinition config", () => {
    for (const plugin of PLUGINS) {
      for (const ipam of IPAMS) {
        it(`${plugin.name} with ${ipam.name}`, () => {
          const planned = render({ name: "net-a", ...plugin.args, ipam: ipam.args });
          expect(planned).to.deep.include({
            name: "net-a",
            namespace: "default",
            annotation: "default/net-a",
          });
          // Exact bytes: two-space JSON, keys in a fixed order whatever the input's order.
          expect(planned.config).to.equal(JSON.stringify({ ...plugin.config, ipam: ipam.ipam }, null, 2));
        });
      }
    }

    const minimal: { name: string; args: Record<string, unknown>; config: Record<string, unknown> }[] = [
      {
        name: "macvlan with plugin defaults and cniVersion 0.3.1",
        args: { type: "macvlan", cniVersion: "0.3.1", ipam: { type: "dhcp" } },
        config: { cniVersion: "0.3.1", type: "macvlan", ipam: { type: "dhcp" } },
      },
      {
        name: "host-device without ipam",
        args: { type: "host-device", hwaddr: "52:54:00:AB:CD:EF" },
        config: { cniVersion: "1.0.0", type: "host-device", hwaddr: "52:54:00:ab:cd:ef" },
      },
      {
        name: "host-device by PCI address",
        args: { type: "host-device", pciBusID: "0000:00:1F.6" },
        config: { cniVersion: "1.0.0", type: "host-device", pciBusID: "0000:00:1f.6" },
      },
      {
        name: "host-device by kernel path",
        args: { type: "host-device", kernelpath: "/sys/devices/pci0000:00/0000:00:1f.6/" },
        config: {
          cniVersion: "1.0.0",
          type: "host-device",
          kernelpath: "/sys/devices/pci0000:00/0000:00:1f.6",
        },
      },
    ];
    for (const { name, args, config } of minimal) {
      it(name, () => expect(render({ name: "n", ...args }).config).to.equal(JSON.stringify(config, null, 2)));
    }
  });

  describe("whereabouts configuration_path = <confDir>/whereabouts.d/whereabouts.conf", () => {
    const rows: { name: string; layout: CniLayout; want: string }[] = [
      { name: "new K3s", layout: NEW, want: WHEREABOUTS_CONF },
      { name: "old K3s", layout: layoutFor("v1.30.5+k3s1"), want: WHEREABOUTS_CONF },
      {
        name: "custom data dir",
        layout: layoutFor("v1.32.2+k3s1", "/srv/k3s"),
        want: "/srv/k3s/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf",
      },
      {
        name: "flannel off",
        layout: layoutFor("v1.32.2+k3s1", "/var/lib/rancher/k3s", false),
        want: "/etc/cni/net.d/whereabouts.d/whereabouts.conf",
      },
    ];
    for (const { name, layout, want } of rows) {
      it(name, () => {
        const planned = render(
          { name: "w", type: "macvlan", ipam: { type: "whereabouts", range: "10.1.0.0/16" } },
          layout,
        );
        expect(dig(parseAt(planned, "config"), "ipam", "configuration_path")).to.equal(want);
      });
    }
  });

  describe("golden: the K3s docs' macvlan-whereabouts NetworkAttachmentDefinition", () => {
    const spec = {
      name: "macvlan-whereabouts",
      type: "macvlan",
      master: "eth0",
      mode: "bridge",
      ipam: { type: "whereabouts", range: "172.17.0.0/24", gateway: "172.17.0.1" },
    };

    it("equals the Portuguese seed's config (parsed JSON) plus the gateway excluded, default data dir, new K3s", function () {
      requireShared(this);
      const seed = seedNads(seedByTitle(NEW_SEED_TITLE)).get("macvlan-whereabouts") as
        | { ipam: Record<string, unknown> }
        | undefined;
      expect(seed, "the seed shows a macvlan-whereabouts NAD").to.not.equal(undefined);
      // whereabouts does not skip the gateway (whereabouts #601): k3s-multus excludes it.
      const want = { ...seed, ipam: { ...seed?.ipam, exclude: ["172.17.0.1/32"] } };
      expect(JSON.parse(render(spec).config)).to.deep.equal(want);
    });

    it("has the exact bytes of tests/golden/nad/macvlan-whereabouts.json", () => {
      const file = path.resolve(__dirname, "../golden/nad/macvlan-whereabouts.json");
      const text = `${render(spec).config}\n`;
      if (process.env.UPDATE_GOLDEN) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
      }
      expect(text).to.equal(fs.readFileSync(file, "utf8"));
    });
  });

  describe("annotations", () => {
    const rows: { args: Record<string, unknown>; want: string }[] = [
      { args: { name: "lan" }, want: "default/lan" },
      { args: { name: "lan", interface: "net1" }, want: "default/lan@net1" },
      { args: { name: "lan", namespace: "apps", interface: "eth1" }, want: "apps/lan@eth1" },
      { args: { name: "storage.v1", namespace: "kube-system" }, want: "kube-system/storage.v1" },
      { args: { name: "n", interface: "vlan.100_a-b" }, want: "default/n@vlan.100_a-b" },
    ];
    for (const { args, want } of rows) {
      it(`${JSON.stringify(args)} → ${want}`, () => {
        expect(render({ ...args, type: "macvlan", ipam: { type: "dhcp" } }).annotation).to.equal(want);
      });
    }

    it("joins every network's annotation, in the order given, for the pod", () => {
      const specs = parseNetworks([
        { name: "b", type: "macvlan", interface: "net1", ipam: { type: "dhcp" } },
        { name: "a", namespace: "apps", type: "ipvlan", ipam: { type: "dhcp" } },
        { name: "c", type: "host-device", device: "eth9", interface: "eth2" },
      ]);
      const planned = specs.map((s) => renderNetwork(s, NEW));
      expect(podAnnotationValue(planned)).to.equal("default/b@net1,apps/a,default/c@eth2");
      expect(podAnnotationValue([])).to.equal("");
    });
  });
});
