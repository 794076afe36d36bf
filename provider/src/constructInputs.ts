/**
 * Construct's inputs made plain where the shape allows. The SDK's provider server turns a list or
 * object holding a secret *sig* (old-style secrets, as SDKs and the engine send them when they do
 * not use output values) into one secret Output for the whole top-level input, so `nodes` with an
 * SSH key arrives as `Output<Node[]>` and the component could only register its children once that
 * list resolved. Such an Output's value is already there (Construct's inputs are deserialized, not
 * computed), so when it is known and carries no dependency it is taken apart here: the shape plain,
 * the credentials (and, for a secret network list, every network field but name and namespace)
 * wrapped as secrets again. An input that is unknown or depends on other resources is left as it
 * is: the component then falls back to registering its children once it resolves.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_NODE_FIELDS } from "./plan/nodes";
import { SECRET_PROPERTIES } from "./secrets";

/** The hidden members of an Output that this needs (present through @pulumi/pulumi 3.248). */
interface Internals {
  readonly isKnown: Promise<boolean>;
  readonly isSecret: Promise<boolean>;
  promise(withUnknowns?: boolean): Promise<unknown>;
  allResources(): Promise<Set<unknown>>;
}

/** What is known of an Output at once: undefined when it is unknown or depends on resources. */
async function resolvedAtOnce(
  o: pulumi.Output<unknown>,
): Promise<{ value: unknown; secret: boolean } | undefined> {
  const i = o as unknown as Internals;
  const [known, secret, value, deps] = await Promise.all([
    i.isKnown,
    i.isSecret,
    i.promise(true),
    i.allResources(),
  ]);
  if (!known || deps.size > 0) return undefined;
  return { value, secret };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A record with `keys` made secret (when present). */
function withSecrets(v: unknown, keys: readonly string[]): unknown {
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = { ...v };
  for (const k of keys) if (out[k] !== undefined) out[k] = pulumi.secret(out[k]);
  return out;
}

function node(v: unknown): unknown {
  const n = withSecrets(v, SECRET_NODE_FIELDS);
  if (isRecord(n) && isRecord(n.proxy)) n.proxy = withSecrets(n.proxy, SECRET_NODE_FIELDS);
  return n;
}

function network(v: unknown): unknown {
  if (!isRecord(v)) return v;
  return withSecrets(
    v,
    Object.keys(v).filter((k) => k !== "name" && k !== "namespace"),
  );
}

/** How a secret top-level input is taken apart: undefined where it is not (the value is secret as a whole). */
const SPLIT: Readonly<Record<string, ((v: unknown) => unknown) | undefined>> = {
  nodes: (v) => (Array.isArray(v) ? v.map(node) : v),
  networks: (v) => (Array.isArray(v) ? v.map(network) : v),
  chart: (v) => withSecrets(v, [...SECRET_PROPERTIES.ChartArgs, "values"]),
};

/** The inputs of the shape (which may arrive as one Output): what decides which children exist. */
export const SHAPE_KEYS: readonly string[] = [
  "nodes",
  "networks",
  "chart",
  "ipam",
  "k3sVersion",
  "k3sDataDir",
  "cniBinDir",
  "cniConfDir",
  "cleanupOnDestroy",
];

/** Construct's inputs with every shape input made plain where it can be (see the file comment). */
export async function plainShapeInputs(inputs: pulumi.Inputs): Promise<pulumi.Inputs> {
  const out: pulumi.Inputs = { ...inputs };
  await Promise.all(
    SHAPE_KEYS.map(async (key) => {
      const v: unknown = inputs[key];
      if (!pulumi.Output.isInstance(v)) return;
      const r = await resolvedAtOnce(v);
      if (r === undefined) return;
      if (!r.secret) out[key] = r.value;
      else if (SPLIT[key]) out[key] = SPLIT[key](r.value);
    }),
  );
  return out;
}
