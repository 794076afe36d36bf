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
      [ctrdConfig(dd, true)]: {
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
    containerdConfig: ctrdConfig(dd, true),
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
        [ctrdConfig(DD, false)]: containerdV2({ binDir: `${DD}/data/${HASH}/bin`, confDir: CONF }),
      },
    },
    want: detectOutput({
      tag: "v1.30.5+k3s1",
      flannel: true,
      binDir: `${DD}/data/current/bin`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD, false),
    }),
  },
  {
    name: "a release after the gate (v1.31.2+k3s1, containerd 1.7): data/cni",
    node: {
      files: {
        ...k3sFiles("v1.31.2+k3s1"),
        [ctrdConfig(DD, false)]: containerdV2({ binDir: `${DD}/data/cni`, confDir: CONF }),
      },
    },
    want: detectOutput({
      tag: "v1.31.2+k3s1",
      flannel: true,
      binDir: `${DD}/data/cni`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD, false),
    }),
  },
  { name: "v1.32.2+k3s1 with containerd 2 (config-v3.toml)", node: gated(DD), want: gatedOut(DD) },
  {
    name: "a newer config-v3.toml with bin_dirs = [...]",
    node: {
      files: {
        ...k3sFiles("v1.32.2+k3s1"),
        [ctrdConfig(DD, true)]: containerdV3({ binDir: `${DD}/data/cni`, confDir: CONF, binDirs: true }),
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
        [ctrdConfig(DD, true)]: containerdV3({}),
      },
    },
    want: detectOutput({ tag: "v1.32.2+k3s1", flannel: false, containerdConfig: ctrdConfig(DD, true) }),
  },
  {
    name: "flannel off on an agent: only containerd's config (no cni table) tells",
    node: { files: { ...k3sFiles("v1.30.5+k3s1"), [ctrdConfig(DD, false)]: containerdV2({}) } },
    want: detectOutput({ tag: "v1.30.5+k3s1", flannel: false, containerdConfig: ctrdConfig(DD, false) }),
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
    name: "running k3s: K3S_DATA_DIR from its environment, not the session's",
    node: gated(SRV, {}, [k3sServer(["--node-name", "n1"], { K3S_DATA_DIR: SRV })]),
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
    name: "running k3s: containerd's -c picks config.toml over a stale config-v3.toml",
    node: {
      files: {
        ...k3sFiles("v1.31.2+k3s1"),
        [ctrdConfig(DD, false)]: containerdV2({ binDir: `${DD}/data/cni`, confDir: CONF }),
        [ctrdConfig(DD, true)]: containerdV3({}),
      },
      processes: [
        k3sServer([]),
        {
          comm: "containerd",
          argv: ["containerd", "-c", ctrdConfig(DD, false), "-a", "/run/k3s/containerd/containerd.sock"],
        },
      ],
    },
    want: detectOutput({
      tag: "v1.31.2+k3s1",
      flannel: true,
      binDir: `${DD}/data/cni`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD, false),
    }),
  },
  {
    name: "no k3s process: the session's K3S_DATA_DIR",
    node: gated(SRV),
    env: { K3S_DATA_DIR: SRV },
    want: gatedOut(SRV),
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
        [ctrdConfig(DD, true)]: containerdV3({ binDir: `${DD}/data/cni`, confDir: CONF, binDirs: true }),
      },
    },
    want: detectOutput({
      tag: "v1.33.1+k3s1",
      flannel: true,
      binDir: `${DD}/data/cni`,
      confDir: CONF,
      containerdConfig: ctrdConfig(DD, true),
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

const EXIT: Record<string, number> = { usage: 2, "no-k3s": 3, "no-permission": 4, "bad-data-dir": 5 };

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
