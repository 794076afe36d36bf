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

/** A refused input: the networks, and the field, input, `allowed` fragment and message fragments of its error. */
interface Row {
  name: string;
  networks: unknown[];
  field: string;
  input: unknown;
  allowed: string;
  message?: string[];
}
// prettier-ignore
const rows: Row[] = [
  // Names and namespaces.
  { name: "upper-case name", networks: [net({ name: "Lan" })], field: "networks[0].name", input: "Lan", allowed: "DNS-1123 name" },
  { name: "name starting with -", networks: [net({ name: "-lan" })], field: "networks[0].name", input: "-lan", allowed: "DNS-1123 name" },
  { name: "name with _", networks: [net({ name: "my_lan" })], field: "networks[0].name", input: "my_lan", allowed: "DNS-1123 name" },
  { name: "name of 254 characters", networks: [net({ name: LONG_NAME })], field: "networks[0].name", input: LONG_NAME, allowed: "at most 253" },
  { name: "missing name", networks: [net({ name: undefined })], field: "networks[0].name", input: undefined, allowed: "DNS-1123 name", message: ["(missing)"] },
  { name: "upper-case namespace", networks: [net({ namespace: "Apps" })], field: "networks[0].namespace", input: "Apps", allowed: "DNS-1123 label" },
  { name: "namespace with a dot", networks: [net({ namespace: "a.b" })], field: "networks[0].namespace", input: "a.b", allowed: "DNS-1123 label" },
  { name: "namespace of 64", networks: [net({ namespace: "a".repeat(64) })], field: "networks[0].namespace", input: "a".repeat(64), allowed: "at most 63" },
  // Interfaces.
  { name: "interface of 16", networks: [net({ interface: "net123456789abcd" })], field: "networks[0].interface", input: "net123456789abcd", allowed: "1 to 15" },
  { name: "interface with a space", networks: [net({ interface: "net 1" })], field: "networks[0].interface", input: "net 1", allowed: "1 to 15" },
  { name: "interface with a slash", networks: [net({ interface: "net/1" })], field: "networks[0].interface", input: "net/1", allowed: "1 to 15" },
  { name: "interface with ;", networks: [net({ interface: "n;reboot" })], field: "networks[0].interface", input: "n;reboot", allowed: "1 to 15" },
  { name: "empty interface", networks: [net({ interface: "" })], field: "networks[0].interface", input: "", allowed: "1 to 15" },
  { name: "interface eth0", networks: [net({ interface: "eth0" })], field: "networks[0].interface", input: "eth0", allowed: "primary (flannel) interface", message: ["is taken in every pod"] },
  { name: "interface lo", networks: [net({ interface: "lo" })], field: "networks[0].interface", input: "lo", allowed: "loopback interface", message: ["is taken in every pod"] },
  { name: "master with $()", networks: [net({ master: "$(id)" })], field: "networks[0].master", input: "$(id)", allowed: "Linux interface name" },
  // Addresses and ranges.
  { name: "range without prefix", networks: [wb({ range: "10.0.0.0" })], field: "networks[0].ipam.range", input: "10.0.0.0", allowed: "IP prefix" },
  { name: "prefix /33", networks: [wb({ range: "10.0.0.0/33" })], field: "networks[0].ipam.range", input: "10.0.0.0/33", allowed: "IP prefix" },
  { name: "octet with a leading zero", networks: [wb({ range: "10.0.010.0/24" })], field: "networks[0].ipam.range", input: "10.0.010.0/24", allowed: "IP prefix" },
  { name: "range that is a word", networks: [wb({ range: "lan" })], field: "networks[0].ipam.range", input: "lan", allowed: "IP prefix" },
  { name: "missing range", networks: [wb({ range: undefined })], field: "networks[0].ipam.range", input: undefined, allowed: "IP prefix" },
  { name: "host-local host bits", networks: [hl({ range: "10.0.0.5/24" })], field: "networks[0].ipam.range", input: "10.0.0.5/24", allowed: "did you mean 10.0.0.0/24?", message: ["has host bits set"] },
  { name: "host-local IPv6 host bits", networks: [hl({ range: "fd00::1/64" })], field: "networks[0].ipam.range", input: "fd00::1/64", allowed: "did you mean fd00::/64?" },
  { name: "rangeStart outside", networks: [wb({ rangeStart: "10.0.1.5" })], field: "networks[0].ipam.rangeStart", input: "10.0.1.5", allowed: "inside 10.0.0.0/24" },
  { name: "rangeEnd outside", networks: [hl({ rangeEnd: "10.0.1.5" })], field: "networks[0].ipam.rangeEnd", input: "10.0.1.5", allowed: "inside 10.0.0.0/24" },
  { name: "rangeStart not an IP", networks: [wb({ rangeStart: "10.0.0.5/32" })], field: "networks[0].ipam.rangeStart", input: "10.0.0.5/32", allowed: "IP address" },
  { name: "rangeStart after rangeEnd", networks: [hl({ rangeStart: "10.0.0.50", rangeEnd: "10.0.0.40" })], field: "networks[0].ipam.rangeEnd", input: "10.0.0.40", allowed: "not before rangeStart 10.0.0.50" },
  { name: "rangeEnd with an a-b range", networks: [wb({ range: "10.0.0.10-10.0.0.20/24", rangeEnd: "10.0.0.5" })], field: "networks[0].ipam.rangeEnd", input: "10.0.0.5", allowed: "whereabouts takes first and last and ignores rangeStart and rangeEnd" },
  { name: "rangeStart with an a-b range", networks: [wb({ range: "10.0.0.10-10.0.0.20/24", rangeStart: "10.0.0.12" })], field: "networks[0].ipam.rangeStart", input: "10.0.0.12", allowed: "ignores rangeStart and rangeEnd" },
  { name: "rangeStart after the range's end", networks: [hl({ range: "10.0.0.0/24", rangeStart: "10.0.0.255" })], field: "networks[0].ipam.rangeStart", input: "10.0.0.255", allowed: "between the network and broadcast addresses", message: ["is the broadcast address of 10.0.0.0/24"] },
  // What the plugins refuse or mishandle (measured with the reference plugins, tests/plugins).
  { name: "host-local /31", networks: [hl({ range: "10.0.0.0/31" })], field: "networks[0].ipam.range", input: "10.0.0.0/31", allowed: "at least four addresses", message: ["is too small to allocate from"] },
  { name: "host-local /32", networks: [hl({ range: "10.0.0.0/32" })], field: "networks[0].ipam.range", input: "10.0.0.0/32", allowed: "IPv4 /30 or shorter" },
  { name: "host-local IPv6 /127", networks: [hl({ range: "fd00::/127" })], field: "networks[0].ipam.range", input: "fd00::/127", allowed: "IPv6 /126 or shorter" },
  { name: "whereabouts /32", networks: [wb({ range: "10.0.0.7/32" })], field: "networks[0].ipam.range", input: "10.0.0.7/32", allowed: "at least four addresses" },
  { name: "whereabouts a-b in a /31", networks: [wb({ range: "10.0.0.0-10.0.0.1/31" })], field: "networks[0].ipam.range", input: "10.0.0.0-10.0.0.1/31", allowed: "at least four addresses" },
  { name: "host-local range of only the default gateway", networks: [hl({ range: "10.0.0.0/30", rangeStart: "10.0.0.1", rangeEnd: "10.0.0.1" })], field: "networks[0].ipam.rangeStart", input: "10.0.0.1", allowed: "an address besides the gateway 10.0.0.1", message: ["holds only the gateway"] },
  { name: "whereabouts range of only the gateway", networks: [wb({ rangeStart: "10.0.0.5", rangeEnd: "10.0.0.5", gateway: "10.0.0.5" })], field: "networks[0].ipam.rangeStart", input: "10.0.0.5", allowed: "besides the gateway 10.0.0.5, which whereabouts never hands out" },
  { name: "host-local rangeStart on the network address", networks: [hl({ rangeStart: "10.0.0.0" })], field: "networks[0].ipam.rangeStart", input: "10.0.0.0", allowed: "between the network and broadcast addresses of 10.0.0.0/24", message: ["is the network address of 10.0.0.0/24"] },
  { name: "host-local rangeEnd on the broadcast address", networks: [hl({ rangeEnd: "10.0.0.255" })], field: "networks[0].ipam.rangeEnd", input: "10.0.0.255", allowed: "between the network and broadcast", message: ["is the broadcast address"] },
  { name: "whereabouts rangeStart on the network address", networks: [wb({ rangeStart: "10.0.0.0" })], field: "networks[0].ipam.rangeStart", input: "10.0.0.0", allowed: "between the network and broadcast", message: ["is the network address"] },
  { name: "whereabouts a-b from the network address", networks: [wb({ range: "10.0.0.0-10.0.0.9/24" })], field: "networks[0].ipam.range", input: "10.0.0.0-10.0.0.9/24", allowed: "between the network and broadcast", message: ["is the network address"] },
  { name: "IPv6 rangeStart on the network address", networks: [hl({ range: "fd00::/64", rangeStart: "fd00::" })], field: "networks[0].ipam.rangeStart", input: "fd00::", allowed: "of fd00::/64", message: ["is the network address"] },
  { name: "gateway on the network address", networks: [hl({ gateway: "10.0.0.0" })], field: "networks[0].ipam.gateway", input: "10.0.0.0", allowed: "between the network and broadcast", message: ["is the network address"] },
  { name: "whereabouts range with host bits", networks: [wb({ range: "10.0.0.100/24" })], field: "networks[0].ipam.range", input: "10.0.0.100/24", allowed: "did you mean range 10.0.0.0/24 with rangeStart 10.0.0.100?", message: ["has host bits set"] },
  { name: "route dst with host bits", networks: [wb({ routes: [{ dst: "10.50.0.5/16" }] })], field: "networks[0].ipam.routes[0].dst", input: "10.50.0.5/16", allowed: "did you mean 10.50.0.0/16?", message: ["has host bits set"] },
  { name: "route gw no range reaches", networks: [hl({ routes: [{ dst: "10.50.0.0/16", gw: "10.77.0.1" }] })], field: "networks[0].ipam.routes[0].gw", input: "10.77.0.1", allowed: "a next hop inside 10.0.0.0/24", message: ["is not reachable from the network"] },
  { name: "static route gw no address reaches", networks: [withIpam({ type: "static", addresses: [{ address: "10.2.0.5/24" }, { address: "fd00:2::5/64" }], routes: [{ dst: "0.0.0.0/0", gw: "10.3.0.1" }] })], field: "networks[0].ipam.routes[0].gw", input: "10.3.0.1", allowed: "inside 10.2.0.0/24 or fd00:2::/64" },
  { name: "static without addresses key", networks: [withIpam({ type: "static" })], field: "networks[0].ipam.addresses", input: undefined, allowed: "a list of addresses", message: ["is required for static"] },
  { name: "kernelpath outside /sys/devices", networks: [{ name: "h", type: "host-device", kernelpath: "/sys/class/net/eth1" }], field: "networks[0].kernelpath", input: "/sys/class/net/eth1", allowed: "under /sys/devices/" },
  { name: "IPv6 network with mtu 1279", networks: [net({ mtu: 1279, ipam: { type: "whereabouts", range: "fd00::/64" } })], field: "networks[0].mtu", input: 1279, allowed: "at least 1280", message: ["is too small for IPv6"] },
  { name: "static IPv6 address with mtu 1000", networks: [net({ mtu: 1000, ipam: { type: "static", addresses: [{ address: "10.2.0.5/24" }, { address: "fd00:2::5/64" }] } })], field: "networks[0].mtu", input: 1000, allowed: "at least 1280" },
  { name: "ipvlan l3 with dhcp", networks: [net({ type: "ipvlan", mode: "l3", ipam: { type: "dhcp" } })], field: "networks[0].mode", input: "l3", allowed: '"l2" with dhcp', message: ["cannot work with dhcp"] },
  { name: "ipvlan l3s with dhcp", networks: [net({ type: "ipvlan", mode: "l3s", ipam: { type: "dhcp" } })], field: "networks[0].mode", input: "l3s", allowed: "pass no broadcast" },
  { name: "bridge whose VLAN interface name is too long", networks: [net({ type: "bridge", master: undefined, bridge: "br-storage-01", isGateway: true, vlan: 100 })], field: "networks[0].bridge", input: "br-storage-01", allowed: "at most 11 characters with vlan 100 and isGateway: the plugin creates the gateway interface br-storage-01.100", message: ["is too long for its VLAN interface"] },
  { name: "gateway outside", networks: [wb({ gateway: "10.0.1.1" })], field: "networks[0].ipam.gateway", input: "10.0.1.1", allowed: "inside 10.0.0.0/24" },
  { name: "IPv6 gateway on IPv4", networks: [hl({ gateway: "fd00::1" })], field: "networks[0].ipam.gateway", input: "fd00::1", allowed: "inside 10.0.0.0/24" },
  { name: "exclude outside", networks: [wb({ exclude: ["10.0.0.0/28", "10.0.1.0/28"] })], field: "networks[0].ipam.exclude[1]", input: "10.0.1.0/28", allowed: "inside 10.0.0.0/24" },
  { name: "exclude wider than range", networks: [wb({ exclude: ["10.0.0.0/16"] })], field: "networks[0].ipam.exclude[0]", input: "10.0.0.0/16", allowed: "inside 10.0.0.0/24" },
  { name: "exclude not a prefix", networks: [wb({ exclude: ["10.0.0.7"] })], field: "networks[0].ipam.exclude[0]", input: "10.0.0.7", allowed: "IP prefix" },
  { name: "a-b reversed", networks: [wb({ range: "10.0.0.20-10.0.0.10/24" })], field: "networks[0].ipam.range", input: "10.0.0.20-10.0.0.10/24", allowed: "first <= last" },
  { name: "a-b end outside prefix", networks: [wb({ range: "192.168.2.225-192.168.3.1/28" })], field: "networks[0].ipam.range", input: "192.168.3.1", allowed: "inside 192.168.2.224/28" },
  { name: "a-b without prefix", networks: [wb({ range: "10.0.0.1-10.0.0.9" })], field: "networks[0].ipam.range", input: "10.0.0.1-10.0.0.9", allowed: "IP prefix" },
  { name: "a-b on host-local", networks: [hl({ range: "10.0.0.1-10.0.0.9/24" })], field: "networks[0].ipam.range", input: "10.0.0.1-10.0.0.9/24", allowed: "no host bits" },
  { name: "route dst not a prefix", networks: [wb({ routes: [{ dst: "default" }] })], field: "networks[0].ipam.routes[0].dst", input: "default", allowed: "network prefix" },
  { name: "route gw not an IP", networks: [wb({ routes: [{ dst: "0.0.0.0/0", gw: "router" }] })], field: "networks[0].ipam.routes[0].gw", input: "router", allowed: "IP address" },
  { name: "static without addresses", networks: [withIpam({ type: "static", addresses: [] })], field: "networks[0].ipam.addresses", input: [], allowed: "at least one address", message: ["required for static"] },
  { name: "static gateway outside", networks: [withIpam({ type: "static", addresses: [{ address: "10.2.0.5/24", gateway: "10.3.0.1" }] })], field: "networks[0].ipam.addresses[0].gateway", input: "10.3.0.1", allowed: "inside 10.2.0.5/24" },
  // Types and keys.
  { name: "ipam missing", networks: [net({ ipam: undefined })], field: "networks[0].ipam", input: undefined, allowed: "expected an ipam block for macvlan", message: ["is required"] },
  { name: "unknown plugin type", networks: [net({ type: "vlan" })], field: "networks[0].type", input: "vlan", allowed: 'expected one of "macvlan", "ipvlan", "bridge", "host-device"' },
  { name: "type missing", networks: [net({ type: undefined })], field: "networks[0].type", input: undefined, allowed: '"macvlan"' },
  { name: "unknown IPAM type", networks: [withIpam({ type: "calico-ipam" })], field: "networks[0].ipam.type", input: "calico-ipam", allowed: '"whereabouts", "host-local", "dhcp", "static"' },
  { name: "misspelt option", networks: [net({ masterr: "eth2" })], field: "networks[0].masterr", input: "eth2", allowed: "expected only the keys", message: ["is not a known option"] },
  { name: "misspelt IPAM option", networks: [wb({ rangestart: "10.0.0.5" })], field: "networks[0].ipam.rangestart", input: "10.0.0.5", allowed: "rangeStart" },
  { name: "dhcp with a range", networks: [withIpam({ type: "dhcp", range: "10.0.0.0/24" })], field: "networks[0].ipam.range", input: "10.0.0.0/24", allowed: "only the keys type" },
  { name: "host-local with exclude", networks: [hl({ exclude: ["10.0.0.0/28"] })], field: "networks[0].ipam.exclude", input: ["10.0.0.0/28"], allowed: "only the keys" },
  { name: "option of another plugin", networks: [net({ bridge: "br0" })], field: "networks[0].bridge", input: "br0", allowed: "only the keys" },
  { name: "bridge cni0", networks: [net({ type: "bridge", master: undefined, bridge: "cni0" })], field: "networks[0].bridge", input: "cni0", allowed: "cni0 is flannel's bridge" },
  { name: "bridge without bridge", networks: [net({ type: "bridge", master: undefined })], field: "networks[0].bridge", input: undefined, allowed: "Linux interface name" },
  { name: "host-device without selector", networks: [{ name: "h", type: "host-device" }], field: "networks[0]", input: [], allowed: "exactly one of device, hwaddr, kernelpath, pciBusID" },
  { name: "host-device with two", networks: [{ name: "h", type: "host-device", device: "eth2", hwaddr: "52:54:00:12:34:56" }], field: "networks[0]", input: ["device", "hwaddr"], allowed: "exactly one of" },
  { name: "bad MAC", networks: [{ name: "h", type: "host-device", hwaddr: "52:54:00:12:34" }], field: "networks[0].hwaddr", input: "52:54:00:12:34", allowed: "MAC address" },
  { name: "bad PCI address", networks: [{ name: "h", type: "host-device", pciBusID: "00:1f.6" }], field: "networks[0].pciBusID", input: "00:1f.6", allowed: "PCI address" },
  { name: "kernelpath with $()", networks: [{ name: "h", type: "host-device", kernelpath: "/sys/$(id)" }], field: "networks[0].kernelpath", input: "/sys/$(id)", allowed: "absolute path" },
  { name: "mtu 67", networks: [net({ mtu: 67 })], field: "networks[0].mtu", input: 67, allowed: "from 68 to 65535" },
  { name: "vlan 4095", networks: [net({ type: "bridge", master: undefined, bridge: "br0", vlan: 4095 })], field: "networks[0].vlan", input: 4095, allowed: "from 0 to 4094" },
  { name: "macvlan mode of ipvlan", networks: [net({ mode: "l2" })], field: "networks[0].mode", input: "l2", allowed: '"bridge", "private", "vepa", "passthru"' },
  { name: "ipvlan mode of macvlan", networks: [net({ type: "ipvlan", mode: "bridge" })], field: "networks[0].mode", input: "bridge", allowed: '"l2", "l3", "l3s"' },
  { name: "unknown cniVersion", networks: [net({ cniVersion: "2.0.0" })], field: "networks[0].cniVersion", input: "2.0.0", allowed: '"1.0.0"' },
  { name: "isGateway as a string", networks: [net({ type: "bridge", master: undefined, bridge: "br0", isGateway: "yes" })], field: "networks[0].isGateway", input: "yes", allowed: "true or false" },
  // Raw config.
  { name: "config and type", networks: [{ name: "r", type: "macvlan", config: "{}" }], field: "networks[0].type", input: "macvlan", allowed: "unset when `config` is given" },
  { name: "config not JSON", networks: [{ name: "r", config: SECRET_JSON }], field: "networks[0].config", input: SECRET_JSON, allowed: "CNI config as JSON text", message: ["is not JSON"] },
  { name: "config without type", networks: [{ name: "r", config: '{"cniVersion": "1.0.0"}' }], field: "networks[0].config", input: '{"cniVersion": "1.0.0"}', allowed: "string `type`" },
  { name: "config a JSON list", networks: [{ name: "r", config: "[]" }], field: "networks[0].config", input: [], allowed: "expected an object" },
  { name: "config with typed keys", networks: [{ name: "r", config: '{"type":"macvlan"}', master: "eth1" }], field: "networks[0].master", input: "eth1", allowed: "only the keys" },
  { name: "config with type and TYPE", networks: [{ name: "r", config: '{"type":"macvlan","TYPE":"bridge"}' }], field: "networks[0].config.TYPE", input: "TYPE", allowed: 'also "type"', message: ["duplicates a key"] },
  { name: "config with ipam.Type and ipam.type", networks: [{ name: "r", config: '{"type":"macvlan","ipam":{"Type":"dhcp","type":"static"}}' }], field: "networks[0].config.ipam.type", input: "type", allowed: 'also "Type"' },
  { name: "config nested 10000 levels", networks: [{ name: "r", config: `{"type":"macvlan","x":${"[".repeat(10000)}${"]".repeat(10000)}}` }], field: "networks[0].config", input: "(nested too deep)", allowed: "at most 64 levels deep" },
  // Lists, duplicates and overlaps.
  { name: "a network not an object", networks: ["lan"], field: "networks[0]", input: "lan", allowed: "expected an object" },
  { name: "duplicate names", networks: [net({ name: "lan" }), net({ name: "lan", ipam: { type: "dhcp" } })], field: "networks[1].name", input: "lan", allowed: "not used by networks[0]", message: ["is a duplicate"] },
  { name: "duplicate interfaces", networks: [net({ name: "a", interface: "net1" }), net({ name: "b", interface: "net1", ipam: { type: "dhcp" } })], field: "networks[1].interface", input: "net1", allowed: "networks[0] and networks[1] both get net1", message: ["is used twice"] },
  { name: "an interface Multus gives another network", networks: [net({ name: "a" }), net({ name: "b", interface: "net1", ipam: { type: "dhcp" } })], field: "networks[1].interface", input: "net1", allowed: "networks[0] (Multus names it net1 by position) and networks[1] both get net1" },
  { name: "an interface Multus gives a later network", networks: [net({ name: "a", interface: "net2" }), net({ name: "b", ipam: { type: "dhcp" } })], field: "networks[0].interface", input: "net2", allowed: "networks[0] and networks[1] (Multus names it net2 by position)" },
  { name: "overlapping ranges", networks: [net({ name: "a" }), named("b", { type: "host-local", range: "10.0.0.128/25" })], field: "networks[1].ipam.range", input: "b", allowed: "apart from networks[0] (a), whose networks[0].ipam.range hands out 10.0.0.1-10.0.0.254; set allowOverlappingRanges", message: ["hands out 10.0.0.129-10.0.0.254, which overlaps"] },
  { name: "ranges that share one address", networks: [wb({ range: "10.0.0.1-10.0.0.100/24" }), named("b", { type: "host-local", range: "10.0.0.0/24", rangeStart: "10.0.0.100" })], field: "networks[1].ipam.range", input: "b", allowed: "whose networks[0].ipam.range hands out 10.0.0.1-10.0.0.100", message: ["hands out 10.0.0.100-10.0.0.254, which overlaps"] },
  { name: "a static address inside a range", networks: [net({ name: "a" }), named("s", { type: "static", addresses: [{ address: "10.0.0.7/24" }] })], field: "networks[1].ipam.addresses[0].address", input: "s", allowed: "networks[0] (a)" },
  { name: "overlapping IPv6 ranges", networks: [named("a", { type: "whereabouts", range: "fd00::/64" }), named("b", { type: "whereabouts", range: "fd00::1000-fd00::2000/64" })], field: "networks[1].ipam.range", input: "b", allowed: "networks[0] (a)" },
];

