/**
 * A `node:net`-compatible server over a synack {@link Stack}.
 *
 * @module
 */

import { EventEmitter } from 'node:events';
import type { Stack } from '../stack/stack.js';
import { StackError } from '../stack/errors.js';
import type { TcpHandle, TcpListener } from '../stack/tcp-handle.js';
import { familyOf, isWildcard, resolveHost, validatePort } from './address.js';
import { codedError, systemError, uvSystemError } from './errors.js';
import { Socket, socketDestroyHooks, type AddressInfo } from './socket.js';

/** Options of the {@link Server} constructor (those of `net.createServer`, plus the stack). */
export interface ServerOptions {
  /** The stack to listen on. */
  stack: Stack;
  /** Passed to accepted sockets (default false: they end their side when the peer ends). */
  allowHalfOpen?: boolean;
  /** Accepted sockets do not read until `resume()` (default false). */
  pauseOnConnect?: boolean;
  /** `setNoDelay(true)` on accepted sockets. */
  noDelay?: boolean;
  /** `setKeepAlive(true, keepAliveInitialDelay)` on accepted sockets. */
  keepAlive?: boolean;
  /** Keep-alive delay in ms for accepted sockets. */
  keepAliveInitialDelay?: number;
  /** Stream buffer size of accepted sockets, both directions. */
  highWaterMark?: number;
}

/** Options of {@link Server.listen}. */
export interface ServerListenOptions {
  /** Port to listen on; 0 or omitted picks an ephemeral port. */
  port?: number | string;
  /** Local address; every address of both families when omitted or `::`, every IPv4 address for `0.0.0.0`. */
  host?: string;
  /** Accept-queue length (default 511, as in Node). */
  backlog?: number;
}

/** What a `'drop'` event carries (a connection refused by {@link Server.maxConnections}). */
export interface DropArgument {
  localAddress: string;
  localPort: number;
  localFamily: 'IPv4' | 'IPv6';
  remoteAddress: string;
  remotePort: number;
  remoteFamily: 'IPv4' | 'IPv6';
}

type ListenArgs =
  | [options?: ServerListenOptions, listeningListener?: () => void]
  | [port?: number | string, host?: string, backlog?: number, listeningListener?: () => void]
  | [port?: number | string, host?: string, listeningListener?: () => void]
  | [port?: number | string, backlog?: number, listeningListener?: () => void]
  | [port?: number | string, listeningListener?: () => void]
  | [listeningListener?: () => void];

/**
 * A TCP server mirroring `node:net.Server`: `'listening'` (asynchronously, after {@link listen}),
 * `'connection'` (with a {@link Socket}), `'error'` (`EADDRINUSE`, …), `'close'` (after
 * {@link close}, once every accepted connection has closed) and `'drop'`.
 *
 * Connections wait in the stack's accept queue until the server takes them, on the next tick after
 * the stack signals them, so user code never runs inside the stack's own processing.
 */
export class Server extends EventEmitter {
  /** Refuse connections beyond this many (a `'drop'` event, and the connection is closed). */
  maxConnections: number | undefined = undefined;
  readonly allowHalfOpen: boolean;
  readonly pauseOnConnect: boolean;
  readonly noDelay: boolean;
  readonly keepAlive: boolean;
  readonly keepAliveInitialDelay: number;
  readonly highWaterMark: number | undefined;

  readonly #stack: Stack;
  #listener: TcpListener | undefined;
  #connections = 0;
  #acceptScheduled = false;

  /** `new Server({ stack, ...options }, connectionListener?)`, like `new net.Server(options, listener)`. */
  constructor(options: ServerOptions, connectionListener?: (socket: Socket) => void) {
    super();
    if (options === null || typeof options !== 'object' || options.stack === undefined) {
      throw new TypeError('Server: options.stack is required');
    }
    this.#stack = options.stack;
    this.allowHalfOpen = Boolean(options.allowHalfOpen);
    this.pauseOnConnect = Boolean(options.pauseOnConnect);
    this.noDelay = Boolean(options.noDelay);
    this.keepAlive = Boolean(options.keepAlive);
    this.keepAliveInitialDelay = Math.max(0, Number(options.keepAliveInitialDelay ?? 0) || 0);
    this.highWaterMark = options.highWaterMark;
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  /** The stack this server listens on. */
  get stack(): Stack {
    return this.#stack;
  }

  /**
   * Start listening, like `net.Server#listen`: `listen(port?, host?, backlog?, cb?)` or
   * `listen({ port, host, backlog }, cb?)`. `'listening'` is emitted on the next tick; failures
   * (`EADDRINUSE`, `EADDRNOTAVAIL`) arrive as `'error'`, also asynchronously.
   */
  listen(options?: ServerListenOptions, listeningListener?: () => void): this;
  listen(port?: number | string, host?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, host?: string, listeningListener?: () => void): this;
  listen(port?: number | string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, listeningListener?: () => void): this;
  listen(listeningListener?: () => void): this;
  listen(...args: ListenArgs): this {
    const { options, callback } = normalizeListenArgs(args);
    if (callback !== undefined) this.once('listening', callback);
    if (this.#listener !== undefined) {
      throw codedError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    }
    const port = options.port === undefined || options.port === null ? 0 : validatePort(options.port);
    const host = options.host;
    let address: string | undefined;
    if (host === '0.0.0.0') {
      address = host; // IPv4 only, as in Node
    } else if (!isWildcard(host)) {
      address = resolveHost(host!);
      if (address === undefined) {
        const err = systemError('ENOTFOUND', 'getaddrinfo', host);
        process.nextTick(() => this.emit('error', err));
        return this;
      }
    }
    const backlog = options.backlog !== undefined && Number(options.backlog) > 0 ? Math.floor(Number(options.backlog)) : undefined;
    let listener: TcpListener;
    try {
      listener = this.#stack.listen({
        port,
        ...(address !== undefined ? { address } : {}),
        ...(backlog !== undefined ? { backlog } : {}),
      });
    } catch (e) {
      if (!(e instanceof StackError)) throw e;
      const err = uvSystemError(e.code, 'listen', address ?? '::', port);
      process.nextTick(() => this.emit('error', err));
      return this;
    }
    this.#listener = listener;
    listener.onAcceptable = () => this.#scheduleAccept();
    process.nextTick(() => {
      // Closed again before the tick: no 'listening', as in Node.
      if (this.#listener === listener) this.emit('listening');
    });
    return this;
  }

