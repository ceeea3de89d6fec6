/** Whole IPv4+TCP packets, and flag formatting for logs. */
import { ipv4PseudoHeaderSum } from './checksum.js';
import { IPV4_HEADER_LENGTH, parseIpv4, writeIpv4Header } from './ipv4.js';
import { fail, ok } from './result.js';
import { parseTcp, tcpSegmentLength, writeTcp } from './tcp.js';
import {
  ACK,
  CWR,
  ECE,
  FIN,
  IPPROTO_TCP,
  PSH,
  RST,
  SYN,
  URG,
  type Ipv4Header,
  type ParseResult,
  type TcpSegment,
} from './types.js';

/** A parsed IPv4 datagram carrying TCP. */
export interface Ipv4TcpPacket {
  ip: Ipv4Header;
  tcp: TcpSegment;
}

/** Parses an IPv4 datagram carrying TCP, verifying both checksums; other protocols are 'unsupported-protocol'. */
export function parseIpv4Tcp(packet: Uint8Array): ParseResult<Ipv4TcpPacket> {
  const ip = parseIpv4(packet);
  if (!ip.ok) return ip;
  const { header, payload } = ip.value;
  if (header.protocol !== IPPROTO_TCP) return fail('unsupported-protocol', `IP protocol ${header.protocol}`);
  const tcp = parseTcp(payload, ipv4PseudoHeaderSum(header.src, header.dst, IPPROTO_TCP, payload.length));
  if (!tcp.ok) return tcp;
  return ok({ ip: header, tcp: tcp.value });
}

/** Bytes of each slab that {@link allocPacketBuffer} carves packets from. */
const SLAB_SIZE = 64 * 1024;
/** Larger packets get an allocation of their own. */
const SLAB_MAX_PACKET = 4096;
let slab = new ArrayBuffer(0);
let slabUsed = 0;

/**
 * A zero-filled buffer of `n` bytes for an outgoing packet. Small ones are carved out of 64 KiB slabs
 * (each at an 8-byte-aligned offset, never shared), which costs a fraction of a separate allocation:
 * per packet, creating an ArrayBuffer costs far more than filling it. A packet (or a view of its
 * payload) kept alive keeps its slab alive.
 */
export function allocPacketBuffer(n: number): Uint8Array {
  if (n > SLAB_MAX_PACKET) return new Uint8Array(n);
  if (slabUsed + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const buf = new Uint8Array(slab, slabUsed, n);
  slabUsed += (n + 7) & ~7;
  return buf;
}

/** Builds an IPv4 datagram (20-byte header, DF set, id 0) carrying `seg`, in one allocation. */
export function buildIpv4Tcp(src: number, dst: number, seg: TcpSegment, ttl = 64): Uint8Array {
  const tcpLength = tcpSegmentLength(seg);
  const buf = allocPacketBuffer(IPV4_HEADER_LENGTH + tcpLength);
  writeIpv4Header(buf, 0, { src, dst, protocol: IPPROTO_TCP, ttl, payloadLength: tcpLength });
  writeTcp(buf, IPV4_HEADER_LENGTH, seg, src, dst);
  return buf;
}

const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [SYN, 'SYN'],
  [FIN, 'FIN'],
  [RST, 'RST'],
  [PSH, 'PSH'],
  [ACK, 'ACK'],
  [URG, 'URG'],
  [ECE, 'ECE'],
  [CWR, 'CWR'],
];

/** Names the set flags, comma-separated in the order SYN,FIN,RST,PSH,ACK,URG,ECE,CWR ("" if none). */
export function formatFlags(flags: number): string {
  let out = '';
  for (const [bit, name] of FLAG_NAMES) {
    if ((flags & bit) !== 0) out = out === '' ? name : `${out},${name}`;
  }
  return out;
}
