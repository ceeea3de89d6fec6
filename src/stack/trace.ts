import type { TcpSegment } from '../wire/types.js';
import type { TcpState } from '../tcp/state.js';

/**
 * What a stack reports to trace listeners: segments sent and received (with the 4-tuple they belong
 * to), dropped packets with their reason, and connection state changes with the RFC rule behind them.
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
  | { type: 'drop'; time: number; stack: string; reason: string; detail: string }
  | {
      type: 'state';
      time: number;
      stack: string;
      local: string;
      remote: string;
      from: TcpState;
      to: TcpState;
      rule: string;
    };

export type TraceListener = (event: StackTraceEvent) => void;
