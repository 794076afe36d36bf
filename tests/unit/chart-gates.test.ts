/**
 * The chart version gates (provider/src/plan/chartGates.ts), the rke2-multus-crd pairing and the
 * rollout values, as pure functions. That the gates match what the published charts render is
 * tests/charts/render.test.ts's job (real Helm); here: the reasons, the nearest good version, the
 * early refusal before detection, and the values that restart the DaemonSets after K3s upgrades.
 */
import { expect } from "chai";
import { IpamPlugin } from "../../provider/src/networkArgs";
import { computeValues, crdChartVersion, parseChartVersion, planCharts } from "../../provider/src/plan/chart";
import { nearestGoodVersion, refusalReason } from "../../provider/src/plan/chartGates";
import { CniLayout, nodeLayout } from "../../provider/src/plan/layout";
import { validateInputs } from "../../provider/src/plan/plan";
import { ROLLOUT_ANNOTATION, rolloutKey } from "../../provider/src/plan/rollout";
import { parseK3sVersion } from "../../provider/src/plan/version";
import { expectMultusError } from "../helpers/errors";

const layout = (tag: string, flannel = true, dataDir = "/var/lib/rancher/k3s"): CniLayout =>
  nodeLayout({ host: "n1", version: parseK3sVersion(tag), dataDir, flannel });
const OLD = layout("v1.30.5+k3s1");
const NEW = layout("v1.31.2+k3s1");
const NO_FLANNEL = layout("v1.31.2+k3s1", false);

