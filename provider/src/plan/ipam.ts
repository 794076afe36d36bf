import { MultusError } from "../errors";
import { IpamArgs, IpamType, RouteArgs, StaticAddressArgs } from "../networkArgs";
import { contains, IpBlock, parseCidr, parseIp } from "./ip";
import {
  parseBoolean,
  parseList,
  parseObjectName,
  parseOneOf,
  parseRecord,
  refuseUnknownKeys,
} from "./names";

/** The addresses an IPAM config can hand out, for overlap checks across networks. */
export interface IpSpan {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  /** The field the span came from, for error messages. */
  readonly field: string;
}

/** A validated IPAM config: the CNI `ipam` object (keys in a fixed order) and the addresses it covers. */
export interface IpamPlan {
  readonly type: IpamType;
  readonly ipam: Record<string, unknown>;
  readonly spans: readonly IpSpan[];
}

const KEYS: Readonly<Record<IpamType, readonly string[]>> = {
  whereabouts: [
    "type",
    "range",
    "rangeStart",
    "rangeEnd",
    "gateway",
    "exclude",
    "routes",
    "networkName",
    "enableOverlappingRanges",
  ],
  "host-local": ["type", "range", "rangeStart", "rangeEnd", "gateway", "routes"],
  dhcp: ["type"],
  static: ["type", "addresses", "routes"],
};
const IPAM_TYPES: readonly IpamType[] = Object.values(IpamType);
const MAX_ITEMS = 64;
const RANGE_END_FORM = /^([^-/]+)-([^-/]+)\/(\d{1,3})$/;

function parseRoutes(field: string, value: unknown): Record<string, string>[] | undefined {
  if (value === undefined) return undefined;
  return parseList(field, value, MAX_ITEMS).map((item, i) => {
    const f = `${field}[${i}]`;
    const r = parseRecord(f, item) as Partial<RouteArgs>;
    refuseUnknownKeys(f, r, ["dst", "gw"]);
    const route: Record<string, string> = { dst: parseCidr(`${f}.dst`, r.dst).text };
    if (r.gw !== undefined) route.gw = parseIp(`${f}.gw`, r.gw).text;
    return route;
  });
}

function inside(field: string, net: IpBlock, value: unknown): IpBlock {
  const ip = parseIp(field, value);
  if (!contains(net, ip)) throw new MultusError(field, value, `expected an address inside ${net.text}`);
  return ip;
}

/** whereabouts and host-local share the range fields; whereabouts also allows `a-b/prefix`. */
function parseRangeFields(field: string, a: Partial<IpamArgs>, type: "whereabouts" | "host-local") {
  let net: IpBlock;
  let first: bigint;
  let last: bigint;
  const m = type === "whereabouts" && typeof a.range === "string" ? RANGE_END_FORM.exec(a.range) : null;
  if (m) {
    net = parseCidr(`${field}.range`, `${m[1]}/${m[3]}`);
    first = net.address;
    last = inside(`${field}.range`, net, m[2]).address;
    if (last < first)
      throw new MultusError(`${field}.range`, a.range, "expected first-last/prefix with first <= last");
  } else {
    net = parseCidr(`${field}.range`, a.range, type === "host-local");
    first = type === "whereabouts" ? net.address : net.first;
    last = net.last;
  }
  const start = a.rangeStart === undefined ? undefined : inside(`${field}.rangeStart`, net, a.rangeStart);
  const end = a.rangeEnd === undefined ? undefined : inside(`${field}.rangeEnd`, net, a.rangeEnd);
  if (start && start.address > first) first = start.address;
  if (end && end.address < last) last = end.address;
  // An empty span (rangeStart after rangeEnd, or after the end of a `first-last/prefix` range, or
  // rangeEnd before its start) would leave the network without a single address to hand out.
  if (first > last) {
    if (end) {
      throw new MultusError(
        `${field}.rangeEnd`,
        a.rangeEnd,
        `expected an address not before ${start ? `rangeStart ${start.text}` : `the start of range ${a.range}`}`,
      );
    }
    throw new MultusError(
      `${field}.rangeStart`,
      a.rangeStart,
      `expected an address not after the end of range ${a.range}`,
    );
  }
  const gateway = a.gateway === undefined ? undefined : inside(`${field}.gateway`, net, a.gateway);
  return { net, first, last, start, end, gateway };
}

