/**
 * Scenarios 1–5 of the end-to-end suite, in order, on one stack of the root program (Pulumi.yaml,
 * the YAML program using the plugin in ./provider): `pulumi up`, no-change preview and refresh, the
 * state holds no secret in plain text, an upgrade of the nodes across the October 2024 gate, and
 * `pulumi destroy`. Each step runs the real CLI, engine, plugins, Helm charts and API server.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { E2eEnv } from "./env";
import { errors, stepLines } from "./env/events";
import {
  AFTER_GATE,
  BEFORE_GATE,
  chartFiles,
  CONF_DIR,
  nodeFiles,
  Release,
  writeFilesCommand,
} from "./env/fixtures";
import { helmHistory, helmList, helmValues } from "./env/helm";
import { paths } from "./env/kube";
import { listFiles, SshNode } from "./env/nodes";
import { rootStack, Stack } from "./env/stack";
import { expectedPlan, NETWORKS, nodeName } from "./expect";
import { DEFAULT_CHART_VERSION } from "../../provider/src/plan/chart";

interface DaemonSet {
  metadata: { name: string };
  spec: { template: { spec: { volumes?: { name: string; hostPath?: { path: string } }[] } } };
}

/** Writes what the chart's DaemonSet would write on every node: no kubelet runs, so the test plays it. */
export async function playDaemonSet(env: E2eEnv, release: Release): Promise<void> {
  for (const n of env.nodes) {
    const r = await n.ssh(writeFilesCommand(chartFiles(release)));
    expect(r.status, r.stderr).to.equal(0);
  }
}

/** The node's files in the CNI dirs of `release`. */
export const cniListing = (n: SshNode, release: Release) => listFiles(n, [CONF_DIR, release.binDir]);

/** The expected listing: the node's own files plus (or not) the chart's, as `find` prints them. */
export function expectedListing(release: Release, withChart: boolean): string[] {
  const files = { ...nodeFiles(release), ...(withChart ? chartFiles(release) : {}) };
  const out = new Set<string>();
  for (const p of Object.keys(files)) {
    for (const root of [CONF_DIR, release.binDir]) {
      if (!p.startsWith(`${root}/`)) continue;
      out.add(p);
      // Each directory between the root and the file.
      let d = path.dirname(p);
      while (d.length > root.length) {
        out.add(`${d}/`);
        d = path.dirname(d);
      }
    }
  }
  return [...out].sort();
}

/**
 * Skips the current test when the environment has no nodes (pulumi-resource-command is missing),
 * saying so: the summary counts it as skipped, never as passed.
 */
export function needNodes(ctx: Mocha.Context, env: E2eEnv): void {
  if (env.withNodes) return;
  console.warn(
    "      skipped: needs the simulated nodes, which need pulumi-resource-command (not in the tool cache)",
  );
  ctx.skip();
}

/** The `k3sVersions` output: per host with nodes, empty with pinned facts. */
export const versionsOutput = (env: E2eEnv, release: Release) =>
  Object.fromEntries(env.nodes.map((n) => [n.host, release.tag]));

