/**
 * Mock plumbing for the component tests: runs the Multus component under `pulumi.runtime.setMocks`
 * and records every resource registration as the engine would see it.
 *
 * `MockResourceArgs` (type, name, inputs, provider, custom, id) carries neither the parent nor the
 * dependencies, so the harness also wraps the mock monitor's `registerResource` (the object
 * `pulumi.runtime.getMonitor()` returns after `setMocks`) and reads them from the real
 * RegisterResourceRequest the SDK sends: `getParent()` (parent URN), `getDependenciesList()` (every
 * direct dependency: `dependsOn` and the resources behind Output inputs), `getPropertydependenciesMap()`
 * (the input-derived part, per property), `getProvider()` and `getObject()` (the inputs exactly as
 * serialized on the wire, secrets still in their signature wrappers).
 *
 * setMocks is global: call {@link startMocks} at the start of each test (it resets the runtime
 * and returns a fresh recorder), then create the component and `await h.settle()`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MultusArgs } from "../../provider/src/args";
import { COMMAND_TYPE, RELEASE_TYPE } from "./fixtures";

/** The signature key and values the SDK uses on the wire (runtime/rpc). */
export const SIG_KEY = pulumi.runtime.specialSigKey;
export const SECRET_SIG = pulumi.runtime.specialSecretSig;
export const UNKNOWN = pulumi.runtime.unknownValue;

/** One RegisterResource call, as the mock monitor received it. */
export interface Registration {
  /** Clock tick at which the SDK sent the request (one clock per run, from 0). */
  readonly sentAt: number;
  /** Clock tick at which the mock answered (so `a.doneAt < b.sentAt`: a was registered before b was sent). */
  readonly doneAt: number;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly urn: string;
  /** Parent URN ("" for none). */
  readonly parent: string;
  /** Direct dependency URNs: explicit `dependsOn` plus the resources of Output inputs. */
  readonly dependencies: readonly string[];
  /** Dependency URNs per input property (the input-derived part of `dependencies`). */
  readonly propertyDependencies: Readonly<Partial<Record<string, readonly string[]>>>;
  /** Provider reference `<urn>::<id>` ("" for the default provider). */
  readonly provider: string;
  /** The inputs as newResource received them (secrets as `{[SIG_KEY]: SECRET_SIG, value}`); read with `dig`. */
  readonly inputs: Record<string, unknown>;
  /** The inputs exactly as serialized on the wire (unknowns as {@link UNKNOWN}). */
  readonly wire: Record<string, unknown>;
}

/** The outputs a component registered with registerOutputs, as serialized on the wire. */
export interface RegisteredOutputs {
  readonly urn: string;
  readonly outputs: Record<string, unknown>;
}

export interface HarnessOptions {
  /** Detection stdout by SSH host; a Command for a host not listed fails the mock (and the test). */
  readonly detect?: Readonly<Record<string, string>>;
  /** Run as a preview (dry run). */
  readonly preview?: boolean;
  /**
   * In a preview, whether the engine-computed outputs (a detect Command's `stdout`, a Release's
   * `status`) are "unknown" (what the engine reports for a resource about to be created: the
   * property is missing from the state) or "known" (as for resources that already exist).
   * @default "unknown"
   */
  readonly previewState?: "unknown" | "known";
  readonly project?: string;
  readonly stack?: string;
}

export interface Harness {
  readonly registrations: Registration[];
  readonly outputs: RegisteredOutputs[];
  /** Rejections nobody handled during the run (the SDK re-raises failed registrations). */
  readonly rejections: unknown[];
  /** Waits until no registration is in flight and none started for a while. */
  settle(): Promise<void>;
  /** The registrations of one type, in order. */
  ofType(type: string): Registration[];
  /** The one registration with this name; fails when there is none or more. */
  named(name: string): Registration;
  /** Stops capturing unhandled rejections. */
  stop(): void;
}

/** A secret as the SDK serializes it, unwrapped; anything else unchanged. */
export function unwrapSecret(v: unknown): unknown {
  return isSecretWrapper(v) ? (v as { value: unknown }).value : v;
}

