import * as pulumi from "@pulumi/pulumi";
import { MultusArgs } from "../args";
import { MultusError } from "../errors";
import { stripChartCredentials, stripNodeCredentials } from "../plan/credentials";
import { PlanArgs, validateInputs, ValidatedInputs } from "../plan/plan";

/** Runs `fn`, turning a {@link MultusError} into a `pulumi.ResourceError` on `resource`. */
export function asResourceError<T>(resource: pulumi.Resource, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MultusError) throw new pulumi.ResourceError(e.message, resource, true);
    throw e;
  }
}

/**
 * The component's inputs with credentials removed, resolved and validated. Credentials are
 * type-checked first and then dropped, so the result (and everything derived from it) can be
 * unsecreted: only hosts, paths, versions and network specs remain.
 */
export function validatedInputs(resource: pulumi.Resource, args: MultusArgs): pulumi.Output<ValidatedInputs> {
  const nodes = pulumi
    .output(args.nodes)
    .apply((list) => asResourceError(resource, () => stripNodeCredentials(list)));
  const chart = pulumi
    .output(args.chart)
    .apply((c) => asResourceError(resource, () => stripChartCredentials(c)));
  const planArgs: pulumi.Output<PlanArgs> = pulumi.all({
    nodes,
    chart,
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
  return pulumi.unsecret(planArgs.apply((a) => asResourceError(resource, () => validateInputs(a))));
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
