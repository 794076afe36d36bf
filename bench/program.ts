/**
 * The two programs the benchmark compares, for N nodes and M networks:
 *
 * - the Multus component (the compiled provider/bin, what users run), given N nodes to detect and
 *   M whereabouts networks;
 * - a hand-written program that registers the same resources (same types, names, inputs, parents
 *   and dependencies) from values computed once beforehand, outside the timed region: what a user
 *   would write without the component, with every value already known.
 *
 * {@link staticInputs} computes those values with the planning core; `bench/run.ts` checks once per
 * size, untimed, that both programs register exactly the same resources.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Multus, MULTUS_TYPE } from "../provider/bin/multus";
import { cleanupCommand, detectCommand, NodeCommand } from "../provider/bin/node/scripts";
import { parseDetection } from "../provider/bin/plan/detection";
import { clusterLayout } from "../provider/bin/plan/layout";
import { planFor, validateInputs } from "../provider/bin/plan/plan";

/** One benchmark size. */
export interface Size {
  readonly nodes: number;
  readonly networks: number;
}

/** What the mocked detection reports for every node: a K3s after the October 2024 gate, flannel on. */
export const DETECT_STDOUT = [
  "k3s-multus-detect 1",
  "version=k3s version v1.32.2+k3s1 (381620ef)",
  "data_dir=/var/lib/rancher/k3s",
  "flannel=on",
  "bin_dir=/var/lib/rancher/k3s/data/cni",
  "conf_dir=/var/lib/rancher/k3s/agent/etc/cni/net.d",
  "containerd_config=/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
  "",
].join("\n");

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nbenchmark-not-a-key\n-----END OPENSSH PRIVATE KEY-----\n";

export interface NodeInput {
  readonly host: string;
  readonly user: string;
  readonly privateKey: string;
}

export interface NetworkInput {
  readonly name: string;
  readonly type: "macvlan";
  readonly master: string;
  readonly ipam: { readonly type: "whereabouts"; readonly range: string };
}

/** The component's inputs for a size: N nodes reached as root with a key, M whereabouts macvlan networks. */
export function componentArgs(size: Size): { nodes: NodeInput[]; networks: NetworkInput[] } {
  const nodes = Array.from({ length: size.nodes }, (_, i) => ({
    host: `node-${String(i + 1).padStart(4, "0")}.example.com`,
    user: "root",
    privateKey: KEY,
  }));
  const networks = Array.from({ length: size.networks }, (_, i) => ({
    name: `net-${i + 1}`,
    type: "macvlan" as const,
    master: "eth1",
    ipam: { type: "whereabouts" as const, range: `10.${100 + (i >> 8)}.${i & 255}.0/24` },
  }));
  return { nodes, networks };
}

/** The number of resources either program registers: the component, 2 commands per node, 2 releases, the NADs. */
export function expectedRegistrations(size: Size): number {
  return 1 + 2 * size.nodes + 2 + size.networks;
}

interface Connection {
  host: string;
  port: undefined;
  user: string;
  password: undefined;
  privateKey: string;
  privateKeyPassword: undefined;
  agentSocketPath: undefined;
  hostKey: undefined;
  proxy: undefined;
  dialErrorLimit: number | undefined;
  perDialTimeout: undefined;
}

/** Every input value of the hand-written program, computed once. */
export interface StaticInputs {
  readonly nodes: readonly { name: string; connection: Connection; cleanupConnection: Connection }[];
  readonly detect: NodeCommand;
  readonly cleanup: NodeCommand;
  readonly releases: readonly { resourceName: string; args: k8s.helm.v3.ReleaseArgs }[];
  readonly nads: readonly { resourceName: string; args: k8s.apiextensions.CustomResourceArgs }[];
  readonly outputs: Record<string, unknown>;
}

function connection(n: NodeInput, dialErrorLimit?: number): Connection {
  return {
    host: n.host,
    port: undefined,
    user: n.user,
    password: undefined,
    privateKey: n.privateKey,
    privateKeyPassword: undefined,
    agentSocketPath: undefined,
    hostKey: undefined,
    proxy: undefined,
    dialErrorLimit,
    perDialTimeout: undefined,
  };
}

