/**
 * ICMPv6 (RFC 4443): error and informational messages, checksummed over the IPv6 pseudo-header
 * with Next Header 58 (RFC 4443 §2.3, RFC 8200 §8.1).
 */
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { finishChecksum, onesComplementSum } from './checksum.js';
import {
  IPPROTO_ICMPV6,
  IPV6_HEADER_LENGTH,
  IPV6_MIN_MTU,
  ipv6PseudoHeaderSum,
  parseIpv6,
  writeIpv6Header,
  type Ipv6Address,
  type Ipv6Header,
} from './ipv6.js';
import { fail, ok } from './result.js';
import type { ParseResult } from './types.js';

export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAMETER_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const ICMPV6_NO_ROUTE = 0;
export const ICMPV6_ADMIN_PROHIBITED = 1;
export const ICMPV6_BEYOND_SCOPE = 2;
export const ICMPV6_ADDRESS_UNREACHABLE = 3;
export const ICMPV6_PORT_UNREACHABLE = 4;

/** Type, code, checksum and the four-byte field every message below has. */
export const ICMPV6_HEADER_LENGTH = 8;
/** An error message must not make its packet exceed the minimum MTU (RFC 4443 §2.4(c)): 1232 bytes. */
export const ICMPV6_MAX_QUOTE = IPV6_MIN_MTU - IPV6_HEADER_LENGTH - ICMPV6_HEADER_LENGTH;

/** Echo Request (128) or Echo Reply (129), RFC 4443 §4. */
export interface Icmpv6Echo {
  kind: 'echo-request' | 'echo-reply';
  code: number;
  id: number;
  seq: number;
  data: Uint8Array;
}

/** Destination Unreachable (type 1). `original` is the quoted packet. */
export interface Icmpv6DestinationUnreachable {
  kind: 'destination-unreachable';
  code: number;
  original: Uint8Array;
}

/** Packet Too Big (type 2) with the 32-bit MTU of the next-hop link (RFC 4443 §3.2). */
export interface Icmpv6PacketTooBig {
  kind: 'packet-too-big';
  code: number;
  mtu: number;
  original: Uint8Array;
}

/** Time Exceeded (type 3): code 0 hop limit exceeded, 1 reassembly time exceeded. */
export interface Icmpv6TimeExceeded {
  kind: 'time-exceeded';
  code: number;
  original: Uint8Array;
}

/** Any other type (Parameter Problem, Neighbor Discovery, ...) kept raw: `body` is bytes 4.. . */
export interface Icmpv6Other {
  kind: 'other';
  type: number;
  code: number;
  body: Uint8Array;
}

export type Icmpv6Message =
  | Icmpv6Echo
  | Icmpv6DestinationUnreachable
  | Icmpv6PacketTooBig
  | Icmpv6TimeExceeded
  | Icmpv6Other;

/**
 * Parses an ICMPv6 message (the upper-layer payload). `pseudoSum` is the IPv6 pseudo-header sum
 * for `bytes.length` bytes (`ipv6PseudoHeaderSum(src, dst, 58, bytes.length)`); when undefined the
 * checksum is not verified. Every message needs 4 bytes; the typed ones 8. Views, not copies.
 */
export function parseIcmpv6(bytes: Uint8Array, pseudoSum: number | undefined): ParseResult<Icmpv6Message> {
  const len = bytes.length;
  if (len < 4) return fail('truncated', `ICMPv6 header needs 4 bytes, have ${len}`);
  if (pseudoSum !== undefined && finishChecksum(onesComplementSum(bytes, 0, len, pseudoSum)) !== 0) {
    return fail('bad-checksum', 'ICMPv6 checksum mismatch');
  }
  const type = bytes[0]!;
  const code = bytes[1]!;
  const typed =
    type === ICMPV6_ECHO_REQUEST ||
    type === ICMPV6_ECHO_REPLY ||
    type === ICMPV6_DEST_UNREACHABLE ||
    type === ICMPV6_PACKET_TOO_BIG ||
    type === ICMPV6_TIME_EXCEEDED;
  if (!typed) return ok({ kind: 'other', type, code, body: bytes.subarray(4) });
  if (len < ICMPV6_HEADER_LENGTH) return fail('truncated', `ICMPv6 type ${type} needs 8 bytes, have ${len}`);
  const rest = bytes.subarray(ICMPV6_HEADER_LENGTH);
  switch (type) {
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      return ok({
        kind: type === ICMPV6_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
        code,
        id: readU16(bytes, 4),
        seq: readU16(bytes, 6),
        data: rest,
      });
    case ICMPV6_DEST_UNREACHABLE:
      return ok({ kind: 'destination-unreachable', code, original: rest });
    case ICMPV6_PACKET_TOO_BIG:
      return ok({ kind: 'packet-too-big', code, mtu: readU32(bytes, 4), original: rest });
    default:
      return ok({ kind: 'time-exceeded', code, original: rest });
  }
}

function typeOf(m: Icmpv6Message): number {
  switch (m.kind) {
    case 'echo-request':
      return ICMPV6_ECHO_REQUEST;
    case 'echo-reply':
      return ICMPV6_ECHO_REPLY;
    case 'destination-unreachable':
      return ICMPV6_DEST_UNREACHABLE;
    case 'packet-too-big':
      return ICMPV6_PACKET_TOO_BIG;
    case 'time-exceeded':
      return ICMPV6_TIME_EXCEEDED;
    case 'other':
      return m.type;
  }
}

/** Bytes `m` takes on the wire. */
export function icmpv6Length(m: Icmpv6Message): number {
  switch (m.kind) {
    case 'echo-request':
    case 'echo-reply':
      return ICMPV6_HEADER_LENGTH + m.data.length;
    case 'other':
      return 4 + m.body.length;
    default:
      return ICMPV6_HEADER_LENGTH + m.original.length;
  }
}

