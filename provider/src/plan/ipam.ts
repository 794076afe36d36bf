/**
 * IPAM blocks (whereabouts, host-local, dhcp, static): validated against what the plugins accept and
 * what they actually hand out, rendered into the CNI `ipam` object, with the spans for overlap checks.
 */
import { MultusError } from "../errors";
import { IpamArgs, IpamType, RouteArgs, StaticAddressArgs } from "../networkArgs";
import { addressText, contains, familyBits, IpBlock, networkText, parseCidr, parseIp } from "./ip";
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
  /** The span as text, `first-last`, for error messages. */
  readonly text: string;
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

/** The prefixes a route's next hop may lie in: the addresses or range of the network. */
type Reach = readonly IpBlock[];

/**
 * Routes: `dst` a network prefix (host bits set make the kernel refuse the route, "invalid argument"),
 * `gw` inside one of the network's own prefixes (else the kernel answers "network is unreachable").
 */
function parseRoutes(field: string, value: unknown, reach: Reach): Record<string, string>[] | undefined {
  if (value === undefined) return undefined;
  return parseList(field, value, MAX_ITEMS).map((item, i) => {
    const f = `${field}[${i}]`;
    const r = parseRecord(f, item) as Partial<RouteArgs>;
    refuseUnknownKeys(f, r, ["dst", "gw"]);
    const route: Record<string, string> = { dst: parseCidr(`${f}.dst`, r.dst, true).text };
    if (r.gw !== undefined) {
      const gw = parseIp(`${f}.gw`, r.gw);
      if (!reach.some((net) => contains(net, gw))) {
        throw new MultusError(
          `${f}.gw`,
          r.gw,
          reach.length
            ? `expected a next hop inside ${reach.map(networkText).join(" or ")}, which the pod's interface reaches`
            : "expected no gw: this network has no address to reach a next hop from",
          "is not reachable from the network",
        );
      }
      route.gw = gw.text;
    }
    return route;
  });
}

function inside(field: string, net: IpBlock, value: unknown): IpBlock {
  const ip = parseIp(field, value);
  if (!contains(net, ip)) throw new MultusError(field, value, `expected an address inside ${net.text}`);
  return ip;
}

/**
 * The addresses host-local and whereabouts hand out from a prefix by default: never the network
 * address, never the IPv4 broadcast address; whereabouts also skips the last IPv6 address.
 */
function usable(net: IpBlock, plugin: RangePlugin): { first: bigint; last: bigint } {
  const skipLast = net.family === 4 || plugin === "whereabouts";
  return { first: net.first + 1n, last: skipLast ? net.last - 1n : net.last };
}

/**
 * A prefix with fewer than four addresses: host-local refuses it ("Network 10.0.0.0/31 too small to
 * allocate from"), whereabouts too ("subnet ... has no usable IP addresses, it is too small").
 */
function refuseTooSmall(field: string, value: unknown, net: IpBlock, plugin: RangePlugin): void {
  if (net.prefix > familyBits(net.family) - 2) {
    throw new MultusError(
      field,
      value,
      `expected a prefix of at least four addresses (IPv4 /30 or shorter, IPv6 /126 or shorter): ${plugin} hands out neither the network address nor the last one`,
      "is too small to allocate from",
    );
  }
}

/**
 * An address to hand out (or a gateway) on the network or IPv4 broadcast address: host-local hands
 * such a rangeStart/rangeEnd out as the pod's address (10.0.0.0/24 measured), whereabouts silently
 * ignores it, and a gateway there is never reachable.
 */
function refuseReserved(field: string, value: unknown, ip: IpBlock, net: IpBlock): void {
  const what =
    ip.address === net.first
      ? "network"
      : net.family === 4 && ip.address === net.last
        ? "broadcast"
        : undefined;
  if (what) {
    throw new MultusError(
      field,
      value,
      `expected an address between the network and broadcast addresses of ${networkText(net)}`,
      `is the ${what} address of ${networkText(net)}`,
    );
  }
}

type RangePlugin = "whereabouts" | "host-local";

/** An address range after validation: the prefix, what is handed out, and the gateway. */
interface RangeFields {
  readonly net: IpBlock;
  readonly first: bigint;
  readonly last: bigint;
  readonly start?: IpBlock;
  readonly end?: IpBlock;
  readonly gateway?: IpBlock;
}

