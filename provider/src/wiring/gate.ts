/**
 * Gating data on its validation without losing what a preview knows: {@link gate} gives `value`
 * once `check` has settled, failing with `check`'s error when the check fails, and otherwise as
 * known (and as secret) as `value` itself. A check that waits on an unknown input (a preview) does
 * not make the gated value unknown; in an update every input is known, so nothing is created from
 * data the check refuses. This is what pulumi-eks calls a validated input.
 *
 * It relies on members of @pulumi/pulumi's OutputImpl that its public typings hide (the
 * constructor, `promise(withUnknowns)`, `isKnown`, `isSecret`, `allResources`), present from 3.x
 * through 3.248; tests/component/preview.test.ts fails when they change.
 */
import * as pulumi from "@pulumi/pulumi";

interface OutputInternals<T> {
  readonly isKnown: Promise<boolean>;
  readonly isSecret: Promise<boolean>;
  resources(): Set<pulumi.Resource>;
  allResources(): Promise<Set<pulumi.Resource>>;
  promise(withUnknowns?: boolean): Promise<T>;
}

type OutputConstructor = new <T>(
  resources: Set<pulumi.Resource> | pulumi.Resource[],
  promise: Promise<T>,
  isKnown: Promise<boolean>,
  isSecret: Promise<boolean>,
  allResources: Promise<Set<pulumi.Resource> | pulumi.Resource[]>,
) => pulumi.Output<T>;

/** The SDK's hidden members of an Output (see the file comment). */
export function internals<T>(o: pulumi.Output<T>): OutputInternals<T> {
  return o as unknown as OutputInternals<T>;
}

/** Per check, the promises the gates wait on: made once per check, shared by every gated value. */
const settledOf = new WeakMap<
  pulumi.Output<unknown>,
  { failing: Promise<unknown>; holding: Promise<unknown> }
>();

function settled(check: pulumi.Output<unknown>): { failing: Promise<unknown>; holding: Promise<unknown> } {
  let s = settledOf.get(check);
  if (s === undefined) {
    // withUnknowns: an unknown check resolves (to the unknown sentinel) instead of waiting forever.
    const failing = internals(check).promise(true);
    const never = new Promise<never>(() => undefined);
    s = { failing, holding: failing.catch(() => never) };
    // The failure reaches the program through the gated values; this shared copy is handled here.
    failing.catch(() => undefined);
    settledOf.set(check, s);
  }
  return s;
}

/** `value`, after `check` has settled: failing with its error, else as known as `value` (see the file comment). */
export function gate<T>(
  value: pulumi.Input<T>,
  check: pulumi.Output<unknown>,
): pulumi.Output<pulumi.Unwrap<T>> {
  return gated(value, settled(check).failing);
}

/**
 * Like {@link gate}, for a child's input: when the check fails, the value never settles, so the
 * child is never registered and the check's error is reported once, by the component's outputs.
 * (A child's failing input would be reported too, with the SDK's "error serializing property"
 * prepended to the very same error object.)
 */
export function hold<T>(
  value: pulumi.Input<T>,
  check: pulumi.Output<unknown>,
): pulumi.Output<pulumi.Unwrap<T>> {
  return gated(value, settled(check).holding);
}

function gated<T>(value: pulumi.Input<T>, settled: Promise<unknown>): pulumi.Output<pulumi.Unwrap<T>> {
  const v = internals(pulumi.output(value));
  const Output = pulumi.Output as unknown as OutputConstructor;
  return new Output(
    v.resources(),
    Promise.all([v.promise(true), settled]).then(([x]) => x),
    Promise.all([v.isKnown, settled]).then(([k]) => k),
    v.isSecret,
    v.allResources(),
  ) as pulumi.Output<pulumi.Unwrap<T>>;
}
