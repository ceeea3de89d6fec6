/**
 * Simulated point-to-point links with latency, jitter, bandwidth, queueing, loss, duplication,
 * reordering and corruption. Created with {@link Simulation.link}; see `README.md` next to this file
 * for the model.
 *
 * @module
 */

import type { LinkPort, TcpSegmentationOffload } from '../types.js';
import { segmentTcpOffload } from '../../wire/tso.js';
import type { Prng } from '../../util/prng.js';
import type { SimEvent, SimEventHandler, Simulation } from './simulation.js';

/** Which end of a link. */
export type LinkSide = 'a' | 'b';

/** Gilbert–Elliott burst-loss model: a two-state Markov chain evaluated once per packet. */
export interface BurstLoss {
  /** Probability, per packet, of moving from the good state to the bad state. */
  enterBad: number;
  /** Probability, per packet, of moving from the bad state back to the good state. */
  exitBad: number;
  /** Loss probability while in the bad state (default 1). */
  lossInBad?: number;
}

/** Parameters of one direction of a link. Every field has a default; see each. */
export interface LinkParams {
  /** One-way propagation delay in ms (default 0). */
  latency: number;
  /** Random delay variation in ms added to `latency`, within ±`jitter` (default 0). Never reorders by itself. */
  jitter: number;
  /** Jitter distribution: `'uniform'` over ±jitter (default), or `'bell'`: mean of three uniforms (bell-shaped, still bounded by ±jitter). */
  jitterShape: 'uniform' | 'bell';
  /** Bits per second (default Infinity). A packet of `n` bytes occupies the transmitter for `n*8/bandwidth` s. */
  bandwidth: number;
  /** Transmit queue capacity in packets, counting the one being transmitted; more are tail-dropped (default 1000). Only matters with finite bandwidth. */
  queueLimit: number;
  /** Transmit queue capacity in bytes (default Infinity). Only matters with finite bandwidth. */
  queueLimitBytes: number;
  /** Largest packet carried, in bytes (default 1500); larger packets are dropped as `'too-big'`. Also the sending port's `mtu`. */
  mtu: number;
  /** Independent per-packet loss probability (default 0). */
  loss: number;
  /** Optional burst-loss model, applied in addition to `loss` (default none). */
  burstLoss: BurstLoss | null;
  /** Probability that a packet is also delivered a second time (default 0). */
  duplicate: number;
  /** The duplicate arrives uniformly within this many ms after the original (default max(1, latency/2)). */
  duplicateDelay: number | undefined;
  /** Probability that a packet is held back by `reorderDelay`, letting later packets overtake it (default 0). */
  reorder: number;
  /** Extra delay, in ms, of a reordered packet (default max(1, latency/2)). */
  reorderDelay: number | undefined;
  /** Probability that one random bit of a packet is flipped (in a copy) before delivery (default 0). */
  corrupt: number;
}

/** Options for {@link Simulation.link}: parameters for both directions, optionally overridden per direction. */
export interface SimLinkOptions extends Partial<LinkParams> {
  /** Name of the link; its random streams are forked from it. Must be unique per simulation. */
  label?: string;
  /**
   * Both ends offer TCP segmentation offload ({@link LinkPort.tcpOffload}): stacks may hand them TCP
   * segments of up to 64 KiB, which each end cuts to the MTU in software (as Linux's GSO does) before
   * they enter the simulated wire, where loss and reordering apply to each piece. Default false.
   */
  tcpOffload?: boolean;
  /** Overrides for packets sent by `a` (travelling to `b`). */
  aToB?: Partial<LinkParams>;
  /** Overrides for packets sent by `b` (travelling to `a`). */
  bToA?: Partial<LinkParams>;
}

/** Options for {@link SimLink.configure}: like {@link SimLinkOptions} without the label and offload. */
export type LinkConfigureOptions = Omit<SimLinkOptions, 'label' | 'tcpOffload'>;

