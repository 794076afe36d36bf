/**
 * whereabouts' own rules for reading an `ipam` block and choosing addresses, ported line by line
 * from whereabouts v0.9 (the version rke2-whereabouts 0.9.4 ships): pkg/config/config.go
 * LoadIPAMConfig (the `range` forms, `range_start`/`range_end`), pkg/iphelpers GetIPRange and
 * pkg/allocate IterateForAssignment (`exclude`). whereabouts cannot run without a Kubernetes API,
 * so the real-plugin suite checks what we render against these rules instead of executing it.
 */
import { Address4, Address6 } from "ip-address";

type Addr = { family: 4 | 6; n: bigint };
type Net = { family: 4 | 6; first: bigint; last: bigint; prefix: number };

/** netutils.ParseIPSloppy */
function parseIp(text: string): Addr | undefined {
  if (Address4.isValid(text) && !text.includes("/")) return { family: 4, n: new Address4(text).bigInt() };
  if (Address6.isValid(text) && !text.includes("/")) return { family: 6, n: new Address6(text).bigInt() };
  return undefined;
}

/** netutils.ParseCIDRSloppy: the address as written and its network. */
function parseCidr(text: string): { ip: Addr; net: Net } {
  const a = Address4.isValid(text)
    ? new Address4(text)
    : Address6.isValid(text)
      ? new Address6(text)
      : undefined;
  if (!a || !text.includes("/")) throw new Error(`invalid CIDR ${text}`);
  const family = a instanceof Address4 ? 4 : 6;
  return {
    ip: { family, n: a.bigInt() },
    net: { family, first: a.startAddress().bigInt(), last: a.endAddress().bigInt(), prefix: a.subnetMask },
  };
}

const bits = (f: 4 | 6) => (f === 4 ? 32 : 128);
const contains = (net: Net, ip: Addr) => ip.family === net.family && ip.n >= net.first && ip.n <= net.last;

/** The text of an address, as the plugins print it. */
export function text(family: 4 | 6, n: bigint): string {
  return (family === 4 ? Address4.fromBigInt(n) : Address6.fromBigInt(n)).correctForm();
}

/** The addresses whereabouts hands out for this `ipam` block, in order (at most `max`). */
export function whereaboutsAllocations(ipam: Record<string, unknown>, max = 4096): string[] {
  const range = String(ipam.range);
  let net: Net;
  let rangeStart: Addr | undefined;
  let rangeEnd: Addr | undefined;
  const parts = range.split("-");
  if (parts.length >= 2) {
    // `first-last/prefix`: range_start and range_end are overridden.
    const first = parseIp(parts[0]);
    if (!first) throw new Error(`invalid range start IP: ${parts[0]}`);
    const last = parseCidr(parts.slice(1).join("-"));
    if (!contains(last.net, first)) throw new Error(`invalid range start for CIDR: ${parts[0]}`);
    net = last.net;
    rangeStart = first;
    rangeEnd = last.ip;
  } else {
    const c = parseCidr(range);
    net = c.net;
    // "if range_start is not net then pick the first network address": host bits are dropped.
    rangeStart =
      typeof ipam.range_start === "string" ? parseIp(ipam.range_start) : { family: net.family, n: net.first };
    rangeEnd = typeof ipam.range_end === "string" ? parseIp(ipam.range_end) : undefined;
  }
  // GetIPRange: the usable addresses, narrowed by range_start/range_end only when inside them.
  if (bits(net.family) - net.prefix <= 1) throw new Error("net mask is too short ... it is too small");
  let first = net.first + 1n;
  let last = net.last - 1n;
  if (rangeStart && rangeStart.n >= first && rangeStart.n <= last) first = rangeStart.n;
  if (rangeEnd && rangeEnd.n >= first && rangeEnd.n <= last) last = rangeEnd.n;
  // IterateForAssignment, handing out every address in turn (each one then reserved).
  const excluded = ((ipam.exclude as string[] | undefined) ?? []).map((e) =>
    e.includes("/") ? parseCidr(e).net : parseCidr(`${e}/${bits(net.family)}`).net,
  );
  const out: string[] = [];
  for (let ip = first; ip <= net.last && ip <= last && out.length < max; ip++) {
    const skip = excluded.find((x) => x.family === net.family && ip >= x.first && ip <= x.last);
    if (skip) {
      ip = skip.last;
      continue;
    }
    out.push(text(net.family, ip));
  }
  return out;
}
