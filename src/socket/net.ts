/**
 * A `node:net`-shaped module bound to one stack: `createNet(stack)` returns an object with
 * `createServer`, `connect`, `createConnection`, `Socket`, `Server` and the `isIP` helpers, so code
 * written against `node:net` can be pointed at a synack stack by swapping the import.
 *
 * @module
 */

import type { Stack } from '../stack/stack.js';
import { isIP, isIPv4, isIPv6 } from './address.js';
import { Server, type ServerOptions } from './server.js';
import { Socket, type SocketConnectOptions, type SocketOptions } from './socket.js';

/** Options of {@link Net.connect} / {@link Net.createConnection}: connect options plus socket options. */
export interface NetConnectOptions extends SocketConnectOptions, Omit<SocketOptions, 'stack' | 'handle' | 'pauseOnCreate'> {
  /** Idle timeout in ms, as `socket.setTimeout(timeout)`. */
  timeout?: number;
}

/** `net.createServer` options without the stack (the factory supplies it). */
export type NetServerOptions = Omit<ServerOptions, 'stack'>;

/** A `node:net`-like API bound to one {@link Stack}; see {@link createNet}. */
export interface Net {
  /** The stack every socket and server of this object uses. */
  readonly stack: Stack;
  /** Like `net.createServer(options?, connectionListener?)`. */
  createServer(connectionListener?: (socket: Socket) => void): Server;
  createServer(options?: NetServerOptions, connectionListener?: (socket: Socket) => void): Server;
  /** Like `net.connect`: a new {@link Socket}, already connecting. */
  connect(options: NetConnectOptions, connectionListener?: () => void): Socket;
  connect(port: number | string, host?: string, connectionListener?: () => void): Socket;
  connect(port: number | string, connectionListener?: () => void): Socket;
  /** Same as {@link connect}, as in `node:net`. */
  createConnection(options: NetConnectOptions, connectionListener?: () => void): Socket;
  createConnection(port: number | string, host?: string, connectionListener?: () => void): Socket;
  createConnection(port: number | string, connectionListener?: () => void): Socket;
  /** `new net.Socket(options)` bound to this stack. */
  createSocket(options?: Omit<SocketOptions, 'stack'>): Socket;
  /** The classes themselves (construct them with `{ stack }`). */
  readonly Socket: typeof Socket;
  readonly Server: typeof Server;
  isIP(input: unknown): 0 | 4 | 6;
  isIPv4(input: unknown): boolean;
  isIPv6(input: unknown): boolean;
}

/**
 * A `node:net`-like API on `stack`:
 *
 * ```ts
 * const net = createNet(stack);
 * net.createServer((s) => s.pipe(s)).listen(7);
 * const socket = net.connect(7, '10.0.0.2', () => socket.end('hello'));
 * ```
 */
export function createNet(stack: Stack): Net {
  function connect(...args: unknown[]): Socket {
    const last = args[args.length - 1];
    const listener = typeof last === 'function' ? (last as () => void) : undefined;
    const a0 = args[0];
    let options: NetConnectOptions;
    if (a0 !== null && typeof a0 === 'object') {
      options = a0 as NetConnectOptions;
    } else {
      options = { port: a0 as number | string };
      if (typeof args[1] === 'string') options.host = args[1];
    }
    const socket = new Socket({
      stack,
      ...(options.allowHalfOpen !== undefined ? { allowHalfOpen: options.allowHalfOpen } : {}),
      ...(options.noDelay !== undefined ? { noDelay: options.noDelay } : {}),
      ...(options.keepAlive !== undefined ? { keepAlive: options.keepAlive } : {}),
      ...(options.keepAliveInitialDelay !== undefined ? { keepAliveInitialDelay: options.keepAliveInitialDelay } : {}),
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
      ...(options.readableHighWaterMark !== undefined ? { readableHighWaterMark: options.readableHighWaterMark } : {}),
      ...(options.writableHighWaterMark !== undefined ? { writableHighWaterMark: options.writableHighWaterMark } : {}),
    });
    if (typeof options.timeout === 'number' && options.timeout > 0) socket.setTimeout(options.timeout);
    return listener !== undefined ? socket.connect(options, listener) : socket.connect(options);
  }

  function createServer(...args: unknown[]): Server {
    const a0 = args[0];
    if (typeof a0 === 'function') return new Server({ stack }, a0 as (socket: Socket) => void);
    const options = (a0 ?? {}) as NetServerOptions;
    return new Server({ ...options, stack }, args[1] as ((socket: Socket) => void) | undefined);
  }

  return {
    stack,
    createServer: createServer as Net['createServer'],
    connect: connect as Net['connect'],
    createConnection: connect as Net['createConnection'],
    createSocket: (options = {}) => new Socket({ ...options, stack }),
    Socket,
    Server,
    isIP,
    isIPv4,
    isIPv6,
  };
}