/**
 * What happened to a packet:
 * - `'delivered'`: it is (send event: will be) handed to the receiver — possibly corrupted, reordered or duplicated, see the flags;
 * - `'lost'`: dropped on the wire by `loss` / `burstLoss`;
 * - `'too-big'`: larger than the direction's `mtu`;
 * - `'queue-full'`: tail-dropped by the transmit queue;
 * - `'filtered'`: dropped by the link's drop filter ({@link SimLink.setDropFilter});
 * - `'no-receiver'`: arrived at a port with no receiver set.
 */
export type PacketFate = 'delivered' | 'lost' | 'too-big' | 'queue-full' | 'filtered' | 'no-receiver';

/**
 * An observation of a link, for traces and captures ({@link SimLink.tap}, {@link Simulation.tap}).
 *
 * Each packet handed to a port produces one `'send'` event (with its planned fate and flags); then
 * either one `'drop'` event, or one `'deliver'` event per copy delivered (two if duplicated) — except
 * that a copy arriving at a port without a receiver produces a `'drop'` with fate `'no-receiver'`.
 * `id` ties them together.
 *
 * `packet` is the link's buffer, not a copy: do not modify it, and copy it if you keep it (the receiver
 * owns delivered packets and may reuse them).
 */
export interface LinkEvent {
  /** `'send'`: handed to the link; `'deliver'`: handed to the receiver; `'drop'`: discarded. */
  kind: 'send' | 'deliver' | 'drop';
  /** Virtual time of the event, in ms. */
  time: number;
  /** Label of the link. */
  link: string;
  /** Port that sent the packet. */
  from: LinkSide;
  /** Per-link packet number (0, 1, 2, … in send order, both directions together). */
  id: number;
  /** For `'send'`: the bytes as sent. For `'deliver'`: the bytes as delivered (a corrupted copy if `corrupted`). */
  packet: Uint8Array;
  /** For `'send'`: planned fate; `'deliver'`: always `'delivered'`; `'drop'`: why. */
  fate: PacketFate;
  /** For `'send'`: the delivered copy will have one bit flipped. For `'deliver'`: this copy has one bit flipped. */
  corrupted: boolean;
  /** For `'send'`: an extra copy will be delivered. For `'deliver'`: this is that extra copy. */
  duplicate: boolean;
  /** For `'send'` and the original's `'deliver'`: held back by `reorderDelay`. */
  reordered: boolean;
  /** For `'send'` with fate `'delivered'`: planned delivery time of the original copy. */
  deliverAt?: number;
}

/** Per-direction counters. Each packet handed to `send` counts once in `sent` and in at most one of the drop counters. */
export interface LinkCounters {
  /** Packets handed to the sending port. */
  sent: number;
  /** Bytes handed to the sending port. */
  sentBytes: number;
  /** Copies handed to the receiver (duplicates included). */
  delivered: number;
  /** Bytes handed to the receiver. */
  deliveredBytes: number;
  /** Dropped by `loss` / `burstLoss`. */
  lost: number;
  /** Dropped for exceeding the MTU. */
  tooBig: number;
  /** Tail-dropped by the transmit queue. */
  queueFull: number;
  /** Dropped by the drop filter. */
  filtered: number;
  /** Copies that arrived at a port without a receiver. */
  unclaimed: number;
  /** Packets for which an extra copy was scheduled. */
  duplicated: number;
  /** Packets delivered with a flipped bit. */
  corrupted: number;
  /** Packets held back by `reorderDelay`. */
  reordered: number;
}

/**
 * Decides, per packet, whether to drop it (return `true`). Called before queueing, with the packet,
 * the sending side and the packet's id. Useful to script exact losses in tests.
 */
export type DropFilter = (packet: Uint8Array, from: LinkSide, id: number) => boolean;

