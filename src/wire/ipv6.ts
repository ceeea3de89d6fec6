/**
 * IPv6 (RFC 8200): the fixed header, the extension-header chain, the upper-layer pseudo-header
 * (§8.1) and addresses in text form (RFC 4291 §2.2 in, RFC 5952 out). Addresses are 16-byte
 * Uint8Arrays in network order.
 */
import { readU16, readU32, writeU16 } from './bytes.js';
import { onesComplementSum } from './checksum.js';
import { parseIpv4Address } from './ipv4.js';
import { allocPacketBuffer } from './packet.js';
import { fail, ok } from './result.js';
import { parseTcp, tcpSegmentLength, writeTcpSegment } from './tcp.js';
import { IPPROTO_TCP, type ParseResult, type TcpSegment } from './types.js';

/** An IPv6 address: 16 bytes, network order. */
export type Ipv6Address = Uint8Array;

/** Length of the fixed IPv6 header (RFC 8200 §3). */
export const IPV6_HEADER_LENGTH = 40;
/** The minimum link MTU every IPv6 link supports (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;

/** Next Header values of the extension headers (RFC 8200 §4) and of ICMPv6 (RFC 4443). */
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;

/** The fixed IPv6 header (RFC 8200 §3). `nextHeader` is the fixed header's own field. */
export interface Ipv6Header {
  trafficClass: number;
  /** 20-bit flow label. */
  flowLabel: number;
  /** Bytes after the fixed header, extension headers included. */
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Ipv6Address;
  dst: Ipv6Address;
}

/** A Fragment header (RFC 8200 §4.5); `offset` is in bytes. */
export interface Ipv6Fragment {
  offset: number;
  more: boolean;
  id: number;
}

/** A parsed IPv6 packet. */
export interface Ipv6Packet {
  header: Ipv6Header;
  /** The upper-layer protocol after the extension headers (IPPROTO_NONE for No Next Header). */
  protocol: number;
  /** The upper-layer bytes: a view into the packet, not a copy (empty for No Next Header). */
  payload: Uint8Array;
  /** Present when the packet carried a Fragment header (only atomic fragments get this far). */
  fragment?: Ipv6Fragment;
}

/** Fields needed to write a fixed IPv6 header; defaults: hopLimit 64, trafficClass 0, flowLabel 0. */
export interface Ipv6HeaderInit {
  src: Ipv6Address;
  dst: Ipv6Address;
  nextHeader: number;
  hopLimit?: number;
  /** Bytes that follow the fixed header. */
  payloadLength: number;
  trafficClass?: number;
  flowLabel?: number;
}

/** Where the extension-header chain ends. */
interface ChainEnd {
  protocol: number;
  offset: number;
  fragment?: Ipv6Fragment;
}

/**
 * Walks the extension headers in `b[start..end)` starting with Next Header `next`. Hop-by-Hop,
 * Routing and Destination Options are skipped by their Hdr Ext Len ((n + 1) × 8 bytes); a Fragment
 * header is 8 bytes and reported; No Next Header ends the chain with nothing after it (RFC 8200
 * §4.7). Each header takes at least 8 bytes, so the walk is bounded by the payload length.
 */
function walkExtensionHeaders(b: Uint8Array, start: number, end: number, next: number): ParseResult<ChainEnd> {
  let off = start;
  let fragment: Ipv6Fragment | undefined;
  for (;;) {
    // RFC 8200 §4.1: Hop-by-Hop Options only ever immediately follow the fixed header.
    if (next === IPPROTO_HOPOPTS && off !== start) {
      return fail('bad-extension-header', `Hop-by-Hop Options header at offset ${off}`);
    }
    switch (next) {
      case IPPROTO_HOPOPTS:
      case IPPROTO_ROUTING:
      case IPPROTO_DSTOPTS: {
        if (off + 2 > end) return fail('bad-header-length', `extension header ${next} at ${off} runs past ${end}`);
        const length = (b[off + 1]! + 1) * 8;
        if (off + length > end) {
          return fail('bad-header-length', `extension header ${next} of ${length} bytes at ${off} runs past ${end}`);
        }
        next = b[off]!;
        off += length;
        break;
      }
      case IPPROTO_FRAGMENT: {
        if (off + 8 > end) return fail('bad-header-length', `Fragment header at ${off} runs past ${end}`);
        const field = readU16(b, off + 2);
        const f: Ipv6Fragment = { offset: field & 0xfff8, more: (field & 1) !== 0, id: readU32(b, off + 4) };
        // Nothing reassembles yet; an atomic fragment (offset 0, M clear; RFC 6946) is a whole packet.
        if (f.offset !== 0 || f.more) {
          return fail('fragmented', `fragment offset ${f.offset}${f.more ? ', M' : ''}, id ${f.id}`);
        }
        fragment = f;
        next = b[off]!;
        off += 8;
        break;
      }
      case IPPROTO_NONE:
        return ok(fragment === undefined ? { protocol: next, offset: end } : { protocol: next, offset: end, fragment });
      default:
        return ok(fragment === undefined ? { protocol: next, offset: off } : { protocol: next, offset: off, fragment });
    }
  }
}

