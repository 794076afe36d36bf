/** Validation of networks and their IPAM: each refused input's field, raw input and what is allowed. */
import { expect } from "chai";
import { validateInputs } from "../../provider/src/plan/plan";
import { expectMultusError } from "../helpers/errors";

const BASE_IPAM = { type: "whereabouts", range: "10.0.0.0/24" };
/** A valid macvlan/whereabouts network with `over` applied. */
const net = (over: Record<string, unknown> = {}) => ({
  name: "n",
  type: "macvlan",
  master: "eth1",
  ipam: BASE_IPAM,
  ...over,
});
/** A valid network whose IPAM is `ipam` (replacing the whole block). */
const withIpam = (ipam: Record<string, unknown>) => net({ ipam });
const named = (name: string, ipam: Record<string, unknown>) => net({ name, ipam });
const wb = (over: Record<string, unknown>) => withIpam({ ...BASE_IPAM, ...over });
const hl = (over: Record<string, unknown>) => withIpam({ type: "host-local", range: "10.0.0.0/24", ...over });
const validate = (networks: unknown, allowOverlappingRanges?: unknown) =>
  validateInputs({ k3sVersion: "v1.32.2+k3s1", networks, allowOverlappingRanges });

const LONG_NAME = `a${"b".repeat(253)}`;
const SECRET_JSON = '{"type": "macvlan", "ipam": {"type": "whereabouts"'; // truncated JSON

