/**
 * Scenario 6 of the end-to-end suite, other languages for real: examples/typescript through the
 * Automation API (the component runs in the program's own process) and examples/yaml through the
 * CLI (the component runs in the plugin). Each example is copied to a temp dir and changed only
 * where the loopback environment needs it, each change checked to apply exactly once: the nodes'
 * SSH ports and host keys, the chart mirror (with its credentials), and `pulumi.com/skipAwait` on
 * the demo Deployment (no kubelet runs, so its pod never becomes ready). Python and Go need their
 * language hosts and SDK generation; see docs/e2e-scenarios.md for what runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack as AutoStack } from "@pulumi/pulumi/automation";
import { expect } from "chai";
import { parse, stringify } from "yaml";
import { E2eEnv } from "./env";
import { CACHE_DIR, hasNodejsHost } from "./env/cache";
import { AFTER_GATE, CONF_DIR, nodeFiles } from "./env/fixtures";
import { helmList } from "./env/helm";
import { paths } from "./env/kube";
import { copyProject, initStack, REPO_DIR } from "./env/stack";
import { needNodes } from "./rootProgram";
import { DEFAULT_CHART_VERSION } from "../../provider/src/plan/chart";

/** Replaces the one occurrence of `anchor` in `text`; fails when the example no longer has it exactly once. */
export function patchOnce(text: string, anchor: string, replacement: string): string {
  const at = text.indexOf(anchor);
  if (at < 0 || text.indexOf(anchor, at + 1) >= 0) {
    throw new Error(`the example changed: expected ${JSON.stringify(anchor)} exactly once`);
  }
  return text.slice(0, at) + replacement + text.slice(at + anchor.length);
}

const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" };
const NAD = { ns: "default", name: "macvlan-whereabouts" };

