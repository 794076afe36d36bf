/**
 * Simulated K3s nodes behind the real OpenSSH server, as the component reaches real ones: each
 * node is a mount/PID namespace (tests/helpers/simnode.ts) with its K3s files
 * (tests/helpers/k3sfixtures.ts), running sshd on its own loopback address and a free port, key
 * login as root with a generated ed25519 key, and a generated host key the stack config pins.
 * A node can be restarted with other files (a K3s upgrade) on the same address, port and keys,
 * or stopped (a node that stops answering).
 */
import * as fs from "node:fs";
import { Entry, RunningNode, startNode } from "../../helpers/simnode";
import { sshArgs, sshdConfig } from "../../helpers/ssh";
import { which } from "../../helpers/tools";
import { freePort, GiveUp, portOpen, run, RunResult, runOk, waitFor } from "./proc";

export interface SshNode {
  /** Loopback address (127.0.0.x) the node's sshd listens on. */
  readonly host: string;
  readonly port: number;
  /**
   * The private key the stack config gets (OpenSSH text; encrypted with `privateKeyPassword` when
   * one is set) and the node's host public key (`ssh-ed25519 AAAA...`). The tests' own SSH uses an
   * unencrypted copy.
   */
  readonly privateKey: string;
  readonly privateKeyPassword?: string;
  readonly hostKey: string;
  /** The files the node currently has. */
  files: Record<string, Entry>;
  /** Runs `command` as root over SSH (strict host key checking). */
  ssh(command: string): Promise<RunResult>;
  /** Stops the node's sshd and namespace (it no longer answers). */
  stop(): Promise<void>;
  /** (Re)starts the node with `files` (default: the current ones). */
  start(files?: Record<string, Entry>): Promise<void>;
  /** sshd's log so far. */
  log(): string;
}

const SSHD_CONFIG = (dir: string, host: string, port: number) => sshdConfig(dir, host, port, "50:30:100");

/** Creates the node's keys and config in `dir` and starts it with `files`. */
export async function startSshNode(
  dir: string,
  host: string,
  files: Record<string, Entry>,
  opts: { passphrase?: string; extraAuthorizedKeys?: readonly string[] } = {},
): Promise<SshNode> {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  for (const key of ["host", "client"]) {
    await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `e2e-${key}`, "-f", `${dir}/${key}`]);
  }
  const authorized = [
    fs.readFileSync(`${dir}/client.pub`, "utf8").trim(),
    ...(opts.extraAuthorizedKeys ?? []),
  ];
  fs.writeFileSync(`${dir}/authorized_keys`, `${authorized.join("\n")}\n`);
  fs.copyFileSync(`${dir}/client`, `${dir}/given`);
  if (opts.passphrase !== undefined) {
    await runOk(["ssh-keygen", "-q", "-p", "-P", "", "-N", opts.passphrase, "-f", `${dir}/given`]);
  }
  fs.chmodSync(`${dir}/authorized_keys`, 0o644);
  const port = await freePort(host);
  const hostKey = fs.readFileSync(`${dir}/host.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  fs.writeFileSync(`${dir}/known_hosts`, `[${host}]:${port} ${hostKey}\n`);
  fs.writeFileSync(`${dir}/sshd_config`, SSHD_CONFIG(dir, host, port));
  let running: RunningNode | undefined;
  let log: string[] = [];
  const node: SshNode = {
    host,
    port,
    privateKey: fs.readFileSync(`${dir}/given`, "utf8"),
    privateKeyPassword: opts.passphrase,
    hostKey,
    files,
    ssh: (command) => run(["ssh", ...sshArgs(dir, port, `root@${host}`, command)], { timeoutMs: 30000 }),
    async stop() {
      await running?.stop();
      running = undefined;
    },
    async start(newFiles) {
      await node.stop();
      if (newFiles) node.files = newFiles;
      log = [];
      const started = startNode(
        {
          files: node.files,
          extraSetup: [
            // Unlock root for key login without PAM (a locked password refuses every method).
            "usermod -p '*' root",
            "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd",
          ],
        },
        [which("sshd") ?? "/usr/sbin/sshd", "-D", "-e", "-f", `${dir}/sshd_config`],
        log,
      );
      running = started;
      await waitFor(
        `sshd of ${host}:${port}`,
        async () => {
          if (started.child.exitCode !== null) throw new GiveUp(`sshd exited: ${log.join("")}`);
          return (await portOpen(port, host)) ? true : undefined;
        },
        30000,
        50,
      );
    },
    log: () => log.join(""),
  };
  await node.start();
  return node;
}

/** The node's files as `find` lists them over SSH, under `dirs` (sorted paths, dirs marked with `/`). */
export async function listFiles(node: SshNode, dirs: readonly string[]): Promise<string[]> {
  const quoted = dirs.map((d) => `'${d.replace(/'/g, "'\\''")}'`).join(" ");
  const r = await node.ssh(
    `find ${quoted} -mindepth 1 \\( -type d -printf '%p/\\n' \\) -o -printf '%p\\n' 2>/dev/null | sort`,
  );
  return r.stdout.split("\n").filter((l) => l !== "");
}
