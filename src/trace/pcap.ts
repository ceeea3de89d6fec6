/**
 * Packet capture files: writers for classic pcap and pcapng, and readers for both, so that what synack
 * sends and receives can be opened in Wireshark or tshark. Browser-safe: the writers produce
 * `Uint8Array` chunks (to a callback, or accumulated for {@link PcapWriter.toBytes}); writing to a file
 * path is in `pcap-file.ts` (Node only).
 *
 * Timestamps are given by the caller in milliseconds (a float, e.g. `runtime.now()` or a simulation's
 * virtual time) and shifted by an optional `epochMs` (ms since 1970-01-01 UTC; e.g.
 * `performance.timeOrigin` with `performance.now()` times, or `Date.now()` taken when a simulation
 * starts). Without it, times count from 1970-01-01, which Wireshark shows fine as relative times.
 *
 * Formats: classic pcap as in draft-ietf-opsawg-pcap, pcapng as in draft-ietf-opsawg-pcapng. Both
 * are written little-endian and read in either byte order.
 *
 * @module
 */

import { concatBytes } from '../wire/bytes.js';

/** LINKTYPE_RAW: raw IP, the version in the first nibble (IPv4 or IPv6). synack's links carry these. */
export const LINKTYPE_RAW = 101;
/** LINKTYPE_IPV4: raw IPv4 only. */
export const LINKTYPE_IPV4 = 228;
/** LINKTYPE_IPV6: raw IPv6 only. */
export const LINKTYPE_IPV6 = 229;

/** Default (and largest usual) snapshot length. */
export const DEFAULT_SNAPLEN = 65535;

/** Timestamp resolution of a capture: microseconds or nanoseconds. */
export type TimestampResolution = 'us' | 'ns';

/** Per-packet extras for {@link PacketTraceWriter.writePacket}. */
export interface PacketRecordOptions {
  /** Annotation shown by Wireshark (pcapng `opt_comment`; ignored by classic pcap). */
  comment?: string;
  /** `'in'` (received) or `'out'` (sent): pcapng `epb_flags` direction bits (ignored by classic pcap). */
  direction?: 'in' | 'out';
  /** Length of the packet on the wire, if more than `data` holds (default `data.length`). */
  originalLength?: number;
  /** pcapng interface id (from {@link PcapngWriter.addInterface}; default 0; ignored by classic pcap). */
  interfaceId?: number;
}

/**
 * Anything that records packets: {@link PcapWriter}, {@link PcapngWriter}, or the file writer in
 * `pcap-file.ts`. `writePacket` copies what it needs from `data` before returning.
 */
export interface PacketTraceWriter {
  /** Records `data` (an IP packet) captured at `timeMs` (ms, before adding the writer's `epochMs`). */
  writePacket(data: Uint8Array, timeMs: number, options?: PacketRecordOptions): void;
}

/** Options common to both writers. */
export interface TraceWriterOptions {
  /**
   * Receives the file's bytes as they are produced: the header at construction, then (about) one chunk
   * per packet. Each chunk is a fresh array the callback may keep. Without it, the writer accumulates
   * them for {@link PcapWriter.toBytes}.
   */
  onChunk?: (chunk: Uint8Array) => void;
  /** Timestamp resolution (default `'us'`). */
  resolution?: TimestampResolution;
  /** Added to every packet time: ms since 1970-01-01 UTC at time 0 of the caller's clock (default 0). */
  epochMs?: number;
  /** Longest stored packet; longer ones are truncated (default 65535). */
  snaplen?: number;
  /** Link type (default {@link LINKTYPE_RAW}). */
  linkType?: number;
}

/** A time as whole seconds since 1970 plus a fraction in units of the resolution. */
interface SplitTime {
  sec: number;
  frac: number;
}

function splitMs(ms: number, unitsPerSec: number): SplitTime {
  const sec = Math.floor(ms / 1000);
  // Exact: both terms are close, so the subtraction loses nothing (Sterbenz).
  const frac = Math.round((ms - sec * 1000) * (unitsPerSec / 1000));
  return frac >= unitsPerSec ? { sec: sec + 1, frac: frac - unitsPerSec } : { sec, frac };
}

