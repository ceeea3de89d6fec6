/**
 * Typed views of the headers synack speaks. The wire layer turns bytes into these and back; every
 * parse failure is a {@link DropReason}, never an exception.
 */

/** TCP control bits (RFC 9293 §3.1). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

/** A SACK block: [left, right) in sequence space (RFC 2018 §3), both u32. */
export interface SackBlock {
  left: number;
  right: number;
}

/** TCP options of the core RFCs. Absent fields mean the option was not present. */
export interface TcpOptions {
  /** Maximum Segment Size (RFC 9293 §3.7.1); only meaningful on SYNs. */
  mss?: number;
  /** Window scale shift count (RFC 7323 §2.2). */
  windowScale?: number;
  /** SACK-permitted (RFC 2018 §2). */
  sackPermitted?: boolean;
  /** SACK blocks (RFC 2018 §3). */
  sackBlocks?: SackBlock[];
  /** Timestamps TSval / TSecr (RFC 7323 §3.2). */
  timestamp?: { value: number; echo: number };
}

/** A TCP segment as the engine sees it: header fields plus payload. All sequence numbers are u32. */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Bitwise OR of FIN, SYN, RST, PSH, ACK, URG, ECE, CWR. */
  flags: number;
  /** The raw 16-bit window field (not scaled). */
  window: number;
  urgent: number;
  options: TcpOptions;
  payload: Uint8Array;
}

/** Why a packet was rejected. Counted per reason by the stack. */
export type DropReason =
  | 'truncated'
  | 'bad-ip-version'
  | 'bad-header-length'
  | 'bad-total-length'
  | 'bad-ip-checksum'
  | 'bad-checksum'
  | 'bad-option-length'
  | 'bad-option'
  | 'bad-extension-header'
  | 'fragmented'
  | 'unsupported-protocol'
  | 'bad-address'
  | 'bad-port';

/** Result of a parse: the value, or the reason the bytes were rejected. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: DropReason; detail: string };

/** IP protocol numbers we use. */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** An IPv4 header (RFC 791 §3.1). Addresses are u32 in network order value (a.b.c.d = a<<24|...). */
export interface Ipv4Header {
  tos: number;
  /** Total length of the datagram in bytes (header + payload). */
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in bytes. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  /** Header length in bytes (20..60). */
  headerLength: number;
}
