import { Document, visit } from "yaml";

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
 * YAML with sorted keys: the same value always gives the same bytes. Written with the YAML 1.1
 * schema, so that strings a 1.1 reader would take for something else (`on`, `yes`, `n`, `1:20`,
 * `1_000`, dates) are quoted, and `<<` is written `!!str "<<"` (a plain `<<` key merges in 1.1):
 * Helm, kubectl and the K3s helm-controller read YAML with go-yaml, which follows 1.1. The output
 * reads back the same under YAML 1.2.
 */
export function stableYaml(value: unknown): string {
  const doc = new Document(sortKeys(value), { sortMapEntries: true, version: "1.1" });
  visit(doc, {
    Scalar(_key, node) {
      if (node.value === "<<") {
        node.type = "QUOTE_DOUBLE";
        node.tag = "tag:yaml.org,2002:str";
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}
