/**
 * Reading free-form data in tests (parsed YAML and JSON, resource inputs) without `any`: `dig`
 * follows a path of keys and indexes and gives `unknown` (undefined where the path ends);
 * `digString` and `parseAt` fail the test when the value there is not what the test reads it as;
 * `jsonText` is JSON.stringify with its true return type.
 */

/** The value at `path` inside `value`: object keys and array indexes; undefined where the path ends. */
export function dig(value: unknown, ...path: readonly (string | number)[]): unknown {
  let here = value;
  for (const key of path) {
    if (typeof here !== "object" || here === null) return undefined;
    here = (here as Record<string | number, unknown>)[key];
  }
  return here;
}

/** The string at `path`; throws (naming the path) when there is none. */
export function digString(value: unknown, ...path: readonly (string | number)[]): string {
  const found = dig(value, ...path);
  if (typeof found !== "string")
    throw new Error(`expected a string at ${path.join(".")}, found ${typeof found}`);
  return found;
}

/** JSON.parse of the string at `path`, as unknown (read it further with {@link dig}). */
export function parseAt(value: unknown, ...path: readonly (string | number)[]): unknown {
  return JSON.parse(digString(value, ...path)) as unknown;
}

/** JSON.stringify as it behaves: undefined for undefined, functions and symbols (its typing says string). */
export const jsonText: (value: unknown) => string | undefined = JSON.stringify;
