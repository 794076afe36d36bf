/**
 * One benchmark worker (a child process of bench/run.ts, one per size, so that runs of different
 * sizes do not share a heap): under Pulumi mocks, runs the component, the dynamic floor and the
 * static floor (bench/program.ts) in turn, each on a fresh mock monitor, and prints one JSON line.
 *
 *   node --expose-gc --require tsx/cjs bench/measure.ts '{"nodes":10,"networks":1,"reps":5}'
 *
 * 1. A first run of each program, untimed (also the JIT's warm-up): its registrations (type, name,
 *    inputs) are compared with the component's, and its dependency edges summed.
 * 2. `reps` rounds; each round runs all three programs once, in an order rotated from round to
 *    round, so that each round is a paired sample (bench/run.ts takes per-round ratios).
 * 3. Last (unless `"count": false`), one counting run per program (bench/counters.ts): Outputs,
 *    applies, SDK-tracked and all promises (not all promises from 1000 nodes up: that hook makes
 *    the run minutes long). Last because the hooks stay installed and would slow the timed runs.
 *
 * A run's time is from the start of construction until the mock monitor has received as many
 * registrations as the first run saw and the root component's outputs. Memory: heap retained after
 * a forced GC, against a GC'd baseline taken just before the run.
 *
 *   ... bench/measure.ts '{"cold":"component","nodes":10,"networks":1}'
 *
 * runs one program once in this (fresh) process and prints the time from process start (Node's
 * `performance.timeOrigin`) to the end of construction: cold whole-process construction.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";
import { Counts, startCounting, stopCounting } from "./counters";
import {
  component,
  DETECT_STDOUT,
  dynamicFloor,
  PROJECT,
  Size,
  STACK,
  staticFloor,
  staticInputs,
  StaticInputs,
  Variant,
  VARIANTS,
} from "./program";

export interface Sample {
  readonly variant: Variant;
  /** The round this sample belongs to (samples of one round are paired). */
  readonly round: number;
  /** Construction until every registration was received, ms. */
  readonly totalMs: number;
  /** CPU time of the process (user + system, GC threads included) over the same span, ms. */
  readonly cpuMs: number;
  /** Heap retained after a GC, bytes. */
  readonly heapBytes: number;
}

export interface WorkerResult {
  readonly size: Size;
  readonly samples: readonly Sample[];
  /** Differences between a floor's registrations and the component's (empty: the same resources). */
  readonly differences: readonly string[];
  /** Resources registered, per program. */
  readonly resources: Readonly<Record<Variant, number>>;
  /** Dependency edges (URNs in each registration's dependency list), summed over the registrations. */
  readonly edges: Readonly<Record<Variant, number>>;
  /** Undefined when not counted (1000 nodes in the default grid: minutes more for numbers that scale linearly). */
  readonly counts?: Readonly<Record<Variant, Counts>>;
}

export interface ColdResult {
  readonly variant: Variant;
  /** Process start (timeOrigin) until the end of construction, ms. */
  readonly processMs: number;
  /** Of which: loading the modules (process start until the program is called), ms. */
  readonly loadMs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

interface MonitorHooks {
  registerResourceOutputs(req: unknown, cb: (err: unknown, res: unknown) => void): void;
  registerResource(
    req: { getDependenciesList(): string[] },
    cb: (err: unknown, res: unknown) => void,
  ): unknown;
}

interface Mocks {
  /** Resolves once `expected` registrations and the root component's outputs came in. */
  readonly done: Promise<void>;
  /** Registrations so far. */
  readonly count: () => number;
  /** Dependency edges so far. */
  readonly edges: () => number;
}

/**
 * Installs fresh mocks. `expected` undefined: `done` resolves on the root component's outputs (the
 * SDK registers them once every output has resolved), then once the registrations stop coming.
 */
async function freshMocks(expected: number | undefined, record?: Registration[]): Promise<Mocks> {
  let count = 0;
  let edges = 0;
  let outputs = false;
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  const check = () => {
    if (outputs && expected !== undefined && count >= expected) resolve();
  };
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        record?.push({ type: a.type, name: a.name, inputs: a.inputs as Record<string, unknown> });
        count++;
        check();
        const inputs = a.inputs as Record<string, unknown>;
        const state: Record<string, unknown> = { ...inputs };
        if (a.type === "command:remote:Command" && inputs.create !== undefined) state.stdout = DETECT_STDOUT;
        if (a.type === "kubernetes:helm.sh/v3:Release") state.status = { status: "deployed" };
        return { id: `${a.name}-id`, state };
      },
      call: (a) => {
        throw new Error(`unexpected invoke ${a.token}`);
      },
    },
    PROJECT,
    STACK,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorHooks;
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) =>
    registerResourceOutputs(req, (err, res) => {
      cb(err, res);
      if (!outputs) {
        outputs = true;
        if (expected === undefined) void quiet(() => count).then(resolve);
        else check();
      }
    });
  if (record) {
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      edges += req.getDependenciesList().length;
      return registerResource(req, cb);
    };
  }
  return { done, count: () => count, edges: () => edges };
}

