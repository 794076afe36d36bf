/**
 * The three programs the benchmark compares, for N nodes and M networks. All three register the
 * same resources (types, names, inputs, parents); `bench/measure.ts` checks that once per size.
 *
 * - **component**: the Multus component (the compiled provider/bin, what users run), through its
 *   public constructor only, given N nodes to detect and M whereabouts networks.
 * - **dynamic floor** ({@link dynamicFloor}): what a user would write by hand to do the same job
 *   with the fewest Outputs: the detect Commands, then the values derived from their (mocked)
 *   output with the planning core, the cluster-wide plan inside one `apply` over every node's
 *   stdout, each node's clean-up and claim from its own node's stdout; each resource then takes its
 *   element of that one Output. This is the floor for a program that has to wait for detection.
 * - **static floor** ({@link staticFloor}): the same resources from values computed once
 *   beforehand, outside the timed region ({@link staticInputs}): every value already known, no
 *   Output of the program's own.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  claimCommand,
  cleanupCommand,
  clusterLayout,
  CniLayout,
  detectCommand,
  Multus,
  MULTUS_TYPE,
  MultusPlan,
  NodeCommand,
  nodeLayout,
  ownerId,
  parseDetection,
  planFor,
  ValidatedInputs,
  validateInputs,
} from "./core";

/** One benchmark size. */
export interface Size {
  readonly nodes: number;
  readonly networks: number;
}

/** The programs measured. */
export type Variant = "component" | "dynamic" | "static";
export const VARIANTS: readonly Variant[] = ["component", "dynamic", "static"];

/** The stack and project the mocks run under (the component's URN, hence its owner id, derive from them). */
export const STACK = "bench";
export const PROJECT = "bench";

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

/** SSH dial error limit of the clean-up Commands (the component's CLEANUP_DIAL_ERROR_LIMIT). */
const CLEANUP_DIAL_ERROR_LIMIT = 3;

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

/** A `@pulumi/command` connection as the component builds it (every field present). */
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

/** The owner id the component derives from its URN (a hand-written program knows its URN). */
function ownerOf(name: string): string {
  return ownerId(`urn:pulumi:${STACK}::${PROJECT}::${MULTUS_TYPE}::${name}`);
}

/** The plain parent both floors register: a component of the same type and name as Multus. */
class Parent extends pulumi.ComponentResource {
  constructor(name: string) {
    super(MULTUS_TYPE, name, {}, {});
  }

  finish(outputs: pulumi.Inputs | pulumi.Output<pulumi.Inputs>): void {
    this.registerOutputs(outputs);
  }
}

/** The release arguments every chart shares (default chart settings: kube-system, no credentials). */
function commonReleaseArgs(v: ValidatedInputs) {
  const chart = v.chart;
  return {
    repositoryOpts: { repo: chart.repository, username: undefined, password: undefined },
    namespace: chart.namespace,
    timeout: chart.timeout,
    skipAwait: chart.skipAwait,
    cleanupOnFail: true,
    createNamespace: chart.namespace !== "kube-system",
  };
}

/** Release resource name and the arguments that do not depend on the cluster, per chart of a plan. */
function releaseShape(name: string, chart: string, index: number, count: number) {
  const crd = chart === "rke2-multus-crd";
  return {
    resourceName: crd ? `${name}-crd` : `${name}-release`,
    extra: crd ? { takeOwnership: true } : { skipCrds: count < 2 },
    index,
  };
}

/** The root outputs, as the component registers them, from a plan and the release's status. */
function rootOutputs(
  facts: readonly { host: string; version: { tag: string } }[],
  plan: MultusPlan,
  chartVersion: string,
  status: { status: string } | undefined,
): Record<string, unknown> {
  return {
    k3sVersions: Object.fromEntries(facts.map((f) => [f.host, f.version.tag])),
    cniBinDir: plan.layout.binDir,
    cniConfDir: plan.layout.confDir,
    chartVersion,
    chartValues: plan.values,
    releaseStatus: status?.status,
    status: status === undefined ? undefined : { status: status.status },
    networkNames: plan.networks.map((n) => n.name),
    networkAnnotations: plan.networkAnnotations,
    podAnnotations: plan.podAnnotations,
  };
}

