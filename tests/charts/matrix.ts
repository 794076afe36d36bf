/**
 * The chart compatibility matrix: every rke2-multus version in ../shared/charts/index.yaml × four
 * K3s layouts × four IPAM sets. For each cell the planning core either refuses the version (a
 * MultusError on chart.version) or plans values; independently, the values the component computes
 * (before any gate) are rendered by real Helm from that exact package and checked structurally
 * (tests/charts/verify.ts). The render test asserts that the two agree in every cell, and
 * `npm run gen:compat` writes the table below into README.
 *
 * IPAM sets: the chart values depend on the IPAM plugins only through "whereabouts is used" and
 * "dhcp is used" (host-local needs nothing from the chart). Each plugin alone plus all three
 * together gives host-local (neither), whereabouts, dhcp and both: every combination the chart
 * can see, in four renders instead of seven.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as semver from "semver";
import { parse } from "yaml";
import { MultusError } from "../../provider/src/errors";
import { IpamPlugin } from "../../provider/src/networkArgs";
import {
  ChartVersion,
  computeValues,
  crdChartVersion,
  parseChartVersion,
  planCharts,
} from "../../provider/src/plan/chart";
import { refusingGate } from "../../provider/src/plan/chartGates";
import { CniLayout, nodeLayout } from "../../provider/src/plan/layout";
import { parseK3sVersion } from "../../provider/src/plan/version";
import { SHARED_DIR } from "../helpers/shared";
import { templateAll, TemplateJob, TemplateResult } from "./helm";
import { checkCrds, crdNames, parseManifests, podTemplates, verifyMultus } from "./verify";

export const CHARTS_DIR = path.join(SHARED_DIR, "charts");
const NAMESPACE = "kube-system";
const RELEASE = "multus";

/** One K3s the component may meet. */
export interface K3sCase {
  readonly id: string;
  readonly title: string;
  readonly layout: CniLayout;
  readonly k3sVersions: readonly string[];
  /** Other versions for the same layout (an upgrade), to check that the DaemonSets roll. */
  readonly upgradedVersions: readonly string[];
}

function k3s(
  id: string,
  title: string,
  tag: string,
  dataDir: string,
  flannel: boolean,
  upgraded: string,
): K3sCase {
  const layout = nodeLayout({ host: "n1", version: parseK3sVersion(tag), dataDir, flannel });
  return { id, title, layout, k3sVersions: [tag], upgradedVersions: [upgraded] };
}

export const K3S_CASES: readonly K3sCase[] = [
  k3s(
    "old",
    "K3s before the Oct 2024 gate (v1.30.5)",
    "v1.30.5+k3s1",
    "/var/lib/rancher/k3s",
    true,
    "v1.30.5+k3s2",
  ),
  k3s("new", "K3s from the gate on (v1.31.2)", "v1.31.2+k3s1", "/var/lib/rancher/k3s", true, "v1.32.2+k3s1"),
  k3s("datadir", "custom data dir /srv/k3s (v1.31.2)", "v1.31.2+k3s1", "/srv/k3s", true, "v1.32.2+k3s1"),
  k3s("noflannel", "flannel off (v1.31.2)", "v1.31.2+k3s1", "/var/lib/rancher/k3s", false, "v1.32.2+k3s1"),
];

export const IPAM_SETS: readonly (readonly IpamPlugin[])[] = [
  ["host-local"],
  ["whereabouts"],
  ["dhcp"],
  ["host-local", "whereabouts", "dhcp"],
];

/** One cell of the matrix. */
export interface Cell {
  readonly version: string;
  readonly k3s: K3sCase;
  readonly ipam: readonly IpamPlugin[];
  /** The planning core's refusal (the MultusError message), or undefined when it plans. */
  readonly refusal?: string;
  /** The gate's reason alone, when refused. */
  readonly reason?: string;
  /** The gate's short label, when refused. */
  readonly short?: string;
  /** What the structural checks of the real render found; empty when it renders right. */
  readonly problems: readonly string[];
}

