/**
 * Running reference CNI plugins the way libcni and Multus run them, inside network namespaces the
 * test creates: a "host" namespace (the plugin runs there, with `ip netns exec`, so nothing touches
 * the real host network), a throw-away pod namespace per case (CNI_NETNS), and a "server" namespace
 * for the DHCP server. Every namespace, link and daemon is the test's own and removed by it.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

let counter = 0;

/** Runs a command and returns its stdout; throws with stderr when it fails. */
export function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A network namespace made by the test (`ip netns add`), deleted by {@link Netns.remove}. */
export class Netns {
  readonly name: string;
  constructor(role: string) {
    this.name = `k3sm-${role}-${process.pid}-${++counter}`;
    sh("ip", ["netns", "add", this.name]);
    sh("ip", ["-n", this.name, "link", "set", "lo", "up"]);
  }
  get path(): string {
    return `/run/netns/${this.name}`;
  }
  ip(...args: string[]): string {
    return sh("ip", ["-n", this.name, ...args]);
  }
  /** `ip -j` output, parsed (the caller says what shape `ip` gives for its arguments). */
  json(...args: string[]): unknown {
    const out = sh("ip", ["-j", "-n", this.name, ...args]).trim();
    return out ? (JSON.parse(out) as unknown) : [];
  }
  /** Names of the links in the namespace, sorted. */
  links(): string[] {
    return (this.json("link", "show") as { ifname: string }[]).map((l) => l.ifname).sort();
  }
  remove(): void {
    spawnSync("ip", ["netns", "del", this.name]);
  }
}

/** True when the kernel can create a link of this kind (probed in a namespace of its own). */
export function kernelSupports(kind: string[]): boolean {
  const ns = new Netns("probe");
  try {
    ns.ip("link", "add", "p0", "type", "veth", "peer", "name", "p1");
    const r = spawnSync("ip", ["-n", ns.name, "link", "add", "x0", "link", "p0", "type", ...kind]);
    return r.status === 0;
  } finally {
    ns.remove();
  }
}

/** True when the kernel supports VLAN filtering on a bridge (what the bridge plugin's `vlan` needs). */
export function kernelSupportsVlanFiltering(): boolean {
  const ns = new Netns("probe");
  try {
    return (
      spawnSync("ip", ["-n", ns.name, "link", "add", "b0", "type", "bridge", "vlan_filtering", "1"])
        .status === 0
    );
  } finally {
    ns.remove();
  }
}

/** What a plugin answered: its result (or error) and exit status. */
export interface PluginAnswer {
  readonly status: number;
  readonly result: Record<string, unknown>;
  readonly stderr: string;
}

/** The CNI command environment of one attachment. */
export interface Attachment {
  readonly pluginDir: string;
  readonly host: Netns;
  readonly pod: Netns;
  readonly ifname: string;
  readonly containerId: string;
}

/**
 * Runs one CNI plugin as libcni does: in the host namespace, CNI_* in the environment, the config
 * (with name and cniVersion) on stdin.
 */
export function runPlugin(
  a: Attachment,
  command: "ADD" | "CHECK" | "DEL",
  config: Record<string, unknown>,
): PluginAnswer {
  const type = String(config.type);
  const r = spawnSync("ip", ["netns", "exec", a.host.name, path.join(a.pluginDir, type)], {
    input: JSON.stringify(config),
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: a.containerId,
      CNI_NETNS: a.pod.path,
      CNI_IFNAME: a.ifname,
      CNI_PATH: a.pluginDir,
    },
  });
  const out = r.stdout.trim();
  let result: Record<string, unknown> = {};
  try {
    result = out ? (JSON.parse(out) as Record<string, unknown>) : {};
  } catch {
    result = { msg: out };
  }
  return { status: r.status ?? -1, result, stderr: r.stderr };
}

/** A CNI config list as libcni runs it: each plugin in turn, the previous result as prevResult. */
export interface ListRun {
  readonly add: PluginAnswer;
  readonly check: PluginAnswer[];
  readonly del: PluginAnswer[];
}

/** The config libcni hands one plugin of a list: the list's name and cniVersion, and prevResult. */
function pluginConfig(
  list: { name: string; cniVersion: string },
  plugin: Record<string, unknown>,
  prevResult?: Record<string, unknown>,
): Record<string, unknown> {
  const c: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult && Object.keys(prevResult).length) c.prevResult = prevResult;
  return c;
}

/** ADD through the list; stops at the first failure (libcni then runs DEL, the caller does). */
export function addList(
  a: Attachment,
  list: { name: string; cniVersion: string; plugins: Record<string, unknown>[] },
): { answer: PluginAnswer; results: Record<string, unknown>[] } {
  let prev: Record<string, unknown> | undefined;
  const results: Record<string, unknown>[] = [];
  let answer: PluginAnswer = { status: 0, result: {}, stderr: "" };
  for (const p of list.plugins) {
    answer = runPlugin(a, "ADD", pluginConfig(list, p, prev));
    if (answer.status !== 0) return { answer, results };
    prev = answer.result;
    results.push(prev);
  }
  return { answer, results };
}

/** CHECK every plugin of the list with the final ADD result as prevResult (CNI 0.4.0 and later). */
export function checkList(
  a: Attachment,
  list: { name: string; cniVersion: string; plugins: Record<string, unknown>[] },
  result: Record<string, unknown>,
): PluginAnswer[] {
  return list.plugins.map((p) => runPlugin(a, "CHECK", pluginConfig(list, p, result)));
}

/** DEL every plugin of the list, in reverse order, with the ADD result as prevResult. */
export function delList(
  a: Attachment,
  list: { name: string; cniVersion: string; plugins: Record<string, unknown>[] },
  result?: Record<string, unknown>,
): PluginAnswer[] {
  return [...list.plugins].reverse().map((p) => runPlugin(a, "DEL", pluginConfig(list, p, result)));
}

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A background process the test started, stopped by its own pid. */
export class Daemon {
  private readonly child: ChildProcess;
  readonly log: string[] = [];
  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout?.on("data", (d: Buffer) => this.log.push(d.toString()));
    this.child.stderr?.on("data", (d: Buffer) => this.log.push(d.toString()));
  }
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await done;
    clearTimeout(timer);
  }
}

/** Waits until `ready()` holds (polling), or throws after `ms`. */
export async function waitFor(what: string, ready: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
