/**
 * Errors of the engine. User calls that the RFC answers with "error: …" throw a {@link TcpCallError};
 * a connection that ends abnormally reports a {@link TcpErrorCode} with Node's errno names.
 */

/**
 * Why a connection ended abnormally, named as Node names the errno. The last three come from ICMP
 * Destination Unreachable messages (RFC 1122 §4.2.3.9): host or network unreachable, and
 * communication administratively prohibited.
 */
export type TcpErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'ECONNABORTED'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'EACCES';

/** The RFC 9293 §3.10 user-call errors. */
export type TcpCallErrorCode =
  | 'connection does not exist'
  | 'connection already exists'
  | 'connection closing'
  | 'remote socket unspecified'
  | 'insufficient resources'
  | 'connection reset';

/** A user call refused by the state machine, e.g. SEND after CLOSE ("error: connection closing"). */
export class TcpCallError extends Error {
  readonly code: TcpCallErrorCode;
  constructor(code: TcpCallErrorCode, call: string) {
    super(`${call}: error: ${code}`);
    this.name = 'TcpCallError';
    this.code = code;
  }
}