/** Converts times to (seconds, fraction) with an epoch offset, keeping full precision for real-world epochs. */
class Clock {
  private readonly epoch: SplitTime;
  constructor(
    epochMs: number,
    readonly unitsPerSec: number,
  ) {
    if (!Number.isFinite(epochMs)) throw new RangeError(`trace writer: epochMs must be finite, got ${epochMs}`);
    this.epoch = splitMs(epochMs, unitsPerSec);
  }

  split(timeMs: number, maxSec: number): SplitTime {
    if (!Number.isFinite(timeMs)) throw new RangeError(`trace writer: packet time must be finite, got ${timeMs}`);
    const t = splitMs(timeMs, this.unitsPerSec);
    let sec = t.sec + this.epoch.sec;
    let frac = t.frac + this.epoch.frac;
    if (frac >= this.unitsPerSec) {
      frac -= this.unitsPerSec;
      sec++;
    }
    if (sec < 0 || sec > maxSec) throw new RangeError(`trace writer: time ${timeMs} ms (+ epoch) is outside what the format can store`);
    return { sec, frac };
  }
}

function unitsOf(resolution: TimestampResolution | undefined): number {
  if (resolution === undefined || resolution === 'us') return 1e6;
  if (resolution === 'ns') return 1e9;
  throw new RangeError(`trace writer: resolution must be 'us' or 'ns', got ${String(resolution)}`);
}

function checkU32(name: string, v: number, min = 0): number {
  if (!Number.isInteger(v) || v < min || v > 0xffffffff) throw new RangeError(`trace writer: ${name} must be an integer in [${min}, 2^32), got ${v}`);
  return v;
}


/** Where a writer's chunks go: a callback, or a list for `toBytes()`. */
class ChunkSink {
  private chunks: Uint8Array[] | null;
  private total = 0;
  constructor(private readonly onChunk: ((chunk: Uint8Array) => void) | undefined) {
    this.chunks = onChunk === undefined ? [] : null;
  }
  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    if (this.chunks !== null) this.chunks.push(chunk);
    else this.onChunk!(chunk);
  }
  get byteLength(): number {
    return this.total;
  }
  toBytes(): Uint8Array {
    if (this.chunks === null) throw new Error('trace writer: toBytes() is only available without onChunk');
    if (this.chunks.length !== 1) this.chunks = [concatBytes(this.chunks)];
    return this.chunks[0]!.slice();
  }
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;

/**
 * Writes classic pcap (version 2.4): a 24-byte file header, then per packet a 16-byte record header and
 * the bytes. Per-packet comments and directions are not part of this format (use {@link PcapngWriter}).
 *
 * ```ts
 * const w = new PcapWriter({ resolution: 'ns' });
 * w.writePacket(packet, runtime.now());
 * const file = w.toBytes();
 * ```
 */
export class PcapWriter implements PacketTraceWriter {
  /** Packets written so far. */
  packetCount = 0;
  readonly snaplen: number;
  readonly linkType: number;
  readonly resolution: TimestampResolution;
  private readonly clock: Clock;
  private readonly sink: ChunkSink;

  constructor(options: TraceWriterOptions = {}) {
    this.resolution = options.resolution ?? 'us';
    this.clock = new Clock(options.epochMs ?? 0, unitsOf(this.resolution));
    this.snaplen = checkU32('snaplen', options.snaplen ?? DEFAULT_SNAPLEN, 1);
    this.linkType = checkU32('linkType', options.linkType ?? LINKTYPE_RAW);
    this.sink = new ChunkSink(options.onChunk);
    const h = new Uint8Array(24);
    const v = new DataView(h.buffer);
    v.setUint32(0, this.resolution === 'ns' ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone (reserved)
    v.setUint32(12, 0, true); // sigfigs (reserved)
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linkType, true);
    this.sink.push(h);
  }

  writePacket(data: Uint8Array, timeMs: number, options?: PacketRecordOptions): void {
    const { sec, frac } = this.clock.split(timeMs, 0xffffffff);
    const incl = data.length < this.snaplen ? data.length : this.snaplen;
    const orig = checkU32('originalLength', Math.max(options?.originalLength ?? data.length, data.length));
    const rec = new Uint8Array(16 + incl);
    const v = new DataView(rec.buffer);
    v.setUint32(0, sec, true);
    v.setUint32(4, frac, true);
    v.setUint32(8, incl, true);
    v.setUint32(12, orig, true);
    rec.set(incl === data.length ? data : data.subarray(0, incl), 16);
    this.sink.push(rec);
    this.packetCount++;
  }