describe("validation: networks and IPAM", () => {
  for (const { name, networks, field, input, allowed, message } of rows) {
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

  const accepted: { name: string; networks: unknown[]; allowOverlapping?: unknown }[] = [
    {
      name: "overlapping ranges with allowOverlappingRanges",
      networks: [net({ name: "a" }), net({ name: "b" })],
      allowOverlapping: true,
    },
    {
      name: "adjacent ranges",
      networks: [wb({ range: "10.0.0.0/25" }), { ...wb({ range: "10.0.0.128/25" }), name: "b" }],
    },
    {
      name: "ranges narrowed apart by rangeEnd and a-b",
      networks: [wb({ rangeEnd: "10.0.0.99" }), { ...wb({ range: "10.0.0.100-10.0.0.200/24" }), name: "b" }],
    },
    {
      name: "one range in two families",
      networks: [wb({ range: "10.0.0.0/8" }), { ...wb({ range: "fd00::/8" }), name: "b" }],
    },
    {
      name: "the same interface name unset twice",
      networks: [net({ name: "a", ipam: { type: "dhcp" } }), net({ name: "b", ipam: { type: "dhcp" } })],
    },
    { name: "a 15-character interface", networks: [net({ interface: "net123456789abc" })] },
    { name: "a 253-character name", networks: [net({ name: "a".repeat(253) })] },
    { name: "bridge cni1", networks: [net({ type: "bridge", master: undefined, bridge: "cni1" })] },
    { name: "an IPv4 network with mtu 576", networks: [net({ mtu: 576 })] },
    {
      name: "the K3s docs' whereabouts range 192.168.2.225/28 (host bits on the first usable address)",
      networks: [wb({ range: "192.168.2.225/28" })],
    },
    {
      name: "a long bridge name with a VLAN but no gateway",
      networks: [net({ type: "bridge", master: undefined, bridge: "br-storage-01", vlan: 100 })],
    },
    {
      name: "automatic names beside explicit others",
      networks: [
        net({ name: "a" }),
        net({ name: "b", interface: "net5", ipam: { type: "dhcp" } }),
        net({ name: "c", ipam: { type: "dhcp" } }),
      ],
    },
    { name: "ipvlan l2 with dhcp", networks: [net({ type: "ipvlan", mode: "l2", ipam: { type: "dhcp" } })] },
    {
      name: "a route via the range's gateway",
      networks: [hl({ routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }] })],
    },
  ];
  for (const { name, networks, allowOverlapping } of accepted) {
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
