/**
 * Trace events on `node:diagnostics_channel` (undici-style): every stack publishes its segments
 * sent and received, drops, state changes, timer events and congestion events on the channels
 * below, whatever its name. In Node the
 * channels are diagnostics_channel's own, so `dc.subscribe('synack:segment', fn)` works from any
 * code; where that module does not exist (browsers) a small local registry with the same
 * `subscribe`/`unsubscribe`/`hasSubscribers`/`publish` surface stands in. Publishing is guarded by
 * `hasSubscribers`, so nothing is built while nobody listens.
 *
 * @module
 */

import type { StackTraceEvent } from '../stack/trace.js';

/** The part of a diagnostics_channel `Channel` synack uses. */
export interface TraceChannel<T> {
  readonly name: string | symbol;
  readonly hasSubscribers: boolean;
  publish(message: T): void;
  subscribe(fn: (message: T, name: string | symbol) => void): void;
  unsubscribe(fn: (message: T, name: string | symbol) => void): boolean;
}

type AnyListener = (message: unknown, name: string | symbol) => void;

/** A stand-in for environments without node:diagnostics_channel. */
class LocalChannel implements TraceChannel<unknown> {
  private listeners: AnyListener[] = [];
  constructor(readonly name: string) {}
  get hasSubscribers(): boolean {
    return this.listeners.length > 0;
  }
  publish(message: unknown): void {
    for (const fn of this.listeners) fn(message, this.name);
  }
  subscribe(fn: AnyListener): void {
    this.listeners = [...this.listeners, fn];
  }
  unsubscribe(fn: AnyListener): boolean {
    const i = this.listeners.indexOf(fn);
    if (i < 0) return false;
    this.listeners = this.listeners.filter((_, j) => j !== i);
    return true;
  }
}

function channelFactory(): (name: string) => TraceChannel<unknown> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const dc = proc?.getBuiltinModule?.('node:diagnostics_channel') as { channel(name: string): TraceChannel<unknown> } | undefined;
  if (dc !== undefined) return (name) => dc.channel(name);
  const local = new Map<string, LocalChannel>();
  return (name) => {
    let c = local.get(name);
    if (c === undefined) local.set(name, (c = new LocalChannel(name)));
    return c;
  };
}

const channel = channelFactory();

/** A segment a stack sent or received (`type` 'send' / 'recv'), with the RFC rule for sends. */
export const segmentChannel = channel('synack:segment') as TraceChannel<Extract<StackTraceEvent, { type: 'send' | 'recv' }>>;
/** A connection's state change, with the RFC rule that caused it. */
export const stateChannel = channel('synack:state') as TraceChannel<Extract<StackTraceEvent, { type: 'state' }>>;
/**
 * A packet the stack dropped, with the reason (bad checksum, no route, SYN queue full, …), or a
 * segment the TCP engine discarded (outside the window, PAWS, challenge ACK, …) with its RFC rule.
 */
export const dropChannel = channel('synack:drop') as TraceChannel<Extract<StackTraceEvent, { type: 'drop' }>>;
/** A connection's timer set, re-armed, cancelled or fired (RTO, TIME-WAIT, delayed ACK, persist, keep-alive, RACK, TLP, user timeout). */
export const timerChannel = channel('synack:timer') as TraceChannel<Extract<StackTraceEvent, { type: 'timer' }>>;
/** cwnd/ssthresh changes (not per-ACK growth within a phase) and loss-recovery entry and exit. */
export const congestionChannel = channel('synack:congestion') as TraceChannel<Extract<StackTraceEvent, { type: 'congestion' }>>;

/** Channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const CHANNEL_NAMES = ['synack:segment', 'synack:state', 'synack:drop', 'synack:timer', 'synack:congestion'] as const;

const ALL = [segmentChannel, stateChannel, dropChannel, timerChannel, congestionChannel] as TraceChannel<unknown>[];

/** Whether anyone listens on any synack channel (checked before building an event). */
export function channelsActive(): boolean {
  return (
    segmentChannel.hasSubscribers ||
    stateChannel.hasSubscribers ||
    dropChannel.hasSubscribers ||
    timerChannel.hasSubscribers ||
    congestionChannel.hasSubscribers
  );
}

/**
 * Whether anyone listens on a channel that carries the TCP engine's own events (drops, timers,
 * congestion): a stack hands its connections their tracer only then (or for its own listeners).
 */
export function engineChannelsActive(): boolean {
  return dropChannel.hasSubscribers || timerChannel.hasSubscribers || congestionChannel.hasSubscribers;
}

/** Whether the channel of events of `type` has subscribers. */
export function channelActive(type: StackTraceEvent['type']): boolean {
  switch (type) {
    case 'send':
    case 'recv':
      return segmentChannel.hasSubscribers;
    case 'state':
      return stateChannel.hasSubscribers;
    case 'drop':
      return dropChannel.hasSubscribers;
    case 'timer':
      return timerChannel.hasSubscribers;
    case 'congestion':
      return congestionChannel.hasSubscribers;
  }
}

/** Publish one stack trace event on its channel. */
export function publishTraceEvent(ev: StackTraceEvent): void {
  switch (ev.type) {
    case 'send':
    case 'recv':
      if (segmentChannel.hasSubscribers) segmentChannel.publish(ev);
      return;
    case 'state':
      if (stateChannel.hasSubscribers) stateChannel.publish(ev);
      return;
    case 'drop':
      if (dropChannel.hasSubscribers) dropChannel.publish(ev);
      return;
    case 'timer':
      if (timerChannel.hasSubscribers) timerChannel.publish(ev);
      return;
    case 'congestion':
      if (congestionChannel.hasSubscribers) congestionChannel.publish(ev);
      return;
  }
}

/** A recording of trace events: {@link recordTrace}. */
export interface TraceRecording {
  /** Events so far, in publication order. */
  readonly events: StackTraceEvent[];
  /** Stop recording (the events stay). */
  stop(): void;
}

/**
 * Record every synack trace event published from now on — segments, drops, state changes, timer and
 * congestion events — from all stacks in this process, or only the stack named `stack`, until
 * `stop()`. Events of different channels stay in publication order.
 */
export function recordTrace(options: { stack?: string } = {}): TraceRecording {
  const events: StackTraceEvent[] = [];
  const fn = (message: unknown): void => {
    const ev = message as StackTraceEvent;
    if (options.stack === undefined || ev.stack === options.stack) events.push(ev);
  };
  const chans = ALL;
  for (const c of chans) c.subscribe(fn);
  let stopped = false;
  return {
    events,
    stop() {
      if (stopped) return;
      stopped = true;
      for (const c of chans) c.unsubscribe(fn);
    },
  };
}
