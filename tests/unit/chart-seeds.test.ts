/**
 * Golden and contract tests of the chart values against the shared material: the K3s docs seeds
 * (../shared/seeds) and the real rke2 chart values files (../shared/chart-values), read at test time.
 * Golden files of our own exact bytes live in tests/golden/values; regenerate them with
 * `UPDATE_GOLDEN=1 npx mocha tests/unit/chart-seeds.test.ts` and review the diff.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
  computeValues,
  DEFAULT_CHART_REPOSITORY,
  DEFAULT_CHART_VERSION,
  parseChartVersion,
  planCharts,
} from "../../provider/src/plan/chart";
import { CniLayout, nodeLayout } from "../../provider/src/plan/layout";
import { validateInputs } from "../../provider/src/plan/plan";
import { stableYaml } from "../../provider/src/plan/stable";
import { parseK3sVersion } from "../../provider/src/plan/version";
import {
  chartKeys,
  hasPath,
  leafPaths,
  NEW_SEED_TITLE,
  newSeedValues,
  OLD_SEED_TITLE,
  oldSeedValues,
  readChartFile,
  requireShared,
  SEED_TABS,
  seedByTitle,
} from "../helpers/shared";
import { dig } from "../helpers/dig";

type Ipam = "host-local" | "whereabouts" | "dhcp";

const layoutFor = (tag: string, flannel = true): CniLayout =>
  nodeLayout({ host: "n1", version: parseK3sVersion(tag), dataDir: "/var/lib/rancher/k3s", flannel });
const SIDES = [
  { side: "old-k3s", tag: "v1.30.5+k3s1", layout: layoutFor("v1.30.5+k3s1") },
  { side: "new-k3s", tag: "v1.30.6+k3s1", layout: layoutFor("v1.30.6+k3s1") },
] as const;
/** A chart from before v4.2.202: nothing newer than what the seeds describe is needed. */
const SEED_ERA_CHART = "v4.1.404";

/** Seed values, normalised: binDir without its trailing slash (both forms name the same dir). */
function normalise(values: unknown): unknown {
  if (Array.isArray(values)) return values.map(normalise);
  if (typeof values !== "object" || values === null) return values;
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k,
      k === "binDir" && typeof v === "string" && v.length > 1 ? v.replace(/\/+$/, "") : normalise(v),
    ]),
  );
}

const plan = (chart: string, layout: CniLayout, ipam: readonly Ipam[]) =>
  planCharts({ version: parseChartVersion(chart), layout, ipam, releaseName: "multus" });

/**
 * The seeds' values plus what the component adds on purpose to the seed-era chart:
 * `cleanupConfigOnExit: true` (it also runs the kubeconfig-rotation loop, multus-cni #852; the
 * seeds predate it) and `manifests.customResourceDefinition: false` (the CRDs come from
 * rke2-multus-crd, kept on uninstall: this chart's NAD CRD has no keep policy).
 */
function seedPlusCleanup<T>(seed: T): T {
  const copy = JSON.parse(JSON.stringify(seed)) as {
    config: { cni_conf: Record<string, unknown> };
    manifests?: Record<string, unknown>;
  };
  copy.config.cni_conf.cleanupConfigOnExit = true;
  copy.manifests = { customResourceDefinition: false, ...copy.manifests };
  return copy as T;
}

/** The seed-era chart's DHCP daemon cannot restart (stale socket, fixed in v4.2.414): its DHCP tab is refused. */
const refusesDhcp = (ipam: readonly Ipam[]) => ipam.includes("dhcp");

