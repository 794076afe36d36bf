/**
 * Scenario 1 of the data plane: after the October 2024 gate (containerd's bin dir `data/cni`), the
 * seed's macvlan-whereabouts network. The DaemonSets the component deployed run on a fresh node;
 * what they wrote is checked against README's "What runs on your nodes"; a demo pod gets eth0
 * from the master network and eth1 (macvlan) from whereabouts, the IPPool records it, Multus
 * writes network-status, and DEL removes both interfaces and frees the address. Multus talks to
 * the API server with its own service account (the chart's RBAC), never as an admin.
 */
import { expect } from "chai";
import * as https from "node:https";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { DEFAULT_DATA_DIR as DD } from "../helpers/k3sfixtures";
import { componentBinDir, CONF_DIR, K3sLayout } from "./node";
import {
  add,
  allocatedTo,
  bare,
  check,
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
} from "./rig";

export const SEED_RANGE = "172.17.0.0/24";

/** Who a bearer token is, by the API server's SelfSubjectReview. */
async function whoAmI(server: string, caFile: string, token: string): Promise<string> {
  const body = JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL("/apis/authentication.k8s.io/v1/selfsubjectreviews", server),
      {
        method: "POST",
        ca: fs.readFileSync(caFile),
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          try {
            resolve(
              (JSON.parse(text) as { status: { userInfo: { username: string } } }).status.userInfo.username,
            );
          } catch {
            reject(new Error(`SelfSubjectReview: ${res.statusCode} ${text}`));
          }
        });
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

export function afterGateScenario(getRig: () => Rig, layout: K3sLayout): void {
  let n: NodeWithPods;
  let p: PodOnNode;
  let eth1 = "";

  before(async () => {
    n = await nodeWithPods(getRig(), layout, await deployedDaemonSets(getRig(), ["whereabouts", "multus"]));
  });
  after(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
    await n?.stop();
  });

  it("the component chose data/cni, as containerd's config on the node names", () => {
    expect(getRig().outputs.cniBinDir).to.equal(componentBinDir(layout));
    expect(n.node.containerdDirs()).to.deep.equal({ binDir: `${DD}/data/cni`, confDir: CONF_DIR });
  });

  it("the pods wrote what README's 'What runs on your nodes' lists, and the init container the plugins", () => {
    const bin = componentBinDir(layout);
    const conf = n.node.files(CONF_DIR);
    expect(conf).to.deep.equal(
      [
        "00-multus.conflist",
        "10-flannel.conflist",
        "multus.d/multus.kubeconfig",
        "whereabouts.d/nodename",
        "whereabouts.d/whereabouts.conf",
        "whereabouts.d/whereabouts.kubeconfig",
      ].map((f) => `${CONF_DIR}/${f}`),
    );
    const names = n.node.files(bin).map((f) => path.basename(f));
    // multus and whereabouts, and every reference plugin the cni-plugins init container copied
    // (over K3s's own of the same name); flannel is skipped (SKIP_CNI_BINARIES).
    expect(names).to.include.members([
      "multus",
      "whereabouts",
      "macvlan",
      "ipvlan",
      "bridge",
      "host-local",
      "dhcp",
      "static",
    ]);
    expect(names).to.not.include("flannel");
    const multusConf = JSON.parse(n.node.read(`${CONF_DIR}/00-multus.conflist`)) as {
      cniVersion: string;
      plugins: { type: string; kubeconfig: string; delegates: { name: string }[] }[];
    };
    expect(multusConf.cniVersion).to.equal("1.0.0");
    expect(multusConf.plugins[0].type).to.equal("multus");
    expect(multusConf.plugins[0].kubeconfig).to.equal(`${CONF_DIR}/multus.d/multus.kubeconfig`);
    expect(multusConf.plugins[0].delegates.map((d) => d.name)).to.deep.equal(["cbr0"]);
    const wb = JSON.parse(n.node.read(`${CONF_DIR}/whereabouts.d/whereabouts.conf`)) as {
      kubernetes: { kubeconfig: string };
    };
    expect(wb.kubernetes.kubeconfig).to.equal(`${CONF_DIR}/whereabouts.d/whereabouts.kubeconfig`);
  });

  it("Multus and whereabouts use their own service accounts (the chart's RBAC), not an admin", async () => {
    const rig = getRig();
    for (const [file, who] of [
      [`${CONF_DIR}/multus.d/multus.kubeconfig`, "system:serviceaccount:kube-system:multus"],
      [`${CONF_DIR}/whereabouts.d/whereabouts.kubeconfig`, "system:serviceaccount:kube-system:whereabouts"],
    ]) {
      const kc = parse(n.node.read(file)) as {
        clusters: { cluster: { server: string } }[];
        users: { user: { token: string } }[];
      };
      expect(kc.clusters[0].cluster.server, file).to.equal("https://127.0.0.1:6443");
      expect(
        await whoAmI(rig.env.cluster.server, rig.env.cluster.pki.caCert, kc.users[0].user.token),
        file,
      ).to.equal(who);
    }
  });

  it("ADD: eth0 from the master network, eth1 (macvlan) from whereabouts; IPPool and network-status agree", async () => {
    const rig = getRig();
    const annotations = rig.outputs.podAnnotations as Record<string, string>;
    expect(annotations).to.deep.equal({ "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1" });
    p = await demoPod(rig, n.node, annotations);
    const r = await add(n.node, p);
    expect(r.status, `${r.stderr}\n${r.stdout}`).to.equal(0);
    const l = await links(n.node, p);
    expect(Object.keys(l.v4).sort()).to.deep.equal(["eth0", "eth1"]);
    expectMasterEth0(l.v4);
    expect(l.v4.eth1).to.have.length(1);
    eth1 = l.v4.eth1[0];
    expect(eth1).to.match(/^172\.17\.0\.\d+\/24$/);
    expect(eth1).to.not.equal("172.17.0.1/24");
    expect(l.raw.find((x) => x.ifname === "eth1")?.linkinfo?.info_kind).to.equal("macvlan");
    expect(l.raw.find((x) => x.ifname === "eth1")?.linkinfo?.info_data?.mode).to.equal("bridge");
    expect(await allocatedTo(rig, SEED_RANGE, `default/${p.pod.metadata.name}`)).to.deep.equal([bare(eth1)]);
    const status = await networkStatus(rig, p);
    expect(status?.map((s) => [s.name, s.interface, s.ips, s.default ?? false])).to.deep.equal([
      ["cbr0", "eth0", [bare(l.v4.eth0[0])], true],
      ["default/macvlan-whereabouts", "eth1", [bare(eth1)], false],
    ]);
  });

  it("CHECK passes on the attached pod", async () => {
    const r = await check(n.node, p);
    expect(r.status, r.stderr).to.equal(0);
  });

  it("DEL removes both interfaces and frees the address", async () => {
    const rig = getRig();
    const { del, left } = await removePod(rig, n.node, p);
    expect(del.status, del.stderr).to.equal(0);
    expect(left).to.deep.equal([]);
    expect(await allocatedTo(rig, SEED_RANGE, `default/${p.pod.metadata.name}`)).to.deep.equal([]);
  });
}