function readHeader(packet: Uint8Array): Ipv6Header {
  const word = readU32(packet, 0);
  return {
    trafficClass: (word >>> 20) & 0xff,
    flowLabel: word & 0xfffff,
    payloadLength: readU16(packet, 4),
    nextHeader: packet[6]!,
    hopLimit: packet[7]!,
    src: packet.subarray(8, 24),
    dst: packet.subarray(24, 40),
  };
}

/**
 * Parses an IPv6 packet. Bytes beyond the Payload Length (link-layer padding) are trimmed, and a
 * Payload Length beyond the packet is 'truncated' (as for IPv4's Total Length). Jumbograms (RFC
 * 2675) are not supported. Fragments other than atomic ones are rejected with 'fragmented'.
 * Addresses and payload are views into `packet`, not copies.
 */
export function parseIpv6(packet: Uint8Array): ParseResult<Ipv6Packet> {
  const len = packet.length;
  if (len < IPV6_HEADER_LENGTH) return fail('truncated', `IPv6 header needs 40 bytes, have ${len}`);
  const version = packet[0]! >>> 4;
  if (version !== 6) return fail('bad-ip-version', `version ${version}`);
  const header = readHeader(packet);
  const end = IPV6_HEADER_LENGTH + header.payloadLength;
  if (len < end) return fail('truncated', `payload length ${header.payloadLength}, have ${len - IPV6_HEADER_LENGTH} bytes`);
  const chain = walkExtensionHeaders(packet, IPV6_HEADER_LENGTH, end, header.nextHeader);
  if (!chain.ok) return chain;
  const { protocol, offset, fragment } = chain.value;
  const payload = packet.subarray(offset, end);
  return ok(fragment === undefined ? { header, protocol, payload } : { header, protocol, payload, fragment });
}

/**
 * Parses the start of an IPv6 packet quoted in an ICMPv6 error (RFC 4443 §3): the quote is usually
 * cut short, so the Payload Length only bounds the payload and extension headers must fit in what
 * is there. `payload` is whatever upper-layer bytes the quote holds (often just the first 8).
 */
export function parseIpv6Quote(quote: Uint8Array): ParseResult<Ipv6Packet> {
  const len = quote.length;
  if (len < IPV6_HEADER_LENGTH) return fail('truncated', `quoted IPv6 header needs 40 bytes, have ${len}`);
  const version = quote[0]! >>> 4;
  if (version !== 6) return fail('bad-ip-version', `version ${version}`);
  const header = readHeader(quote);
  const end = Math.min(len, IPV6_HEADER_LENGTH + header.payloadLength);
  const chain = walkExtensionHeaders(quote, IPV6_HEADER_LENGTH, end, header.nextHeader);
  if (!chain.ok) return chain;
  const { protocol, offset, fragment } = chain.value;
  const payload = quote.subarray(offset, end);
  return ok(fragment === undefined ? { header, protocol, payload } : { header, protocol, payload, fragment });
}

/** Writes a 40-byte fixed IPv6 header at `offset`; returns 40. Throws RangeError on bad arguments. */
export function writeIpv6Header(buf: Uint8Array, offset: number, h: Ipv6HeaderInit): number {
  if (!Number.isInteger(h.payloadLength) || h.payloadLength < 0 || h.payloadLength > 0xffff) {
    throw new RangeError(`IPv6 payload length ${h.payloadLength} out of range`);
  }
  if (h.src.length !== 16 || h.dst.length !== 16) throw new RangeError('IPv6 addresses must be 16 bytes');
  if (offset < 0 || offset + IPV6_HEADER_LENGTH > buf.length) throw new RangeError('IPv6 header does not fit');
  const tc = (h.trafficClass ?? 0) & 0xff;
  const flow = (h.flowLabel ?? 0) & 0xfffff;
  buf[offset] = 0x60 | (tc >>> 4);
  buf[offset + 1] = ((tc & 0x0f) << 4) | (flow >>> 16);
  writeU16(buf, offset + 2, flow);
  writeU16(buf, offset + 4, h.payloadLength);
  buf[offset + 6] = h.nextHeader;
  buf[offset + 7] = h.hopLimit ?? 64;
  buf.set(h.src, offset + 8);
  buf.set(h.dst, offset + 24);
  return IPV6_HEADER_LENGTH;
}

/**
 * Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination, the 32-bit
 * upper-layer packet length and the Next Header value (of the upper layer, e.g. 6, 17 or 58).
 * Pass `upperLength` 0 to get the sum that writeTcpSegment and writeUdp take. Folded to 16 bits.
 */
export function ipv6PseudoHeaderSum(src: Ipv6Address, dst: Ipv6Address, nextHeader: number, upperLength: number): number {
  const length = upperLength >>> 0;
  const rest = (length >>> 16) + (length & 0xffff) + (nextHeader & 0xff);
  return onesComplementSum(src, 0, 16, onesComplementSum(dst, 0, 16, rest));
}

