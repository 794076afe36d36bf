/**
 * The CNI layout: the October 2024 bin dir gate per minor line, a node's layout from its facts and
 * overrides, the cluster layout the nodes must agree on, and layouts from pinned facts.
 */
import { expect } from "chai";
import {
  CniLayout,
  clusterLayout,
  DEFAULT_DATA_DIR,
  LayoutOverrides,
  NodeFacts,
  nodeLayout,
  pinnedLayout,
  usesFixedCniBinDir,
} from "../../provider/src/plan/layout";
import { parseK3sVersion } from "../../provider/src/plan/version";
import { expectMultusError } from "../helpers/errors";

const K3S_CONF = "/var/lib/rancher/k3s/agent/etc/cni/net.d";
const NEW_BIN = "/var/lib/rancher/k3s/data/cni";
const OLD_BIN = "/var/lib/rancher/k3s/data/current/bin";

/** The full layout for a bin and conf dir: kubeconfig and whereabouts config follow the conf dir. */
function layout(binDir: string, confDir: string): CniLayout {
  return {
    binDir,
    confDir,
    multusKubeconfig: `${confDir}/multus.d/multus.kubeconfig`,
    whereaboutsConfig: `${confDir}/whereabouts.d/whereabouts.conf`,
  };
}

function facts(
  host: string,
  tag: string,
  extra: Partial<Omit<NodeFacts, "host" | "version">> = {},
): NodeFacts {
  return { host, version: parseK3sVersion(tag), dataDir: DEFAULT_DATA_DIR, flannel: true, ...extra };
}

