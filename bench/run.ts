/**
 * `npm run bench`: the Multus component's own overhead under Pulumi mocks, against two floors (a
 * hand-written program with the fewest Outputs, and one with every value static; bench/program.ts),
 * for 1 to 1000 nodes and 1 to 100 networks; cold whole-process construction; then the provider
 * path (bench/provider.ts). Prints the tables and writes them into BENCHMARKS.md between the
 * `bench:results` markers.
 *
 *   npm run bench                        build, run the default grid, update BENCHMARKS.md
 *   BENCH_GRID=full npm run bench        also 1000 nodes × 10 and × 100 networks (several minutes more)
 *   npx tsx bench/run.ts --no-write      run without touching BENCHMARKS.md
 *   npx tsx bench/run.ts --sizes 10x1,100x1 --reps 3 --no-provider --no-cold
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Counts } from "./counters";
import type { ColdResult, Sample, WorkerResult } from "./measure";
import type { Size, Variant } from "./program";
import { VARIANTS } from "./program";
import { benchProvider } from "./provider";

const ROOT = path.resolve(__dirname, "..");
const MARK_START = "<!-- bench:results:start -->";
const MARK_END = "<!-- bench:results:end -->";

/** A size, its rounds, and whether to count Outputs, applies and promises (an extra run per program). */
type SizeSpec = Size & { reps: number; count?: boolean };

/**
 * Sizes run by default (nodes × networks) with rounds per size (each round runs the three programs
 * once): {1, 10, 100} nodes × {1, 10, 100} networks and 1000 nodes × 1 network; BENCH_GRID=full adds
 * 1000 × 10 and 1000 × 100 (about a minute each; networks add linearly, see the 100-node rows).
 */
function defaultSizes(): SizeSpec[] {
  const sizes: SizeSpec[] = [];
  for (const nodes of [1, 10, 100])
    for (const networks of [1, 10, 100]) sizes.push({ nodes, networks, reps: nodes >= 100 ? 5 : 11 });
  const full = process.env.BENCH_GRID === "full";
  // Counted at 1000 nodes only in the full grid: the counts grow linearly (see the 100-node rows).
  sizes.push({ nodes: 1000, networks: 1, reps: 2, count: full });
  if (full) {
    sizes.push({ nodes: 1000, networks: 10, reps: 2 }, { nodes: 1000, networks: 100, reps: 2 });
  }
  return sizes;
}

/** Targets: component / dynamic floor at every size; component / static floor from 10 nodes up. */
const TARGET_DYNAMIC = 1.05;
const TARGET_STATIC = 1.1;
const STATIC_FROM_NODES = 10;

/** A spread: median and range of a set of values. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

interface Row {
  readonly size: Size;
  readonly result: WorkerResult;
  /** Per program: CPU and wall ms over the rounds. */
  readonly cpu: Record<Variant, Spread>;
  readonly wall: Record<Variant, Spread>;
  readonly heap: Record<Variant, Spread>;
  /** Per-round ratios component / floor (CPU time; wall time). */
  readonly cpuVsDynamic: Spread;
  readonly cpuVsStatic: Spread;
  /** The dynamic floor / the static floor: what waiting for detection costs at the least. */
  readonly dynamicVsStatic: Spread;
  readonly wallVsDynamic: Spread;
  readonly wallVsStatic: Spread;
}

function byVariant<T>(f: (v: Variant) => T): Record<Variant, T> {
  return Object.fromEntries(VARIANTS.map((v) => [v, f(v)])) as Record<Variant, T>;
}

/** Per-round ratios a / b of `key`: each round ran every program once, so its samples are paired. */
function pairedRatios(samples: readonly Sample[], a: Variant, b: Variant, key: "cpuMs" | "totalMs"): Spread {
  const rounds = [...new Set(samples.map((s) => s.round))];
  const ratios = rounds.map((r) => {
    const x = samples.find((s) => s.round === r && s.variant === a);
    const y = samples.find((s) => s.round === r && s.variant === b);
    return x && y ? x[key] / y[key] : NaN;
  });
  return spread(ratios.filter((x) => !Number.isNaN(x)));
}

function worker(arg: object): string {
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", "--require", "tsx/cjs", path.join(__dirname, "measure.ts"), JSON.stringify(arg)],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`bench worker failed for ${JSON.stringify(arg)}:\n${r.stderr}`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (!line) throw new Error(`bench worker printed nothing for ${JSON.stringify(arg)}:\n${r.stderr}`);
  return line;
}