  /** Bytes produced so far, the header included. */
  get byteLength(): number {
    return this.sink.byteLength;
  }

  /** The whole file so far (a copy). Only without `onChunk`. */
  toBytes(): Uint8Array {
    return this.sink.toBytes();
  }
}

// pcapng block types and option codes.
const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

const utf8 = new TextEncoder();

interface RawOption {
  code: number;
  value: Uint8Array;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function optionsLength(opts: readonly RawOption[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const o of opts) n += 4 + pad4(o.value.length);
  return n;
}

function writeOptions(buf: Uint8Array, v: DataView, offset: number, opts: readonly RawOption[]): number {
  if (opts.length === 0) return offset;
  for (const o of opts) {
    if (o.value.length > 0xffff) throw new RangeError(`pcapng: option ${o.code} is longer than 65535 bytes`);
    v.setUint16(offset, o.code, true);
    v.setUint16(offset + 2, o.value.length, true);
    buf.set(o.value, offset + 4);
    offset += 4 + pad4(o.value.length); // padding bytes are already zero
  }
  v.setUint16(offset, OPT_ENDOFOPT, true);
  v.setUint16(offset + 2, 0, true);
  return offset + 4;
}

function textOption(code: number, text: string | undefined, out: RawOption[]): void {
  if (text !== undefined && text !== '') out.push({ code, value: utf8.encode(text) });
}

/** Builds a block: type, total length, `body` (already padded to 4), options, total length. */
function block(type: number, body: Uint8Array, opts: readonly RawOption[]): Uint8Array {
  const total = 12 + body.length + optionsLength(opts);
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  buf.set(body, 8);
  writeOptions(buf, v, 8 + body.length, opts);
  v.setUint32(total - 4, total, true);
  return buf;
}

/** An interface description for {@link PcapngWriter.addInterface}. */
export interface PcapngInterfaceOptions {
  /** `if_name`, e.g. `'eth0'` or `'client'`. */
  name?: string;
  /** `if_description`. */
  description?: string;
  /** Link type (default: the writer's). */
  linkType?: number;
  /** Snapshot length (default: the writer's). */
  snaplen?: number;
}

/** Options of {@link PcapngWriter}. */
export interface PcapngWriterOptions extends TraceWriterOptions {
  /** `shb_userappl` (default `'synack'`). */
  application?: string;
  /** `shb_os`. */
  os?: string;
  /** `shb_hardware`. */
  hardware?: string;
  /** A comment on the whole capture (section header `opt_comment`). */
  comment?: string;
  /** `if_name` of interface 0. */
  interfaceName?: string;
  /** `if_description` of interface 0. */
  interfaceDescription?: string;
}

/**
 * Writes pcapng: one Section Header Block, an Interface Description Block (interface 0, with
 * `if_tsresol`; more with {@link addInterface}), then an Enhanced Packet Block per packet, carrying
 * the optional `opt_comment` and direction (`epb_flags`) of {@link PacketRecordOptions}.
 *
 * ```ts
 * const w = new PcapngWriter({ interfaceName: 'client' });
 * w.writePacket(packet, sim.now, { direction: 'out', comment: 'RFC 9293 §3.10.1: SYN' });
 * ```
 */
export class PcapngWriter implements PacketTraceWriter {
  /** Packets written so far. */
  packetCount = 0;
  readonly snaplen: number;
  readonly linkType: number;
  readonly resolution: TimestampResolution;
  private readonly clock: Clock;
  private readonly sink: ChunkSink;
  private readonly tsresol: number;
  private readonly snaplens: number[] = [];

  constructor(options: PcapngWriterOptions = {}) {
    this.resolution = options.resolution ?? 'us';
    const units = unitsOf(this.resolution);
    this.clock = new Clock(options.epochMs ?? 0, units);
    this.tsresol = units === 1e9 ? 9 : 6;
    this.snaplen = checkU32('snaplen', options.snaplen ?? DEFAULT_SNAPLEN, 1);
    this.linkType = checkU32('linkType', options.linkType ?? LINKTYPE_RAW);
    if (this.linkType > 0xffff) throw new RangeError(`pcapng: linkType must fit in 16 bits, got ${this.linkType}`);
    this.sink = new ChunkSink(options.onChunk);

    const body = new Uint8Array(16);
    const v = new DataView(body.buffer);
    v.setUint32(0, BYTE_ORDER_MAGIC, true);
    v.setUint16(4, 1, true); // major version
    v.setUint16(6, 0, true); // minor version
    v.setBigInt64(8, -1n, true); // section length: unspecified
    const opts: RawOption[] = [];
    textOption(OPT_COMMENT, options.comment, opts);
    textOption(SHB_HARDWARE, options.hardware, opts);
    textOption(SHB_OS, options.os, opts);
    textOption(SHB_USERAPPL, options.application ?? 'synack', opts);
    this.sink.push(block(BT_SHB, body, opts));
    const first: PcapngInterfaceOptions = {};
    if (options.interfaceName !== undefined) first.name = options.interfaceName;
    if (options.interfaceDescription !== undefined) first.description = options.interfaceDescription;
    this.addInterface(first);
  }

