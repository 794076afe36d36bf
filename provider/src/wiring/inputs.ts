import * as pulumi from "@pulumi/pulumi";
import { MultusArgs } from "../args";
import { MultusError } from "../errors";
import { hasChartCredentials, stripChartCredentials, stripNodeCredentials } from "../plan/credentials";
import { refuseUnknownInputs } from "../plan/inputKeys";
import { SECRET_NODE_FIELDS } from "../plan/nodes";
import { redactSecrets, SecretPart } from "../plan/redact";
import { SECRET_PROPERTIES } from "../secrets";
import { PlanArgs, validateInputs, ValidatedInputs } from "../plan/plan";

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
function secretsIn(args: MultusArgs): pulumi.Output<SecretPart[]> {
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
  const parts = found.map(({ path, output }) =>
    pulumi
      .all([pulumi.output(pulumi.isSecret(output)), pulumi.unsecret(output)])
      .apply(([secret, value]): SecretPart[] => (secret ? explainedSecret(path, value) : [])),
  );
  return pulumi.all(parts).apply((l) => l.flat() as SecretPart[]);
}

/**
 * The component's inputs with credentials removed, resolved and validated. Credentials are
 * type-checked first and then dropped, so the result (and everything derived from it) can be
 * unsecreted: only hosts, paths, versions and network specs remain.
 */
export function validatedInputs(resource: pulumi.Resource, args: MultusArgs): pulumi.Output<ValidatedInputs> {
  // Known before anything is validated: every error below is redacted with it.
  const secrets = secretsIn(args).apply((parts) => {
    secretParts.set(resource, parts);
    return parts.length;
  });
  const nodes = pulumi
    .all([args.nodes, secrets])
    .apply(([list]) => list)
    .apply((list) => asResourceError(resource, () => stripNodeCredentials(list)));
  const chartArgs = pulumi.all([args.chart, secrets]).apply(([c]) => c);
  const chart = chartArgs.apply((c) => asResourceError(resource, () => stripChartCredentials(c)));
  const repositoryCredentials = chartArgs.apply(hasChartCredentials);
  const planArgs: pulumi.Output<PlanArgs> = pulumi.all({
    nodes,
    chart,
    repositoryCredentials,
    k3sVersion: args.k3sVersion,
    k3sDataDir: args.k3sDataDir,
    cniBinDir: args.cniBinDir,
    cniConfDir: args.cniConfDir,
    ipam: args.ipam,
    networks: args.networks,
    cleanupOnDestroy: args.cleanupOnDestroy,
    allowOverlappingRanges: args.allowOverlappingRanges,
  });
  // Credentials were removed above; secrets inside free-form data are put back by secretLike where used.
  // The same check as `k3s-multus render`: a misspelt input is refused, not ignored.
  const known = () => refuseUnknownInputs(args as unknown as Record<string, unknown>);
  return pulumi.unsecret(
    planArgs.apply((a) =>
      asResourceError(resource, () => {
        known();
        const v = validateInputs(a);
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
