/**
 * The chart plan: chart version parsing, the computed values for each IPAM on both sides of the K3s
 * gate, and which charts are installed in which order.
 */
import { expect } from "chai";
import {
  computeValues,
  DEFAULT_CHART_VERSION,
  parseChartVersion,
  planCharts,
} from "../../provider/src/plan/chart";
import { CniLayout, nodeLayout } from "../../provider/src/plan/layout";
import { parseK3sVersion } from "../../provider/src/plan/version";
import { expectMultusError } from "../helpers/errors";
import { jsonText } from "../helpers/dig";

type Ipam = "host-local" | "whereabouts" | "dhcp";

function k3sLayout(tag: string, flannel = true): CniLayout {
  return nodeLayout({ host: "n1", version: parseK3sVersion(tag), dataDir: "/var/lib/rancher/k3s", flannel });
}
const OLD = k3sLayout("v1.30.5+k3s1");
const NEW = k3sLayout("v1.30.6+k3s1");
const NO_FLANNEL = k3sLayout("v1.30.6+k3s1", false);

/** The values the K3s docs describe, plus `multusAutoconfigDir` from chart v4.2.202. */
function expectedValues(
  l: CniLayout,
  ipam: readonly Ipam[],
  autoconfigDir: boolean,
  ownCrd = false,
): Record<string, unknown> {
  const cniConf: Record<string, unknown> = {
    confDir: l.confDir,
    binDir: l.binDir,
    kubeconfig: l.multusKubeconfig,
  };
  if (autoconfigDir) cniConf.multusAutoconfigDir = l.confDir;
  cniConf.cleanupConfigOnExit = true; // every chart from v4.0.2-build2023081100 passes the flag
  const values: Record<string, unknown> = { config: { cni_conf: cniConf } };
  if (ipam.includes("whereabouts")) {
    values["rke2-whereabouts"] = {
      fullnameOverride: "whereabouts",
      enabled: true,
      cniConf: { confDir: l.confDir, binDir: l.binDir },
    };
  }
  const manifests: Record<string, unknown> = {};
  // Before v4.3.009 the chart's own CRDs are off: they come from rke2-multus-crd (kept on uninstall).
  if (ownCrd) manifests.customResourceDefinition = false;
  if (ipam.includes("dhcp")) manifests.dhcpDaemonSet = true;
  if (Object.keys(manifests).length > 0) values.manifests = manifests;
  return values;
}

const IPAM_SETS: Ipam[][] = [
  [],
  ["host-local"],
  ["whereabouts"],
  ["dhcp"],
  ["host-local", "whereabouts"],
  ["host-local", "dhcp"],
  ["whereabouts", "dhcp"],
  ["host-local", "whereabouts", "dhcp"],
];

