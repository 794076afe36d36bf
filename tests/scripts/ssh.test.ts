/**
 * Once over a real OpenSSH server on loopback, as remote.Command runs the commands: sshd runs
 * inside a simulated node (its sessions see the node's files and processes), key auth with
 * generated ed25519 keys, strict host key checking against the generated host key, and the exact
 * strings of detectCommand/cleanupCommand sent as the SSH command.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { cleanupCommand, detectCommand, NodeCommand } from "../../provider/src/node/scripts";
import { parseDetection } from "../../provider/src/plan/detection";
import {
  cniFiles,
  containerdV2,
  ctrdConfig,
  DEFAULT_DATA_DIR as DD,
  detectOutput,
  HASH,
  k3sFiles,
  OWNER,
} from "../helpers/k3sfixtures";
import { RunningNode, startNode } from "../helpers/simnode";
import { sshArgs, sshdConfig } from "../helpers/ssh";
import { requireNamespaces, requireTools, which } from "../helpers/tools";

const CONF = `${DD}/agent/etc/cni/net.d`;
const BIN = `${DD}/data/current/bin`;
const USER = "k3smt-ssh";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, node: RunningNode, log: string[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (node.child.exitCode !== null) break;
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not start: ${log.join("")}`);
}

describe("over OpenSSH on loopback", function () {
  this.timeout(60000);
  let dir = "";
  let port = 0;
  let node: RunningNode | undefined;
  const log: string[] = [];

  before(async function () {
    requireNamespaces(this);
    requireTools(this, "sshd", "ssh", "ssh-keygen", "sudo");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-ssh-"));
    fs.chmodSync(dir, 0o755);
    for (const key of ["host", "client"]) {
      const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", `${dir}/${key}`]);
      expect(r.status, String(r.stderr)).to.equal(0);
    }
    fs.copyFileSync(`${dir}/client.pub`, `${dir}/authorized_keys`);
    fs.chmodSync(`${dir}/authorized_keys`, 0o644);
    port = await freePort();
    fs.writeFileSync(
      `${dir}/known_hosts`,
      `[127.0.0.1]:${port} ${fs.readFileSync(`${dir}/host.pub`, "utf8")}`,
    );
    fs.writeFileSync(`${dir}/sshd_config`, sshdConfig(dir, "127.0.0.1", port));
    const { keep, chart } = cniFiles(BIN, CONF);
    node = startNode(
      {
        files: {
          ...k3sFiles("v1.30.5+k3s1"),
          [ctrdConfig(DD)]: {
            content: containerdV2({ binDir: `${DD}/data/${HASH}/bin`, confDir: CONF }),
            mode: 0o600,
          },
          ...keep,
          ...chart,
        },
        users: [{ name: USER, sudo: true }],
        extraSetup: [
          // Unlock the accounts for key login without PAM (a locked password refuses every method).
          `usermod -p '*' root && usermod -p '*' ${USER}`,
          "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd",
        ],
      },
      [which("sshd") ?? "/usr/sbin/sshd", "-D", "-e", "-f", `${dir}/sshd_config`],
      log,
    );
    await waitForPort(port, node, log);
  });

  after(async () => {
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `command` over SSH; a NodeCommand sends its script on the session's stdin, as remote.Command does. */
  function ssh(user: string, command: string | NodeCommand) {
    const line = typeof command === "string" ? command : command.command;
    const input = typeof command === "string" ? "" : command.stdin;
    const args = sshArgs(dir, port, `${user}@127.0.0.1`, line);
    return spawnSync("ssh", args, { encoding: "utf8", timeout: 20000, input });
  }

  const expected = detectOutput({
    tag: "v1.30.5+k3s1",
    flannel: true,
    binDir: BIN,
    confDir: CONF,
    containerdConfig: ctrdConfig(DD),
  });

  it("detects as root (login shell bash)", () => {
    const r = ssh("root", detectCommand({ sudo: false }));
    expect(r.stdout, `${r.stderr}${log.join("")}`).to.equal(expected);
    expect(r.status).to.equal(0);
    expect(parseDetection("127.0.0.1", r.stdout).binDir).to.equal(BIN);
  });

  it("detects as a sudo user (login shell /bin/sh)", () => {
    const r = ssh(USER, detectCommand({ sudo: true }));
    expect(r.stdout, `${r.stderr}${log.join("")}`).to.equal(expected);
  });

  it("a user without sudo: the error line reaches the parser", () => {
    const r = ssh(USER, detectCommand({ sudo: false }));
    expect(r.status).to.equal(4);
    expect(() => parseDetection("127.0.0.1", r.stdout)).to.throw(/no-permission/);
  });

  it("cleans up as a sudo user, and a second run removes nothing", () => {
    const cmd = cleanupCommand({ sudo: true, binDir: BIN, confDir: CONF, whereabouts: true, owner: OWNER });
    const first = ssh(USER, cmd);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.include(`removed ${BIN}/multus\n`);
    expect(first.stdout).to.include(`removed ${CONF}/whereabouts.d\n`);
    const second = ssh(USER, cmd);
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.equal(
      `k3s-multus-cleanup: nothing removed: ${CONF} has no record of installation ${OWNER} (its release never completed on this node, or another installation owns these files)\n`,
    );
    const left = ssh("root", `ls ${CONF} ${BIN}`);
    expect(left.stdout).to.include("10-flannel.conflist");
    expect(left.stdout).to.include("bridge");
    expect(left.stdout).not.to.match(/\bmultus\b(?!-shim|\.conf\.bak)/);
  });
});
