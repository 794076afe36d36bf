/**
 * provider/scripts/detect.sh run for real in dash, busybox sh and bash against simulated nodes
 * (tests/helpers/simnode.ts): each row is a node, the expected stdout, and the shells run it.
 */
import { expect } from "chai";
import { parseDetection } from "../../provider/src/plan/detection";
import {
  containerdV2,
  containerdV3,
  ctrdConfig,
  DEFAULT_DATA_DIR as DD,
  detectOutput,
  fakeK3s,
  HASH,
  k3sFiles,
  k3sProcesses,
  openrcService,
  systemdEnv,
  systemdUnit,
} from "../helpers/k3sfixtures";
import { runOnNode, SHELLS, SimNode } from "../helpers/simnode";
import { requireNamespaces, requireTools } from "../helpers/tools";

const CONF = `${DD}/agent/etc/cni/net.d`;
const SRV = "/srv/k3s";

interface Row {
  name: string;
  node: SimNode;
  args?: string[];
  env?: Record<string, string>;
  /** Expected stdout, or the expected error code. */
  want: string | { error: string };
}

/** A v1.32.2+k3s1 node after the gate, its data dir at `dd`, containerd 2 (config-v3.toml). */
function gated(dd: string, files: SimNode["files"] = {}, processes: SimNode["processes"] = []): SimNode {
  return {
    files: {
      ...k3sFiles("v1.32.2+k3s1", dd),
      [ctrdConfig(dd)]: {
        content: containerdV3({
          dataDir: dd,
          binDir: `${dd}/data/cni`,
          confDir: `${dd}/agent/etc/cni/net.d`,
        }),
        mode: 0o600,
      },
      ...files,
    },
    processes,
  };
}
const gatedOut = (dd: string): string =>
  detectOutput({
    tag: "v1.32.2+k3s1",
    dataDir: dd,
    flannel: true,
    binDir: `${dd}/data/cni`,
    confDir: `${dd}/agent/etc/cni/net.d`,
    containerdConfig: ctrdConfig(dd),
  });
const k3sServer = (args: string[], env: Record<string, string> = {}) => ({
  comm: "k3s-server" as const,
  argv: ["/usr/local/bin/k3s", "server", ...args],
  env,
});