/** Validates one network's IPAM and renders the CNI `ipam` object. */
export function planIpam(field: string, value: unknown): IpamPlan {
  const a = parseRecord(field, value) as Partial<IpamArgs>;
  const type = parseOneOf(`${field}.type`, a.type, IPAM_TYPES);
  refuseUnknownKeys(field, a, KEYS[type]);
  const routes = parseRoutes(`${field}.routes`, a.routes);
  switch (type) {
    case "dhcp":
      return { type, ipam: { type }, spans: [] };
    case "static": {
      const list = parseList(`${field}.addresses`, a.addresses, MAX_ITEMS);
      if (list.length === 0)
        throw new MultusError(
          `${field}.addresses`,
          a.addresses,
          "expected at least one address for static IPAM",
        );
      const spans: IpSpan[] = [];
      const addresses = list.map((item, i) => {
        const f = `${field}.addresses[${i}]`;
        const s = parseRecord(f, item) as Partial<StaticAddressArgs>;
        refuseUnknownKeys(f, s, ["address", "gateway"]);
        const addr = parseCidr(`${f}.address`, s.address);
        spans.push({ family: addr.family, first: addr.address, last: addr.address, field: `${f}.address` });
        const out: Record<string, string> = { address: addr.text };
        if (s.gateway !== undefined) out.gateway = inside(`${f}.gateway`, addr, s.gateway).text;
        return out;
      });
      const ipam: Record<string, unknown> = { type, addresses };
      if (routes) ipam.routes = routes;
      return { type, ipam, spans };
    }
    case "host-local": {
      const r = parseRangeFields(field, a, type);
      const range: Record<string, string> = { subnet: r.net.text };
      if (r.start) range.rangeStart = r.start.text;
      if (r.end) range.rangeEnd = r.end.text;
      if (r.gateway) range.gateway = r.gateway.text;
      const ipam: Record<string, unknown> = { type, ranges: [[range]] };
      if (routes) ipam.routes = routes;
      return {
        type,
        ipam,
        spans: [{ family: r.net.family, first: r.first, last: r.last, field: `${field}.range` }],
      };
    }
    case "whereabouts": {
      const r = parseRangeFields(field, a, type);
      const ipam: Record<string, unknown> = { type, range: a.range };
      if (r.start) ipam.range_start = r.start.text;
      if (r.end) ipam.range_end = r.end.text;
      if (r.gateway) ipam.gateway = r.gateway.text;
      if (a.exclude !== undefined) {
        ipam.exclude = parseList(`${field}.exclude`, a.exclude, MAX_ITEMS).map((e, i) => {
          const ex = parseCidr(`${field}.exclude[${i}]`, e);
          if (!contains(r.net, ex))
            throw new MultusError(`${field}.exclude[${i}]`, e, `expected a prefix inside ${r.net.text}`);
          return ex.text;
        });
      }
      if (routes) ipam.routes = routes;
      if (a.networkName !== undefined)
        ipam.network_name = parseObjectName(`${field}.networkName`, a.networkName);
      if (a.enableOverlappingRanges !== undefined) {
        ipam.enable_overlapping_ranges = parseBoolean(
          `${field}.enableOverlappingRanges`,
          a.enableOverlappingRanges,
        );
      }
      return {
        type,
        ipam,
        spans: [{ family: r.net.family, first: r.first, last: r.last, field: `${field}.range` }],
      };
    }
  }
}
