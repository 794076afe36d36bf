/**
 * Every kind of NAD config k3s-multus renders, run through the real reference CNI plugins the way
 * Multus and libcni run them: ADD in a throw-away pod namespace, CHECK and DEL with the ADD result
 * as prevResult; the pod interface (kind, mode, MTU, addresses, routes) is read back with `ip -j`
 * and DEL must leave nothing. Runs against Debian's containernetworking-plugins and the version the
 * default chart ships (v1.9.1, built into ~/.cache/k3s-multus/e2e/cni by scripts/e2e/tools.sh).
 * DHCP runs against dnsmasq in a namespace of the test, through the plugin's own `dhcp daemon`
 * with its socket in a temp dir. Every namespace, link and daemon is the test's own; the addresses
 * are private test ranges that exist only inside those namespaces.
 *
 * The second half shows, for each refusal the planning core makes, what the real plugin does with
 * the config we refuse: the exact error, or the wrong result it would give.
 *
 * Test-only changes to the rendered config (they do not change what is validated): `name` (Multus
 * sets it from the NAD), host-local's `dataDir` and dhcp's `daemonSocketPath` (temp paths, so that
 * nothing of the real host is touched).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MultusError } from "../../provider/src/errors";
import { pinnedLayout } from "../../provider/src/plan/layout";
import { planFor, validateInputs } from "../../provider/src/plan/plan";
import { requireRoot, requireTools } from "../helpers/tools";
import {
  addList,
  Attachment,
  checkList,
  Daemon,
  delList,
  kernelSupports,
  kernelSupportsVlanFiltering,
  Netns,
  PluginAnswer,
  tempDir,
  waitFor,
} from "./netns";
import { whereaboutsAllocations } from "./whereabouts";

const K3S = "v1.32.2+k3s1";
const DEBIAN_DIR = "/usr/lib/cni";
const CACHE = process.env.K3S_MULTUS_E2E_CACHE ?? path.join(os.homedir(), ".cache/k3s-multus/e2e");
/** The plugins version the default chart (rke2-multus v4.3.017) ships. */
const CHART_PLUGINS = "v1.9.1";
const PLUGINS = ["macvlan", "ipvlan", "bridge", "host-device", "host-local", "static", "dhcp", "tuning"];

interface PluginSet {
  readonly key: "debian" | "chart";
  readonly name: string;
  readonly dir: string;
  /** Must be present under CI. */
  readonly required: boolean;
}

const SETS: readonly PluginSet[] = [
  { key: "debian", name: "Debian containernetworking-plugins", dir: DEBIAN_DIR, required: true },
  {
    key: "chart",
    name: `containernetworking/plugins ${CHART_PLUGINS} (the default chart's)`,
    dir: path.join(CACHE, "cni", CHART_PLUGINS),
    // Required on CI: .ci/run builds it (scripts/e2e/tools.sh cni-plugins) before the tests.
    required: true,
  },
];

function requirePlugins(ctx: Mocha.Context, set: PluginSet): void {
  requireRoot(ctx);
  requireTools(ctx, "ip", "dnsmasq");
  const absent = PLUGINS.filter((p) => !fs.existsSync(path.join(set.dir, p)));
  if (absent.length === 0) return;
  const what = `${set.name}: missing ${absent.join(", ")} in ${set.dir}`;
  if (process.env.CI && set.required) throw new Error(`${what}; on CI it must be available (.ci/run)`);
  console.warn(`      skipped: ${what}`);
  ctx.skip();
}

/** The NAD config the planning core renders for one network, as libcni's config list. */
function rendered(network: Record<string, unknown>): {
  name: string;
  cniVersion: string;
  plugins: Record<string, unknown>[];
} {
  const inputs = validateInputs({ k3sVersion: K3S, networks: [network] });
  const plan = planFor(inputs, pinnedLayout({ version: inputs.k3sVersion }, {}));
  const config = JSON.parse(plan.networks[0].config) as Record<string, unknown>;
  const name = String(network.name);
  const cniVersion = typeof config.cniVersion === "string" ? config.cniVersion : "1.0.0";
  const plugins = Array.isArray(config.plugins)
    ? (config.plugins as Record<string, unknown>[])
    : [Object.fromEntries(Object.entries(config).filter(([k]) => k !== "cniVersion" && k !== "name"))];
  return { name, cniVersion, plugins };
}

