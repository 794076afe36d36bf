/**
 * Scenario 7 of the end-to-end suite, faults under the real engine, each on a fresh stack of the
 * root program: a node that stops answering before destroy (the README's recovery steps, as
 * written), a chart version whose release fails, and an `up` interrupted with SIGINT then run again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { E2eEnv } from "./env";
import { errors, steps } from "./env/events";
import { AFTER_GATE, nodeFiles } from "./env/fixtures";
import { helmList } from "./env/helm";
import { paths } from "./env/kube";
import { waitFor } from "./env/proc";
import { rootStack, Stack } from "./env/stack";
import { NETWORKS, nodeName } from "./expect";
import { cniListing, expectedListing, needNodes, playDaemonSet } from "./rootProgram";

const NAD = NETWORKS[0];

export function faultScenarios(getEnv: () => E2eEnv): void {
  let env: E2eEnv;
  let work: string;
  const log = (name: string) => path.join(work, `${name}.events.jsonl`);
  const out = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

  before(async function () {
    env = getEnv();
    work = fs.mkdtempSync(path.join(env.dir, "faults-"));
    // Fresh nodes on the new release, whatever the scenarios before left.
    for (const n of env.nodes) await n.start(nodeFiles(AFTER_GATE));
  });

  describe("7a. a node that stops answering before destroy", function () {
    let stack: Stack;
    let gone: string;

    before(async function () {
      needNodes(this, env);
      stack = await rootStack(env, path.join(work, "node-gone"), { stack: "node-gone", networks: [NAD] });
      await stack.ok(["up", "--yes", "--skip-preview"]);
      await playDaemonSet(env, AFTER_GATE);
      gone = nodeName(env, 1);
      await env.nodes[1].stop();
    });

    after(async () => {
      if (env.withNodes) await env.nodes[1].start(nodeFiles(AFTER_GATE));
    });

    it("pulumi destroy fails naming the node; the NAD, the releases and the other node's files are gone", async () => {
      const r = await stack.run(["destroy", "--yes", "--skip-preview", "--event-log", log("gone1")]);
      expect(r.status, out(r)).to.not.equal(0);
      const errs = errors(log("gone1")).join("\n");
      expect(errs).to.include(`multus-cleanup-${gone}`);
      expect(errs).to.include(env.nodes[1].host);
      expect(await env.cluster.kube.get(paths.nad("default", NAD.name))).to.equal(undefined);
      expect(await helmList(env.cluster, "kube-system")).to.deep.equal([]);
      expect(await cniListing(env.nodes[0], AFTER_GATE)).to.deep.equal(expectedListing(AFTER_GATE, false));
    });

    it("the README's recovery: destroy --continue-on-error, then state delete the node's clean-up", async () => {
      const r = await stack.run(["destroy", "--yes", "--skip-preview", "--continue-on-error"]);
      expect(r.status, out(r)).to.not.equal(0); // the node is still gone: its clean-up still fails
      const state = JSON.parse(await stack.exportState()) as {
        deployment: { resources?: { urn: string }[] };
      };
      const cleanup = (state.deployment.resources ?? []).find((x) =>
        x.urn.endsWith(`::multus-cleanup-${gone}`),
      );
      expect(cleanup, "the failed clean-up is still in the state").to.not.equal(undefined);
      await stack.ok(["state", "delete", cleanup?.urn ?? "", "--yes"]);
      const rest = JSON.parse(await stack.exportState()) as {
        deployment: { resources?: { type: string }[] };
      };
      const left = (rest.deployment.resources ?? [])
        .map((x) => x.type)
        .filter((t) => t !== "pulumi:pulumi:Stack");
      if (left.length > 0) {
        // What the README's two steps leave behind (the component, whose child failed): one more destroy.
        const again = await stack.run(["destroy", "--yes", "--skip-preview"]);
        expect(again.status, `left after the README's steps: ${left.join(", ")}\n${out(again)}`).to.equal(0);
      }
      const final = JSON.parse(await stack.exportState()) as { deployment: { resources?: unknown[] } };
      expect(final.deployment.resources ?? []).to.deep.equal([]);
    });
  });

  describe("7b. a chart version whose release fails", function () {
    let stack: Stack;
    const version = "v4.3.009"; // published, but its rke2-multus-crd 4.3.009 does not render

    before(async function () {
      stack = await rootStack(env, path.join(work, "bad-chart"), {
        stack: "bad-chart",
        networks: [NAD],
        chart: { version },
        k3sVersion: AFTER_GATE.tag,
      });
    });

    after(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
      await stack?.run(["destroy", "--yes", "--skip-preview"]);
    });

    it("pulumi up fails naming the release; no NAD is created", async () => {
      const r = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log("bad")]);
      expect(r.status, out(r)).to.not.equal(0);
      const errs = errors(log("bad"));
      expect(errs.join("\n")).to.match(/multus-crd/);
      expect(await env.cluster.kube.get(paths.nad("default", NAD.name))).to.equal(undefined);
      const nadStep = steps(log("bad")).get(`multus-nad-${NAD.name}`);
      expect(nadStep, "the NAD was never attempted").to.equal(undefined);
    });
  });

  describe("7c. an up interrupted with SIGINT, then run again", function () {
    let stack: Stack;

    before(async function () {
      stack = await rootStack(env, path.join(work, "sigint"), {
        stack: "sigint",
        networks: [NAD],
        k3sVersion: AFTER_GATE.tag,
      });
    });

    after(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when before() failed
      await stack?.run(["destroy", "--yes", "--skip-preview"]);
    });

    it("converges, with nothing duplicated", async () => {
      let interrupted = false;
      let finished = false;
      const first = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log("int1")], {
        onSpawn: (child) => {
          // Interrupt once the engine has started on the first release (mid-way through the up).
          void waitFor(
            "a release step",
            () => {
              if (finished) return Promise.resolve(false);
              const started = [...steps(log("int1")).keys()].some((n) => n.endsWith("-crd"));
              return Promise.resolve(started ? true : undefined);
            },
            300000,
            25,
          ).then((started) => {
            if (!started) return;
            interrupted = child.kill("SIGINT");
          });
        },
      });
      finished = true;
      expect(interrupted, `SIGINT was sent\n${out(first)}`).to.equal(true);
      expect(first.status, out(first)).to.not.equal(0);
      const again = await stack.run(["up", "--yes", "--skip-preview", "--event-log", log("int2")]);
      expect(again.status, `${out(again)}\n${errors(log("int2")).join("\n")}`).to.equal(0);
      const releases = await helmList(env.cluster, "kube-system");
      expect(releases.map((x) => `${x.name} ${x.status}`).sort()).to.deep.equal([
        "multus deployed",
        "multus-crd deployed",
      ]);
      expect(await env.cluster.kube.get(paths.nad("default", NAD.name))).to.not.equal(undefined);
      // The state holds each resource once: no orphaned or doubled release or NAD.
      const state = JSON.parse(await stack.exportState()) as {
        deployment: { resources?: { type: string }[] };
      };
      const types = (state.deployment.resources ?? [])
        .map((x) => x.type)
        .filter((t) => t.startsWith("kubernetes:"));
      expect(types.sort()).to.deep.equal([
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition",
      ]);
      const noChange = await stack.run(["preview", "--expect-no-changes"]);
      expect(noChange.status, out(noChange)).to.equal(0);
    });
  });
}