describe("CNI layout", () => {
  describe("the October 2024 bin dir gate", () => {
    const rows: { tag: string; fixed: boolean }[] = [
      { tag: "v0.9.1+k3s1", fixed: false },
      { tag: "v1.26.15+k3s1", fixed: false },
      { tag: "v1.27.16+k3s1", fixed: false },
      { tag: "v1.27.99+k3s1", fixed: false },
      { tag: "v1.28.14+k3s1", fixed: false },
      { tag: "v1.28.15+k3s1", fixed: true },
      { tag: "v1.28.15+k3s2", fixed: true },
      { tag: "v1.29.9+k3s1", fixed: false },
      { tag: "v1.29.10+k3s1", fixed: true },
      { tag: "v1.30.5+k3s1", fixed: false },
      { tag: "v1.30.6+k3s1", fixed: true },
      { tag: "v1.31.1+k3s1", fixed: false },
      { tag: "v1.31.2+k3s1", fixed: true },
      { tag: "v1.32.0+k3s1", fixed: true },
      { tag: "v1.32.0-rc1+k3s1", fixed: true },
      { tag: "v1.34.1-rc1+k3s1", fixed: true },
      // Release candidates of a gated patch release are cut from the branch that carries the change.
      { tag: "v1.28.15-rc1+k3s1", fixed: true },
      { tag: "v1.30.6-rc2+k3s1", fixed: true },
      { tag: "v1.30.5-rc1+k3s1", fixed: false },
      { tag: "v2.0.0+k3s1", fixed: true },
      { tag: "v2.1.0-rc1+k3s1", fixed: true },
    ];
    for (const { tag, fixed } of rows) {
      const bin = fixed ? NEW_BIN : OLD_BIN;
      it(`${tag} → ${bin}`, () => {
        expect(usesFixedCniBinDir(parseK3sVersion(tag))).to.equal(fixed);
        expect(nodeLayout(facts("n1", tag))).to.deep.equal(layout(bin, K3S_CONF));
      });
    }
  });

  describe("nodeLayout", () => {
    const rows: {
      name: string;
      facts: NodeFacts;
      overrides?: LayoutOverrides;
      want: CniLayout;
    }[] = [
      {
        name: "custom data dir, new K3s",
        facts: facts("n1", "v1.31.2+k3s1", { dataDir: "/srv/k3s" }),
        want: layout("/srv/k3s/data/cni", "/srv/k3s/agent/etc/cni/net.d"),
      },
      {
        name: "custom data dir, old K3s",
        facts: facts("n1", "v1.31.1+k3s1", { dataDir: "/srv/k3s" }),
        want: layout("/srv/k3s/data/current/bin", "/srv/k3s/agent/etc/cni/net.d"),
      },
      {
        name: "custom data dir with a trailing slash",
        facts: facts("n1", "v1.32.2+k3s1", { dataDir: "/srv/k3s/" }),
        want: layout("/srv/k3s/data/cni", "/srv/k3s/agent/etc/cni/net.d"),
      },
      {
        name: "rootless data dir",
        facts: facts("n1", "v1.32.2+k3s1", { dataDir: "/home/k3s/.rancher/k3s" }),
        want: layout("/home/k3s/.rancher/k3s/data/cni", "/home/k3s/.rancher/k3s/agent/etc/cni/net.d"),
      },
      {
        name: "flannel off, new K3s: containerd's defaults",
        facts: facts("n1", "v1.32.2+k3s1", { flannel: false }),
        want: layout("/opt/cni/bin", "/etc/cni/net.d"),
      },
      {
        name: "flannel off, old K3s: containerd's defaults",
        facts: facts("n1", "v1.27.16+k3s1", { flannel: false, dataDir: "/srv/k3s" }),
        want: layout("/opt/cni/bin", "/etc/cni/net.d"),
      },
      {
        name: "containerd-observed dirs win over the gate",
        facts: facts("n1", "v1.30.5+k3s1", { binDir: NEW_BIN, confDir: "/etc/k3s/cni" }),
        want: layout(NEW_BIN, "/etc/k3s/cni"),
      },
      {
        name: "containerd-observed bin dir of the k3s container image (/bin)",
        facts: facts("n1", "v1.29.15+k3s1", { binDir: "/bin" }),
        want: layout("/bin", K3S_CONF),
      },
      {
        name: "containerd-observed dirs win with flannel off",
        facts: facts("n1", "v1.32.2+k3s1", {
          flannel: false,
          binDir: "/usr/libexec/cni",
          confDir: "/etc/cni/custom",
        }),
        want: layout("/usr/libexec/cni", "/etc/cni/custom"),
      },
      {
        name: "explicit overrides win over everything",
        facts: facts("n1", "v1.30.5+k3s1", { binDir: "/bin", confDir: "/etc/x" }),
        overrides: { cniBinDir: "/opt/my/bin", cniConfDir: "/opt/my/conf" },
        want: layout("/opt/my/bin", "/opt/my/conf"),
      },
      {
        name: "an explicit bin dir alone",
        facts: facts("n1", "v1.30.6+k3s1"),
        overrides: { cniBinDir: "/opt/my/bin" },
        want: layout("/opt/my/bin", K3S_CONF),
      },
      {
        name: "an explicit conf dir alone, over an observed one",
        facts: facts("n1", "v1.30.6+k3s1", { confDir: "/etc/observed" }),
        overrides: { cniConfDir: "/opt/my/conf/" },
        want: layout(NEW_BIN, "/opt/my/conf"),
      },
    ];
    for (const row of rows) {
      it(row.name, () => expect(nodeLayout(row.facts, row.overrides)).to.deep.equal(row.want));
    }

    it("kubeconfig and whereabouts config paths of the default layout", () => {
      const l = nodeLayout(facts("n1", "v1.32.2+k3s1"));
      expect(l.multusKubeconfig).to.equal(
        "/var/lib/rancher/k3s/agent/etc/cni/net.d/multus.d/multus.kubeconfig",
      );
      expect(l.whereaboutsConfig).to.equal(
        "/var/lib/rancher/k3s/agent/etc/cni/net.d/whereabouts.d/whereabouts.conf",
      );
    });

    const unsafe: { name: string; extra: Partial<NodeFacts>; overrides: LayoutOverrides; field: string }[] = [
      {
        name: "data dir with a semicolon",
        extra: { dataDir: "/var/lib/k3s;reboot" },
        overrides: {},
        field: "k3sDataDir",
      },
      {
        name: "relative data dir",
        extra: { dataDir: "var/lib/rancher/k3s" },
        overrides: {},
        field: "k3sDataDir",
      },
      {
        name: "observed bin dir with $()",
        extra: { binDir: "/opt/$(id)/bin" },
        overrides: {},
        field: "cniBinDir",
      },
      {
        name: "override conf dir with ..",
        extra: {},
        overrides: { cniConfDir: "/etc/cni/../../root" },
        field: "cniConfDir",
      },
    ];
    for (const { name, extra, overrides, field } of unsafe) {
      it(`refuses an unsafe path: ${name}`, () => {
        expectMultusError(() => nodeLayout(facts("n1", "v1.32.2+k3s1", extra), overrides), { field });
      });
    }
  });

  describe("clusterLayout", () => {
    it("returns the one layout of several nodes that agree", () => {
      const nodes = [
        facts("cp-1", "v1.30.6+k3s1"),
        facts("worker-1", "v1.31.2+k3s1"),
        facts("worker-2", "k3s version v1.32.2+k3s1 (381620ef)\ngo version go1.23.6"),
      ];
      expect(clusterLayout(nodes)).to.deep.equal(layout(NEW_BIN, K3S_CONF));
    });

    it("returns the old layout when every node is before the gate", () => {
      const nodes = [facts("a", "v1.27.16+k3s1"), facts("b", "v1.30.5+k3s1")];
      expect(clusterLayout(nodes)).to.deep.equal(layout(OLD_BIN, K3S_CONF));
    });

    it("refuses nodes on both sides of the gate, naming both hosts, their versions and what to do", () => {
      const nodes = [facts("cp-1.lan", "v1.30.6+k3s1"), facts("10.0.0.12", "v1.30.5+k3s1")];
      const err = expectMultusError(() => clusterLayout(nodes), {
        field: "nodes",
        input: ["cp-1.lan", "10.0.0.12"],
        allowed: /finish upgrading K3s on every node/,
        message: [
          "disagree on the CNI layout",
          `cp-1.lan (v1.30.6+k3s1, flannel on): bin ${NEW_BIN}`,
          `10.0.0.12 (v1.30.5+k3s1, flannel on): bin ${OLD_BIN}`,
          "cniBinDir",
          "redetect",
        ],
      });
      expect(err.allowed).to.include("cniConfDir");
    });

    it("refuses nodes that disagree on flannel", () => {
      const nodes = [facts("a", "v1.32.2+k3s1"), facts("b", "v1.32.2+k3s1", { flannel: false })];
      expectMultusError(() => clusterLayout(nodes), {
        field: "nodes",
        input: ["a", "b"],
        message: [
          "a (v1.32.2+k3s1, flannel on)",
          "b (v1.32.2+k3s1, flannel off): bin /opt/cni/bin, conf /etc/cni/net.d",
        ],
      });
    });

    it("refuses nodes with different data dirs", () => {
      const nodes = [facts("a", "v1.32.2+k3s1"), facts("b", "v1.32.2+k3s1", { dataDir: "/srv/k3s" })];
      expectMultusError(() => clusterLayout(nodes), { field: "nodes", input: ["a", "b"] });
    });

    it("accepts a disagreement that explicit overrides settle", () => {
      const nodes = [facts("a", "v1.30.6+k3s1"), facts("b", "v1.30.5+k3s1")];
      const overrides = { cniBinDir: "/opt/cni/bin", cniConfDir: K3S_CONF };
      expect(clusterLayout(nodes, overrides)).to.deep.equal(layout("/opt/cni/bin", K3S_CONF));
    });

    it("refuses an empty node list", () => {
      expectMultusError(() => clusterLayout([]), { field: "nodes", input: [] });
    });
  });

  describe("pinnedLayout", () => {
    const rows: {
      name: string;
      pinned: { tag?: string; dataDir?: string; flannel?: boolean };
      overrides?: LayoutOverrides;
      want: CniLayout;
    }[] = [
      { name: "a new version", pinned: { tag: "v1.30.6+k3s1" }, want: layout(NEW_BIN, K3S_CONF) },
      { name: "an old version", pinned: { tag: "v1.30.5+k3s1" }, want: layout(OLD_BIN, K3S_CONF) },
      {
        name: "a version and a data dir",
        pinned: { tag: "v1.29.10+k3s1", dataDir: "/data/k3s" },
        want: layout("/data/k3s/data/cni", "/data/k3s/agent/etc/cni/net.d"),
      },
      {
        name: "flannel off",
        pinned: { tag: "v1.29.10+k3s1", flannel: false },
        want: layout("/opt/cni/bin", "/etc/cni/net.d"),
      },
      {
        name: "both dirs and no version",
        pinned: {},
        overrides: { cniBinDir: "/opt/b/", cniConfDir: "/opt/c" },
        want: layout("/opt/b", "/opt/c"),
      },
      {
        name: "a version and one dir",
        pinned: { tag: "v1.28.14+k3s1" },
        overrides: { cniConfDir: "/opt/c" },
        want: layout(OLD_BIN, "/opt/c"),
      },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const { tag, ...rest } = row.pinned;
        const pinned = { ...rest, version: tag === undefined ? undefined : parseK3sVersion(tag) };
        expect(pinnedLayout(pinned, row.overrides ?? {})).to.deep.equal(row.want);
      });
    }

    it("refuses to guess without a version or both dirs", () => {
      for (const overrides of [{}, { cniBinDir: "/opt/b" }, { cniConfDir: "/opt/c" }]) {
        expectMultusError(() => pinnedLayout({ dataDir: "/srv/k3s" }, overrides), {
          field: "k3sVersion",
          input: undefined,
          allowed: "pin k3sVersion",
          message: ["is required without nodes"],
        });
      }
    });
  });
});