const DEFAULTS: LinkParams = {
  latency: 0,
  jitter: 0,
  jitterShape: 'uniform',
  bandwidth: Infinity,
  queueLimit: 1000,
  queueLimitBytes: Infinity,
  mtu: 1500,
  loss: 0,
  burstLoss: null,
  duplicate: 0,
  duplicateDelay: undefined,
  reorder: 0,
  reorderDelay: undefined,
  corrupt: 0,
};

const PARAM_KEYS = Object.keys(DEFAULTS) as Array<keyof LinkParams>;

function newCounters(): LinkCounters {
  return {
    sent: 0,
    sentBytes: 0,
    delivered: 0,
    deliveredBytes: 0,
    lost: 0,
    tooBig: 0,
    queueFull: 0,
    filtered: 0,
    unclaimed: 0,
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
  };
}

function merge(into: LinkParams, from: Partial<LinkParams> | undefined): void {
  if (from === undefined) return;
  for (const k of PARAM_KEYS) {
    const v = from[k];
    if (v !== undefined) (into as unknown as Record<string, unknown>)[k] = v;
  }
}

function checkProbability(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`SimLink: ${name} must be a probability in [0, 1], got ${p}`);
}

function checkNonNegative(name: string, x: number | undefined): void {
  if (x !== undefined && !(x >= 0 && x < Infinity)) throw new RangeError(`SimLink: ${name} must be a finite number >= 0, got ${x}`);
}

function validate(p: LinkParams): void {
  checkNonNegative('latency', p.latency);
  checkNonNegative('jitter', p.jitter);
  checkNonNegative('duplicateDelay', p.duplicateDelay);
  checkNonNegative('reorderDelay', p.reorderDelay);
  if (p.jitterShape !== 'uniform' && p.jitterShape !== 'bell') throw new RangeError(`SimLink: bad jitterShape ${String(p.jitterShape)}`);
  if (!(p.bandwidth > 0)) throw new RangeError(`SimLink: bandwidth must be > 0, got ${p.bandwidth}`);
  if (!(p.queueLimit >= 1)) throw new RangeError(`SimLink: queueLimit must be >= 1, got ${p.queueLimit}`);
  if (!(p.queueLimitBytes > 0)) throw new RangeError(`SimLink: queueLimitBytes must be > 0, got ${p.queueLimitBytes}`);
  if (!(Number.isInteger(p.mtu) && p.mtu > 0)) throw new RangeError(`SimLink: mtu must be a positive integer, got ${p.mtu}`);
  checkProbability('loss', p.loss);
  checkProbability('duplicate', p.duplicate);
  checkProbability('reorder', p.reorder);
  checkProbability('corrupt', p.corrupt);
  if (p.burstLoss !== null) {
    checkProbability('burstLoss.enterBad', p.burstLoss.enterBad);
    checkProbability('burstLoss.exitBad', p.burstLoss.exitBad);
    checkProbability('burstLoss.lossInBad', p.burstLoss.lossInBad ?? 1);
  }
}

// Flags carried in a delivery event's tag, below the packet id (tag = id * 8 + flags).
const F_CORRUPTED = 1;
const F_DUPLICATE = 2;
const F_REORDERED = 4;

/** One direction of a link: its parameters, transmitter state, random streams and counters. */
class Direction implements SimEventHandler {
  params: LinkParams;
  receiver: ((packet: Uint8Array) => void) | null = null;
  readonly counters: LinkCounters = newCounters();
  /** Copies scheduled for delivery and not yet delivered. */
  inFlight = 0;

  // Hot-path copies of the parameters (see applyParams).
  private latency = 0;
  private jitter = 0;
  private bell = false;
  private bandwidth = Infinity;
  private queueLimit = 1000;
  private queueLimitBytes = Infinity;
  mtu = 1500;
  private loss = 0;
  private burst: BurstLoss | null = null;
  private lossInBad = 1;
  private dupP = 0;
  private dupDelay = 1;
  private reorderP = 0;
  private reorderDelay = 1;
  private corruptP = 0;

