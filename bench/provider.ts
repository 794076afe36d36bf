/**
 * What every non-TypeScript user pays on each preview before the component does any work: the
 * provider plugin's start, GetSchema and Construct, measured the way the engine drives them
 * (run-plugin spawned with the plugin folder and an engine address; a fake engine over gRPC).
 *
 * Two plugin folders are compared:
 *   - ours: provider/, whose `main` exports nothing and serves the schema generated at build time;
 *   - stock: a temporary folder whose `main` is bin/index.js (exporting the Multus class), so that
 *     run-plugin hosts the stock ComponentProvider, which infers the schema from the TypeScript
 *     source (the analyzer runs the TypeScript compiler) on GetSchema, and on Construct if no
 *     GetSchema came first.
 *
 *   npx tsx bench/provider.ts [--runs N]     print the table (default 7 runs per path)
 *   benchProvider()                           the same, as markdown, for bench/run.ts
 */
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
}

export interface PathResult {
  readonly path: "ours" | "stock" | "floor";
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
 * The floor: a plugin that serves an empty schema and constructs nothing. What run-plugin itself
 * costs (Node, the SDK's TypeScript and ts-node set-up, gRPC) before any code of ours runs.
 */
export function makeFloorPlugin(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-multus-floor-"));
  fs.writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: "floor", version: "0.0.0", main: "plugin.js" }, null, 2)}\n`,
  );
  fs.copyFileSync(path.join(PROVIDER_DIR, "PulumiPlugin.yaml"), path.join(dir, "PulumiPlugin.yaml"));
  fs.writeFileSync(
    path.join(dir, "plugin.js"),
    [
      '"use strict";',
      'const provider = require("@pulumi/pulumi/provider");',
      'provider.main({ version: "0.0.0", getSchema: async () => "{}" }, process.argv.slice(2));',
      "",
    ].join("\n"),
  );
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One start, GetSchema, Construct (pinned facts, so no SSH), stop. */
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
    const schema = await plugin.getSchema();
    const t2 = performance.now();
    if (p.construct !== false) {
      await plugin.construct("bench", PINNED_INPUTS, { monitorAddress: engine.monitorAddress });
    }
    const t3 = performance.now();
    return {
      sample: {
        startMs: t1 - t0,
        getSchemaMs: t2 - t1,
        constructMs: p.construct === false ? NaN : t3 - t2,
        totalMs: t3 - t0,
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

/** A plugin folder to measure. */
export interface PluginPath {
  readonly name: string;
  readonly dir: string;
  /** Whether to call Construct (not for the floor). Default: true. */
  readonly construct?: boolean;
}

/** Measures plugin folders, alternating them so that load on the machine hits all alike. */
export async function measurePaths(
  paths: readonly PluginPath[],
  runs: number,
): Promise<{ name: string; samples: ProviderSample[]; schemaBytes: number; resources: string[] }[]> {
  const engine = await FakeEngine.start();
  const samples = new Map<string, ProviderSample[]>(paths.map((p) => [p.name, []]));
  const seen = new Map<string, { schemaBytes: number; resources: string[] }>();
  try {
    // One unmeasured run each: the file-system cache, not the plugin, is what a first run measures.
    for (const p of paths) await runOnce(engine, p);
    for (let i = 0; i < runs; i++) {
      for (const p of i % 2 ? [...paths].reverse() : paths) {
        const r = await runOnce(engine, p);
        samples.get(p.name)?.push(r.sample);
        seen.set(p.name, { schemaBytes: r.schema.length, resources: r.resources });
      }
    }
  } finally {
    await engine.stop();
  }
  return paths.map((p) => ({
    name: p.name,
    samples: samples.get(p.name) ?? [],
    schemaBytes: seen.get(p.name)?.schemaBytes ?? 0,
    resources: seen.get(p.name)?.resources ?? [],
  }));
}

/** Measures our plugin folder, the stock path and the floor. */
export async function measureProvider(runs = 7): Promise<ProviderBench> {
  if (!fs.existsSync(path.join(PROVIDER_DIR, "bin", "schema.json"))) {
    throw new Error("provider/bin is not built: run npm run build first");
  }
  const stock = makeStockPlugin();
  const floor = makeFloorPlugin();
  try {
    const measured = await measurePaths(
      [
        { name: "ours", dir: PROVIDER_DIR },
        { name: "stock", dir: stock.dir },
        { name: "floor", dir: floor.dir, construct: false },
      ],
      runs,
    );
    return {
      runs,
      machine: machine(),
      results: measured.map((m) => ({
        path: m.name as PathResult["path"],
        samples: m.samples,
        schemaBytes: m.schemaBytes,
        resources: m.resources,
      })),
    };
  } finally {
    stock.remove();
    floor.remove();
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
];

const LABELS: Record<PathResult["path"], string> = {
  ours: "ours: build-time schema, component loaded on demand",
  stock: "stock: ComponentProvider, schema inferred by the analyzer",
  floor: "floor: run-plugin with an empty provider",
};

/** The results as a markdown table (median / p90 in ms) with the machine. */
export function formatProvider(b: ProviderBench): string {
  const cell = (xs: number[]) =>
    xs.some(Number.isNaN) ? "—" : `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 90).toFixed(0)}`;
  const rows = b.results.map(
    (r) => `| ${LABELS[r.path]} | ${COLUMNS.map(([k]) => cell(r.samples.map((s) => s[k]))).join(" | ")} |`,
  );
  const get = (name: PathResult["path"]) => b.results.find((r) => r.path === name);
  const ours = get("ours");
  const stock = get("stock");
  const lines = [
    `Median / p90 in ms over ${b.runs} runs per path (nearest rank: with few runs p90 is about the maximum); Construct with pinned facts (no SSH), right after GetSchema.`,
    "",
    `| path | ${COLUMNS.map(([, h]) => h).join(" | ")} |`,
    `| --- | ${COLUMNS.map(() => "---:").join(" | ")} |`,
    ...rows,
    "",
  ];
  if (ours && stock) {
    const total = (r: PathResult) =>
      percentile(
        r.samples.map((s) => s.totalMs),
        50,
      );
    const same = ours.resources.join() === stock.resources.join();
    lines.push(
      `Total, stock / ours: ${(total(stock) / total(ours)).toFixed(2)}×. ${same ? "Both registered the same resources" : "**They registered different resources**"} (${ours.resources.length}); schema served: ${ours.schemaBytes} bytes (ours: with secrets and defaults) vs ${stock.schemaBytes} (stock).`,
      "",
    );
  }
  lines.push(
    `Machine: ${b.machine.nproc} CPUs (${b.machine.cpu}), Node ${b.machine.node}, @pulumi/pulumi ${b.machine.pulumi}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")}.`,
  );
  return lines.join("\n");
}

/** For bench/run.ts: measures both paths and returns the markdown section. */
export async function benchProvider(runs = 7): Promise<string> {
  return formatProvider(await measureProvider(runs));
}

if (require.main === module) {
  const at = process.argv.indexOf("--runs");
  const runs = at >= 0 ? Number(process.argv[at + 1]) : 7;
  benchProvider(runs).then(
    (text) => console.log(text),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