/** Resolves once `count()` has not changed for 100 ms. */
async function quiet(count: () => number): Promise<void> {
  for (let last = -1; last !== count(); ) {
    last = count();
    await new Promise((r) => setTimeout(r, 100));
  }
}

function run(variant: Variant, size: Size, s: StaticInputs): void {
  if (variant === "component") component("multus", size);
  else if (variant === "dynamic") dynamicFloor("multus", size);
  else staticFloor(s);
}

/** Lets pending callbacks finish, then collects garbage (twice: weak references and finalizers). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  gc?.();
  gc?.();
}

/** Runs one variant once and measures it. */
async function sample(
  variant: Variant,
  round: number,
  size: Size,
  s: StaticInputs,
  expected: number,
): Promise<Sample> {
  const { done } = await freshMocks(expected);
  await settle();
  const before = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run(variant, size, s);
  await done;
  const totalMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await settle();
  const after = process.memoryUsage();
  return {
    variant,
    round,
    totalMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    heapBytes: after.heapUsed - before.heapUsed,
  };
}

/** The first, untimed run of each program: registrations compared, edges and resources counted. */
async function firstRuns(
  size: Size,
  s: StaticInputs,
): Promise<Pick<WorkerResult, "differences" | "resources" | "edges">> {
  const seen = {} as Record<Variant, Registration[]>;
  const resources = {} as Record<Variant, number>;
  const edges = {} as Record<Variant, number>;
  for (const variant of VARIANTS) {
    seen[variant] = [];
    const mocks = await freshMocks(undefined, seen[variant]);
    run(variant, size, s);
    await mocks.done;
    resources[variant] = mocks.count();
    edges[variant] = mocks.edges();
  }
  const key = (r: Registration) => `${r.type}::${r.name}`;
  const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x)) as unknown;
  const differences: string[] = [];
  for (const floor of ["dynamic", "static"] as const) {
    const theirs = new Map(seen[floor].map((r) => [key(r), r]));
    for (const c of seen.component) {
      const h = theirs.get(key(c));
      if (!h) differences.push(`only the component registers ${key(c)} (not the ${floor} floor)`);
      else if (!isDeepStrictEqual(plain(c.inputs), plain(h.inputs)))
        differences.push(`${floor} floor: inputs differ for ${key(c)}`);
      theirs.delete(key(c));
    }
    for (const k of theirs.keys()) differences.push(`only the ${floor} floor registers ${k}`);
  }
  return { differences, resources, edges };
}

/** One counting run per program (bench/counters.ts). */
async function countRuns(
  size: Size,
  s: StaticInputs,
  expected: Record<Variant, number>,
): Promise<Record<Variant, Counts>> {
  const counts = {} as Record<Variant, Counts>;
  for (const variant of VARIANTS) {
    const { done } = await freshMocks(expected[variant]);
    await settle();
    startCounting(size.nodes < 1000);
    run(variant, size, s);
    await done;
    counts[variant] = stopCounting();
  }
  return counts;
}

async function measureSize(size: Size, reps: number, count: boolean): Promise<WorkerResult> {
  const s = staticInputs("multus", size);
  const first = await firstRuns(size, s);
  const samples: Sample[] = [];
  for (let round = 0; round < reps; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    if (round % 2) order.reverse();
    for (const v of order) samples.push(await sample(v, round, size, s, first.resources[v]));
  }
  const counts = count ? await countRuns(size, s, first.resources) : undefined;
  return { size, samples, ...first, counts };
}

/** One cold construction in this process (see the file comment). */
async function cold(variant: Variant, size: Size): Promise<ColdResult> {
  const loadMs = performance.now();
  const s = variant === "static" ? staticInputs("multus", size) : undefined;
  const { done } = await freshMocks(undefined);
  run(variant, size, s as StaticInputs);
  await done;
  // `done` waits 100 ms of quiet after the outputs: not part of the construction.
  return { variant, processMs: performance.now() - 100, loadMs };
}

async function main(): Promise<void> {
  // tsx turns source maps on; they make every stack the SDK captures (one per resource and per
  // promise) several times slower. Measure the compiled JS as plain node runs it.
  process.setSourceMapsEnabled(false);
  const spec = JSON.parse(process.argv[2] ?? "{}") as Size & {
    reps?: number;
    cold?: Variant;
    count?: boolean;
  };
  const size: Size = { nodes: spec.nodes, networks: spec.networks };
  const result = spec.cold
    ? await cold(spec.cold, size)
    : await measureSize(size, spec.reps ?? 3, spec.count ?? true);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// Run as a script (tsx does not set require.main to this module).
const script = process.argv.at(1);
if (script !== undefined && path.resolve(script) === __filename) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
