/**
 * What every non-TypeScript user pays on each preview before the component does any work: the
 * provider plugin's start, GetSchema and Construct, measured the way the engine drives them
 * (`@pulumi/pulumi/cmd/run-plugin` spawned with the plugin folder and an engine address, as the
 * Node.js language host launches a plugin; a fake engine over gRPC, tests/provider/engine.ts).
 *
 * Paths compared, in the same run:
 *   - ours: provider/, whose `main` (bin/plugin.js) serves the schema generated at build time and
 *     constructs Multus with pinned facts;
 *   - the floor: an empty provider (`provider.main` with a trivial Provider that serves the same
 *     schema text and constructs one empty component), plain and with our SDK patches applied;
 *   - cold: ours and the patched floor with Construct as the first call (no GetSchema, so no
 *     background load of the component): whole-process construction from spawn;
 *   - stock (BENCH_STOCK=1): `main` exporting the Multus class, so that run-plugin hosts the stock
 *     ComponentProvider, which infers the schema with the TypeScript compiler (~3 s per start).
 *
 *   npx tsx bench/provider.ts [--runs N]     print the results (default 9 rounds)
 *   benchProvider()                           the same, as markdown, for bench/run.ts
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FakeEngine } from "../tests/provider/engine";
import { PINNED_INPUTS, engineOutputs } from "../tests/provider/fixtures";
import { PluginProcess, PROVIDER_DIR, REPO } from "../tests/provider/plugin";

/** One run of one path, in milliseconds. */
export interface ProviderSample {
  /** Spawn until the plugin printed its port. */
  readonly startMs: number;
  readonly getSchemaMs: number;
  readonly constructMs: number;
  /** Spawn until Construct returned. */
  readonly totalMs: number;
  /** CPU time (user + system) of the plugin process over the same span: steadier on a shared machine. */
  readonly cpuMs: number;
}

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, ms; NaN where /proc is not available. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which is in parentheses and may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

export interface PathResult {
  readonly path: PathName;
  readonly samples: readonly ProviderSample[];
  /** Bytes of the schema served (a check that both paths serve the same package). */
  readonly schemaBytes: number;
  readonly resources: readonly string[];
}

export interface ProviderBench {
  readonly runs: number;
  readonly machine: { nproc: number; cpu: string; node: string; pulumi: string };
  readonly results: readonly PathResult[];
}

/**
 * A plugin folder for the stock path: the same package, but `main` is bin/index.js, which exports
 * the Multus class. bin/ and src/ are links to provider/'s, so nothing is rebuilt.
 */