  // Transmitter: when it is next free, and the packets still queued or being transmitted: a ring
  // buffer (power-of-two capacity) of their transmission-end times and sizes, in FIFO order.
  private txFreeAt = -Infinity;
  private qEnd = new Float64Array(16);
  private qSize = new Float64Array(16);
  private qHead = 0;
  private qCount = 0;
  private qBytes = 0;
  /** Spent delivery events, for reuse. */
  private readonly spare: SimEvent[] = [];
  /** Delivery time of the last in-order packet: FIFO floor for the next one. */
  private lastArrival = -Infinity;
  private inBadState = false;

  private readonly lossRng: Prng;
  private readonly burstRng: Prng;
  private readonly jitterRng: Prng;
  private readonly reorderRng: Prng;
  private readonly dupRng: Prng;
  private readonly corruptRng: Prng;

  constructor(
    private readonly link: SimLink,
    private readonly sim: Simulation,
    readonly from: LinkSide,
    rng: Prng,
    params: LinkParams,
  ) {
    // One stream per impairment, so that e.g. enabling jitter does not change which packets are lost.
    this.lossRng = rng.fork('loss');
    this.burstRng = rng.fork('burst');
    this.jitterRng = rng.fork('jitter');
    this.reorderRng = rng.fork('reorder');
    this.dupRng = rng.fork('duplicate');
    this.corruptRng = rng.fork('corrupt');
    this.params = params;
    this.applyParams(params);
  }

  applyParams(p: LinkParams): void {
    validate(p);
    this.params = p;
    this.latency = p.latency;
    this.jitter = p.jitter;
    this.bell = p.jitterShape === 'bell';
    this.bandwidth = p.bandwidth;
    this.queueLimit = p.queueLimit;
    this.queueLimitBytes = p.queueLimitBytes;
    this.mtu = p.mtu;
    this.loss = p.loss;
    this.burst = p.burstLoss;
    this.lossInBad = p.burstLoss?.lossInBad ?? 1;
    this.dupP = p.duplicate;
    this.dupDelay = p.duplicateDelay ?? Math.max(1, p.latency / 2);
    this.reorderP = p.reorder;
    this.reorderDelay = p.reorderDelay ?? Math.max(1, p.latency / 2);
    this.corruptP = p.corrupt;
  }

  /** Number of packets in the transmit queue (including the one being transmitted) at the current time. */
  queueLength(): number {
    this.purgeQueue(this.sim.now);
    return this.qCount;
  }

  /** Forgets queued packets whose transmission has finished by `now`. */
  private purgeQueue(now: number): void {
    const qEnd = this.qEnd;
    const mask = qEnd.length - 1;
    let h = this.qHead;
    let n = this.qCount;
    while (n > 0 && qEnd[h]! <= now) {
      this.qBytes -= this.qSize[h]!;
      h = (h + 1) & mask;
      n--;
    }
    this.qHead = h;
    this.qCount = n;
  }

  private enqueue(end: number, size: number): void {
    let cap = this.qEnd.length;
    if (this.qCount === cap) {
      // Grow, unrolling the ring so that it starts at index 0.
      const ends = new Float64Array(cap * 2);
      const sizes = new Float64Array(cap * 2);
      for (let i = 0; i < cap; i++) {
        const j = (this.qHead + i) & (cap - 1);
        ends[i] = this.qEnd[j]!;
        sizes[i] = this.qSize[j]!;
      }
      this.qEnd = ends;
      this.qSize = sizes;
      this.qHead = 0;
      cap *= 2;
    }
    const tail = (this.qHead + this.qCount) & (cap - 1);
    this.qEnd[tail] = end;
    this.qSize[tail] = size;
    this.qCount++;
    this.qBytes += size;
  }