  /**
   * Adds an interface (an Interface Description Block) with the writer's timestamp resolution, and
   * returns its id for {@link PacketRecordOptions.interfaceId}. Interface 0 exists from the start.
   */
  addInterface(options: PcapngInterfaceOptions = {}): number {
    const linkType = checkU32('linkType', options.linkType ?? this.linkType);
    if (linkType > 0xffff) throw new RangeError(`pcapng: linkType must fit in 16 bits, got ${linkType}`);
    const snaplen = checkU32('snaplen', options.snaplen ?? this.snaplen, 1);
    const body = new Uint8Array(8);
    const v = new DataView(body.buffer);
    v.setUint16(0, linkType, true);
    v.setUint16(2, 0, true);
    v.setUint32(4, snaplen, true);
    const opts: RawOption[] = [];
    textOption(IF_NAME, options.name, opts);
    textOption(IF_DESCRIPTION, options.description, opts);
    opts.push({ code: IF_TSRESOL, value: Uint8Array.of(this.tsresol) });
    this.sink.push(block(BT_IDB, body, opts));
    this.snaplens.push(snaplen);
    return this.snaplens.length - 1;
  }

  writePacket(data: Uint8Array, timeMs: number, options?: PacketRecordOptions): void {
    const ifId = options?.interfaceId ?? 0;
    const snaplen = this.snaplens[ifId];
    if (snaplen === undefined) throw new RangeError(`pcapng: no interface ${ifId}`);
    const { sec, frac } = this.clock.split(timeMs, 0xffffffff);
    const ts = BigInt(sec) * BigInt(this.clock.unitsPerSec) + BigInt(frac);
    const incl = data.length < snaplen ? data.length : snaplen;
    const orig = checkU32('originalLength', Math.max(options?.originalLength ?? data.length, data.length));

    let optLen = 0;
    let comment: Uint8Array | null = null;
    if (options?.comment !== undefined && options.comment !== '') {
      comment = utf8.encode(options.comment);
      if (comment.length > 0xffff) throw new RangeError('pcapng: comment longer than 65535 bytes');
      optLen += 4 + pad4(comment.length);
    }
    let flags = 0;
    if (options?.direction !== undefined) {
      if (options.direction === 'in') flags = 1;
      else if (options.direction === 'out') flags = 2;
      else throw new RangeError(`pcapng: direction must be 'in' or 'out', got ${String(options.direction)}`);
      optLen += 8;
    }
    if (optLen !== 0) optLen += 4; // opt_endofopt

    // Built in place (no intermediate body/option arrays): this runs once per packet.
    const total = 32 + pad4(incl) + optLen;
    const buf = new Uint8Array(total);
    const v = new DataView(buf.buffer);
    v.setUint32(0, BT_EPB, true);
    v.setUint32(4, total, true);
    v.setUint32(8, ifId, true);
    v.setUint32(12, Number(ts >> 32n), true);
    v.setUint32(16, Number(ts & 0xffffffffn), true);
    v.setUint32(20, incl, true);
    v.setUint32(24, orig, true);
    buf.set(incl === data.length ? data : data.subarray(0, incl), 28);
    let o = 28 + pad4(incl);
    if (comment !== null) {
      v.setUint16(o, OPT_COMMENT, true);
      v.setUint16(o + 2, comment.length, true);
      buf.set(comment, o + 4);
      o += 4 + pad4(comment.length);
    }
    if (flags !== 0) {
      v.setUint16(o, EPB_FLAGS, true);
      v.setUint16(o + 2, 4, true);
      v.setUint32(o + 4, flags, true);
      o += 8;
    }
    if (optLen !== 0) o += 4; // opt_endofopt: zeros
    v.setUint32(o, total, true);
    this.sink.push(buf);
    this.packetCount++;
  }

