/**
 * Seeded loss, reordering and duplication between a real link (a TUN device, say) and a stack,
 * injected in userspace for kernels without netem. See {@link ImpairedLink}.
 *
 * @module
 */

import type { LinkPort } from '../types.js';
import type { Runtime } from '../../stack/runtime.js';
import { Prng } from '../../util/prng.js';

/** Impairments of one direction. Probabilities are per packet, in [0, 1]; every field defaults to 0 (off). */
export interface Impairments {
  /** Probability that a packet is dropped. */
  loss?: number;
  /** Probability that a packet is held back for `reorderDelay` ms while later packets pass it. */
  reorder?: number;
  /** How long a reordered packet is held, in ms (default {@link DEFAULT_REORDER_DELAY}). */
  reorderDelay?: number;
  /** Probability that a packet is delivered twice (the second time as a copy, right after the original). */
  duplicate?: number;
}

/** The two directions of an {@link ImpairedLink}. */
export type ImpairDirection = 'toStack' | 'toLink';

/** Options of {@link ImpairedLink}. */
export interface ImpairedLinkOptions {
  /**
   * Seed of the random choices (default 1). Each direction, and within it each impairment, draws from
   * its own stream forked from it, so the choices of one direction depend only on the seed and the
   * sequence of packets that went that way.
   */
  seed?: number;
  /** Clock and timer for holding reordered packets (the stack's runtime, or a simulated one). */
  runtime: Runtime;
  /** Impairments of packets arriving from the inner link, on their way to the stack's receiver. */
  toStack?: Impairments;
  /** Impairments of packets the stack sends, on their way to the inner link. */
  toLink?: Impairments;
}

/**
 * Counters of one direction. Each packet entering the direction counts once in `received`; it is then
 * `dropped` by `loss`, or handed on (possibly held back first, `reordered`, and possibly with an extra
 * copy, `duplicated`), or `discarded`. When nothing is held, `passed + discarded = received - dropped +
 * duplicated` (discards count copies).
 */
export interface ImpairCounters {
  /** Packets that entered this direction. */
  received: number;
  /** Copies handed on: to the inner link (`toLink`) or to the stack's receiver (`toStack`); duplicates included. */
  passed: number;
  /** Packets dropped by `loss`. */
  dropped: number;
  /** Packets for which an extra copy was made. */
  duplicated: number;
  /** Packets held back by `reorderDelay`. */
  reordered: number;
  /** Copies thrown away: held when {@link ImpairedLink.close} ran, arriving after it, or arriving while no receiver was set. */
  discarded: number;
}

/** Default `reorderDelay`, in ms. */
export const DEFAULT_REORDER_DELAY = 3;

interface Params {
  loss: number;
  reorder: number;
  reorderDelay: number;
  duplicate: number;
}

function checkProbability(dir: ImpairDirection, name: string, p: number): void {
  if (!(typeof p === 'number' && p >= 0 && p <= 1)) {
    throw new RangeError(`ImpairedLink: ${dir}.${name} must be a probability in [0, 1], got ${String(p)}`);
  }
}

function resolveParams(dir: ImpairDirection, base: Params, imp: Impairments | undefined): Params {
  const p: Params = { ...base };
  if (imp !== undefined) {
    if (imp.loss !== undefined) p.loss = imp.loss;
    if (imp.reorder !== undefined) p.reorder = imp.reorder;
    if (imp.reorderDelay !== undefined) p.reorderDelay = imp.reorderDelay;
    if (imp.duplicate !== undefined) p.duplicate = imp.duplicate;
  }
  checkProbability(dir, 'loss', p.loss);
  checkProbability(dir, 'reorder', p.reorder);
  checkProbability(dir, 'duplicate', p.duplicate);
  if (!(typeof p.reorderDelay === 'number' && p.reorderDelay >= 0 && p.reorderDelay < Infinity)) {
    throw new RangeError(`ImpairedLink: ${dir}.reorderDelay must be a finite number of ms >= 0, got ${String(p.reorderDelay)}`);
  }
  return p;
}

/** A packet held back for reordering (with its duplicate, if it has one). */
interface Held {
  due: number;
  packet: Uint8Array;
  copy: Uint8Array | null;
}