export function languageScenarios(getEnv: () => E2eEnv): void {
  let env: E2eEnv;
  let work: string;
  const hostEnv = () => ({ KUBECONFIG: env.cluster.kubeconfigFile });

  before(async function () {
    env = getEnv();
    needNodes(this, env);
    work = fs.mkdtempSync(path.join(env.dir, "languages-"));
    fs.symlinkSync(env.pulumi.pluginDir, path.join(work, "provider"));
    for (const n of env.nodes) await n.start(nodeFiles(AFTER_GATE));
  });

  async function expectInstalled(): Promise<void> {
    const releases = await helmList(env.cluster, "kube-system");
    expect(releases.map((r) => `${r.name} ${r.status}`).sort()).to.deep.equal([
      "multus deployed",
      "multus-crd deployed",
    ]);
    const nad = await env.cluster.kube.get<{ spec: { config: string } }>(paths.nad(NAD.ns, NAD.name));
    expect(JSON.parse(nad?.spec.config ?? "{}")).to.have.nested.property(
      "ipam.configuration_path",
      `${CONF_DIR}/whereabouts.d/whereabouts.conf`,
    );
    const deploy = await env.cluster.kube.get("/apis/apps/v1/namespaces/default/deployments/multus-demo");
    expect(deploy).to.have.nested.property(
      "spec.template.metadata.annotations.k8s\\.v1\\.cni\\.cncf\\.io/networks",
      "default/macvlan-whereabouts@eth1",
    );
  }

  async function expectRemoved(): Promise<void> {
    expect(await helmList(env.cluster, "kube-system")).to.deep.equal([]);
    expect(await env.cluster.kube.get(paths.nad(NAD.ns, NAD.name))).to.equal(undefined);
    expect(await env.cluster.kube.get("/apis/apps/v1/namespaces/default/deployments/multus-demo")).to.equal(
      undefined,
    );
  }

  it("6a. examples/typescript through the Automation API: up, outputs, destroy", async () => {
    const dir = path.join(work, "examples/typescript");
    copyProject(path.join(REPO_DIR, "examples/typescript"), dir, {
      files: ["index.ts", "package.json", "tsconfig.json"],
      links: { node_modules: path.join(REPO_DIR, "node_modules") },
    });
    let program = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
    program = patchOnce(
      program,
      'const privateKey = config.requireSecret("sshPrivateKey");',
      [
        'const privateKey = config.requireSecret("sshPrivateKey");',
        "// e2e (tests/e2e/languages.ts): the loopback nodes' ports and host keys, and the chart mirror.",
        'const e2e = config.requireObject<{ ports: number[]; hostKeys: string[]; repository: string; username: string }>("e2e");',
        'const e2ePassword = config.requireSecret("e2eChartPassword");',
      ].join("\n"),
    );
    program = patchOnce(
      program,
      "nodes: hosts.map((host) => ({ host, user, privateKey })),",
      [
        "nodes: hosts.map((host, i) => ({ host, user, privateKey, port: e2e.ports[i], hostKey: e2e.hostKeys[i] })),",
        "  chart: { repository: e2e.repository, skipAwait: true, repositoryUsername: e2e.username, repositoryPassword: e2ePassword },",
      ].join("\n"),
    );
    program = patchOnce(
      program,
      'metadata: { name: "multus-demo" },',
      `metadata: { name: "multus-demo", annotations: ${JSON.stringify(SKIP_AWAIT)} },`,
    );
    fs.writeFileSync(path.join(dir, "index.ts"), program);

    const envVars = Object.fromEntries(
      Object.entries<string | undefined>({ ...env.pulumi.env, ...hostEnv() }).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    );
    const pulumiCommand = await PulumiCommand.get({ root: CACHE_DIR });
    const opts = { pulumiCommand, envVars, pulumiHome: env.pulumi.home, workDir: dir };
    let stack: AutoStack;
    if (hasNodejsHost()) {
      // As users run it: the CLI's nodejs language host runs index.ts.
      stack = await LocalWorkspace.createStack({ stackName: "ts", workDir: dir }, opts);
    } else {
      // Without the nodejs language host (not served here, docs/e2e.md), the Automation API's inline
      // form runs the same index.ts in this process: the SDK serves the program to the engine itself.
      const index = path.join(dir, "index.ts");
      stack = await LocalWorkspace.createStack(
        {
          stackName: "ts",
          projectName: "k3s-multus-example-typescript",
          // async with no await: a failing require must reach the engine as a rejected promise.
          // eslint-disable-next-line @typescript-eslint/require-await
          program: async () => {
            Reflect.deleteProperty(require.cache, require.resolve(index));
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return { ...(require(index) as Record<string, unknown>) };
          },
        },
        opts,
      );
    }
    await stack.setAllConfig({
      nodes: { value: JSON.stringify(env.nodes.map((n) => n.host)) },
      sshUser: { value: "root" },
      sshPrivateKey: { value: env.sharedKey.privateKey, secret: true },
      e2e: {
        value: JSON.stringify({
          ports: env.nodes.map((n) => n.port),
          hostKeys: env.nodes.map((n) => n.hostKey),
          repository: env.charts.url,
          username: env.chartAuth.username,
        }),
      },
      e2eChartPassword: { value: env.chartAuth.password, secret: true },
    });
    const lines: string[] = [];
    try {
      const up = await stack.up({ onOutput: (l) => lines.push(l) });
      expect(up.summary.result, lines.join("")).to.equal("succeeded");
      expect(up.outputs.k3sVersions.value).to.deep.equal({
        [env.nodes[0].host]: AFTER_GATE.tag,
        [env.nodes[1].host]: AFTER_GATE.tag,
      });
      expect(up.outputs.cniBinDir.value).to.equal(AFTER_GATE.binDir);
      expect(up.outputs.chartVersion.value).to.equal(DEFAULT_CHART_VERSION);
      expect(up.outputs.demoDeployment.value).to.equal("multus-demo");
      await expectInstalled();
    } finally {
      const down = await stack.destroy({ onOutput: (l) => lines.push(l) });
      expect(down.summary.result, lines.join("")).to.equal("succeeded");
    }
    await expectRemoved();
  });

  it("6b. examples/yaml through the CLI (the component in the plugin): up, outputs, destroy", async () => {
    const dir = path.join(work, "examples/yaml");
    copyProject(path.join(REPO_DIR, "examples/yaml"), dir);
    const file = path.join(dir, "Pulumi.yaml");
    const doc = parse(fs.readFileSync(file, "utf8")) as {
      config: Record<string, unknown>;
      resources: Record<
        string,
        { properties: Record<string, unknown> & { metadata?: Record<string, unknown> } } | undefined
      >;
    };
    // e2e (tests/e2e/languages.ts): the chart mirror and skipAwait on the demo Deployment.
    if (!doc.resources.multus || !doc.resources["multus-demo"]) throw new Error("the example changed");
    doc.config.e2eChartPassword = { type: "string", secret: true };
    doc.resources.multus.properties.chart = {
      repository: env.charts.url,
      skipAwait: true,
      repositoryUsername: env.chartAuth.username,
      repositoryPassword: "${e2eChartPassword}",
    };
    const meta = doc.resources["multus-demo"].properties.metadata ?? {};
    doc.resources["multus-demo"].properties.metadata = { ...meta, annotations: SKIP_AWAIT };
    fs.writeFileSync(file, stringify(doc));

    const stack = await initStack(env, dir, "yaml");
    stack.setPlain({
      [`${stack.project}:nodes`]: env.nodes.map((n) => ({
        host: n.host,
        port: n.port,
        user: "root",
        hostKey: n.hostKey,
      })),
    });
    for (const i of env.nodes.keys())
      await stack.setSecret(`nodes[${i}].privateKey`, env.sharedKey.privateKey);
    await stack.setSecret("e2eChartPassword", env.chartAuth.password);
    try {
      const up = await stack.run(["up", "--yes", "--skip-preview"], { env: hostEnv() });
      expect(up.status, `${up.stdout}\n${up.stderr}`).to.equal(0);
      const outputs = await stack.outputs();
      expect(outputs.cniBinDir).to.equal(AFTER_GATE.binDir);
      expect(outputs.podAnnotations).to.deep.equal({
        "k8s.v1.cni.cncf.io/networks": "default/macvlan-whereabouts@eth1",
      });
      await expectInstalled();
    } finally {
      const down = await stack.run(["destroy", "--yes", "--skip-preview"], { env: hostEnv() });
      expect(down.status, `${down.stdout}\n${down.stderr}`).to.equal(0);
    }
    await expectRemoved();
  });
}
