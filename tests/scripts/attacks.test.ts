/**
 * detect.sh against a local user or a pod that tries to steer it (issue: detection must not be
 * turned against root). Each row is a node with an attacker's process or file, run as the
 * component runs it (the command for the login shell, the script on stdin) in dash, busybox sh
 * and bash: none may run the attacker's program (a canary file it would write stays absent), and
 * each ends with the right facts or a clear error.
 */
import { expect } from "chai";
import { detectCommand } from "../../provider/src/node/scripts";
import {
  containerdV3,
  ctrdConfig,
  DEFAULT_DATA_DIR as DD,
  detectOutput,
  k3sFiles,
  k3sProcesses,
} from "../helpers/k3sfixtures";
import { paths, runOnNode, SHELLS, SimNode, viaSsh } from "../helpers/simnode";
import { requireNamespaces, requireTools } from "../helpers/tools";

const CONF = `${DD}/agent/etc/cni/net.d`;
const CANARY = "/srv/pwned";
/** An executable that, if anything ever ran it, would leave the canary behind. */
const EVIL = {
  content: `#!/bin/sh\ntouch ${CANARY}\necho 'k3s version v1.99.0+k3s1 (deadbeef)'\n`,
  mode: 0o755,
};

/** A gated v1.32 node whose K3s is installed but not running (no root k3s process). */
function node(files: SimNode["files"] = {}, processes: SimNode["processes"] = []): SimNode {
  return {
    files: {
      ...k3sFiles("v1.32.2+k3s1"),
      [ctrdConfig(DD)]: { content: containerdV3({ binDir: `${DD}/data/cni`, confDir: CONF }), mode: 0o600 },
      ...files,
    },
    processes,
    users: [{ name: "mallory", sudo: false }],
  };
}
const GOOD = detectOutput({
  tag: "v1.32.2+k3s1",
  flannel: true,
  binDir: `${DD}/data/cni`,
  confDir: CONF,
  containerdConfig: ctrdConfig(DD),
});

interface Row {
  name: string;
  node: SimNode;
  /** Expected stdout, or the expected error code. */
  want: string | { error: string };
  loginShell?: "csh" | "tcsh";
}

const rows: Row[] = [
  {
    name: "a user's process named k3s-server with its own argv[0], k3s not on PATH",
    node: node({ "/usr/local/bin/k3s": { content: "", mode: 0o644 }, "/srv/mallory/k3s": EVIL }, [
      {
        comm: "k3s-server",
        argv: ["/srv/mallory/k3s", "server", "--data-dir", "/srv/mallory"],
        exe: "/srv/mallory/bin/k3s-server",
        user: "mallory",
      },
    ]),
    want: { error: "no-k3s" },
  },
  {
    name: "a user's k3s-agent process does not steer the data dir",
    node: node({}, [
      {
        comm: "k3s-agent",
        argv: ["/usr/local/bin/k3s", "agent"],
        exe: `/srv/mallory/data/${"a".repeat(64)}/bin/k3s`,
        user: "mallory",
      },
    ]),
    want: GOOD,
  },
  {
    name: "a root process in a container's own mount namespace is not the node's K3s",
    node: node({}, [
      {
        comm: "k3s-server",
        argv: ["/usr/local/bin/k3s", "server"],
        exe: `/srv/container/data/${"b".repeat(64)}/bin/k3s`,
        ownMountNs: true,
      },
    ]),
    want: GOOD,
  },
  {
    name: "a k3s binary that others can write is never run",
    node: node({ "/usr/local/bin/k3s": { ...EVIL, mode: 0o777 } }),
    want: { error: "untrusted-file" },
  },
  {
    name: "a FIFO named as the config file (K3S_CONFIG_FILE in the env file) is refused, not read",
    node: {
      ...node({
        "/etc/systemd/system/k3s.service":
          "[Service]\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s server\n",
        "/etc/systemd/system/k3s.service.env": "K3S_CONFIG_FILE=/srv/fifo\n",
      }),
      extraSetup: ["mkfifo /srv/fifo"],
    },
    want: { error: "untrusted-file" },
  },
  {
    name: "a config path with .. is refused",
    node: node({
      "/etc/systemd/system/k3s.service":
        "[Service]\nExecStart=/usr/local/bin/k3s server --config /etc/rancher/../../srv/x.yaml\n",
    }),
    want: { error: "bad-path" },
  },
  {
    name: "a config drop-in owned by a user is refused",
    node: {
      ...node({ "/etc/rancher/k3s/config.yaml.d/90-mine.yaml": "data-dir: /srv/mallory\n" }),
      extraSetup: ["chown mallory /etc/rancher/k3s/config.yaml.d/90-mine.yaml"],
    },
    want: { error: "untrusted-file" },
  },
  {
    name: "a running root K3s in this namespace is believed, with its argv hidden",
    node: node({}, k3sProcesses({ tag: "v1.32.2+k3s1" })),
    want: GOOD,
  },
  {
    name: "csh as the login shell runs nothing of the script itself",
    node: node(),
    want: GOOD,
    loginShell: "csh",
  },
  { name: "tcsh as the login shell", node: node(), want: GOOD, loginShell: "tcsh" },
];

describe("detect.sh against local attackers", function () {
  this.timeout(60000);
  before(function () {
    requireNamespaces(this);
    requireTools(this, ...SHELLS, "csh", "tcsh");
  });

  for (const row of rows) {
    const shells = row.loginShell ? [row.loginShell] : SHELLS;
    for (const shell of shells) {
      it(`${row.name} (${shell})`, () => {
        const r = runOnNode(row.node, { command: viaSsh(detectCommand({ sudo: false }), shell) });
        expect(paths(r.after), "the attacker's program never ran").not.to.include(CANARY);
        if (typeof row.want === "string") {
          expect(r.stdout, r.stderr).to.equal(row.want);
          expect(r.status).to.equal(0);
        } else {
          expect(r.stdout, r.stderr).to.match(new RegExp(`^error=${row.want.error} \\S.*\\n$`));
          expect(r.status).to.not.equal(0);
        }
      });
    }
  }
});