/** Whether `addr` lies in `prefix/prefixLen` (bits of `prefix` beyond the length are ignored). */
export function ipv6InPrefix(addr: Ipv6Address, prefix: Ipv6Address, prefixLen: number): boolean {
  const bits = Math.max(0, Math.min(128, Math.floor(prefixLen)));
  const whole = bits >>> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== prefix[i]) return false;
  const rem = bits & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((addr[whole]! ^ prefix[whole]!) & mask) === 0;
}

/** Whether two addresses are equal. */
export function ipv6Equal(a: Ipv6Address, b: Ipv6Address): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses the RFC 4291 §2.2 text forms: eight groups of 1–4 hex digits, at most one `::` standing
 * for one or more zero groups, and an optional trailing dotted quad for the last 32 bits
 * (`::ffff:192.0.2.1`). Case-insensitive. Zone indices (`%eth0`) and prefixes are not accepted.
 * Returns a new 16-byte array, or undefined.
 */
export function parseIpv6Address(text: string): Ipv6Address | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const gap = text.indexOf('::');
  if (gap !== text.lastIndexOf('::')) return undefined; // two `::`, or `:::`
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const last = gap < 0 ? headGroups : tailGroups;
  let ipv4: number | undefined;
  if (last.length > 0 && last[last.length - 1]!.includes('.')) {
    ipv4 = parseIpv4Address(last.pop()!);
    if (ipv4 === undefined) return undefined;
  }
  const groups = headGroups.length + tailGroups.length + (ipv4 === undefined ? 0 : 2);
  if (gap < 0 ? groups !== 8 : groups > 7) return undefined;
  const out = new Uint8Array(16);
  const put = (list: string[], at: number): boolean => {
    for (const g of list) {
      if (!HEX_GROUP.test(g)) return false;
      writeU16(out, at, parseInt(g, 16));
      at += 2;
    }
    return true;
  };
  const tailBytes = 2 * tailGroups.length + (gap >= 0 && ipv4 !== undefined ? 4 : 0);
  if (!put(headGroups, 0) || !put(tailGroups, 16 - tailBytes)) return undefined;
  if (ipv4 !== undefined) {
    out[12] = ipv4 >>> 24;
    out[13] = ipv4 >>> 16;
    out[14] = ipv4 >>> 8;
    out[15] = ipv4;
  }
  return out;
}

/**
 * Formats an address in the RFC 5952 canonical form: lowercase hex without leading zeros, the
 * longest run of two or more zero groups replaced by `::` (the first on a tie, §4.2.3), and
 * IPv4-mapped addresses (::ffff:0:0/96) in mixed notation (§5), e.g. `::ffff:192.0.2.1`.
 */
export function ipv6ToString(addr: Ipv6Address): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(readU16(addr, i));
  let groups = 8;
  let suffix = '';
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    groups = 6;
    suffix = `${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed (§4.2.2)
  for (let i = 0; i < groups; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string[] => g.slice(from, to).map((v) => v.toString(16));
  let out: string;
  if (bestStart < 0) {
    out = hex(0, groups).join(':');
    if (suffix !== '') out += ':';
  } else {
    out = `${hex(0, bestStart).join(':')}::${hex(bestStart + bestLen, groups).join(':')}`;
    if (suffix !== '' && bestStart + bestLen < groups) out += ':';
  }
  return out + suffix;
}

/** A parsed IPv6 packet carrying TCP. */
export interface Ipv6TcpPacket {
  ip: Ipv6Header;
  tcp: TcpSegment;
}

/** Parses an IPv6 packet carrying TCP (after any extension headers), verifying the TCP checksum. */
export function parseIpv6Tcp(packet: Uint8Array): ParseResult<Ipv6TcpPacket> {
  const ip = parseIpv6(packet);
  if (!ip.ok) return ip;
  const { header, protocol, payload } = ip.value;
  if (protocol !== IPPROTO_TCP) return fail('unsupported-protocol', `upper-layer protocol ${protocol}`);
  const tcp = parseTcp(payload, ipv6PseudoHeaderSum(header.src, header.dst, IPPROTO_TCP, payload.length));
  if (!tcp.ok) return tcp;
  return ok({ ip: header, tcp: tcp.value });
}

/** Builds an IPv6 packet (no extension headers) carrying `seg`, in one allocation. */
export function buildIpv6Tcp(src: Ipv6Address, dst: Ipv6Address, seg: TcpSegment, hopLimit = 64): Uint8Array {
  const tcpLength = tcpSegmentLength(seg);
  const buf = allocPacketBuffer(IPV6_HEADER_LENGTH + tcpLength);
  writeIpv6Header(buf, 0, { src, dst, nextHeader: IPPROTO_TCP, hopLimit, payloadLength: tcpLength });
  writeTcpSegment(buf, IPV6_HEADER_LENGTH, seg, ipv6PseudoHeaderSum(src, dst, IPPROTO_TCP, 0));
  return buf;
}