  /** A packet handed to the sending port. */
  transmit(packet: Uint8Array): void {
    const sim = this.sim;
    const now = sim.now;
    const c = this.counters;
    const link = this.link;
    const id = link.nextId++;
    const size = packet.length;
    c.sent++;
    c.sentBytes += size;

    if (size > this.mtu) {
      c.tooBig++;
      this.dropAtSend(packet, id, 'too-big');
      return;
    }
    const filter = link.dropFilter;
    if (filter !== null && filter(packet, this.from, id)) {
      c.filtered++;
      this.dropAtSend(packet, id, 'filtered');
      return;
    }

    // Serialisation through a FIFO transmitter.
    let txEnd = now;
    if (this.bandwidth !== Infinity) {
      this.purgeQueue(now);
      if (this.qCount >= this.queueLimit || this.qBytes + size > this.queueLimitBytes) {
        c.queueFull++;
        this.dropAtSend(packet, id, 'queue-full');
        return;
      }
      const start = this.txFreeAt > now ? this.txFreeAt : now;
      txEnd = start + (size * 8000) / this.bandwidth;
      this.txFreeAt = txEnd;
      this.enqueue(txEnd, size);
    }

    // Random draws: each enabled impairment draws from its own stream for every packet that got this
    // far, whatever the other impairments decide, so their patterns are independent of each other.
    let lost = this.loss > 0 && this.lossRng.next() < this.loss;
    const burst = this.burst;
    if (burst !== null) {
      const u = this.burstRng.next();
      this.inBadState = this.inBadState ? u >= burst.exitBad : u < burst.enterBad;
      if (this.burstRng.next() < (this.inBadState ? this.lossInBad : 0)) lost = true;
    }
    let delay = this.latency;
    if (this.jitter > 0) {
      const j = this.jitterRng;
      const u = this.bell ? (j.next() + j.next() + j.next()) / 3 : j.next();
      delay += (2 * u - 1) * this.jitter;
      if (delay < 0) delay = 0;
    }
    const reordered = this.reorderP > 0 && this.reorderRng.next() < this.reorderP;
    const duplicated = this.dupP > 0 && this.dupRng.next() < this.dupP;
    const corrupted = this.corruptP > 0 && this.corruptRng.next() < this.corruptP && size > 0;
    const bit = corrupted ? this.corruptRng.int(0, size * 8) : 0;
    const dupLag = duplicated ? this.dupRng.next() * this.dupDelay : 0;

    if (lost) {
      c.lost++;
      this.dropAtSend(packet, id, 'lost');
      return;
    }

    // Delivery time: FIFO unless chosen for reordering.
    let at = txEnd + delay;
    if (at < this.lastArrival) at = this.lastArrival;
    let flags = 0;
    if (reordered) {
      at += this.reorderDelay;
      flags |= F_REORDERED;
      c.reordered++;
    } else {
      this.lastArrival = at;
    }

    let delivered = packet;
    if (corrupted) {
      delivered = packet.slice();
      delivered[bit >>> 3]! ^= 1 << (bit & 7);
      flags |= F_CORRUPTED;
      c.corrupted++;
    }
    // Copy for the duplicate now: the receiver owns (and may modify) the original once delivered.
    const dup = duplicated ? packet.slice() : null;

    this.deliverAt(at, delivered, id * 8 + flags);
    if (dup !== null) {
      c.duplicated++;
      this.deliverAt(at + dupLag, dup, id * 8 + F_DUPLICATE);
    }

    if (link.taps.length !== 0 || sim.linkTaps.length !== 0) {
      link.emit({
        kind: 'send',
        time: now,
        link: link.label,
        from: this.from,
        id,
        packet,
        fate: 'delivered',
        corrupted,
        duplicate: duplicated,
        reordered,
        deliverAt: at,
      });
    }
  }

  /** Schedules a delivery, reusing a spent event object if one is free. */
  private deliverAt(at: number, packet: Uint8Array, tag: number): void {
    this.inFlight++;
    const ev = this.spare.pop();
    if (ev === undefined) {
      this.sim.scheduleEvent(at, this, packet, tag);
    } else {
      ev.arg = packet;
      ev.tag = tag;
      this.sim.requeue(ev, at);
    }
  }

