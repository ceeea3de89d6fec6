/**
 * ICMP for IPv4 (RFC 792), with the Next-Hop MTU of "fragmentation needed" (RFC 1191 §4) and the
 * quoting rules of RFC 1122 §3.2.2 / RFC 1812 §4.3.2.3.
 */
import { readU16, readU32, writeU16 } from './bytes.js';
import { finishChecksum, onesComplementSum } from './checksum.js';
import { IPV4_HEADER_LENGTH, writeIpv4Header } from './ipv4.js';
import { fail, ok } from './result.js';
import { IPPROTO_ICMP, type Ipv4Header, type ParseResult } from './types.js';

export const ICMPV4_ECHO_REPLY = 0;
export const ICMPV4_DEST_UNREACHABLE = 3;
export const ICMPV4_ECHO_REQUEST = 8;
export const ICMPV4_TIME_EXCEEDED = 11;

/** Destination Unreachable codes (RFC 792, RFC 1191). */
export const ICMPV4_NET_UNREACHABLE = 0;
export const ICMPV4_HOST_UNREACHABLE = 1;
export const ICMPV4_PROTOCOL_UNREACHABLE = 2;
export const ICMPV4_PORT_UNREACHABLE = 3;
export const ICMPV4_FRAGMENTATION_NEEDED = 4;

/** Every ICMP message starts with type, code, checksum and four more header bytes. */
export const ICMPV4_HEADER_LENGTH = 8;
/** An ICMP error datagram stays within 576 bytes (RFC 1812 §4.3.2.3), so quotes take at most 548. */
export const ICMPV4_MAX_QUOTE = 576 - IPV4_HEADER_LENGTH - ICMPV4_HEADER_LENGTH;

/** Echo Request (type 8) or Echo Reply (type 0). */
export interface Icmpv4Echo {
  kind: 'echo-request' | 'echo-reply';
  code: number;
  id: number;
  seq: number;
  data: Uint8Array;
}

/** Destination Unreachable (type 3) other than code 4. `original` is the quoted datagram. */
export interface Icmpv4DestinationUnreachable {
  kind: 'destination-unreachable';
  code: number;
  original: Uint8Array;
}

/** Destination Unreachable code 4: the Next-Hop MTU (RFC 1191 §4; 0 from pre-1191 routers). */
export interface Icmpv4FragmentationNeeded {
  kind: 'fragmentation-needed';
  mtu: number;
  original: Uint8Array;
}

/** Time Exceeded (type 11): code 0 TTL exceeded in transit, 1 reassembly time exceeded. */
export interface Icmpv4TimeExceeded {
  kind: 'time-exceeded';
  code: number;
  original: Uint8Array;
}

/** Any other type, kept raw: `body` is everything after the checksum (bytes 4..). */
export interface Icmpv4Other {
  kind: 'other';
  type: number;
  code: number;
  body: Uint8Array;
}

export type Icmpv4Message =
  | Icmpv4Echo
  | Icmpv4DestinationUnreachable
  | Icmpv4FragmentationNeeded
  | Icmpv4TimeExceeded
  | Icmpv4Other;

/**
 * Parses an ICMP message (the IPv4 payload), verifying its checksum (over the message alone, RFC
 * 792) unless `verifyChecksum` is false. Data and quotes are views into `bytes`, not copies.
 */
export function parseIcmpv4(bytes: Uint8Array, verifyChecksum = true): ParseResult<Icmpv4Message> {
  const len = bytes.length;
  if (len < ICMPV4_HEADER_LENGTH) return fail('truncated', `ICMP header needs 8 bytes, have ${len}`);
  if (verifyChecksum && finishChecksum(onesComplementSum(bytes, 0, len)) !== 0) {
    return fail('bad-checksum', 'ICMP checksum mismatch');
  }
  const type = bytes[0]!;
  const code = bytes[1]!;
  const rest = bytes.subarray(ICMPV4_HEADER_LENGTH);
  switch (type) {
    case ICMPV4_ECHO_REQUEST:
    case ICMPV4_ECHO_REPLY:
      return ok({
        kind: type === ICMPV4_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
        code,
        id: readU16(bytes, 4),
        seq: readU16(bytes, 6),
        data: rest,
      });
    case ICMPV4_DEST_UNREACHABLE:
      if (code === ICMPV4_FRAGMENTATION_NEEDED) {
        return ok({ kind: 'fragmentation-needed', mtu: readU16(bytes, 6), original: rest });
      }
      return ok({ kind: 'destination-unreachable', code, original: rest });
    case ICMPV4_TIME_EXCEEDED:
      return ok({ kind: 'time-exceeded', code, original: rest });
    default:
      return ok({ kind: 'other', type, code, body: bytes.subarray(4) });
  }
}

