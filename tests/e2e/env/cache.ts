/**
 * Where the real tools live: the cache that scripts/e2e/tools.sh fills (outside the repository),
 * `$K3S_MULTUS_E2E_CACHE` or `~/.cache/k3s-multus/e2e`. A missing tool fails the suite on CI
 * (.ci/run builds them first) and skips it elsewhere, with the tools named.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const CACHE_DIR = process.env.K3S_MULTUS_E2E_CACHE ?? path.join(os.homedir(), ".cache/k3s-multus/e2e");
export const BIN_DIR = path.join(CACHE_DIR, "bin");

/**
 * The binaries the environment needs, by role. The nodejs language host is not among them: the
 * Go module proxy does not serve it (docs/e2e.md), so the harness runs without it when it is
 * absent (see {@link hasNodejsHost}).
 */
export const TOOLS = {
  pulumi: "pulumi",
  yamlHost: "pulumi-language-yaml",
  kubernetes: "pulumi-resource-kubernetes",
  apiserver: "kube-apiserver",
  helm: "helm",
} as const;

export const NODEJS_HOST = "pulumi-language-nodejs";
export const COMMAND_PROVIDER = "pulumi-resource-command";

/**
 * True when pulumi-resource-command is in the cache. Without it no `remote.Command` can run, so
 * the scenarios that need nodes (detection, clean-up) cannot; the suite then runs the root
 * program's pinned twin and reports those as skipped, naming the reason. The Go module proxy does
 * not serve the provider's module (docs/e2e.md).
 */
export const hasCommandProvider = (): boolean => isExecutable(tool(COMMAND_PROVIDER));

/** The `module@version` column of the tools script's VERSIONS file for `name`, if recorded. */
function recordedModule(name: string): string | undefined {
  const file = path.join(CACHE_DIR, "VERSIONS");
  if (!fs.existsSync(file)) return undefined;
  const line = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.split("\t")[0] === name);
  return line?.split("\t")[1];
}

/**
 * True when the nodejs language host is in the cache and built from the CLI's own release: then
 * plugins and programs run as users run them. A host from another release is not used: the one
 * the proxy serves (sdk/v3@v3.68.0) runs `npm install` in provider/, which fails in this npm
 * workspace ("node_modules directory is missing"), a behaviour of that old host, not of 3.248's.
 */
export function hasNodejsHost(): boolean {
  if (!isExecutable(tool(NODEJS_HOST))) return false;
  const cli = recordedModule("pulumi")?.split("@")[1];
  const host = recordedModule(NODEJS_HOST)?.split("@")[1];
  return cli !== undefined && cli === host;
}

/** The datastore: kine (what K3s runs) if present, else etcd. */
export function datastore(): { kind: "kine" | "etcd"; bin: string } | undefined {
  for (const kind of ["kine", "etcd"] as const) {
    const bin = path.join(BIN_DIR, kind);
    if (isExecutable(bin)) return { kind, bin };
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of a cached tool. */
export const tool = (name: string): string => path.join(BIN_DIR, name);

/** The cached tools (of `names`) that are missing, plus the datastore if absent. */
export function missingTools(names: readonly string[] = Object.values(TOOLS)): string[] {
  const missing = names.filter((n) => !isExecutable(tool(n)));
  if (!datastore()) missing.push("kine or etcd");
  return missing;
}

/**
 * Stops the suite unless the tools are cached: on CI (process.env.CI) this is a failure, elsewhere
 * a skip with a message. Call with the mocha context (`function () {}`).
 */
export function requireE2eTools(ctx: Mocha.Context, names?: readonly string[]): void {
  const missing = missingTools(names);
  if (missing.length === 0) return;
  const message = `e2e tools missing in ${BIN_DIR}: ${missing.join(", ")} (build them: sh scripts/e2e/tools.sh)`;
  if (process.env.CI) throw new Error(`${message}; on CI they must be built first`);
  console.warn(`      skipped: ${message}`);
  ctx.skip();
}