/** [case, networks, field, input, fragment of `allowed`, fragments of the message] */
type Row = [string, unknown[], string, unknown, string, string[]?];
// prettier-ignore
const rows: Row[] = [
  // Names and namespaces.
  ["upper-case name", [net({ name: "Lan" })], "networks[0].name", "Lan", "DNS-1123 name"],
  ["name starting with -", [net({ name: "-lan" })], "networks[0].name", "-lan", "DNS-1123 name"],
  ["name with _", [net({ name: "my_lan" })], "networks[0].name", "my_lan", "DNS-1123 name"],
  ["name of 254 characters", [net({ name: LONG_NAME })], "networks[0].name", LONG_NAME, "at most 253"],
  ["missing name", [net({ name: undefined })], "networks[0].name", undefined, "DNS-1123 name", ["(missing)"]],
  ["upper-case namespace", [net({ namespace: "Apps" })], "networks[0].namespace", "Apps", "DNS-1123 label"],
  ["namespace with a dot", [net({ namespace: "a.b" })], "networks[0].namespace", "a.b", "DNS-1123 label"],
  ["namespace of 64", [net({ namespace: "a".repeat(64) })], "networks[0].namespace", "a".repeat(64), "at most 63"],
  // Interfaces.
  ["interface of 16", [net({ interface: "net123456789abcd" })], "networks[0].interface", "net123456789abcd", "1 to 15"],
  ["interface with a space", [net({ interface: "net 1" })], "networks[0].interface", "net 1", "1 to 15"],
  ["interface with a slash", [net({ interface: "net/1" })], "networks[0].interface", "net/1", "1 to 15"],
  ["interface with ;", [net({ interface: "n;reboot" })], "networks[0].interface", "n;reboot", "1 to 15"],
  ["empty interface", [net({ interface: "" })], "networks[0].interface", "", "1 to 15"],
  ["interface eth0", [net({ interface: "eth0" })], "networks[0].interface", "eth0", "primary (flannel) interface", ["is taken in every pod"]],
  ["interface lo", [net({ interface: "lo" })], "networks[0].interface", "lo", "loopback interface", ["is taken in every pod"]],
  ["master with $()", [net({ master: "$(id)" })], "networks[0].master", "$(id)", "Linux interface name"],
  // Addresses and ranges.
  ["range without prefix", [wb({ range: "10.0.0.0" })], "networks[0].ipam.range", "10.0.0.0", "IP prefix"],
  ["prefix /33", [wb({ range: "10.0.0.0/33" })], "networks[0].ipam.range", "10.0.0.0/33", "IP prefix"],
  ["octet with a leading zero", [wb({ range: "10.0.010.0/24" })], "networks[0].ipam.range", "10.0.010.0/24", "IP prefix"],
  ["range that is a word", [wb({ range: "lan" })], "networks[0].ipam.range", "lan", "IP prefix"],
  ["missing range", [wb({ range: undefined })], "networks[0].ipam.range", undefined, "IP prefix"],
  ["host-local host bits", [hl({ range: "10.0.0.5/24" })], "networks[0].ipam.range", "10.0.0.5/24", "did you mean 10.0.0.0/24?", ["has host bits set"]],
  ["host-local IPv6 host bits", [hl({ range: "fd00::1/64" })], "networks[0].ipam.range", "fd00::1/64", "did you mean fd00::/64?"],
  ["rangeStart outside", [wb({ rangeStart: "10.0.1.5" })], "networks[0].ipam.rangeStart", "10.0.1.5", "inside 10.0.0.0/24"],
  ["rangeEnd outside", [hl({ rangeEnd: "10.0.1.5" })], "networks[0].ipam.rangeEnd", "10.0.1.5", "inside 10.0.0.0/24"],
  ["rangeStart not an IP", [wb({ rangeStart: "10.0.0.5/32" })], "networks[0].ipam.rangeStart", "10.0.0.5/32", "IP address"],
  ["rangeStart after rangeEnd", [hl({ rangeStart: "10.0.0.50", rangeEnd: "10.0.0.40" })], "networks[0].ipam.rangeEnd", "10.0.0.40", "not before rangeStart 10.0.0.50"],
  ["rangeEnd with an a-b range", [wb({ range: "10.0.0.10-10.0.0.20/24", rangeEnd: "10.0.0.5" })], "networks[0].ipam.rangeEnd", "10.0.0.5", "whereabouts takes first and last and ignores rangeStart and rangeEnd"],
  ["rangeStart with an a-b range", [wb({ range: "10.0.0.10-10.0.0.20/24", rangeStart: "10.0.0.12" })], "networks[0].ipam.rangeStart", "10.0.0.12", "ignores rangeStart and rangeEnd"],
  ["rangeStart after the range's end", [hl({ range: "10.0.0.0/24", rangeStart: "10.0.0.255" })], "networks[0].ipam.rangeStart", "10.0.0.255", "between the network and broadcast addresses", ["is the broadcast address of 10.0.0.0/24"]],
  // What the plugins refuse or mishandle (measured with the reference plugins, tests/plugins).
  ["host-local /31", [hl({ range: "10.0.0.0/31" })], "networks[0].ipam.range", "10.0.0.0/31", "at least four addresses", ["is too small to allocate from"]],
  ["host-local /32", [hl({ range: "10.0.0.0/32" })], "networks[0].ipam.range", "10.0.0.0/32", "IPv4 /30 or shorter"],
  ["host-local IPv6 /127", [hl({ range: "fd00::/127" })], "networks[0].ipam.range", "fd00::/127", "IPv6 /126 or shorter"],
  ["whereabouts /32", [wb({ range: "10.0.0.7/32" })], "networks[0].ipam.range", "10.0.0.7/32", "at least four addresses"],
  ["whereabouts a-b in a /31", [wb({ range: "10.0.0.0-10.0.0.1/31" })], "networks[0].ipam.range", "10.0.0.0-10.0.0.1/31", "at least four addresses"],
  ["host-local range of only the default gateway", [hl({ range: "10.0.0.0/30", rangeStart: "10.0.0.1", rangeEnd: "10.0.0.1" })], "networks[0].ipam.rangeStart", "10.0.0.1", "an address besides the gateway 10.0.0.1", ["holds only the gateway"]],
  ["whereabouts range of only the gateway", [wb({ rangeStart: "10.0.0.5", rangeEnd: "10.0.0.5", gateway: "10.0.0.5" })], "networks[0].ipam.rangeStart", "10.0.0.5", "besides the gateway 10.0.0.5, which whereabouts never hands out"],
  ["host-local rangeStart on the network address", [hl({ rangeStart: "10.0.0.0" })], "networks[0].ipam.rangeStart", "10.0.0.0", "between the network and broadcast addresses of 10.0.0.0/24", ["is the network address of 10.0.0.0/24"]],
  ["host-local rangeEnd on the broadcast address", [hl({ rangeEnd: "10.0.0.255" })], "networks[0].ipam.rangeEnd", "10.0.0.255", "between the network and broadcast", ["is the broadcast address"]],
  ["whereabouts rangeStart on the network address", [wb({ rangeStart: "10.0.0.0" })], "networks[0].ipam.rangeStart", "10.0.0.0", "between the network and broadcast", ["is the network address"]],
  ["whereabouts a-b from the network address", [wb({ range: "10.0.0.0-10.0.0.9/24" })], "networks[0].ipam.range", "10.0.0.0-10.0.0.9/24", "between the network and broadcast", ["is the network address"]],
  ["IPv6 rangeStart on the network address", [hl({ range: "fd00::/64", rangeStart: "fd00::" })], "networks[0].ipam.rangeStart", "fd00::", "of fd00::/64", ["is the network address"]],
  ["gateway on the network address", [hl({ gateway: "10.0.0.0" })], "networks[0].ipam.gateway", "10.0.0.0", "between the network and broadcast", ["is the network address"]],
  ["whereabouts range with host bits", [wb({ range: "10.0.0.100/24" })], "networks[0].ipam.range", "10.0.0.100/24", "did you mean range 10.0.0.0/24 with rangeStart 10.0.0.100?", ["has host bits set"]],
  ["route dst with host bits", [wb({ routes: [{ dst: "10.50.0.5/16" }] })], "networks[0].ipam.routes[0].dst", "10.50.0.5/16", "did you mean 10.50.0.0/16?", ["has host bits set"]],
  ["route gw no range reaches", [hl({ routes: [{ dst: "10.50.0.0/16", gw: "10.77.0.1" }] })], "networks[0].ipam.routes[0].gw", "10.77.0.1", "a next hop inside 10.0.0.0/24", ["is not reachable from the network"]],
  ["static route gw no address reaches", [withIpam({ type: "static", addresses: [{ address: "10.2.0.5/24" }, { address: "fd00:2::5/64" }], routes: [{ dst: "0.0.0.0/0", gw: "10.3.0.1" }] })], "networks[0].ipam.routes[0].gw", "10.3.0.1", "inside 10.2.0.0/24 or fd00:2::/64"],
  ["static without addresses key", [withIpam({ type: "static" })], "networks[0].ipam.addresses", undefined, "a list of addresses", ["is required for static"]],
  ["kernelpath outside /sys/devices", [{ name: "h", type: "host-device", kernelpath: "/sys/class/net/eth1" }], "networks[0].kernelpath", "/sys/class/net/eth1", "under /sys/devices/"],
  ["IPv6 network with mtu 1279", [net({ mtu: 1279, ipam: { type: "whereabouts", range: "fd00::/64" } })], "networks[0].mtu", 1279, "at least 1280", ["is too small for IPv6"]],
  ["static IPv6 address with mtu 1000", [net({ mtu: 1000, ipam: { type: "static", addresses: [{ address: "10.2.0.5/24" }, { address: "fd00:2::5/64" }] } })], "networks[0].mtu", 1000, "at least 1280"],
  ["ipvlan l3 with dhcp", [net({ type: "ipvlan", mode: "l3", ipam: { type: "dhcp" } })], "networks[0].mode", "l3", '"l2" with dhcp', ["cannot work with dhcp"]],
  ["ipvlan l3s with dhcp", [net({ type: "ipvlan", mode: "l3s", ipam: { type: "dhcp" } })], "networks[0].mode", "l3s", "pass no broadcast"],
  ["bridge whose VLAN interface name is too long", [net({ type: "bridge", master: undefined, bridge: "br-storage-01", isGateway: true, vlan: 100 })], "networks[0].bridge", "br-storage-01", "at most 11 characters with vlan 100 and isGateway: the plugin creates the gateway interface br-storage-01.100", ["is too long for its VLAN interface"]],
  ["gateway outside", [wb({ gateway: "10.0.1.1" })], "networks[0].ipam.gateway", "10.0.1.1", "inside 10.0.0.0/24"],
  ["IPv6 gateway on IPv4", [hl({ gateway: "fd00::1" })], "networks[0].ipam.gateway", "fd00::1", "inside 10.0.0.0/24"],
  ["exclude outside", [wb({ exclude: ["10.0.0.0/28", "10.0.1.0/28"] })], "networks[0].ipam.exclude[1]", "10.0.1.0/28", "inside 10.0.0.0/24"],
  ["exclude wider than range", [wb({ exclude: ["10.0.0.0/16"] })], "networks[0].ipam.exclude[0]", "10.0.0.0/16", "inside 10.0.0.0/24"],
  ["exclude not a prefix", [wb({ exclude: ["10.0.0.7"] })], "networks[0].ipam.exclude[0]", "10.0.0.7", "IP prefix"],
  ["a-b reversed", [wb({ range: "10.0.0.20-10.0.0.10/24" })], "networks[0].ipam.range", "10.0.0.20-10.0.0.10/24", "first <= last"],
  ["a-b end outside prefix", [wb({ range: "192.168.2.225-192.168.3.1/28" })], "networks[0].ipam.range", "192.168.3.1", "inside 192.168.2.224/28"],
  ["a-b without prefix", [wb({ range: "10.0.0.1-10.0.0.9" })], "networks[0].ipam.range", "10.0.0.1-10.0.0.9", "IP prefix"],
  ["a-b on host-local", [hl({ range: "10.0.0.1-10.0.0.9/24" })], "networks[0].ipam.range", "10.0.0.1-10.0.0.9/24", "no host bits"],
  ["route dst not a prefix", [wb({ routes: [{ dst: "default" }] })], "networks[0].ipam.routes[0].dst", "default", "network prefix"],
  ["route gw not an IP", [wb({ routes: [{ dst: "0.0.0.0/0", gw: "router" }] })], "networks[0].ipam.routes[0].gw", "router", "IP address"],
  ["static without addresses", [withIpam({ type: "static", addresses: [] })], "networks[0].ipam.addresses", [], "at least one address", ["required for static"]],
  ["static gateway outside", [withIpam({ type: "static", addresses: [{ address: "10.2.0.5/24", gateway: "10.3.0.1" }] })], "networks[0].ipam.addresses[0].gateway", "10.3.0.1", "inside 10.2.0.5/24"],
  // Types and keys.
  ["ipam missing", [net({ ipam: undefined })], "networks[0].ipam", undefined, "expected an ipam block for macvlan", ["is required"]],
  ["unknown plugin type", [net({ type: "vlan" })], "networks[0].type", "vlan", 'expected one of "macvlan", "ipvlan", "bridge", "host-device"'],
  ["type missing", [net({ type: undefined })], "networks[0].type", undefined, '"macvlan"'],
  ["unknown IPAM type", [withIpam({ type: "calico-ipam" })], "networks[0].ipam.type", "calico-ipam", '"whereabouts", "host-local", "dhcp", "static"'],
  ["misspelt option", [net({ masterr: "eth2" })], "networks[0].masterr", "eth2", "expected only the keys", ["is not a known option"]],
  ["misspelt IPAM option", [wb({ rangestart: "10.0.0.5" })], "networks[0].ipam.rangestart", "10.0.0.5", "rangeStart"],
  ["dhcp with a range", [withIpam({ type: "dhcp", range: "10.0.0.0/24" })], "networks[0].ipam.range", "10.0.0.0/24", "only the keys type"],
  ["host-local with exclude", [hl({ exclude: ["10.0.0.0/28"] })], "networks[0].ipam.exclude", ["10.0.0.0/28"], "only the keys"],
  ["option of another plugin", [net({ bridge: "br0" })], "networks[0].bridge", "br0", "only the keys"],
  ["bridge cni0", [net({ type: "bridge", master: undefined, bridge: "cni0" })], "networks[0].bridge", "cni0", "cni0 is flannel's bridge"],
  ["bridge without bridge", [net({ type: "bridge", master: undefined })], "networks[0].bridge", undefined, "Linux interface name"],
  ["host-device without selector", [{ name: "h", type: "host-device" }], "networks[0]", [], "exactly one of device, hwaddr, kernelpath, pciBusID"],
  ["host-device with two", [{ name: "h", type: "host-device", device: "eth2", hwaddr: "52:54:00:12:34:56" }], "networks[0]", ["device", "hwaddr"], "exactly one of"],
  ["bad MAC", [{ name: "h", type: "host-device", hwaddr: "52:54:00:12:34" }], "networks[0].hwaddr", "52:54:00:12:34", "MAC address"],
  ["bad PCI address", [{ name: "h", type: "host-device", pciBusID: "00:1f.6" }], "networks[0].pciBusID", "00:1f.6", "PCI address"],
  ["kernelpath with $()", [{ name: "h", type: "host-device", kernelpath: "/sys/$(id)" }], "networks[0].kernelpath", "/sys/$(id)", "absolute path"],
  ["mtu 67", [net({ mtu: 67 })], "networks[0].mtu", 67, "from 68 to 65535"],
  ["vlan 4095", [net({ type: "bridge", master: undefined, bridge: "br0", vlan: 4095 })], "networks[0].vlan", 4095, "from 0 to 4094"],
  ["macvlan mode of ipvlan", [net({ mode: "l2" })], "networks[0].mode", "l2", '"bridge", "private", "vepa", "passthru"'],
  ["ipvlan mode of macvlan", [net({ type: "ipvlan", mode: "bridge" })], "networks[0].mode", "bridge", '"l2", "l3", "l3s"'],
  ["unknown cniVersion", [net({ cniVersion: "2.0.0" })], "networks[0].cniVersion", "2.0.0", '"1.0.0"'],
  ["isGateway as a string", [net({ type: "bridge", master: undefined, bridge: "br0", isGateway: "yes" })], "networks[0].isGateway", "yes", "true or false"],
  // Raw config.
  ["config and type", [{ name: "r", type: "macvlan", config: "{}" }], "networks[0].type", "macvlan", "unset when `config` is given"],
  ["config not JSON", [{ name: "r", config: SECRET_JSON }], "networks[0].config", SECRET_JSON, "CNI config as JSON text", ["is not JSON"]],
  ["config without type", [{ name: "r", config: '{"cniVersion": "1.0.0"}' }], "networks[0].config", '{"cniVersion": "1.0.0"}', "string `type`"],
  ["config a JSON list", [{ name: "r", config: "[]" }], "networks[0].config", [], "expected an object"],
  ["config with typed keys", [{ name: "r", config: '{"type":"macvlan"}', master: "eth1" }], "networks[0].master", "eth1", "only the keys"],
  ["config with type and TYPE", [{ name: "r", config: '{"type":"macvlan","TYPE":"bridge"}' }], "networks[0].config.TYPE", "TYPE", 'also "type"', ["duplicates a key"]],
  ["config with ipam.Type and ipam.type", [{ name: "r", config: '{"type":"macvlan","ipam":{"Type":"dhcp","type":"static"}}' }], "networks[0].config.ipam.type", "type", 'also "Type"'],
  ["config nested 10000 levels", [{ name: "r", config: `{"type":"macvlan","x":${"[".repeat(10000)}${"]".repeat(10000)}}` }], "networks[0].config", "(nested too deep)", "at most 64 levels deep"],
  // Lists, duplicates and overlaps.
  ["a network not an object", ["lan"], "networks[0]", "lan", "expected an object"],
  ["duplicate names", [net({ name: "lan" }), net({ name: "lan", ipam: { type: "dhcp" } })], "networks[1].name", "lan", "not used by networks[0]", ["is a duplicate"]],
  ["duplicate interfaces", [net({ name: "a", interface: "net1" }), net({ name: "b", interface: "net1", ipam: { type: "dhcp" } })], "networks[1].interface", "net1", "networks[0] and networks[1] both get net1", ["is used twice"]],
  ["an interface Multus gives another network", [net({ name: "a" }), net({ name: "b", interface: "net1", ipam: { type: "dhcp" } })], "networks[1].interface", "net1", "networks[0] (Multus names it net1 by position) and networks[1] both get net1"],
  ["an interface Multus gives a later network", [net({ name: "a", interface: "net2" }), net({ name: "b", ipam: { type: "dhcp" } })], "networks[0].interface", "net2", "networks[0] and networks[1] (Multus names it net2 by position)"],
  ["overlapping ranges", [net({ name: "a" }), named("b", { type: "host-local", range: "10.0.0.128/25" })], "networks[1].ipam.range", "b", "apart from networks[0] (a), whose networks[0].ipam.range hands out 10.0.0.1-10.0.0.254; set allowOverlappingRanges", ["hands out 10.0.0.129-10.0.0.254, which overlaps"]],
  ["ranges that share one address", [wb({ range: "10.0.0.1-10.0.0.100/24" }), named("b", { type: "host-local", range: "10.0.0.0/24", rangeStart: "10.0.0.100" })], "networks[1].ipam.range", "b", "whose networks[0].ipam.range hands out 10.0.0.1-10.0.0.100", ["hands out 10.0.0.100-10.0.0.254, which overlaps"]],
  ["a static address inside a range", [net({ name: "a" }), named("s", { type: "static", addresses: [{ address: "10.0.0.7/24" }] })], "networks[1].ipam.addresses[0].address", "s", "networks[0] (a)"],
  ["overlapping IPv6 ranges", [named("a", { type: "whereabouts", range: "fd00::/64" }), named("b", { type: "whereabouts", range: "fd00::1000-fd00::2000/64" })], "networks[1].ipam.range", "b", "networks[0] (a)"],
];

