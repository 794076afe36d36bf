/**
 * The containerd side of a pod on a simulated node: the Pod object (made in the API server from
 * the demo Deployment's template in examples/yaml, with the component's `podAnnotations`, bound to
 * the node), its sandbox's network namespace (`/var/run/netns/cni-<id>` inside the node, as
 * containerd names it) and CNI ADD/CHECK/DEL through k3sm-cni-driver (libcni, as go-cni does) with
 * the bin and conf dirs read from the node's containerd config. Interfaces are read back with
 * `ip -j` inside the pod's namespace.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { Kube } from "../e2e/env/kube";
import { RunResult } from "../e2e/env/proc";
import { tool } from "../e2e/env/cache";
import { REPO_DIR } from "../e2e/env/pulumi";
import { DataplaneNode } from "./node";

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface Sandbox {
  readonly id: string;
  readonly netns: string;
  readonly pod: PodRef;
}

export interface PodObject {
  metadata: { name: string; namespace: string; uid: string; annotations?: Record<string, string> };
}

/** The pod template of the demo Deployment (examples/yaml/Pulumi.yaml, resource `demo`). */
export function demoTemplate(): {
  metadata: { labels: Record<string, string> };
  spec: Record<string, unknown>;
} {
  const program = parse(fs.readFileSync(path.join(REPO_DIR, "examples/yaml/Pulumi.yaml"), "utf8")) as {
    resources: Record<string, { type: string; properties: { spec: { template: never } } }>;
  };
  const dep = Object.values(program.resources).find((r) => r.type === "kubernetes:apps/v1:Deployment");
  if (!dep) throw new Error("examples/yaml has no Deployment");
  return dep.properties.spec.template;
}

/**
 * No controller-manager runs: makes namespace `ns`'s `default` service account as its
 * service-account controller would (else the API server refuses pods, and TokenRequests for it).
 */
export async function ensureDefaultServiceAccount(kube: Kube, ns: string): Promise<void> {
  const sa = await kube.request("POST", `/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "default", namespace: ns },
  });
  if (sa.status !== 201 && sa.status !== 409)
    throw new Error(`service account ${ns}/default: ${sa.status} ${sa.body}`);
}

/** Creates Pod `ns/name` from the demo template with `annotations`, bound to `node`. */
export async function createPod(
  kube: Kube,
  node: DataplaneNode,
  ns: string,
  name: string,
  annotations: Record<string, string>,
): Promise<PodObject> {
  const t = demoTemplate();
  await ensureDefaultServiceAccount(kube, ns);
  const r = await kube.request("POST", `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: t.metadata.labels, annotations },
    spec: { ...t.spec, nodeName: node.name },
  });
  if (r.status !== 201) throw new Error(`create pod ${ns}/${name}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as PodObject;
}

export async function deletePod(kube: Kube, ns: string, name: string): Promise<void> {
  await kube.request("DELETE", `/api/v1/namespaces/${ns}/pods/${name}?gracePeriodSeconds=0`);
}

/** A new sandbox for `pod`: its id and network namespace (made inside the node). */
export async function newSandbox(node: DataplaneNode, pod: PodRef): Promise<Sandbox> {
  const id = randomBytes(32).toString("hex");
  const name = `cni-${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}`;
  await node.execOk(["ip", "netns", "add", name]);
  return { id, netns: name, pod };
}

/** Removes the sandbox's network namespace (after DEL, as containerd does). */
export async function removeSandbox(node: DataplaneNode, s: Sandbox): Promise<void> {
  await node.exec(["ip", "netns", "del", s.netns]);
}

export interface CniRun extends RunResult {
  /** The parsed CNI result of ADD (eth0's network), if it succeeded. */
  readonly result?: {
    interfaces?: { name: string; sandbox?: string }[];
    ips?: { address: string; interface?: number }[];
  };
}

/** Runs k3sm-cni-driver `cmd` for sandbox `s`, with containerd's dirs unless overridden. */
export async function cni(
  node: DataplaneNode,
  cmd: "ADD" | "DEL" | "CHECK",
  s: Sandbox,
  opts: { annotations?: Record<string, string>; uid?: string } = {},
): Promise<CniRun> {
  const dirs = node.containerdDirs();
  const r = await node.exec(
    [
      tool("k3sm-cni-driver"),
      cmd,
      "-bin-dir",
      dirs.binDir,
      "-conf-dir",
      dirs.confDir,
      "-netns",
      `/var/run/netns/${s.netns}`,
      "-id",
      s.id,
      "-namespace",
      s.pod.namespace,
      "-name",
      s.pod.name,
      "-uid",
      opts.uid ?? s.pod.uid,
      "-annotations",
      JSON.stringify(opts.annotations ?? {}),
    ],
    { timeoutMs: 120000 },
  );
  let result: CniRun["result"];
  if (cmd === "ADD" && r.status === 0) result = JSON.parse(r.stdout) as CniRun["result"];
  return { ...r, result };
}

export interface Link {
  ifname: string;
  link_type?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The pod namespace's links with their addresses (`ip -j -d addr`), lo left out. */
export async function podLinks(node: DataplaneNode, s: Sandbox): Promise<Link[]> {
  const r = await node.execOk(["ip", "-j", "-d", "-n", s.netns, "addr", "show"]);
  return (JSON.parse(r.stdout || "[]") as Link[]).filter((l) => l.ifname !== "lo");
}

/** `ifname -> kind addresses` for readable assertions. */
export function linkSummary(links: readonly Link[]): Record<string, string[]> {
  return Object.fromEntries(
    links.map((l) => [
      l.ifname,
      (l.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`),
    ]),
  );
}
