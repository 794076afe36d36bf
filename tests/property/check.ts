/**
 * Shared assertions of the property tests: "returns, or throws our validation error naming the
 * field", the strict shape of a path that may reach a node command, and JSON/YAML round trips.
 */
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { MultusError } from "../../provider/src/errors";
import { stripSecrets } from "../../provider/src/plan/nodes";
import { PlanArgs } from "../../provider/src/plan/plan";

/** The result of a call that may refuse its input. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: MultusError };

/**
 * Runs `fn`: a return or a {@link MultusError} is an outcome; any other exception fails the
 * property (that is a bug in the code, not in the input). A MultusError must name a field, start its
 * message with it and say what is allowed.
 */
export function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof MultusError)) throw e;
    checkError(e);
    return { ok: false, error: e };
  }
}

/** A well-formed MultusError: a field, a message starting with it, a non-empty `allowed` in the message. */
export function checkError(e: MultusError): void {
  expect(e.field, "field").to.be.a("string");
  expect(e.field.length > 0, "field is not empty").to.equal(true);
  expect(e.message.startsWith(`${e.field}: `), e.message).to.equal(true);
  expect(e.allowed.length > 0, "allowed is not empty").to.equal(true);
  expect(e.message).to.include(e.allowed);
}

/** The input a field path starts with: `networks[2].ipam.range` → `networks`. */
export function fieldRoot(field: string): string {
  return /^[^.[]*/.exec(field)?.[0] ?? field;
}

/**
 * An absolute path with only letters, digits and `. _ + @ : -` between single slashes, no `.` or
 * `..` component, not `/` itself, at most 1024 characters: nothing a shell would interpret.
 * Written independently of provider/src/plan/paths.ts.
 */
export function isStrictSafePath(p: unknown): boolean {
  return (
    typeof p === "string" &&
    p.length <= 1024 &&
    /^(\/[A-Za-z0-9._+@:-]+)+$/.test(p) &&
    p
      .split("/")
      .slice(1)
      .every((c) => c !== "." && c !== "..")
  );
}

/** The value as plain JSON data (what Pulumi and Helm receive; -0 becomes 0). */
export function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/**
 * YAML text read back by a YAML 1.2 parser and by a YAML 1.1 one (Helm, kubectl and the K3s
 * helm-controller read YAML with go-yaml, where `on`, `yes` and `n` are booleans) gives the value.
 */
export function expectYamlRoundTrip(text: string, value: unknown): void {
  const expected = asJson(value);
  expect(asJson(parseYaml(text)), `YAML 1.2 reading of:\n${text}`).to.deep.equal(expected);
  expect(asJson(parseYaml(text, { version: "1.1" })), `YAML 1.1 reading of:\n${text}`).to.deep.equal(
    expected,
  );
}

/** fast-check settings: moderate run counts; fast-check prints the seed and path of a failure. */
export const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) };

/**
 * What the component hands validateInputs (provider/src/wiring/inputs.ts): node and proxy
 * credentials type-checked and dropped, the chart's repository credentials likewise.
 */
export function componentView(args: Record<string, unknown>): PlanArgs {
  const nodes = Array.isArray(args.nodes)
    ? args.nodes.map((n, i) => stripSecrets(`nodes[${i}]`, n))
    : args.nodes;
  let chart = args.chart;
  if (typeof chart === "object" && chart !== null && !Array.isArray(chart)) {
    const { repositoryUsername, repositoryPassword, ...rest } = chart as Record<string, unknown>;
    for (const [key, v] of Object.entries({ repositoryUsername, repositoryPassword }))
      if (v !== undefined && typeof v !== "string")
        throw new MultusError(`chart.${key}`, "(secret)", "expected a string", "has the wrong type");
    chart = rest;
  }
  return { ...args, nodes, chart };
}
