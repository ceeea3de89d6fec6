/**
 * The deterministic simulation core: a virtual clock, one event queue, and seeded randomness.
 *
 * Virtual time is a number of milliseconds that only moves forward, and only by jumping to the next
 * queued event; nothing waits on the wall clock, so simulated minutes pass in milliseconds. Events at
 * the same virtual time run in the order they were scheduled. All randomness comes from
 * {@link Prng} streams forked from the seed by label, so the same seed and the same program give the
 * same run, event for event.
 *
 * Two ways to drive it:
 *
 * - synchronously ({@link Simulation.step}, {@link Simulation.run}, {@link Simulation.runFor}) when
 *   everything reacting to events does so synchronously;
 * - asynchronously ({@link Simulation.settle}, {@link Simulation.runUntil}, {@link Simulation.advance})
 *   when Node streams, promises or `process.nextTick` are involved: these loops yield to Node's event
 *   loop (one `setImmediate` turn) before every step, so reactions queued with `process.nextTick`,
 *   promises (chains of any length) or a single `setImmediate` run — at the virtual time of the event
 *   that caused them — before the clock moves on. (A reaction that needs several event-loop turns,
 *   e.g. `setImmediate` inside `setImmediate`, still runs deterministically, but possibly after the
 *   simulation has stepped on to its next event time.) Real timers (`setTimeout`) and real I/O are not
 *   part of the simulation: use {@link Simulation.runtime} timers instead.
 *
 * The async drivers cost one event-loop turn per step; when everything reacts synchronously, the
 * synchronous drivers are much faster.
 *
 * @module
 */

import type { Runtime } from '../../stack/runtime.js';
import { MinHeap, type HeapEntry } from '../../util/min-heap.js';
import { Prng } from '../../util/prng.js';
import { SimLink, type LinkEvent, type SimLinkOptions } from './link.js';

/** Cancels a scheduled event. Calling it after the event ran (or twice) does nothing. */
export type Cancel = () => void;

/**
 * Receiver of low-level events scheduled with {@link Simulation.scheduleEvent}. Lets hot paths (such
 * as per-packet deliveries) schedule work as a plain object without allocating a closure.
 */
export interface SimEventHandler {
  /** Called when `event` is due; `event.arg` and `event.tag` are what was passed when scheduling. */
  handleSimEvent(event: SimEvent): void;
}

/**
 * A queued simulation event: the heap entry itself. Either `fn` is set (from
 * {@link Simulation.schedule}) or `handler` is (from {@link Simulation.scheduleEvent}).
 */
export class SimEvent implements HeapEntry {
  /** Virtual time at which the event runs. */
  at: number;
  /** @internal Tie-breaker, owned by the heap. */
  seq = 0;
  /** @internal Heap position, owned by the heap; -1 when not queued. */
  heapIndex = -1;
  /** Callback form. */
  fn: (() => void) | null;
  /** Handler form. */
  handler: SimEventHandler | null;
  /** Payload for the handler. */
  arg: unknown;
  /** Small integer payload for the handler. */
  tag: number;

  constructor(at: number, fn: (() => void) | null, handler: SimEventHandler | null, arg: unknown, tag: number) {
    this.at = at;
    this.fn = fn;
    this.handler = handler;
    this.arg = arg;
    this.tag = tag;
  }
}

/** Options for {@link Simulation}'s constructor. */
export interface SimulationOptions {
  /** Seed for all randomness (default 1). Same seed, same program: same run. */
  seed?: number;
  /** Virtual time at start, in ms (default 0). */
  startTime?: number;
  /**
   * How many consecutive event-loop turns without any queued simulation event the async drivers wait
   * before concluding that nothing else will happen (default 3). One turn suffices for reactions via
   * `process.nextTick` and promises (of any depth); each level of a `setImmediate` chain needs one more.
   */
  quietYields?: number;
  /** Default virtual-time budget, in ms, for {@link Simulation.settle} and {@link Simulation.runUntil} (default 600 000 = 10 minutes). */
  timeout?: number;
}

/** Options for {@link Simulation.run}. */
export interface RunOptions {
  /** Run only events at or before this virtual time; afterwards the clock reads `until` (unless `maxEvents` stopped the run). */
  until?: number;
  /** Stop after this many events (default unlimited). */
  maxEvents?: number;
}

