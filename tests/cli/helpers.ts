/**
 * Helpers of the CLI tests: run the built `k3s-multus` bin as a child process, and run the Multus
 * component under Pulumi mocks to see what it registers for the same inputs.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export const REPO = path.resolve(__dirname, "../..");
/** The bin users run (package.json `bin`), compiled by `npm run build`. */
export const CLI_BIN = path.join(REPO, "provider/bin/cli.js");

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const NAD_TYPE = "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition";
export const COMMAND_TYPE = "command:remote:Command";

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let checked = false;

/** Fails clearly when the bin was never built; warns once when a source file is newer than it. */
function checkBuilt(): void {
  if (checked) return;
  checked = true;
  if (!fs.existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run \`npm run build\` first`);
  const built = fs.statSync(CLI_BIN).mtimeMs;
  const src = path.join(REPO, "provider/src");
  const newer = fs
    .readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && fs.statSync(path.join(src, f)).mtimeMs > built);
  if (newer.length)
    console.warn(`      warning: provider/bin is older than ${newer.join(", ")}: run \`npm run build\``);
}

/** Runs `node provider/bin/cli.js ...args` with `input` on stdin. */
export function cli(args: readonly string[], input?: string): CliResult {
  checkBuilt();
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], {
    encoding: "utf8",
    input: input ?? "",
    cwd: REPO,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDirs: string[] = [];
process.once("exit", () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` to a fresh temporary file (removed when the test process exits) and returns its path. */
export function tempFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "k3s-multus-cli-"));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** One resource registration as the mock's newResource saw it. */
export interface Registered {
  readonly type: string;
  readonly name: string;
  /** Free-form: read nested fields with `dig` (tests/helpers/dig.ts). */
  readonly inputs: Record<string, unknown>;
}

/** What the component registered, or the error it failed with. */
export interface ComponentRun {
  readonly registrations: readonly Registered[];
  readonly error?: Error;
}

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return (o as unknown as { promise(): Promise<T> }).promise();
}

/** Unwraps secrets the way they arrive at newResource (`{4dabf18193072939515e22adb298388d: ..., value}`). */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value !== "object" || value === null) return value;
  const v = value as Record<string, unknown>;
  if (v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return unwrapSecrets(v.value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/**
 * Constructs the Multus component under fresh mocks with `args` and waits until its registrations
 * are done. A failed input shows as `error` (the component's ResourceError), not as a rejection.
 */
export async function runComponent(args: Record<string, unknown>, name = "multus"): Promise<ComponentRun> {
  const registrations: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        // MockResourceArgs types inputs as any: read them as the free-form record they are.
        const inputs = a.inputs as Record<string, unknown>;
        registrations.push({ type: a.type, name: a.name, inputs });
        const state: Record<string, unknown> = { ...inputs };
        if (a.type === RELEASE_TYPE) state.status = { status: "deployed" };
        if (a.type === COMMAND_TYPE) state.stdout = "";
        return { id: `${a.name}-id`, state };
      },
      call: (a) => {
        throw new Error(`unexpected invoke ${a.token}`);
      },
    },
    "project",
    "stack",
    false,
  );
  const rejections: unknown[] = [];
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    // Loaded after setMocks, as resources must be.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Multus } = require("../../provider/src/multus") as typeof import("../../provider/src/multus");
    let error: Error | undefined;
    try {
      // A shape error is thrown by the constructor, a data error carried by the outputs.
      const m = new Multus(name, args);
      await Promise.all([promiseOf(m.networkNames), promiseOf(m.releaseStatus), promiseOf(m.cniBinDir)]);
    } catch (e) {
      error = e as Error;
    }
    let seen = -1;
    for (let quiet = 0; quiet < 10; ) {
      await new Promise((r) => setTimeout(r, 2));
      if (registrations.length === seen) quiet++;
      else {
        quiet = 0;
        seen = registrations.length;
      }
    }
    return { registrations, error };
  } finally {
    process.removeListener("unhandledRejection", onRejection);
    for (const l of saved) process.on("unhandledRejection", l);
  }
}