/**
 * Writes `m` at `offset` with its checksum: `pseudoSumWithoutLength` is
 * `ipv6PseudoHeaderSum(src, dst, 58, 0)`; the message length is added here. Returns bytes written.
 */
export function writeIcmpv6(buf: Uint8Array, offset: number, m: Icmpv6Message, pseudoSumWithoutLength: number): number {
  const length = icmpv6Length(m);
  if (offset < 0 || offset + length > buf.length) {
    throw new RangeError(`ICMPv6 message of ${length} bytes does not fit at offset ${offset} of ${buf.length}`);
  }
  buf[offset] = typeOf(m);
  buf[offset + 1] = m.code;
  writeU16(buf, offset + 2, 0);
  switch (m.kind) {
    case 'echo-request':
    case 'echo-reply':
      writeU16(buf, offset + 4, m.id);
      writeU16(buf, offset + 6, m.seq);
      buf.set(m.data, offset + 8);
      break;
    case 'other':
      buf.set(m.body, offset + 4);
      break;
    case 'packet-too-big':
      writeU32(buf, offset + 4, m.mtu);
      buf.set(m.original, offset + 8);
      break;
    default:
      writeU32(buf, offset + 4, 0);
      buf.set(m.original, offset + 8);
      break;
  }
  const sum = onesComplementSum(buf, offset, offset + length, pseudoSumWithoutLength + length);
  writeU16(buf, offset + 2, finishChecksum(sum));
  return length;
}

/** Serialises `m` into a new buffer, checksummed for `src` → `dst`. */
export function serializeIcmpv6(m: Icmpv6Message, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  const buf = new Uint8Array(icmpv6Length(m));
  writeIcmpv6(buf, 0, m, ipv6PseudoHeaderSum(src, dst, IPPROTO_ICMPV6, 0));
  return buf;
}

/** Builds an IPv6 packet (no extension headers) carrying `m`, in one allocation. */
export function buildIpv6Icmpv6(src: Ipv6Address, dst: Ipv6Address, m: Icmpv6Message, hopLimit = 64): Uint8Array {
  const length = icmpv6Length(m);
  const buf = new Uint8Array(IPV6_HEADER_LENGTH + length);
  writeIpv6Header(buf, 0, { src, dst, nextHeader: IPPROTO_ICMPV6, hopLimit, payloadLength: length });
  writeIcmpv6(buf, IPV6_HEADER_LENGTH, m, ipv6PseudoHeaderSum(src, dst, IPPROTO_ICMPV6, 0));
  return buf;
}

/** A parsed IPv6 packet carrying ICMPv6. */
export interface Ipv6Icmpv6Packet {
  ip: Ipv6Header;
  icmp: Icmpv6Message;
}

/** Parses an IPv6 packet carrying ICMPv6 (after any extension headers), verifying the checksum. */
export function parseIpv6Icmpv6(packet: Uint8Array): ParseResult<Ipv6Icmpv6Packet> {
  const ip = parseIpv6(packet);
  if (!ip.ok) return ip;
  const { header, protocol, payload } = ip.value;
  if (protocol !== IPPROTO_ICMPV6) return fail('unsupported-protocol', `upper-layer protocol ${protocol}`);
  const icmp = parseIcmpv6(payload, ipv6PseudoHeaderSum(header.src, header.dst, IPPROTO_ICMPV6, payload.length));
  if (!icmp.ok) return icmp;
  return ok({ ip: header, icmp: icmp.value });
}

/** The Echo Reply to `request`: same identifier, sequence number and data (RFC 4443 §4.2). */
export function icmpv6EchoReply(request: Icmpv6Echo): Icmpv6Echo {
  return { kind: 'echo-reply', code: 0, id: request.id, seq: request.seq, data: request.data };
}

/**
 * What to quote from `offending` (an IPv6 packet): the packet without link padding beyond its
 * Payload Length, cut so the error fits in the minimum MTU (RFC 4443 §2.4(c)). A view, not a copy.
 */
export function icmpv6Quote(offending: Uint8Array): Uint8Array {
  let end = offending.length;
  if (end >= IPV6_HEADER_LENGTH) {
    const total = IPV6_HEADER_LENGTH + readU16(offending, 4);
    if (total < end) end = total;
  }
  return offending.subarray(0, Math.min(end, ICMPV6_MAX_QUOTE));
}

/** A Destination Unreachable with `code` quoting `offending`. */
export function icmpv6DestinationUnreachable(code: number, offending: Uint8Array): Icmpv6DestinationUnreachable {
  return { kind: 'destination-unreachable', code, original: icmpv6Quote(offending) };
}

/** A Port Unreachable (type 1 code 4) quoting `offending`. */
export function icmpv6PortUnreachable(offending: Uint8Array): Icmpv6DestinationUnreachable {
  return icmpv6DestinationUnreachable(ICMPV6_PORT_UNREACHABLE, offending);
}

/** A Packet Too Big with the next-hop `mtu`, quoting `offending`. */
export function icmpv6PacketTooBig(offending: Uint8Array, mtu: number): Icmpv6PacketTooBig {
  return { kind: 'packet-too-big', code: 0, mtu: mtu >>> 0, original: icmpv6Quote(offending) };
}

/** A Time Exceeded (code 0 hop limit, 1 reassembly) quoting `offending`. */
export function icmpv6TimeExceeded(code: number, offending: Uint8Array): Icmpv6TimeExceeded {
  return { kind: 'time-exceeded', code, original: icmpv6Quote(offending) };
}
