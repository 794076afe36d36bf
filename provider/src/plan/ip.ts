/**
 * IP addresses and prefixes as exact integers (ip-address for parsing): containment, overlap and
 * canonical text, for the IPAM checks.
 */
import { Address4, Address6 } from "ip-address";
import { MultusError } from "../errors";

/** An IP address or prefix, reduced to integers so that containment and overlap are exact. */
export interface IpBlock {
  /** The text as given. */
  readonly text: string;
  readonly family: 4 | 6;
  /** The address as written (host bits included). */
  readonly address: bigint;
  /** First and last address of the prefix. */
  readonly first: bigint;
  readonly last: bigint;
  readonly prefix: number;
}

function parseAddress(text: string): Address4 | Address6 | undefined {
  // No leading zeros in an octet: Go's net.ParseIP (whereabouts, host-local) refuses them since Go 1.17.
  if (/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}(\/\d{1,2})?$/.test(text) && Address4.isValid(text))
    return new Address4(text);
  if (/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(text) && text.includes(":") && Address6.isValid(text))
    return new Address6(text);
  return undefined;
}

function block(text: string, a: Address4 | Address6): IpBlock {
  return {
    text,
    family: a instanceof Address4 ? 4 : 6,
    address: a.bigInt(),
    first: a.startAddress().bigInt(),
    last: a.endAddress().bigInt(),
    prefix: a.subnetMask,
  };
}

/** Parses a CIDR such as `172.17.0.0/24` or `fd00::/64`. With `strict`, host bits must be zero. */
export function parseCidr(field: string, value: unknown, strict = false): IpBlock {
  const allowed = strict
    ? "expected a network prefix with no host bits set, such as 172.17.0.0/24 or fd00:10::/64"
    : "expected an IP prefix such as 172.17.0.0/24 or fd00:10::/64";
  if (typeof value !== "string" || !value.includes("/")) throw new MultusError(field, value, allowed);
  const a = parseAddress(value);
  if (!a) throw new MultusError(field, value, allowed);
  const b = block(value, a);
  if (strict && b.address !== b.first) {
    throw new MultusError(
      field,
      value,
      `${allowed} (did you mean ${a.startAddress().correctForm()}/${b.prefix}?)`,
      "has host bits set",
    );
  }
  return b;
}

/** Parses a single IP address (no prefix). */
export function parseIp(field: string, value: unknown): IpBlock {
  const allowed = "expected an IP address such as 172.17.0.1 or fd00:10::1";
  if (typeof value !== "string" || value.includes("/")) throw new MultusError(field, value, allowed);
  const a = parseAddress(value);
  if (!a) throw new MultusError(field, value, allowed);
  return block(value, a);
}

/** The canonical text of an address given as an integer, e.g. `10.0.0.1` or `fd00::1`. */
export function addressText(family: 4 | 6, value: bigint): string {
  return (family === 4 ? Address4.fromBigInt(value) : Address6.fromBigInt(value)).correctForm();
}

/** The canonical text of the prefix `ip` lies in, e.g. `10.0.0.0/24` for `10.0.0.7/24`. */
export function networkText(b: IpBlock): string {
  return `${addressText(b.family, b.first)}/${b.prefix}`;
}

/** Bits of an address of this family: 32 or 128. */
export function familyBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** True when `ip` lies inside `net` (same family). */
export function contains(net: IpBlock, ip: IpBlock): boolean {
  return net.family === ip.family && ip.first >= net.first && ip.last <= net.last;
}

/** True when two address spans share at least one address. */
export function overlaps(
  a: { family: number; first: bigint; last: bigint },
  b: { family: number; first: bigint; last: bigint },
): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}