/** One direction: parameters, random streams, counters, and the packets held back. */
class Lane {
  params: Params;
  readonly counters: ImpairCounters = { received: 0, passed: 0, dropped: 0, duplicated: 0, reordered: 0, discarded: 0 };
  closed = false;
  /** Held packets, sorted by due time (ties in arrival order). */
  private held: Held[] = [];
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;
  private readonly lossRng: Prng;
  private readonly reorderRng: Prng;
  private readonly dupRng: Prng;

  constructor(
    private readonly runtime: Runtime,
    rng: Prng,
    params: Params,
    /** Hands a copy on; returns false if it had nowhere to go. */
    private readonly forward: (packet: Uint8Array) => boolean,
  ) {
    this.params = params;
    // One stream per impairment, so that e.g. enabling duplication does not change which packets are lost.
    this.lossRng = rng.fork('loss');
    this.reorderRng = rng.fork('reorder');
    this.dupRng = rng.fork('duplicate');
  }

  get heldCount(): number {
    return this.held.length;
  }

  process(packet: Uint8Array): void {
    const c = this.counters;
    c.received++;
    if (this.closed) {
      c.discarded++;
      return;
    }
    const p = this.params;
    // Every enabled impairment draws for every packet, whatever the others decide.
    const lost = p.loss > 0 && this.lossRng.next() < p.loss;
    const reordered = p.reorder > 0 && this.reorderRng.next() < p.reorder;
    const duplicated = p.duplicate > 0 && this.dupRng.next() < p.duplicate;
    if (lost) {
      c.dropped++;
      return;
    }
    // Copy before the original is handed on: its new owner may modify or reuse it.
    let copy: Uint8Array | null = null;
    if (duplicated) {
      c.duplicated++;
      copy = packet.slice();
    }
    if (reordered) {
      c.reordered++;
      this.hold({ due: this.runtime.now() + p.reorderDelay, packet, copy });
      return;
    }
    this.emit(packet);
    if (copy !== null) this.emit(copy);
  }

  private emit(packet: Uint8Array): void {
    if (this.forward(packet)) this.counters.passed++;
    else this.counters.discarded++;
  }

  private hold(h: Held): void {
    const held = this.held;
    let i = held.length;
    while (i > 0 && held[i - 1]!.due > h.due) i--;
    held.splice(i, 0, h);
    this.arm();
  }

  /** Makes sure a timer is set for the earliest held packet. */
  private arm(): void {
    const first = this.held[0];
    if (first === undefined) return;
    if (this.cancelTimer !== null) {
      if (this.timerAt <= first.due) return;
      this.cancelTimer();
    }
    const at = first.due;
    this.timerAt = at;
    this.cancelTimer = this.runtime.setTimer(at, () => this.onTimer(at));
  }

  private onTimer(at: number): void {
    this.cancelTimer = null;
    this.timerAt = Infinity;
    // A real timer may fire a hair early by the runtime's clock: what it was set for is due regardless.
    const now = Math.max(this.runtime.now(), at);
    const held = this.held;
    while (held.length !== 0 && held[0]!.due <= now) {
      const h = held.shift()!;
      this.emit(h.packet);
      if (h.copy !== null) this.emit(h.copy);
    }
    this.arm();
  }

  private stopTimer(): void {
    if (this.cancelTimer !== null) {
      this.cancelTimer();
      this.cancelTimer = null;
      this.timerAt = Infinity;
    }
  }

  /** Hands on every held packet now, in due order. */
  flush(): void {
    this.stopTimer();
    while (this.held.length !== 0) {
      const h = this.held.shift()!;
      this.emit(h.packet);
      if (h.copy !== null) this.emit(h.copy);
    }
  }

  /** Throws every held packet away. */
  discardHeld(): void {
    this.stopTimer();
    for (const h of this.held) this.counters.discarded += h.copy !== null ? 2 : 1;
    this.held = [];
  }
}

