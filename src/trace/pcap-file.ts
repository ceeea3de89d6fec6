/**
 * Capture files on disk (Node only): {@link PcapFileWriter} writes pcap or pcapng to a path, and
 * {@link readPcapFile} reads one back. Kept apart from `pcap.ts` so browser bundles never import `node:fs`.
 *
 * @module
 */

import fs from 'node:fs';
import {
  PcapngWriter,
  PcapWriter,
  readPcap,
  readPcapng,
  type PacketRecordOptions,
  type PacketTraceWriter,
  type PcapFile,
  type PcapngFile,
  type PcapngWriterOptions,
} from './pcap.js';

/** Options of {@link PcapFileWriter}: those of the writers (minus `onChunk`), plus the format and buffering. */
export interface PcapFileOptions extends Omit<PcapngWriterOptions, 'onChunk'> {
  /** File format (default: `'pcapng'` if the path ends in `.pcapng`, else `'pcap'`). The pcapng-only options are ignored for pcap. */
  format?: 'pcap' | 'pcapng';
  /**
   * Bytes gathered before a write to the file (default 65536). 0 writes every packet at once. Call
   * {@link PcapFileWriter.flush} to make everything written so far visible to readers.
   */
  bufferSize?: number;
}

/**
 * Writes packets to a pcap or pcapng file with synchronous, buffered writes. The file is created (or
 * truncated) by the constructor; {@link close} flushes and closes it.
 *
 * ```ts
 * const file = new PcapFileWriter('/tmp/run.pcapng', { epochMs: Date.now() });
 * const link = new CaptureLink(inner, { clock: runtime, writer: file });
 * // …
 * file.close();
 * ```
 */
export class PcapFileWriter implements PacketTraceWriter {
  readonly format: 'pcap' | 'pcapng';
  /** The underlying writer (e.g. for {@link PcapngWriter.addInterface}). */
  readonly writer: PcapWriter | PcapngWriter;
  private fd: number | null;
  private readonly bufferSize: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(
    readonly path: string,
    options: PcapFileOptions = {},
  ) {
    const { format, bufferSize, ...rest } = options;
    this.format = format ?? (path.toLowerCase().endsWith('.pcapng') ? 'pcapng' : 'pcap');
    this.bufferSize = bufferSize ?? 65536;
    if (!(this.bufferSize >= 0)) throw new RangeError(`PcapFileWriter: bufferSize must be >= 0, got ${bufferSize}`);
    this.fd = fs.openSync(path, 'w');
    const onChunk = (chunk: Uint8Array): void => this.push(chunk);
    try {
      this.writer = this.format === 'pcapng' ? new PcapngWriter({ ...rest, onChunk }) : new PcapWriter({ ...rest, onChunk });
    } catch (e) {
      fs.closeSync(this.fd);
      this.fd = null;
      throw e;
    }
  }

  /** Records a packet (see {@link PacketTraceWriter}). Throws once the file is closed. */
  writePacket(data: Uint8Array, timeMs: number, options?: PacketRecordOptions): void {
    if (this.fd === null) throw new Error(`PcapFileWriter: ${this.path} is closed`);
    this.writer.writePacket(data, timeMs, options);
  }

  /** Packets written so far. */
  get packetCount(): number {
    return this.writer.packetCount;
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= this.bufferSize) this.flush();
  }

  /** Writes out everything buffered. */
  flush(): void {
    if (this.fd === null || this.chunks.length === 0) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
  }

  /** Flushes and closes the file. Calling it again does nothing. */
  close(): void {
    if (this.fd === null) return;
    try {
      this.flush();
    } finally {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** Reads a classic pcap file (see {@link readPcap}). */
export function readPcapFile(path: string): PcapFile {
  return readPcap(fs.readFileSync(path));
}

/** Reads a pcapng file (see {@link readPcapng}). */
export function readPcapngFile(path: string): PcapngFile {
  return readPcapng(fs.readFileSync(path));
}
