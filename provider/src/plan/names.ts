/**
 * Validators for plain input fields: Kubernetes object names and namespaces, interface names,
 * integers, booleans, enums, records and lists, and the refusal of unknown keys (with a "did you mean").
 */
import { MultusError } from "../errors";
import { didYouMean } from "./suggest";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/** A Kubernetes object name (DNS-1123 subdomain, at most 253 characters). */
export function parseObjectName(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw new MultusError(
      field,
      value,
      "expected a DNS-1123 name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters",
    );
  }
  return value;
}

/** A Kubernetes namespace (DNS-1123 label, at most 63 characters). */
export function parseNamespace(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new MultusError(
      field,
      value,
      "expected a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    );
  }
  return value;
}

/** A Linux network interface name: at most 15 characters of letters, digits, '_', '.', '-'. */
export function parseInterfaceName(field: string, value: unknown): string {
  if (typeof value !== "string" || !IFNAME.test(value)) {
    throw new MultusError(
      field,
      value,
      "expected a Linux interface name: 1 to 15 characters of letters, digits, '_', '.' or '-', starting with a letter or digit",
    );
  }
  return value;
}

/** An integer within bounds. */
export function parseInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new MultusError(field, value, `expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A boolean. */
export function parseBoolean(field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new MultusError(field, value, "expected true or false");
  return value;
}

/** One of a fixed set of strings. */
export function parseOneOf<T extends string>(field: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== "string" || !(options as readonly string[]).includes(value)) {
    throw new MultusError(
      field,
      value,
      `expected one of ${options.map((o) => JSON.stringify(o)).join(", ")}`,
    );
  }
  return value as T;
}

/** A plain (non-array) object, for nested inputs. */
export function parseRecord(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MultusError(field, value, "expected an object");
  }
  return value as Record<string, unknown>;
}

/**
 * An array with at most `max` elements. A sparse array's holes become `undefined` elements, so that
 * the callers' `map` checks them (it would skip a hole, letting `[,]` pass as a list of one).
 */
export function parseList(field: string, value: unknown, max: number): unknown[] {
  if (!Array.isArray(value)) throw new MultusError(field, value, "expected a list");
  if (value.length > max)
    throw new MultusError(field, `(${value.length} items)`, `expected at most ${max} items`);
  return Array.from(value);
}

/** Refuses keys that are not in `known`, so that a misspelt option is an error rather than ignored. */
export function refuseUnknownKeys(
  field: string,
  value: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key) && value[key] !== undefined) {
      throw new MultusError(
        `${field}.${key}`,
        value[key],
        `expected only the keys ${known.join(", ")}${didYouMean(key, known)}`,
        "is not a known option",
      );
    }
  }
}
