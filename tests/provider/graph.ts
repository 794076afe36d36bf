/**
 * The resource graph a Multus registers, in a form that does not depend on how it was run: through
 * the provider plugin (Construct, recorded by the fake engine) or in-process under
 * `pulumi.runtime.setMocks`. URNs differ between the two (the stack parent, the type chain), so
 * every URN is replaced by the `type::name` of the resource it names.
 */
import * as pulumi from "@pulumi/pulumi";
import { Multus, multusOutputs } from "../../provider/src/multus";
import type { Registration, OutputsFor } from "./engine";
import { registrationOf, PROJECT, STACK } from "./engine";
import { OUTPUT_VALUE_SIG, SECRET_SIG, SIG_KEY } from "./plugin";

/** One resource of the graph. */
export interface GraphNode {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** `type::name` of the parent, or `(root)` for the component itself. */
  readonly parent: string;
  readonly dependencies: readonly string[];
  /** `type::name` of the explicit provider, or "" for the default one. */
  readonly provider: string;
  /** The inputs, URN-free, secrets as `{ secret: value }`. */
  readonly object: unknown;
}

const ROOT = "(root)";

function isWrapped(v: unknown, sig: string): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === sig;
}

/** A wire value with secrets made explicit: `{ secret: value }` (an output value's secret flag counts). */
export function normaliseValue(v: unknown): unknown {
  if (isWrapped(v, SECRET_SIG)) return { secret: normaliseValue(v.value) };
  if (isWrapped(v, OUTPUT_VALUE_SIG)) {
    const inner = normaliseValue(v.value);
    return v.secret === true ? { secret: inner } : inner;
  }
  if (Array.isArray(v)) return v.map(normaliseValue);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, normaliseValue((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** The graph of a list of registrations, sorted by type and name. */
export function normaliseGraph(registrations: readonly Registration[]): GraphNode[] {
  const labels = new Map(registrations.map((r) => [r.urn, `${r.type}::${r.name}`]));
  const label = (urn: string) => labels.get(urn) ?? (urn ? `(unregistered ${urn})` : ROOT);
  const providerLabel = (ref: string) => (ref ? label(ref.slice(0, ref.lastIndexOf("::"))) : "");
  return registrations
    .map((r) => ({
      type: r.type,
      name: r.name,
      custom: r.custom,
      parent: labels.get(r.parent) ?? ROOT,
      dependencies: [...new Set(r.dependencies.map(label))].sort(),
      provider: providerLabel(r.provider),
      object: normaliseValue(r.object),
    }))
    .sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
}

/**
 * Everything printable in a value with secrets removed: where a credential must never appear.
 * Secret wrappers (and secret output values) are replaced by `[secret]`.
 */
export function withoutSecrets(v: unknown): string {
  const strip = (x: unknown): unknown => {
    if (isWrapped(x, SECRET_SIG)) return "[secret]";
    if (isWrapped(x, OUTPUT_VALUE_SIG)) return x.secret === true ? "[secret]" : strip(x.value);
    if (Array.isArray(x)) return x.map(strip);
    if (typeof x === "object" && x !== null)
      return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, strip(y)]));
    return x;
  };
  return JSON.stringify(strip(v));
}

/** A wire value with every secret unwrapped (for comparing values, not secrecy). */
export function revealed(v: unknown): unknown {
  if (isWrapped(v, SECRET_SIG) || isWrapped(v, OUTPUT_VALUE_SIG)) return revealed(v.value);
  if (Array.isArray(v)) return v.map(revealed);
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, y]) => [k, revealed(y)]));
  return v;
}

/** A wire value turned into program inputs: wrapped secrets become `pulumi.secret(...)`. */
export function programInputs(v: unknown): unknown {
  if (isWrapped(v, SECRET_SIG)) return pulumi.secret(programInputs(v.value));
  if (isWrapped(v, OUTPUT_VALUE_SIG)) {
    const inner = programInputs(v.value);
    return v.secret === true ? pulumi.secret(inner) : pulumi.output(inner);
  }
  if (Array.isArray(v)) return v.map(programInputs);
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, y]) => [k, programInputs(y)]));
  return v;
}

type Callback<T> = (err: unknown, res: T) => void;
interface MockMonitor {
  registerResource(req: Parameters<typeof registrationOf>[0], cb: Callback<{ getUrn(): string }>): unknown;
}

/** What an in-process run registered, and the component's outputs. */
export interface InProcessRun {
  readonly registrations: Registration[];
  readonly outputs: Record<string, unknown>;
}

/**
 * Runs the Multus component in this process under `pulumi.runtime.setMocks` (not a preview), with
 * the same inputs (wire form) and the same answers from the "engine" as a Construct call, and
 * records what it registers.
 */
export async function runInProcess(
  name: string,
  wireInputs: Record<string, unknown>,
  outputsFor: OutputsFor,
): Promise<InProcessRun> {
  await pulumi.runtime.setMocks(
    {
      call: (args) => {
        throw new Error(`unexpected invoke ${args.token}`);
      },
      // The recorded registration is built below from the request itself; newResource only answers.
      newResource: (args) => ({
        id: `${args.name}_id`,
        state: {
          ...(args.inputs as Record<string, unknown>),
          ...(outputsFor({ type: args.type } as Registration) ?? {}),
        },
      }),
    },
    PROJECT,
    STACK,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
  const registrations: Registration[] = [];
  let inflight = 0;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    inflight++;
    return original(req, (err, res) => {
      inflight--;
      // The mock's URNs differ from the engine's, but parents and dependencies use the same ones.
      if (!err) registrations.push(registrationOf(req, res.getUrn()));
      cb(err, res);
    });
  };
  const m = new Multus(name, programInputs(wireInputs) as Record<string, never>);
  const outputs = await new Promise<Record<string, unknown>>((resolve) =>
    pulumi.all(multusOutputs(m)).apply((o) => resolve(o)),
  );
  // Registrations that no output waits for (the clean-up commands) may still be on their way.
  for (let quiet = 0; quiet < 5; ) {
    await new Promise((r) => setTimeout(r, 5));
    quiet = inflight === 0 ? quiet + 1 : 0;
  }
  return { registrations, outputs };
}