/** Runs one size in a fresh process (bench/measure.ts). */
function measure(size: SizeSpec): Row {
  const result = JSON.parse(worker(size)) as WorkerResult;
  const of = (v: Variant, k: keyof Pick<Sample, "cpuMs" | "totalMs" | "heapBytes">) =>
    spread(result.samples.filter((s) => s.variant === v).map((s) => s[k]));
  return {
    size,
    result,
    cpu: byVariant((v) => of(v, "cpuMs")),
    wall: byVariant((v) => of(v, "totalMs")),
    heap: byVariant((v) => of(v, "heapBytes")),
    cpuVsDynamic: pairedRatios(result.samples, "component", "dynamic", "cpuMs"),
    cpuVsStatic: pairedRatios(result.samples, "component", "static", "cpuMs"),
    dynamicVsStatic: pairedRatios(result.samples, "dynamic", "static", "cpuMs"),
    wallVsDynamic: pairedRatios(result.samples, "component", "dynamic", "totalMs"),
    wallVsStatic: pairedRatios(result.samples, "component", "static", "totalMs"),
  };
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mib = (x: number) => (x / 1048576).toFixed(1);
/** A ratio with its spread: `median (min–max)`. */
export const ratioText = (s: Spread) =>
  s.n ? `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : "—";
/** Three counts; "—" when not counted (NaN, which JSON carries as null). */
const three = (r: Record<Variant, number | null>) =>
  r.component === null || Number.isNaN(r.component) ? "—" : `${r.static} / ${r.dynamic} / ${r.component}`;

/** Met (median within the target), met but the spread crosses it, or missed. */
export function verdict(s: Spread, target: number): string {
  if (!s.n) return "—";
  if (s.median > target) return "**missed**";
  return s.max > target ? "met (spread crosses)" : "met";
}

function timeTable(rows: readonly Row[]): string {
  const head = [
    "| nodes | networks | resources | CPU ms static / dynamic / comp | comp / dynamic (CPU) | ≤ 1.05 | comp / static (CPU) | ≤ 1.10 (from 10 nodes) | dynamic / static (CPU) | wall ratio comp / dynamic | wall ratio comp / static | rounds |",
    "| ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |",
  ];
  const body = rows.map((r) => {
    const c = r.cpu;
    const staticVerdict =
      r.size.nodes >= STATIC_FROM_NODES ? verdict(r.cpuVsStatic, TARGET_STATIC) : "(no target)";
    return `| ${r.size.nodes} | ${r.size.networks} | ${r.result.resources.component} | ${ms(c.static.median)} / ${ms(c.dynamic.median)} / ${ms(c.component.median)} | ${ratioText(r.cpuVsDynamic)} | ${verdict(r.cpuVsDynamic, TARGET_DYNAMIC)} | ${ratioText(r.cpuVsStatic)} | ${staticVerdict} | ${ratioText(r.dynamicVsStatic)} | ${ratioText(r.wallVsDynamic)} | ${ratioText(r.wallVsStatic)} | ${r.cpuVsDynamic.n} |`;
  });
  return [...head, ...body].join("\n");
}

function countTable(rows: readonly Row[]): string {
  const head = [
    "| nodes | networks | Outputs static / dynamic / comp | applies | SDK-tracked promises | all promises | dependency edges | heap retained MiB static / dynamic / comp |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const body = rows.map((r) => {
    const k = r.result.counts;
    const pick = (f: keyof Counts) => byVariant((v) => (k ? k[v][f] : null));
    const h = r.heap;
    return `| ${r.size.nodes} | ${r.size.networks} | ${three(pick("outputs"))} | ${three(pick("applies"))} | ${three(pick("sdkPromises"))} | ${three(pick("promises"))} | ${three(r.result.edges)} | ${mib(h.static.median)} / ${mib(h.dynamic.median)} / ${mib(h.component.median)} |`;
  });
  return [...head, ...body].join("\n");
}

/** Cold whole-process construction: a fresh process per run, the three programs alternated. */
function coldSection(size: Size, runs: number): string {
  const seen = byVariant(() => [] as ColdResult[]);
  for (let i = 0; i < runs; i++) {
    const order = VARIANTS.map((_, j) => VARIANTS[(j + i) % VARIANTS.length]);
    for (const v of order) seen[v].push(JSON.parse(worker({ ...size, cold: v })) as ColdResult);
  }
  const rows = VARIANTS.map((v) => {
    const p = spread(seen[v].map((r) => r.processMs));
    const l = spread(seen[v].map((r) => r.loadMs));
    return `| ${v} | ${ms(p.median)} (${ms(p.min)}–${ms(p.max)}) | ${ms(l.median)} (${ms(l.min)}–${ms(l.max)}) |`;
  });
  const ratios = spread(seen.component.map((c, i) => c.processMs / seen.dynamic[i].processMs));
  return [
    `${size.nodes} nodes × ${size.networks} network(s), one construction per fresh \`node\` process (tsx, source maps off), ${runs} runs per program, alternated; ms, median (min–max).`,
    "",
    "| program | process start → construction done | of which: loading modules (start → program called) |",
    "| --- | ---: | ---: |",
    ...rows,
    "",
    `Per-run ratio component / dynamic floor: ${ratioText(ratios)}. All three load the same modules (the component's included), so this is the component's share of a cold run.`,
  ].join("\n");
}

