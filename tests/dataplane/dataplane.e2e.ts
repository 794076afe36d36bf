/**
 * The data plane, end to end (issue 16, docs/e2e-scenarios.md "Data plane"): the component's
 * `pulumi up` (the pinned-facts program under the real engine: pulumi-resource-command is not
 * served, so no detection runs) installs the chart into the real kube-apiserver; the DaemonSets
 * are read back from it and their containers run as processes on a simulated K3s node
 * (tests/dataplane/node.ts, containers.ts); a Pod made from the demo Deployment's template with
 * the component's `podAnnotations` is attached through libcni as containerd would
 * (sandbox.ts). The pod's network namespace must get eth0 from the master network (the flannel
 * stand-in, see tests/helpers/k3sfixtures.ts) and eth1 from the seed's macvlan-whereabouts
 * network through the chart's real Multus and whereabouts.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { E2eEnv, upEnv } from "../e2e/env";
import { requireE2eTools, TOOLS } from "../e2e/env/cache";
import { errors } from "../e2e/env/events";
import { rootStack, Stack } from "../e2e/env/stack";
import { requireNamespaces, requireTools } from "../helpers/tools";
import { requireShared } from "../helpers/shared";
import { HASH } from "../helpers/k3sfixtures";
import { DaemonPod, DaemonSet, readDaemonSet, runDaemonPod } from "./containers";
import { CNI_PLUGINS_DIR, missingImageFiles } from "./images";
import { componentBinDir, CONF_DIR, DataplaneNode, K3sLayout } from "./node";
import {
  cni,
  createPod,
  deletePod,
  linkSummary,
  newSandbox,
  PodObject,
  podLinks,
  removeSandbox,
  Sandbox,
} from "./sandbox";

const AFTER_GATE: K3sLayout = { tag: "v1.30.6+k3s1", gated: true, hash: HASH };

/** The seed's network (the K3s docs' macvlan-whereabouts NAD). */
const SEED_NETWORK = {
  name: "macvlan-whereabouts",
  interface: "eth1",
  type: "macvlan",
  master: "eth0",
  mode: "bridge",
  ipam: { type: "whereabouts", range: "172.17.0.0/24", gateway: "172.17.0.1" },
};

const DATAPLANE_TOOLS = [
  ...Object.values(TOOLS),
  "k3sm-cni-driver",
  "k3sm-netns-forward",
  "multus",
  "thin_entrypoint",
  "whereabouts",
  "ip-control-loop",
];

interface IPPool {
  metadata: { name: string };
  spec: { range: string; allocations: Record<string, { id: string; podref: string; ifname?: string }> };
}

const ippools = (env: E2eEnv) =>
  env.cluster.kube.list<IPPool>("/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system/ippools");

/** Whether the pool of 172.17.0.0/24 holds an allocation for `podref`, as the address. */
async function allocatedTo(env: E2eEnv, podref: string): Promise<string[]> {
  const pools = await ippools(env);
  const pool = pools.find((p) => p.spec.range === "172.17.0.0/24");
  return Object.entries(pool?.spec.allocations ?? {})
    .filter(([, a]) => a.podref === podref)
    .map(([offset]) => `172.17.0.${Number(offset)}`);
}

