/** UDP (RFC 768) over IPv4 and IPv6 (RFC 8200 §8.1). */
import { readU16, writeU16 } from './bytes.js';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from './checksum.js';
import { IPV4_HEADER_LENGTH, parseIpv4, writeIpv4Header, type Ipv4Packet } from './ipv4.js';
import {
  IPV6_HEADER_LENGTH,
  ipv6PseudoHeaderSum,
  parseIpv6,
  writeIpv6Header,
  type Ipv6Address,
  type Ipv6Header,
} from './ipv6.js';
import { fail, ok } from './result.js';
import { IPPROTO_UDP, type Ipv4Header, type ParseResult } from './types.js';

/** Length of the UDP header. */
export const UDP_HEADER_LENGTH = 8;

/** What is needed to write a datagram. */
export interface UdpInit {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A parsed UDP datagram. */
export interface UdpDatagram extends UdpInit {
  /** The checksum field as received; 0 means the sender computed none (IPv4 only). */
  checksum: number;
}

/**
 * Parses a UDP datagram. `pseudoSum` is the pseudo-header partial sum for `bytes.length` bytes
 * (e.g. `ipv4PseudoHeaderSum(src, dst, 17, bytes.length)`); when undefined the checksum is not
 * verified. A zero checksum field means "no checksum" over IPv4 (RFC 768) but is invalid over IPv6
 * (RFC 8200 §8.1): pass `checksumRequired` true there, and a zero field is 'bad-checksum'.
 *
 * The Length field must equal `bytes.length` (the IP layer has already trimmed link padding): a
 * Length beyond the bytes is 'truncated', one below 8 or below the bytes is 'bad-total-length'.
 * The payload is a view into `bytes`, not a copy.
 */
export function parseUdp(
  bytes: Uint8Array,
  pseudoSum: number | undefined,
  checksumRequired = false,
): ParseResult<UdpDatagram> {
  const len = bytes.length;
  if (len < UDP_HEADER_LENGTH) return fail('truncated', `UDP header needs 8 bytes, have ${len}`);
  const length = readU16(bytes, 4);
  if (length < UDP_HEADER_LENGTH) return fail('bad-total-length', `UDP length ${length} < 8`);
  if (length > len) return fail('truncated', `UDP length ${length}, have ${len} bytes`);
  if (length < len) return fail('bad-total-length', `UDP length ${length} < ${len} bytes carried`);
  const checksum = readU16(bytes, 6);
  if (checksum === 0) {
    if (checksumRequired) return fail('bad-checksum', 'zero UDP checksum where one is required');
  } else if (pseudoSum !== undefined && finishChecksum(onesComplementSum(bytes, 0, len, pseudoSum)) !== 0) {
    return fail('bad-checksum', 'UDP checksum mismatch');
  }
  return ok({ srcPort: readU16(bytes, 0), dstPort: readU16(bytes, 2), checksum, payload: bytes.subarray(8) });
}

/** Total bytes of a datagram with this payload. */
export function udpLength(d: UdpInit): number {
  return UDP_HEADER_LENGTH + d.payload.length;
}

/**
 * Writes the datagram at `offset` with its checksum: `pseudoSumWithoutLength` is the pseudo-header
 * partial sum with a zero length (e.g. `ipv6PseudoHeaderSum(src, dst, 17, 0)`); the UDP length is
 * added here. A computed checksum of 0 is sent as 0xffff (RFC 768). Returns bytes written.
 */
export function writeUdp(buf: Uint8Array, offset: number, d: UdpInit, pseudoSumWithoutLength: number): number {
  const length = udpLength(d);
  if (length > 0xffff) throw new RangeError(`UDP datagram of ${length} bytes is too long`);
  if (offset < 0 || offset + length > buf.length) {
    throw new RangeError(`UDP datagram of ${length} bytes does not fit at offset ${offset} of ${buf.length}`);
  }
  writeU16(buf, offset, d.srcPort);
  writeU16(buf, offset + 2, d.dstPort);
  writeU16(buf, offset + 4, length);
  writeU16(buf, offset + 6, 0);
  buf.set(d.payload, offset + UDP_HEADER_LENGTH);
  const sum = finishChecksum(onesComplementSum(buf, offset, offset + length, pseudoSumWithoutLength + length));
  writeU16(buf, offset + 6, sum === 0 ? 0xffff : sum);
  return length;
}

/** Builds an IPv4 datagram (20-byte header) carrying UDP, in one allocation. */
export function buildIpv4Udp(src: number, dst: number, d: UdpInit, ttl = 64): Uint8Array {
  const length = udpLength(d);
  const buf = new Uint8Array(IPV4_HEADER_LENGTH + length);
  writeIpv4Header(buf, 0, { src, dst, protocol: IPPROTO_UDP, ttl, payloadLength: length });
  writeUdp(buf, IPV4_HEADER_LENGTH, d, ipv4PseudoHeaderSum(src, dst, IPPROTO_UDP, 0));
  return buf;
}

/** Builds an IPv6 packet (no extension headers) carrying UDP, in one allocation. */
export function buildIpv6Udp(src: Ipv6Address, dst: Ipv6Address, d: UdpInit, hopLimit = 64): Uint8Array {
  const length = udpLength(d);
  const buf = new Uint8Array(IPV6_HEADER_LENGTH + length);
  writeIpv6Header(buf, 0, { src, dst, nextHeader: IPPROTO_UDP, hopLimit, payloadLength: length });
  writeUdp(buf, IPV6_HEADER_LENGTH, d, ipv6PseudoHeaderSum(src, dst, IPPROTO_UDP, 0));
  return buf;
}

/** A parsed IPv4 datagram carrying UDP. */
export interface Ipv4UdpPacket {
  ip: Ipv4Header;
  udp: UdpDatagram;
}

/** A parsed IPv6 packet carrying UDP. */
export interface Ipv6UdpPacket {
  ip: Ipv6Header;
  udp: UdpDatagram;
}

/** Parses an IPv4 datagram carrying UDP, verifying the checksum unless the sender sent none. */
export function parseIpv4Udp(packet: Uint8Array): ParseResult<Ipv4UdpPacket> {
  const ip = parseIpv4(packet);
  if (!ip.ok) return ip;
  const { header, payload }: Ipv4Packet = ip.value;
  if (header.protocol !== IPPROTO_UDP) return fail('unsupported-protocol', `IP protocol ${header.protocol}`);
  const udp = parseUdp(payload, ipv4PseudoHeaderSum(header.src, header.dst, IPPROTO_UDP, payload.length));
  if (!udp.ok) return udp;
  return ok({ ip: header, udp: udp.value });
}

/** Parses an IPv6 packet carrying UDP (after any extension headers); the checksum is mandatory. */
export function parseIpv6Udp(packet: Uint8Array): ParseResult<Ipv6UdpPacket> {
  const ip = parseIpv6(packet);
  if (!ip.ok) return ip;
  const { header, protocol, payload } = ip.value;
  if (protocol !== IPPROTO_UDP) return fail('unsupported-protocol', `upper-layer protocol ${protocol}`);
  const udp = parseUdp(payload, ipv6PseudoHeaderSum(header.src, header.dst, IPPROTO_UDP, payload.length), true);
  if (!udp.ok) return udp;
  return ok({ ip: header, udp: udp.value });
}
