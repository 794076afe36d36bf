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

  constructor(field: string, input: unknown, allowed: string, detail?: string) {
    super(`${field}: ${describe(input)} ${detail ?? "is not allowed"}; ${allowed}`);
    this.name = "MultusError";
    this.field = field;
    this.input = input;
    this.allowed = allowed;
  }
}

/** A short, printable rendering of a refused value. Strings are JSON-quoted so that control characters show. */
export function describe(input: unknown): string {
  if (input === undefined) return "(missing)";
  if (typeof input === "string")
    return input.length > 120 ? `${JSON.stringify(input.slice(0, 120))}…` : JSON.stringify(input);
  let text: string;
  try {
    text = JSON.stringify(input) ?? String(input);
  } catch {
    // BigInt, cycles, or an object without a usable toString (null prototype): never throw here.
    try {
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
