/**
 * User chart values merged over the computed ones: what is allowed, and what is refused because the
 * Multus it installs could not work on K3s.
 */
import { expect } from "chai";
import { DEFAULT_CHART_VERSION, parseChartVersion, planCharts } from "../../provider/src/plan/chart";
import { CniLayout, nodeLayout } from "../../provider/src/plan/layout";
import { parseK3sVersion } from "../../provider/src/plan/version";
import { expectMultusError } from "../helpers/errors";

type Ipam = "host-local" | "whereabouts" | "dhcp";

function k3sLayout(tag: string, flannel = true): CniLayout {
  return nodeLayout({ host: "n1", version: parseK3sVersion(tag), dataDir: "/var/lib/rancher/k3s", flannel });
}
const OLD = k3sLayout("v1.30.5+k3s1");
const NEW = k3sLayout("v1.30.6+k3s1");
const NO_FLANNEL = k3sLayout("v1.30.6+k3s1", false);

describe("chart: user values", () => {
  const version = parseChartVersion(DEFAULT_CHART_VERSION);
  const plan = (userValues: Record<string, unknown>, ipam: Ipam[] = ["whereabouts"]) =>
    planCharts({ version, layout: NEW, ipam, releaseName: "multus", userValues });

  it("are deep-merged last: new keys join, scalars win, computed siblings stay", () => {
    const values = plan({
      config: { cni_conf: { namespaceIsolation: true, kubeconfig: NEW.multusKubeconfig } },
      global: { systemDefaultRegistry: "registry.lan:5000" },
      "rke2-whereabouts": { fullnameOverride: "wb" },
    }).values;
    expect(values).to.deep.equal({
      config: {
        cni_conf: {
          confDir: NEW.confDir,
          binDir: NEW.binDir,
          kubeconfig: NEW.multusKubeconfig,
          multusAutoconfigDir: NEW.confDir,
          cleanupConfigOnExit: true,
          namespaceIsolation: true,
        },
      },
      global: { systemDefaultRegistry: "registry.lan:5000" },
      "rke2-whereabouts": {
        fullnameOverride: "wb",
        enabled: true,
        cniConf: { confDir: NEW.confDir, binDir: NEW.binDir },
      },
    });
  });

  it("arrays replace rather than merge", () => {
    const tolerations = [{ operator: "Exists", effect: "NoSchedule" }];
    const first = plan({ tolerations, imagePullSecrets: [{ name: "a" }] }).values;
    expect(first.tolerations).to.deep.equal(tolerations);
    const merged = planCharts({
      version,
      layout: NEW,
      ipam: ["whereabouts"],
      releaseName: "multus",
      userValues: { ...first, tolerations: [{ operator: "Exists" }], imagePullSecrets: [] },
    }).values;
    expect(merged.tolerations).to.deep.equal([{ operator: "Exists" }]);
    expect(merged.imagePullSecrets).to.deep.equal([]);
  });

  it("do not change the caller's object", () => {
    const user = { config: { cni_conf: { namespaceIsolation: true } } };
    const before = JSON.stringify(user);
    plan(user);
    expect(JSON.stringify(user)).to.equal(before);
  });

  const allowed: {
    name: string;
    chart: string;
    l: CniLayout;
    userValues: Record<string, unknown>;
    ipam: Ipam[];
  }[] = [
    {
      name: "thickPlugin.enabled false",
      chart: DEFAULT_CHART_VERSION,
      l: NEW,
      userValues: { thickPlugin: { enabled: false } },
      ipam: [],
    },
    {
      name: "pod.resources.enabled false",
      chart: DEFAULT_CHART_VERSION,
      l: NEW,
      userValues: { pod: { resources: { enabled: false } } },
      ipam: [],
    },
    {
      name: "the computed dirs repeated",
      chart: DEFAULT_CHART_VERSION,
      l: NEW,
      userValues: {
        config: {
          cni_conf: { confDir: NEW.confDir, binDir: NEW.binDir, multusAutoconfigDir: NEW.confDir },
        },
        "rke2-whereabouts": { cniConf: { binDir: NEW.binDir, confDir: NEW.confDir } },
      },
      ipam: ["whereabouts"],
    },
    {
      name: "manifests.dhcpDaemonSet true with dhcp",
      chart: DEFAULT_CHART_VERSION,
      l: NEW,
      userValues: { manifests: { dhcpDaemonSet: true } },
      ipam: ["dhcp"],
    },
    {
      name: "v4.2.107 with the default dirs (flannel off)",
      chart: "v4.2.107",
      l: NO_FLANNEL,
      userValues: {},
      ipam: [],
    },
    { name: "v4.2.106 with K3s' dirs", chart: "v4.2.106", l: NEW, userValues: {}, ipam: [] },
  ];
  for (const { name, chart, l, userValues, ipam } of allowed) {
    it(`allow ${name}`, () => {
      expect(() =>
        planCharts({
          version: parseChartVersion(chart),
          layout: l,
          ipam,
          releaseName: "multus",
          userValues,
        }),
      ).not.to.throw();
    });
  }

  const refused: {
    name: string;
    chart?: string;
    layout?: CniLayout;
    ipam?: Ipam[];
    user: Record<string, unknown>;
    field: string;
    input: unknown;
    allowed: string;
  }[] = [
    {
      name: "the thick plugin",
      user: { thickPlugin: { enabled: true } },
      field: "chart.values.thickPlugin.enabled",
      input: true,
      allowed: "hard-codes /etc/cni/net.d",
    },
    {
      name: "multusAutoconfigDir unlike confDir",
      user: { config: { cni_conf: { multusAutoconfigDir: "/etc/cni/net.d" } } },
      field: "chart.values.config.cni_conf.multusAutoconfigDir",
      input: "/etc/cni/net.d",
      allowed: JSON.stringify(NEW.confDir),
    },
    {
      name: "confDir moved (with multusAutoconfigDir)",
      user: { config: { cni_conf: { confDir: "/etc/x", multusAutoconfigDir: "/etc/x" } } },
      field: "chart.values.config.cni_conf.confDir",
      input: "/etc/x",
      allowed: "cniConfDir",
    },
    {
      name: "binDir moved",
      user: { config: { cni_conf: { binDir: "/opt/cni/bin" } } },
      field: "chart.values.config.cni_conf.binDir",
      input: "/opt/cni/bin",
      allowed: "cniBinDir",
    },
    {
      name: "binDir removed",
      user: { config: { cni_conf: { binDir: null } } },
      field: "chart.values.config.cni_conf.binDir",
      input: null,
      allowed: "cniBinDir",
    },
    {
      name: "the kubeconfig moved",
      user: { config: { cni_conf: { kubeconfig: "/etc/other.kubeconfig" } } },
      field: "chart.values.config.cni_conf.kubeconfig",
      input: "/etc/other.kubeconfig",
      allowed: "cniConfDir",
    },
    {
      name: "any multusAutoconfigDir before v4.2.202",
      chart: "v4.2.106",
      user: { config: { cni_conf: { multusAutoconfigDir: NEW.confDir } } },
      field: "chart.values.config.cni_conf.multusAutoconfigDir",
      input: NEW.confDir,
      allowed: "expected it unset",
    },
    {
      name: "Whereabouts' bin dir moved",
      user: { "rke2-whereabouts": { cniConf: { binDir: "/opt/cni/bin" } } },
      field: "chart.values.rke2-whereabouts.cniConf",
      input: { confDir: NEW.confDir, binDir: "/opt/cni/bin" },
      allowed: "cniBinDir and cniConfDir",
    },
    {
      name: "Whereabouts' cniConf given another key",
      user: { "rke2-whereabouts": { cniConf: { extra: "/x" } } },
      field: "chart.values.rke2-whereabouts.cniConf",
      input: { confDir: NEW.confDir, binDir: NEW.binDir, extra: "/x" },
      allowed: "unset or equal to the computed",
    },
    {
      name: "the DHCP daemon switched off while a network uses DHCP",
      ipam: ["dhcp"],
      user: { manifests: { dhcpDaemonSet: false } },
      field: "chart.values.manifests.dhcpDaemonSet",
      input: false,
      allowed: "needs the DHCP daemon",
    },
    {
      name: "the DHCP daemon switched on without DHCP",
      user: { manifests: { dhcpDaemonSet: true } },
      field: "chart.values.manifests.dhcpDaemonSet",
      input: true,
      allowed: "add dhcp to `ipam`",
    },
    {
      name: "the ConfigMap switched off where its checksum restarts Multus after K3s upgrades",
      layout: OLD,
      user: { manifests: { configMap: false } },
      field: "chart.values.manifests.configMap",
      input: false,
      allowed: "bin dir moves on upgrades",
    },
    {
      name: "the rollout key overridden",
      layout: OLD,
      user: { config: { cni_conf: { k3sVersions: "v1" } } },
      field: "chart.values.config.cni_conf.k3sVersions",
      input: "v1",
      allowed: "v1.30.5+k3s1",
    },
    {
      name: "chart v4.2.107 with K3s' dirs",
      chart: "v4.2.107",
      user: {},
      field: "chart.version",
      input: "v4.2.107",
      allowed: "use v4.2.106",
    },
    {
      name: "chart v4.2.200 with K3s' dirs",
      chart: "v4.2.200",
      user: {},
      field: "chart.version",
      input: "v4.2.200",
      allowed: "use v4.2.202",
    },
    {
      name: "pod.resources.enabled",
      user: { pod: { resources: { enabled: true } } },
      field: "chart.values.pod.resources.enabled",
      input: true,
      allowed: "resources: null",
    },
    {
      name: "logToStderr",
      user: { config: { cni_conf: { logToStderr: true } } },
      field: "chart.values.config.cni_conf.logToStderr",
      input: true,
      allowed: "one-dash flag",
    },
    {
      name: "cniVersion",
      user: { config: { cni_conf: { cniVersion: "0.3.1" } } },
      field: "chart.values.config.cni_conf.cniVersion",
      input: "0.3.1",
      allowed: "master config",
    },
    {
      name: "cniVersion even when it matches",
      user: { config: { cni_conf: { cniVersion: "1.0.0" } } },
      field: "chart.values.config.cni_conf.cniVersion",
      input: "1.0.0",
      allowed: "unset",
    },
    {
      name: "whereabouts switched off by values while networks use it",
      user: { "rke2-whereabouts": { enabled: false } },
      field: "chart.values.rke2-whereabouts.enabled",
      input: false,
      allowed: "add whereabouts to `ipam`",
    },
  ];
  for (const row of refused) {
    it(`refuse ${row.name}, naming ${row.field}`, () => {
      const run = () =>
        planCharts({
          version: parseChartVersion(row.chart ?? DEFAULT_CHART_VERSION),
          layout: row.layout ?? NEW,
          ipam: row.ipam ?? ["whereabouts"],
          releaseName: "multus",
          userValues: row.user,
          k3sVersions: ["v1.30.5+k3s1"],
        });
      expectMultusError(run, { field: row.field, input: row.input, allowed: row.allowed });
    });
  }
});
