/** TCP headers and options (RFC 9293 §3.1, RFC 7323, RFC 2018). */
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from './checksum.js';
import { fail, ok } from './result.js';
import { IPPROTO_TCP, type ParseResult, type SackBlock, type TcpOptions, type TcpSegment } from './types.js';

/** Length of a TCP header without options. */
export const TCP_HEADER_LENGTH = 20;
/** Options are limited by the 4-bit data offset: 15 × 4 − 20 (RFC 9293 §3.1). */
export const TCP_MAX_OPTIONS_LENGTH = 40;

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;

/** At most four SACK blocks fit in 40 bytes of options (RFC 2018 §3). */
const MAX_SACK_BLOCKS = 4;

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses a TCP segment. `pseudoSum` is the pseudo-header partial sum for `bytes.length` bytes (e.g.
 * `ipv4PseudoHeaderSum(src, dst, 6, bytes.length)`); when undefined the checksum is not verified.
 * The payload is a view into `bytes`, not a copy.
 */
export function parseTcp(bytes: Uint8Array, pseudoSum: number | undefined): ParseResult<TcpSegment> {
  const len = bytes.length;
  if (len < TCP_HEADER_LENGTH) return fail('truncated', `TCP header needs 20 bytes, have ${len}`);
  const headerLength = (bytes[12]! >>> 4) * 4;
  if (headerLength < TCP_HEADER_LENGTH) return fail('bad-header-length', `data offset ${headerLength / 4} < 5`);
  if (headerLength > len) return fail('bad-header-length', `data offset ${headerLength / 4} exceeds ${len} bytes`);
  if (pseudoSum !== undefined && finishChecksum(onesComplementSum(bytes, 0, len, pseudoSum)) !== 0) {
    return fail('bad-checksum', 'TCP checksum mismatch');
  }
  const options: TcpOptions = {};
  if (headerLength > TCP_HEADER_LENGTH) {
    const error = parseOptions(bytes, TCP_HEADER_LENGTH, headerLength, options);
    if (error !== undefined) return fail('bad-option-length', error);
  }
  return ok({
    srcPort: readU16(bytes, 0),
    dstPort: readU16(bytes, 2),
    seq: readU32(bytes, 4),
    ack: readU32(bytes, 8),
    flags: bytes[13]!,
    window: readU16(bytes, 14),
    urgent: readU16(bytes, 18),
    options,
    payload: bytes.subarray(headerLength),
  });
}

/**
 * Decodes options in `b[start..end)` into `out`; returns an error detail or undefined. Unknown kinds
 * are skipped by their length (RFC 9293 §3.2); EOL ends the list. A repeated option overwrites the
 * earlier one, except SACK blocks, which accumulate. Values are kept raw: clamping a window scale
 * above 14 (RFC 7323 §2.3) is the engine's business.
 */
