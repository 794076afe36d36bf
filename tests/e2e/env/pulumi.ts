/**
 * The real Pulumi CLI, isolated: its own PULUMI_HOME (with the command and kubernetes provider
 * plugins installed from the tool cache by `pulumi plugin install resource NAME VERSION --file`),
 * the local file backend in a temp dir, a config passphrase, no plugin downloads and no update
 * check. The CLI and the language hosts beside it come first on PATH.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BIN_DIR, COMMAND_PROVIDER, hasCommandProvider, hasNodejsHost, tool, TOOLS } from "./cache";
import { run, RunOpts, RunResult, runOk } from "./proc";

/** The plugin versions our npm dependencies ask the engine for (their package.json `pulumi.version`). */
export function requestedPluginVersion(pkg: "@pulumi/kubernetes" | "@pulumi/command"): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const j = require(`${pkg}/package.json`) as { pulumi: { version: string } };
  return j.pulumi.version;
}

export interface Pulumi {
  readonly home: string;
  /**
   * What a program's `packages: k3s-multus: <dir>` should point at: the plugin folder itself
   * (`provider/`, source-based, `runtime: nodejs`) when the nodejs language host is there; else a
   * folder holding an executable `pulumi-resource-k3s-multus` that starts the same plugin code
   * with node, as the language host's run-plugin would (see {@link pluginWrapper}).
   */
  readonly pluginDir: string;
  readonly backend: string;
  /** The environment every pulumi (and Automation API) run gets. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `pulumi ARGS` in `cwd`; never rejects on a non-zero exit. */
  pulumi(args: readonly string[], cwd: string, opts?: RunOpts): Promise<RunResult>;
  /** Like {@link pulumi}, but rejects unless it exits 0. */
  pulumiOk(args: readonly string[], cwd: string, opts?: RunOpts): Promise<RunResult>;
}

/** `<repo>`: this file is `<repo>/tests/e2e/env/pulumi.ts`. */
export const REPO_DIR = path.resolve(__dirname, "../../..");

/**
 * A folder with an executable `pulumi-resource-k3s-multus`: `node provider/bin/plugin.js` with the
 * engine's arguments. The engine runs such a binary plugin directly, where the source-based one
 * needs the nodejs language host, which runs `node @pulumi/pulumi/cmd/run-plugin provider/` and so
 * package.json's `main`, the same file.
 */
export function pluginWrapper(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const main = path.join(REPO_DIR, "provider", "bin", "plugin.js");
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  fs.writeFileSync(
    path.join(dir, "pulumi-resource-k3s-multus"),
    `#!/bin/sh\n# k3s-multus plugin without the nodejs language host (tests/e2e/env/pulumi.ts)\nexec node ${q(main)} "$@"\n`,
    { mode: 0o755 },
  );
  return dir;
}

export const PASSPHRASE = "e2e-state-passphrase-not-a-secret-elsewhere";

/** Sets up PULUMI_HOME and the backend under `dir`, and installs the provider plugins. */
export async function setupPulumi(dir: string): Promise<Pulumi> {
  const home = path.join(dir, "pulumi-home");
  const backend = path.join(dir, "state");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(backend, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${BIN_DIR}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    NO_COLOR: "1",
    // The hidden `--event-log` flag of up/preview/destroy (the tests read the engine events from it).
    PULUMI_DEBUG_COMMANDS: "true",
    // Providers only from PULUMI_HOME (installed above), never a binary that happens to be on PATH.
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
  };
  // The tests pass the cluster explicitly; an ambient kubeconfig must not leak in.
  delete env.KUBECONFIG;
  const pulumi = (args: readonly string[], cwd: string, opts: RunOpts = {}) =>
    run([tool(TOOLS.pulumi), ...args], { timeoutMs: 15 * 60000, ...opts, cwd, env: { ...env, ...opts.env } });
  const pulumiOk = (args: readonly string[], cwd: string, opts: RunOpts = {}) =>
    runOk([tool(TOOLS.pulumi), ...args], {
      timeoutMs: 15 * 60000,
      ...opts,
      cwd,
      env: { ...env, ...opts.env },
    });
  const plugins: [string, string, string][] = [
    ["kubernetes", requestedPluginVersion("@pulumi/kubernetes"), tool(TOOLS.kubernetes)],
  ];
  if (hasCommandProvider()) {
    plugins.push(["command", requestedPluginVersion("@pulumi/command"), tool(COMMAND_PROVIDER)]);
  }
  for (const [name, version, file] of plugins) {
    await pulumiOk(["plugin", "install", "resource", name, version, "--file", file], dir);
  }
  const pluginDir = hasNodejsHost()
    ? path.join(REPO_DIR, "provider")
    : pluginWrapper(path.join(dir, "plugin"));
  return { home, backend, pluginDir, env, pulumi, pulumiOk };
}
