/** IPv4 headers (RFC 791 §3.1) and dotted-quad addresses. */
import { finishChecksum, onesComplementSum } from './checksum.js';
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { fail, ok } from './result.js';
import type { Ipv4Header, ParseResult } from './types.js';

/** Length of an IPv4 header without options. */
export const IPV4_HEADER_LENGTH = 20;

/** A parsed IPv4 datagram: the header and its payload (a view into the packet, not a copy). */
export interface Ipv4Packet {
  header: Ipv4Header;
  payload: Uint8Array;
}

/** Fields needed to write an IPv4 header; defaults: ttl 64, tos 0, id 0, dontFragment true. */
export interface Ipv4HeaderInit {
  src: number;
  dst: number;
  protocol: number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Defaults to true, as Linux does for TCP (path MTU discovery, RFC 1191). */
  dontFragment?: boolean;
  /** Bytes that follow the header. */
  payloadLength: number;
}

const DF = 0x4000;
const MF = 0x2000;

/**
 * Parses an IPv4 datagram. Bytes beyond Total Length (link-layer padding) are trimmed; fragments are
 * rejected with 'fragmented' because nothing reassembles them yet. IP options are skipped.
 */
export function parseIpv4(packet: Uint8Array): ParseResult<Ipv4Packet> {
  const len = packet.length;
  if (len < IPV4_HEADER_LENGTH) return fail('truncated', `IPv4 header needs 20 bytes, have ${len}`);
  const version = packet[0]! >>> 4;
  if (version !== 4) return fail('bad-ip-version', `version ${version}`);
  const headerLength = (packet[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return fail('bad-header-length', `IHL ${headerLength / 4} < 5`);
  if (len < headerLength) return fail('truncated', `IPv4 header length ${headerLength}, have ${len} bytes`);
  const totalLength = readU16(packet, 2);
  if (totalLength < headerLength) {
    return fail('bad-total-length', `total length ${totalLength} < header length ${headerLength}`);
  }
  if (len < totalLength) return fail('truncated', `total length ${totalLength}, have ${len} bytes`);
  // A correct header, checksum field included, sums to 0xffff (RFC 791 §3.1, RFC 1071 §1).
  if (finishChecksum(onesComplementSum(packet, 0, headerLength)) !== 0) {
    return fail('bad-ip-checksum', 'IPv4 header checksum mismatch');
  }
  const frag = readU16(packet, 6);
  const moreFragments = (frag & MF) !== 0;
  const fragmentOffset = (frag & 0x1fff) * 8;
  if (moreFragments || fragmentOffset !== 0) {
    return fail('fragmented', `fragment offset ${fragmentOffset}${moreFragments ? ', MF' : ''}`);
  }
  const header: Ipv4Header = {
    tos: packet[1]!,
    totalLength,
    id: readU16(packet, 4),
    dontFragment: (frag & DF) !== 0,
    moreFragments,
    fragmentOffset,
    ttl: packet[8]!,
    protocol: packet[9]!,
    src: readU32(packet, 12),
    dst: readU32(packet, 16),
    headerLength,
  };
  return ok({ header, payload: packet.subarray(headerLength, totalLength) });
}

/** Writes a 20-byte IPv4 header (no options) with a correct checksum at `offset`; returns 20. */
export function writeIpv4Header(buf: Uint8Array, offset: number, h: Ipv4HeaderInit): number {
  const totalLength = IPV4_HEADER_LENGTH + h.payloadLength;
  if (!Number.isInteger(h.payloadLength) || h.payloadLength < 0 || totalLength > 0xffff) {
    throw new RangeError(`IPv4 payload length ${h.payloadLength} out of range`);
  }
  if (offset < 0 || offset + IPV4_HEADER_LENGTH > buf.length) throw new RangeError('IPv4 header does not fit');
  const id = h.id ?? 0;
  buf[offset] = 0x45; // version 4, IHL 5
  buf[offset + 1] = h.tos ?? 0;
  writeU16(buf, offset + 2, totalLength);
  writeU16(buf, offset + 4, id);
  buf[offset + 6] = (h.dontFragment ?? true) ? DF >>> 8 : 0;
  buf[offset + 7] = 0;
  buf[offset + 8] = h.ttl ?? 64;
  buf[offset + 9] = h.protocol;
  buf[offset + 10] = 0;
  buf[offset + 11] = 0;
  writeU32(buf, offset + 12, h.src >>> 0);
  writeU32(buf, offset + 16, h.dst >>> 0);
  const sum = finishChecksum(onesComplementSum(buf, offset, offset + IPV4_HEADER_LENGTH));
  writeU16(buf, offset + 10, sum);
  return IPV4_HEADER_LENGTH;
}

/** Formats a u32 address as a dotted quad. */
export function ipv4ToString(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Accepts exactly four decimal octets 0..255 with no leading zeros (so no octal ambiguity). */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** Parses a strict dotted quad ("10.0.0.1") to a u32, or undefined. */
export function parseIpv4Address(s: string): number | undefined {
  const m = DOTTED_QUAD.exec(s);
  if (m === null) return undefined;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** The netmask of a prefix length 0..32 as a u32 (e.g. 24 → 255.255.255.0). */
export function ipv4PrefixMask(prefixLen: number): number {
  if (prefixLen <= 0) return 0;
  if (prefixLen >= 32) return 0xffffffff;
  return (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Whether `addr` lies in `prefixAddr/prefixLen` (host bits of `prefixAddr` are ignored). */
export function ipv4InPrefix(addr: number, prefixAddr: number, prefixLen: number): boolean {
  return ((addr ^ prefixAddr) & ipv4PrefixMask(prefixLen)) === 0;
}

/** Parses CIDR notation ("10.0.0.0/8") strictly, or undefined. Host bits may be set. */
export function parseIpv4Prefix(s: string): { addr: number; prefixLen: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4Address(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (addr === undefined || !/^(3[0-2]|[12]?[0-9])$/.test(lenText)) return undefined;
  return { addr, prefixLen: Number(lenText) };
}