/** The hand-written program's values for `size`, from the planning core (not timed). */
export function staticInputs(name: string, size: Size): StaticInputs {
  const args = componentArgs(size);
  const v = validateInputs(args);
  const facts = v.nodes.map((n) => parseDetection(n.host, DETECT_STDOUT));
  const layout = clusterLayout(facts, v.overrides);
  const plan = planFor(v, layout);
  const chart = v.chart;
  const common = {
    repositoryOpts: { repo: chart.repository, username: undefined, password: undefined },
    namespace: chart.namespace,
    timeout: chart.timeout,
    skipAwait: chart.skipAwait,
    cleanupOnFail: true,
  };
  const releases = plan.charts.map((c) => ({
    resourceName: c.chart === "rke2-multus-crd" ? `${name}-crd` : `${name}-release`,
    args: { ...common, chart: c.chart, name: c.releaseName, version: c.version, values: c.values },
  }));
  const nads = plan.networks.map((n) => ({
    resourceName: `${name}-nad-${n.name}`,
    args: {
      apiVersion: "k8s.cni.cncf.io/v1",
      kind: "NetworkAttachmentDefinition",
      metadata: { name: n.name, namespace: n.namespace },
      spec: { config: n.config },
    },
  }));
  return {
    nodes: v.nodes.map((n, i) => ({
      name: n.name,
      connection: connection(args.nodes[i]),
      cleanupConnection: connection(args.nodes[i], 3),
    })),
    detect: detectCommand({ sudo: false }),
    cleanup: cleanupCommand({
      sudo: false,
      binDir: layout.binDir,
      confDir: layout.confDir,
      whereabouts: true,
      owner: "0123456789abcdef",
    }),
    releases,
    nads,
    outputs: {
      k3sVersions: Object.fromEntries(facts.map((f) => [f.host, f.version.tag])),
      cniBinDir: layout.binDir,
      cniConfDir: layout.confDir,
      chartVersion: chart.version.text,
      chartValues: plan.values,
      releaseStatus: "deployed",
      networkNames: plan.networks.map((n) => n.name),
      networkAnnotations: plan.networkAnnotations,
      podAnnotations: plan.podAnnotations,
    },
  };
}

/**
 * The hand-written program: the same resources as the component, every value static. Order and
 * dependencies as the component's: detection, clean-up, the CRD release after the clean-up
 * Commands (so that destroy uninstalls the releases first), rke2-multus, then the NADs.
 */
export function handWritten(name: string, s: StaticInputs): void {
  const parent = new Parent(name);
  for (const n of s.nodes) {
    new command.remote.Command(
      `${name}-detect-${n.name}`,
      { connection: n.connection, create: s.detect.command, stdin: s.detect.stdin, triggers: [""] },
      { parent, customTimeouts: { create: "5m" } },
    );
  }
  const cleanups = s.nodes.map(
    (n) =>
      new command.remote.Command(
        `${name}-cleanup-${n.name}`,
        { connection: n.cleanupConnection, delete: s.cleanup.command, stdin: s.cleanup.stdin },
        { parent, customTimeouts: { delete: "5m" } },
      ),
  );
  const releases: k8s.helm.v3.Release[] = [];
  for (const r of s.releases) {
    const dependsOn = releases.length ? [...releases] : cleanups;
    releases.push(new k8s.helm.v3.Release(r.resourceName, r.args, { parent, dependsOn }));
  }
  for (const n of s.nads) {
    new k8s.apiextensions.CustomResource(n.resourceName, n.args, { parent, dependsOn: releases });
  }
  parent.finish(s.outputs);
}

/** The hand-written program's parent: a plain component of the same type and name as Multus. */
class Parent extends pulumi.ComponentResource {
  constructor(name: string) {
    super(MULTUS_TYPE, name, {}, {});
  }

  finish(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

/** The component for `size`. */
export function component(name: string, size: Size): Multus {
  return new Multus(name, componentArgs(size));
}
