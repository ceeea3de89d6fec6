import { ipv4InPrefix, ipv4ToString, parseIpv4Address } from '../wire/ipv4.js';
import { ipv6InPrefix, ipv6ToString, parseIpv6Address, type Ipv6Address } from '../wire/ipv6.js';

/**
 * An IP address of either family, parsed once. `text` is the canonical form (dotted quad, or RFC 5952
 * for IPv6) and is what the stack uses as a key: two equal addresses always have the same text.
 */
export type IpAddress = Ipv4Addr | Ipv6Addr;

export interface Ipv4Addr {
  readonly family: 4;
  /** The address as an unsigned 32-bit number. */
  readonly v4: number;
  readonly text: string;
}

export interface Ipv6Addr {
  readonly family: 6;
  /** The 16 address bytes (never modified after parsing). */
  readonly v6: Ipv6Address;
  readonly text: string;
}

/** Wrap a numeric IPv4 address. */
export function ipv4(addr: number): Ipv4Addr {
  return { family: 4, v4: addr >>> 0, text: ipv4ToString(addr) };
}

/** Wrap 16 IPv6 bytes (copied, so a view into a packet can be kept safely). */
export function ipv6(bytes: Ipv6Address): Ipv6Addr {
  const v6 = bytes.slice(0, 16);
  return { family: 6, v6, text: ipv6ToString(v6) };
}

/**
 * Parse an address of either family: a dotted quad, or IPv6 text (optionally in brackets). An
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) is the IPv4 address it maps, as a
 * dual-stack socket API presents it.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (!text.includes(':')) {
    const a = parseIpv4Address(text);
    return a === undefined ? undefined : ipv4(a);
  }
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const b = parseIpv6Address(bare);
  if (b === undefined) return undefined;
  if (isV4Mapped(b)) return ipv4(((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0);
  return ipv6(b);
}

function isV4Mapped(b: Ipv6Address): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Whether `addr` lies in `prefix`/`prefixLength` (false across families). */
export function inPrefix(addr: IpAddress, prefix: IpAddress, prefixLength: number): boolean {
  if (addr.family === 4) return prefix.family === 4 && ipv4InPrefix(addr.v4, prefix.v4, prefixLength);
  return prefix.family === 6 && ipv6InPrefix(addr.v6, prefix.v6, prefixLength);
}

/** The unspecified address of a family ("0.0.0.0" / "::"). */
export function unspecified(family: 4 | 6): IpAddress {
  return family === 4 ? ipv4(0) : ipv6(new Uint8Array(16));
}

/** Bytes of IP header the stack writes for a family (no options, no extension headers). */
export function ipHeaderLength(family: 4 | 6): number {
  return family === 4 ? 20 : 40;
}
