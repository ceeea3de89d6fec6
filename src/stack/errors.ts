/** Errors a stack raises for user calls, with Node's errno codes (so sockets can pass them through). */
export type StackErrorCode =
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'ENETUNREACH'
  | 'EINVAL'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'ECONNABORTED'
  | 'EPIPE'
  | 'EMSGSIZE'
  | 'EDESTADDRREQ'
  | 'EAFNOSUPPORT'
  | 'ESHUTDOWN';

export class StackError extends Error {
  readonly code: StackErrorCode;
  constructor(code: StackErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'StackError';
    this.code = code;
  }
}