/** The rke2-multus versions of the index, oldest first as the index's `created` orders them, and each package. */
export function indexedVersions(): { version: string; tgz: string }[] {
  const index = parse(fs.readFileSync(path.join(CHARTS_DIR, "index.yaml"), "utf8")) as {
    entries: Record<string, { version: string; created: string; urls: string[] }[]>;
  };
  return [...index.entries["rke2-multus"]]
    .sort((a, b) => a.created.localeCompare(b.created))
    .map((e) => ({ version: e.version, tgz: path.join(CHARTS_DIR, e.urls[0]) }));
}

function crdPackage(version: string): string {
  return path.join(CHARTS_DIR, "assets/rke2-multus", `rke2-multus-crd-${version}.tgz`);
}

/** The CRD chart the component would pair with this version, gates aside: its own choice, else the same number. */
function crdVersionFor(v: ChartVersion): string | undefined {
  const chosen = crdChartVersion(v);
  if (chosen) return chosen;
  const same = v.text.replace(/^v/, "");
  return semver.gte(v.semver, "4.3.9") && fs.existsSync(crdPackage(same)) ? same : undefined;
}

function refusalOf(v: ChartVersion, k: K3sCase, ipam: readonly IpamPlugin[]): string | undefined {
  try {
    planCharts({ version: v, layout: k.layout, ipam, releaseName: RELEASE, k3sVersions: k.k3sVersions });
    return undefined;
  } catch (e) {
    if (e instanceof MultusError) return e.message;
    throw e;
  }
}

/** Renders every cell (plus the upgrade renders and the CRD charts) and checks each. */
export async function runMatrix(helm: string): Promise<Cell[]> {
  interface Pending {
    version: ChartVersion;
    k3s: K3sCase;
    ipam: readonly IpamPlugin[];
    main: number;
    upgraded?: number;
    crd?: number;
  }
  const jobs: TemplateJob[] = [];
  const crdJobs = new Map<string, number>();
  const pending: Pending[] = [];
  for (const { version, tgz } of indexedVersions()) {
    const v = parseChartVersion(version);
    const crd = crdVersionFor(v);
    for (const k of K3S_CASES) {
      for (const ipam of IPAM_SETS) {
        const values = computeValues(v, k.layout, ipam, k.k3sVersions);
        const p: Pending = {
          version: v,
          k3s: k,
          ipam,
          // With a CRD chart the release has skipCrds (no crds/ of the Whereabouts subchart), as here.
          main:
            jobs.push({ chart: tgz, release: RELEASE, namespace: NAMESPACE, values, includeCrds: !crd }) - 1,
        };
        // Upgrades matter where the bin dir moves; one render with every IPAM covers Multus and Whereabouts.
        if (k.id === "old" && ipam.length === 3) {
          const upgraded = computeValues(v, k.layout, ipam, k.upgradedVersions);
          p.upgraded =
            jobs.push({ chart: tgz, release: RELEASE, namespace: NAMESPACE, values: upgraded }) - 1;
        }
        if (crd) {
          const whereabouts = ipam.includes("whereabouts");
          const key = `${crd}:${whereabouts}`;
          if (!crdJobs.has(key)) {
            const crdValues = whereabouts ? { "rke2-whereabouts": { enabled: true } } : {};
            crdJobs.set(
              key,
              jobs.push({
                chart: crdPackage(crd),
                release: `${RELEASE}-crd`,
                namespace: NAMESPACE,
                values: crdValues,
              }) - 1,
            );
          }
          p.crd = crdJobs.get(key);
        }
        pending.push(p);
      }
    }
  }
  const results = await templateAll(helm, jobs);
  return pending.map((p) => {
    const problems = check(p, results);
    const refusal = refusalOf(p.version, p.k3s, p.ipam);
    const gate = refusingGate(p.version.semver, { layout: p.k3s.layout, ipam: p.ipam });
    return {
      version: p.version.text,
      k3s: p.k3s,
      ipam: p.ipam,
      refusal,
      reason: gate?.reason,
      short: gate?.short,
      problems,
    };
  });

  function check(p: Pending, all: readonly TemplateResult[]): string[] {
    const main = all[p.main];
    if (!main.ok) return [`helm template failed: ${main.error}`];
    const objects = parseManifests(main.yaml);
    const need = { whereabouts: p.ipam.includes("whereabouts"), dhcp: p.ipam.includes("dhcp") };
    const problems = verifyMultus(objects, p.k3s.layout, need);
    if (p.crd !== undefined) {
      const crd = all[p.crd];
      if (!crd.ok) problems.push(`rke2-multus-crd does not render: ${crd.error}`);
      else checkCrds(crdNames(parseManifests(crd.yaml)), need.whereabouts, "rke2-multus-crd", problems);
      // One owner per CRD: rke2-multus must not render one too (its own are off before v4.3.009).
      for (const name of crdNames(objects)) problems.push(`rke2-multus also renders the CRD ${name}`);
    } else {
      checkCrds(crdNames(objects), need.whereabouts, "rke2-multus", problems);
    }
    if (p.upgraded !== undefined) problems.push(...checkRollout(objects, all[p.upgraded]));
    return problems;
  }
}