/** Every input value of the static floor, computed once. */
export interface StaticInputs {
  readonly name: string;
  readonly nodes: readonly {
    name: string;
    connection: Connection;
    cleanupConnection: Connection;
    cleanup: NodeCommand;
    claim: NodeCommand;
  }[];
  readonly detect: NodeCommand;
  readonly releases: readonly { resourceName: string; args: k8s.helm.v3.ReleaseArgs }[];
  readonly nads: readonly { resourceName: string; args: k8s.apiextensions.CustomResourceArgs }[];
  readonly outputs: Record<string, unknown>;
}

/** The static floor's values for `size`, from the planning core (not timed). */
export function staticInputs(name: string, size: Size): StaticInputs {
  const args = componentArgs(size);
  const v = validateInputs(args);
  const facts = v.nodes.map((n) => parseDetection(n.host, DETECT_STDOUT));
  const layout = clusterLayout(facts, v.overrides);
  const plan = planFor(
    v,
    layout,
    facts.map((f) => f.version.tag),
  );
  const owner = ownerOf(name);
  const common = commonReleaseArgs(v);
  const releases = plan.charts.map((c, i) => {
    const shape = releaseShape(name, c.chart, i, plan.charts.length);
    return {
      resourceName: shape.resourceName,
      args: {
        ...common,
        chart: c.chart,
        name: c.releaseName,
        version: c.version,
        values: c.values,
        ...shape.extra,
      },
    };
  });
  const nads = plan.networks.map((n) => ({
    resourceName: `${name}-nad-${n.name}`,
    args: {
      apiVersion: "k8s.cni.cncf.io/v1",
      kind: "NetworkAttachmentDefinition",
      metadata: { name: n.name, namespace: n.namespace },
      spec: { config: n.config },
    },
  }));
  const whereabouts = v.ipam.includes("whereabouts");
  return {
    name,
    nodes: v.nodes.map((n, i) => {
      const l = nodeLayout(facts[i], v.overrides);
      return {
        name: n.name,
        connection: connection(args.nodes[i]),
        cleanupConnection: connection(args.nodes[i], CLEANUP_DIAL_ERROR_LIMIT),
        cleanup: cleanupCommand({ sudo: n.sudo, binDir: l.binDir, confDir: l.confDir, whereabouts, owner }),
        claim: claimCommand({ sudo: n.sudo, confDir: l.confDir, owner }),
      };
    }),
    detect: detectCommand({ sudo: false }),
    releases,
    nads,
    outputs: rootOutputs(facts, plan, v.chart.version.text, { status: "deployed" }),
  };
}

/**
 * The static floor: the same resources as the component, every value static. Order and
 * dependencies as the component's: detection, clean-up, the CRD release after the clean-up
 * Commands (so that destroy uninstalls the releases first), rke2-multus, the claims after the
 * releases, then the NADs.
 */
export function staticFloor(s: StaticInputs): void {
  const name = s.name;
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
        { connection: n.cleanupConnection, delete: n.cleanup.command, stdin: n.cleanup.stdin },
        { parent, customTimeouts: { delete: "5m" } },
      ),
  );
  const releases: k8s.helm.v3.Release[] = [];
  for (const r of s.releases) {
    const dependsOn = releases.length ? [...releases] : cleanups;
    releases.push(new k8s.helm.v3.Release(r.resourceName, r.args, { parent, dependsOn }));
  }
  for (const n of s.nodes) {
    new command.remote.Command(
      `${name}-claim-${n.name}`,
      { connection: n.connection, create: n.claim.command, stdin: n.claim.stdin },
      { parent, dependsOn: releases, customTimeouts: { create: "5m" } },
    );
  }
  for (const n of s.nads) {
    new k8s.apiextensions.CustomResource(n.resourceName, n.args, { parent, dependsOn: releases });
  }
  parent.finish(s.outputs);
}

/** What the dynamic floor derives once from every node's detection output. */
interface Derived {
  readonly facts: ReturnType<typeof parseDetection>[];
  readonly plan: MultusPlan;
}

/**
 * The dynamic floor: the same job by hand with the fewest Outputs. Inputs are validated at once
 * (synchronously); the detect Commands' stdout is the only source of Outputs: one `apply` over all
 * of them gives the plan, each release value and NAD config is its element of that one Output, and
 * each node's clean-up and claim take their command from that node's stdout alone (as the
 * component does, so that a node's clean-up depends on its own detection only).
 */
