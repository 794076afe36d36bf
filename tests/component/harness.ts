/**
 * The one mock harness of the component, security, fault and property tests: runs the Multus
 * component under `pulumi.runtime.setMocks` and records every resource registration as the engine
 * would see it (created or failed), the outputs it registers, every unhandled rejection with the
 * log line the language host would print for it and, on request, everything written to stdout and
 * stderr. Faults are injected per resource: `detect` gives each node's detection stdout (a
 * function may throw: an unreachable node), `fail` makes any resource's creation throw.
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

/** The resource types the component registers. */
export const COMMAND = COMMAND_TYPE;
export const RELEASE = RELEASE_TYPE;
export const NAD = "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition";
export const K8S_PROVIDER = "pulumi:providers:kubernetes";
export const MULTUS = "k3s-multus:index:Multus";

/** A detection output of a K3s after the October 2024 bin-dir gate (containerd 2). */
export function detectOutput(tag = "v1.32.2+k3s1", dataDir = "/var/lib/rancher/k3s"): string {
  return [
    "k3s-multus-detect 1",
    `version=k3s version ${tag} (381620ef)`,
    `data_dir=${dataDir}`,
    "flannel=on",
    `bin_dir=${dataDir}/data/cni`,
    `conf_dir=${dataDir}/agent/etc/cni/net.d`,
    `containerd_config=${dataDir}/agent/etc/containerd/config-v3.toml`,
    "",
  ].join("\n");
}

/** One RegisterResource call, as the mock monitor received it (created or failed). */
export interface Sent {
  /** Clock tick at which the SDK sent the request (one clock per run, from 0). */
  readonly sentAt: number;
  /** Clock tick at which the mock answered (so `a.doneAt < b.sentAt`: a was registered before b was sent). */
  readonly doneAt: number;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** "" when the registration failed. */
  readonly urn: string;
  /** Parent URN ("" for none). */
  readonly parent: string;
  /** Direct dependency URNs: explicit `dependsOn` plus the resources of Output inputs. */
  readonly dependencies: readonly string[];
  /** Dependency URNs per input property (the input-derived part of `dependencies`). */
  readonly propertyDependencies: Readonly<Partial<Record<string, readonly string[]>>>;
  /** Provider reference `<urn>::<id>` ("" for the default provider). */
  readonly provider: string;
  readonly customTimeouts: { create: string; update: string; delete: string };
  /** The inputs as newResource received them (secrets as `{[SIG_KEY]: SECRET_SIG, value}`); read with `dig`. */
  readonly inputs: Record<string, unknown>;
  /** The inputs exactly as serialized on the wire (unknowns as {@link UNKNOWN}). */
  readonly wire: Record<string, unknown>;
  /** Whether the (mock) engine created it. */
  readonly ok: boolean;
}

/** A registration the engine accepted. */
export type Registration = Sent;

/** The outputs a component registered with registerOutputs, as serialized on the wire. */
export interface RegisteredOutputs {
  readonly urn: string;
  readonly outputs: Record<string, unknown>;
}

export interface HarnessOptions {
  /**
   * Detection stdout by SSH host (a Command for a host not listed fails the mock, and the test), or
   * a function of the host that may throw (an unreachable node).
   */
  readonly detect?: Readonly<Record<string, string>> | ((host: string) => string);
  /** Return an Error to make the creation of this resource fail. */
  readonly fail?: (type: string, name: string) => Error | undefined;
  /** Run as a preview (dry run). */
  readonly preview?: boolean;
  /**
   * In a preview, whether the engine-computed outputs (a detect Command's `stdout`, a Release's
   * `status`) are "unknown" (what the engine reports for a resource about to be created: the
   * property is missing from the state) or "known" (as for resources that already exist).
   * @default "unknown"
   */
  readonly previewState?: "unknown" | "known";
  /** Capture what the run writes to stdout and stderr into `logs` (until stopped). */
  readonly captureOutput?: boolean;
  readonly project?: string;
  readonly stack?: string;
}

export interface Harness {
  /** The registrations the engine accepted, in the order they were answered. */
  readonly registrations: Registration[];
  /** Every registration sent, created or failed. */
  readonly sent: Sent[];
  readonly outputs: RegisteredOutputs[];
  /** Distinct rejections nobody handled during the run (the SDK re-raises failed registrations). */
  readonly rejections: unknown[];
  /** What the run wrote (with captureOutput), plus the log lines the language host prints for the rejections. */
  readonly logs: string[];
  /** Waits until no registration is in flight and nothing happened for a while. */
  settle(): Promise<void>;
  /** The registrations of one type, in order. */
  ofType(type: string): Registration[];
  /** The one registration with this name; fails when there is none or more. */
  named(name: string): Registration;
  /** Stops capturing unhandled rejections (and output). */
  stop(): void;
}

