/**
 * Processes and ports for the end-to-end environment: free loopback ports, long-running daemons
 * whose output is kept for error messages, one-shot commands run without blocking the event loop
 * (the chart server and the tests' own HTTP clients live in this process), and polling.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";

/** A free TCP port on `host` (the kernel picks it; it is released before returning). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** True once something accepts TCP connections on host:port. */
export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host, () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Thrown by a {@link waitFor} check to stop waiting at once (a daemon died). */
export class GiveUp extends Error {}

/**
 * Polls `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes;
 * a check that throws is retried, except with {@link GiveUp}.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ""}`,
      );
    }
    await sleep(everyMs);
  }
}

/** A daemon started by the environment; its output is kept (the last 200 chunks). */
export interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  /** Its stdout and stderr so far. */
  log(): string;
  /** True while it runs. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Every daemon still running: killed when this process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function startDaemon(
  name: string,
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Daemon {
  const [cmd, ...args] = argv;
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  const keep = (d: Buffer): void => {
    chunks.push(d.toString());
    if (chunks.length > 200) chunks.shift();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.on("error", (e) => chunks.push(`spawn error: ${e.message}\n`));
  running.add(child);
  child.once("exit", () => running.delete(child));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const alive = (): boolean =>
    child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return {
    name,
    child,
    log: () => chunks.join(""),
    alive,
    async stop(graceMs = 5000) {
      if (alive()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOpts {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Called with the child once it runs (to signal it mid-way). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs a command to completion without blocking the event loop. Never rejects on a non-zero exit. */
export function run(argv: readonly string[], opts: RunOpts = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    const timer =
      opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.once("close", (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - start });
    });
    // A child that exits without reading its stdin (openssl) must not crash this process with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
    opts.onSpawn?.(child);
  });
}

/** Like {@link run}, but rejects (with the command's output) unless it exits 0. */
export async function runOk(argv: readonly string[], opts: RunOpts = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.status !== 0) {
    throw new Error(
      `${argv.join(" ")} exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}
