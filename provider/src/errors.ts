/**
 * The one error type of k3s-multus. It carries the field that was wrong, the raw input that was
 * refused and a statement of what is allowed, so that callers (the component, the CLI, tests) can
 * report it precisely. Secret inputs are never placed in `input`.
 */
export class MultusError extends Error {
  /** Dotted path of the offending input, e.g. `networks[1].ipam.range`. */
  readonly field: string;
  /** The raw value that was refused (as given, not normalised). */
  readonly input: unknown;
  /** What would have been accepted. */
  readonly allowed: string;

  /** What is wrong with the value, e.g. `has host bits set`. */
  readonly detail: string;

  constructor(field: string, input: unknown, allowed: string, detail?: string) {
    const shownInput = typeof input === "string" && input.includes("@") ? redactCredentials(input) : input;
    super(redactCredentials(`${field}: ${describe(shownInput)} ${detail ?? "is not allowed"}; ${allowed}`));
    this.name = "MultusError";
    this.field = field;
    this.input = shownInput;
    this.allowed = redactCredentials(allowed);
    this.detail = detail ?? "is not allowed";
  }
}

/** Shown instead of credentials found inside a string. */
export const REDACTED = "(redacted)";

/**
 * Removes credentials embedded in text: the user info of a URL (`https://user:pass@host`,
 * `oci://token@host`) and `user:password@host` without a scheme.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/(^|[^A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)[^/?#\s"']*@/g, `$1$2${REDACTED}@`)
    .replace(/(^|[\s"'(,;=[])[^\s"'/:@(),;=[]{1,256}:[^\s"'/]*@(?=[A-Za-z0-9[])/g, `$1${REDACTED}@`);
}

/** JSON.stringify as it behaves: undefined for undefined, functions and symbols (its typing says string). */
const json: (value: unknown) => string | undefined = JSON.stringify;

/** A short, printable rendering of a refused value. Strings are JSON-quoted so that control characters show. */
export function describe(input: unknown): string {
  if (input === undefined) return "(missing)";
  if (typeof input === "string")
    return input.length > 120 ? `${JSON.stringify(input.slice(0, 120))}…` : JSON.stringify(input);
  let text: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort for what JSON cannot show
    text = json(input) ?? String(input);
  } catch {
    // BigInt, cycles, or an object without a usable toString (null prototype): never throw here.
    try {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as above; Object's format is acceptable
      text = String(input);
    } catch {
      text = Object.prototype.toString.call(input);
    }
  }
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/**
 * Runs a parser and returns `undefined` instead of throwing a {@link MultusError}; other errors
 * propagate. Used for the `tryParse` variants.
 */
export function attempt<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (e instanceof MultusError) return undefined;
    throw e;
  }
}
