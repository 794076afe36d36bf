/**
 * Keeping secret inputs out of error messages. Planning runs on unsecreted inputs, so an error
 * about a value the user passed as a secret (a secret `host`, `chart.repository`, a `chart.values`
 * leaf, a raw network config) would quote it. {@link redactSecrets} rewrites such an error: the
 * refused value becomes "(secret)" when the field lies in (or holds) a secret, and every string of
 * a secret is cut out of the rest of the message.
 */
import { SECRET } from "./placeholders";
import { MultusError } from "../errors";

/** Shown instead of a secret value. */
export { SECRET };
/** Strings shorter than this are not cut out (they would mangle the message, and reveal nothing). */
const MIN_LENGTH = 3;
const MAX_LEAVES = 10_000;

/** A value that arrived as a secret, and the input field it sits at (`nodes[0].host`). */
export interface SecretPart {
  readonly path: string;
  readonly value: unknown;
}

/** True when `a` is `b` or lies inside it (`networks[0].ipam` inside `networks`). */
function within(a: string, b: string): boolean {
  return a === b || b === "" || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
}

/** The strings (and numbers, as text) inside a value, longest first; walked without recursion. */
function leaves(value: unknown): string[] {
  const out = new Set<string>();
  const stack: unknown[] = [value];
  while (stack.length && out.size < MAX_LEAVES) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.length >= MIN_LENGTH) out.add(v);
    } else if (typeof v === "number" || typeof v === "bigint") {
      const t = String(v);
      if (t.length >= MIN_LENGTH) out.add(t);
    } else if (typeof v === "object" && v !== null) {
      for (const x of Object.values(v as Record<string, unknown>)) stack.push(x);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function cut(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of secrets) {
    t = t.split(s).join(SECRET);
    const quoted = JSON.stringify(s).slice(1, -1);
    if (quoted !== s) t = t.split(quoted).join(SECRET);
  }
  return t;
}

/** `error` without any secret in it; an error that quotes no secret comes back unchanged. */
export function redactSecrets(error: MultusError, parts: readonly SecretPart[]): MultusError {
  if (parts.length === 0) return error;
  const secrets = leaves(parts.map((p) => p.value));
  const inSecret = parts.some((p) => within(error.field, p.path) || within(p.path, error.field));
  const text = error.message;
  if (!inSecret && cut(text, secrets) === text) return error;
  let input = error.input;
  if (inSecret) input = SECRET;
  else if (typeof input === "string") input = cut(input, secrets);
  else if (typeof input === "object" && input !== null && leaves(input).some((l) => secrets.includes(l)))
    input = SECRET;
  return new MultusError(
    cut(error.field, secrets),
    input,
    cut(error.allowed, secrets),
    cut(error.detail, secrets),
  );
}