  private dropAtSend(packet: Uint8Array, id: number, fate: PacketFate): void {
    const link = this.link;
    if (link.taps.length === 0 && this.sim.linkTaps.length === 0) return;
    const base = { time: this.sim.now, link: link.label, from: this.from, id, packet, fate, corrupted: false, duplicate: false, reordered: false };
    link.emit({ kind: 'send', ...base });
    link.emit({ kind: 'drop', ...base });
  }

  /** A scheduled delivery is due. */
  handleSimEvent(ev: SimEvent): void {
    const packet = ev.arg as Uint8Array;
    const tag = ev.tag;
    // Recycle the event object: nothing else holds it (deliveries are never cancelled).
    ev.arg = null;
    this.spare.push(ev);
    const c = this.counters;
    const link = this.link;
    const receiver = this.receiver;
    this.inFlight--;
    const tapping = link.taps.length !== 0 || this.sim.linkTaps.length !== 0;
    if (receiver === null) {
      c.unclaimed++;
      if (tapping) link.emit(this.deliveryEvent('drop', packet, tag, 'no-receiver'));
      return;
    }
    c.delivered++;
    c.deliveredBytes += packet.length;
    if (tapping) link.emit(this.deliveryEvent('deliver', packet, tag, 'delivered'));
    receiver(packet);
  }

  private deliveryEvent(kind: 'deliver' | 'drop', packet: Uint8Array, tag: number, fate: PacketFate): LinkEvent {
    const flags = tag & 7;
    return {
      kind,
      time: this.sim.now,
      link: this.link.label,
      from: this.from,
      id: (tag - flags) / 8,
      packet,
      fate,
      corrupted: (flags & F_CORRUPTED) !== 0,
      duplicate: (flags & F_DUPLICATE) !== 0,
      reordered: (flags & F_REORDERED) !== 0,
    };
  }
}

/** One end of a {@link SimLink}: the {@link LinkPort} a stack's interface attaches to. */
export class SimLinkEnd implements LinkPort {
  /** Present when the link was made with `tcpOffload: true` (see {@link SimLinkOptions.tcpOffload}). */
  readonly tcpOffload?: TcpSegmentationOffload;

  /** @internal */
  constructor(
    /** The link this end belongs to. */
    readonly link: SimLink,
    /** Which end this is. */
    readonly side: LinkSide,
    private readonly out: Direction,
    private readonly inbound: Direction,
    offload = false,
  ) {
    if (offload) {
      this.tcpOffload = {
        maxPacket: 0xffff,
        sendTcp: (headers, payload, segmentSize) => {
          for (const p of segmentTcpOffload(headers, payload, segmentSize)) this.out.transmit(p);
        },
      };
    }
  }

  /** Largest packet this end can send: the `mtu` of its outgoing direction. */
  get mtu(): number {
    return this.out.mtu;
  }

  /** The other end of the link. */
  get peer(): SimLinkEnd {
    return this.side === 'a' ? this.link.b : this.link.a;
  }

  /** Sends `packet` towards the other end. The link owns the buffer afterwards. */
  send(packet: Uint8Array): void {
    this.out.transmit(packet);
  }

  /** Sets the function receiving packets that arrive at this end (replacing any previous one). */
  setReceiver(receiver: (packet: Uint8Array) => void): void {
    this.inbound.receiver = receiver;
  }
}

/**
 * A simulated full-duplex point-to-point link between ports {@link a} and {@link b}. Create with
 * {@link Simulation.link}.
 *
 * Model, per direction: a packet handed to `send` is checked against the MTU and the drop filter,
 * queued in a FIFO transmitter (`bandwidth`, `queueLimit`, tail drop), possibly lost, and then
 * delivered `latency ± jitter` ms after it finished transmitting — but never before the previous
 * packet (jitter alone does not reorder), unless it is picked for `reorder`ing, in which case it is
 * held back by `reorderDelay` and later packets may overtake it. `corrupt` delivers a copy with one
 * bit flipped; `duplicate` delivers an extra copy shortly after.
 */