describe("validation: networks and IPAM", () => {
  for (const [name, networks, field, input, allowed, message] of rows) {
    it(`${name}: ${field}`, () =>
      expectMultusError(() => validate(networks), { field, input, allowed, message }));
  }

  it("networks not a list", () => {
    expectMultusError(() => validate({ name: "lan" }), {
      field: "networks",
      input: { name: "lan" },
      allowed: "a list",
    });
  });

  it("more than 256 networks", () => {
    const many = Array.from({ length: 257 }, (_, i) => net({ name: `n${i}`, ipam: { type: "dhcp" } }));
    expectMultusError(() => validate(many), {
      field: "networks",
      input: "(257 items)",
      allowed: "at most 256",
    });
  });

  const accepted: [string, unknown[], unknown?][] = [
    ["overlapping ranges with allowOverlappingRanges", [net({ name: "a" }), net({ name: "b" })], true],
    ["adjacent ranges", [wb({ range: "10.0.0.0/25" }), { ...wb({ range: "10.0.0.128/25" }), name: "b" }]],
    [
      "ranges narrowed apart by rangeEnd and a-b",
      [wb({ rangeEnd: "10.0.0.99" }), { ...wb({ range: "10.0.0.100-10.0.0.200/24" }), name: "b" }],
    ],
    ["one range in two families", [wb({ range: "10.0.0.0/8" }), { ...wb({ range: "fd00::/8" }), name: "b" }]],
    [
      "the same interface name unset twice",
      [net({ name: "a", ipam: { type: "dhcp" } }), net({ name: "b", ipam: { type: "dhcp" } })],
    ],
    ["a 15-character interface", [net({ interface: "net123456789abc" })]],
    ["a 253-character name", [net({ name: "a".repeat(253) })]],
    ["bridge cni1", [net({ type: "bridge", master: undefined, bridge: "cni1" })]],
    ["an IPv4 network with mtu 576", [net({ mtu: 576 })]],
    [
      "the K3s docs' whereabouts range 192.168.2.225/28 (host bits on the first usable address)",
      [wb({ range: "192.168.2.225/28" })],
    ],
    [
      "a long bridge name with a VLAN but no gateway",
      [net({ type: "bridge", master: undefined, bridge: "br-storage-01", vlan: 100 })],
    ],
    [
      "automatic names beside explicit others",
      [
        net({ name: "a" }),
        net({ name: "b", interface: "net5", ipam: { type: "dhcp" } }),
        net({ name: "c", ipam: { type: "dhcp" } }),
      ],
    ],
    ["ipvlan l2 with dhcp", [net({ type: "ipvlan", mode: "l2", ipam: { type: "dhcp" } })]],
    ["a route via the range's gateway", [hl({ routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }] })]],
  ];
  for (const [name, networks, allowOverlapping] of accepted) {
    it(`accepts ${name}`, () =>
      expect(validate(networks, allowOverlapping).networks).to.have.lengthOf(networks.length));
  }

  it("refuses allowOverlappingRanges that is not a boolean", () => {
    expectMultusError(() => validate([], "yes"), {
      field: "allowOverlappingRanges",
      input: "yes",
      allowed: "true or false",
    });
  });
});