describe("chart gates", () => {
  const rows: {
    version: string;
    layout: CniLayout;
    ipam: IpamPlugin[];
    reason?: RegExp;
    nearest?: string;
  }[] = [
    { version: "v4.3.017", layout: NEW, ipam: ["host-local", "whereabouts", "dhcp"] },
    {
      version: "v3.9.3-build2023010903",
      layout: NEW,
      ipam: [],
      reason: /Multus 3 chart/,
      nearest: "v4.0.2-build2024020802",
    },
    {
      version: "v4.0.2-build2023070601",
      layout: NO_FLANNEL,
      ipam: [],
      reason: /--cni-version=0\.3\.1/,
      nearest: "v4.0.2-build2024020802",
    },
    {
      version: "v4.0.2-build2023081105",
      layout: NEW,
      ipam: [],
      reason: /--cni-conf-dir==/,
      nearest: "v4.0.2-build2024020802",
    },
    {
      version: "v4.0.2-build2024020801",
      layout: NEW,
      ipam: [],
      reason: /amd64/,
      nearest: "v4.0.2-build2024020802",
    },
    { version: "v4.0.2-build2024020802", layout: NEW, ipam: [] },
    {
      version: "v4.0.2-build2024020802",
      layout: NEW,
      ipam: ["whereabouts"],
      reason: /Whereabouts hostPaths are hard-coded/,
      nearest: "v4.1.202",
    },
    { version: "v4.0.2-build2024020802", layout: NO_FLANNEL, ipam: ["whereabouts"] },
    {
      version: "v4.0.203",
      layout: NEW,
      ipam: ["whereabouts"],
      reason: /whereabouts\.kubeconfig, which does not exist/,
      nearest: "v4.1.202",
    },
    { version: "v4.1.201", layout: NO_FLANNEL, ipam: ["whereabouts"] },
    { version: "v4.1.202", layout: NEW, ipam: ["whereabouts"] },
    {
      version: "v4.0.203",
      layout: NO_FLANNEL,
      ipam: ["dhcp"],
      reason: /DHCP daemon's init container/,
      nearest: "v4.2.414",
    },
    {
      version: "v4.0.203",
      layout: NEW,
      ipam: ["dhcp"],
      reason: /hard-coded host dir \/opt\/cni/,
      nearest: "v4.2.414",
    },
    {
      version: "v4.2.413",
      layout: NEW,
      ipam: ["dhcp"],
      reason: /cannot restart until the node reboots/,
      nearest: "v4.2.414",
    },
    { version: "v4.2.414", layout: NEW, ipam: ["dhcp"] },
    { version: "v4.1.001", layout: OLD, ipam: [], reason: /moves on every upgrade/, nearest: "v4.1.002" },
    { version: "v4.1.001", layout: NEW, ipam: [] },
    { version: "v4.1.002", layout: OLD, ipam: [] },
    { version: "v4.2.107", layout: NEW, ipam: [], reason: /k3s-io\/docs #450/, nearest: "v4.2.106" },
    {
      version: "v4.2.200",
      layout: layout("v1.31.2+k3s1", true, "/srv/k3s"),
      ipam: [],
      reason: /k3s-io\/docs #450/,
      nearest: "v4.2.202",
    },
    { version: "v4.2.107", layout: NO_FLANNEL, ipam: ["whereabouts"] },
    { version: "v4.2.201", layout: NO_FLANNEL, ipam: [], reason: /duplicate mountPath/, nearest: "v4.2.202" },
    {
      version: "v4.3.009",
      layout: NEW,
      ipam: [],
      reason: /rke2-multus-crd 4\.3\.009 does not render/,
      nearest: "v4.3.010",
    },
    // Not published: half-way between v4.2.403 and v4.2.405; the nearest good one that has DHCP.
    { version: "v4.2.404", layout: NEW, ipam: ["dhcp"], reason: /DHCP/, nearest: "v4.2.414" },
    { version: "v4.2.404", layout: NEW, ipam: [] },
  ];
  for (const row of rows) {
    const where = `${row.version}, bin ${row.layout.binDir}, ipam [${row.ipam.join(", ")}]`;
    const plan = () =>
      planCharts({
        version: parseChartVersion(row.version),
        layout: row.layout,
        ipam: row.ipam,
        releaseName: "multus",
        k3sVersions: ["v1.30.5+k3s1"],
      });
    if (!row.reason) {
      it(`accepts ${where}`, () => {
        expect(
          refusalReason(parseChartVersion(row.version).semver, { layout: row.layout, ipam: row.ipam }),
        ).to.equal(undefined);
        expect(plan).not.to.throw();
      });
      continue;
    }
    it(`refuses ${where}, naming the reason and ${row.nearest}`, () => {
      const err = expectMultusError(plan, {
        field: "chart.version",
        input: row.version,
        allowed: `use ${row.nearest}, the nearest published version that works here`,
        message: [/cannot work on K3s: /, row.reason as RegExp],
      });
      expect(err.allowed).to.include(row.layout.binDir);
      expect(
        nearestGoodVersion(parseChartVersion(row.version).semver, { layout: row.layout, ipam: row.ipam }),
      ).to.equal(row.nearest);
    });
  }

  it("refuses a version no layout can save before any node is contacted (validateInputs)", () => {
    expectMultusError(() => validateInputs({ nodes: [{ host: "n1" }], chart: { version: "v4.3.009" } }), {
      field: "chart.version",
      input: "v4.3.009",
      allowed: "use v4.3.010",
    });
    expectMultusError(
      () => validateInputs({ nodes: [{ host: "n1" }], ipam: ["dhcp"], chart: { version: "v4.2.300" } }),
      {
        field: "chart.version",
        allowed: "use v4.2.414",
      },
    );
    // Before detection the suggestion must work on any layout: v4.0.2-build2024020802 would not on
    // K3s before the gate (no restart on upgrades), so the nearest that works everywhere is named.
    expectMultusError(
      () => validateInputs({ nodes: [{ host: "n1" }], chart: { version: "v4.0.2-build2024020801" } }),
      {
        field: "chart.version",
        allowed: "use v4.1.002",
      },
    );
    // Layout-dependent gates wait for the layout: v4.2.107 works without flannel.
    expect(() => validateInputs({ nodes: [{ host: "n1" }], chart: { version: "v4.2.107" } })).not.to.throw();
  });

  describe("rke2-multus-crd version, from the published index", () => {
    const rows: { multus: string; crd: string | undefined }[] = [
      // Before v4.3.009 (the chart's own CRDs turned off): the oldest that renders.
      { multus: "v4.0.2-build2024020802", crd: "4.3.010" },
      { multus: "v4.2.409", crd: "4.3.010" },
      { multus: "v4.3.008", crd: "4.3.010" },
      { multus: "v4.3.010", crd: "4.3.010" },
      { multus: "v4.3.017", crd: "4.3.017" },
      // Newer than the index knows: the newest published CRD chart, not an assumed 4.3.018.
      { multus: "v4.3.018", crd: "4.3.017" },
      { multus: "v4.4.000", crd: "4.3.017" },
      // Never the broken 4.3.009.
      { multus: "v4.3.009", crd: undefined },
    ];
    for (const { multus, crd } of rows) {
      it(`${multus} → ${crd ?? "none"}`, () =>
        expect(crdChartVersion(parseChartVersion(multus))).to.equal(crd));
    }
  });

  describe("rollout: the values change when the detected K3s versions change, and only then", () => {
    const v = parseChartVersion("v4.3.017");
    const values = (l: CniLayout, versions: string[]) => computeValues(v, l, ["whereabouts"], versions);
    it("before the gate: the versions, sorted and distinct, in cni_conf and the Whereabouts pod annotations", () => {
      const got = values(OLD, ["v1.30.5+k3s1", "v1.29.9+k3s1", "v1.30.5+k3s1"]);
      const key = "v1.29.9+k3s1,v1.30.5+k3s1";
      expect(got).to.deep.nested.include({ "config.cni_conf.k3sVersions": key, "manifests.configMap": true });
      expect((got["rke2-whereabouts"] as Record<string, unknown>).podAnnotations).to.deep.equal({
        [ROLLOUT_ANNOTATION]: key,
      });
    });
    it("before the gate: the same set in another order gives the same values; another set differs", () => {
      expect(values(OLD, ["a", "b"])).to.deep.equal(values(OLD, ["b", "a", "b"]));
      expect(values(OLD, ["v1.30.5+k3s1"])).not.to.deep.equal(values(OLD, ["v1.30.5+k3s2"]));
    });
    for (const { name, l } of [
      { name: "from the gate on", l: NEW },
      { name: "without flannel", l: NO_FLANNEL },
    ] as const) {
      it(`${name}: no version in the values, so K3s upgrades do not restart Multus`, () => {
        expect(values(l, ["v1.31.2+k3s1"])).to.deep.equal(values(l, ["v1.32.2+k3s1"]));
        expect(rolloutKey(l, ["v1.31.2+k3s1"])).to.equal(undefined);
      });
    }
    it("without known versions nothing is added", () => expect(rolloutKey(OLD, [])).to.equal(undefined));
  });
});
