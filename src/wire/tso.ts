/**
 * TCP segmentation offload at the wire level: the headers of a segment whose TCP checksum a link
 * completes (Linux's CHECKSUM_PARTIAL, virtio-net's NEEDS_CSUM), and a software segmenter that turns
 * such a segment, however long, into the packets a wire of a given MSS carries (Linux's GSO,
 * `tcp_gso_segment`). See {@link TcpSegmentationOffload} in src/link/types.ts for the contract.
 *
 * @module
 */
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { finishChecksum, foldChecksum, ipv4PseudoHeaderSum, onesComplementSum } from './checksum.js';
import { IPV4_HEADER_LENGTH, writeIpv4Header } from './ipv4.js';
import { IPV6_HEADER_LENGTH, ipv6PseudoHeaderSum, writeIpv6Header, type Ipv6Address } from './ipv6.js';
import { allocPacketBuffer } from './packet.js';
import { TCP_HEADER_LENGTH, tcpOptionsLength, writeTcpHeader } from './tcp.js';
import { CWR, FIN, IPPROTO_TCP, PSH, type TcpSegment } from './types.js';

/**
 * IPv4 and TCP headers (not the payload) of `seg` sent `src` → `dst`: the IP total length counts the
 * payload, the TCP checksum field holds the folded pseudo-header sum for the link to complete.
 */
export function buildIpv4TcpHeaders(src: number, dst: number, seg: TcpSegment, ttl = 64): Uint8Array {
  const tcpHeader = TCP_HEADER_LENGTH + tcpOptionsLength(seg.options);
  const tcpLength = tcpHeader + seg.payload.length;
  const buf = allocPacketBuffer(IPV4_HEADER_LENGTH + tcpHeader);
  writeIpv4Header(buf, 0, { src, dst, protocol: IPPROTO_TCP, ttl, payloadLength: tcpLength });
  writeTcpHeader(buf, IPV4_HEADER_LENGTH, seg, ipv4PseudoHeaderSum(src, dst, IPPROTO_TCP, tcpLength));
  return buf;
}

/** As {@link buildIpv4TcpHeaders}, for IPv6 (no extension headers). */
export function buildIpv6TcpHeaders(src: Ipv6Address, dst: Ipv6Address, seg: TcpSegment, hopLimit = 64): Uint8Array {
  const tcpHeader = TCP_HEADER_LENGTH + tcpOptionsLength(seg.options);
  const tcpLength = tcpHeader + seg.payload.length;
  const buf = allocPacketBuffer(IPV6_HEADER_LENGTH + tcpHeader);
  writeIpv6Header(buf, 0, { src, dst, nextHeader: IPPROTO_TCP, hopLimit, payloadLength: tcpLength });
  writeTcpHeader(buf, IPV6_HEADER_LENGTH, seg, foldChecksum(ipv6PseudoHeaderSum(src, dst, IPPROTO_TCP, tcpLength)));
  return buf;
}

/** Offset of the TCP header in `headers` (IPv4 with its IHL, or IPv6 without extension headers). */
export function tcpOffsetOf(headers: Uint8Array): number {
  return headers[0]! >> 4 === 4 ? (headers[0]! & 0x0f) * 4 : IPV6_HEADER_LENGTH;
}

/**
 * The packets a wire carries for one offloaded segment (`headers` as {@link buildIpv4TcpHeaders}
 * makes them, `payload` its data): consecutive segments of `segmentSize` data bytes (the last may be
 * shorter; one packet when the payload fits), each with the headers copied, SEQ advanced, FIN and PSH
 * only on the last and CWR only on the first, IPv4 ID incremented per segment, lengths and both
 * checksums complete — what Linux's `tcp_gso_segment` produces.
 */
export function segmentTcpOffload(headers: Uint8Array, payload: Uint8Array, segmentSize: number): Uint8Array[] {
  const v4 = headers[0]! >> 4 === 4;
  const ipHl = tcpOffsetOf(headers);
  const hl = headers.length;
  const flags = headers[ipHl + 13]!;
  const seq0 = readU32(headers, ipHl + 4);
  const id0 = v4 ? readU16(headers, 4) : 0;
  const size = segmentSize > 0 ? Math.floor(segmentSize) : Math.max(1, payload.length);
  const count = Math.max(1, Math.ceil(payload.length / size));
  const out: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const off = k * size;
    const len = Math.min(size, payload.length - off);
    const p = allocPacketBuffer(hl + len);
    p.set(headers, 0);
    p.set(payload.subarray(off, off + len), hl);
    const tcpLength = hl - ipHl + len;
    if (v4) {
      writeU16(p, 2, hl + len);
      writeU16(p, 4, (id0 + k) & 0xffff);
      writeU16(p, 10, 0);
      writeU16(p, 10, finishChecksum(onesComplementSum(p, 0, ipHl)));
    } else {
      writeU16(p, 4, tcpLength);
    }
    writeU32(p, ipHl + 4, (seq0 + off) >>> 0);
    let f = flags;
    if (k < count - 1) f &= ~(FIN | PSH);
    if (k > 0) f &= ~CWR;
    p[ipHl + 13] = f;
    const pseudo = v4
      ? ipv4PseudoHeaderSum(readU32(p, 12), readU32(p, 16), IPPROTO_TCP, tcpLength)
      : ipv6PseudoHeaderSum(p.subarray(8, 24), p.subarray(24, 40), IPPROTO_TCP, tcpLength);
    writeU16(p, ipHl + 16, 0);
    writeU16(p, ipHl + 16, finishChecksum(onesComplementSum(p, ipHl, hl + len, pseudo)));
    out.push(p);
  }
  return out;
}
