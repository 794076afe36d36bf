/**
 * Guards for tests that need real tools (root, unshare, dash, busybox, sshd, shellcheck, sudo).
 * When a tool is missing: with process.env.CI set the test fails (CI installs everything, see
 * .ci/run); otherwise it is skipped with a message naming what is missing.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const found = new Map<string, string | undefined>();

/** The absolute path of `tool` on PATH (or in the sbin dirs), or undefined. */
export function which(tool: string): string | undefined {
  if (!found.has(tool)) {
    const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
    const hit = dirs
      .filter((d) => d.startsWith("/"))
      .map((d) => `${d}/${tool}`)
      .find((p) => {
        try {
          fs.accessSync(p, fs.constants.X_OK);
          return fs.statSync(p).isFile();
        } catch {
          return false;
        }
      });
    found.set(tool, hit);
  }
  return found.get(tool);
}

function missing(ctx: Mocha.Context, what: string): never {
  const message = `${what} (installed by .ci/run)`;
  if (process.env.CI) throw new Error(`${message}; on CI it must be available`);
  console.warn(`      skipped: ${message}`);
  ctx.skip();
  throw new Error("unreachable: ctx.skip() throws");
}

/** Stops the test unless every tool is on PATH. Call with the mocha context (`function () {}`). */
export function requireTools(ctx: Mocha.Context, ...tools: string[]): void {
  const absent = tools.filter((t) => which(t) === undefined);
  if (absent.length > 0) missing(ctx, `missing tool(s): ${absent.join(", ")}`);
}

/** Stops the test unless it runs as root. */
export function requireRoot(ctx: Mocha.Context): void {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) missing(ctx, "needs root");
}

let namespacesWork: boolean | undefined;

/**
 * Stops the test unless it runs as root and can create mount and PID namespaces with overlay and
 * tmpfs mounts (what the simulated nodes of tests/helpers/simnode.ts use).
 */
export function requireNamespaces(ctx: Mocha.Context): void {
  requireRoot(ctx);
  requireTools(ctx, "unshare", "mount", "useradd", "runuser");
  if (namespacesWork === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-probe-"));
    const probe = spawnSync(
      "unshare",
      [
        "--mount",
        "--pid",
        "--fork",
        "--mount-proc",
        "sh",
        "-c",
        'mount -t tmpfs tmpfs "$0" && mkdir "$0/u" "$0/w" && ' +
          'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$0/u,workdir=$0/w" /etc',
        dir,
      ],
      { encoding: "utf8", timeout: 10000 },
    );
    fs.rmSync(dir, { recursive: true, force: true });
    namespacesWork = probe.status === 0;
    if (!namespacesWork) console.warn(`      unshare probe failed: ${probe.stderr || probe.error}`);
  }
  if (!namespacesWork) missing(ctx, "cannot create mount/PID namespaces with overlay and tmpfs mounts");
}
