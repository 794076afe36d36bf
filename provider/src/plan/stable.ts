import { stringify } from "yaml";

/** Returns a copy of a JSON value with object keys sorted at every level. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** JSON with sorted keys and two-space indentation: the same value always gives the same bytes. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

/** YAML with sorted keys: the same value always gives the same bytes. */
export function stableYaml(value: unknown): string {
  return stringify(sortKeys(value), { sortMapEntries: true, lineWidth: 0 });
}
