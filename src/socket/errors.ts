/**
 * Errors shaped like Node's: system errors carry `code`, `errno`, `syscall` (and `address`/`port`
 * where Node adds them) with Node's message formats, so code written against `node:net` — including
 * Node's own `http` module — recognises them.
 *
 * @module
 */

/**
 * Linux errno numbers of the codes a stack can report. Node's `err.errno` is libuv's negated errno;
 * a fixed table (rather than `os.constants`) keeps the values the same on every platform and in
 * bundlers without `node:os`.
 */
const ERRNO: Readonly<Record<string, number>> = {
  EBADF: 9,
  EACCES: 13,
  EPIPE: 32,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EAFNOSUPPORT: 97,
  EINVAL: 22,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
};

/** libuv's descriptions, used by Node in `listen` errors ("listen EADDRINUSE: address already in use …"). */
const DESCRIPTION: Readonly<Record<string, string>> = {
  EBADF: 'bad file descriptor',
  EACCES: 'permission denied',
  EPIPE: 'broken pipe',
  EDESTADDRREQ: 'destination address required',
  EMSGSIZE: 'message too long',
  EAFNOSUPPORT: 'address family not supported',
  EINVAL: 'invalid argument',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  ENETUNREACH: 'network is unreachable',
  ECONNABORTED: 'software caused connection abort',
  ECONNRESET: 'connection reset by peer',
  ENOTCONN: 'socket is not connected',
  ESHUTDOWN: 'cannot send after transport endpoint shutdown',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host is unreachable',
  ENOTFOUND: 'name not found',
};

/** A Node-style system error (`NodeJS.ErrnoException` with address and port). */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  address?: string;
  port?: number;
}

/**
 * A system error like Node's `ErrnoException` / `ExceptionWithHostPort`:
 * `"connect ECONNREFUSED 10.0.0.2:80"`, `"read ECONNRESET"`.
 */
export function systemError(code: string, syscall: string, address?: string, port?: number): SystemError {
  let message = `${syscall} ${code}`;
  if (address !== undefined) message += port !== undefined && port > 0 ? ` ${address}:${port}` : ` ${address}`;
  return decorate(new Error(message), code, syscall, address, port);
}

/**
 * A system error like Node's `UVExceptionWithHostPort`, used for `listen`:
 * `"listen EADDRINUSE: address already in use 0.0.0.0:80"`.
 */
export function uvSystemError(code: string, syscall: string, address?: string, port?: number): SystemError {
  let message = `${syscall} ${code}: ${DESCRIPTION[code] ?? 'unknown error'}`;
  if (address !== undefined) message += port !== undefined ? ` ${address}:${port}` : ` ${address}`;
  return decorate(new Error(message), code, syscall, address, port);
}

function decorate(err: Error, code: string, syscall: string, address?: string, port?: number): SystemError {
  const e = err as SystemError;
  // Node puts errno first, then code and syscall; ENOTFOUND is a getaddrinfo error whose errno Node leaves unset.
  e.errno = ERRNO[code] !== undefined ? -ERRNO[code]! : 0;
  e.code = code;
  e.syscall = syscall;
  if (address !== undefined) e.address = address;
  if (port !== undefined) e.port = port;
  return e;
}

/** An error with one of Node's internal `ERR_*` codes (`ERR_SOCKET_CLOSED`, `ERR_SERVER_NOT_RUNNING`, …). */
export interface CodedError extends Error {
  code: string;
}

/** Node's `ERR_*` errors: message as Node words it, `code` set, and the code shown in `name` like Node does. */
export function codedError(code: string, message: string, ErrorClass: ErrorConstructor = Error): CodedError {
  const e = new ErrorClass(message) as CodedError;
  e.code = code;
  // Node's internal errors print as "Error [ERR_X]: message".
  Object.defineProperty(e, 'name', { value: `${ErrorClass.name} [${code}]`, configurable: true, writable: true });
  e.stack; // materialise the stack with the decorated name
  Object.defineProperty(e, 'name', { value: ErrorClass.name, configurable: true, writable: true });
  return e;
}