/** After a K3s upgrade the Multus and Whereabouts pod templates must differ, or their DaemonSets never restart. */
function checkRollout(before: ReturnType<typeof parseManifests>, after: TemplateResult): string[] {
  if (!after.ok) return [`helm template with the upgraded K3s versions failed: ${after.error}`];
  const a = podTemplates(before);
  const b = podTemplates(parseManifests(after.yaml));
  const problems: string[] = [];
  for (const [name, template] of a) {
    if (name.endsWith("-dhcp")) continue; // runs the dhcp binary it already loaded; nothing to copy
    if (JSON.stringify(template) === JSON.stringify(b.get(name)))
      problems.push(
        `DaemonSet ${name}: the pod template does not change when the K3s versions change, so it does not restart after an upgrade moves the bin dir`,
      );
  }
  return problems;
}

const IPAM_LABEL = (ipam: readonly IpamPlugin[]) => (ipam.length === 3 ? "all" : ipam[0]);

/**
 * The README table: one row per run of consecutive versions that behave alike, one column per K3s
 * layout, each cell listing the IPAM sets that render right ("all four" / a list / "—").
 */
export function compatTable(cells: readonly Cell[]): string {
  const versions = [...new Set(cells.map((c) => c.version))];
  const rowOf = (version: string) => {
    const mine = cells.filter((c) => c.version === version);
    const cols = K3S_CASES.map((k) => {
      const ok = IPAM_SETS.filter((ipam) =>
        mine.some((c) => c.k3s === k && c.ipam === ipam && c.problems.length === 0),
      );
      if (ok.length === IPAM_SETS.length) return "✓";
      if (ok.length === 0) return "—";
      return ok.map(IPAM_LABEL).join(", ");
    });
    const reasons = [...new Set(mine.filter((c) => c.short).map((c) => c.short as string))];
    return { cols, reasons };
  };
  const rows: { from: string; to: string; cols: string[]; reasons: string[] }[] = [];
  for (const version of versions) {
    const r = rowOf(version);
    const last = rows.at(-1);
    if (
      last &&
      JSON.stringify(last.cols) === JSON.stringify(r.cols) &&
      JSON.stringify(last.reasons) === JSON.stringify(r.reasons)
    )
      last.to = version;
    else rows.push({ from: version, to: version, ...r });
  }
  const header = `| rke2-multus | ${K3S_CASES.map((k) => k.title).join(" | ")} | why not |`;
  const rule = `|${" --- |".repeat(K3S_CASES.length + 2)}`;
  const lines = rows.map((r) => {
    const range = r.from === r.to ? r.from : `${r.from} … ${r.to}`;
    return `| ${range} | ${r.cols.join(" | ")} | ${r.reasons.join("; ")} |`;
  });
  return [header, rule, ...lines].join("\n");
}

export const README = path.resolve(__dirname, "../../README.md");
export const TABLE_BEGIN = "<!-- compat:begin (generated by `npm run gen:compat`; do not edit) -->";
export const TABLE_END = "<!-- compat:end -->";

/** README's text with the table between the markers replaced. */
export function withTable(readme: string, table: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${TABLE_BEGIN} … ${TABLE_END} section`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

/** The table currently in README (between the markers). */
export function tableInReadme(readme: string): string | undefined {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(begin + TABLE_BEGIN.length, end).trim();
}
