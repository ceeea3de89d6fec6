import type { TcpErrorCode } from './errors.js';
import type { TcpState } from './state.js';
import type { TcpSegment } from '../wire/types.js';

/**
 * What a connection tells its user, drained with {@link Connection.pollEvent}. Every state change
 * names the RFC rule that caused it, so traces can explain themselves.
 */
export type ConnectionEvent =
  | { type: 'state'; from: TcpState; to: TcpState; rule: string }
  /** The connection reached ESTABLISHED: the user's OPEN has succeeded. */
  | { type: 'established' }
  /** New in-order bytes can be taken with RECEIVE. */
  | { type: 'readable' }
  /** The peer's FIN arrived in order: after the buffered bytes, there is no more data. */
  | { type: 'eof' }
  /** Send-buffer space was freed by an acknowledgment. */
  | { type: 'writable' }
  /** Every byte the user sent, and the FIN if CLOSE was called, has been acknowledged. */
  | { type: 'drained' }
  /** The connection failed; `closed` follows. */
  | { type: 'error'; code: TcpErrorCode; rule: string }
  /** The TCB was deleted (CLOSED). */
  | { type: 'closed' };

/** Why the engine sent a segment, in the RFC's words (for traces and `--explain`). */
export interface TransmitReason {
  rule: string;
}

/**
 * A connection's timers, as trace events name them: the retransmission timer (RFC 6298), TIME-WAIT's
 * 2·MSL (RFC 9293 §3.10.8), the delayed-ACK timer (RFC 1122 §4.2.3.2), the persist timer (RFC 9293
 * §3.8.6.1), keep-alive (RFC 9293 §3.8.4), RACK's reordering timer and the tail-loss-probe timer
 * (RFC 8985 §6.2, §7.2), and the user timeout (RFC 9293 §3.10.8).
 */
export type TimerKind =
  | 'retransmit'
  | 'time-wait'
  | 'delayed-ack'
  | 'persist'
  | 'keepalive'
  | 'rack-reorder'
  | 'tlp'
  | 'user-timeout';

/**
 * What happened to a timer: `set` (it was not running), `rearm` (a new deadline while running),
 * `cancel` (stopped before its deadline), `fire` (its deadline passed and it ran).
 */
export type TimerAction = 'set' | 'rearm' | 'cancel' | 'fire';

/**
 * Why a congestion event was traced: `growth` (cwnd grew on an ACK within slow start or congestion
 * avoidance: one event per such ACK, for plotting cwnd; demos show them only with --verbose),
 * `window` (cwnd or ssthresh changed for a reason other than per-ACK growth within a phase — a loss response, an RTO, the end of recovery, an undo, an idle
 * restart, the initial window, slow start ending; also a Packet Too Big, which leaves both as they
 * are), `recovery-enter` / `recovery-exit` (a loss-recovery episode starts or ends: fast recovery
 * by duplicate ACKs, SACK or RACK, or the go-back-N after an RTO).
 */
export type CongestionChange = 'window' | 'growth' | 'recovery-enter' | 'recovery-exit';

/**
 * Why the engine discarded an arriving segment (RFC 9293 §3.10.7 and the RFCs it defers to). Each
 * drop event also carries the rule, with its RFC section.
 */
export type EngineDropReason =
  | 'closed'
  | 'listen-rst'
  | 'listen-ack'
  | 'listen-no-syn'
  | 'unacceptable-ack'
  | 'rst-without-ack'
  | 'no-syn-or-rst'
  | 'no-timestamp'
  | 'paws'
  | 'outside-window'
  | 'rst-outside-window'
  | 'zero-window'
  | 'rst-challenge'
  | 'syn-challenge'
  | 'no-ack'
  | 'ack-not-yet-sent'
  | 'ack-too-old'
  | 'text-after-fin';

/** A timer of a connection set, re-armed, cancelled or fired (see {@link ConnectionTraceEvent}). */
export interface TimerTraceEvent {
  type: 'timer';
  timer: TimerKind;
  action: TimerAction;
  /** The deadline (ms, the engine's clock): the new one for set/rearm, the old one for cancel/fire. */
  at: number;
  /** For 'rearm': the deadline it replaced. */
  previous?: number;
  /** The RFC rule that set, moved, stopped or ran the timer. */
  rule: string;
}

/** A change of a connection's congestion state (see {@link ConnectionTraceEvent}). */
export interface CongestionTraceEvent {
  type: 'congestion';
  change: CongestionChange;
  /** The controller's name ('newreno', 'cubic', …). */
  algorithm: string;
  /** After the change, bytes (ssthresh: Infinity until the first congestion event). */
  cwnd: number;
  ssthresh: number;
  /** Before the change. */
  prevCwnd: number;
  prevSsthresh: number;
  /** In loss recovery after the change: a fast-recovery episode, or the resends after an RTO. */
  inRecovery: boolean;
  rule: string;
}

/**
 * What a {@link Connection} reports to its {@link Connection.onTrace} observer, for traces. Built only
 * while an observer is set. The connection does not know the time of day or its stack; the observer
 * adds them (and the 4-tuple, from the connection it is handed).
 */
export type ConnectionTraceEvent =
  | TimerTraceEvent
  | CongestionTraceEvent
  | {
      type: 'drop';
      reason: EngineDropReason;
      /** The segment as it arrived. */
      segment: TcpSegment;
      rule: string;
    };