export function makeStockPlugin(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-stock-"));
  const pkg = JSON.parse(fs.readFileSync(path.join(PROVIDER_DIR, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const stockPkg = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    main: "bin/index.js",
  };
  fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(stockPkg, null, 2)}\n`);
  fs.copyFileSync(path.join(PROVIDER_DIR, "PulumiPlugin.yaml"), path.join(dir, "PulumiPlugin.yaml"));
  const tsconfig = JSON.parse(fs.readFileSync(path.join(PROVIDER_DIR, "tsconfig.json"), "utf8")) as {
    extends?: string;
  };
  if (tsconfig.extends) tsconfig.extends = path.resolve(PROVIDER_DIR, tsconfig.extends);
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  for (const link of ["bin", "src"])
    fs.symlinkSync(path.join(PROVIDER_DIR, link), path.join(dir, link), "dir");
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The floor: an empty provider as the SDK documents it, `provider.main` with a trivial Provider
 * that serves the same schema text and, on Construct, registers one empty component of the
 * requested type. What run-plugin, the SDK and one Construct cost before any code of ours runs.
 * With `patched`, it first applies the plugin's SDK patches (provider/bin/sdkPatches.js) as
 * plugin.ts does, so that the difference to ours is the component alone.
 */
export function makeFloorPlugin(patched = false): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-floor-"));
  fs.writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: "floor", version: "0.0.0", main: "plugin.js" }, null, 2)}\n`,
  );
  fs.copyFileSync(path.join(PROVIDER_DIR, "PulumiPlugin.yaml"), path.join(dir, "PulumiPlugin.yaml"));
  const patches = JSON.stringify(path.join(PROVIDER_DIR, "bin", "sdkPatches.js"));
  fs.writeFileSync(
    path.join(dir, "plugin.js"),
    [
      '"use strict";',
      ...(patched
        ? [
            `const patches = require(${patches});`,
            "patches.renderResourceErrorsPlainly();",
            "patches.deferClosureDependencies();",
            "patches.deferAutomation();",
          ]
        : []),
      'const fs = require("fs");',
      'const provider = require("@pulumi/pulumi/provider");',
      `const schema = fs.readFileSync(${JSON.stringify(path.join(PROVIDER_DIR, "bin", "schema.json"))}, "utf8");`,
      "provider.main(",
      "  {",
      '    version: "0.0.0",',
      "    getSchema: async () => schema,",
      "    construct: async (name, type, inputs, options) => {",
      '      const pulumi = require("@pulumi/pulumi");',
      "      const c = new pulumi.ComponentResource(type, name, {}, options);",
      "      c.registerOutputs({});",
      "      return { urn: c.urn, state: {} };",
      "    },",
      "  },",
      "  process.argv.slice(2),",
      ");",
      ...(patched ? ["patches.dropSourceMapStackTraces();"] : []),
      "",
    ].join("\n"),
  );
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A plugin folder to measure, and how. */
export interface PluginPath {
  readonly name: PathName;
  readonly dir: string;
  /** Whether GetSchema comes first (as YAML asks for it); false: Construct on a cold process. */
  readonly getSchema: boolean;
}

export type PathName = "ours" | "floor" | "floorPatched" | "oursCold" | "floorPatchedCold" | "stock";

/** One start, GetSchema (unless cold), Construct (pinned facts, so no SSH), stop. */
async function runOnce(
  engine: FakeEngine,
  p: PluginPath,
): Promise<{ sample: ProviderSample; schema: string; resources: string[] }> {
  engine.reset();
  engine.outputsFor = engineOutputs;
  const t0 = performance.now();
  const plugin = await PluginProcess.start({ pluginDir: p.dir, engineAddress: engine.engineAddress });
  const t1 = performance.now();
  try {
    const schema = p.getSchema ? await plugin.getSchema() : "";
    const t2 = performance.now();
    await plugin.construct("bench", PINNED_INPUTS, { monitorAddress: engine.monitorAddress });
    const t3 = performance.now();
    const cpuMs = processCpuMs(plugin.child.pid);
    return {
      sample: {
        startMs: t1 - t0,
        getSchemaMs: p.getSchema ? t2 - t1 : NaN,
        constructMs: t3 - t2,
        totalMs: t3 - t0,
        cpuMs,
      },
      schema,
      resources: engine.registrations.map((r) => r.type).sort(),
    };
  } finally {
    await plugin.stop();
  }
}

function machine(): ProviderBench["machine"] {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(
    fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "",
  )?.[1];
  const pulumiPkg = require.resolve("@pulumi/pulumi/package.json", { paths: [PROVIDER_DIR] });
  const pulumi = (JSON.parse(fs.readFileSync(pulumiPkg, "utf8")) as { version: string }).version;
  return {
    nproc: os.availableParallelism(),
    cpu: cpu ?? os.cpus().at(0)?.model ?? "unknown",
    node: process.version,
    pulumi,
  };
}

/**
 * Measures plugin folders in rounds: each round runs every path once, in an order rotated from
 * round to round, so that load on the machine hits all alike and each round is a paired sample.
 */
export async function measurePaths(paths: readonly PluginPath[], runs: number): Promise<PathResult[]> {
  const engine = await FakeEngine.start();
  const samples = new Map<PathName, ProviderSample[]>(paths.map((p) => [p.name, []]));
  const seen = new Map<PathName, { schemaBytes: number; resources: string[] }>();
  try {
    // One unmeasured run each: the file-system cache, not the plugin, is what a first run measures.
    for (const p of paths) await runOnce(engine, p);
    for (let i = 0; i < runs; i++) {
      const order = paths.map((_, j) => paths[(j + i) % paths.length]);
      for (const p of order) {
        const r = await runOnce(engine, p);
        samples.get(p.name)?.push(r.sample);
        seen.set(p.name, { schemaBytes: r.schema.length, resources: r.resources });
      }
    }
  } finally {
    await engine.stop();
  }
  return paths.map((p) => ({
    path: p.name,
    samples: samples.get(p.name) ?? [],
    schemaBytes: seen.get(p.name)?.schemaBytes ?? 0,
    resources: seen.get(p.name)?.resources ?? [],
  }));
}

/**
 * Measures our plugin folder against the floors (plain and with our SDK patches), warm (GetSchema
 * first) and cold (Construct first); with `stock`, also the stock ComponentProvider path.
 */
export async function measureProvider(
  runs = 7,
  stock = process.env.BENCH_STOCK === "1",
): Promise<ProviderBench> {
  if (!fs.existsSync(path.join(PROVIDER_DIR, "bin", "schema.json"))) {
    throw new Error("provider/bin is not built: run npm run build first");
  }
  const stockDir = stock ? makeStockPlugin() : undefined;
  const floor = makeFloorPlugin(false);
  const floorPatched = makeFloorPlugin(true);
  try {
    const results = await measurePaths(
      [
        { name: "ours", dir: PROVIDER_DIR, getSchema: true },
        { name: "floorPatched", dir: floorPatched.dir, getSchema: true },
        { name: "floor", dir: floor.dir, getSchema: true },
        { name: "oursCold", dir: PROVIDER_DIR, getSchema: false },
        { name: "floorPatchedCold", dir: floorPatched.dir, getSchema: false },
        ...(stockDir ? [{ name: "stock" as const, dir: stockDir.dir, getSchema: true }] : []),
      ],
      runs,
    );
    return { runs, machine: machine(), results };
  } finally {
    stockDir?.remove();
    floor.remove();
    floorPatched.remove();
  }
}

/** The nearest-rank percentile. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

const COLUMNS: readonly [keyof ProviderSample, string][] = [
  ["startMs", "start (spawn → port)"],
  ["getSchemaMs", "GetSchema"],
  ["constructMs", "Construct"],
  ["totalMs", "total"],
  ["cpuMs", "plugin CPU"],
];

const LABELS: Record<PathName, string> = {
  ours: "ours: GetSchema, then Construct",
  floorPatched: "floor with our SDK patches: GetSchema, then Construct",
  floor: "floor, plain SDK: GetSchema, then Construct",
  oursCold: "ours, cold: Construct first",
  floorPatchedCold: "floor with our SDK patches, cold: Construct first",
  stock: "stock: ComponentProvider, schema inferred by the analyzer",
};

/** Per-round ratios of the totals of two paths: median (min–max). */
function pairedTotal(
  b: ProviderBench,
  a: PathName,
  over: PathName,
  key: "totalMs" | "cpuMs" = "totalMs",
): { text: string; median: number; max: number } {
  const x = b.results.find((r) => r.path === a)?.samples ?? [];
  const y = b.results.find((r) => r.path === over)?.samples ?? [];
  const ratios = x.map((s, i) => s[key] / (y[i]?.[key] ?? NaN)).filter((r) => !Number.isNaN(r));
  if (!ratios.length) return { text: "—", median: NaN, max: NaN };
  const median = percentile(ratios, 50);
  const min = Math.min(...ratios);
  const max = Math.max(...ratios);
  return { text: `${median.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})`, median, max };
}

/** The plugin-path target: ours within 1.15× the floor. */
const TARGET = 1.15;

/** The results as markdown: a table (median (min–max) in ms), the paired ratios and the machine. */
export function formatProvider(b: ProviderBench): string {
  const cell = (xs: number[]) =>
    xs.some(Number.isNaN)
      ? "—"
      : `${percentile(xs, 50).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  const rows = b.results.map(
    (r) => `| ${LABELS[r.path]} | ${COLUMNS.map(([k]) => cell(r.samples.map((s) => s[k]))).join(" | ")} |`,
  );
  const verdict = (r: { median: number; max: number }) =>
    Number.isNaN(r.median)
      ? ""
      : r.median > TARGET
        ? " — **missed**"
        : r.max > TARGET
          ? " — met (spread crosses)"
          : " — met";
  const ratio = (a: PathName, over: PathName) => {
    const cpu = pairedTotal(b, a, over, "cpuMs");
    const wall = pairedTotal(b, a, over, "totalMs");
    return `${cpu.text}${verdict(cpu)} (wall time: ${wall.text})`;
  };
  const ours = b.results.find((r) => r.path === "ours");
  const lines = [
    `Each path started ${b.runs} times through run-plugin, as the engine launches a Node.js plugin, in rounds (every path once per round, order rotated); ms, median (min–max). Construct with pinned facts (no SSH): ours registers ${ours?.resources.length ?? "?"} resources, the floor 1 (an empty component). Plugin CPU: user + system time of the plugin process from spawn until Construct returned (/proc), the steadier measure on a shared machine.`,
    "",
    `| path | ${COLUMNS.map(([, h]) => h).join(" | ")} |`,
    `| --- | ${COLUMNS.map(() => "---:").join(" | ")} |`,
    ...rows,
    "",
    "Per-round ratios of start + GetSchema + Construct, plugin CPU time (wall time beside it), median (min–max); target ≤ 1.15:",
    "",
    `- ours / floor with our SDK patches: ${ratio("ours", "floorPatched")}`,
    `- ours / floor with the plain SDK: ${ratio("ours", "floor")}`,
    `- cold (Construct first), ours / floor with our SDK patches: ${ratio("oursCold", "floorPatchedCold")}`,
  ];
  if (b.results.some((r) => r.path === "stock")) {
    lines.push(`- stock / ours: ${pairedTotal(b, "stock", "ours").text}`);
  }
  lines.push(
    "",
    `Machine: ${b.machine.nproc} CPUs (${b.machine.cpu}), Node ${b.machine.node}, @pulumi/pulumi ${b.machine.pulumi}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")} at the end.`,
  );
  return lines.join("\n");
}

/** For bench/run.ts: measures the paths and returns the markdown section. */
export async function benchProvider(runs = 9): Promise<string> {
  return formatProvider(await measureProvider(runs));
}

if (require.main === module) {
  const at = process.argv.indexOf("--runs");
  const runs = at >= 0 ? Number(process.argv[at + 1]) : 9;
  benchProvider(runs).then(
    (text) => console.log(text),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