describe("chart", () => {
  describe("parseChartVersion", () => {
    const valid: { text: string; sv: string }[] = [
      { text: "v4.3.017", sv: "4.3.17" },
      { text: "v4.3.009", sv: "4.3.9" },
      { text: "v4.2.202", sv: "4.2.202" },
      { text: "4.1.000", sv: "4.1.0" },
      { text: "v4.0.0", sv: "4.0.0" },
      { text: "v4.0.2-build2024020802", sv: "4.0.2-build2024020802" },
      // Parsed (so that the gates can say why they refuse it and what to use instead).
      { text: "v3.9.3-build2023010903", sv: "3.9.3-build2023010903" },
      { text: "v3.8-build2021110403", sv: "3.8.0-build2021110403" },
    ];
    for (const { text, sv } of valid) {
      it(`accepts ${text} (${sv})`, () =>
        expect(parseChartVersion(text)).to.deep.equal({ text, semver: sv }));
    }
    const invalid: unknown[] = [
      "v3.8",
      "v3.99.99999",
      "latest",
      "",
      "v4.3",
      "v4.3.017; rm -rf /",
      "v4.3.017\n",
      " v4.3.017",
      "$(id)",
      4.3,
      undefined,
    ];
    for (const input of invalid) {
      it(`refuses ${jsonText(input) ?? "undefined"}`, () => {
        expectMultusError(() => parseChartVersion(input), {
          field: "chart.version",
          input,
          allowed: `expected an rke2-multus chart version such as ${DEFAULT_CHART_VERSION}`,
        });
      });
    }
  });

  describe("computeValues for each IPAM on both sides of the K3s gate", () => {
    for (const { side, l } of [
      { side: "old K3s (data/current/bin)", l: OLD },
      { side: "new K3s (data/cni)", l: NEW },
      { side: "K3s without flannel", l: NO_FLANNEL },
    ] as const) {
      // Per chart: sets multusAutoconfigDir, is planned at all, is planned with dhcp, ships its own CRDs.
      for (const { chart, autoconfigDir, plans, plansDhcp, ownCrd } of [
        { chart: "v4.1.404", autoconfigDir: false, plans: true, plansDhcp: false, ownCrd: true },
        { chart: "v4.2.201", autoconfigDir: false, plans: false, plansDhcp: false, ownCrd: true },
        { chart: "v4.2.202", autoconfigDir: true, plans: true, plansDhcp: false, ownCrd: true },
        { chart: "v4.2.414", autoconfigDir: true, plans: true, plansDhcp: true, ownCrd: true },
        { chart: DEFAULT_CHART_VERSION, autoconfigDir: true, plans: true, plansDhcp: true, ownCrd: false },
      ] as const) {
        for (const ipam of IPAM_SETS) {
          it(`${side}, chart ${chart}, ipam [${ipam.join(", ")}]`, () => {
            const want = expectedValues(l, ipam, autoconfigDir, ownCrd);
            expect(computeValues(parseChartVersion(chart), l, ipam)).to.deep.equal(want);
            // The gates refuse some of these (tests/unit/chart-gates.test.ts); the rest plan these values.
            if (!plans || (ipam.includes("dhcp") && !plansDhcp)) return;
            const plan = planCharts({
              version: parseChartVersion(chart),
              layout: l,
              ipam,
              releaseName: "multus",
            });
            expect(plan.values).to.deep.equal(want);
          });
        }
      }
    }
  });

  describe("planCharts: which charts, in which order", () => {
    const rows: { chart: string; ipam: Ipam[]; release?: string; crd?: string; crdValues?: object }[] = [
      // Before v4.3.009 too: the oldest rke2-multus-crd that renders (the CRDs, kept on uninstall).
      { chart: "v4.0.2-build2024020802", ipam: [], crd: "4.3.010", crdValues: {} },
      { chart: "4.1.000", ipam: [], crd: "4.3.010", crdValues: {} },
      {
        chart: "v4.2.418",
        ipam: ["whereabouts", "dhcp"],
        crd: "4.3.010",
        crdValues: { "rke2-whereabouts": { enabled: true } },
      },
      {
        chart: "v4.3.008",
        ipam: ["whereabouts"],
        crd: "4.3.010",
        crdValues: { "rke2-whereabouts": { enabled: true } },
      },
      { chart: "v4.3.010", ipam: [], crd: "4.3.010", crdValues: {} },
      {
        chart: "v4.3.010",
        ipam: ["whereabouts"],
        crd: "4.3.010",
        crdValues: { "rke2-whereabouts": { enabled: true } },
      },
      { chart: "v4.3.017", ipam: ["dhcp"], crd: "4.3.017", crdValues: {} },
      {
        chart: "v4.3.017",
        ipam: ["host-local", "whereabouts", "dhcp"],
        release: "net",
        crd: "4.3.017",
        crdValues: { "rke2-whereabouts": { enabled: true } },
      },
    ];
    for (const row of rows) {
      const release = row.release ?? "multus";
      const label = row.crd ? `rke2-multus-crd ${row.crd}, then rke2-multus` : "rke2-multus only";
      it(`${row.chart}, ipam [${row.ipam.join(", ")}], release ${release}: ${label}`, () => {
        const plan = planCharts({
          version: parseChartVersion(row.chart),
          layout: NEW,
          ipam: row.ipam,
          releaseName: release,
        });
        const multus = {
          chart: "rke2-multus",
          version: row.chart,
          releaseName: release,
          values: plan.values,
        };
        const want = row.crd
          ? [
              {
                chart: "rke2-multus-crd",
                version: row.crd,
                releaseName: `${release}-crd`,
                values: row.crdValues,
              },
              multus,
            ]
          : [multus];
        expect(plan.charts).to.deep.equal(want);
        expect(plan.separateCrdChart).to.equal(row.crd !== undefined);
      });
    }
  });
});
