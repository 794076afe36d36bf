/**
 * The node list: SSH targets validated (host, port, user, proxy, sudo) with their credentials
 * type-checked but never echoed, unique hosts and names.
 */
import { MultusError } from "../errors";
import { HIDDEN, SECRET } from "./placeholders";
import { parseBoolean, parseInteger, parseList } from "./names";
import { didYouMean } from "./suggest";

/** Most nodes one component takes. */
export const MAX_NODES = 5000;

/** The node fields that are credentials: type-checked only, never echoed into an error. */
export const SECRET_NODE_FIELDS = ["privateKey", "privateKeyPassword", "password"] as const;
const NODE_KEYS = [
  "host",
  "port",
  "user",
  ...SECRET_NODE_FIELDS,
  "agentSocketPath",
  "hostKey",
  "proxy",
  "dialErrorLimit",
  "perDialTimeout",
  "sudo",
  "name",
];
const PROXY_KEYS = ["host", "port", "user", ...SECRET_NODE_FIELDS, "agentSocketPath", "hostKey"];
const HOST =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A validated SSH target, without credentials (those stay in the caller's Outputs as secrets). */
export interface NodeTarget {
  /** Host name or IP address. */
  readonly host: string;
  /** Short DNS-1123 label used in child resource names, unique among the nodes. */
  readonly name: string;
  readonly sudo: boolean;
}

/** Validates a host name or IP address (no shell characters can pass). */
export function parseHost(field: string, value: unknown): string {
  if (
    typeof value === "string" &&
    (HOST.test(value) || (value.includes(":") && IPV6.test(value) && value.length <= 45))
  ) {
    return value;
  }
  throw new MultusError(
    field,
    value,
    "expected a host name or IP address (letters, digits, '-', '.', or an IPv6 address)",
  );
}

/**
 * What an error about node input may echo: scalars as given, never an object or list, which may hold
 * credentials (a single node passed instead of a list, a misspelt `privateKey`).
 */
function shown(value: unknown): unknown {
  return typeof value === "object" && value !== null ? HIDDEN : value;
}

/** Like `refuseUnknownKeys`, but never echoes the value: an unknown key may be a misspelt credential. */
function refuseUnknownNodeKeys(field: string, n: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(n)) {
    if (!known.includes(key) && n[key] !== undefined) {
      throw new MultusError(
        `${field}.${key}`,
        HIDDEN,
        `expected only the keys ${known.join(", ")}${didYouMean(key, known)}`,
        "is not a known option",
      );
    }
  }
}

function parseSecret(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") {
    throw new MultusError(field, SECRET, "expected a string", "has the wrong type");
  }
}

/**
 * Type-checks a node's credentials (without ever echoing them) and returns the node without them,
 * also without the proxy's credentials: what remains is safe to show in outputs and errors.
 */
export function stripSecrets(field: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const withoutCredentials = (f: string, record: Record<string, unknown>): Record<string, unknown> => {
    const { privateKey, privateKeyPassword, password, ...rest } = record;
    for (const [key, secret] of Object.entries({ privateKey, privateKeyPassword, password }))
      parseSecret(`${f}.${key}`, secret);
    return rest;
  };
  const out = withoutCredentials(field, value as Record<string, unknown>);
  if (typeof out.proxy === "object" && out.proxy !== null && !Array.isArray(out.proxy)) {
    out.proxy = withoutCredentials(`${field}.proxy`, out.proxy as Record<string, unknown>);
  }
  return out;
}

function defaultName(host: string): string {
  const name = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return name || "node";
}

/**
 * The SSH fields a node and its jump host share, validated by the same rules: host, port, user,
 * the credentials' types, agentSocketPath and hostKey.
 */
function checkEndpoint(field: string, n: Record<string, unknown>): string {
  const host = parseHost(`${field}.host`, n.host);
  if (n.port !== undefined) parseInteger(`${field}.port`, n.port, 1, 65535);
  if (n.user !== undefined && (typeof n.user !== "string" || !USER.test(n.user))) {
    throw new MultusError(
      `${field}.user`,
      n.user,
      "expected a POSIX user name: letters, digits, '_', '.', '-', at most 32 characters",
    );
  }
  for (const key of SECRET_NODE_FIELDS) parseSecret(`${field}.${key}`, n[key]);
  for (const key of ["agentSocketPath", "hostKey"]) {
    if (n[key] !== undefined && typeof n[key] !== "string")
      throw new MultusError(`${field}.${key}`, shown(n[key]), "expected a string");
  }
  return host;
}

