import type { TcpSegment } from '../wire/types.js';
import type { TcpState } from '../tcp/state.js';
import type { CongestionChange, EngineDropReason, TimerAction, TimerKind } from '../tcp/events.js';

export type { CongestionChange, EngineDropReason, TimerAction, TimerKind } from '../tcp/events.js';

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
 * - `congestion`: cwnd/ssthresh changed other than by growth within a phase, or loss recovery began
 *   or ended, with the rule. Per-ACK growth in slow start or congestion avoidance is not reported;
 *   leaving slow start is.
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
  | {
      type: 'state';
      time: number;
      stack: string;
      local: string;
      remote: string;
      from: TcpState;
      to: TcpState;
      rule: string;
    }
  | {
      type: 'timer';
      time: number;
      stack: string;
      local: string;
      remote: string;
      timer: TimerKind;
      action: TimerAction;
      /** The deadline (the stack's clock, ms): new for set/rearm, the one stopped or reached for cancel/fire. */
      at: number;
      /** For 'rearm': the deadline replaced. */
      previous?: number;
      /** The rule that set, moved, stopped or ran the timer. */
      rule: string;
    }
  | {
      type: 'congestion';
      time: number;
      stack: string;
      local: string;
      remote: string;
      change: CongestionChange;
      /** The congestion controller ('newreno', 'cubic', 'reno', or a custom one's name). */
      algorithm: string;
      /** Bytes, after the change (ssthresh is Infinity until the first congestion event; null in JSON). */
      cwnd: number;
      ssthresh: number;
      /** Bytes, before the change. */
      prevCwnd: number;
      prevSsthresh: number;
      /** In loss recovery after the change: a fast-recovery episode, or the resends after an RTO. */
      inRecovery: boolean;
      rule: string;
    };

/** Receives a stack's trace events (see {@link StackTraceEvent}). */
export type TraceListener = (event: StackTraceEvent) => void;

/** A drop the engine reported, as its reason (for narrowing {@link StackTraceEvent}). */
export type EngineDropEvent = Extract<StackTraceEvent, { type: 'drop' }> & { reason: EngineDropReason; rule: string };
