/**
 * Scenario 3 of the data plane: host-local, static and DHCP networks beside the seed's
 * whereabouts one, all four on one pod, with explicit (`eth1`, `st0`) and automatic (Multus'
 * `net<position>`) interface names. The stack gets the four networks (`pulumi up`: the component
 * turns the chart's DHCP DaemonSet on); the DaemonSets are read back and run on a fresh node,
 * the DHCP one as the chart renders it (`<binDir>/dhcp daemon`, socket in /run/cni); dnsmasq
 * answers DHCP in the node's LAN namespace (the other end of its eth0).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { Daemon, startDaemon, waitFor } from "../e2e/env/proc";
import { K3sLayout, LAN } from "./node";
import {
  add,
  allocatedTo,
  bare,
  demoPod,
  deployedDaemonSets,
  expectMasterEth0,
  links,
  networkStatus,
  NodeWithPods,
  nodeWithPods,
  PodOnNode,
  removePod,
  Rig,
  up,
} from "./rig";
import { SEED_RANGE } from "./afterGate";

export function ipamNetworks(seed: Record<string, unknown>): Record<string, unknown>[] {
  return [
    seed,
    {
      name: "bridge-hostlocal",
      type: "bridge",
      bridge: "br-dp",
      ipam: { type: "host-local", range: "10.77.0.0/24", gateway: "10.77.0.1" },
    },
    {
      name: "macvlan-static",
      interface: "st0",
      type: "macvlan",
      master: "eth0",
      ipam: { type: "static", addresses: [{ address: "10.88.0.10/24" }] },
    },
    { name: "macvlan-dhcp", type: "macvlan", master: "eth0", ipam: { type: "dhcp" } },
  ];
}

const DHCP_FIRST = 50;
const DHCP_LAST = 59;

export function ipamScenario(getRig: () => Rig, layout: K3sLayout, seed: Record<string, unknown>): void {
  let n: NodeWithPods | undefined;
  let dnsmasq: Daemon | undefined;
  let p: PodOnNode;
  let leases = "";

  before(async () => {
    const rig = getRig();
    rig.stack.setPlain({ [`${rig.stack.project}:networks`]: ipamNetworks(seed) });
    await up(rig, "up-ipams");
    n = await nodeWithPods(
      rig,
      layout,
      await deployedDaemonSets(rig, ["whereabouts", "multus", "multus-dhcp"]),
    );
    const node = n.node;
    await waitFor(
      "the DHCP daemon's socket",
      () => Promise.resolve(node.exists("/run/cni/dhcp.sock") ? true : undefined),
      15000,
    );
    leases = path.join(rig.work, "dnsmasq.leases");
    dnsmasq = startDaemon("dnsmasq", [
      "ip",
      "netns",
      "exec",
      node.lan,
      "dnsmasq",
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--port=0",
      "--bind-interfaces",
      "--interface=wire0",
      `--dhcp-range=${LAN.prefix}.${DHCP_FIRST},${LAN.prefix}.${DHCP_LAST},255.255.255.0,1h`,
      "--dhcp-option=3",
      `--dhcp-leasefile=${leases}`,
      `--pid-file=${path.join(rig.work, "dnsmasq.pid")}`,
    ]);
  });

  after(async () => {
    await dnsmasq?.stop();
    await n?.stop();
  });

  it("the component attaches all four networks, automatic names where none is given", () => {
    expect(getRig().outputs.podAnnotations).to.deep.equal({
      "k8s.v1.cni.cncf.io/networks":
        "default/macvlan-whereabouts@eth1,default/bridge-hostlocal,default/macvlan-static@st0,default/macvlan-dhcp",
    });
  });

  it("ADD: eth0, eth1 (whereabouts), net2 (host-local bridge), st0 (static), net4 (DHCP from the LAN)", async () => {
    const rig = getRig();
    if (!n) throw new Error("no node");
    p = await demoPod(rig, n.node, rig.outputs.podAnnotations as Record<string, string>);
    const r = await add(n.node, p);
    expect(r.status, `${r.stderr}\n${dnsmasq?.log() ?? ""}`).to.equal(0);
    const l = await links(n.node, p);
    expect(Object.keys(l.v4).sort()).to.deep.equal(["eth0", "eth1", "net2", "net4", "st0"]);
    expectMasterEth0(l.v4);
    expect(l.v4.eth1[0]).to.match(/^172\.17\.0\.\d+\/24$/);
    expect(l.v4.net2).to.have.length(1);
    expect(l.v4.net2[0]).to.match(/^10\.77\.0\.\d+\/24$/);
    expect(l.v4.net2[0]).to.not.equal("10.77.0.1/24");
    expect(l.v4.st0).to.deep.equal(["10.88.0.10/24"]);
    expect(l.v4.net4).to.have.length(1);
    const dhcp = Number(bare(l.v4.net4[0]).split(".")[3]);
    expect(l.v4.net4[0].startsWith(`${LAN.prefix}.`), l.v4.net4[0]).to.equal(true);
    expect(dhcp).to.be.within(DHCP_FIRST, DHCP_LAST);
    expect(fs.readFileSync(leases, "utf8")).to.include(bare(l.v4.net4[0]));
    const kinds = Object.fromEntries(l.raw.map((x) => [x.ifname, x.linkinfo?.info_kind]));
    expect(kinds).to.deep.equal({
      eth0: "veth",
      eth1: "macvlan",
      net2: "veth",
      st0: "macvlan",
      net4: "macvlan",
    });
    expect(await allocatedTo(rig, SEED_RANGE, `default/${p.pod.metadata.name}`)).to.deep.equal([
      bare(l.v4.eth1[0]),
    ]);
    const status = await networkStatus(rig, p);
    expect(status?.map((s) => [s.name, s.interface, s.ips])).to.deep.equal([
      ["cbr0", "eth0", [bare(l.v4.eth0[0])]],
      ["default/macvlan-whereabouts", "eth1", [bare(l.v4.eth1[0])]],
      ["default/bridge-hostlocal", "net2", [bare(l.v4.net2[0])]],
      ["default/macvlan-static", "st0", ["10.88.0.10"]],
      ["default/macvlan-dhcp", "net4", [bare(l.v4.net4[0])]],
    ]);
  });

  it("DEL removes every interface and frees the host-local and whereabouts addresses", async () => {
    const rig = getRig();
    if (!n) throw new Error("no node");
    const node = n.node;
    const { del, left } = await removePod(rig, node, p);
    expect(del.status, del.stderr).to.equal(0);
    expect(left).to.deep.equal([]);
    expect(await allocatedTo(rig, SEED_RANGE, `default/${p.pod.metadata.name}`)).to.deep.equal([]);
    const hostLocal = node.files("/var/lib/cni/networks/bridge-hostlocal").map((f) => path.basename(f));
    expect(hostLocal.filter((f) => /^\d/.test(f))).to.deep.equal([]);
  });
}