/** The header of an IPv4 datagram quoted in an ICMP error, and the quoted start of its payload. */
export interface Ipv4Quote {
  header: Ipv4Header;
  /** The quoted payload bytes: a view, usually only the first 8 bytes of the original payload. */
  payload: Uint8Array;
}

/**
 * Parses the datagram quoted in an ICMP error, on demand. The quote is cut short, so Total Length
 * only bounds the payload; the header checksum is not verified (RFC 5927 suggests validating the
 * quoted transport header instead). Fragment fields are reported, not rejected.
 */
export function parseIpv4Quote(quote: Uint8Array): ParseResult<Ipv4Quote> {
  const len = quote.length;
  if (len < IPV4_HEADER_LENGTH) return fail('truncated', `quoted IPv4 header needs 20 bytes, have ${len}`);
  const version = quote[0]! >>> 4;
  if (version !== 4) return fail('bad-ip-version', `version ${version}`);
  const headerLength = (quote[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return fail('bad-header-length', `IHL ${headerLength / 4} < 5`);
  if (len < headerLength) return fail('truncated', `quoted header length ${headerLength}, have ${len} bytes`);
  const totalLength = readU16(quote, 2);
  if (totalLength < headerLength) {
    return fail('bad-total-length', `total length ${totalLength} < header length ${headerLength}`);
  }
  const frag = readU16(quote, 6);
  const header: Ipv4Header = {
    tos: quote[1]!,
    totalLength,
    id: readU16(quote, 4),
    dontFragment: (frag & 0x4000) !== 0,
    moreFragments: (frag & 0x2000) !== 0,
    fragmentOffset: (frag & 0x1fff) * 8,
    ttl: quote[8]!,
    protocol: quote[9]!,
    src: readU32(quote, 12),
    dst: readU32(quote, 16),
    headerLength,
  };
  return ok({ header, payload: quote.subarray(headerLength, Math.min(len, totalLength)) });
}

/** The type and code a message is sent with. */
function typeAndCode(m: Icmpv4Message): [number, number] {
  switch (m.kind) {
    case 'echo-request':
      return [ICMPV4_ECHO_REQUEST, m.code];
    case 'echo-reply':
      return [ICMPV4_ECHO_REPLY, m.code];
    case 'destination-unreachable':
      return [ICMPV4_DEST_UNREACHABLE, m.code];
    case 'fragmentation-needed':
      return [ICMPV4_DEST_UNREACHABLE, ICMPV4_FRAGMENTATION_NEEDED];
    case 'time-exceeded':
      return [ICMPV4_TIME_EXCEEDED, m.code];
    case 'other':
      return [m.type, m.code];
  }
}

/** Bytes `m` takes on the wire. */
export function icmpv4Length(m: Icmpv4Message): number {
  switch (m.kind) {
    case 'echo-request':
    case 'echo-reply':
      return ICMPV4_HEADER_LENGTH + m.data.length;
    case 'other':
      return 4 + m.body.length;
    default:
      return ICMPV4_HEADER_LENGTH + m.original.length;
  }
}

/** Writes `m` at `offset` with its checksum; returns bytes written. Throws RangeError if it does not fit. */
export function writeIcmpv4(buf: Uint8Array, offset: number, m: Icmpv4Message): number {
  const length = icmpv4Length(m);
  if (offset < 0 || offset + length > buf.length) {
    throw new RangeError(`ICMP message of ${length} bytes does not fit at offset ${offset} of ${buf.length}`);
  }
  const [type, code] = typeAndCode(m);
  buf[offset] = type;
  buf[offset + 1] = code;
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
    case 'fragmentation-needed':
      writeU16(buf, offset + 4, 0);
      writeU16(buf, offset + 6, m.mtu);
      buf.set(m.original, offset + 8);
      break;
    default:
      writeU16(buf, offset + 4, 0);
      writeU16(buf, offset + 6, 0);
      buf.set(m.original, offset + 8);
      break;
  }
  writeU16(buf, offset + 2, finishChecksum(onesComplementSum(buf, offset, offset + length)));
  return length;
}

/** Serialises `m` into a new buffer. */
export function serializeIcmpv4(m: Icmpv4Message): Uint8Array {
  const buf = new Uint8Array(icmpv4Length(m));
  writeIcmpv4(buf, 0, m);
  return buf;
}

/** Builds an IPv4 datagram (20-byte header, DF clear) carrying `m`, in one allocation. */
export function buildIpv4Icmp(src: number, dst: number, m: Icmpv4Message, ttl = 64): Uint8Array {
  const length = icmpv4Length(m);
  const buf = new Uint8Array(IPV4_HEADER_LENGTH + length);
  writeIpv4Header(buf, 0, { src, dst, protocol: IPPROTO_ICMP, ttl, dontFragment: false, payloadLength: length });
  writeIcmpv4(buf, IPV4_HEADER_LENGTH, m);
  return buf;
}

/** The Echo Reply to `request`: same identifier, sequence number and data (RFC 792). */
export function icmpv4EchoReply(request: Icmpv4Echo): Icmpv4Echo {
  return { kind: 'echo-reply', code: 0, id: request.id, seq: request.seq, data: request.data };
}

/**
 * What to quote from `offending` (an IPv4 datagram): the datagram itself, without link padding
 * beyond its Total Length, cut at {@link ICMPV4_MAX_QUOTE} bytes — always the header and well over
 * the 8 data bytes RFC 1122 §3.2.2 asks for. A view, not a copy.
 */
export function icmpv4Quote(offending: Uint8Array): Uint8Array {
  let end = offending.length;
  if (end >= 4) {
    const total = readU16(offending, 2);
    if (total >= IPV4_HEADER_LENGTH && total < end) end = total;
  }
  return offending.subarray(0, Math.min(end, ICMPV4_MAX_QUOTE));
}

/** A Destination Unreachable with `code` quoting `offending`; code 4 needs {@link icmpv4FragmentationNeeded}. */
export function icmpv4DestinationUnreachable(
  code: number,
  offending: Uint8Array,
): Icmpv4DestinationUnreachable | Icmpv4FragmentationNeeded {
  if (code === ICMPV4_FRAGMENTATION_NEEDED) return icmpv4FragmentationNeeded(offending, 0);
  return { kind: 'destination-unreachable', code, original: icmpv4Quote(offending) };
}

/** A Port Unreachable (type 3 code 3) quoting `offending`. */
export function icmpv4PortUnreachable(offending: Uint8Array): Icmpv4DestinationUnreachable {
  return { kind: 'destination-unreachable', code: ICMPV4_PORT_UNREACHABLE, original: icmpv4Quote(offending) };
}

/** A Fragmentation Needed and DF Set (type 3 code 4) with the next-hop `mtu`, quoting `offending`. */
export function icmpv4FragmentationNeeded(offending: Uint8Array, mtu: number): Icmpv4FragmentationNeeded {
  return { kind: 'fragmentation-needed', mtu: mtu & 0xffff, original: icmpv4Quote(offending) };
}

/** A Time Exceeded (code 0 in transit, 1 reassembly) quoting `offending`. */
export function icmpv4TimeExceeded(code: number, offending: Uint8Array): Icmpv4TimeExceeded {
  return { kind: 'time-exceeded', code, original: icmpv4Quote(offending) };
}