/** Options for the async drivers. */
export interface AsyncRunOptions {
  /** Virtual-time budget in ms, counted from the call (default: the simulation's `timeout`). */
  timeout?: number;
  /** Overrides {@link SimulationOptions.quietYields} for this call. */
  quietYields?: number;
}

/** Thrown by {@link Simulation.settle} and {@link Simulation.runUntil} when they give up. */
export class SimulationTimeoutError extends Error {
  override name = 'SimulationTimeoutError';
}

const DEFAULT_TIMEOUT = 600_000;

function yieldToNode(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The {@link Runtime} a simulation hands to a stack: virtual clock, timers as simulation events, and
 * seeded random bytes from its own forked stream.
 */
export class SimRuntime implements Runtime {
  /** @param sim owning simulation @param label name (its random stream is forked from this) @param rng its random stream */
  constructor(
    readonly sim: Simulation,
    readonly label: string,
    private readonly rng: Prng,
  ) {}

  /** Current virtual time in ms. */
  now(): number {
    return this.sim.now;
  }

  /** Runs `callback` at virtual time `at` (or now, if `at` is in the past). */
  setTimer(at: number, callback: () => void): () => void {
    return this.sim.schedule(at, callback);
  }

  /** `n` bytes from this runtime's seeded stream. */
  randomBytes(n: number): Uint8Array {
    return this.rng.bytes(n);
  }
}

/**
 * A deterministic discrete-event simulation: virtual clock, event queue, seeded randomness, and a
 * factory for impaired links ({@link Simulation.link}) and runtimes ({@link Simulation.runtime}).
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 7 });
 * const link = sim.link({ latency: 10, bandwidth: 10e6, loss: 0.01 });
 * const left = new Stack(sim.runtime('left'), link.a);    // hypothetical stack
 * const right = new Stack(sim.runtime('right'), link.b);
 * await sim.runUntil(() => done);
 * ```
 */
export class Simulation {
  /** The seed this simulation was created with. */
  readonly seed: number;
  private clock: number;
  private readonly queue = new MinHeap<SimEvent>();
  private readonly root: Prng;
  private readonly labels = new Set<string>();
  private linkCount = 0;
  private runtimeCount = 0;
  private running = false;
  private executed = 0;
  private readonly quietYields: number;
  private readonly defaultTimeout: number;
  /** @internal Taps on every link; read by links on their hot path. */
  readonly linkTaps: Array<(ev: LinkEvent) => void> = [];
  /** Links created by {@link link}, in creation order. */
  readonly links: SimLink[] = [];

  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 1;
    this.clock = options.startTime ?? 0;
    if (!Number.isFinite(this.clock)) throw new RangeError('Simulation: startTime must be finite');
    this.root = new Prng(this.seed);
    this.quietYields = Math.max(1, options.quietYields ?? 3);
    this.defaultTimeout = options.timeout ?? DEFAULT_TIMEOUT;
  }

  /** Current virtual time in ms. */
  get now(): number {
    return this.clock;
  }

  /** Number of queued events. */
  get pending(): number {
    return this.queue.size;
  }

  /** Virtual time of the next queued event, or `Infinity` if none. */
  get nextEventTime(): number {
    return this.queue.peekTime();
  }

  /** Total number of events run so far. */
  get eventsRun(): number {
    return this.executed;
  }

  /**
   * Runs `fn` at virtual time `at` (clamped to now if in the past), after every event already queued
   * for that same time. Returns a function that cancels it (a no-op once it has run).
   */
  schedule(at: number, fn: () => void): Cancel {
    const ev = this.scheduleEvent(at, null, undefined, 0, fn);
    return () => this.cancel(ev);
  }

  /** Runs `fn` `delay` ms from now. Same as `schedule(now + delay, fn)`. */
  after(delay: number, fn: () => void): Cancel {
    return this.schedule(this.clock + delay, fn);
  }

  /**
   * Low-level, allocation-light scheduling: at virtual time `at` (clamped to now), calls
   * `handler.handleSimEvent(event)` with `event.arg === arg` and `event.tag === tag` — or `fn()` if
   * `handler` is null. Returns the queued event, which {@link cancel} accepts.
   */
  scheduleEvent(at: number, handler: SimEventHandler | null, arg: unknown, tag = 0, fn: (() => void) | null = null): SimEvent {
    if (typeof at !== 'number' || !(at < Infinity) ) {
      throw new RangeError(`Simulation: cannot schedule at ${at}`);
    }
    if (handler === null && fn === null) throw new TypeError('Simulation.scheduleEvent: need a handler or fn');
    const ev = new SimEvent(at < this.clock ? this.clock : at, fn, handler, arg, tag);
    this.queue.push(ev);
    return ev;
  }

  /**
   * Queues an existing, currently unqueued event object again at time `at` (clamped to now), keeping
   * its `fn` / `handler` / `arg` / `tag`. Lets a handler recycle its event objects instead of
   * allocating new ones; the event must not be reused while queued.
   */
  requeue(event: SimEvent, at: number): void {
    if (typeof at !== 'number' || !(at < Infinity)) throw new RangeError(`Simulation: cannot schedule at ${at}`);
    event.at = at < this.clock ? this.clock : at;
    this.queue.push(event);
  }

  /** Removes a queued event; returns whether it was queued. */
  cancel(event: SimEvent): boolean {
    return this.queue.remove(event);
  }

  /**
   * Runs every event queued for the earliest pending time — including events scheduled for that same
   * time while doing so — advancing the clock to it. Returns false (and does nothing) if none are queued.
   */
  step(): boolean {
    const queue = this.queue;
    this.enter();
    try {
      const first = queue.peek();
      if (first === undefined) return false;
      const t = first.at;
      if (t > this.clock) this.clock = t;
      let ev: SimEvent | undefined;
      while ((ev = queue.peek()) !== undefined && ev.at <= t) {
        queue.pop();
        this.executed++;
        if (ev.fn !== null) ev.fn();
        else ev.handler!.handleSimEvent(ev);
      }
    } finally {
      this.running = false;
    }
    return true;
  }

  /**
   * Runs events synchronously, in order, until the queue is empty, the next event lies after `until`,
   * or `maxEvents` have run. When `until` is given and the run was not cut short by `maxEvents`, the
   * clock ends at `until`. Returns the number of events run.
   */
  run(options: RunOptions = {}): number {
    const until = options.until ?? Infinity;
    const maxEvents = options.maxEvents ?? Infinity;
    const queue = this.queue;
    let n = 0;
    this.enter();
    try {
      let ev: SimEvent | undefined;
      while (n < maxEvents && (ev = queue.peek()) !== undefined && ev.at <= until) {
        queue.pop();
        if (ev.at > this.clock) this.clock = ev.at;
        n++;
        this.executed++;
        if (ev.fn !== null) ev.fn();
        else ev.handler!.handleSimEvent(ev);
      }
    } finally {
      this.running = false;
    }
    if (until !== Infinity && until > this.clock && (n < maxEvents || queue.peekTime() > until)) this.clock = until;
    return n;
  }

  /** Runs events synchronously for `ms` of virtual time; the clock ends at `now + ms`. */
  runFor(ms: number): number {
    return this.run({ until: this.clock + ms });
  }

  /**
   * Runs until nothing is left to do: alternately yields to Node's event loop and runs one
   * {@link step}, finishing when the queue is empty and `quietYields` consecutive yields have added
   * nothing to it. Throws {@link SimulationTimeoutError} instead of running an event more than
   * `timeout` virtual ms after the call (e.g. a periodic timer that never stops).
   */
  async settle(options: AsyncRunOptions = {}): Promise<void> {
    const deadline = this.clock + (options.timeout ?? this.defaultTimeout);
    const quietYields = Math.max(1, options.quietYields ?? this.quietYields);
    let quiet = 0;
    for (;;) {
      await yieldToNode();
      const next = this.queue.peekTime();
      if (next === Infinity) {
        if (++quiet >= quietYields) return;
        continue;
      }
      quiet = 0;
      if (next > deadline) {
        this.clock = Math.max(this.clock, deadline);
        throw new SimulationTimeoutError(`Simulation.settle: still busy after ${options.timeout ?? this.defaultTimeout} virtual ms (t=${this.clock})`);
      }
      this.step();
    }
  }

  /**
   * Like {@link settle}, but returns as soon as `pred()` is true (checked before starting, after every
   * yield and after every step). Throws {@link SimulationTimeoutError} if the next event lies more than
   * `timeout` virtual ms after the call (the clock is left at that deadline), or if the simulation goes
   * idle with `pred()` still false.
   */
  async runUntil(pred: () => boolean, options: AsyncRunOptions = {}): Promise<void> {
    if (pred()) return;
    const timeout = options.timeout ?? this.defaultTimeout;
    const deadline = this.clock + timeout;
    const quietYields = Math.max(1, options.quietYields ?? this.quietYields);
    let quiet = 0;
    for (;;) {
      await yieldToNode();
      if (pred()) return;
      const next = this.queue.peekTime();
      if (next === Infinity) {
        if (++quiet >= quietYields) {
          throw new SimulationTimeoutError(`Simulation.runUntil: went idle at t=${this.clock} before the condition held`);
        }
        continue;
      }
      quiet = 0;
      if (next > deadline) {
        this.clock = Math.max(this.clock, deadline);
        throw new SimulationTimeoutError(`Simulation.runUntil: condition still false after ${timeout} virtual ms (t=${this.clock})`);
      }
      this.step();
      if (pred()) return;
    }
  }

  /**
   * Async counterpart of {@link runFor}: runs events due within the next `ms` virtual ms, yielding to
   * Node's event loop before each step (and `quietYields` times at the end, so reactions to the last
   * events get to schedule more), then leaves the clock at exactly `now + ms`.
   */
  async advance(ms: number, options: Pick<AsyncRunOptions, 'quietYields'> = {}): Promise<void> {
    const end = this.clock + ms;
    const quietYields = Math.max(1, options.quietYields ?? this.quietYields);
    let quiet = 0;
    for (;;) {
      await yieldToNode();
      if (this.queue.peekTime() <= end) {
        quiet = 0;
        this.step();
      } else if (++quiet >= quietYields) {
        break;
      }
    }
    if (end > this.clock) this.clock = end;
  }

  /**
   * A {@link Runtime} on this simulation's clock, with random bytes from a stream forked by `label`
   * (default `runtime#1`, `runtime#2`, … counting calls without a label). Give each stack its own
   * runtime: labels must be unique within a simulation.
   */
  runtime(label?: string): SimRuntime {
    const name = label ?? `runtime#${++this.runtimeCount}`;
    this.checkLabel(`runtime:${name}`);
    this.labels.add(`runtime:${name}`);
    return new SimRuntime(this, name, this.root.fork(`runtime:${name}`));
  }

  /**
   * Creates a link between two ports, `a` and `b`, with the given impairments. Its random streams are
   * forked from its label (default `link#1`, `link#2`, … counting links created without a label), so
   * pass explicit labels if a link's behaviour must not depend on how many unlabelled links were
   * created before it. Throws on invalid options or a label already in use.
   */
  link(options: SimLinkOptions = {}): SimLink {
    const name = options.label ?? `link#${this.linkCount + 1}`;
    const key = `link:${name}`;
    this.checkLabel(key);
    const link = new SimLink(this, name, this.root.fork(key), options); // validates options
    if (options.label === undefined) this.linkCount++;
    this.labels.add(key);
    this.links.push(link);
    return link;
  }

  /**
   * A seeded random stream for the caller's own use (payload generation, workload choices, …),
   * independent of every other stream. The same label gives the same stream.
   */
  random(label: string): Prng {
    return this.root.fork(`user:${label}`);
  }

  /** Observes every event on every link of this simulation (see {@link SimLink.tap}). Returns an unsubscribe function. */
  tap(fn: (ev: LinkEvent) => void): () => void {
    this.linkTaps.push(fn);
    return () => {
      const i = this.linkTaps.indexOf(fn);
      if (i >= 0) this.linkTaps.splice(i, 1);
    };
  }

  private checkLabel(key: string): void {
    if (this.labels.has(key)) throw new Error(`Simulation: label ${JSON.stringify(key)} is already in use`);
  }

  private enter(): void {
    if (this.running) throw new Error('Simulation: step/run called from inside an event');
    this.running = true;
  }
}
