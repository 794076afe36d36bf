/**
 * Counts, in the benchmark worker, what a program makes the Pulumi SDK do: Outputs constructed,
 * `apply` calls, promises the SDK tracks, and every promise created. Used only in the untimed
 * counting run of each program (bench/measure.ts): the hooks cost time themselves.
 *
 * How each is counted (against the @pulumi/pulumi that provider/bin loads):
 * - **Outputs**: every Output, however made (`apply`, `all`, `output`, `secret`, the lifted property
 *   access, deserialization), is an `OutputImpl` whose constructor first assigns
 *   `this.__pulumiOutput = true`. A setter for that name on `OutputImpl.prototype` sees each
 *   assignment once, then defines the own property the SDK expects.
 * - **applies**: a wrapper around `OutputImpl.prototype.apply` (the program's own and the SDK's,
 *   e.g. `output.field`, which the SDK's proxy turns into an `apply`).
 * - **SDK promises**: a wrapper around `runtime/debuggable.debuggablePromise`, which the SDK calls
 *   for every promise it tracks for leak detection (each captures a stack trace). The SDK's modules
 *   read it from the module object at each call, so the wrapper sees them all.
 * - **all promises**: an `async_hooks` hook counting `PROMISE` inits (every promise V8 creates in
 *   the process, the mock monitor's included, alike for every program).
 *
 * {@link installCounters} throws when the SDK no longer has the shape these rely on, so that a
 * change of SDK shows up as an error, not as zeros.
 */
import { createHook } from "node:async_hooks";
import * as path from "node:path";

export interface Counts {
  outputs: number;
  applies: number;
  sdkPromises: number;
  promises: number;
}

interface OutputPrototype {
  apply: (this: unknown, ...args: unknown[]) => unknown;
}

let counting = false;
const counts: Counts = { outputs: 0, applies: 0, sdkPromises: 0, promises: 0 };
let installed = false;

const promiseHook = createHook({
  init(_id, type) {
    if (type === "PROMISE") counts.promises++;
  },
});

/** Resolves an SDK module the way provider/bin does. */
function sdkModule(sub: string): string {
  const bin = path.resolve(__dirname, "..", "provider", "bin");
  return require.resolve(`@pulumi/pulumi/${sub}`, { paths: [bin] });
}

/** Installs the hooks (once). They count only between {@link startCounting} and {@link stopCounting}. */
export function installCounters(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const outputModule = require(sdkModule("output")) as { Output?: { prototype: OutputPrototype } };
  const proto = outputModule.Output?.prototype;
  if (!proto || typeof proto.apply !== "function") {
    throw new Error("bench counters: @pulumi/pulumi/output no longer exports Output with an apply method");
  }
  if (Object.prototype.hasOwnProperty.call(proto, "__pulumiOutput")) {
    throw new Error("bench counters: OutputImpl.prototype already defines __pulumiOutput");
  }
  Object.defineProperty(proto, "__pulumiOutput", {
    configurable: true,
    get: () => undefined,
    set(this: object, value: unknown) {
      if (counting) counts.outputs++;
      Object.defineProperty(this, "__pulumiOutput", {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    },
  });
  const apply = proto.apply;
  proto.apply = function countedApply(this: unknown, ...args: unknown[]) {
    if (counting) counts.applies++;
    return apply.apply(this, args);
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require(sdkModule("runtime/debuggable")) as {
    debuggablePromise?: (...args: unknown[]) => unknown;
  };
  const track = debuggable.debuggablePromise;
  if (typeof track !== "function") {
    throw new Error("bench counters: @pulumi/pulumi/runtime/debuggable no longer exports debuggablePromise");
  }
  debuggable.debuggablePromise = (...args: unknown[]) => {
    if (counting) counts.sdkPromises++;
    return track(...args);
  };
}

/**
 * Zeroes the counts and starts counting; `allPromises` false leaves the async_hooks hook off (it
 * slows a run several times over: at 1000 nodes the counting run would take minutes), and
 * `promises` is then NaN.
 */
export function startCounting(allPromises = true): void {
  installCounters();
  counts.outputs = counts.applies = counts.sdkPromises = 0;
  counts.promises = allPromises ? 0 : NaN;
  counting = true;
  if (allPromises) promiseHook.enable();
}

/** Stops counting and returns the counts since {@link startCounting}. */
export function stopCounting(): Counts {
  promiseHook.disable();
  counting = false;
  return { ...counts };
}
