/**
 * The component's inputs as its wiring reads them: the secrets they carry (recorded for the error
 * messages), the check of every input every child's data is gated on, and errors as ResourceErrors.
 */
import * as pulumi from "@pulumi/pulumi";
import { MultusArgs } from "../args";
import { MultusError } from "../errors";
import { refuseUnknownInputs } from "../plan/inputKeys";
import { SECRET_NODE_FIELDS } from "../plan/nodes";
import { redactSecrets, SecretPart } from "../plan/redact";
import { SECRET_PROPERTIES } from "../secrets";
import { internals } from "./gate";
import { planArgsOf, validateInputs, ValidatedInputs } from "../plan/inputs";

/** Per component: the values that arrived as secrets, and where (see redactSecrets). */
const secretParts = new WeakMap<pulumi.Resource, readonly SecretPart[]>();

/**
 * Runs `fn`, turning a {@link MultusError} into a `pulumi.ResourceError` on `resource`, with every
 * value the user passed as a secret cut out of the message.
 */
export function asResourceError<T>(resource: pulumi.Resource, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MultusError) {
      const safe = redactSecrets(e, secretParts.get(resource) ?? []);
      throw new pulumi.ResourceError(safe.message, resource, true);
    }
    throw e;
  }
}

/** The credential fields the schema marks secret: every SDK sends them (and what holds them) as secrets. */
const CREDENTIALS: readonly string[] = [...SECRET_NODE_FIELDS, ...SECRET_PROPERTIES.ChartArgs];

/**
 * What of a secret value counts as secret. A node list or chart settings holding credentials (which
 * the schema marks secret) arrive through Construct as one secret: then only the credentials are
 * taken for secret (they never reach planning anyway), so that errors can still name a node's host
 * or a chart version. Anything else secret counts as secret as a whole.
 */
function explainedSecret(path: string, value: unknown): SecretPart[] {
  const credentials: SecretPart[] = [];
  const stack: { v: unknown; p: string }[] = [{ v: value, p: path }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.v !== "object" || item.v === null) continue;
    for (const [k, x] of Object.entries(item.v as Record<string, unknown>)) {
      const p = Array.isArray(item.v) ? `${item.p}[${k}]` : item.p ? `${item.p}.${k}` : k;
      if (CREDENTIALS.includes(k) && !Array.isArray(item.v)) credentials.push({ path: p, value: x });
      else stack.push({ v: x, p });
    }
  }
  const root = /^[^.[]*/.exec(path)?.[0];
  return credentials.length && (root === "nodes" || root === "chart") ? credentials : [{ path, value }];
}

/**
 * The values inside the inputs that are secret Outputs, with their field paths. The plain part of
 * the inputs is walked once without recursion; an Output resolves to plain data, secret as a whole
 * when anything inside was (through Construct a list with a secret inside arrives as one secret:
 * then all of it counts as secret).
 */
function secretsIn(args: MultusArgs): Promise<SecretPart[]> {
  const found: { path: string; output: pulumi.Output<unknown> }[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: args, path: "", depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path, depth } = item;
    if (pulumi.Output.isInstance(value)) found.push({ path, output: value });
    else if (typeof value === "object" && value !== null && depth < 64) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const p = Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        stack.push({ value: v, path: p, depth: depth + 1 });
      }
    }
  }
  // From the SDK's promises rather than `apply`: an unknown input (a preview) must not hold back
  // the record of the known ones, nor make everything that waits on the record unknown.
  return Promise.all(
    found.map(async ({ path, output }) => {
      const o = internals(output);
      const [secret, value] = await Promise.all([o.isSecret, o.promise(true)]);
      return secret ? explainedSecret(path, value) : [];
    }),
  ).then((l) => l.flat());
}

/**
 * Finds the secrets in the inputs and records them for the component's error messages (see
 * {@link asResourceError}); resolves to their number once recorded. Every validation waits on it.
 */
export function recordSecrets(resource: pulumi.Resource, args: MultusArgs): pulumi.Output<number> {
  return pulumi.output(
    secretsIn(args).then((parts) => {
      secretParts.set(resource, parts);
      return parts.length;
    }),
  );
}

/**
 * The component's inputs with credentials removed, resolved and validated: the check every child's
 * data is gated on (wiring/gate.ts). The same validation, through the same builder of its
 * arguments, as `k3s-multus render`. Credentials are type-checked first and then dropped, so the
 * result can be unsecreted: only hosts, paths, versions and network specs remain.
 */
export function validatedInputs(
  resource: pulumi.Resource,
  args: MultusArgs,
  secrets: pulumi.Output<number>,
): pulumi.Output<ValidatedInputs> {
  const given = args as Record<string, unknown>;
  const resolved = pulumi.all([pulumi.output(given), secrets]).apply(([a]) => a);
  // Credentials are removed by planArgsOf; secrets inside free-form data are put back by secretLike where used.
  return pulumi.unsecret(
    resolved.apply((a) =>
      asResourceError(resource, () => {
        // The same check as `k3s-multus render`: a misspelt input is refused, not ignored.
        refuseUnknownInputs(a);
        const v = validateInputs(planArgsOf(a));
        for (const w of v.warnings) void pulumi.log.warn(w, resource);
        return v;
      }),
    ),
  );
}

/**
 * `value`, secret whenever `source` is: planning works on unsecreted inputs, so a secret the user put
 * into free-form data (chart values, a network field) is made secret again where it is used. Through
 * Construct a list or object with any secret inside arrives as one secret, so this is conservative:
 * it may keep more secret than needed, never less.
 */
export function secretLike<T, S>(
  value: pulumi.Output<T>,
  source: pulumi.Input<S> | undefined,
): pulumi.Output<T> {
  return pulumi.output(source).apply(() => value);
}