function cpuModel(): string {
  const info = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpus: (os.CpuInfo | undefined)[] = os.cpus();
  return /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpus[0]?.model ?? "unknown";
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

function machine(loadAtStart: string): string {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  const version = (pkg: string) => {
    try {
      const file = require.resolve(`${pkg}/package.json`, { paths: [path.join(ROOT, "provider")] });
      return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      return "?";
    }
  };
  return [
    `- Date: ${new Date().toISOString()}; commit ${commit}`,
    `- CPU: ${cpuModel()}, ${os.availableParallelism()} logical CPUs; memory ${(os.totalmem() / 1073741824).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} ${os.arch()}; Node ${process.version}; @pulumi/pulumi ${version("@pulumi/pulumi")}, @pulumi/kubernetes ${version("@pulumi/kubernetes")}, @pulumi/command ${version("@pulumi/command")}`,
    `- Load average (1 / 5 / 15 min) at the start: ${loadAtStart}; at the end: ${load()}`,
  ].join("\n");
}

/** bench/provider.ts's benchProvider(). */
async function providerSection(): Promise<string> {
  return (await benchProvider()).trim();
}

function parseSizes(argv: readonly string[]): SizeSpec[] {
  const at = argv.indexOf("--sizes");
  const repsAt = argv.indexOf("--reps");
  const reps = repsAt >= 0 ? Number(argv[repsAt + 1]) : undefined;
  if (at < 0) return defaultSizes().map((s) => ({ ...s, reps: reps ?? s.reps }));
  return argv[at + 1].split(",").map((spec) => {
    const [nodes, networks] = spec.split("x").map(Number);
    return { nodes, networks, reps: reps ?? 3 };
  });
}

function updateBenchmarksMd(results: string): void {
  const file = path.join(ROOT, "BENCHMARKS.md");
  const block = `${MARK_START}\n${results}\n${MARK_END}`;
  const text = fs.existsSync(file)
    ? fs.readFileSync(file, "utf8")
    : `# Benchmarks\n\n${MARK_START}\n${MARK_END}\n`;
  const start = text.indexOf(MARK_START);
  const end = text.indexOf(MARK_END);
  const updated =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${block}${text.slice(end + MARK_END.length)}`
      : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, updated);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

async function main(argv: readonly string[]): Promise<void> {
  const started = Date.now();
  const loadAtStart = load();
  const rows: Row[] = [];
  for (const s of parseSizes(argv)) {
    const t0 = Date.now();
    const row = measure(s);
    rows.push(row);
    console.log(
      `${String(s.nodes).padStart(4)} nodes × ${String(s.networks).padStart(3)} networks: CPU ms ${ms(row.cpu.static.median)} / ${ms(row.cpu.dynamic.median)} / ${ms(row.cpu.component.median)}; comp/dynamic ${ratioText(row.cpuVsDynamic)}, comp/static ${ratioText(row.cpuVsStatic)} [${((Date.now() - t0) / 1000).toFixed(1)} s]`,
    );
    for (const d of row.result.differences) console.log(`  warning: the programs differ: ${d}`);
  }
  const mismatched = rows.filter((r) => r.result.differences.length);
  const times = timeTable(rows);
  const counts = countTable(rows);
  console.log(`\n${times}\n\n${counts}`);
  let coldText = "Skipped (--no-cold).";
  if (!argv.includes("--no-cold")) {
    coldText = coldSection({ nodes: 10, networks: 1 }, 5);
    console.log(`\n${coldText}`);
  }
  console.log("\nProvider path (plugin start, GetSchema, Construct):");
  let provider = "Skipped (--no-provider).";
  if (!argv.includes("--no-provider")) {
    try {
      provider = await providerSection();
    } catch (e) {
      provider = `Failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  console.log(provider);
  const results = [
    "### Machine",
    "",
    machine(loadAtStart),
    "",
    "### Construction under mocks",
    "",
    `Ratios are per round (each round runs the three programs once, in a rotated order, in one process) over CPU time (user + system of the process, from construction until every registration and the root outputs arrived): median (min–max) over the rounds. A target is "met" when the median is within it; "spread crosses" when some round was over it. ${mismatched.length ? `**The programs differed for ${mismatched.length} size(s); see the run's warnings.**` : "All three programs registered the same resources (types, names, inputs) at every size."} Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    "",
    times,
    "",
    "What each program makes the SDK do, per run (one counting run each, after the timed rounds; bench/counters.ts):",
    "",
    counts,
    "",
    "### Cold whole-process construction",
    "",
    coldText,
    "",
    "### Provider path",
    "",
    provider,
  ].join("\n");
  if (!argv.includes("--no-write")) updateBenchmarksMd(results);
}

// Run as a script (tsx does not always set require.main to this module).
if (process.argv.slice(1, 2).some((script) => path.resolve(script) === __filename)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