export function rootProgramScenarios(getEnv: () => E2eEnv): void {
  let env: E2eEnv;
  let stack: Stack;
  let work: string;
  const log = (name: string) => path.join(work, `${name}.events.jsonl`);

  before(async function () {
    env = getEnv();
    work = fs.mkdtempSync(path.join(env.dir, "root-"));
    stack = await rootStack(env, path.join(work, "project"), {
      networks: NETWORKS,
      redetect: "first",
      k3sVersion: BEFORE_GATE.tag,
    });
  });

  describe("1. the root program: pulumi up", function () {
    let outputs: Record<string, unknown>;

    before(async function () {
      const r = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log("up1")]);
      expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log("up1")).join("\n")}`).to.equal(0);
      outputs = await stack.outputs();
    });

    it("outputs the detected versions and dirs of both nodes (pinned: the dirs of the version)", () => {
      expect(outputs.k3sVersions).to.deep.equal(versionsOutput(env, BEFORE_GATE));
      if (env.withNodes) expect(Object.keys(outputs.k3sVersions as object)).to.have.length(2);
      expect(outputs.cniBinDir).to.equal("/var/lib/rancher/k3s/data/current/bin");
      expect(outputs.cniConfDir).to.equal("/var/lib/rancher/k3s/agent/etc/cni/net.d");
      expect(outputs.chartVersion).to.equal(DEFAULT_CHART_VERSION);
      expect(outputs.releaseStatus).to.equal("deployed");
      expect(outputs.networkNames).to.deep.equal(["macvlan-whereabouts", "bridge-hostlocal"]);
      expect(outputs.podAnnotations).to.deep.equal({
        "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1,default/bridge-hostlocal@net2",
      });
    });

    it("fetched the charts from the loopback mirror with its credentials", () => {
      const fetched = env.charts.requested.filter((r) => r.endsWith(".tgz"));
      expect(fetched).to.include(`200 /assets/rke2-multus/rke2-multus-${DEFAULT_CHART_VERSION}.tgz`);
      expect(fetched).to.include(
        `200 /assets/rke2-multus/rke2-multus-crd-${DEFAULT_CHART_VERSION.replace(/^v/, "")}.tgz`,
      );
      expect(env.charts.requested.filter((r) => r.startsWith("401"))).to.deep.equal([]);
    });

    it("installed the multus-crd and multus releases with exactly the computed values", async () => {
      const plan = expectedPlan(env, BEFORE_GATE);
      const releases = await helmList(env.cluster, "kube-system");
      expect(releases.map((r) => `${r.name} ${r.status} ${r.chart}`).sort()).to.deep.equal([
        `multus deployed rke2-multus-${DEFAULT_CHART_VERSION}`,
        `multus-crd deployed rke2-multus-crd-${DEFAULT_CHART_VERSION.replace(/^v/, "")}`,
      ]);
      const byChart = new Map(plan.charts.map((c) => [c.chart, c]));
      const crdValues = (await helmValues(env.cluster, "kube-system", "multus-crd")) ?? {};
      expect(crdValues).to.deep.equal(byChart.get("rke2-multus-crd")?.values);
      const values = await helmValues(env.cluster, "kube-system", "multus");
      expect(values).to.deep.equal(byChart.get("rke2-multus")?.values);
      expect(values).to.have.nested.property(
        "config.cni_conf.binDir",
        "/var/lib/rancher/k3s/data/current/bin",
      );
      expect(values).to.have.nested.property(
        "config.cni_conf.confDir",
        "/var/lib/rancher/k3s/agent/etc/cni/net.d",
      );
    });

    it("the API server holds the DaemonSets, mounting the detected dirs", async () => {
      const sets = await env.cluster.kube.list<DaemonSet>(paths.daemonsets("kube-system"));
      const names = sets.map((d) => d.metadata.name).sort();
      expect(names).to.include.members(["multus", "whereabouts"]);
      const multus = sets.find((d) => d.metadata.name === "multus");
      const hostPaths = (multus?.spec.template.spec.volumes ?? []).map((v) => v.hostPath?.path);
      expect(hostPaths).to.include.members([BEFORE_GATE.binDir, CONF_DIR]);
    });

    it("the NAD CRD is established", async () => {
      const crd = await env.cluster.kube.get<{ status: { conditions: { type: string; status: string }[] } }>(
        paths.nadCrd,
      );
      expect(crd?.status.conditions.find((c) => c.type === "Established")?.status).to.equal("True");
    });

    it("the NADs are stored as planned", async () => {
      const plan = expectedPlan(env, BEFORE_GATE);
      for (const n of plan.networks) {
        const nad = await env.cluster.kube.get<{
          metadata: { name: string; namespace: string };
          spec: { config: string };
        }>(paths.nad(n.namespace, n.name));
        expect(nad?.metadata, n.name).to.include({ name: n.name, namespace: n.namespace });
        expect(JSON.parse(nad?.spec.config ?? "null")).to.deep.equal(JSON.parse(n.config));
      }
      const wb = JSON.parse(plan.networks[0].config) as { ipam: Record<string, unknown> };
      expect(wb.ipam.configuration_path).to.equal(`${CONF_DIR}/whereabouts.d/whereabouts.conf`);
    });
  });

  describe("2. no changes right after", function () {
    it("pulumi preview --expect-no-changes", async () => {
      const r = await stack.run(["preview", "--expect-no-changes"]);
      expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    });

    it("pulumi refresh --expect-no-changes", async () => {
      const r = await stack.run(["refresh", "--yes", "--skip-preview", "--expect-no-changes"]);
      expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    });
  });

  describe("3. pulumi stack export", function () {
    it("holds no private key, key passphrase, password or kubeconfig in plain text", async () => {
      const state = await stack.exportState();
      expect(state).to.include("kubernetes:helm.sh/v3:Release"); // the state is there, and readable
      const secrets: [string, string][] = [];
      for (const [i, n] of env.nodes.entries()) {
        // Every line of the key's base64 body, and the passphrase.
        for (const line of n.privateKey.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")))
          secrets.push([`nodes[${i}].privateKey`, line]);
        if (n.privateKeyPassword) secrets.push([`nodes[${i}].privateKeyPassword`, n.privateKeyPassword]);
      }
      secrets.push(["chart.repositoryPassword", env.chartAuth.password]);
      for (const line of env.cluster.kubeconfig.split("\n").filter((l) => /-data: /.test(l))) {
        const value = line.split(": ")[1];
        // Long values: check a few slices so a re-encoded (escaped, wrapped) copy is caught too.
        for (let at = 0; at + 40 <= value.length; at += 400)
          secrets.push(["kubeconfig", value.slice(at, at + 40)]);
      }
      const keyPem = fs.readFileSync(env.cluster.pki.adminKey, "utf8");
      for (const line of keyPem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")))
        secrets.push(["the kubeconfig's client key", line]);
      const leaked = secrets.filter(([, s]) => state.includes(s)).map(([what]) => what);
      expect(leaked).to.deep.equal([]);
      expect(state).not.to.match(/PRIVATE KEY/);
      expect(state).not.to.include("client-key-data");
    });
  });

  describe("4. upgrade across the October 2024 gate", function () {
    before(async function () {
      if (env.withNodes) {
        // Upgrade K3s on both nodes (same address, port and keys), play the DaemonSet's new rollout.
        for (const n of env.nodes) await n.start(nodeFiles(AFTER_GATE));
        await playDaemonSet(env, AFTER_GATE);
        stack.setPlain({ [`${stack.project}:redetect`]: "after-upgrade" });
      } else {
        stack.setPlain({ [`${stack.project}:k3sVersion`]: AFTER_GATE.tag });
      }
    });

    it("pulumi up replaces the detect commands and upgrades the release; nothing else changes", async () => {
      const r = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log("up2")]);
      expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log("up2")).join("\n")}`).to.equal(0);
      const changed = stepLines(log("up2"), (s) => s.op === "same" || s.type === "pulumi:pulumi:Stack");
      const perNode = env.nodes.flatMap((_, i) => [
        `multus-cleanup-${nodeName(env, i)} update`,
        `multus-detect-${nodeName(env, i)} replace`,
      ]);
      expect(changed).to.deep.equal([...perNode, "multus-release update"].sort());
      const outputs = await stack.outputs();
      expect(outputs.k3sVersions).to.deep.equal(versionsOutput(env, AFTER_GATE));
      expect(outputs.cniBinDir).to.equal("/var/lib/rancher/k3s/data/cni");
    });

    it("the multus release is at revision 2 with the new bin dir; the CRD release is untouched", async () => {
      expect(await helmHistory(env.cluster, "kube-system", "multus")).to.deep.equal([
        `1 superseded rke2-multus-${DEFAULT_CHART_VERSION}`,
        `2 deployed rke2-multus-${DEFAULT_CHART_VERSION}`,
      ]);
      expect((await helmHistory(env.cluster, "kube-system", "multus-crd")).length).to.equal(1);
      const values = await helmValues(env.cluster, "kube-system", "multus");
      const plan = expectedPlan(env, AFTER_GATE);
      expect(values).to.deep.equal(plan.charts.find((c) => c.chart === "rke2-multus")?.values);
      expect(values).to.have.nested.property("config.cni_conf.binDir", "/var/lib/rancher/k3s/data/cni");
    });

    it("pulumi preview --expect-no-changes after the upgrade", async () => {
      const r = await stack.run(["preview", "--expect-no-changes"]);
      expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    });
  });

  describe("5. pulumi destroy", function () {
    const foreign = { ns: "default", name: "not-ours" };
    let crdBefore: { metadata: { uid: string } } | undefined;

    before(async function () {
      await env.cluster.kube.create(paths.nads(foreign.ns), {
        apiVersion: "k8s.cni.cncf.io/v1",
        kind: "NetworkAttachmentDefinition",
        metadata: { name: foreign.name, namespace: foreign.ns },
        spec: { config: '{"cniVersion":"1.0.0","type":"macvlan","master":"eth0"}' },
      });
      crdBefore = await env.cluster.kube.get(paths.nadCrd);
      if (env.withNodes) await playDaemonSet(env, AFTER_GATE);
      for (const n of env.nodes) {
        expect(await cniListing(n, AFTER_GATE), n.host).to.deep.equal(expectedListing(AFTER_GATE, true));
      }
      const r = await stack.run(["destroy", "--yes", "--skip-preview", "--event-log", log("destroy")]);
      expect(r.status, `${r.stdout}\n${r.stderr}\n${errors(log("destroy")).join("\n")}`).to.equal(0);
    });

    it("the NADs and the releases are gone", async () => {
      for (const n of expectedPlan(env, AFTER_GATE).networks) {
        expect(await env.cluster.kube.get(paths.nad(n.namespace, n.name)), n.name).to.equal(undefined);
      }
      expect(await helmList(env.cluster, "kube-system")).to.deep.equal([]);
    });

    it("the CRD and the NAD we did not create are still there", async () => {
      const crd = await env.cluster.kube.get<{ metadata: { uid: string } }>(paths.nadCrd);
      expect(crd?.metadata.uid).to.equal(crdBefore?.metadata.uid);
      expect(await env.cluster.kube.get(paths.nad(foreign.ns, foreign.name))).to.not.equal(undefined);
    });

    it("each node's clean-up removed exactly the chart's files", async function () {
      needNodes(this, env);
      for (const n of env.nodes) {
        expect(await cniListing(n, AFTER_GATE), n.host).to.deep.equal(expectedListing(AFTER_GATE, false));
      }
    });

    it("the stack is empty", async () => {
      const state = JSON.parse(await stack.exportState()) as { deployment: { resources?: unknown[] } };
      expect(state.deployment.resources ?? []).to.deep.equal([]);
    });
  });
}