export class SimLink {
  /** End `a`: sends in the a→b direction, receives b→a. */
  readonly a: SimLinkEnd;
  /** End `b`: sends in the b→a direction, receives a→b. */
  readonly b: SimLinkEnd;
  /** Counters per direction. */
  readonly stats: { readonly aToB: LinkCounters; readonly bToA: LinkCounters };
  /** @internal Next packet id. */
  nextId = 0;
  /** @internal */
  readonly taps: Array<(ev: LinkEvent) => void> = [];
  /** @internal */
  dropFilter: DropFilter | null = null;
  private readonly ab: Direction;
  private readonly ba: Direction;

  /** @internal Use {@link Simulation.link}. */
  constructor(
    readonly sim: Simulation,
    /** The link's label. */
    readonly label: string,
    rng: Prng,
    options: SimLinkOptions,
  ) {
    const pab = { ...DEFAULTS };
    const pba = { ...DEFAULTS };
    merge(pab, options);
    merge(pba, options);
    merge(pab, options.aToB);
    merge(pba, options.bToA);
    this.ab = new Direction(this, sim, 'a', rng.fork('aToB'), pab);
    this.ba = new Direction(this, sim, 'b', rng.fork('bToA'), pba);
    this.a = new SimLinkEnd(this, 'a', this.ab, this.ba, options.tcpOffload === true);
    this.b = new SimLinkEnd(this, 'b', this.ba, this.ab, options.tcpOffload === true);
    this.stats = { aToB: this.ab.counters, bToA: this.ba.counters };
  }

  /**
   * Changes parameters from now on (fields not given keep their current values); e.g.
   * `link.configure({ loss: 1 })` cuts the link, `link.configure({ bToA: { latency: 50 } })` slows one
   * direction. Packets already in flight keep their schedule.
   */
  configure(options: LinkConfigureOptions): void {
    const pab = { ...this.ab.params };
    const pba = { ...this.ba.params };
    merge(pab, options);
    merge(pba, options);
    merge(pab, options.aToB);
    merge(pba, options.bToA);
    validate(pab);
    validate(pba);
    this.ab.applyParams(pab);
    this.ba.applyParams(pba);
  }

  /** Current parameters of one direction (a copy). */
  params(direction: 'aToB' | 'bToA'): LinkParams {
    return { ...(direction === 'aToB' ? this.ab : this.ba).params };
  }

  /** Copies scheduled for delivery and not yet delivered, both directions. */
  get inFlight(): number {
    return this.ab.inFlight + this.ba.inFlight;
  }

  /** Packets waiting in, or being sent by, the transmitter of a direction at the current time. */
  queueLength(direction: 'aToB' | 'bToA'): number {
    return (direction === 'aToB' ? this.ab : this.ba).queueLength();
  }

  /**
   * Observes this link's events (see {@link LinkEvent}); returns an unsubscribe function. Taps cost
   * nothing while none are registered. A tap must not send on the link.
   */
  tap(fn: (ev: LinkEvent) => void): () => void {
    this.taps.push(fn);
    return () => {
      const i = this.taps.indexOf(fn);
      if (i >= 0) this.taps.splice(i, 1);
    };
  }

  /** Sets (or clears, with `null`) a function that drops chosen packets deterministically; see {@link DropFilter}. */
  setDropFilter(filter: DropFilter | null): void {
    this.dropFilter = filter;
  }

  /** @internal Delivers an event to this link's taps and the simulation's. */
  emit(ev: LinkEvent): void {
    for (const t of this.taps) t(ev);
    for (const t of this.sim.linkTaps) t(ev);
  }
}
