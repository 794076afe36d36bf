/**
 * expectMultusError: runs a function that must refuse its input and checks the MultusError's field,
 * refused value, what is allowed and message fragments.
 */
import { expect } from "chai";
import { MultusError } from "../../provider/src/errors";

/** What a refused input's {@link MultusError} must carry. */
export interface ExpectedError {
  readonly field: string;
  /** The refused value (deep-equal); omit to skip the check. */
  readonly input?: unknown;
  /** A fragment (or pattern) of `allowed`. */
  readonly allowed?: string | RegExp;
  /** Fragments (or patterns) of the message. */
  readonly message?: readonly (string | RegExp)[];
}

function match(text: string, expected: string | RegExp, what: string): void {
  if (typeof expected === "string") expect(text, what).to.include(expected);
  else expect(text, what).to.match(expected);
}

/** Runs `fn`, expects a {@link MultusError} and checks its fields; returns it for further checks. */
export function expectMultusError(fn: () => unknown, expected: ExpectedError): MultusError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a MultusError to be thrown").to.be.instanceOf(MultusError);
  const err = caught as MultusError;
  expect(err.name).to.equal("MultusError");
  expect(err.field, `field of: ${err.message}`).to.equal(expected.field);
  if ("input" in expected) expect(err.input, `input of: ${err.message}`).to.deep.equal(expected.input);
  expect(err.allowed, "allowed is never empty").to.be.a("string").and.not.equal("");
  if (expected.allowed !== undefined) match(err.allowed, expected.allowed, "allowed");
  expect(err.message.startsWith(`${expected.field}: `), err.message).to.equal(true);
  expect(err.message).to.include(err.allowed);
  for (const m of expected.message ?? []) match(err.message, m, "message");
  return err;
}
