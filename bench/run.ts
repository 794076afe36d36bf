/**
 * `npm run bench`: the Multus component's own overhead under Pulumi mocks, against a hand-written
 * program that registers the same resources with static values (bench/program.ts), for 1 to 1000
 * nodes and 1 to 100 networks; then the provider path (bench/provider.ts, when present). Prints a
 * table and writes the results into BENCHMARKS.md between the `bench:results` markers.
 *
 *   npm run bench                        build, run every size, update BENCHMARKS.md
 *   npx tsx bench/run.ts --no-write      run without touching BENCHMARKS.md
 *   npx tsx bench/run.ts --sizes 10x1,100x1 --reps 3 --no-provider
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Sample, Variant, WorkerResult } from "./measure";
import type { Size } from "./program";

const ROOT = path.resolve(__dirname, "..");
const MARK_START = "<!-- bench:results:start -->";
const MARK_END = "<!-- bench:results:end -->";

/**
 * Sizes run by default (nodes × networks), with repetitions per program. 1000 nodes runs with one
 * network only: with more it shows nothing new (networks add linearly, see the 100-node rows) at a
 * minute and more per size, and the whole run is meant to stay near three minutes.
 */
const DEFAULT_SIZES: readonly (Size & { reps: number })[] = [
  { nodes: 1, networks: 1, reps: 5 },
  { nodes: 1, networks: 10, reps: 5 },
  { nodes: 1, networks: 100, reps: 5 },
  { nodes: 10, networks: 1, reps: 5 },
  { nodes: 10, networks: 10, reps: 5 },
  { nodes: 10, networks: 100, reps: 5 },
  { nodes: 100, networks: 1, reps: 3 },
  { nodes: 100, networks: 10, reps: 3 },
  { nodes: 100, networks: 100, reps: 3 },
  { nodes: 1000, networks: 1, reps: 3 },
];

interface Row {
  readonly size: Size;
  readonly reps: number;
  readonly component: Summary;
  readonly handWritten: Summary;
  readonly differences: readonly string[];
  readonly edges: WorkerResult["edges"];
}

interface Summary {
  readonly totalMs: number;
  readonly cpuMs: number;
  readonly constructMs: number;
  readonly heapBytes: number;
  readonly rssBytes: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(samples: readonly Sample[], variant: Variant): Summary {
  const of = samples.filter((s) => s.variant === variant);
  return {
    totalMs: median(of.map((s) => s.totalMs)),
    cpuMs: median(of.map((s) => s.cpuMs)),
    constructMs: median(of.map((s) => s.constructMs)),
    heapBytes: median(of.map((s) => s.heapBytes)),
    rssBytes: median(of.map((s) => s.rssBytes)),
  };
}

/** Runs one size in a fresh process (bench/measure.ts). */
function measure(size: Size, reps: number): Row {
  const r = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--require",
      "tsx/cjs",
      path.join(__dirname, "measure.ts"),
      JSON.stringify({ ...size, reps }),
    ],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`bench worker failed for ${JSON.stringify(size)}:\n${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as WorkerResult;
  return {
    size,
    reps,
    component: summarize(result.samples, "component"),
    handWritten: summarize(result.samples, "handWritten"),
    differences: result.differences,
    edges: result.edges,
  };
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mib = (x: number) => (x / 1048576).toFixed(1);

const ratio = (r: Row, k: "totalMs" | "cpuMs") => (r.component[k] / r.handWritten[k]).toFixed(2);

function table(rows: readonly Row[]): string {
  const head = [
    "| nodes | networks | resources | wall ms hand / comp | wall ratio | CPU ms hand / comp | CPU ratio | comp CPU ms/node | comp CPU µs/resource | heap retained MiB hand / comp | RSS growth MiB hand / comp | dependency edges hand / comp |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const body = rows.map((r) => {
    const resources = 1 + 2 * r.size.nodes + 2 + r.size.networks;
    const h = r.handWritten;
    const c = r.component;
    return `| ${r.size.nodes} | ${r.size.networks} | ${resources} | ${ms(h.totalMs)} / ${ms(c.totalMs)} | ${ratio(r, "totalMs")} | ${ms(h.cpuMs)} / ${ms(c.cpuMs)} | ${ratio(r, "cpuMs")} | ${(c.cpuMs / r.size.nodes).toFixed(2)} | ${((c.cpuMs * 1000) / resources).toFixed(0)} | ${mib(h.heapBytes)} / ${mib(c.heapBytes)} | ${mib(h.rssBytes)} / ${mib(c.rssBytes)} | ${r.edges.handWritten} / ${r.edges.component} |`;
  });
  return [...head, ...body].join("\n");
}

function machine(): string {
  const cpus = os.cpus();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Commit: ${commit}`,
    `- CPU: ${cpus[0]?.model ?? "unknown"}, ${os.availableParallelism()} logical CPUs (nproc)`,
    `- Memory: ${(os.totalmem() / 1073741824).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node: ${process.version}`,
    `- Load average at the end of the run (1/5/15 min): ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" / ")}`,
  ].join("\n");
}

/** bench/provider.ts's benchProvider(), if another part of the repository provides it. */
async function providerSection(): Promise<string> {
  const file = path.join(__dirname, "provider.ts");
  if (!fs.existsSync(file)) return "Skipped: bench/provider.ts is not in this checkout.";
  const specifier = "./provider";
  const mod = (await import(specifier)) as { benchProvider?: () => unknown };
  if (typeof mod.benchProvider !== "function") return "Skipped: bench/provider.ts has no benchProvider().";
  const result = await mod.benchProvider();
  if (typeof result === "string") return result.trim();
  return ["```json", JSON.stringify(result, null, 2), "```"].join("\n");
}

function parseSizes(argv: readonly string[]): (Size & { reps: number })[] {
  const at = argv.indexOf("--sizes");
  const repsAt = argv.indexOf("--reps");
  const reps = repsAt >= 0 ? Number(argv[repsAt + 1]) : undefined;
  if (at < 0) return DEFAULT_SIZES.map((s) => ({ ...s, reps: reps ?? s.reps }));
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
  const rows: Row[] = [];
  for (const s of parseSizes(argv)) {
    const t0 = Date.now();
    const row = measure(s, s.reps);
    rows.push(row);
    console.log(
      `${String(s.nodes).padStart(4)} nodes × ${String(s.networks).padStart(3)} networks: wall ${ms(row.handWritten.totalMs)} / ${ms(row.component.totalMs)} ms (ratio ${ratio(row, "totalMs")}), CPU ${ms(row.handWritten.cpuMs)} / ${ms(row.component.cpuMs)} ms (ratio ${ratio(row, "cpuMs")}) [${((Date.now() - t0) / 1000).toFixed(1)} s]`,
    );
    for (const d of row.differences) console.log(`  warning: the programs differ: ${d}`);
  }
  const construction = table(rows);
  const mismatched = rows.filter((r) => r.differences.length);
  console.log(`\n${construction}`);
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
    machine(),
    "",
    "### Construction under mocks",
    "",
    `Median of the repetitions shown per size (\`reps\`); ratio = component / hand-written; ${mismatched.length ? `**the programs differed for ${mismatched.length} size(s); see the run's warnings**` : "both programs registered the same resources (types, names, inputs) at every size"}. Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    "",
    construction,
    "",
    "Repetitions: " + rows.map((r) => `${r.size.nodes}×${r.size.networks}: ${r.reps}`).join(", ") + ".",
    "",
    "### Provider path",
    "",
    provider,
  ].join("\n");
  if (!argv.includes("--no-write")) updateBenchmarksMd(results);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
