/**
 * Packet traces: pcap and pcapng writers and readers. Browser-safe; the file-path helpers
 * (`PcapFileWriter`, `readPcapFile`) are in `pcap-file.ts`, which imports `node:fs`.
 *
 * @module
 */

export {
  LINKTYPE_RAW,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  DEFAULT_SNAPLEN,
  PcapWriter,
  PcapngWriter,
  readPcap,
  readPcapng,
  type TimestampResolution,
  type PacketRecordOptions,
  type PacketTraceWriter,
  type TraceWriterOptions,
  type PcapngWriterOptions,
  type PcapngInterfaceOptions,
  type CapturedPacket,
  type PcapFile,
  type PcapngFile,
  type PcapngInterface,
  type PcapngPacket,
} from './pcap.js';
