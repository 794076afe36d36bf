/**
 * A Pulumi project copied to a temp dir and one stack of it, driven through the real CLI: the
 * root program (`Pulumi.yaml` with `./provider` linked beside it) or an example. Plain config is
 * written into the stack file; secrets go through `pulumi config set --secret` on stdin, as the
 * README tells users to do.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { E2eEnv } from "./index";
import { SshNode } from "./nodes";
import { RunOpts, RunResult } from "./proc";
import { REPO_DIR } from "./pulumi";

export { REPO_DIR };

/** The root program's twin with a pinned K3s version instead of nodes (see E2eEnv.withNodes). */
export const PINNED_PROGRAM = path.join(__dirname, "..", "programs", "pinned");

export interface Stack {
  readonly dir: string;
  readonly name: string;
  readonly project: string;
  /** `pulumi ARGS --stack NAME` in the project dir; never rejects. */
  run(args: readonly string[], opts?: RunOpts): Promise<RunResult>;
  /** Like {@link run}, rejecting with the output unless it exits 0. */
  ok(args: readonly string[], opts?: RunOpts): Promise<RunResult>;
  /** Sets plain config values (`project:key` → value) in the stack file. */
  setPlain(values: Record<string, unknown>): void;
  /** Sets a secret config value (`--path` syntax) from stdin. */
  setSecret(pathKey: string, value: string): Promise<void>;
  /** The stack's outputs, secrets shown. */
  outputs(): Promise<Record<string, unknown>>;
  /** `pulumi stack export` (secrets encrypted, as stored). */
  exportState(): Promise<string>;
}

/** Copies `sourceDir`'s Pulumi.yaml (and `extra` files) to `dir`, linking `links` (name → target). */
export function copyProject(
  sourceDir: string,
  dir: string,
  opts: { files?: readonly string[]; links?: Record<string, string> } = {},
): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ["Pulumi.yaml", ...(opts.files ?? [])]) {
    fs.cpSync(path.join(sourceDir, f), path.join(dir, f), { recursive: true });
  }
  for (const [name, target] of Object.entries(opts.links ?? {})) fs.symlinkSync(target, path.join(dir, name));
}

/** `pulumi stack init` of `name` in the project at `dir`. */
export async function initStack(env: E2eEnv, dir: string, name: string): Promise<Stack> {
  const project = (parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { name: string }).name;
  const run = (args: readonly string[], opts?: RunOpts) =>
    env.pulumi.pulumi([...args, "--stack", name, "--non-interactive"], dir, opts);
  const ok = (args: readonly string[], opts?: RunOpts) =>
    env.pulumi.pulumiOk([...args, "--stack", name, "--non-interactive"], dir, opts);
  await env.pulumi.pulumiOk(["stack", "init", name, "--non-interactive"], dir);
  const stackFile = path.join(dir, `Pulumi.${name}.yaml`);
  return {
    dir,
    name,
    project,
    run,
    ok,
    setPlain(values) {
      const doc = (fs.existsSync(stackFile) ? parse(fs.readFileSync(stackFile, "utf8")) : {}) as {
        config?: Record<string, unknown>;
      };
      doc.config = { ...(doc.config ?? {}), ...values };
      fs.writeFileSync(stackFile, stringify(doc));
    },
    async setSecret(pathKey, value) {
      await ok(["config", "set", "--secret", "--path", pathKey], { input: value });
    },
    async outputs() {
      const r = await ok(["stack", "output", "--json", "--show-secrets"]);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    },
    async exportState() {
      return (await ok(["stack", "export"])).stdout;
    },
  };
}

/** The plain part of a node's config (its private key is set as a secret separately). */
export function nodeConfig(n: SshNode, name?: string): Record<string, unknown> {
  return { host: n.host, port: n.port, user: "root", hostKey: n.hostKey, ...(name ? { name } : {}) };
}

/** Sets each node's key (and its passphrase) and the kubeconfig as secrets. */
export async function setNodeAndClusterSecrets(stack: Stack, env: E2eEnv): Promise<void> {
  for (const [i, n] of env.nodes.entries()) {
    await stack.setSecret(`nodes[${i}].privateKey`, n.privateKey);
    if (n.privateKeyPassword !== undefined) {
      await stack.setSecret(`nodes[${i}].privateKeyPassword`, n.privateKeyPassword);
    }
  }
  await stack.setSecret("kubeconfig", env.cluster.kubeconfig);
}

/**
 * The root program (or, without nodes, its pinned twin) in a temp dir (`Pulumi.yaml` copied, `provider` linked to the built plugin, see
 * Pulumi.pluginDir),
 * with a stack whose config points at the loopback environment: the nodes (keys as secrets, host
 * keys pinned), the kubeconfig (secret), the chart from the loopback repository (its basic-auth
 * credentials as secrets) with
 * `skipAwait` (no kubelet runs: the DaemonSets are stored but never become ready), and `networks`.
 */
export async function rootStack(
  env: E2eEnv,
  dir: string,
  opts: {
    stack?: string;
    networks?: unknown[];
    chart?: Record<string, unknown>;
    redetect?: string;
    /** The K3s release: the nodes run it, or (without nodes) the pinned twin pins its version. */
    k3sVersion?: string;
  } = {},
): Promise<Stack> {
  const source = env.withNodes ? REPO_DIR : PINNED_PROGRAM;
  copyProject(source, dir, { links: { provider: env.pulumi.pluginDir } });
  const stack = await initStack(env, dir, opts.stack ?? "e2e");
  const p = stack.project;
  stack.setPlain({
    ...(env.withNodes
      ? { [`${p}:nodes`]: env.nodes.map((n) => nodeConfig(n)) }
      : { [`${p}:k3sVersion`]: opts.k3sVersion ?? "v1.30.5+k3s1" }),
    [`${p}:networks`]: opts.networks ?? [],
    [`${p}:chart`]: { repository: env.charts.url, skipAwait: true, ...opts.chart },
    ...(opts.redetect === undefined || !env.withNodes ? {} : { [`${p}:redetect`]: opts.redetect }),
  });
  await setNodeAndClusterSecrets(stack, env);
  await stack.setSecret("chart.repositoryUsername", env.chartAuth.username);
  await stack.setSecret("chart.repositoryPassword", env.chartAuth.password);
  return stack;
}