  /** Bytes produced so far. */
  get byteLength(): number {
    return this.sink.byteLength;
  }

  /** The whole file so far (a copy). Only without `onChunk`. */
  toBytes(): Uint8Array {
    return this.sink.toBytes();
  }
}

/** A packet read from a capture file. */
export interface CapturedPacket {
  /** Capture time in ms since 1970-01-01 UTC (a float: sub-µs digits may be rounded; see `sec`/`nsec`). */
  time: number;
  /** Whole seconds of the timestamp. */
  sec: number;
  /** Fraction of the timestamp, in nanoseconds (0 ≤ nsec < 10⁹). */
  nsec: number;
  /** The stored bytes: a view into the input, not a copy. */
  data: Uint8Array;
  /** Length on the wire (≥ `data.length`). */
  originalLength: number;
}

/** A classic pcap file, as read by {@link readPcap}. */
export interface PcapFile {
  linkType: number;
  snaplen: number;
  resolution: TimestampResolution;
  /** Whether the file was big-endian. */
  bigEndian: boolean;
  packets: CapturedPacket[];
}

function fmt(msg: string): Error {
  return new Error(`readPcap: ${msg}`);
}

/**
 * Parses a classic pcap file (either byte order, µs or ns timestamps). Packet `data` are views into
 * `bytes`. Throws on a bad magic number or a truncated record.
 */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw fmt('shorter than a pcap header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  let ns: boolean;
  const m = v.getUint32(0, true);
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) {
    le = true;
    ns = m === PCAP_MAGIC_NS;
  } else {
    const mb = v.getUint32(0, false);
    if (mb !== PCAP_MAGIC_US && mb !== PCAP_MAGIC_NS) throw fmt(`not a pcap file (magic 0x${m.toString(16)})`);
    le = false;
    ns = mb === PCAP_MAGIC_NS;
  }
  const major = v.getUint16(4, le);
  if (major !== 2) throw fmt(`unsupported version ${major}.${v.getUint16(6, le)}`);
  const snaplen = v.getUint32(16, le);
  // The upper bits of the link-type field may carry an FCS length (draft-ietf-opsawg-pcap §4).
  const linkType = v.getUint32(20, le) & 0x0fffffff;
  const packets: CapturedPacket[] = [];
  let o = 24;
  while (o < bytes.length) {
    if (o + 16 > bytes.length) throw fmt(`truncated record header at offset ${o}`);
    const sec = v.getUint32(o, le);
    const frac = v.getUint32(o + 4, le);
    const incl = v.getUint32(o + 8, le);
    const orig = v.getUint32(o + 12, le);
    if (o + 16 + incl > bytes.length) throw fmt(`truncated packet at offset ${o}`);
    const nsec = ns ? frac : frac * 1000;
    packets.push({ time: sec * 1000 + nsec / 1e6, sec, nsec, data: bytes.subarray(o + 16, o + 16 + incl), originalLength: orig });
    o += 16 + incl;
  }
  return { linkType, snaplen, resolution: ns ? 'ns' : 'us', bigEndian: !le, packets };
}

/** An interface of a pcapng file. */
export interface PcapngInterface {
  linkType: number;
  snaplen: number;
  name?: string;
  description?: string;
  /** Timestamp units per second (from `if_tsresol`; 10⁶ by default). */
  unitsPerSec: number;
}

/** A packet of a pcapng file. */
export interface PcapngPacket extends CapturedPacket {
  interfaceId: number;
  /** `opt_comment` values. */
  comments: string[];
  /** Direction from `epb_flags`, if given. */
  direction?: 'in' | 'out';
  /** Raw `epb_flags`, if present. */
  flags?: number;
}

/** A pcapng file, as read by {@link readPcapng}. */
export interface PcapngFile {
  /** Section header comments. */
  comments: string[];
  application?: string;
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
}

const utf8Decoder = new TextDecoder();

/**
 * Parses a pcapng file: Section Header, Interface Description, Enhanced Packet and Simple Packet
 * blocks (others are skipped). Meant for tests and tools; multiple sections are read as one (interface
 * ids restart per section as the format says). Packet `data` are views into `bytes`.
 */