export function isSecretWrapper(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The host of a Command's (secret) connection input. */
function hostOf(inputs: Record<string, unknown>): string {
  const connection = unwrapSecret(inputs.connection) as { host?: unknown } | undefined;
  return String(connection?.host);
}

interface Req {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface Res {
  getUrn(): string;
}
interface OutputsReq {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Struct = Parameters<typeof pulumi.runtime.deserializeProperties>[0];
type Callback<T> = (err: unknown, res: T) => void;
interface Monitor {
  registerResource(req: Req, cb: Callback<Res>): Promise<void>;
  registerResourceOutputs(req: OutputsReq, cb: Callback<unknown>): void;
}

let current: Harness | undefined;

/** Sets the mocks for one run and starts recording. Stops the previous run's recorder. */
export async function startMocks(options: HarnessOptions = {}): Promise<Harness> {
  current?.stop();
  const preview = options.preview ?? false;
  const mocks: pulumi.runtime.Mocks = {
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
    newResource: (args) => {
      // MockResourceArgs types inputs as any: read them as the free-form record they are.
      const inputs = args.inputs as Record<string, unknown>;
      const state: Record<string, unknown> = { ...inputs };
      const computed = !preview || options.previewState === "known";
      if (args.type === COMMAND_TYPE && inputs.create !== undefined) {
        const host = hostOf(inputs);
        const stdout = options.detect?.[host];
        if (stdout === undefined) throw new Error(`no detection fixture for host ${host}`);
        if (computed) state.stdout = stdout;
      }
      if (args.type === RELEASE_TYPE && computed) state.status = { status: "deployed" };
      return { id: preview ? undefined : `${args.name}-id`, state };
    },
  };
  await pulumi.runtime.setMocks(mocks, options.project ?? "project", options.stack ?? "stack", preview);
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const registrations: Registration[] = [];
  const outputs: RegisteredOutputs[] = [];
  const rejections: unknown[] = [];
  let inflight = 0;
  let clock = 0;

  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    inflight++;
    const sentAt = clock++;
    return registerResource(req, (err, res) => {
      inflight--;
      const doneAt = clock++;
      if (!err) {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((v, k) => (propertyDependencies[k] = v.getUrnsList()));
        const object = req.getObject();
        const wire = object?.toJavaScript() ?? {};
        registrations.push({
          sentAt,
          doneAt,
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          urn: res.getUrn(),
          parent: req.getParent(),
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          provider: req.getProvider(),
          // The request is the SDK's own: getObject() is a google-protobuf Struct, typed structurally above.
          // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
          inputs: object ? pulumi.runtime.deserializeProperties(object as Struct) : {},
          wire,
        });
      }
      cb(err, res);
    });
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    clock++;
    outputs.push({ urn: req.getUrn(), outputs: req.getOutputs()?.toJavaScript() ?? {} });
    registerResourceOutputs(req, cb);
  };

  // The SDK deliberately re-raises a failed registration as an unhandled rejection; collect them
  // instead of letting them reach mocha, and let the tests assert on them.
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  let stopped = false;

  const h: Harness = {
    registrations,
    outputs,
    rejections,
    async settle() {
      let seen = -1;
      let quiet = 0;
      while (quiet < 5) {
        await new Promise((r) => setTimeout(r, 2));
        if (inflight === 0 && seen === clock) quiet++;
        else {
          quiet = 0;
          seen = clock;
        }
      }
    },
    ofType: (type) => registrations.filter((r) => r.type === type).sort((a, b) => a.sentAt - b.sentAt),
    named(name) {
      const found = registrations.filter((r) => r.name === name);
      if (found.length !== 1) {
        throw new Error(
          `expected one registration named ${name}, got ${found.length}: ${registrations.map((r) => r.name).join(", ")}`,
        );
      }
      return found[0];
    },
    stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("unhandledRejection", onRejection);
      for (const l of saved) process.on("unhandledRejection", l);
    },
  };
  current = h;
  return h;
}

const inert: pulumi.runtime.Mocks = {
  call: () => {
    throw new Error("no run in progress");
  },
  newResource: () => {
    throw new Error("no run in progress");
  },
};

/**
 * Stops the recorder of the last run (use in an `afterEach`). Resetting the mocks also drops the
 * SDK's promise-leak candidates: a run that failed on purpose leaves the outputs of resources it
 * never registered pending, which the SDK would otherwise report when the process exits.
 */
export async function stopMocks(): Promise<void> {
  current?.stop();
  current = undefined;
  await pulumi.runtime.setMocks(inert);
}

/**
 * The SDK's internal view of an Output. `isKnown`, `isSecret` and `promise(withUnknowns)` are
 * members of OutputImpl (@pulumi/pulumi output.js) that the public typings hide; `pulumi.isSecret`
 * is the public form of `isSecret`. There is no public `isKnown`: in a preview an unknown Output
 * simply never runs its `apply` callbacks.
 */
interface OutputInternals<T> {
  readonly isKnown: Promise<boolean>;
  readonly isSecret: Promise<boolean>;
  promise(withUnknowns?: boolean): Promise<T>;
}

function internals<T>(o: pulumi.Output<T>): OutputInternals<T> {
  return o as unknown as OutputInternals<T>;
}

/** Whether the Output's value is known (false in a preview while it waits on a resource to be created). */
export function isKnown<T>(o: pulumi.Output<T>): Promise<boolean> {
  return internals(o).isKnown;
}

/** The Output's value (undefined when unknown); rejects when the Output failed. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return internals(o).promise();
}

/** Awaits the Output and returns the error it failed with; fails when it resolves. */
export async function failureOf(o: pulumi.Output<unknown>): Promise<Error> {
  try {
    await internals(o).promise();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the Output to fail");
}

/** JSON with object keys sorted at every level: byte-comparable renderings of inputs. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Every string in a value, with the path to it, skipping subtrees inside secret wrappers. */
export function plainStrings(value: unknown, path = "$"): { path: string; text: string }[] {
  if (typeof value === "string") return [{ path, text: value }];
  if (typeof value !== "object" || value === null || isSecretWrapper(value)) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    plainStrings(v, `${path}.${k}`),
  );
}

type MultusModule = typeof import("../../provider/src/multus");
type Multus = InstanceType<MultusModule["Multus"]>;

/** The component module, loaded after the mocks are set. */
export function loadMultus(): MultusModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after setMocks, typed by the import type
  return require("../../provider/src/multus") as MultusModule;
}

export interface DeployOptions extends HarnessOptions {
  /** The component's name. @default "multus" */
  readonly name?: string;
}

export interface Run {
  readonly h: Harness;
  readonly m: Multus;
}

/** Sets the mocks, creates one Multus and waits until every registration is done. */
export async function deploy(args: MultusArgs, options: DeployOptions = {}): Promise<Run> {
  const h = await startMocks(options);
  const { Multus } = loadMultus();
  const m = new Multus(options.name ?? "multus", args);
  await h.settle();
  return { h, m };
}

/** Every output of the component, resolved (undefined for an unknown one). */
export async function outputValues(m: Multus): Promise<Record<string, unknown>> {
  const entries = Object.entries(loadMultus().multusOutputs(m));
  const values = await Promise.all(entries.map(([, o]) => valueOf(o)));
  return Object.fromEntries(entries.map(([k], i) => [k, values[i]]));
}
