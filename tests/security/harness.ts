/**
 * A Pulumi mock run of the Multus component that records everything that could leak or go wrong:
 *
 * - every resource the SDK tried to create (the mocks' newResource, also when it fails) and every
 *   registration as sent on the wire (`RegisterResourceRequest`: parent, dependencies, custom
 *   timeouts, inputs with secrets still in their signature wrappers), read by wrapping the mock
 *   monitor's `registerResource`;
 * - the outputs the component registers;
 * - every unhandled rejection (the SDK re-raises a failed registration that way; the Node language
 *   host logs it and fails the update), and the log line the language host would print for it
 *   (@pulumi/pulumi cmd/run/run.js: a ResourceError's message, else the stack);
 * - everything written to stdout and stderr (console, pulumi.log without an engine) during the run.
 *
 * Faults are injected per resource: a `detect` function gives each node's detection stdout or
 * throws (an unreachable node), `fail` makes any other resource's creation throw.
 */
import * as pulumi from "@pulumi/pulumi";

export const SIG_KEY = pulumi.runtime.specialSigKey;
export const SECRET_SIG = pulumi.runtime.specialSecretSig;

export const COMMAND = "command:remote:Command";
export const RELEASE = "kubernetes:helm.sh/v3:Release";
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

/** One registration as the SDK sent it. */
export interface Sent {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent: string;
  readonly dependencies: readonly string[];
  readonly customTimeouts: { create: string; update: string; delete: string };
  /** The inputs exactly as serialized (secrets wrapped as `{[SIG_KEY]: SECRET_SIG, value}`). */
  readonly wire: Record<string, unknown>;
  /** Whether the (mock) engine created it. */
  readonly ok: boolean;
}

export interface RunOptions {
  /** Detection stdout of a node by host; throw to make the detect Command fail. */
  readonly detect?: (host: string) => string;
  /** Return an Error to make the creation of this resource fail. */
  readonly fail?: (type: string, name: string) => Error | undefined;
  readonly preview?: boolean;
}

export interface Run {
  /** Registrations sent (created or failed), in order. */
  readonly sent: Sent[];
  /** Outputs registered by components (wire form). */
  readonly outputs: Record<string, unknown>[];
  /** Distinct unhandled rejections. */
  readonly rejections: unknown[];
  /** What the run wrote to stdout/stderr, plus the log lines the language host prints for the rejections. */
  readonly logs: string[];
  /** Waits until nothing has been sent, answered or rejected for a while. */
  settle(): Promise<void>;
  /** Stops recording and restores the process's listeners and streams. */
  stop(): void;
  /** The registrations the engine created, optionally of one type. */
  created(type?: string): Sent[];
  /** The one registration with this name. */
  named(name: string): Sent;
  /** The messages of the rejections. */
  errors(): string[];
}

interface Req {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback<T> = (err: unknown, res: T) => void;
interface Monitor {
  registerResource(req: Req, cb: Callback<{ getUrn(): string } | undefined>): Promise<void>;
  registerResourceOutputs(
    req: { getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined },
    cb: Callback<unknown>,
  ): void;
}

/** The secret-wrapped form test; anything inside it is allowed to hold credentials. */
export function isSecretWrapper(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function hostOf(inputs: Record<string, unknown>): string {
  const c = inputs.connection;
  const conn = (isSecretWrapper(c) ? (c as { value: unknown }).value : c) as { host?: unknown } | undefined;
  return String(conn?.host);
}

let current: Run | undefined;

/** The log line @pulumi/pulumi's language host prints for an unhandled error. */
function hostLogLine(err: unknown): string {
  if (pulumi.ResourceError.isInstance(err) && (err as { hideStack?: boolean }).hideStack) return err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

/** Sets the mocks for one run and starts recording (stopping the previous run's recording). */
export async function startRun(options: RunOptions = {}): Promise<Run> {
  current?.stop();
  const preview = options.preview ?? false;
  let activity = 0;
  await pulumi.runtime.setMocks(
    {
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
        if (args.type === COMMAND) {
          state.stdout =
            inputs.create === undefined ? "" : (options.detect ?? (() => detectOutput()))(hostOf(inputs));
          state.stderr = "";
        }
        if (args.type === RELEASE) state.status = { status: "deployed" };
        return { id: preview ? undefined : `${args.name}-id`, state };
      },
    },
    "project",
    "stack",
    preview,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const sent: Sent[] = [];
  const outputs: Record<string, unknown>[] = [];
  const rejections: unknown[] = [];
  const logs: string[] = [];
  let inflight = 0;

  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    inflight++;
    activity++;
    return register(req, (err, res) => {
      inflight--;
      activity++;
      const t = req.getCustomtimeouts();
      sent.push({
        type: req.getType(),
        name: req.getName(),
        urn: err ? "" : (res?.getUrn() ?? ""),
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        customTimeouts: {
          create: t?.getCreate() ?? "",
          update: t?.getUpdate() ?? "",
          delete: t?.getDelete() ?? "",
        },
        wire: req.getObject()?.toJavaScript() ?? {},
        ok: !err,
      });
      cb(err, res);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    activity++;
    outputs.push(req.getOutputs()?.toJavaScript() ?? {});
    registerOutputs(req, cb);
  };

  const savedListeners = process.listeners("unhandledRejection");
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
  const capture = (chunk: unknown): boolean => {
    logs.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return true;
  };
  process.stdout.write = capture;
  process.stderr.write = capture;

  let stopped = false;
  const run: Run = {
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
    stop() {
      if (stopped) return;
      stopped = true;
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      process.removeListener("unhandledRejection", onRejection);
      for (const l of savedListeners) process.on("unhandledRejection", l);
    },
    created: (type) => sent.filter((s) => s.ok && (type === undefined || s.type === type)),
    named(name) {
      const found = sent.filter((s) => s.name === name);
      if (found.length !== 1)
        throw new Error(
          `expected one registration named ${name}, got ${found.length}: ${sent.map((s) => s.name).join(", ")}`,
        );
      return found[0];
    },
    errors: () => rejections.map((r) => (r instanceof Error ? r.message : String(r))),
  };
  current = run;
  return run;
}

/** Stops the last run's recording (for `afterEach`). */
export function stopRun(): void {
  current?.stop();
  current = undefined;
}

/** The Multus component module, loaded after the mocks are set. */
export function multusModule(): typeof import("../../provider/src/multus") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after setMocks, as the SDK requires
  return require("../../provider/src/multus") as typeof import("../../provider/src/multus");
}

/** Runs the component with `args` to the end; returns the run (already stopped). */
export async function runMultus(args: unknown, options: RunOptions = {}, name = "m"): Promise<Run> {
  const run = await startRun(options);
  try {
    const { Multus } = multusModule();
    try {
      new Multus(name, args as import("../../provider/src/args").MultusArgs);
    } catch (e) {
      // A synchronous throw is a failed program too: record it like the language host would.
      run.rejections.push(e);
      run.logs.push(hostLogLine(e));
    }
    await run.settle();
  } finally {
    run.stop();
  }
  return run;
}

/** Every string in a value outside secret wrappers, with its path. */
export function plainStrings(value: unknown, path = "$"): { path: string; text: string }[] {
  if (typeof value === "string") return [{ path, text: value }];
  if (typeof value !== "object" || value === null || isSecretWrapper(value)) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    plainStrings(v, `${path}.${k}`),
  );
}

/** JSON with object keys sorted at every level. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