/**
 * `value` as one secret Output, typed as the plain value: the form a JavaScript caller may pass for
 * a part of the shape (and the SDK's Construct hands over for a list made secret as a whole). The
 * component then registers its children once the value resolves.
 */
export function wholeSecret<T>(value: T): T {
  return pulumi.secret(value) as unknown as T;
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

/** The log line @pulumi/pulumi's language host prints for an unhandled error (cmd/run/run.js). */
function hostLogLine(err: unknown): string {
  if (pulumi.ResourceError.isInstance(err) && (err as { hideStack?: boolean }).hideStack) return err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

interface Req {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
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
  registerResource(req: Req, cb: Callback<Res | undefined>): Promise<void>;
  registerResourceOutputs(req: OutputsReq, cb: Callback<unknown>): void;
}

let current: Harness | undefined;

/** The detection stdout of a Command's host (undefined: none, which a preview may not need). */
function detectionOf(options: HarnessOptions, host: string, preview: boolean): string | undefined {
  const d = options.detect;
  if (typeof d === "function") return d(host);
  const stdout = d?.[host];
  // A preview may not know the host yet (an Output of a resource being created).
  if (stdout === undefined && !(preview && host === "undefined"))
    throw new Error(`no detection fixture for host ${host}`);
  return stdout;
}

/** Sets the mocks for one run and starts recording. Stops the previous run's recorder. */
export async function startMocks(options: HarnessOptions = {}): Promise<Harness> {
  current?.stop();
  const preview = options.preview ?? false;
  let activity = 0;
  const mocks: pulumi.runtime.Mocks = {
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
    newResource: (args) => {
      // MockResourceArgs types inputs as any: read them as the free-form record they are.
      const inputs = args.inputs as Record<string, unknown>;
      activity++;
      const failure = options.fail?.(args.type, args.name);
      if (failure) throw failure;
      const state: Record<string, unknown> = { ...inputs };
      const computed = !preview || options.previewState === "known";
      if (args.type === COMMAND_TYPE) {
        const stdout = inputs.create === undefined ? "" : detectionOf(options, hostOf(inputs), preview);
        if (computed && stdout !== undefined) state.stdout = stdout;
        if (computed) state.stderr = "";
      }
      if (args.type === RELEASE_TYPE && computed) state.status = { status: "deployed" };
      return { id: preview ? undefined : `${args.name}-id`, state };
    },
  };
  await pulumi.runtime.setMocks(mocks, options.project ?? "project", options.stack ?? "stack", preview);
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const sent: Sent[] = [];
  const registrations: Registration[] = [];
  const outputs: RegisteredOutputs[] = [];
  const rejections: unknown[] = [];
  const logs: string[] = [];
  let inflight = 0;
  let clock = 0;

  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    inflight++;
    activity++;
    const sentAt = clock++;
    return registerResource(req, (err, res) => {
      inflight--;
      activity++;
      const doneAt = clock++;
      const propertyDependencies: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((v, k) => (propertyDependencies[k] = v.getUrnsList()));
      const object = req.getObject();
      const t = req.getCustomtimeouts();
      const s: Sent = {
        sentAt,
        doneAt,
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        urn: err ? "" : (res?.getUrn() ?? ""),
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        provider: req.getProvider(),
        customTimeouts: {
          create: t?.getCreate() ?? "",
          update: t?.getUpdate() ?? "",
          delete: t?.getDelete() ?? "",
        },
        // The request is the SDK's own: getObject() is a google-protobuf Struct, typed structurally above.
        // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
        inputs: object ? pulumi.runtime.deserializeProperties(object as Struct) : {},
        wire: object?.toJavaScript() ?? {},
        ok: !err,
      };
      sent.push(s);
      if (!err) registrations.push(s);
      cb(err, res);
    });
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    clock++;
    activity++;
    outputs.push({ urn: req.getUrn(), outputs: req.getOutputs()?.toJavaScript() ?? {} });
    registerResourceOutputs(req, cb);
  };

  // The SDK deliberately re-raises a failed registration as an unhandled rejection; collect them
  // instead of letting them reach mocha, and let the tests assert on them.
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const onRejection = (reason: unknown) => {
    activity++;
    if (rejections.includes(reason)) return;
    rejections.push(reason);
    logs.push(hostLogLine(reason));
  };
  process.on("unhandledRejection", onRejection);
  // Saved to be put back as the same method of the same stream; never called unbound.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const stdoutWrite = process.stdout.write;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const stderrWrite = process.stderr.write;
  if (options.captureOutput) {
    const capture = (chunk: unknown): boolean => {
      logs.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return true;
    };
    process.stdout.write = capture;
    process.stderr.write = capture;
  }
  let stopped = false;

  const h: Harness = {
    registrations,
    sent,
    outputs,
    rejections,
    logs,
    async settle() {
      let seen = -1;
      let quiet = 0;
      while (quiet < 10) {
        await new Promise((r) => setTimeout(r, 2));
        if (inflight === 0 && seen === activity) quiet++;
        else {
          quiet = 0;
          seen = activity;
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
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      process.removeListener("unhandledRejection", onRejection);
      for (const l of saved) process.on("unhandledRejection", l);
    },
  };
  current = h;
  return h;
}

/** A finished run of the component, as the security, fault and property tests read it. */
export interface MockRun {
  /** Registrations sent (created or failed), in order. */
  readonly sent: Sent[];
  /** Outputs registered by components (wire form). */
  readonly outputs: Record<string, unknown>[];
  /** Distinct unhandled rejections, and what the constructor threw. */
  readonly rejections: unknown[];
  /** What the run wrote to stdout/stderr, plus the log lines the language host prints for the rejections. */
  readonly logs: string[];
  /** The registrations the engine created, optionally of one type. */
  created(type?: string): Sent[];
  /** The one registration sent with this name. */
  named(name: string): Sent;
  /** The messages of the rejections. */
  errors(): string[];
}

/**
 * Runs the component with `args` to the end, output captured (every node detects
 * {@link detectOutput} unless `detect` says otherwise); returns the run, already stopped.
 */
export async function runMultus(args: unknown, options: HarnessOptions = {}, name = "m"): Promise<MockRun> {
  const h = await startMocks({
    ...options,
    detect: options.detect ?? (() => detectOutput()),
    captureOutput: true,
  });
  try {
    const { Multus } = loadMultus();
    try {
      new Multus(name, args as MultusArgs);
    } catch (e) {
      h.rejections.push(e);
      h.logs.push(hostLogLine(e));
    }
    await h.settle();
  } finally {
    h.stop();
  }
  return {
    sent: h.sent,
    outputs: h.outputs.map((o) => o.outputs),
    rejections: h.rejections,
    logs: h.logs,
    created: (type) => h.sent.filter((s) => s.ok && (type === undefined || s.type === type)),
    named(n) {
      const found = h.sent.filter((s) => s.name === n);
      if (found.length !== 1)
        throw new Error(
          `expected one registration named ${n}, got ${found.length}: ${h.sent.map((s) => s.name).join(", ")}`,
        );
      return found[0];
    },
    errors: () => h.rejections.map((r) => (r instanceof Error ? r.message : String(r))),
  };
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
  /** The component; undefined (and `error` set) when its constructor refused the shape. */
  readonly m: Multus;
  /** What the constructor threw: a shape error is refused at once (a pulumi.ResourceError). */
  readonly error?: unknown;
}

/**
 * Sets the mocks, creates one Multus and waits until every registration is done. A constructor
 * that throws (the shape refused at once) gives a run with `error` set and no component.
 */
export async function deploy(args: MultusArgs, options: DeployOptions = {}): Promise<Run> {
  const h = await startMocks(options);
  const { Multus } = loadMultus();
  try {
    const m = new Multus(options.name ?? "multus", args);
    await h.settle();
    return { h, m };
  } catch (error) {
    await h.settle();
    return { h, m: undefined as unknown as Multus, error };
  }
}

/**
 * The error a run failed with, whichever way: thrown by the constructor (a shape error) or carried
 * by the component's `networkNames` (a data error). Either is a pulumi.ResourceError on the component.
 */
export async function errorOf(run: Run): Promise<Error> {
  if (run.error !== undefined) return run.error as Error;
  return failureOf(run.m.networkNames);
}

/** Every output of the component, resolved (undefined for an unknown one). */
export async function outputValues(m: Multus): Promise<Record<string, unknown>> {
  const entries = Object.entries(loadMultus().multusOutputs(m));
  const values = await Promise.all(entries.map(([, o]) => valueOf(o)));
  return Object.fromEntries(entries.map(([k], i) => [k, values[i]]));
}