/**
 * The range fields host-local and whereabouts share, with what each actually allocates:
 * host-local takes `range` as the subnet (host bits refused by the plugin); whereabouts ignores
 * host bits in `range` (the range is the whole network) and, for `first-last/prefix`, overrides
 * `range_start`/`range_end` with first and last (whereabouts v0.9 pkg/config LoadIPAMConfig).
 */
function parseRangeFields(field: string, a: Partial<IpamArgs>, plugin: RangePlugin): RangeFields {
  const m = plugin === "whereabouts" && typeof a.range === "string" ? RANGE_END_FORM.exec(a.range) : null;
  let net: IpBlock;
  let first: bigint;
  let last: bigint;
  if (m) {
    net = parseCidr(`${field}.range`, `${m[1]}/${m[3]}`);
    net = parseCidr(`${field}.range`, networkText(net));
    refuseTooSmall(`${field}.range`, a.range, net, plugin);
    const from = inside(`${field}.range`, net, m[1]);
    const to = inside(`${field}.range`, net, m[2]);
    refuseReserved(`${field}.range`, a.range, from, net);
    refuseReserved(`${field}.range`, a.range, to, net);
    if (to.address < from.address)
      throw new MultusError(`${field}.range`, a.range, "expected first-last/prefix with first <= last");
    for (const key of ["rangeStart", "rangeEnd"] as const) {
      if (a[key] !== undefined) {
        throw new MultusError(
          `${field}.${key}`,
          a[key],
          `expected it unset: with a first-last/prefix range (${a.range}) whereabouts takes first and last and ignores rangeStart and rangeEnd`,
        );
      }
    }
    first = from.address;
    last = to.address;
  } else {
    // host-local refuses host bits itself ("Network has host bits set"); whereabouts ignores them
    // and hands out the whole network. Host bits on the first usable address (the K3s docs'
    // 192.168.2.225/28) mean just that; anywhere else they would suggest a start whereabouts ignores.
    const given = parseCidr(`${field}.range`, a.range, plugin === "host-local");
    if (given.address !== given.first && given.address !== given.first + 1n) {
      throw new MultusError(
        `${field}.range`,
        a.range,
        `expected a network prefix with no host bits set (whereabouts ignores host bits and would hand out all of ${networkText(given)}; did you mean range ${networkText(given)} with rangeStart ${addressText(given.family, given.address)}?)`,
        "has host bits set",
      );
    }
    net = parseCidr(`${field}.range`, networkText(given));
    refuseTooSmall(`${field}.range`, a.range, net, plugin);
    ({ first, last } = usable(net, plugin));
  }
  const start = a.rangeStart === undefined ? undefined : inside(`${field}.rangeStart`, net, a.rangeStart);
  const end = a.rangeEnd === undefined ? undefined : inside(`${field}.rangeEnd`, net, a.rangeEnd);
  if (start) {
    refuseReserved(`${field}.rangeStart`, a.rangeStart, start, net);
    first = start.address;
  }
  if (end) {
    refuseReserved(`${field}.rangeEnd`, a.rangeEnd, end, net);
    last = end.address;
  }
  // An empty span (rangeStart after rangeEnd or after the end of the range, rangeEnd before its
  // start) leaves nothing to hand out; whereabouts would silently ignore such a rangeEnd.
  if (first > last) {
    if (end) {
      throw new MultusError(
        `${field}.rangeEnd`,
        a.rangeEnd,
        `expected an address not before ${start ? `rangeStart ${start.text}` : `the start of range ${String(a.range)}`}`,
      );
    }
    throw new MultusError(
      `${field}.rangeStart`,
      a.rangeStart,
      `expected an address not after the end of range ${String(a.range)}`,
    );
  }
  const gateway = a.gateway === undefined ? undefined : inside(`${field}.gateway`, net, a.gateway);
  if (gateway) refuseReserved(`${field}.gateway`, a.gateway, gateway, net);
  // host-local claims the first address as gateway when none is given; neither plugin hands the
  // gateway out (whereabouts because we exclude it), so a span of only the gateway allocates nothing
  // (host-local: "no IP addresses available in range set: 10.0.0.1-10.0.0.1").
  const gw = gateway?.address ?? (plugin === "host-local" ? net.first + 1n : undefined);
  if (first === last && first === gw) {
    const f = start || end ? `${field}.${start ? "rangeStart" : "rangeEnd"}` : `${field}.range`;
    throw new MultusError(
      f,
      start ? a.rangeStart : end ? a.rangeEnd : a.range,
      `expected a range with an address besides the gateway ${addressText(net.family, first)}, which ${plugin} never hands out`,
      "holds only the gateway",
    );
  }
  return { net, first, last, start, end, gateway };
}

