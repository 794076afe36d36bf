/**
 * Stable serialisation: JSON and YAML with sorted keys, byte-identical for the same value, and YAML
 * that YAML 1.1 and 1.2 readers both read back as the same value.
 */
import { Document, parse, visit } from "yaml";

/** Returns a copy of a JSON value with object keys sorted at every level. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    // fromEntries defines own properties: a key named __proto__ stays a key (assigning it would
    // set the prototype instead).
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, sortKeys(record[key])]),
    );
  }
  return value;
}

/** JSON with sorted keys and two-space indentation: the same value always gives the same bytes. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

/**
 * Characters some YAML reader takes for a line break (YAML 1.1 counts U+0085, U+2028 and U+2029),
 * or that must not appear raw (other C0 and C1 controls, DEL, a byte-order mark). The `yaml`
 * package writes them raw even inside double quotes, so {@link stableYaml} escapes them itself.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNSAFE_CHARS = /[\u0000-\u0008\u000b-\u000d\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
const UNSAFE_CHARS_GLOBAL = new RegExp(UNSAFE_CHARS.source, "g");

/** True when a plain scalar `text` reads back as exactly `text` under both YAML 1.1 and 1.2. */
function readsBackAsItself(text: string): boolean {
  for (const version of ["1.1", "1.2"] as const) {
    try {
      if (parse(text, { version, logLevel: "silent" }) !== text) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * YAML with sorted keys: the same value always gives the same bytes, and every reader gets the
 * same values back. Written with the YAML 1.1 schema, so that strings a 1.1 reader would take for
 * something else (`on`, `yes`, `n`, `1:20`, `1_000`, dates) are quoted; strings a YAML 1.2 reader
 * would take for something else (`0o17`) are quoted too; `<<` is written `!!str "<<"` (a plain
 * `<<` key merges in 1.1); line-break and control characters (U+0085, U+2028, U+2029, ...) are
 * written as `\uXXXX` escapes inside double quotes. Helm, kubectl and the K3s helm-controller read
 * YAML with go-yaml, which follows 1.1.
 */
export function stableYaml(value: unknown): string {
  const doc = new Document(sortKeys(value), { sortMapEntries: true, version: "1.1" });
  visit(doc, {
    Scalar(_key, node) {
      if (node.value === "<<") {
        node.type = "QUOTE_DOUBLE";
        node.tag = "tag:yaml.org,2002:str";
        return;
      }
      if (typeof node.value !== "string") return;
      const text = node.value;
      if (UNSAFE_CHARS.test(text) || (!text.includes("\n") && !readsBackAsItself(text)))
        node.type = "QUOTE_DOUBLE";
    },
  });
  // Only double-quoted scalars hold these characters (see above): escape them there.
  return doc
    .toString({ lineWidth: 0 })
    .replace(UNSAFE_CHARS_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
