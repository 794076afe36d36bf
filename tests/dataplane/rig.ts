/**
 * What the data-plane scenarios share: the loopback environment and the component's stack (the
 * pinned-facts program), simulated nodes running the chart's DaemonSets (as read back from the API
 * server, or rendered with other values), pods attached through the libcni driver, and the checks
 * every scenario makes on a pod's namespace, the whereabouts IPPool and Multus'
 * network-status annotation.
 */
import { expect } from "chai";
import * as path from "node:path";
import { E2eEnv } from "../e2e/env";
import { errors } from "../e2e/env/events";
import { Stack } from "../e2e/env/stack";
import { DaemonPod, DaemonSet, readDaemonSet, runDaemonPod } from "./containers";
import { CNI_PLUGINS_DIR } from "./images";
import { DataplaneNode, K3sLayout } from "./node";
import {
  cni,
  CniRun,
  createPod,
  deletePod,
  Link,
  linkSummary,
  newSandbox,
  PodObject,
  podLinks,
  removeSandbox,
  Sandbox,
} from "./sandbox";

export interface Rig {
  readonly env: E2eEnv;
  readonly stack: Stack;
  readonly work: string;
  /** The stack's outputs after the last `up`. */
  outputs: Record<string, unknown>;
}

/** `pulumi up` of the stack, failing with the engine's diagnostics; refreshes `rig.outputs`. */
export async function up(rig: Rig, name: string): Promise<void> {
  const log = path.join(rig.work, `${name}.events.jsonl`);
  const r = await rig.stack.run(["up", "--yes", "--skip-preview", "--event-log", log]);
  expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log).join("\n")}`).to.equal(0);
  rig.outputs = await rig.stack.outputs();
}

/** The chart's DaemonSets of the release as the API server holds them. */
export async function deployedDaemonSets(rig: Rig, names: readonly string[]): Promise<DaemonSet[]> {
  return Promise.all(names.map((n) => readDaemonSet(rig.env.cluster.kube, "kube-system", n)));
}

/** When a DaemonSet pod's containers count as started (the line each prints once set up). */
const READY: Partial<Record<string, string>> = {
  whereabouts: "Done configuring CNI",
  multus: "Entering watch loop",
};

/** Runs the pods of `sets` on `node` (in order), as the DaemonSet controller and kubelet would. */
export async function runPods(
  rig: Rig,
  node: DataplaneNode,
  sets: readonly DaemonSet[],
): Promise<DaemonPod[]> {
  const pods: DaemonPod[] = [];
  try {
    for (const ds of sets) {
      const line = READY[ds.metadata.name];
      pods.push(
        await runDaemonPod(node, rig.env.cluster.kube, rig.env.cluster.pki.caCert, ds, {
          ready: line === undefined ? undefined : (_c, log) => log.includes(line),
        }),
      );
    }
  } catch (e) {
    for (const p of pods.reverse()) await p.stop();
    throw e;
  }
  return pods;
}

/** A node with pods, stopped together. */
export interface NodeWithPods {
  readonly node: DataplaneNode;
  pods: DaemonPod[];
  stopPods(): Promise<void>;
  stop(): Promise<void>;
}

let nodeCounter = 0;

/** Starts a fresh node on `layout` and runs `sets` on it. */
export async function nodeWithPods(
  rig: Rig,
  layout: K3sLayout,
  sets: readonly DaemonSet[],
): Promise<NodeWithPods> {
  const node = await DataplaneNode.start({
    name: `dp-node-${++nodeCounter}`,
    layout,
    pluginsDir: CNI_PLUGINS_DIR,
    apiServer: { host: "127.0.0.1", port: Number(new URL(rig.env.cluster.server).port) },
  });
  const n: NodeWithPods = {
    node,
    pods: [],
    async stopPods() {
      for (const p of n.pods.reverse()) await p.stop();
      n.pods = [];
    },
    async stop() {
      await n.stopPods().catch(() => undefined);
      await node.stop();
    },
  };
  try {
    n.pods = await runPods(rig, node, sets);
  } catch (e) {
    await node.stop();
    throw e;
  }
  return n;
}

/** A pod in the API server with a sandbox on the node. */
export interface PodOnNode {
  readonly pod: PodObject;
  readonly sandbox: Sandbox;
  readonly annotations: Record<string, string>;
}

let podCounter = 0;

/** Creates a demo pod with `annotations` and its sandbox on `node` (no ADD yet). */
export async function demoPod(
  rig: Rig,
  node: DataplaneNode,
  annotations: Record<string, string>,
): Promise<PodOnNode> {
  const pod = await createPod(
    rig.env.cluster.kube,
    node,
    "default",
    `multus-demo-${++podCounter}`,
    annotations,
  );
  const sandbox = await newSandbox(node, {
    namespace: "default",
    name: pod.metadata.name,
    uid: pod.metadata.uid,
  });
  return { pod, sandbox, annotations };
}

/** ADD for the pod (as containerd: its annotations as a capability). */
export const add = (node: DataplaneNode, p: PodOnNode, opts: { uid?: string } = {}): Promise<CniRun> =>
  cni(node, "ADD", p.sandbox, { annotations: p.annotations, ...opts });

/**
 * DEL, then the sandbox's namespace and the Pod object removed (the pod's end); returns DEL's
 * run and the links left in the namespace right after it (lo aside).
 */
export async function removePod(
  rig: Rig,
  node: DataplaneNode,
  p: PodOnNode,
): Promise<{ del: CniRun; left: string[] }> {
  const del = await cni(node, "DEL", p.sandbox, { annotations: p.annotations });
  const left = (await podLinks(node, p.sandbox)).map((l) => l.ifname);
  await removeSandbox(node, p.sandbox);
  await deletePod(rig.env.cluster.kube, p.pod.metadata.namespace, p.pod.metadata.name);
  return { del, left };
}

/** CHECK for the pod. */
export const check = (node: DataplaneNode, p: PodOnNode): Promise<CniRun> =>
  cni(node, "CHECK", p.sandbox, { annotations: p.annotations });

export interface NetworkStatus {
  name: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  default?: boolean;
}

/** Multus' `k8s.v1.cni.cncf.io/network-status` on the stored Pod, or undefined if absent. */
export async function networkStatus(rig: Rig, p: PodOnNode): Promise<NetworkStatus[] | undefined> {
  const stored = await rig.env.cluster.kube.get<PodObject>(
    `/api/v1/namespaces/${p.pod.metadata.namespace}/pods/${p.pod.metadata.name}`,
  );
  const text = stored?.metadata.annotations?.["k8s.v1.cni.cncf.io/network-status"];
  return text === undefined ? undefined : (JSON.parse(text) as NetworkStatus[]);
}

interface IPPool {
  spec: { range: string; allocations?: Record<string, { id: string; podref: string; ifname?: string }> };
}

/** The addresses whereabouts' IPPool for `range` (an IPv4 /24) records for `podref`. */
export async function allocatedTo(rig: Rig, range: string, podref: string): Promise<string[]> {
  const pools = await rig.env.cluster.kube.list<IPPool>(
    "/apis/whereabouts.cni.cncf.io/v1alpha1/namespaces/kube-system/ippools",
  );
  const pool = pools.find((p) => p.spec.range === range);
  const base = range.split("/")[0].split(".").slice(0, 3).join(".");
  return Object.entries(pool?.spec.allocations ?? {})
    .filter(([, a]) => a.podref === podref)
    .map(([offset]) => `${base}.${Number(offset)}`);
}

/** The pod's links (lo aside) and their IPv4 addresses. */
export async function links(
  node: DataplaneNode,
  p: PodOnNode,
): Promise<{ raw: Link[]; v4: Record<string, string[]> }> {
  const raw = await podLinks(node, p.sandbox);
  return { raw, v4: linkSummary(raw) };
}

/** Address without prefix. */
export const bare = (cidr: string): string => cidr.split("/")[0];

/** eth0 from the flannel stand-in: one address in the node's flannel subnet. */
export function expectMasterEth0(v4: Record<string, string[]>): void {
  expect(v4.eth0, "eth0").to.have.length(1);
  expect(v4.eth0[0]).to.match(/^10\.42\.0\.\d+\/24$/);
  expect(v4.eth0[0]).to.not.equal("10.42.0.1/24");
}