/** The span a range hands out, for overlap checks and their messages. */
function span(field: string, r: RangeFields): IpSpan {
  const f = r.net.family;
  return {
    family: f,
    first: r.first,
    last: r.last,
    field,
    text: `${addressText(f, r.first)}-${addressText(f, r.last)}`,
  };
}

/** Validates one network's IPAM and renders the CNI `ipam` object. */
export function planIpam(field: string, value: unknown): IpamPlan {
  const a = parseRecord(field, value) as Partial<IpamArgs>;
  const type = parseOneOf(`${field}.type`, a.type, IPAM_TYPES);
  refuseUnknownKeys(field, a, KEYS[type]);
  switch (type) {
    case "dhcp":
      return { type, ipam: { type }, spans: [] };
    case "static": {
      if (a.addresses === undefined)
        throw new MultusError(
          `${field}.addresses`,
          undefined,
          "expected a list of addresses such as [{ address: 192.168.10.5/24 }]",
          "is required for static",
        );
      const list = parseList(`${field}.addresses`, a.addresses, MAX_ITEMS);
      if (list.length === 0)
        throw new MultusError(
          `${field}.addresses`,
          a.addresses,
          "expected at least one address: static IPAM hands out exactly the addresses listed",
          "is empty, but required for static",
        );
      const spans: IpSpan[] = [];
      const reach: IpBlock[] = [];
      const addresses = list.map((item, i) => {
        const f = `${field}.addresses[${i}]`;
        const s = parseRecord(f, item) as Partial<StaticAddressArgs>;
        refuseUnknownKeys(f, s, ["address", "gateway"]);
        const addr = parseCidr(`${f}.address`, s.address);
        reach.push(addr);
        spans.push({
          family: addr.family,
          first: addr.address,
          last: addr.address,
          field: `${f}.address`,
          text: addr.text,
        });
        const out: Record<string, string> = { address: addr.text };
        if (s.gateway !== undefined) out.gateway = inside(`${f}.gateway`, addr, s.gateway).text;
        return out;
      });
      const routes = parseRoutes(`${field}.routes`, a.routes, reach);
      const ipam: Record<string, unknown> = { type, addresses };
      if (routes) ipam.routes = routes;
      return { type, ipam, spans };
    }
    case "host-local": {
      const r = parseRangeFields(field, a, type);
      const routes = parseRoutes(`${field}.routes`, a.routes, [r.net]);
      const range: Record<string, string> = { subnet: r.net.text };
      if (r.start) range.rangeStart = r.start.text;
      if (r.end) range.rangeEnd = r.end.text;
      if (r.gateway) range.gateway = r.gateway.text;
      const ipam: Record<string, unknown> = { type, ranges: [[range]] };
      if (routes) ipam.routes = routes;
      return { type, ipam, spans: [span(`${field}.range`, r)] };
    }
    case "whereabouts": {
      const r = parseRangeFields(field, a, type);
      const routes = parseRoutes(`${field}.routes`, a.routes, [r.net]);
      const ipam: Record<string, unknown> = { type, range: a.range };
      if (r.start) ipam.range_start = r.start.text;
      if (r.end) ipam.range_end = r.end.text;
      if (r.gateway) ipam.gateway = r.gateway.text;
      const excludes = (
        a.exclude === undefined ? [] : parseList(`${field}.exclude`, a.exclude, MAX_ITEMS)
      ).map((e, i) => {
        const ex = parseCidr(`${field}.exclude[${i}]`, e);
        if (!contains(r.net, ex))
          throw new MultusError(`${field}.exclude[${i}]`, e, `expected a prefix inside ${r.net.text}`);
        return ex;
      });
      // whereabouts hands the gateway out like any address (whereabouts #601): exclude it.
      const gw = r.gateway;
      if (gw && !excludes.some((ex) => contains(ex, gw)))
        excludes.push(parseCidr(`${field}.gateway`, `${gw.text}/${familyBits(gw.family)}`));
      if (excludes.length) ipam.exclude = excludes.map((ex) => ex.text);
      if (routes) ipam.routes = routes;
      if (a.networkName !== undefined)
        ipam.network_name = parseObjectName(`${field}.networkName`, a.networkName);
      if (a.enableOverlappingRanges !== undefined) {
        ipam.enable_overlapping_ranges = parseBoolean(
          `${field}.enableOverlappingRanges`,
          a.enableOverlappingRanges,
        );
      }
      return { type, ipam, spans: [span(`${field}.range`, r)] };
    }
  }
}
