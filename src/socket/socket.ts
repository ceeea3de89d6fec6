/**
 * A `node:net`-compatible socket over a synack {@link Stack}: a `stream.Duplex` whose bytes travel
 * through one TCP connection of the stack. Node's own `http` module runs over it unmodified.
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { Duplex } from 'node:stream';
import type { Stack } from '../stack/stack.js';
import { StackError } from '../stack/errors.js';
import type { TcpHandle } from '../stack/tcp-handle.js';
import type { ConnectionEvent } from '../tcp/events.js';
import { familyOf, resolveHost, validatePort } from './address.js';
import { codedError, systemError, type SystemError } from './errors.js';

/** Options of the {@link Socket} constructor. */
export interface SocketOptions {
  /**
   * Keep the writable side open after the peer's FIN (default false: like `node:net`, the socket
   * then ends its own side automatically once the readable side has ended).
   */
  allowHalfOpen?: boolean;
  /** The stack to open connections on (needed by {@link Socket.connect} and {@link Socket.setTimeout}). */
  stack?: Stack;
  /** An existing connection (e.g. accepted from a listener) to wrap; the socket is then already open. */
  handle?: TcpHandle;
  /** With `handle`: do not start reading until `resume()` (what `Server`'s `pauseOnConnect` uses). */
  pauseOnCreate?: boolean;
  /** Initial {@link Socket.setNoDelay} (default false). */
  noDelay?: boolean;
  /** Initial {@link Socket.setKeepAlive} (default false). */
  keepAlive?: boolean;
  /** Initial keep-alive delay in ms. */
  keepAliveInitialDelay?: number;
  /** Stream buffer sizes, as for any `stream.Duplex`. */
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

/** Options of {@link Socket.connect}, as `node:net` takes them (TCP over IPv4 or IPv6). */
export interface SocketConnectOptions {
  /** Remote port. */
  port: number | string;
  /** Remote IPv4 or IPv6 address (or `localhost`; there is no DNS). Default `localhost`, as in Node. */
  host?: string;
  /** Local address to bind (one of the stack's addresses). */
  localAddress?: string;
  /** Local port to bind (an ephemeral port when omitted). */
  localPort?: number;
  /** Accepted for compatibility; the family follows the address. */
  family?: number;
  /** IPC paths are not supported; a non-empty value throws. */
  path?: string | null;
  /** Other properties (e.g. those Node's `http` passes along) are ignored. */
  [key: string]: unknown;
}

/** What {@link Socket.address} and `Server.address()` return. */
export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** @internal Called once when a socket is destroyed (the server's connection count). */
export const socketDestroyHooks = new WeakMap<Socket, () => void>();

/** Linux `tcp_fin_timeout`: how long an orphaned connection may sit in FIN-WAIT-2. */
const ORPHAN_FIN_TIMEOUT = 60_000;

/** The remainder of one `_write`/`_writev` call that did not fit in the send buffer yet. */
interface PendingWrite {
  chunks: Uint8Array[];
  index: number;
  offset: number;
  callback: (error?: Error | null) => void;
}

type ConnectArgs =
  | [options: SocketConnectOptions, connectListener?: () => void]
  | [port: number | string, host?: string, connectListener?: () => void]
  | [port: number | string, connectListener?: () => void];

/** States in which our FIN has been queued: the writable side is closed at the TCP level. */
const FIN_QUEUED = new Set(['FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT']);

/**
 * A TCP socket mirroring `node:net.Socket` on a synack {@link Stack}.
 *
 * - Events: `'connect'`, `'ready'`, `'data'`, `'end'`, `'close'` (with `hadError`), `'error'`,
 *   `'timeout'`, `'drain'`, `'finish'`.
 * - Writing fills the connection's send buffer; a write that does not fit is completed when
 *   acknowledgments free space, so `write()` returns false past `writableHighWaterMark` and
 *   `'drain'` follows, exactly as in Node.
 * - Reading pulls from the connection's receive buffer only while the stream wants data; a paused
 *   reader therefore closes the TCP receive window (flow control end to end).
 * - `end()` sends FIN after the queued data; `destroy()` on a socket whose writable side is still
 *   open sends RST (see {@link Socket.destroy}); {@link Socket.resetAndDestroy} always does.
 *
 * Every stack call happens synchronously in Node's event loop; the stack's runtime supplies time.
 */
export class Socket extends Duplex {
  /** True from {@link connect} until the connection is established or fails. */
  connecting = false;
  /** The server that accepted this socket, if any (as in `node:net`). */
  server: unknown = null;

  #stack: Stack | undefined;
  #handle: TcpHandle | undefined;
  /** The stream asked for data and has not been refused by `push()` since. */
  #wantRead = false;
  #pulling = false;
  /** The peer's FIN arrived (the engine's `eof`). */
  #eof = false;
  /** `push(null)` was done. */
  #readEnded = false;
  #pending: PendingWrite | undefined;
  #flushing = false;
  #flushAgain = false;
  /** `_final` called while still connecting. */
  #finalCallback: ((error?: Error | null) => void) | undefined;
  /** Ask `_destroy` to reset the connection whatever its state. */
  #resetOnDestroy = false;
  #bytesRead = 0;
  /** Bytes accepted by the engine. */
  #bytesDispatched = 0;
  /** Bytes of the current `_write` already accepted (counted in both the above and `writableLength`). */
  #currentAccepted = 0;
  #noDelay: boolean;
  #keepAlive: boolean;
  #keepAliveInitialDelay: number;
  #peer: AddressInfo | undefined;
  #local: AddressInfo | undefined;
  // Idle timeout: one runtime timer, re-armed lazily from the time of the last activity.
  #timeoutMs = 0;
  #lastActivity = 0;
  #cancelTimer: (() => void) | undefined;
  #cancelOrphanTimer: (() => void) | undefined;

  constructor(options: SocketOptions = {}) {
    super({
      allowHalfOpen: Boolean(options.allowHalfOpen),
      // As node:net: 'close' is emitted by the socket itself, with hadError, once the connection is gone.
      emitClose: false,
      autoDestroy: true,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
      ...(options.readableHighWaterMark !== undefined ? { readableHighWaterMark: options.readableHighWaterMark } : {}),
      ...(options.writableHighWaterMark !== undefined ? { writableHighWaterMark: options.writableHighWaterMark } : {}),
    });
    this.#stack = options.stack ?? options.handle?.stack;
    this.#noDelay = Boolean(options.noDelay);
    this.#keepAlive = Boolean(options.keepAlive);
    this.#keepAliveInitialDelay = Math.max(0, Number(options.keepAliveInitialDelay ?? 0) || 0);
    // As node:net: once the readable side has ended without allowHalfOpen, later writes fail with EPIPE.
    this.on('end', onReadableStreamEnd);
    if (options.handle !== undefined) {
      this.#attach(options.handle);
      this.#applyTuning();
      if (options.pauseOnCreate) {
        this.pause();
      } else {
        this.read(0); // start the flow of data into the buffer, as node:net does for accepted sockets
      }
    }
  }

  // ───────────────────────────── connecting ─────────────────────────────

  /**
   * Open a connection, like `net.Socket#connect`: `connect(port, host?, listener?)` or
   * `connect({ port, host, localAddress, localPort }, listener?)`. `'connect'` (then `'ready'`)
   * follows the handshake; failures (`ECONNREFUSED`, `ETIMEDOUT`, `ENETUNREACH`, …) arrive as
   * `'error'`, asynchronously.
   */
  connect(options: SocketConnectOptions, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(...args: ConnectArgs): this {
    const [options, listener] = normalizeConnectArgs(args);
    if (listener !== undefined) this.once('connect', listener);
    if (options.path) {
      throw codedError('ERR_INVALID_ARG_VALUE', "The argument 'options.path' is not supported: synack sockets are TCP only", TypeError);
    }
    if (options.port === undefined || options.port === null) {
      throw codedError('ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified', TypeError);
    }
    const port = validatePort(options.port);
    if (this.#handle !== undefined || this.destroyed) {
      // Re-connecting a used socket (Node allows it after destroy) is not supported: the stream state is spent.
      throw codedError('ERR_SOCKET_CONNECTING', 'Socket is already connecting or connected (re-connecting a used socket is not supported)', Error);
    }
    const stack = this.#stack;
    if (stack === undefined) throw new TypeError('Socket.connect: this socket has no stack (pass { stack } to the constructor)');
    this.connecting = true;
    this.#touch();
    const host = typeof options.host === 'string' && options.host !== '' ? options.host : 'localhost';
    const remoteAddress = resolveHost(host);
    if (remoteAddress === undefined) {
      // There is no DNS: a name that is not an address fails like a failed lookup.
      const err = systemError('ENOTFOUND', 'getaddrinfo', host);
      (err as SystemError & { hostname: string }).hostname = host;
      process.nextTick(() => this.destroy(err));
      return this;
    }
    let handle: TcpHandle;
    try {
      handle = stack.connect({
        remoteAddress,
        remotePort: port,
        ...(typeof options.localAddress === 'string' && options.localAddress !== '' ? { localAddress: options.localAddress } : {}),
        ...(options.localPort !== undefined && options.localPort !== null ? { localPort: validatePort(options.localPort, 'localPort') } : {}),
      });
    } catch (e) {
      if (!(e instanceof StackError)) throw e;
      // Like node:net, errors from the connect call itself are emitted asynchronously.
      const err = systemError(e.code, 'connect', remoteAddress, port);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    this.#attach(handle);
    return this;
  }

  #attach(handle: TcpHandle): void {
    this.#handle = handle;
    this.#local = { address: handle.localAddress, family: familyOf(handle.localAddress), port: handle.localPort };
    if (handle.state !== 'SYN-SENT') this.#rememberPeer();
    // Replays anything that happened before (an accepted connection may already have data or a FIN).
    handle.setEventListener((ev) => this.#onEvent(ev));
  }

  #rememberPeer(): void {
    const h = this.#handle!;
    this.#peer = { address: h.remoteAddressString, family: familyOf(h.remoteAddressString), port: h.remotePort };
  }

  #onEvent(ev: ConnectionEvent): void {
    if (this.destroyed) return this.#onOrphanEvent(ev);
    switch (ev.type) {
      case 'established':
        if (this.connecting) this.#onConnected();
        return;
      case 'readable':
        this.#pull();
        return;
      case 'eof':
        this.#eof = true;
        this.#pull();
        return;
      case 'writable':
        this.#flushWrites();
        return;
      case 'error': {
        const connecting = this.connecting;
        const peer = this.#peer ?? { address: this.#handle!.remoteAddressString, port: this.#handle!.remotePort };
        const err = connecting ? systemError(ev.code, 'connect', peer.address, peer.port) : systemError(ev.code, 'read');
        this.destroy(err);
        return;
      }
      case 'closed':
        this.#onEngineClosed();
        return;
      default:
        return;
    }
  }

  #onConnected(): void {
    this.connecting = false;
    this.#rememberPeer();
    this.#applyTuning();
    this.#touch();
    this.emit('connect');
    this.emit('ready');
    if (this.destroyed) return;
    // Work that waited for the handshake: queued writes, a pending end(), reading.
    this.#flushWrites();
    const final = this.#finalCallback;
    if (final !== undefined) {
      this.#finalCallback = undefined;
      this._final(final);
    }
    if (!this.isPaused()) this.read(0);
    this.#pull();
  }

  /** The TCB was deleted without an error: after our FIN was acknowledged, or TIME-WAIT ended. */
  #onEngineClosed(): void {
    if (this.#pending !== undefined) {
      // Cannot happen while writes are outstanding (the FIN comes after them), but never hang a callback.
      const p = this.#pending;
      this.#pending = undefined;
      p.callback(systemError('EPIPE', 'write'));
    }
    if (!this.#eof) {
      this.#eof = true;
      this.#pull();
    }
  }