/**
 * A {@link LinkPort} that wraps another one and impairs the packets crossing it, both ways, with
 * seeded, deterministic loss, reordering and duplication — for real links such as a TUN device, where
 * the kernel offers no netem. The stack attaches to the `ImpairedLink`; the `ImpairedLink` takes the
 * inner link's receiver.
 *
 * ```ts
 * const tun = await TunLink.open({ name: 'synack0' });
 * const runtime = realRuntime();
 * const link = new ImpairedLink(tun, { seed: 7, runtime, toStack: { loss: 0.01 }, toLink: { reorder: 0.05, reorderDelay: 5 } });
 * stack.addInterface({ link, addresses: ['10.9.0.2/24'] });
 * ```
 *
 * Per direction and per packet, in this order: `loss` drops it; otherwise `duplicate` makes a copy
 * (the original is handed on untouched — nothing is copied otherwise), and `reorder` holds the packet
 * (with its copy) for `reorderDelay` ms on a `runtime` timer while later packets pass. A duplicate
 * always follows its original immediately. The choices depend only on the seed and the sequence of
 * packets in that direction (not on timing), so the same seed and packets give the same fates.
 *
 * Held packets keep their place in time when the impairments change ({@link configure}). {@link close}
 * drops held packets by default (as a link going down loses what is in flight); {@link flush} or
 * `close({ flush: true })` hands them on at once instead. Neither closes the inner link.
 */
export class ImpairedLink implements LinkPort {
  /** The wrapped link. */
  readonly inner: LinkPort;
  /** Counters per direction (live objects). */
  readonly stats: { readonly toStack: ImpairCounters; readonly toLink: ImpairCounters };
  private receiver: ((packet: Uint8Array) => void) | null = null;
  private readonly up: Lane;
  private readonly down: Lane;
  private closedFlag = false;

  constructor(inner: LinkPort, options: ImpairedLinkOptions) {
    const seed = options.seed ?? 1;
    const root = new Prng(seed);
    const none: Params = { loss: 0, reorder: 0, reorderDelay: DEFAULT_REORDER_DELAY, duplicate: 0 };
    this.inner = inner;
    this.down = new Lane(options.runtime, root.fork('toStack'), resolveParams('toStack', none, options.toStack), (p) => {
      const r = this.receiver;
      if (r === null) return false;
      r(p);
      return true;
    });
    this.up = new Lane(options.runtime, root.fork('toLink'), resolveParams('toLink', none, options.toLink), (p) => {
      inner.send(p);
      return true;
    });
    this.stats = { toStack: this.down.counters, toLink: this.up.counters };
    inner.setReceiver((packet) => this.down.process(packet));
  }

  /** The inner link's MTU. */
  get mtu(): number {
    return this.inner.mtu;
  }

  /** Sends `packet` towards the inner link, impaired `toLink`. The link owns the buffer afterwards. */
  send(packet: Uint8Array): void {
    this.up.process(packet);
  }

  /** Sets the function receiving packets from the inner link (after the `toStack` impairments). */
  setReceiver(receiver: (packet: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  /** Changes the impairments from now on (fields not given keep their values). Held packets keep their schedule. */
  configure(options: { toStack?: Impairments; toLink?: Impairments }): void {
    const down = resolveParams('toStack', this.down.params, options.toStack);
    const up = resolveParams('toLink', this.up.params, options.toLink);
    this.down.params = down;
    this.up.params = up;
  }

  /** Current impairments of a direction (a copy, every field filled in). */
  impairments(direction: ImpairDirection): Required<Impairments> {
    return { ...(direction === 'toStack' ? this.down : this.up).params };
  }

  /** Packets currently held back for reordering, both directions (a duplicated packet counts once). */
  get held(): number {
    return this.down.heldCount + this.up.heldCount;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Hands on every held packet now (in the order they were due), and cancels the pending timers. */
  flush(): void {
    this.up.flush();
    this.down.flush();
  }

  /**
   * Stops impairing: cancels the pending timers and discards the held packets (counted in `discarded`),
   * or with `flush: true` hands them on first. Packets arriving afterwards, either way, are discarded.
   * Does not close the inner link. Calling it again does nothing.
   */
  close(options: { flush?: boolean } = {}): void {
    if (this.closedFlag) return;
    if (options.flush === true) this.flush();
    this.closedFlag = true;
    this.up.closed = true;
    this.down.closed = true;
    this.up.discardHeld();
    this.down.discardHeld();
  }
}
