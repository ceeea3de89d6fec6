import type { TcpSegment } from '../wire/types.js';
import type { TcpState } from '../tcp/state.js';
import type { CongestionTraceEvent, EngineDropReason, TimerTraceEvent } from '../tcp/events.js';

export type { CongestionChange, CongestionTraceEvent, EngineDropReason, TimerAction, TimerKind, TimerTraceEvent } from '../tcp/events.js';

/** Where and when an engine event happened: the stack's clock and name, and the connection's 4-tuple. */
export interface ConnectionOrigin {
  time: number;
  stack: string;
  local: string;
  remote: string;
}

/**
 * What a stack reports to trace listeners (and on the `synack:*` diagnostics channels):
 *
 * - `send` / `recv`: a segment sent or received, with the 4-tuple; sends carry the RFC rule that
 *   produced them.
 * - `drop`: a packet dropped. The stack's own drops (bad checksum, no route, SYN queue full, …) have
 *   a `reason` and `detail`; segments the TCP engine discards (outside the window, PAWS, a RST or SYN
 *   answered by a challenge ACK, an ACK of something not yet sent, …) also name the connection
 *   (`local`, `remote`) and the RFC `rule`.
 * - `state`: a connection's state change, with its rule.
 * - `timer`: a connection's timer set, re-armed, cancelled or fired, with its deadline and rule.
 * - `congestion`: cwnd grew on an ACK (`growth`), cwnd/ssthresh changed otherwise (`window`: a loss
 *   response, an RTO, leaving slow start, …), or loss recovery began or ended, with the rule.
 *
 * `time` is the stack's clock (ms). `local` / `remote` are "address:port" (IPv6 in brackets; "*"
 * where a listening TCB has no peer yet).
 */
export type StackTraceEvent =
  | {
      type: 'send' | 'recv';
      time: number;
      stack: string;
      src: string;
      dst: string;
      segment: TcpSegment;
      /** For 'send': the RFC rule that produced the segment. */
      rule?: string;
    }
  | {
      type: 'drop';
      time: number;
      stack: string;
      /** The stack's drop counter name ('bad-checksum', 'no-route', …) or the engine's {@link EngineDropReason}. */
      reason: string;
      detail: string;
      /** For segments the TCP engine discarded: the connection. */
      local?: string;
      remote?: string;
      /** The RFC rule (RFC, section, phrase): the engine's for segments it discarded, else the stack's. */
      rule: string;
    }
  | ({ type: 'state'; from: TcpState; to: TcpState; rule: string } & ConnectionOrigin)
  /** A connection's timer, as the engine reported it ({@link TimerTraceEvent}; `at` on the stack's clock). */
  | (TimerTraceEvent & ConnectionOrigin)
  /** A connection's congestion change ({@link CongestionTraceEvent}; ssthresh Infinity is null in JSON). */
  | (CongestionTraceEvent & ConnectionOrigin);

/** Receives a stack's trace events (see {@link StackTraceEvent}). */
export type TraceListener = (event: StackTraceEvent) => void;

/** A drop the engine reported, as its reason (for narrowing {@link StackTraceEvent}). */
export type EngineDropEvent = Extract<StackTraceEvent, { type: 'drop' }> & { reason: EngineDropReason; rule: string };