  // ───────────────────────────── reading ─────────────────────────────

  /** @internal Stream hook: the consumer wants data. */
  override _read(): void {
    this.#wantRead = true;
    this.#pull();
  }

  /**
   * Move bytes from the connection's receive buffer into the stream while it wants them. Bytes left
   * behind keep the TCP window closed until the next `_read`.
   */
  #pull(): void {
    const h = this.#handle;
    if (h === undefined || this.connecting || this.#readEnded || this.#pulling) return;
    this.#pulling = true;
    try {
      while (this.#wantRead && !this.destroyed && h.readableLength > 0) {
        const data = h.receive();
        if (data.length === 0) break;
        this.#bytesRead += data.length;
        this.#touch();
        // The receive buffer hands over views of arrived segments, owned by us from here on: no copy.
        if (!this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) this.#wantRead = false;
      }
      if (this.#eof && !this.destroyed && h.readableLength === 0) {
        this.#readEnded = true;
        this.push(null);
      }
    } finally {
      this.#pulling = false;
    }
  }

  // ───────────────────────────── writing ─────────────────────────────

  /** @internal Stream hook. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#queueWrite([chunk], callback);
  }

  /** @internal Stream hook: several buffered chunks at once (after `cork()` or while a write was pending). */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    this.#queueWrite(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  #queueWrite(chunks: Uint8Array[], callback: (error?: Error | null) => void): void {
    if (this.#handle === undefined && !this.connecting) {
      callback(codedError('ERR_SOCKET_CLOSED', 'Socket is closed'));
      return;
    }
    this.#pending = { chunks, index: 0, offset: 0, callback };
    this.#currentAccepted = 0;
    this.#touch();
    // While connecting the engine would accept the bytes too, but node:net holds them until 'connect'.
    if (!this.connecting) this.#flushWrites();
  }

  /**
   * Offer the pending write to the send buffer; complete it once every byte is queued. Called again on
   * every `writable` event (an acknowledgment freed space).
   */
  #flushWrites(): void {
    if (this.#flushing) {
      // Re-entered, e.g. completing a write made the stream hand over its next buffered chunks at once.
      this.#flushAgain = true;
      return;
    }
    this.#flushing = true;
    try {
      do {
        this.#flushAgain = false;
        this.#flushOnce();
      } while (this.#flushAgain);
    } finally {
      this.#flushing = false;
    }
  }

  #flushOnce(): void {
    const p = this.#pending;
    const h = this.#handle;
    if (p === undefined || h === undefined || this.connecting || this.destroyed) return;
    while (p.index < p.chunks.length) {
      const chunk = p.chunks[p.index]!;
      const rest = p.offset === 0 ? chunk : chunk.subarray(p.offset);
      let n: number;
      try {
        n = rest.length === 0 ? 0 : h.send(rest); // the send buffer copies: the caller may reuse its chunk
      } catch (e) {
        this.#pending = undefined;
        p.callback(this.#writeError(e));
        return;
      }
      if (n > 0) {
        this.#bytesDispatched += n;
        this.#currentAccepted += n;
        this.#touch();
      }
      if (n < rest.length) {
        p.offset += n;
        return; // the send buffer is full: wait for 'writable'
      }
      p.index++;
      p.offset = 0;
    }
    this.#pending = undefined;
    this.#currentAccepted = 0;
    p.callback();
  }

  #writeError(e: unknown): Error {
    // SEND refused by the state machine ("connection closing"/"does not exist"): Node reports EPIPE.
    const err = systemError('EPIPE', 'write');
    (err as Error & { cause?: unknown }).cause = e;
    return err;
  }

  /** @internal Stream hook: all writes are queued; send FIN after them. */
  override _final(callback: (error?: Error | null) => void): void {
    if (this.connecting) {
      this.#finalCallback = callback;
      return;
    }
    const h = this.#handle;
    if (h !== undefined && h.state !== 'CLOSED') {
      try {
        h.close();
      } catch {
        // Already closing (e.g. reset meanwhile): like ENOTCONN from shutdown(), nothing left to do.
      }
    }
    callback();
  }

  // ───────────────────────────── closing ─────────────────────────────

  /**
   * @internal Stream hook behind `destroy()`. A connection whose writable side is still open is reset
   * (RST), as this project's sockets specify; after `end()` (our FIN queued) it is left to finish its
   * close in the stack, like a closed file descriptor in a kernel — unless data is still unread or
   * {@link resetAndDestroy} asked for a reset.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const wasConnecting = this.connecting;
    this.connecting = false;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    const h = this.#handle;
    if (h !== undefined && h.state !== 'CLOSED') {
      const graceful = !this.#resetOnDestroy && FIN_QUEUED.has(h.state) && h.readableLength === 0;
      if (graceful) this.#orphan(h);
      else h.abort();
    }
    const p = this.#pending;
    if (p !== undefined) {
      // Like node:net: a write held for the handshake fails; one cut short later completes without
      // an error of its own (the socket's error, if any, is reported by 'error').
      this.#pending = undefined;
      const err = wasConnecting ? codedError('ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'Socket closed before the connection was established') : undefined;
      process.nextTick(() => p.callback(err));
    }
    this.#finalCallback = undefined;
    callback(error);
    const hadError = error !== null && error !== undefined;
    // After the 'error' that callback() schedules, like node:net's close callback.
    process.nextTick(() => this.emit('close', hadError));
    const hook = socketDestroyHooks.get(this);
    if (hook !== undefined) {
      socketDestroyHooks.delete(this);
      hook();
    }
  }

  /**
   * The socket is gone but its connection is still closing in the stack. As in Linux, data arriving
   * for it resets the connection, and FIN-WAIT-2 is given up after `tcp_fin_timeout`.
   */
  #orphan(h: TcpHandle): void {
    const runtime = h.stack.runtime;
    const check = (): void => {
      this.#cancelOrphanTimer = undefined;
      if (h.state === 'FIN-WAIT-2') h.abort();
      else if (h.state === 'FIN-WAIT-1') this.#cancelOrphanTimer = runtime.setTimer(runtime.now() + ORPHAN_FIN_TIMEOUT, check);
    };
    if (h.state === 'FIN-WAIT-1' || h.state === 'FIN-WAIT-2') {
      this.#cancelOrphanTimer = runtime.setTimer(runtime.now() + ORPHAN_FIN_TIMEOUT, check);
    }
  }

  #onOrphanEvent(ev: ConnectionEvent): void {
    const h = this.#handle;
    if (h === undefined) return;
    if (ev.type === 'readable' && h.state !== 'CLOSED') {
      h.abort(); // data for a closed socket: RST, as Linux does
    } else if (ev.type === 'closed') {
      this.#cancelOrphanTimer?.();
      this.#cancelOrphanTimer = undefined;
    }
  }

  /**
   * Like `net.Socket#resetAndDestroy` (Node 16.17+): destroy the socket and reset the connection with
   * RST whatever its state.
   */
  resetAndDestroy(): this {
    if (this.#handle === undefined && !this.connecting) {
      this.destroy(codedError('ERR_SOCKET_CLOSED', 'Socket is closed'));
    } else if (this.connecting) {
      this.once('connect', () => this.resetAndDestroy());
    } else {
      this.#resetOnDestroy = true;
      this.destroy();
    }
    return this;
  }

  /** Like `net.Socket#destroySoon`: end, then destroy once everything is written. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // ───────────────────────────── timeouts and options ─────────────────────────────

  /**
   * Like `net.Socket#setTimeout`: emit `'timeout'` after `ms` of inactivity (no bytes read or
   * written), on the stack runtime's clock (virtual time in a simulation). `0` disables it. The
   * socket is not closed; that is up to the listener. Needs a stack.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
      throw codedError('ERR_OUT_OF_RANGE', `The value of "msecs" is out of range. It must be a non-negative finite number. Received ${String(ms)}`, RangeError);
    }
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timeoutMs = ms;
    if (ms > 0 && !this.destroyed) {
      const runtime = this.#runtime();
      this.#lastActivity = runtime.now();
      this.#armTimer(this.#lastActivity + ms);
    }
    return this;
  }

  /** The idle timeout set by {@link setTimeout}, in ms (0 when none), like `socket.timeout` in Node. */
  get timeout(): number | undefined {
    return this.#timeoutMs > 0 ? this.#timeoutMs : undefined;
  }

  #runtime(): Stack['runtime'] {
    const stack = this.#stack ?? this.#handle?.stack;
    if (stack === undefined) throw new TypeError('Socket.setTimeout: this socket has no stack to take time from');
    return stack.runtime;
  }

  #armTimer(at: number): void {
    this.#cancelTimer = this.#runtime().setTimer(at, () => {
      this.#cancelTimer = undefined;
      if (this.destroyed || this.#timeoutMs === 0) return;
      const due = this.#lastActivity + this.#timeoutMs;
      if (this.#runtime().now() >= due) this.emit('timeout');
      else this.#armTimer(due); // activity since arming: re-arm lazily from the last one
    });
  }

  /** Record activity for the idle timeout; arms the timer again if it fired since. */
  #touch(): void {
    if (this.#timeoutMs === 0 || this.destroyed) return;
    const stack = this.#stack ?? this.#handle?.stack;
    if (stack === undefined) return;
    this.#lastActivity = stack.runtime.now();
    if (this.#cancelTimer === undefined) this.#armTimer(this.#lastActivity + this.#timeoutMs);
  }

  /**
   * Like `net.Socket#setNoDelay` (default `true` when called without argument): turns the engine's
   * Nagle algorithm (RFC 9293 §3.7.4) off, or back on with `false`.
   */
  setNoDelay(noDelay = true): this {
    this.#noDelay = Boolean(noDelay);
    this.#handle?.setNoDelay(this.#noDelay);
    return this;
  }

  /**
   * Like `net.Socket#setKeepAlive`: keep-alive probes (RFC 9293 §3.8.4) after `initialDelay` ms of
   * idleness (0 keeps the previous or default delay, 7200 s), then every 75 s, 9 at most.
   */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#keepAlive = Boolean(enable);
    this.#keepAliveInitialDelay = Math.max(0, Number(initialDelay) || 0);
    this.#handle?.setKeepAlive(this.#keepAlive, this.#keepAliveInitialDelay);
    return this;
  }

  #applyTuning(): void {
    const h = this.#handle;
    if (h === undefined) return;
    if (this.#noDelay) h.setNoDelay(true);
    if (this.#keepAlive) h.setKeepAlive(true, this.#keepAliveInitialDelay);
  }

  /** The last {@link setNoDelay} setting. */
  get noDelay(): boolean {
    return this.#noDelay;
  }

  /** The last {@link setKeepAlive} setting. */
  get keepAlive(): boolean {
    return this.#keepAlive;
  }

  /** The last keep-alive initial delay, in ms. */
  get keepAliveInitialDelay(): number {
    return this.#keepAliveInitialDelay;
  }

  /** No-op (there is no event loop handle to keep alive); returns the socket, as Node does. */
  ref(): this {
    return this;
  }

  /** No-op (see {@link ref}). */
  unref(): this {
    return this;
  }

  // ───────────────────────────── introspection ─────────────────────────────

  /** The underlying stack connection, once connecting or accepted. */
  get handle(): TcpHandle | undefined {
    return this.#handle;
  }

  /** The stack this socket uses. */
  get stack(): Stack | undefined {
    return this.#stack;
  }

  /** Local address, family and port, like `net.Socket#address` (`{}` before connecting). */
  address(): AddressInfo | Record<string, never> {
    return this.#local !== undefined ? { ...this.#local } : {};
  }

  /** Local address (kept after close, unlike Node, which forgets it on destroy). */
  get localAddress(): string | undefined {
    return this.#local?.address;
  }

  /** Local port. */
  get localPort(): number | undefined {
    return this.#local?.port;
  }

  /** `'IPv4'` or `'IPv6'` once bound. */
  get localFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.#local?.family;
  }

  /** The peer's address (undefined until connected; kept after close). */
  get remoteAddress(): string | undefined {
    return this.#peer?.address;
  }

  /** The peer's port (undefined until connected). */
  get remotePort(): number | undefined {
    return this.#peer?.port;
  }

  /** `'IPv4'` or `'IPv6'` once connected. */
  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.#peer?.family;
  }

  /** Bytes received (handed to the stream). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes written: handed to the stack, plus those still waiting in the stream, as in Node. */
  get bytesWritten(): number {
    return this.#bytesDispatched + this.writableLength - this.#currentAccepted;
  }

  /** Like `net.Socket#bufferSize` (deprecated there): `writableLength` once there is a handle. */
  get bufferSize(): number | undefined {
    return this.#handle !== undefined ? this.writableLength : undefined;
  }

  /** True until connected: no connection yet, or the handshake is under way. */
  get pending(): boolean {
    return this.#handle === undefined || this.connecting;
  }

  /** `'opening'`, `'open'`, `'readOnly'`, `'writeOnly'` or `'closed'`, as `net.Socket#readyState`. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }
}

/** node:net's `writeAfterFIN`: writing after the peer ended and we auto-ended is EPIPE, not "write after end". */
function onReadableStreamEnd(this: Socket): void {
  if (this.allowHalfOpen) return;
  const write = this.write;
  this.write = function writeAfterFIN(this: Socket, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (!this.writableEnded) return (write as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
    const callback = typeof encoding === 'function' ? encoding : cb;
    const err = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    if (typeof callback === 'function') process.nextTick(callback as (e: Error) => void, err);
    this.destroy(err);
    return false;
  } as Socket['write'];
}

/** node:net's `normalizeArgs` for `connect`. */
function normalizeConnectArgs(args: unknown[]): [SocketConnectOptions, (() => void) | undefined] {
  const last = args[args.length - 1];
  const listener = typeof last === 'function' ? (last as () => void) : undefined;
  const a0 = args[0];
  if (typeof a0 === 'object' && a0 !== null) return [a0 as SocketConnectOptions, listener];
  const options: SocketConnectOptions = { port: a0 as number | string };
  if (typeof args[1] === 'string') options.host = args[1];
  return [options, listener];
}