const rows: Row[] = [
  {
    name: "a release before the gate: data/<hash>/bin becomes data/current/bin",
    node: {
      files: {
        ...k3sFiles("v1.30.5+k3s1"),
        [ctrdConfig(DD)]: containerdV2({ binDir: `${DD}/data/${HASH}/bin`, confDir: CONF }),
      },
    },
    want: detectOutput({
      tag: "v1.30.5+k3s1",
      flannel: true,
      binDir: `${DD}/data/current/bin`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD),
    }),
  },
  {
    name: "a release after the gate (v1.31.2+k3s1, containerd 1.7): data/cni",
    node: {
      files: {
        ...k3sFiles("v1.31.2+k3s1"),
        [ctrdConfig(DD)]: containerdV2({ binDir: `${DD}/data/cni`, confDir: CONF }),
      },
    },
    want: detectOutput({
      tag: "v1.31.2+k3s1",
      flannel: true,
      binDir: `${DD}/data/cni`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD),
    }),
  },
  { name: "v1.32.2+k3s1 with containerd 2 (config-v3.toml)", node: gated(DD), want: gatedOut(DD) },
  {
    name: "a newer config-v3.toml with bin_dirs = [...]",
    node: {
      files: {
        ...k3sFiles("v1.32.2+k3s1"),
        [ctrdConfig(DD)]: containerdV3({ binDir: `${DD}/data/cni`, confDir: CONF, binDirs: true }),
      },
    },
    want: gatedOut(DD),
  },
  {
    name: "custom data dir in config.yaml (quoted, with a comment)",
    node: gated(SRV, {
      "/etc/rancher/k3s/config.yaml": `write-kubeconfig-mode: "0644"\ndata-dir: "${SRV}" # moved\n`,
    }),
    want: gatedOut(SRV),
  },
  {
    name: "custom data dir in config.yaml.d: later drop-ins win, .yml counts, other files do not",
    node: gated(SRV, {
      "/etc/rancher/k3s/config.yaml": "data-dir: /srv/wrong-main\n",
      "/etc/rancher/k3s/config.yaml.d/10-data.yaml": "data-dir: /srv/wrong-10\n",
      "/etc/rancher/k3s/config.yaml.d/20-data.yml": `node-label:\n  - a=b\ndata-dir: ${SRV}/\n`,
      "/etc/rancher/k3s/config.yaml.d/30-ignored.txt": "data-dir: /srv/wrong-txt\n",
      "/etc/rancher/k3s/config.yaml.d/40-dir.yaml/x": "data-dir: /srv/wrong-dir\n",
      "/etc/rancher/k3s/config.yaml.d/05-nested.yaml": "kubelet-arg:\n  data-dir: /srv/not-top-level\n",
    }),
    want: gatedOut(SRV),
  },
  {
    name: "flannel off in config.yaml (containerd 2 writes the cni table without dirs)",
    node: {
      files: {
        ...k3sFiles("v1.32.2+k3s1"),
        "/etc/rancher/k3s/config.yaml": "flannel-backend: none\ndisable-network-policy: true\n",
        [ctrdConfig(DD)]: containerdV3({}),
      },
    },
    want: detectOutput({ tag: "v1.32.2+k3s1", flannel: false, containerdConfig: ctrdConfig(DD) }),
  },
  {
    name: "flannel off on an agent: only containerd's config (no cni table) tells",
    node: { files: { ...k3sFiles("v1.30.5+k3s1"), [ctrdConfig(DD)]: containerdV2({}) } },
    want: detectOutput({ tag: "v1.30.5+k3s1", flannel: false, containerdConfig: ctrdConfig(DD) }),
  },
  {
    name: "running k3s: --data-dir on its command line beats config.yaml and its K3S_DATA_DIR",
    node: gated(SRV, { "/etc/rancher/k3s/config.yaml": "data-dir: /srv/wrong\n" }, [
      k3sServer(["--data-dir", SRV, "--flannel-backend=vxlan"], { K3S_DATA_DIR: "/srv/wrong-env" }),
    ]),
    want: gatedOut(SRV),
  },
  {
    name: "running k3s: config.yaml beats its K3S_DATA_DIR (the env only seeds the flag)",
    node: gated(SRV, { "/etc/rancher/k3s/config.yaml": `data-dir: ${SRV}\n` }, [
      k3sServer([], { K3S_DATA_DIR: "/srv/wrong-env" }),
    ]),
    want: gatedOut(SRV),
  },
  {
    name: "running k3s (hidden argv): the data dir from the binary it runs, not its or the session's K3S_DATA_DIR",
    node: gated(SRV, {}, k3sProcesses({ tag: "v1.30.2+k3s1", dataDir: SRV })),
    env: { K3S_DATA_DIR: "/srv/wrong-session" },
    want: gatedOut(SRV),
  },
  {
    name: "running k3s: K3S_CONFIG_FILE in its environment moves the config and its drop-ins",
    node: gated(
      SRV,
      {
        "/etc/rancher/k3s/config.yaml": "data-dir: /srv/wrong\n",
        "/srv/k3s.yaml": "data-dir: /srv/wrong-too\n",
        "/srv/k3s.yaml.d/50.yaml": `'data-dir': '${SRV}'\n`,
      },
      [k3sServer(["-c", "/srv/other.yaml"], { K3S_CONFIG_FILE: "/srv/k3s.yaml" })],
    ),
    want: gatedOut(SRV),
  },
  {
    name: "config.toml is what K3s generates, also for containerd 2; a config-v3.toml beside it is ignored",
    node: {
      files: {
        ...k3sFiles("v1.31.2+k3s1"),
        [ctrdConfig(DD)]: containerdV3({ binDir: `${DD}/data/cni`, confDir: CONF }),
        [`${DD}/agent/etc/containerd/config-v3.toml`]: containerdV3({
          binDir: "/srv/wrong",
          confDir: "/srv/wrong",
        }),
      },
      processes: k3sProcesses({ tag: "v1.31.2+k3s1" }),
    },
    want: detectOutput({
      tag: "v1.31.2+k3s1",
      flannel: true,
      binDir: `${DD}/data/cni`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD),
    }),
  },
  {
    name: "K3s not running: --data-dir in the systemd unit get.k3s.io wrote (INSTALL_K3S_EXEC)",
    node: gated(SRV, systemdUnit("server", ["--data-dir", SRV, "--node-name", "n1"])),
    want: gatedOut(SRV),
  },
  {
    name: "K3s not running: K3S_DATA_DIR in the unit's env file (a release that honours it); the token stays unread",
    node: gated(SRV, {
      ...systemdUnit("server"),
      ...systemdEnv("server", { K3S_TOKEN: "K10secret::server:tok", K3S_DATA_DIR: SRV }),
    }),
    env: { K3S_DATA_DIR: "/srv/wrong-session" },
    want: gatedOut(SRV),
  },
  {
    name: "K3s not running, before the July 2024 releases: K3S_DATA_DIR is no setting, the default stands",
    node: {
      files: {
        ...k3sFiles("v1.30.2+k3s1"),
        [ctrdConfig(DD)]: containerdV2({ binDir: `${DD}/data/${HASH}/bin`, confDir: CONF }),
        ...systemdUnit("server"),
        ...systemdEnv("server", { K3S_DATA_DIR: SRV }),
      },
    },
    want: detectOutput({
      tag: "v1.30.2+k3s1",
      flannel: true,
      binDir: `${DD}/data/current/bin`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD),
    }),
  },
  {
    name: "an agent: k3s-agent.service with --flannel-backend=none is flannel off",
    node: {
      files: {
        ...k3sFiles("v1.32.2+k3s1", SRV),
        [ctrdConfig(SRV)]: containerdV3({ dataDir: SRV }),
        ...systemdUnit("agent", ["--data-dir", SRV, "--flannel-backend=none"]),
      },
      processes: k3sProcesses({ tag: "v1.32.2+k3s1", dataDir: SRV, kind: "agent" }),
    },
    want: detectOutput({
      tag: "v1.32.2+k3s1",
      dataDir: SRV,
      flannel: false,
      containerdConfig: ctrdConfig(SRV),
    }),
  },
  {
    name: "--config in ExecStart: the named config file's data-dir",
    node: gated(SRV, {
      ...systemdUnit("server", ["--config", "/srv/cfg.yaml"]),
      "/srv/cfg.yaml": `data-dir: ${SRV}\n`,
    }),
    want: gatedOut(SRV),
  },
  {
    name: "OpenRC (Alpine): /etc/init.d/k3s command_args and /etc/rancher/k3s/k3s.env",
    node: gated(SRV, openrcService("server", ["--data-dir", SRV], { K3S_TOKEN: "K10secret" })),
    want: gatedOut(SRV),
  },
  {
    name: "the rancher/k3s image before v1.29.15: containerd's bin_dir=/bin is reported as K3s wrote it",
    node: {
      files: {
        ...k3sFiles("v1.29.14+k3s1"),
        [ctrdConfig(DD)]: containerdV2({ binDir: "/bin", confDir: CONF }),
      },
      processes: k3sProcesses({ tag: "v1.29.14+k3s1" }),
    },
    want: detectOutput({
      tag: "v1.29.14+k3s1",
      flannel: true,
      binDir: "/bin",
      confDir: CONF,
      containerdConfig: ctrdConfig(DD),
    }),
  },
  {
    name: "the flag and the env file name two data dirs: refused, naming both",
    node: gated(SRV, {
      ...systemdUnit("server", ["--data-dir", SRV]),
      ...systemdEnv("server", { K3S_DATA_DIR: "/srv/other" }),
    }),
    want: { error: "conflicting-data-dir" },
  },
  {
    name: "the dataDir argument beats everything",
    node: gated(SRV, { "/etc/rancher/k3s/config.yaml": "data-dir: /srv/wrong\n" }),
    args: [`${SRV}/`],
    want: gatedOut(SRV),
  },
  {
    name: "k3s in /opt/bin only (and /usr/local/bin not on PATH)",
    node: {
      files: {
        "/opt/bin/k3s": fakeK3s("v1.33.1+k3s1"),
        [ctrdConfig(DD)]: containerdV3({ binDir: `${DD}/data/cni`, confDir: CONF, binDirs: true }),
      },
    },
    want: detectOutput({
      tag: "v1.33.1+k3s1",
      flannel: true,
      binDir: `${DD}/data/cni`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD),
    }),
  },
  {
    name: "installed but never started: no containerd config yet",
    node: { files: { "/usr/local/bin/k3s": fakeK3s("v1.32.2+k3s1") } },
    want: detectOutput({ tag: "v1.32.2+k3s1", flannel: true }),
  },
  {
    name: "K3s missing",
    node: { files: { "/etc/rancher/k3s/config.yaml": "data-dir: /srv/k3s\n" } },
    want: { error: "no-k3s" },
  },
  {
    name: "a data-dir value it cannot read (block scalar)",
    node: gated(DD, { "/etc/rancher/k3s/config.yaml": "data-dir: |\n  /srv/k3s\n" }),
    want: { error: "bad-data-dir" },
  },
  { name: "too many arguments", node: gated(DD), args: ["/a/b", "/c/d"], want: { error: "usage" } },
];