describe("chart values against the K3s docs and the real chart", () => {
  describe("golden: the seeds' values files", () => {
    for (const { tab, ipam } of SEED_TABS) {
      it(`old K3s (English seed), tab ${tab}, chart ${SEED_ERA_CHART}`, function () {
        requireShared(this);
        const seed = normalise(oldSeedValues(seedByTitle(OLD_SEED_TITLE), tab));
        const l = layoutFor("v1.30.5+k3s1");
        expect(l.binDir).to.equal("/var/lib/rancher/k3s/data/current/bin");
        expect(computeValues(parseChartVersion(SEED_ERA_CHART), l, ipam)).to.deep.equal(
          seedPlusCleanup(seed),
        );
        if (refusesDhcp(ipam)) {
          expect(() => plan(SEED_ERA_CHART, l, ipam)).to.throw(
            /DHCP daemon's init container.*use v4\.2\.414/,
          );
          return;
        }
        const p = plan(SEED_ERA_CHART, l, ipam);
        expect(p.charts.map((c) => `${c.chart} ${c.version}`)).to.deep.equal([
          "rke2-multus-crd 4.3.010",
          `rke2-multus ${SEED_ERA_CHART}`,
        ]);
        expect(p.values).to.deep.equal(seedPlusCleanup(seed));
      });

      it(`new K3s (Portuguese seed), tab ${tab}, chart ${SEED_ERA_CHART}`, function () {
        requireShared(this);
        const seed = newSeedValues(seedByTitle(NEW_SEED_TITLE), tab) as { config: Record<string, unknown> };
        // Deviation: the seed sets `config.fullnameOverride: multus`, which is not a key of the chart
        // (the chart's fullnameOverride is top-level, and `config` is the Multus config). The daemonset
        // is named after the release, `multus`, which is our default release name: drop the key.
        expect(seed.config.fullnameOverride).to.equal("multus");
        delete seed.config.fullnameOverride;
        const l = layoutFor("v1.30.6+k3s1");
        expect(l.binDir).to.equal("/var/lib/rancher/k3s/data/cni");
        expect(computeValues(parseChartVersion(SEED_ERA_CHART), l, ipam)).to.deep.equal(
          seedPlusCleanup(normalise(seed)),
        );
        if (refusesDhcp(ipam)) expect(() => plan(SEED_ERA_CHART, l, ipam)).to.throw(/use v4\.2\.414/);
        else expect(plan(SEED_ERA_CHART, l, ipam).values).to.deep.equal(seedPlusCleanup(normalise(seed)));
      });

      it(`new K3s, tab ${tab}, default chart ${DEFAULT_CHART_VERSION}: the seed plus what newer charts need`, function () {
        requireShared(this);
        const seed = normalise(newSeedValues(seedByTitle(NEW_SEED_TITLE), tab)) as {
          config: { fullnameOverride?: string; cni_conf: Record<string, unknown> };
        };
        delete seed.config.fullnameOverride; // not a chart key: see above
        seed.config.cni_conf.multusAutoconfigDir = seed.config.cni_conf.confDir; // from v4.2.202
        seed.config.cni_conf.cleanupConfigOnExit = true; // the default from v4.2.303; set explicitly
        const p = plan(DEFAULT_CHART_VERSION, layoutFor("v1.32.2+k3s1"), ipam);
        expect(p.values).to.deep.equal(seed);
        const crdValues = ipam.includes("whereabouts") ? { "rke2-whereabouts": { enabled: true } } : {};
        expect(p.charts).to.deep.equal([
          { chart: "rke2-multus-crd", version: "4.3.017", releaseName: "multus-crd", values: crdValues },
          { chart: "rke2-multus", version: DEFAULT_CHART_VERSION, releaseName: "multus", values: seed },
        ]);
      });
    }

    it("our defaults are the seeds' repository, chart, release name and namespace", function () {
      requireShared(this);
      const oldSeed = seedByTitle(OLD_SEED_TITLE).text;
      expect(oldSeed).to.include(`helm repo add rke2-charts ${DEFAULT_CHART_REPOSITORY}\n`);
      expect(oldSeed).to.include("helm install multus rke2-charts/rke2-multus -n kube-system");
      const helmChart = parse(seedByTitle(NEW_SEED_TITLE).tabs.get("host-local")?.[0] ?? "") as unknown;
      expect(dig(helmChart, "spec")).to.deep.include({
        repo: DEFAULT_CHART_REPOSITORY,
        chart: "rke2-multus",
        targetNamespace: "kube-system",
      });
      const chart = validateInputs({ k3sVersion: "v1.32.2+k3s1" }).chart;
      expect([chart.repository, chart.releaseName, chart.namespace]).to.deep.equal([
        DEFAULT_CHART_REPOSITORY,
        dig(helmChart, "metadata", "name"),
        "kube-system",
      ]);
    });
  });

  describe("golden files: default chart, each IPAM, each side of the K3s gate", () => {
    const GOLDEN_DIR = path.resolve(__dirname, "../golden/values");
    const sets: Ipam[][] = [["host-local"], ["whereabouts"], ["dhcp"], ["whereabouts", "dhcp"]];
    for (const { side, tag, layout } of SIDES) {
      for (const ipam of sets) {
        const file = path.join(GOLDEN_DIR, `${side}.${ipam.join("+")}.yaml`);
        it(`${path.basename(file)} (K3s ${tag})`, () => {
          const text = stableYaml(plan(DEFAULT_CHART_VERSION, layout, ipam).values);
          if (process.env.UPDATE_GOLDEN) {
            fs.mkdirSync(GOLDEN_DIR, { recursive: true });
            fs.writeFileSync(file, text);
          }
          expect(fs.existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1`).to.equal(true);
          expect(text).to.equal(fs.readFileSync(file, "utf8"));
        });
      }
    }
  });

  describe("contract: every key we set exists in the real chart", () => {
    const versions = [
      { chart: DEFAULT_CHART_VERSION, file: "rke2-multus-v4.3.017.values.yaml" },
      { chart: "v4.2.418", file: "rke2-multus-v4.2.418.values.yaml" },
    ];
    for (const { chart, file } of versions) {
      for (const { side, layout } of SIDES) {
        it(`chart ${chart}, ${side}: leaves of the computed values are keys of ${file}`, function () {
          requireShared(this);
          const multus = chartKeys(readChartFile(file)).real;
          const whereabouts = chartKeys(readChartFile("rke2-whereabouts-0.9.4.values.yaml")).real;
          const paths = leafPaths(plan(chart, layout, ["host-local", "whereabouts", "dhcp"]).values);
          expect(paths.map((p) => p.join("."))).to.include.members([
            "config.cni_conf.multusAutoconfigDir",
            "rke2-whereabouts.cniConf.binDir",
            "manifests.dhcpDaemonSet",
          ]);
          for (const p of paths) {
            // Keys under rke2-whereabouts are the subchart's, except `enabled`, its condition in the parent.
            const [doc, key] =
              p[0] === "rke2-whereabouts" && p[1] !== "enabled" ? [whereabouts, p.slice(1)] : [multus, p];
            // Uncommented keys only: multusAutoconfigDir is a real key under config.cni_conf (the quoted
            // one under config.daemon_conf is the thick plugin's and would not count).
            expect(hasPath(doc, key), `${p.join(".")} is not a key of the chart`).to.equal(true);
          }
        });
      }
    }

    const refused: { key: string; kind: "real" | "commented" }[] = [
      { key: "thickPlugin.enabled", kind: "real" },
      { key: "pod.resources.enabled", kind: "real" },
      { key: "config.cni_conf.multusAutoconfigDir", kind: "real" },
      { key: "config.cni_conf.logToStderr", kind: "commented" },
      { key: "config.cni_conf.cniVersion", kind: "commented" },
      { key: "config.cni_conf.namespaceIsolation", kind: "commented" },
      { key: "global.systemDefaultRegistry", kind: "real" },
    ];
    for (const { key, kind } of refused) {
      it(`the key ${key}, which we check in user values, is a ${kind} key of the chart`, function () {
        requireShared(this);
        const keys = chartKeys(readChartFile("rke2-multus-v4.3.017.values.yaml"));
        expect(hasPath(keys.real, key.split("."))).to.equal(kind === "real");
        expect(hasPath(keys.withCommented, key.split("."))).to.equal(true);
      });
    }

    it("rke2-whereabouts.enabled is the subchart's condition", function () {
      requireShared(this);
      const req = parse(readChartFile("rke2-multus-v4.3.017.requirements.yaml")) as unknown;
      expect(dig(req, "dependencies")).to.deep.include({
        condition: "rke2-whereabouts.enabled",
        name: "rke2-whereabouts",
        repository: "file://./charts/rke2-whereabouts",
      });
    });
  });

  describe("contract: the chart index", () => {
    const index = () =>
      readChartFile("rke2-charts-index.tsv")
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => line.split("\t"))
        .map(([chart, version]) => ({ chart, version }));

    it(`lists the default chart version ${DEFAULT_CHART_VERSION} and its CRD chart`, function () {
      requireShared(this);
      const rows = index();
      expect(rows).to.deep.include({ chart: "rke2-multus", version: DEFAULT_CHART_VERSION });
      expect(rows).to.deep.include({
        chart: "rke2-multus-crd",
        version: DEFAULT_CHART_VERSION.replace(/^v/, ""),
      });
      expect(dig(parse(readChartFile("rke2-multus-crd-4.3.017.Chart.yaml")), "version")).to.equal("4.3.017");
      expect(dig(parse(readChartFile("rke2-multus-v4.3.017.Chart.yaml")), "version")).to.equal(
        DEFAULT_CHART_VERSION,
      );
    });

    it("every rke2-multus-crd version is an rke2-multus version without v (the index, not the habit, decides: see crdChartVersion)", function () {
      requireShared(this);
      const rows = index();
      const multus = new Set(rows.filter((r) => r.chart === "rke2-multus").map((r) => r.version));
      const crd = rows.filter((r) => r.chart === "rke2-multus-crd").map((r) => r.version);
      expect(crd).to.have.lengthOf(9);
      for (const v of crd) expect(multus.has(`v${v}`), `rke2-multus v${v}`).to.equal(true);
    });

    it("planCharts installs the CRD chart for every version: the same number from v4.3.010 on, before v4.3.009 the oldest that renders", function () {
      requireShared(this);
      const rows = index();
      const crd = new Set(rows.filter((r) => r.chart === "rke2-multus-crd").map((r) => r.version));
      const noFlannel = layoutFor("v1.32.2+k3s1", false); // v4.2.107/v4.2.200 accept /etc/cni/net.d
      let planned = 0;
      for (const { chart, version } of rows) {
        if (chart !== "rke2-multus") continue;
        let p;
        try {
          p = plan(version, noFlannel, ["whereabouts"]);
        } catch (e) {
          expect(String(e), version).to.match(/^MultusError: chart\.version: .* cannot work on K3s: /);
          continue;
        }
        const bare = version.replace(/^v/, "");
        expect(p.separateCrdChart, version).to.equal(true);
        const want = crd.has(bare) ? bare : "4.3.010";
        expect(crd.has(want)).to.equal(true);
        expect(p.charts[0], version).to.deep.include({ chart: "rke2-multus-crd", version: want });
        // The chart's own NAD CRD is off exactly where it has one (before v4.3.009).
        const own = (p.values.manifests as Record<string, unknown> | undefined)?.customResourceDefinition;
        expect(own, version).to.equal(crd.has(bare) ? undefined : false);
        planned++;
      }
      expect(planned).to.be.above(80);
    });
  });
});
