/**
 * Typings for the part of chai 6 the tests use. chai 6 ships no types and `@types/chai` is not a
 * devDependency yet; once it is, delete this file (an ambient module declaration shadows the
 * package's own types).
 */
declare module "chai" {
  type Constructor = abstract new (...args: never[]) => unknown;

  /** Chainable methods such as `include` can be called or chained on (`.include.members([...])`). */
  interface ChainableMethod<A extends unknown[]> extends Assertion {
    (...args: A): Assertion;
  }

  interface Assertion {
    // Language chains and flags.
    readonly to: Assertion;
    readonly be: Assertion;
    readonly been: Assertion;
    readonly is: Assertion;
    readonly that: Assertion;
    readonly which: Assertion;
    readonly and: Assertion;
    readonly has: Assertion;
    readonly have: Assertion;
    readonly with: Assertion;
    readonly at: Assertion;
    readonly of: Assertion;
    readonly same: Assertion;
    readonly but: Assertion;
    readonly does: Assertion;
    readonly still: Assertion;
    readonly not: Assertion;
    readonly deep: Assertion;
    readonly nested: Assertion;
    readonly own: Assertion;
    readonly ordered: Assertion;
    readonly any: Assertion;
    readonly all: Assertion;
    readonly itself: Assertion;
    // Property assertions.
    readonly ok: Assertion;
    readonly true: Assertion;
    readonly false: Assertion;
    readonly null: Assertion;
    readonly undefined: Assertion;
    readonly NaN: Assertion;
    readonly exist: Assertion;
    readonly empty: Assertion;
    // Method assertions.
    readonly a: ChainableMethod<[type: string, message?: string]>;
    readonly an: ChainableMethod<[type: string, message?: string]>;
    readonly include: ChainableMethod<[value: unknown, message?: string]>;
    readonly includes: ChainableMethod<[value: unknown, message?: string]>;
    readonly contain: ChainableMethod<[value: unknown, message?: string]>;
    readonly contains: ChainableMethod<[value: unknown, message?: string]>;
    readonly length: ChainableMethod<[n: number, message?: string]>;
    readonly lengthOf: ChainableMethod<[n: number, message?: string]>;
    equal(value: unknown, message?: string): Assertion;
    equals(value: unknown, message?: string): Assertion;
    eq(value: unknown, message?: string): Assertion;
    eql(value: unknown, message?: string): Assertion;
    match(pattern: RegExp, message?: string): Assertion;
    matches(pattern: RegExp, message?: string): Assertion;
    string(fragment: string, message?: string): Assertion;
    instanceOf(constructor: Constructor, message?: string): Assertion;
    instanceof(constructor: Constructor, message?: string): Assertion;
    above(n: number | bigint, message?: string): Assertion;
    gt(n: number | bigint, message?: string): Assertion;
    greaterThan(n: number | bigint, message?: string): Assertion;
    least(n: number | bigint, message?: string): Assertion;
    gte(n: number | bigint, message?: string): Assertion;
    below(n: number | bigint, message?: string): Assertion;
    lt(n: number | bigint, message?: string): Assertion;
    lessThan(n: number | bigint, message?: string): Assertion;
    most(n: number | bigint, message?: string): Assertion;
    lte(n: number | bigint, message?: string): Assertion;
    within(start: number, finish: number, message?: string): Assertion;
    closeTo(expected: number, delta: number, message?: string): Assertion;
    members(set: readonly unknown[], message?: string): Assertion;
    oneOf(list: readonly unknown[], message?: string): Assertion;
    keys(...keys: string[] | [readonly string[]]): Assertion;
    property(name: string, value?: unknown, message?: string): Assertion;
    satisfy(matcher: (value: never) => boolean, message?: string): Assertion;
    throw(expected?: string | RegExp | Constructor | Error, message?: string | RegExp): Assertion;
    throws(expected?: string | RegExp | Constructor | Error, message?: string | RegExp): Assertion;
  }

  interface ExpectStatic {
    (value: unknown, message?: string): Assertion;
    fail(message?: string): never;
  }

  export const expect: ExpectStatic;
}
