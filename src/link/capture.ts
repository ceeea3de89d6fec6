/**
 * A capture tap for any link: {@link CaptureLink}.
 *
 * @module
 */

import { segmentTcpOffload } from '../wire/tso.js';
import type { LinkPort, TcpSegmentationOffload } from './types.js';
import type { PacketRecordOptions, PacketTraceWriter } from '../trace/pcap.js';

/** `'in'`: arrived from the link, on its way to the stack; `'out'`: sent by the stack to the link. */
export type CaptureDirection = 'in' | 'out';

/**
 * Sees every packet crossing a {@link CaptureLink}, at `time` (ms, from the link's clock). `packet` is
 * the live buffer, not a copy: do not modify it, and copy it (`packet.slice()`) to keep it past the call.
 */
export type CaptureHook = (packet: Uint8Array, direction: CaptureDirection, time: number) => void;

/** Options of {@link CaptureLink}. */
export interface CaptureLinkOptions {
  /** Time source: a {@link Runtime} (anything with `now()`), or a function returning ms. */
  clock: { now(): number } | (() => number);
  /** Called for every packet, both ways. */
  hook?: CaptureHook;
  /** Records every packet, both ways (pcapng gets the direction in `epb_flags`). */
  writer?: PacketTraceWriter;
  /** For the writer: an optional annotation per packet (pcapng `opt_comment`). */
  comment?: (packet: Uint8Array, direction: CaptureDirection, time: number) => string | undefined;
  /** For the writer: pcapng interface id (default 0), e.g. from `PcapngWriter.addInterface`. */
  interfaceId?: number;
}

/**
 * A {@link LinkPort} that wraps another and shows every packet crossing it, both ways, to a hook and/or
 * a trace writer, without copying: the hook gets the live buffer, and the writers copy into their output.
 * Outgoing packets are observed just before they are handed to the inner link, incoming ones just
 * before the stack's receiver gets them (also when no receiver is set, in which case they are then
 * dropped and counted in `unclaimed`). Exceptions from the hook or writer propagate to the caller of
 * `send` or to the inner link's delivery.
 *
 * Where it sits decides what it sees: `new CaptureLink(new ImpairedLink(tun, …), …)` records what the
 * stack sends and receives; `new ImpairedLink(new CaptureLink(tun, …), …)` records the wire side.
 *
 * ```ts
 * const pcap = new PcapngWriter({ interfaceName: 'client' });
 * const link = new CaptureLink(simLink.a, { clock: runtime, writer: pcap });
 * stack.addInterface({ link, addresses: ['10.0.0.1/24'] });
 * ```
 */
export class CaptureLink implements LinkPort {
  /** The wrapped link. */
  readonly inner: LinkPort;
  /** Set to false to stop capturing for a while (packets still pass). */
  enabled = true;
  /** Packets received from the inner link. */
  packetsIn = 0;
  /** Packets sent to the inner link. */
  packetsOut = 0;
  /** Packets received while no receiver was set (dropped). */
  unclaimed = 0;
  /**
   * Present when the inner link has it: segments handed over this way are recorded as the packets the
   * wire carries (cut to the segment size with complete checksums, as {@link segmentTcpOffload} does),
   * and passed on to the inner link as they came. Each counts once in `packetsOut`.
   */
  readonly tcpOffload?: TcpSegmentationOffload;
  private receiver: ((packet: Uint8Array) => void) | null = null;
  private readonly now: () => number;
  private readonly hook: CaptureHook | undefined;
  private readonly writer: PacketTraceWriter | undefined;
  private readonly comment: CaptureLinkOptions['comment'];
  private readonly optsIn: PacketRecordOptions;
  private readonly optsOut: PacketRecordOptions;

  constructor(inner: LinkPort, options: CaptureLinkOptions) {
    this.inner = inner;
    const clock = options.clock;
    this.now = typeof clock === 'function' ? clock : () => clock.now();
    this.hook = options.hook;
    this.writer = options.writer;
    this.comment = options.comment;
    const ifId = options.interfaceId !== undefined ? { interfaceId: options.interfaceId } : {};
    this.optsIn = { direction: 'in', ...ifId };
    this.optsOut = { direction: 'out', ...ifId };
    inner.setReceiver((packet) => {
      this.packetsIn++;
      if (this.enabled) this.observe(packet, 'in');
      const r = this.receiver;
      if (r === null) this.unclaimed++;
      else r(packet);
    });
    const tso = inner.tcpOffload;
    if (tso !== undefined) {
      this.tcpOffload = {
        maxPacket: tso.maxPacket,
        sendTcp: (headers, payload, segmentSize) => {
          this.packetsOut++;
          if (this.enabled) for (const p of segmentTcpOffload(headers, payload, segmentSize)) this.observe(p, 'out');
          tso.sendTcp(headers, payload, segmentSize);
        },
      };
    }
  }

  /** The inner link's MTU. */
  get mtu(): number {
    return this.inner.mtu;
  }

  /** Shows `packet` to the hook and writer, then sends it on the inner link (which owns it afterwards). */
  send(packet: Uint8Array): void {
    this.packetsOut++;
    if (this.enabled) this.observe(packet, 'out');
    this.inner.send(packet);
  }

  /** Sets the function receiving packets from the inner link. */
  setReceiver(receiver: (packet: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  private observe(packet: Uint8Array, direction: CaptureDirection): void {
    const time = this.now();
    if (this.hook !== undefined) this.hook(packet, direction, time);
    const w = this.writer;
    if (w !== undefined) {
      const opts = direction === 'in' ? this.optsIn : this.optsOut;
      const comment = this.comment?.(packet, direction, time);
      w.writePacket(packet, time, comment === undefined ? opts : { ...opts, comment });
    }
  }
}