export function readPcapng(bytes: Uint8Array): PcapngFile {
  const err = (msg: string): Error => new Error(`readPcapng: ${msg}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PcapngFile = { comments: [], interfaces: [], packets: [] };
  let section: PcapngInterface[] = [];
  let le = true;
  let o = 0;
  if (bytes.length < 12 || v.getUint32(0, true) !== BT_SHB) throw err('not a pcapng file');
  while (o < bytes.length) {
    if (o + 12 > bytes.length) throw err(`truncated block at offset ${o}`);
    const type = v.getUint32(o, le);
    if (type === BT_SHB) {
      const bom = v.getUint32(o + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw err(`bad byte-order magic at offset ${o}`);
      section = [];
    }
    const len = v.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0 || o + len > bytes.length) throw err(`bad block length ${len} at offset ${o}`);
    if (v.getUint32(o + len - 4, le) !== len) throw err(`block at offset ${o}: trailing length does not match`);
    const end = o + len - 4;
    const options = (from: number): RawOption[] => {
      const list: RawOption[] = [];
      let p = from;
      while (p + 4 <= end) {
        const code = v.getUint16(p, le);
        const l = v.getUint16(p + 2, le);
        if (code === OPT_ENDOFOPT) break;
        if (p + 4 + l > end) throw err(`option ${code} overruns its block at offset ${p}`);
        list.push({ code, value: bytes.subarray(p + 4, p + 4 + l) });
        p += 4 + pad4(l);
      }
      return list;
    };
    if (type === BT_SHB) {
      for (const opt of options(o + 24)) {
        if (opt.code === OPT_COMMENT) out.comments.push(utf8Decoder.decode(opt.value));
        else if (opt.code === SHB_USERAPPL) out.application = utf8Decoder.decode(opt.value);
      }
    } else if (type === BT_IDB) {
      const itf: PcapngInterface = { linkType: v.getUint16(o + 8, le), snaplen: v.getUint32(o + 12, le), unitsPerSec: 1e6 };
      for (const opt of options(o + 16)) {
        if (opt.code === IF_NAME) itf.name = utf8Decoder.decode(opt.value);
        else if (opt.code === IF_DESCRIPTION) itf.description = utf8Decoder.decode(opt.value);
        else if (opt.code === IF_TSRESOL && opt.value.length >= 1) {
          const r = opt.value[0]!;
          itf.unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
      }
      section.push(itf);
      out.interfaces.push(itf);
    } else if (type === BT_EPB) {
      const ifId = v.getUint32(o + 8, le);
      const itf = section[ifId];
      if (itf === undefined) throw err(`packet at offset ${o} names unknown interface ${ifId}`);
      const ts = (BigInt(v.getUint32(o + 12, le)) << 32n) | BigInt(v.getUint32(o + 16, le));
      const incl = v.getUint32(o + 20, le);
      const orig = v.getUint32(o + 24, le);
      if (o + 28 + incl > end) throw err(`packet at offset ${o} overruns its block`);
      const units = BigInt(itf.unitsPerSec);
      const sec = Number(ts / units);
      const nsec = Number(((ts % units) * 1_000_000_000n) / units);
      const pkt: PcapngPacket = {
        time: sec * 1000 + nsec / 1e6,
        sec,
        nsec,
        data: bytes.subarray(o + 28, o + 28 + incl),
        originalLength: orig,
        interfaceId: ifId,
        comments: [],
      };
      for (const opt of options(o + 28 + pad4(incl))) {
        if (opt.code === OPT_COMMENT) pkt.comments.push(utf8Decoder.decode(opt.value));
        else if (opt.code === EPB_FLAGS && opt.value.length === 4) {
          const f = new DataView(opt.value.buffer, opt.value.byteOffset, 4).getUint32(0, le);
          pkt.flags = f;
          if ((f & 3) === 1) pkt.direction = 'in';
          else if ((f & 3) === 2) pkt.direction = 'out';
        }
      }
      out.packets.push(pkt);
    } else if (type === BT_SPB) {
      const itf = section[0];
      if (itf === undefined) throw err(`simple packet at offset ${o} without an interface`);
      const orig = v.getUint32(o + 8, le);
      const incl = Math.min(orig, itf.snaplen, len - 16);
      out.packets.push({ time: 0, sec: 0, nsec: 0, data: bytes.subarray(o + 12, o + 12 + incl), originalLength: orig, interfaceId: 0, comments: [] });
    }
    o += len;
  }
  return out;
}
