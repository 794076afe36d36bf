/**
 * One benchmark worker (a child process of bench/run.ts, one per size, so that runs of different
 * sizes do not share a heap): under Pulumi mocks, alternately runs the component and the
 * hand-written program, each on a fresh mock monitor, and prints one JSON line of results.
 *
 *   node --expose-gc --require tsx/cjs bench/measure.ts '{"nodes":10,"networks":1,"reps":5}'
 *
 * A run's time is from the start of construction until the mock monitor has received every
 * expected registration. Memory: heap retained after a forced GC and RSS growth, against a GC'd
 * baseline taken just before the run.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";
import {
  component,
  DETECT_STDOUT,
  expectedRegistrations,
  handWritten,
  Size,
  staticInputs,
  StaticInputs,
} from "./program";

export type Variant = "component" | "handWritten";

export interface Sample {
  readonly variant: Variant;
  /** Construction until every registration was received, ms. */
  readonly totalMs: number;
  /** CPU time of the process (user + system, GC threads included) over the same span, ms. */
  readonly cpuMs: number;
  /** The synchronous part (constructor call), ms. */
  readonly constructMs: number;
  /** Heap retained after a GC, bytes. */
  readonly heapBytes: number;
  /** RSS growth during the run, bytes. */
  readonly rssBytes: number;
}

export interface WorkerResult {
  readonly size: Size;
  readonly samples: readonly Sample[];
  /** Differences between the two programs' registrations (empty: they register the same resources). */
  readonly differences: readonly string[];
  /** Dependency edges (URNs in each registration's dependency list), summed over the registrations. */
  readonly edges: Readonly<Record<Variant, number>>;
}

const gc = (globalThis as { gc?: () => void }).gc;

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

interface OutputsMonitor {
  registerResourceOutputs(req: unknown, cb: (err: unknown, res: unknown) => void): void;
  registerResource(
    req: { getDependenciesList(): string[] },
    cb: (err: unknown, res: unknown) => void,
  ): unknown;
}

/**
 * Installs fresh mocks. `done` resolves when `expected` resources were registered and the root
 * component's outputs were registered (the SDK does that once every output has resolved, so the
 * next run's fresh monitor cannot receive a late call from this one).
 */
async function freshMocks(expected: number, record?: Registration[]): Promise<{ done: Promise<void> }> {
  let count = 0;
  let outputs = false;
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  const check = () => {
    if (count === expected && outputs) resolve();
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
    "bench",
    "bench",
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as OutputsMonitor;
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) =>
    registerResourceOutputs(req, (err, res) => {
      outputs = true;
      cb(err, res);
      check();
    });
  // Wrapped: an async function returning a promise would wait for it.
  return { done };
}

function run(variant: Variant, size: Size, s: StaticInputs): void {
  if (variant === "component") component("multus", size);
  else handWritten("multus", s);
}

/** Lets pending callbacks finish, then collects garbage (twice: weak references and finalizers). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  gc?.();
  gc?.();
}

/** Runs one variant once and measures it. */
async function sample(variant: Variant, size: Size, s: StaticInputs): Promise<Sample> {
  const { done } = await freshMocks(expectedRegistrations(size));
  await settle();
  const before = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run(variant, size, s);
  const constructMs = performance.now() - t0;
  await done;
  const totalMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rss = process.memoryUsage().rss;
  await settle();
  const after = process.memoryUsage();
  return {
    variant,
    totalMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    constructMs,
    heapBytes: after.heapUsed - before.heapUsed,
    rssBytes: rss - before.rss,
  };
}

/** Both programs' registrations, compared, and their dependency edges counted (untimed). */
async function compare(
  size: Size,
  s: StaticInputs,
): Promise<{ differences: string[]; edges: Record<Variant, number> }> {
  const seen: Record<Variant, Registration[]> = { component: [], handWritten: [] };
  const edges: Record<Variant, number> = { component: 0, handWritten: 0 };
  for (const variant of ["component", "handWritten"] as const) {
    const { done } = await freshMocks(expectedRegistrations(size), seen[variant]);
    const monitor = pulumi.runtime.getMonitor() as unknown as OutputsMonitor;
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      edges[variant] += req.getDependenciesList().length;
      return registerResource(req, cb);
    };
    run(variant, size, s);
    await done;
  }
  const key = (r: Registration) => `${r.type}::${r.name}`;
  const hand = new Map(seen.handWritten.map((r) => [key(r), r]));
  const differences: string[] = [];
  for (const c of seen.component) {
    const h = hand.get(key(c));
    if (!h) differences.push(`only the component registers ${key(c)}`);
    else if (!isDeepStrictEqual(JSON.parse(JSON.stringify(c.inputs)), JSON.parse(JSON.stringify(h.inputs))))
      differences.push(`inputs differ: ${key(c)}`);
    hand.delete(key(c));
  }
  for (const k of hand.keys()) differences.push(`only the hand-written program registers ${k}`);
  return { differences, edges };
}

async function main(): Promise<void> {
  // tsx turns source maps on; they make every stack the SDK captures (one per resource and per
  // promise) several times slower. Measure the compiled JS as plain node runs it.
  process.setSourceMapsEnabled(false);
  const { nodes, networks, reps } = JSON.parse(process.argv[2] ?? "{}") as Size & { reps: number };
  const size: Size = { nodes, networks };
  const s = staticInputs("multus", size);
  // Also the warm-up: both programs ran once, untimed, before the measured runs.
  const { differences, edges } = await compare(size, s);
  const samples: Sample[] = [];
  for (let i = 0; i < reps; i++) {
    const order: Variant[] = i % 2 ? ["component", "handWritten"] : ["handWritten", "component"];
    for (const v of order) samples.push(await sample(v, size, s));
  }
  const result: WorkerResult = { size, samples, differences, edges };
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