/** Points host-local and dhcp at the test's temp paths (test environment only). */
function localise(list: ReturnType<typeof rendered>, dir: string) {
  const plugins = list.plugins.map((p) => {
    const ipam = p.ipam as Record<string, unknown> | undefined;
    if (ipam?.type === "host-local")
      return { ...p, ipam: { ...ipam, dataDir: path.join(dir, "host-local") } };
    if (ipam?.type === "dhcp")
      return { ...p, ipam: { ...ipam, daemonSocketPath: path.join(dir, "dhcp.sock") } };
    return p;
  });
  return { ...list, plugins };
}

/** The pod interface as `ip -j` shows it. */
interface PodInterface {
  kind: string;
  mode?: string;
  mtu: number;
  addresses: string[];
  routes: { dst: string; gateway?: string }[];
}

function podInterface(pod: Netns, ifname: string): PodInterface {
  type Link = { mtu: number; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } };
  type Addr = { addr_info: { local: string; prefixlen: number; scope: string }[] };
  type Route = { dst: string; gateway?: string };
  const [link] = pod.json("-d", "link", "show", "dev", ifname) as Link[];
  const [addr] = pod.json("addr", "show", "dev", ifname) as Addr[];
  const routes = [
    ...(pod.json("route", "show", "dev", ifname) as Route[]),
    ...(pod.json("-6", "route", "show", "dev", ifname) as Route[]),
  ]
    .filter((r) => !r.dst.startsWith("fe80:") && !r.dst.startsWith("multicast"))
    .map((r) => (r.gateway ? { dst: r.dst, gateway: r.gateway } : { dst: r.dst }));
  return {
    kind: link.linkinfo?.info_kind ?? "",
    mode: link.linkinfo?.info_data?.mode,
    mtu: link.mtu,
    addresses: addr.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`),
    routes,
  };
}

/** The test's network: a host namespace with a veth master, and a server namespace for DHCP. */
class Lab {
  readonly host = new Netns("host");
  readonly server = new Netns("srv");
  readonly pod = new Netns("pod");
  readonly tmp = tempDir("k3sm-cni-");
  private readonly daemons: Daemon[] = [];

  constructor() {
    // m0 (macvlan/ipvlan master) and hd0 (host-device) in the host ns; their peers in the server ns.
    for (const { hostEnd, serverEnd } of [
      { hostEnd: "m0", serverEnd: "m1" },
      { hostEnd: "hd0", serverEnd: "hd1" },
    ]) {
      this.host.ip("link", "add", hostEnd, "type", "veth", "peer", "name", serverEnd);
      this.host.ip("link", "set", serverEnd, "netns", this.server.name);
      this.host.ip("link", "set", hostEnd, "up");
      this.server.ip("link", "set", serverEnd, "up");
    }
    this.server.ip("addr", "add", "10.251.0.1/24", "dev", "m1");
    this.server.ip("addr", "add", "10.252.0.1/24", "dev", "hd1");
  }

  attachment(pluginDir: string, ifname = "net1"): Attachment {
    return { pluginDir, host: this.host, pod: this.pod, ifname, containerId: `k3sm-${process.pid}` };
  }

  /** dnsmasq on both server interfaces and the plugin's DHCP daemon in the host namespace. */
  async startDhcp(pluginDir: string): Promise<void> {
    this.daemons.push(
      new Daemon("ip", [
        "netns",
        "exec",
        this.server.name,
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--port=0",
        "--bind-interfaces",
        "--interface=m1",
        "--interface=hd1",
        "--dhcp-range=10.251.0.50,10.251.0.59,255.255.255.0,1h",
        "--dhcp-range=10.252.0.50,10.252.0.59,255.255.255.0,1h",
        "--dhcp-option=3",
        `--dhcp-leasefile=${path.join(this.tmp.dir, "leases")}`,
        `--pid-file=${path.join(this.tmp.dir, "dnsmasq.pid")}`,
      ]),
    );
    const sock = path.join(this.tmp.dir, "dhcp.sock");
    this.daemons.push(
      new Daemon("ip", [
        "netns",
        "exec",
        this.host.name,
        path.join(pluginDir, "dhcp"),
        "daemon",
        "-socketpath",
        sock,
      ]),
    );
    await waitFor("the DHCP daemon's socket", () => fs.existsSync(sock));
    const dead = this.daemons.find((d) => d.exited);
    if (dead) throw new Error(`a DHCP daemon exited: ${dead.log.join("")}`);
  }

  /** Addresses host-local still holds (a file per address in its data dir). */
  hostLocalReservations(): string[] {
    const dir = path.join(this.tmp.dir, "host-local");
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => /^[0-9a-f.:]+$/i.test(path.basename(f)) && path.basename(f).includes("."));
  }

  async remove(): Promise<void> {
    for (const d of this.daemons) await d.stop();
    this.pod.remove();
    this.server.remove();
    this.host.remove();
    this.tmp.remove();
  }
}

/** One typed network (or raw config) and what the pod must end up with. */
interface Case {
  readonly name: string;
  readonly network: Record<string, unknown>;
  readonly dhcp?: boolean;
  /** A kernel feature the case needs; without it, ADD must fail with exactly `kernelError`. */
  readonly needs?: "ipvlan" | "vlanFiltering";
  readonly kernelError?: string;
  readonly want: {
    kind: string;
    mode?: string;
    mtu?: number;
    /** Exact addresses, or a pattern for DHCP. */
    addresses: (string | RegExp)[];
    /** Routes that must be present (others may be, e.g. the connected prefix). */
    routes?: { dst: string; gateway?: string }[];
  };
  /** Links the plugin leaves in the host namespace by design (the bridge). */
  readonly leavesOnHost?: string[];
  /** A CHECK bug of one plugin set: CHECK fails with exactly this (ADD and DEL are fine). */
  readonly checkBug?: Partial<Record<PluginSet["key"], string>>;
}

const hostLocal = (range: string, over: Record<string, unknown> = {}) => ({
  type: "host-local",
  range,
  ...over,
});
const staticIpam = (...addresses: Record<string, string>[]) => ({ type: "static", addresses });

// prettier-ignore
const CASES: readonly Case[] = [
  // macvlan
  { name: "macvlan bridge × host-local, range narrowed, gateway and route",
    network: { name: "mv-hl", type: "macvlan", master: "m0", mode: "bridge", mtu: 1400,
      ipam: hostLocal("10.250.0.0/24", { rangeStart: "10.250.0.10", rangeEnd: "10.250.0.20", gateway: "10.250.0.1", routes: [{ dst: "10.249.0.0/16" }, { dst: "10.248.0.0/16", gw: "10.250.0.254" }] }) },
    // v1.1 CHECK looks for a route without gw as written, not as added (via the gateway); fixed by v1.9.
    checkBug: { debian: "Expected Route {Dst:{IP:10.249.0.0 Mask:ffff0000} GW:<nil>} not found in routing table" },
    want: { kind: "macvlan", mode: "bridge", mtu: 1400, addresses: ["10.250.0.10/24"],
      routes: [{ dst: "10.249.0.0/16", gateway: "10.250.0.1" }, { dst: "10.248.0.0/16", gateway: "10.250.0.254" }] } },
  { name: "macvlan private × host-local IPv6",
    network: { name: "mv-hl6", type: "macvlan", master: "m0", mode: "private", ipam: hostLocal("fd00:250::/120", { gateway: "fd00:250::1" }) },
    want: { kind: "macvlan", mode: "private", mtu: 1500, addresses: ["fd00:250::2/120"] } },
  { name: "macvlan vepa × static, dual stack, cniVersion 0.4.0",
    network: { name: "mv-st", type: "macvlan", master: "m0", mode: "vepa", cniVersion: "0.4.0",
      ipam: { ...staticIpam({ address: "10.250.1.5/24", gateway: "10.250.1.1" }, { address: "fd00:251::5/64" }), routes: [{ dst: "10.247.0.0/16", gw: "10.250.1.1" }] } },
    want: { kind: "macvlan", mode: "vepa", addresses: ["10.250.1.5/24", "fd00:251::5/64"], routes: [{ dst: "10.247.0.0/16", gateway: "10.250.1.1" }] } },
  { name: "macvlan × dhcp (dnsmasq and the plugin's dhcp daemon)", dhcp: true,
    network: { name: "mv-dhcp", type: "macvlan", master: "m0", ipam: { type: "dhcp" } },
    want: { kind: "macvlan", mode: "bridge", addresses: [/^10\.251\.0\.5\d\/24$/] } },
  { name: "macvlan with the IPv6 minimum MTU 1280",
    network: { name: "mv-1280", type: "macvlan", master: "m0", mtu: 1280, ipam: staticIpam({ address: "fd00:252::5/64" }) },
    want: { kind: "macvlan", mtu: 1280, addresses: ["fd00:252::5/64"] } },
  // ipvlan (kernels without ipvlan: the plugin fails only on creating the link)
  { name: "ipvlan l2 × host-local", needs: "ipvlan", kernelError: "failed to create ipvlan: operation not supported",
    network: { name: "iv-hl", type: "ipvlan", master: "m0", mode: "l2", ipam: hostLocal("10.250.2.0/24") },
    want: { kind: "ipvlan", mode: "l2", addresses: ["10.250.2.2/24"] } },
  { name: "ipvlan l3 × static", needs: "ipvlan", kernelError: "failed to create ipvlan: operation not supported",
    network: { name: "iv-st", type: "ipvlan", master: "m0", mode: "l3", ipam: staticIpam({ address: "10.250.3.5/24" }) },
    want: { kind: "ipvlan", mode: "l3", addresses: ["10.250.3.5/24"] } },
  { name: "ipvlan l2 × dhcp", needs: "ipvlan", kernelError: "failed to create ipvlan: operation not supported", dhcp: true,
    network: { name: "iv-dhcp", type: "ipvlan", master: "m0", mode: "l2", ipam: { type: "dhcp" } },
    want: { kind: "ipvlan", mode: "l2", addresses: [/^10\.251\.0\.5\d\/24$/] } },
  // bridge (the plugin keeps the bridge on the host by design)
  { name: "bridge isGateway × host-local", leavesOnHost: ["br-k3sm"],
    network: { name: "br-hl", type: "bridge", bridge: "br-k3sm", isGateway: true, mtu: 1450, ipam: hostLocal("10.250.4.0/24", { routes: [{ dst: "0.0.0.0/0" }] }) },
    want: { kind: "veth", mtu: 1450, addresses: ["10.250.4.2/24"], routes: [{ dst: "default", gateway: "10.250.4.1" }] } },
  { name: "bridge × static", leavesOnHost: ["br-k3sm2"],
    network: { name: "br-st", type: "bridge", bridge: "br-k3sm2", ipam: staticIpam({ address: "10.250.5.5/24" }) },
    want: { kind: "veth", addresses: ["10.250.5.5/24"] } },
  { name: "bridge vlan × host-local", needs: "vlanFiltering", leavesOnHost: ["br-k3sm3"],
    kernelError: 'failed to create bridge "br-k3sm3": could not add "br-k3sm3": operation not supported',
    network: { name: "br-vlan", type: "bridge", bridge: "br-k3sm3", vlan: 100, ipam: hostLocal("10.250.6.0/24") },
    want: { kind: "veth", addresses: ["10.250.6.2/24"] } },
  // host-device (DEL moves the device back to the host)
  { name: "host-device by name × host-local",
    network: { name: "hd-hl", type: "host-device", device: "hd0", ipam: hostLocal("10.250.7.0/24") },
    want: { kind: "veth", addresses: ["10.250.7.2/24"] } },
  { name: "host-device without IPAM",
    network: { name: "hd-none", type: "host-device", device: "hd0" },
    want: { kind: "veth", addresses: [] } },
  { name: "host-device × dhcp", dhcp: true,
    network: { name: "hd-dhcp", type: "host-device", device: "hd0", ipam: { type: "dhcp" } },
    want: { kind: "veth", addresses: [/^10\.252\.0\.5\d\/24$/] } },
  // raw configs
  { name: "raw config: macvlan × host-local",
    network: { name: "raw-mv", config: JSON.stringify({ cniVersion: "1.0.0", type: "macvlan", master: "m0", ipam: { type: "host-local", ranges: [[{ subnet: "10.250.8.0/24" }]] } }) },
    want: { kind: "macvlan", mode: "bridge", addresses: ["10.250.8.2/24"] } },
  { name: "raw config list: bridge × static, then tuning", leavesOnHost: ["br-k3sm4"],
    network: { name: "raw-list", config: JSON.stringify({ cniVersion: "1.0.0", name: "raw-list", plugins: [
      { type: "bridge", bridge: "br-k3sm4", ipam: { type: "static", addresses: [{ address: "10.250.9.5/24" }] } },
      { type: "tuning", mtu: 1300 },
    ] }) },
    want: { kind: "veth", mtu: 1300, addresses: ["10.250.9.5/24"] } },
];

const supported = {
  ipvlan: () => kernelSupports(["ipvlan", "mode", "l2"]),
  vlanFiltering: kernelSupportsVlanFiltering,
};

function matches(actual: string[], want: (string | RegExp)[]): boolean {
  return (
    actual.length === want.length &&
    want.every((w, i) => (typeof w === "string" ? actual[i] === w : w.test(actual[i])))
  );
}

/** ADD, read the pod back, CHECK, DEL, and what DEL left. */
async function exercise(set: PluginSet, c: Case): Promise<void> {
  const lab = new Lab();
  try {
    if (c.dhcp) await lab.startDhcp(set.dir);
    const a = lab.attachment(set.dir);
    const list = localise(rendered(c.network), lab.tmp.dir);
    const hostBefore = lab.host.links();
    const { answer, results } = addList(a, list);
    const kernelLacks = c.needs !== undefined && !supported[c.needs]();
    if (kernelLacks) {
      expect(answer.status, "ADD fails on this kernel").to.not.equal(0);
      expect(answer.result.msg, "only on the missing kernel feature").to.equal(c.kernelError);
      delList(a, list);
      return;
    }
    expect(answer.status, `ADD: ${JSON.stringify(answer.result)} ${answer.stderr}`).to.equal(0);
    const result = results[results.length - 1];
    const pod = podInterface(lab.pod, a.ifname);
    expect(pod.kind, "kind").to.equal(c.want.kind);
    if (c.want.mode !== undefined) expect(pod.mode, "mode").to.equal(c.want.mode);
    if (c.want.mtu !== undefined) expect(pod.mtu, "MTU").to.equal(c.want.mtu);
    expect(matches(pod.addresses, c.want.addresses), `addresses ${pod.addresses.join(", ")}`).to.equal(true);
    for (const r of c.want.routes ?? []) expect(pod.routes, "routes").to.deep.include(r);
    // The result's addresses are the pod's.
    const ips = ((result.ips as { address: string }[] | undefined) ?? []).map((i) => i.address);
    expect([...ips].sort()).to.deep.equal([...pod.addresses].sort());
    if (list.cniVersion !== "0.3.1") {
      const bug = c.checkBug?.[set.key];
      for (const chk of checkList(a, list, result)) {
        if (bug === undefined) expectOk("CHECK", chk);
        else expect(chk.result.msg, "the known CHECK bug").to.equal(bug);
      }
    }
    for (const del of delList(a, list, result)) expectOk("DEL", del);
    expect(lab.pod.links(), "the pod namespace after DEL").to.deep.equal(["lo"]);
    expect(lab.host.links(), "the host namespace after DEL").to.deep.equal(
      [...new Set([...hostBefore, ...(c.leavesOnHost ?? [])])].sort(),
    );
    expect(lab.hostLocalReservations(), "host-local reservations after DEL").to.deep.equal([]);
  } finally {
    await lab.remove();
  }
}

function expectOk(what: string, a: PluginAnswer): void {
  expect(a.status, `${what}: ${JSON.stringify(a.result)} ${a.stderr}`).to.equal(0);
}

/** A config we refuse, and what the real plugin does with it. */
interface Refusal {
  readonly name: string;
  /** The typed network (or raw config) the planning core refuses, and the field it names. */
  readonly network: Record<string, unknown>;
  readonly field: string;
  /** The CNI config the plugin gets when the refusal is bypassed (`name` and `cniVersion` added). */
  readonly config: Record<string, unknown>;
  readonly ifname?: string;
  /** The plugin's exact error (per plugin set where they differ), or what it wrongly does. */
  readonly plugin:
    | { error: Matcher | Readonly<Record<PluginSet["key"], Matcher>> }
    | { addresses: string[]; gateway?: string };
  /** Run a first ADD with this config and ifname before (for clashes). */
  readonly first?: { config: Record<string, unknown>; ifname: string };
}

type Matcher = string | RegExp;
/** A route error: v1.9 appends the route's metric, scope and table to what v1.1 prints. */
const routeError = (route: string, why: string) =>
  new RegExp(
    `^failed to add route '${route.replace(/[{}.]/g, "\\$&")}( metric 0 \\(Scope: universe, Table: 0\\))?': ${why}$`,
  );

const mv = (ipam: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  type: "macvlan",
  master: "m0",
  ipam,
  ...over,
});
const hl = (range: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  type: "host-local",
  ranges: [[range]],
  ...over,
});

// prettier-ignore
const REFUSALS: readonly Refusal[] = [
  { name: "host-local /32", network: { name: "r", ...mv(hostLocal("10.250.10.0/32")) }, field: "networks[0].ipam.range",
    config: mv(hl({ subnet: "10.250.10.0/32" })), plugin: { error: "invalid range set 0: Network 10.250.10.0/32 too small to allocate from" } },
  { name: "host-local /31", network: { name: "r", ...mv(hostLocal("10.250.10.0/31")) }, field: "networks[0].ipam.range",
    config: mv(hl({ subnet: "10.250.10.0/31" })), plugin: { error: "invalid range set 0: Network 10.250.10.0/31 too small to allocate from" } },
  { name: "host-local IPv6 /127", network: { name: "r", ...mv(hostLocal("fd00:253::/127")) }, field: "networks[0].ipam.range",
    config: mv(hl({ subnet: "fd00:253::/127" })), plugin: { error: "invalid range set 0: Network fd00:253::/127 too small to allocate from" } },
  { name: "host-local range holding only the gateway", network: { name: "r", ...mv(hostLocal("10.250.10.0/30", { rangeStart: "10.250.10.1", rangeEnd: "10.250.10.1" })) }, field: "networks[0].ipam.rangeStart",
    config: mv(hl({ subnet: "10.250.10.0/30", rangeStart: "10.250.10.1", rangeEnd: "10.250.10.1" })), plugin: { error: "failed to allocate for range 0: no IP addresses available in range set: 10.250.10.1-10.250.10.1" } },
  { name: "host-local rangeStart on the network address: the pod gets the network address", network: { name: "r", ...mv(hostLocal("10.250.10.0/24", { rangeStart: "10.250.10.0", rangeEnd: "10.250.10.0" })) }, field: "networks[0].ipam.rangeStart",
    config: mv(hl({ subnet: "10.250.10.0/24", rangeStart: "10.250.10.0", rangeEnd: "10.250.10.0" })), plugin: { addresses: ["10.250.10.0/24"] } },
  { name: "host-local rangeEnd on the broadcast address: the pod gets the broadcast address", network: { name: "r", ...mv(hostLocal("10.250.10.0/24", { rangeStart: "10.250.10.255", rangeEnd: "10.250.10.255" })) }, field: "networks[0].ipam.rangeStart",
    config: mv(hl({ subnet: "10.250.10.0/24", rangeStart: "10.250.10.255", rangeEnd: "10.250.10.255" })), plugin: { addresses: ["10.250.10.255/24"] } },
  { name: "host-local gateway on the network address: accepted, an unreachable gateway", network: { name: "r", ...mv(hostLocal("10.250.10.0/24", { gateway: "10.250.10.0" })) }, field: "networks[0].ipam.gateway",
    config: mv(hl({ subnet: "10.250.10.0/24", gateway: "10.250.10.0" })), plugin: { addresses: ["10.250.10.1/24"], gateway: "10.250.10.0" } },
  { name: "host-local host bits", network: { name: "r", ...mv(hostLocal("10.250.10.5/24")) }, field: "networks[0].ipam.range",
    config: mv(hl({ subnet: "10.250.10.5/24" })), plugin: { error: "invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.250.10.0" } },
  { name: "route dst with host bits", network: { name: "r", ...mv(hostLocal("10.250.10.0/24", { routes: [{ dst: "10.249.0.5/16" }] })) }, field: "networks[0].ipam.routes[0].dst",
    config: mv(hl({ subnet: "10.250.10.0/24" }, { routes: [{ dst: "10.249.0.5/16" }] })), plugin: { error: routeError("{10.249.0.5 ffff0000} via 10.250.10.1 dev net1", "invalid argument") } },
  { name: "route gw no range reaches", network: { name: "r", ...mv(hostLocal("10.250.10.0/24", { routes: [{ dst: "10.249.0.0/16", gw: "10.77.0.1" }] })) }, field: "networks[0].ipam.routes[0].gw",
    config: mv(hl({ subnet: "10.250.10.0/24" }, { routes: [{ dst: "10.249.0.0/16", gw: "10.77.0.1" }] })), plugin: { error: routeError("{10.249.0.0 ffff0000} via 10.77.0.1 dev net1", "network is unreachable") } },
  { name: "IPv6 with mtu 1279", network: { name: "r", ...mv(staticIpam({ address: "fd00:253::5/64" }), { mtu: 1279 }) }, field: "networks[0].mtu",
    config: mv({ type: "static", addresses: [{ address: "fd00:253::5/64" }] }, { mtu: 1279 }), // Linux turns IPv6 off below 1280: v1.1 fails adding the address, v1.9 already on the link's IPv6 sysctl.
    plugin: { error: { debian: /^failed to add IP addr .*fd00:253::5.* to "net1": invalid argument$/,
      chart: 'failed to enable keep_addr_on_down for interface "net1": open /proc/sys/net/ipv6/conf/net1/keep_addr_on_down: no such file or directory' } } },
  { name: "host-device kernelpath outside /sys/devices", network: { name: "r", type: "host-device", kernelpath: "/sys/class/net/hd0" }, field: "networks[0].kernelpath",
    config: { type: "host-device", kernelpath: "/sys/class/net/hd0" }, plugin: { error: 'failed to find host device: kernel device path "/sys/class/net/hd0" must be absolute and begin with /sys/devices/' } },
  { name: "pod interface lo", network: { name: "r", interface: "lo", ...mv(staticIpam({ address: "10.250.10.5/24" })) }, field: "networks[0].interface", ifname: "lo",
    config: mv({ type: "static", addresses: [{ address: "10.250.10.5/24" }] }), plugin: { error: 'failed to rename macvlan to "lo": file exists' } },
  { name: "two networks on net1 (one by Multus' automatic name)", field: "networks[1].interface",
    network: { name: "r" }, // replaced below by a two-network list
    first: { config: mv({ type: "static", addresses: [{ address: "10.250.10.5/24" }] }), ifname: "net1" },
    config: mv({ type: "static", addresses: [{ address: "10.250.11.5/24" }] }), ifname: "net1", plugin: { error: 'failed to rename macvlan to "net1": file exists' } },
  { name: "raw config with ipam type and TYPE: the plugin takes the last", field: "networks[0].config.ipam.TYPE",
    network: { name: "r", config: '{"type":"macvlan","master":"m0","ipam":{"type":"dhcp","TYPE":"static","addresses":[{"address":"10.250.10.5/24"}]}}' },
    config: JSON.parse('{"type":"macvlan","master":"m0","ipam":{"type":"dhcp","TYPE":"static","addresses":[{"address":"10.250.10.5/24"}]}}') as Record<string, unknown>,
    plugin: { addresses: ["10.250.10.5/24"] } },
];

function networksOf(r: Refusal): unknown[] {
  if (r.first) {
    return [
      { name: "a", ...mv(staticIpam({ address: "10.250.10.5/24" })) },
      { name: "b", interface: "net1", ...mv(staticIpam({ address: "10.250.11.5/24" })) },
    ];
  }
  return [r.network];
}

async function refusal(set: PluginSet, r: Refusal): Promise<void> {
  // We refuse it, naming the field.
  let refused: unknown;
  try {
    validateInputs({ k3sVersion: K3S, networks: networksOf(r) });
  } catch (e) {
    refused = e;
  }
  expect(refused, "the planning core refuses it").to.be.instanceOf(MultusError);
  expect((refused as MultusError).field).to.equal(r.field);
  // The plugin, given the config anyway.
  const lab = new Lab();
  try {
    const list = localise({ name: "r", cniVersion: "1.0.0", plugins: [r.config] }, lab.tmp.dir);
    if (r.first) {
      const firstList = localise({ name: "a", cniVersion: "1.0.0", plugins: [r.first.config] }, lab.tmp.dir);
      expectOk("first ADD", addList(lab.attachment(set.dir, r.first.ifname), firstList).answer);
    }
    const a = lab.attachment(set.dir, r.ifname ?? "net1");
    const { answer } = addList(a, list);
    if ("error" in r.plugin) {
      expect(answer.status, "the plugin fails").to.not.equal(0);
      const msg = String(answer.result.msg);
      const e = r.plugin.error;
      const want: Matcher = typeof e === "string" || e instanceof RegExp ? e : e[set.key];
      if (typeof want === "string") expect(msg).to.equal(want);
      else expect(msg).to.match(want);
    } else {
      expectOk("the plugin accepts it", answer);
      const ips = answer.result.ips as { address: string; gateway?: string }[];
      expect(ips.map((i) => i.address)).to.deep.equal(r.plugin.addresses);
      if (r.plugin.gateway) expect(ips[0].gateway).to.equal(r.plugin.gateway);
      delList(a, list, answer.result);
    }
  } finally {
    await lab.remove();
  }
}

/** whereabouts configs we render, checked against whereabouts' own rules (see ./whereabouts.ts). */
// prettier-ignore
const WHEREABOUTS: readonly { name: string; ipam: Record<string, unknown>; first: string; last: string; count: number }[] = [
  { name: "a /24", ipam: { type: "whereabouts", range: "10.250.20.0/24" }, first: "10.250.20.1", last: "10.250.20.254", count: 254 },
  { name: "a /24 with its gateway (excluded)", ipam: { type: "whereabouts", range: "10.250.20.0/24", gateway: "10.250.20.1" }, first: "10.250.20.2", last: "10.250.20.254", count: 253 },
  { name: "the K3s docs' 192.168.2.225/28 (host bits ignored)", ipam: { type: "whereabouts", range: "192.168.2.225/28" }, first: "192.168.2.225", last: "192.168.2.238", count: 14 },
  { name: "a /30", ipam: { type: "whereabouts", range: "10.250.20.0/30" }, first: "10.250.20.1", last: "10.250.20.2", count: 2 },
  { name: "rangeStart and rangeEnd", ipam: { type: "whereabouts", range: "10.250.20.0/24", rangeStart: "10.250.20.100", rangeEnd: "10.250.20.110", gateway: "10.250.20.105" }, first: "10.250.20.100", last: "10.250.20.110", count: 10 },
  { name: "first-last/prefix", ipam: { type: "whereabouts", range: "192.168.2.225-192.168.2.230/28" }, first: "192.168.2.225", last: "192.168.2.230", count: 6 },
  { name: "exclude", ipam: { type: "whereabouts", range: "10.250.20.0/28", exclude: ["10.250.20.0/30", "10.250.20.12/30"] }, first: "10.250.20.4", last: "10.250.20.11", count: 8 },
  { name: "IPv6 /120 with gateway", ipam: { type: "whereabouts", range: "fd00:254::/120", gateway: "fd00:254::1" }, first: "fd00:254::2", last: "fd00:254::fe", count: 253 },
];

describe("real CNI plugins run every config we render", function () {
  this.timeout(120_000);
  for (const set of SETS) {
    describe(set.name, function () {
      before(function () {
        requirePlugins(this, set);
      });
      for (const c of CASES) it(c.name, async () => exercise(set, c));
      describe("what the plugin does with each config we refuse", () => {
        for (const r of REFUSALS) it(r.name, async () => refusal(set, r));
      });
    });
  }

  describe("whereabouts (no Kubernetes API here): our configs under its own parsing and allocation rules", () => {
    for (const w of WHEREABOUTS) {
      it(w.name, () => {
        const network = { name: "w", type: "macvlan", master: "m0", ipam: w.ipam };
        const list = rendered(network);
        const ipam = list.plugins[0].ipam as Record<string, unknown>;
        const got = whereaboutsAllocations(ipam);
        expect(got[0], "first address handed out").to.equal(w.first);
        expect(got[got.length - 1], "last address handed out").to.equal(w.last);
        expect(got, "every address handed out").to.have.lengthOf(w.count);
        if (typeof ipam.gateway === "string") expect(got).to.not.include(ipam.gateway);
        // Our overlap model covers what whereabouts hands out, and the gateway and excluded
        // addresses between: exactly `first-last` before exclusions.
        const [span] = validateInputs({ k3sVersion: K3S, networks: [network] }).networks[0].ipam?.spans ?? [];
        const unexcluded = whereaboutsAllocations({ ...ipam, exclude: undefined });
        expect(span.text, "the overlap span").to.equal(
          `${unexcluded[0]}-${unexcluded[unexcluded.length - 1]}`,
        );
      });
    }
  });
});
