/**
 * Simulated K3s nodes for the node-script tests. Each run gets its own mount and PID namespace
 * (`unshare --mount --pid --fork --mount-proc`, as root): /etc and /var/lib are overlaid so that
 * users, sudoers and mount points can be added without touching the host, and NODE_ROOTS are fresh
 * tmpfs mounts filled with the node's files. Fake `k3s-server`/`containerd` processes (a copy of
 * dash named so, with the argv and environment given) make /proc look like a running K3s. The real
 * scripts (as they run on a node: lib.sh, then the script) then run in a real shell, and every file
 * under NODE_ROOTS is listed before and after.
 */
import { spawn, ChildProcess, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  compactScript,
  NodeCommand,
  NodeScriptName,
  readNodeScript,
  shellQuote,
} from "../../provider/src/node/scripts";
import { which } from "./tools";

/** Directories a simulated node owns: each starts as an empty tmpfs. */
export const NODE_ROOTS = [
  "/etc/rancher",
  "/etc/cni",
  "/etc/systemd/system",
  "/etc/init.d",
  "/var/lib/rancher",
  "/usr/local/bin",
  "/opt",
  "/srv",
];

export type Shell = "dash" | "busybox" | "bash";
export const SHELLS: readonly Shell[] = ["dash", "busybox", "bash"];

/** argv prefix that runs a script file or `-c` in `shell`. */
export function shellArgv(shell: Shell): string[] {
  const bin = (name: string): string => which(name) ?? `/usr/bin/${name}`;
  return shell === "busybox" ? [bin("busybox"), "sh"] : [bin(shell)];
}

/** A file (content, optional mode), a symlink, or a directory. */
export type Entry =
  | string
  | { content: string; mode?: number }
  | { symlink: string }
  | { dir: true; mode?: number };

/**
 * A process that looks like K3s's to /proc: its `comm`, its argv (as /proc/<pid>/cmdline shows it,
 * with the fake's own `-c <loop>` before the second word) and its environment. A copy of dash is
 * placed at `exe` (a node path; `comm` is a symlink to it in the same directory, so that the
 * kernel names the process `comm` while /proc/<pid>/exe resolves to `exe`, as K3s's
 * data/<hash>/bin/k3s-server does).
 */
export interface FakeProcess {
  readonly comm: string;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The binary it runs, a node path (default `/srv/.fake/<index>/<comm>`, root-owned). */
  readonly exe?: string;
  /** Runs as this user (created through `users`) instead of root; the user owns `exe`. */
  readonly user?: string;
  /** Runs in a mount namespace of its own, as a container's process does. */
  readonly ownMountNs?: boolean;
}

export interface SimNode {
  /** Absolute paths under NODE_ROOTS. */
  readonly files?: Readonly<Record<string, Entry>>;
  readonly processes?: readonly FakeProcess[];
  /** Users created in the node (login shell /bin/sh), with or without passwordless sudo. */
  readonly users?: readonly { name: string; sudo: boolean }[];
  /** What /bin/sh is on this node (default: the host's, dash on Debian). */
  readonly binSh?: Shell;
  /** Shell lines run as root at the end of the setup. */
  readonly extraSetup?: readonly string[];
}

/**
 * Writes the text that runs on a node for `name` (readNodeScript: provider/scripts/lib.sh, then the
 * script; compacted as the commands send it, if asked) to `file`, readable by every user. Tests run
 * this file, never provider/scripts/<name> alone, which lacks lib.sh's functions.
 */
export function writeNodeScript(file: string, name: NodeScriptName, compact = false): string {
  const text = readNodeScript(name);
  fs.writeFileSync(file, compact ? compactScript(text) : text, { mode: 0o644 });
  return file;
}