  #scheduleAccept(): void {
    if (this.#acceptScheduled) return;
    this.#acceptScheduled = true;
    process.nextTick(() => {
      this.#acceptScheduled = false;
      const listener = this.#listener;
      let h: TcpHandle | undefined;
      while (this.#listener === listener && listener !== undefined && (h = listener.accept()) !== undefined) {
        this.#onConnection(h);
      }
    });
  }

  #onConnection(h: TcpHandle): void {
    if (this.maxConnections !== undefined && this.maxConnections > 0 && this.#connections >= this.maxConnections) {
      const drop: DropArgument = {
        localAddress: h.localAddress,
        localPort: h.localPort,
        localFamily: familyOf(h.localAddress),
        remoteAddress: h.remoteAddressString,
        remotePort: h.remotePort,
        remoteFamily: familyOf(h.remoteAddressString),
      };
      this.emit('drop', drop);
      closeUnwanted(h);
      return;
    }
    const socket = new Socket({
      handle: h,
      allowHalfOpen: this.allowHalfOpen,
      pauseOnCreate: this.pauseOnConnect,
      noDelay: this.noDelay,
      keepAlive: this.keepAlive,
      keepAliveInitialDelay: this.keepAliveInitialDelay,
      ...(this.highWaterMark !== undefined ? { highWaterMark: this.highWaterMark } : {}),
    });
    this.#connections++;
    socket.server = this;
    socketDestroyHooks.set(socket, () => {
      this.#connections--;
      this.#emitCloseIfDrained();
    });
    this.emit('connection', socket);
  }

  /**
   * Stop accepting connections, like `net.Server#close`: the port is released at once (connections
   * still in the accept queue are reset); `'close'` follows once every accepted socket has closed.
   * `callback` gets `ERR_SERVER_NOT_RUNNING` if the server was not listening.
   */
  close(callback?: (err?: Error) => void): this {
    if (typeof callback === 'function') {
      if (this.#listener === undefined) {
        this.once('close', () => callback(codedError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      } else {
        this.once('close', callback);
      }
    }
    const listener = this.#listener;
    if (listener !== undefined) {
      this.#listener = undefined;
      listener.onAcceptable = undefined;
      listener.close();
    }
    this.#emitCloseIfDrained();
    return this;
  }

  #emitCloseIfDrained(): void {
    if (this.#listener !== undefined || this.#connections > 0) return;
    process.nextTick(() => this.emit('close'));
  }

  /** Bound address, like `net.Server#address` (null when not listening). */
  address(): AddressInfo | null {
    const l = this.#listener;
    if (l === undefined) return null;
    return { address: l.address, family: familyOf(l.address), port: l.port };
  }

  /** Whether the server is listening. */
  get listening(): boolean {
    return this.#listener !== undefined;
  }

  /** Number of accepted sockets not yet destroyed, passed to `callback` asynchronously. */
  getConnections(callback: (err: Error | null, count: number) => void): this {
    const n = this.#connections;
    process.nextTick(() => callback(null, n));
    return this;
  }

  /** No-op (no event loop handle); returns the server. */
  ref(): this {
    return this;
  }

  /** No-op (no event loop handle); returns the server. */
  unref(): this {
    return this;
  }

  /** `await using`-style disposal: close if listening. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#listener === undefined) return;
    await new Promise<void>((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
  }
}

/**
 * A connection refused by `maxConnections`: closed with FIN (Node closes the accepted fd), and reset
 * if the peer sends data anyway — what a kernel does for data reaching a closed socket.
 */
function closeUnwanted(h: TcpHandle): void {
  h.setEventListener((ev) => {
    if (ev.type === 'readable' && h.state !== 'CLOSED') h.abort();
  });
  if (h.state !== 'CLOSED') {
    if (h.readableLength > 0) h.abort();
    else h.close();
  }
}

function normalizeListenArgs(args: unknown[]): { options: ServerListenOptions; callback: (() => void) | undefined } {
  const rest = [...args];
  let callback: (() => void) | undefined;
  if (typeof rest[rest.length - 1] === 'function') callback = rest.pop() as () => void;
  const a0 = rest[0];
  if (a0 !== null && typeof a0 === 'object') return { options: a0 as ServerListenOptions, callback };
  const options: ServerListenOptions = {};
  if (a0 !== undefined && a0 !== null) options.port = a0 as number | string;
  // listen(port, host, backlog) or listen(port, backlog)
  for (const a of rest.slice(1)) {
    if (typeof a === 'string' && options.host === undefined) options.host = a;
    else if (typeof a === 'number' && options.backlog === undefined) options.backlog = a;
  }
  return { options, callback };
}