function parseOptions(b: Uint8Array, start: number, end: number, out: TcpOptions): string | undefined {
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return `option kind ${kind} at ${i} has no length byte`;
    const len = b[i + 1]!;
    if (len < 2) return `option kind ${kind} has length ${len} < 2`;
    if (i + len > end) return `option kind ${kind} length ${len} runs past the header`;
    switch (kind) {
      case OPT_MSS: // RFC 9293 §3.2
        if (len !== 4) return `MSS option length ${len} != 4`;
        out.mss = readU16(b, i + 2);
        break;
      case OPT_WSCALE: // RFC 7323 §2.2
        if (len !== 3) return `window scale option length ${len} != 3`;
        out.windowScale = b[i + 2]!;
        break;
      case OPT_SACK_PERMITTED: // RFC 2018 §2
        if (len !== 2) return `SACK-permitted option length ${len} != 2`;
        out.sackPermitted = true;
        break;
      case OPT_SACK: {
        // RFC 2018 §3: length 2 + 8n; n ≤ 4 follows from the 40-byte option space.
        if (len < 10 || (len - 2) % 8 !== 0) return `SACK option length ${len} is not 2 + 8n`;
        const blocks = (out.sackBlocks ??= []);
        for (let j = i + 2; j < i + len; j += 8) blocks.push({ left: readU32(b, j), right: readU32(b, j + 4) });
        break;
      }
      case OPT_TIMESTAMP: // RFC 7323 §3.2
        if (len !== 10) return `timestamps option length ${len} != 10`;
        out.timestamp = { value: readU32(b, i + 2), echo: readU32(b, i + 6) };
        break;
      default:
        break;
    }
    i += len;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Serialising
//
// Layout follows Linux's tcp_options_write(): every option group is 4-byte aligned with NOPs, so the
// total is always a multiple of 4 and needs no EOL:
//   MSS(4) | SACKOK,TS (12) or NOP,NOP,TS (12) | NOP,NOP,SACKOK (4, without TS) | NOP,WS (4) |
//   NOP,NOP,SACK (4 + 8n)

/** Bytes the non-SACK options take. At most 4 + 12 + 4 = 20, so they always fit. */
function fixedOptionsLength(opts: TcpOptions): number {
  let n = 0;
  if (opts.mss !== undefined) n += 4;
  if (opts.timestamp !== undefined || opts.sackPermitted === true) n += opts.timestamp !== undefined ? 12 : 4;
  if (opts.windowScale !== undefined) n += 4;
  return n;
}

/**
 * How many of `opts.sackBlocks` will be written: as many as fit in the 40-byte option space next to
 * the other options (4 alone, 3 with timestamps, 2 with timestamps and window scale). The first
 * blocks are kept, since RFC 2018 §4 puts the most recent one first.
 */
export function tcpSackBlocksThatFit(opts: TcpOptions): number {
  const wanted = opts.sackBlocks?.length ?? 0;
  if (wanted === 0) return 0;
  const room = Math.floor((TCP_MAX_OPTIONS_LENGTH - fixedOptionsLength(opts) - 4) / 8);
  return Math.max(0, Math.min(wanted, room, MAX_SACK_BLOCKS));
}

/** Bytes `opts` take on the wire, a multiple of 4 and at most 40 (excess SACK blocks are dropped). */
export function tcpOptionsLength(opts: TcpOptions): number {
  const sacks = tcpSackBlocksThatFit(opts);
  return fixedOptionsLength(opts) + (sacks > 0 ? 4 + 8 * sacks : 0);
}

/** Total bytes of `seg` on the wire: header, options and payload. */
export function tcpSegmentLength(seg: TcpSegment): number {
  return TCP_HEADER_LENGTH + tcpOptionsLength(seg.options) + seg.payload.length;
}

/** Writes options at `i` in the layout above; returns the index after them. */
function writeOptions(b: Uint8Array, i: number, opts: TcpOptions): number {
  if (opts.mss !== undefined) {
    b[i++] = OPT_MSS;
    b[i++] = 4;
    writeU16(b, i, opts.mss);
    i += 2;
  }
  if (opts.timestamp !== undefined) {
    if (opts.sackPermitted === true) {
      b[i++] = OPT_SACK_PERMITTED;
      b[i++] = 2;
    } else {
      b[i++] = OPT_NOP;
      b[i++] = OPT_NOP;
    }
    b[i++] = OPT_TIMESTAMP;
    b[i++] = 10;
    writeU32(b, i, opts.timestamp.value);
    writeU32(b, i + 4, opts.timestamp.echo);
    i += 8;
  } else if (opts.sackPermitted === true) {
    b[i++] = OPT_NOP;
    b[i++] = OPT_NOP;
    b[i++] = OPT_SACK_PERMITTED;
    b[i++] = 2;
  }
  if (opts.windowScale !== undefined) {
    b[i++] = OPT_NOP;
    b[i++] = OPT_WSCALE;
    b[i++] = 3;
    b[i++] = opts.windowScale;
  }
  const sacks = tcpSackBlocksThatFit(opts);
  if (sacks > 0) {
    const blocks = opts.sackBlocks as SackBlock[];
    b[i++] = OPT_NOP;
    b[i++] = OPT_NOP;
    b[i++] = OPT_SACK;
    b[i++] = 2 + 8 * sacks;
    for (let k = 0; k < sacks; k++) {
      writeU32(b, i, blocks[k]!.left);
      writeU32(b, i + 4, blocks[k]!.right);
      i += 8;
    }
  }
  return i;
}

/**
 * Writes `seg` (header, options, payload) at `offset` and fills in the checksum, for any network
 * layer: `pseudoSumWithoutLength` is the pseudo-header partial sum with a zero length field (e.g.
 * `ipv4PseudoHeaderSum(src, dst, 6, 0)`); the segment length is added here. Returns bytes written.
 */
export function writeTcpSegment(
  buf: Uint8Array,
  offset: number,
  seg: TcpSegment,
  pseudoSumWithoutLength: number,
): number {
  const headerLength = TCP_HEADER_LENGTH + tcpOptionsLength(seg.options);
  const length = headerLength + seg.payload.length;
  if (offset < 0 || offset + length > buf.length) {
    throw new RangeError(`TCP segment of ${length} bytes does not fit at offset ${offset} of ${buf.length}`);
  }
  writeTcpHeader(buf, offset, seg, 0);
  buf.set(seg.payload, offset + headerLength);
  const sum = onesComplementSum(buf, offset, offset + length, pseudoSumWithoutLength + length);
  writeU16(buf, offset + 16, finishChecksum(sum));
  return length;
}

/**
 * Writes the header and options of `seg` (not its payload) at `offset`, with `checksum` in the
 * checksum field; returns the header length.
 */
export function writeTcpHeader(buf: Uint8Array, offset: number, seg: TcpSegment, checksum: number): number {
  const headerLength = TCP_HEADER_LENGTH + tcpOptionsLength(seg.options);
  if (offset < 0 || offset + headerLength > buf.length) {
    throw new RangeError(`TCP header of ${headerLength} bytes does not fit at offset ${offset} of ${buf.length}`);
  }
  writeU16(buf, offset, seg.srcPort);
  writeU16(buf, offset + 2, seg.dstPort);
  writeU32(buf, offset + 4, seg.seq);
  writeU32(buf, offset + 8, seg.ack);
  buf[offset + 12] = (headerLength / 4) << 4; // data offset; reserved bits zero
  buf[offset + 13] = seg.flags;
  writeU16(buf, offset + 14, seg.window);
  writeU16(buf, offset + 16, checksum);
  writeU16(buf, offset + 18, seg.urgent);
  writeOptions(buf, offset + TCP_HEADER_LENGTH, seg.options);
  return headerLength;
}

/** Writes `seg` at `offset` with its checksum over the IPv4 pseudo-header; returns bytes written. */
export function writeTcp(buf: Uint8Array, offset: number, seg: TcpSegment, src: number, dst: number): number {
  return writeTcpSegment(buf, offset, seg, ipv4PseudoHeaderSum(src, dst, IPPROTO_TCP, 0));
}

/** Serialises `seg` into a new buffer, checksummed for IPv4 addresses `src` → `dst`. */
export function serializeTcp(seg: TcpSegment, src: number, dst: number): Uint8Array {
  const buf = new Uint8Array(tcpSegmentLength(seg));
  writeTcp(buf, 0, seg, src, dst);
  return buf;
}