/** Calls `use` with the path of a temporary file that holds {@link writeNodeScript}'s text. */
export function withNodeScriptFile<T>(name: NodeScriptName, use: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-script-"));
  try {
    fs.chmodSync(dir, 0o755);
    return use(writeNodeScript(path.join(dir, name), name));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface Run {
  /** Runs the script (lib.sh + provider/scripts/<name>, see writeNodeScript) as a file in `shell`. */
  readonly script?: { name: NodeScriptName; shell: Shell; args?: readonly string[]; compact?: boolean };
  /**
   * Runs a command string the way sshd does: `<login shell> -c <command>`, with `stdin` (the
   * script a NodeCommand sends) on its standard input.
   */
  readonly command?: { text: string; stdin?: string; loginShell?: Shell | "/bin/sh" | "csh" | "tcsh" };
  /** Run as this user (created through `users`) instead of root. */
  readonly user?: string;
  /** The session's environment besides PATH=/usr/bin:/bin (no /usr/local/bin, as over SSH). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A Run's `command` for a NodeCommand: its command line for the login shell, its script on stdin. */
export function viaSsh(
  cmd: NodeCommand,
  loginShell?: Shell | "/bin/sh" | "csh" | "tcsh",
): NonNullable<Run["command"]> {
  return { text: cmd.command, stdin: cmd.stdin, ...(loginShell ? { loginShell } : {}) };
}

export interface Result {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** `find NODE_ROOTS` lines (path, type, mode, size, mtime, link target) before and after the run. */
  readonly before: readonly string[];
  readonly after: readonly string[];
}

const q = shellQuote;
const SESSION_PATH = "/usr/bin:/bin";

/** `p` with any prefix that is one of the node's (absolute) symlinks replaced by its target. */
function throughLinks(p: string, links: ReadonlyMap<string, string>): string {
  for (let i = 0; i < 40; i++) {
    const hit = [...links.keys()].find((l) => p.startsWith(`${l}/`));
    if (hit === undefined) return p;
    p = `${links.get(hit)}${p.slice(hit.length)}`;
  }
  throw new Error(`symlink loop at ${p}`);
}

/** Writes the node's files under `dir`; never follows a node symlink out of `dir`. */
function stage(dir: string, files: Readonly<Record<string, Entry>>): void {
  const links = new Map<string, string>();
  for (const [p, entry] of Object.entries(files)) {
    if (typeof entry === "object" && "symlink" in entry && entry.symlink.startsWith("/"))
      links.set(p, entry.symlink);
  }
  for (const [node, entry] of Object.entries(files)) {
    const p = typeof entry === "object" && "symlink" in entry ? node : throughLinks(node, links);
    if (!NODE_ROOTS.some((r) => p === r || p.startsWith(`${r}/`)))
      throw new Error(`${p} is not under NODE_ROOTS`);
    const target = path.join(dir, p);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof entry === "string") {
      fs.writeFileSync(target, entry, { mode: 0o644 });
    } else if ("symlink" in entry) {
      fs.symlinkSync(entry.symlink, target);
    } else if ("dir" in entry) {
      fs.mkdirSync(target, { recursive: true });
      fs.chmodSync(target, entry.mode ?? 0o755);
    } else {
      fs.writeFileSync(target, entry.content);
      fs.chmodSync(target, entry.mode ?? 0o644);
    }
  }
}

/** The shell lines that build the node inside the namespace. */
function setupLines(tmp: string, node: SimNode): string[] {
  const lines = [
    "set -eu",
    `T=${q(tmp)}`,
    'mount -t tmpfs -o mode=0755 tmpfs "$T/ns"',
    "for d in /etc /var/lib; do",
    '  mkdir -p "$T/ns/u$d" "$T/ns/w$d"',
    '  mount -t overlay overlay -o "lowerdir=$d,upperdir=$T/ns/u$d,workdir=$T/ns/w$d" "$d"',
    "done",
    `for d in ${NODE_ROOTS.map(q).join(" ")}; do`,
    '  mkdir -p "$d"; mount -t tmpfs -o mode=0755 tmpfs "$d"',
    '  if [ -d "$T/stage$d" ]; then cp -a "$T/stage$d/." "$d/"; fi',
    "done",
  ];
  const users = (node.users ?? []).flatMap((u) => {
    const add = [`useradd -M -d / -s /bin/sh ${q(u.name)}`];
    if (u.sudo) {
      add.push(
        `printf '%s ALL=(ALL) NOPASSWD: ALL\\n' ${q(u.name)} > /etc/sudoers.d/${u.name}`,
        `chmod 0440 /etc/sudoers.d/${u.name}`,
      );
    }
    return add;
  });
  lines.push(...users);
  const started = new Map<string, number>();
  (node.processes ?? []).forEach((p, i) => {
    const comm = p.comm.slice(0, 15);
    const count = (started.get(comm) ?? 0) + 1;
    started.set(comm, count);
    const exe = p.exe ?? `/srv/.fake/${i}/${p.comm}`;
    const dir = path.posix.dirname(exe);
    const launch = `${dir}/${p.comm}`;
    lines.push(
      `mkdir -p ${q(dir)}`,
      `cp ${q(which("dash") ?? "/usr/bin/dash")} ${q(exe)}`,
      `chmod 0755 ${q(exe)}`,
      ...(launch === exe ? [] : [`ln -sf ${q(path.posix.basename(exe))} ${q(launch)}`]),
      ...(p.user ? [`chown ${q(p.user)} ${q(exe)}`] : []),
    );
    const env = Object.entries({ PATH: SESSION_PATH, ...p.env }).map(([k, v]) => q(`${k}=${v}`));
    const [argv0, ...args] = p.argv;
    const wrap = `${p.ownMountNs ? "unshare --mount " : ""}${p.user ? `runuser -u ${q(p.user)} -- ` : ""}`;
    lines.push(
      `${wrap}env -i ${env.join(" ")} bash -c 'exec -a "$0" "$@"' ${q(argv0)} ${q(launch)} -c 'while :; do sleep 1; done' ${args.map(q).join(" ")} &`,
      `i=0; until [ "$(cat /proc/[0-9]*/comm 2>/dev/null | grep -cxF ${q(comm)})" -ge ${count} ]; do`,
      `  i=$((i + 1)); [ $i -lt 1000 ] || { echo "fake ${p.comm} did not start" >&2; exit 97; }; sleep 0.01`,
      "done",
    );
  });
  if (node.binSh && node.binSh !== "dash") {
    lines.push(`mount --bind ${q(which(node.binSh) ?? `/usr/bin/${node.binSh}`)} "$(readlink -f /bin/sh)"`);
  }
  return [...lines, ...(node.extraSetup ?? [])];
}

function listing(file: string): string {
  return `find ${NODE_ROOTS.map(q).join(" ")} -printf '%p %y %m %s %T@ %l\\n' | sort > ${q(file)}`;
}

function runLine(tmp: string, run: Run): string {
  const env = Object.entries({ PATH: SESSION_PATH, HOME: "/", ...run.env }).map(([k, v]) => q(`${k}=${v}`));
  let argv: string[];
  if (run.script) {
    const file = writeNodeScript(`${tmp}/${run.script.name}`, run.script.name, run.script.compact);
    argv = [...shellArgv(run.script.shell), file, ...(run.script.args ?? [])].map(q);
  } else if (run.command) {
    fs.writeFileSync(`${tmp}/cmd`, run.command.text, { mode: 0o644 });
    fs.writeFileSync(`${tmp}/stdin`, run.command.stdin ?? "", { mode: 0o644 });
    const login = run.command.loginShell ?? "/bin/sh";
    const loginArgv =
      login === "/bin/sh"
        ? ["/bin/sh"]
        : login === "csh" || login === "tcsh"
          ? [which(login) ?? `/usr/bin/${login}`]
          : shellArgv(login);
    argv = [...loginArgv.map(q), "-c", `"$(cat ${q(`${tmp}/cmd`)})"`, "<", q(`${tmp}/stdin`)];
  } else {
    throw new Error("run needs a script or a command");
  }
  const user = run.user ? `runuser -u ${q(run.user)} -- ` : "";
  return `${user}env -i ${env.join(" ")} ${argv.join(" ")}`;
}

function makeTmp(node: SimNode): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-node-"));
  fs.chmodSync(tmp, 0o755);
  try {
    fs.mkdirSync(`${tmp}/ns`);
    fs.mkdirSync(`${tmp}/out`);
    fs.chmodSync(`${tmp}/out`, 0o755);
    stage(`${tmp}/stage`, node.files ?? {});
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return tmp;
}

const UNSHARE = ["--mount", "--pid", "--fork", "--mount-proc", "--kill-child"];

/** Builds the node, runs one script or command in it, and returns its output and file listings. */
export function runOnNode(node: SimNode, run: Run): Result {
  return runOnNodeTimes(node, run, 1)[0];
}

/** Like {@link runOnNode}, but runs the same script or command `times` times on the same node. */
export function runOnNodeTimes(node: SimNode, run: Run, times: number): Result[] {
  const tmp = makeTmp(node);
  try {
    const line = runLine(tmp, run);
    const script = [...setupLines(tmp, node), "set +e"];
    for (let i = 0; i < times; i++) {
      const out = `${tmp}/out/${i}`;
      fs.mkdirSync(out, { mode: 0o755 });
      script.push(
        listing(`${out}/before`),
        `${line} > ${q(`${out}/stdout`)} 2> ${q(`${out}/stderr`)}`,
        `echo $? > ${q(`${out}/status`)}`,
        listing(`${out}/after`),
      );
    }
    fs.writeFileSync(`${tmp}/setup.sh`, script.join("\n"));
    const r = spawnSync("unshare", [...UNSHARE, "sh", `${tmp}/setup.sh`], {
      encoding: "utf8",
      timeout: 30000,
    });
    return Array.from({ length: times }, (_, i) => {
      const read = (f: string): string | undefined =>
        fs.existsSync(`${tmp}/out/${i}/${f}`) ? fs.readFileSync(`${tmp}/out/${i}/${f}`, "utf8") : undefined;
      const status = read("status");
      if (status === undefined) {
        throw new Error(`simulated node setup failed (${r.status ?? r.signal}): ${r.stderr}${r.error ?? ""}`);
      }
      const lines = (f: string): string[] => (read(f) ?? "").split("\n").filter((l) => l !== "");
      return {
        status: Number(status.trim()),
        stdout: read("stdout") ?? "",
        stderr: read("stderr") ?? "",
        before: lines("before"),
        after: lines("after"),
      };
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The paths of a listing (first field). */
export const paths = (listing: readonly string[]): string[] => listing.map((l) => l.split(" ")[0]);

/** A node kept running with a foreground daemon (sshd) until stop(). */
export interface RunningNode {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Builds the node and execs `daemon` (argv) as the last step; its stderr is collected into `log`. */
export function startNode(node: SimNode, daemon: readonly string[], log: string[]): RunningNode {
  const tmp = makeTmp(node);
  try {
    const script = [...setupLines(tmp, node), `exec ${daemon.map(q).join(" ")}`].join("\n");
    fs.writeFileSync(`${tmp}/setup.sh`, script);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const child = spawn("unshare", [...UNSHARE, "sh", `${tmp}/setup.sh`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d: Buffer) => log.push(d.toString()));
  child.stderr.on("data", (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    async stop() {
      // unshare --fork ignores SIGTERM: stop its child (the namespace's init, the daemon) so that
      // unshare reaps it and exits; SIGKILL unshare (--kill-child takes the namespace along) if not.
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const file = `/proc/${child.pid}/task/${child.pid}/children`;
        const kids = fs.existsSync(file)
          ? fs.readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean)
          : [];
        for (const pid of kids) process.kill(Number(pid), "SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      await exited;
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