export function dynamicFloor(name: string, size: Size): void {
  const args = componentArgs(size);
  const v = validateInputs(args);
  const parent = new Parent(name);
  const owner = ownerOf(name);
  const whereabouts = v.ipam.includes("whereabouts");
  const detect = detectCommand({ sudo: false });
  const stdouts = v.nodes.map(
    (n, i) =>
      new command.remote.Command(
        `${name}-detect-${n.name}`,
        {
          connection: connection(args.nodes[i]),
          create: detect.command,
          stdin: detect.stdin,
          triggers: [""],
        },
        { parent, customTimeouts: { create: "5m" } },
      ).stdout,
  );
  const layoutOf = (host: string, stdout: string): CniLayout =>
    nodeLayout(parseDetection(host, stdout), v.overrides);
  // The scripts sent on stdin do not depend on the node: built once, static.
  const cleanupStdin = cleanupCommand({
    sudo: false,
    binDir: "/opt/cni/bin",
    confDir: "/etc/cni/net.d",
    whereabouts,
    owner,
  }).stdin;
  const claimStdin = claimCommand({ sudo: false, confDir: "/etc/cni/net.d", owner }).stdin;
  const cleanups = v.nodes.map(
    (n, i) =>
      new command.remote.Command(
        `${name}-cleanup-${n.name}`,
        {
          connection: connection(args.nodes[i], CLEANUP_DIAL_ERROR_LIMIT),
          delete: stdouts[i].apply((out) => {
            const l = layoutOf(n.host, out);
            return cleanupCommand({ sudo: n.sudo, binDir: l.binDir, confDir: l.confDir, whereabouts, owner })
              .command;
          }),
          stdin: cleanupStdin,
        },
        { parent, customTimeouts: { delete: "5m" } },
      ),
  );
  const derived: pulumi.Output<Derived> = pulumi.all(stdouts).apply((outs) => {
    const facts = v.nodes.map((n, i) => parseDetection(n.host, outs[i]));
    const layout = clusterLayout(facts, v.overrides);
    return {
      facts,
      plan: planFor(
        v,
        layout,
        facts.map((f) => f.version.tag),
      ),
    };
  });
  // Which charts a version installs is known before detection (it does not depend on the layout).
  const charts = planFor(v, {
    binDir: "/opt/cni/bin",
    confDir: "/etc/cni/net.d",
    multusKubeconfig: "/etc/cni/net.d/multus.d/multus.kubeconfig",
    whereaboutsConfig: "/etc/cni/net.d/whereabouts.d/whereabouts.conf",
  }).charts;
  const common = commonReleaseArgs(v);
  const releases: k8s.helm.v3.Release[] = [];
  charts.forEach((c, i) => {
    const shape = releaseShape(name, c.chart, i, charts.length);
    const dependsOn = releases.length ? [...releases] : cleanups;
    releases.push(
      new k8s.helm.v3.Release(
        shape.resourceName,
        {
          ...common,
          chart: c.chart,
          name: c.releaseName,
          version: c.version,
          values: derived.apply((d) => d.plan.charts[i].values),
          ...shape.extra,
        },
        { parent, dependsOn },
      ),
    );
  });
  v.nodes.forEach(
    (n, i) =>
      new command.remote.Command(
        `${name}-claim-${n.name}`,
        {
          connection: connection(args.nodes[i]),
          create: stdouts[i].apply(
            (out) => claimCommand({ sudo: n.sudo, confDir: layoutOf(n.host, out).confDir, owner }).command,
          ),
          stdin: claimStdin,
        },
        { parent, dependsOn: releases, customTimeouts: { create: "5m" } },
      ),
  );
  const nads = v.networks.map(
    (spec, j) =>
      new k8s.apiextensions.CustomResource(
        `${name}-nad-${spec.name}`,
        {
          apiVersion: "k8s.cni.cncf.io/v1",
          kind: "NetworkAttachmentDefinition",
          metadata: { name: spec.name, namespace: spec.namespace },
          spec: { config: derived.apply((d) => d.plan.networks[j].config) },
        },
        { parent, dependsOn: releases },
      ),
  );
  const main = releases[releases.length - 1];
  // The outputs wait for the NADs (a pod taking the annotation starts after them), in one Output.
  parent.finish(
    pulumi
      .all([derived, main.status, pulumi.all(nads.map((r) => r.urn))])
      .apply(([d, status]) =>
        rootOutputs(d.facts, d.plan, v.chart.version.text, status as { status: string } | undefined),
      ),
  );
}

/** The component for `size`, through its public constructor. */
export function component(name: string, size: Size): Multus {
  return new Multus(name, componentArgs(size));
}