/** A node's part of the shape: its child-name part, and its host when that is known at once. */
export interface NodeShape {
  readonly name: string;
  /** Undefined when the host is only known at deployment (an Output). */
  readonly host?: string;
}

/** Stands for a value only known at deployment (an Output) in the shape's inputs. */
export const DEFERRED: unique symbol = Symbol("known at deployment");

/** The node's name: the given DNS-1123 label, or one derived from the host. */
function parseName(field: string, value: unknown, host: string | undefined): string {
  if (value === undefined) {
    if (host === undefined)
      throw new MultusError(
        `${field}.name`,
        undefined,
        "expected a name (a DNS-1123 label) for a node whose host is only known at deployment (an Output): the node's child resources are named after it",
        "is required",
      );
    return defaultName(host);
  }
  if (typeof value !== "string" || !LABEL.test(value)) {
    throw new MultusError(
      `${field}.name`,
      value,
      "expected a DNS-1123 label (lower-case letters, digits, '-'), at most 63 characters",
    );
  }
  return value;
}

/**
 * Validates one node's shape: an object with known keys, its host where known ({@link DEFERRED}
 * where not) and its name, required when the host is deferred.
 */
export function parseNodeShape(field: string, value: unknown): NodeShape {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new MultusError(field, shown(value), "expected an object");
  const n = value as Record<string, unknown>;
  refuseUnknownNodeKeys(field, n, NODE_KEYS);
  const host = n.host === DEFERRED ? undefined : parseHost(`${field}.host`, n.host);
  return { name: parseName(field, n.name, host), host };
}

/** The node shapes: each node, and unique (known) hosts and names, as {@link parseNodes} checks them. */
export function parseNodeShapes(value: unknown): NodeShape[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MultusError("nodes", shown(value), "expected a list");
  const nodes = parseList("nodes", value, MAX_NODES).map((n, i) => parseNodeShape(`nodes[${i}]`, n));
  checkUnique(nodes);
  return nodes;
}

/** Refuses a host or a name given twice (hosts not known yet are left out). */
function checkUnique(nodes: readonly NodeShape[]): void {
  const hosts = new Map<string, number>();
  const names = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (n.host !== undefined) {
      const h = hosts.get(n.host);
      if (h !== undefined)
        throw new MultusError(
          `nodes[${i}].host`,
          n.host,
          `expected each node once (also nodes[${h}])`,
          "is a duplicate",
        );
      hosts.set(n.host, i);
    }
    const m = names.get(n.name);
    if (m !== undefined) {
      throw new MultusError(
        `nodes[${i}].name`,
        n.name,
        `expected a name unique among the nodes (also nodes[${m}]); set \`name\` on one of them`,
        "is a duplicate",
      );
    }
    names.set(n.name, i);
  });
}

/** Validates one node. */
export function parseNode(field: string, value: unknown): NodeTarget {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new MultusError(field, shown(value), "expected an object");
  const n = value as Record<string, unknown>;
  refuseUnknownNodeKeys(field, n, NODE_KEYS);
  const host = checkEndpoint(field, n);
  if (n.proxy !== undefined) {
    if (typeof n.proxy !== "object" || n.proxy === null || Array.isArray(n.proxy))
      throw new MultusError(`${field}.proxy`, HIDDEN, "expected an object");
    const proxy = n.proxy as Record<string, unknown>;
    refuseUnknownNodeKeys(`${field}.proxy`, proxy, PROXY_KEYS);
    checkEndpoint(`${field}.proxy`, proxy);
  }
  if (n.dialErrorLimit !== undefined) parseInteger(`${field}.dialErrorLimit`, n.dialErrorLimit, -1, 1000);
  if (n.perDialTimeout !== undefined) parseInteger(`${field}.perDialTimeout`, n.perDialTimeout, 1, 3600);
  const sudo = n.sudo === undefined ? false : parseBoolean(`${field}.sudo`, n.sudo);
  const name = parseName(field, n.name, host);
  return { host, name, sudo };
}

/** Validates the node list: each node, and unique hosts and names. */
export function parseNodes(value: unknown): NodeTarget[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MultusError("nodes", shown(value), "expected a list");
  const nodes = parseList("nodes", value, MAX_NODES).map((n, i) => parseNode(`nodes[${i}]`, n));
  checkUnique(nodes);
  return nodes;
}