describe("data plane: a pod's eth1 through the chart's Multus and whereabouts", function () {
  this.timeout(15 * 60000);
  let env: E2eEnv | undefined;
  let stack: Stack;
  let node: DataplaneNode | undefined;
  const pods: DaemonPod[] = [];
  let work: string;
  let outputs: Record<string, unknown>;

  const startDaemonSets = async (): Promise<void> => {
    if (!env || !node) throw new Error("no environment");
    const kube = env.cluster.kube;
    const wb = await readDaemonSet(kube, "kube-system", "whereabouts");
    pods.push(
      await runDaemonPod(node, kube, env.cluster.pki.caCert, wb, {
        ready: (_c, log) => log.includes("Done configuring CNI"),
      }),
    );
    const multus = await readDaemonSet(kube, "kube-system", "multus");
    pods.push(
      await runDaemonPod(node, kube, env.cluster.pki.caCert, multus, {
        ready: (_c, log) => log.includes("Entering watch loop"),
      }),
    );
  };

  before(async function () {
    requireShared(this);
    requireNamespaces(this);
    requireTools(this, "ip", "nsenter", "unshare", "chroot", "busybox", "openssl");
    requireE2eTools(this, DATAPLANE_TOOLS);
    const missing = missingImageFiles();
    if (missing.length) throw new Error(`data plane: missing ${missing.join(", ")}`);
    const started = Date.now();
    env = await upEnv();
    work = fs.mkdtempSync(path.join(env.dir, "dataplane-"));
    stack = await rootStack(env, path.join(work, "project"), {
      networks: [SEED_NETWORK],
      k3sVersion: AFTER_GATE.tag,
    });
    const log = path.join(work, "up.events.jsonl");
    const r = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log]);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log).join("\n")}`).to.equal(0);
    outputs = await stack.outputs();
    node = await DataplaneNode.start({
      name: "dp-node-1",
      layout: AFTER_GATE,
      pluginsDir: CNI_PLUGINS_DIR,
      apiServer: { host: "127.0.0.1", port: Number(new URL(env.cluster.server).port) },
    });
    await startDaemonSets();
    console.log(
      `      data plane: environment, pulumi up and the DaemonSets' pods in ${Date.now() - started} ms`,
    );
  });

  after(async () => {
    for (const p of pods.reverse()) await p.stop().catch(() => undefined);
    await node?.stop();
    await env?.down();
  });

  const getNode = (): DataplaneNode => {
    if (!node) throw new Error("no node");
    return node;
  };
  const getEnv = (): E2eEnv => {
    if (!env) throw new Error("no env");
    return env;
  };

  describe("1. after the gate (data/cni): the seed's whereabouts network", function () {
    let pod: PodObject;
    let sandbox: Sandbox;

    it("the component deployed for data/cni and the pods installed Multus and whereabouts there", () => {
      const n = getNode();
      expect(outputs.cniBinDir).to.equal(componentBinDir(AFTER_GATE));
      expect(n.containerdDirs()).to.deep.equal({
        binDir: `${"/var/lib/rancher/k3s"}/data/cni`,
        confDir: CONF_DIR,
      });
      const conf = n.files(CONF_DIR);
      expect(conf).to.include.members([
        `${CONF_DIR}/00-multus.conflist`,
        `${CONF_DIR}/10-flannel.conflist`,
        `${CONF_DIR}/multus.d/multus.kubeconfig`,
        `${CONF_DIR}/whereabouts.d/whereabouts.conf`,
        `${CONF_DIR}/whereabouts.d/whereabouts.kubeconfig`,
      ]);
      const bin = n.files(componentBinDir(AFTER_GATE)).map((f) => path.basename(f));
      expect(bin).to.include.members(["multus", "whereabouts", "macvlan", "bridge", "host-local"]);
      expect(bin).to.not.include("flannel");
      const multusConf = JSON.parse(n.read(`${CONF_DIR}/00-multus.conflist`)) as {
        plugins: { type: string; kubeconfig: string; delegates: { name: string }[] }[];
      };
      expect(multusConf.plugins[0].type).to.equal("multus");
      expect(multusConf.plugins[0].kubeconfig).to.equal(`${CONF_DIR}/multus.d/multus.kubeconfig`);
      expect(multusConf.plugins[0].delegates[0].name).to.equal("cbr0");
    });

    it("ADD: eth0 from the master network and eth1 (macvlan) from whereabouts", async () => {
      const e = getEnv();
      const n = getNode();
      const annotations = outputs.podAnnotations as Record<string, string>;
      expect(annotations).to.deep.equal({
        "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1",
      });
      pod = await createPod(e.cluster.kube, n, "default", "multus-demo-1", annotations);
      sandbox = await newSandbox(n, { namespace: "default", name: pod.metadata.name, uid: pod.metadata.uid });
      const r = await cni(n, "ADD", sandbox, { annotations });
      expect(r.status, `${r.stderr}\n${r.stdout}`).to.equal(0);
      const links = await podLinks(n, sandbox);
      const s = linkSummary(links);
      expect(Object.keys(s).sort()).to.deep.equal(["eth0", "eth1"]);
      expect(s.eth0).to.have.length(1);
      expect(s.eth0[0]).to.match(/^10\.42\.0\.\d+\/24$/);
      expect(s.eth1).to.have.length(1);
      expect(s.eth1[0]).to.match(/^172\.17\.0\.\d+\/24$/);
      expect(s.eth1[0]).to.not.equal("172.17.0.1/24");
      expect(links.find((l) => l.ifname === "eth1")?.linkinfo?.info_kind).to.equal("macvlan");
      const allocated = await allocatedTo(e, `default/${pod.metadata.name}`);
      expect(allocated).to.deep.equal([s.eth1[0].split("/")[0]]);
      const stored = await e.cluster.kube.get<PodObject>(
        `/api/v1/namespaces/default/pods/${pod.metadata.name}`,
      );
      const status = JSON.parse(
        stored?.metadata.annotations?.["k8s.v1.cni.cncf.io/network-status"] ?? "[]",
      ) as {
        name: string;
        interface?: string;
        ips?: string[];
        default?: boolean;
      }[];
      expect(status.map((x) => [x.name, x.interface, x.ips])).to.deep.equal([
        ["cbr0", "eth0", [s.eth0[0].split("/")[0]]],
        ["default/macvlan-whereabouts", "eth1", [s.eth1[0].split("/")[0]]],
      ]);
    });

    it("DEL removes the interfaces and frees the address", async () => {
      const e = getEnv();
      const n = getNode();
      const r = await cni(n, "DEL", sandbox);
      expect(r.status, r.stderr).to.equal(0);
      expect(Object.keys(linkSummary(await podLinks(n, sandbox)))).to.deep.equal([]);
      expect(await allocatedTo(e, `default/${pod.metadata.name}`)).to.deep.equal([]);
      await removeSandbox(n, sandbox);
      await deletePod(e.cluster.kube, "default", pod.metadata.name);
    });
  });
});

export type { DaemonSet };
