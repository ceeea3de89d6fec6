import type { TcpErrorCode } from './errors.js';
import type { TcpState } from './state.js';

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