const EXIT: Record<string, number> = {
  usage: 2,
  "no-k3s": 3,
  "no-permission": 4,
  "bad-data-dir": 5,
  "untrusted-file": 6,
  "bad-path": 7,
  "too-large": 8,
  "conflicting-data-dir": 9,
};

describe("detect.sh on simulated nodes", function () {
  this.timeout(60000);
  before(function () {
    requireNamespaces(this);
    requireTools(this, ...SHELLS, "bash");
  });

  for (const row of rows) {
    describe(row.name, () => {
      for (const shell of SHELLS) {
        it(`in ${shell}`, () => {
          const r = runOnNode(row.node, {
            script: { name: "detect.sh", shell, args: row.args },
            env: row.env,
          });
          expect(r.after, "detection changed files on the node").to.deep.equal(r.before);
          if (typeof row.want === "string") {
            expect(r.stdout, r.stderr).to.equal(row.want);
            expect(r.status).to.equal(0);
            expect(r.stderr).to.equal("");
            expect(() => parseDetection("n1", r.stdout)).not.to.throw();
          } else {
            expect(r.stdout).to.match(new RegExp(`^error=${row.want.error} \\S.*\\n$`));
            expect(r.stderr).to.match(/^k3s-multus-detect: /);
            expect(r.status).to.equal(EXIT[row.want.error]);
          }
        });
      }
    });
  }
});
