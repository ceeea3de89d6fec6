/**
 * Packet traces and pictures: pcap and pcapng writers and readers, sequence diagrams (text and SVG). Browser-safe; the file-path helpers
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
export { layoutDiagram, type DiagramLayout, type LayoutOptions } from './diagram-layout.js';
export { renderText, type TextOptions } from './diagram-text.js';
export { renderSvg } from './diagram-svg.js';
export {
  segmentChannel,
  stateChannel,
  dropChannel,
  timerChannel,
  congestionChannel,
  CHANNEL_NAMES,
  recordTrace,
  type TraceChannel,
  type TraceRecording,
} from './channels.js';
