/**
 * A `node:dgram`-shaped API over a synack stack's UDP layer: `createDgram(stack).createSocket('udp4')`
 * returns a socket with `bind`, `send`, `connect`, `disconnect`, `close`, `address`,
 * `remoteAddress`, `ref`/`unref` and the events `'listening'`, `'message'`, `'connect'`, `'close'`
 * and `'error'`, following Node's own `lib/dgram.js` step by step: the same argument forms, the same
 * asynchrony (binding, connecting and sending complete after a "lookup" tick; `'listening'`,
 * `'connect'`, `'close'` and send callbacks never fire synchronously), the same queue of sends and
 * connects made before the implicit bind completes, and errors shaped like Node's (`"bind EADDRINUSE
 * 10.0.0.2:53"` with `code`, `errno`, `syscall`, `address`, `port`; `ERR_SOCKET_*` codes for misuse).
 *
 * `'udp4'` sockets speak IPv4; `'udp6'` sockets IPv6, and also IPv4 through IPv4-mapped addresses
 * (`::ffff:10.0.0.1`) when bound to `::` (unless `ipv6Only`), as on Linux: their `rinfo`, `address()`
 * and `remoteAddress()` then show the mapped form with family `'IPv6'`.
 *
 * Differences from `node:dgram`:
 * - There is no DNS: an address is an IP literal or `localhost` (127.0.0.1 / ::1); other names fail
 *   with `getaddrinfo ENOTFOUND`, as an unresolvable name would.
 * - Unicast only: broadcast, multicast and their methods (`setBroadcast`, `addMembership`, `setTTL`,
 *   `setMulticast*`, …) are absent, and sending to 255.255.255.255, a multicast or an unspecified
 *   address fails with EINVAL. Buffer-size methods, `getSendQueue*`, `bind({ fd })` and cluster
 *   sharing (`exclusive` is accepted and ignored) are absent too; `ref()`/`unref()` do nothing.
 * - `bind()` validates its port (ERR_SOCKET_BAD_PORT, thrown) where Node silently truncates it.
 * - `connect()`, `disconnect()` on a closed socket throw ERR_SOCKET_DGRAM_NOT_RUNNING (Node would
 *   throw a TypeError from inside).
 * - Datagrams are delivered (`'message'`) synchronously as the stack receives them; ICMP errors on a
 *   connected socket (`recvmsg ECONNREFUSED`, …) are emitted as `'error'` one tick later.
 * - There is no IP fragmentation: a datagram larger than the route's MTU allows fails with EMSGSIZE
 *   (given to the send callback; like Node, a failed send without a callback is silent).
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { parseIp, type IpAddress } from '../stack/address.js';
import { StackError } from '../stack/errors.js';
import type { UdpEndpoint, UdpIcmpErrorCode, UdpLayer } from '../stack/udp.js';
import { isIPv4, isIPv6, validatePort } from './address.js';
import { codedError, systemError, type SystemError } from './errors.js';

/** What a dgram socket needs of a stack: its UDP layer. */
export interface DgramStack {
  readonly udp: UdpLayer;
}

/** The socket types of `node:dgram`. */
export type DgramSocketType = 'udp4' | 'udp6';

/** Options of {@link Dgram.createSocket}, as `dgram.createSocket(options)` takes them. */
export interface DgramSocketOptions {
  type: DgramSocketType;
  /** SO_REUSEADDR: several sockets may bind overlapping addresses of one port if all of them set it. */
  reuseAddr?: boolean;
  /** IPV6_V6ONLY: a `'udp6'` socket bound to `::` receives IPv6 only. */
  ipv6Only?: boolean;
  /** Closes the socket when aborted. */
  signal?: AbortSignal;
  /** Other `node:dgram` options (buffer sizes, `lookup`, …) are ignored. */
  [key: string]: unknown;
}

/** Options of {@link DgramSocket.bind}. */
export interface DgramBindOptions {
  port?: number;
  address?: string;
  /** Accepted for compatibility (there is no cluster); ignored. */
  exclusive?: boolean;
  /** Binding an existing descriptor is not supported: a value throws. */
  fd?: number;
}

/** The sender of a datagram, as the second argument of `'message'`. */
export interface RemoteInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  size: number;
}

/** What {@link DgramSocket.address} and {@link DgramSocket.remoteAddress} return. */
export interface DgramAddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** A message: a string, a Buffer or any ArrayBufferView, or an array of those (sent as one datagram). */
export type DgramMessage = string | ArrayBufferView | ReadonlyArray<string | ArrayBufferView>;

type SendCallback = (error: Error | null, bytes?: number) => void;
type LookupCallback = (error: Error | null, ip?: string) => void;

/** Linux errno numbers of codes the shared error table may lack. */
const EXTRA_ERRNO: Readonly<Record<string, number>> = { EBADF: 9, EDESTADDRREQ: 89, EMSGSIZE: 90 };

/** `systemError`, with the errno of UDP-only codes filled in. */
function sysError(code: string, syscall: string, address?: string, port?: number): SystemError {
  const e = systemError(code, syscall, address, port !== undefined && port > 0 ? port : undefined);
  if (e.errno === 0 && EXTRA_ERRNO[code] !== undefined) e.errno = -EXTRA_ERRNO[code]!;
  return e;
}

function describe(value: unknown): string {
  if (value === null) return 'Received null';
  if (value === undefined) return 'Received undefined';
  if (typeof value === 'function') return `Received function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `Received an instance of ${name}` : 'Received [object]';
  }
  const shown = typeof value === 'string' ? `'${value.length > 25 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  return `Received type ${typeof value} (${shown})`;
}

const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

function invalidArgType(name: string, expected: string, value: unknown): Error {
  return codedError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. ${describe(value)}`, TypeError);
}

function toBuffer(chunk: string | ArrayBufferView): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Node's `sliceBuffer`: `buffer[offset, offset + length)` as a view. */
function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Buffer {
  let buf: Buffer;
  if (typeof buffer === 'string') buf = Buffer.from(buffer);
  else if (ArrayBuffer.isView(buffer)) buf = toBuffer(buffer);
  else throw invalidArgType('buffer', BUFFER_TYPES, buffer);
  const off = Number(offset) >>> 0;
  const len = Number(length) >>> 0;
  if (off > buf.byteLength) throw codedError('ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds', RangeError);
  if (off + len > buf.byteLength) throw codedError('ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds', RangeError);
  return buf.subarray(off, off + len);
}

/** Node's `fixBufferList`: strings to Buffers; undefined if an element is neither. */
function fixBufferList(list: readonly unknown[]): Buffer[] | undefined {
  const out: Buffer[] = [];
  for (const item of list) {
    if (typeof item === 'string' || ArrayBuffer.isView(item)) out.push(toBuffer(item));
    else return undefined;
  }
  return out;
}

function notRunning(): Error {
  return codedError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
}

/**
 * A UDP socket mirroring `node:dgram.Socket` on a synack stack (see the module documentation for
 * the differences). Create it with {@link Dgram.createSocket}, or `new DgramSocket({ type, stack })`.
 */
export class DgramSocket extends EventEmitter {
  /** `'udp4'` or `'udp6'`, as in Node. */
  readonly type: DgramSocketType;

  readonly #udp: UdpLayer;
  readonly #family: 4 | 6;
  readonly #reuseAddr: boolean;
  readonly #ipv6Only: boolean;
  #bindState: 'unbound' | 'binding' | 'bound' = 'unbound';
  #connectState: 'disconnected' | 'connecting' | 'connected' = 'disconnected';
  #endpoint: UdpEndpoint | undefined;
  /** Node's "handle is null": close() was called. */
  #closed = false;
  /** Sends and connects (and a close) waiting for an implicit bind to complete. */
  #queue: Array<() => void> | undefined;

  constructor(options: DgramSocketOptions & { stack: DgramStack }, messageListener?: (msg: Buffer, rinfo: RemoteInfo) => void) {
    super();
    const type = options.type;
    if (type !== 'udp4' && type !== 'udp6') {
      throw codedError('ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6', TypeError);
    }
    this.type = type;
    this.#udp = options.stack.udp;
    this.#family = type === 'udp4' ? 4 : 6;
    this.#reuseAddr = Boolean(options.reuseAddr);
    this.#ipv6Only = Boolean(options.ipv6Only);
    if (typeof messageListener === 'function') this.on('message', messageListener);
    const signal = options.signal;
    if (signal !== undefined) {
      const onAborted = (): void => {
        if (!this.#closed) this.close();
      };
      if (signal.aborted) onAborted();
      else signal.addEventListener('abort', onAborted, { once: true });
    }
  }

  // ───────────────────────────── bind ─────────────────────────────

  /**
   * Like `socket.bind([port][, address][, callback])` / `socket.bind(options[, callback])`: binds
   * after a tick, then emits `'listening'` (the callback is a one-time `'listening'` listener).
   * Failures (`EADDRINUSE`, `EADDRNOTAVAIL`, `EINVAL`, `ENOTFOUND`) are emitted as `'error'`.
   */
  bind(port?: number | string | null, address?: string, callback?: () => void): this;
  bind(port?: number | string | null, callback?: () => void): this;
  bind(callback?: () => void): this;
  bind(options: DgramBindOptions, callback?: () => void): this;
  bind(...args: unknown[]): this {
    this.#healthCheck();
    if (this.#bindState !== 'unbound') throw codedError('ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    const a0 = args[0];
    let port: unknown;
    let address: unknown;
    if (a0 !== null && typeof a0 === 'object') {
      const o = a0 as DgramBindOptions;
      if (o.fd !== undefined && o.fd !== null) {
        throw codedError('ERR_INVALID_ARG_VALUE', "The argument 'options.fd' is not supported: synack sockets have no descriptors", TypeError);
      }
      address = o.address || '';
      port = o.port;
    } else {
      port = typeof a0 === 'function' ? undefined : a0;
      address = typeof args[1] === 'function' ? '' : args[1];
    }
    const p = port === undefined || port === null ? 0 : validatePort(port);
    if (address !== undefined && address !== null && typeof address !== 'string') throw invalidArgType('hostname', 'of type string', address);
    this.#bindState = 'binding';
    const cb = args.length > 0 ? args[args.length - 1] : undefined;
    if (typeof cb === 'function') {
      const removeListeners = (): void => {
        this.removeListener('error', removeListeners);
        this.removeListener('listening', onListening);
      };
      const onListening = (): void => {
        removeListeners();
        (cb as () => void).call(this);
      };
      this.on('error', removeListeners);
      this.on('listening', onListening);
    }
    const host = (address as string | undefined | null) || (this.#family === 4 ? '0.0.0.0' : '::');
    this.#lookup(host, (err, ip) => {
      if (this.#closed) return;
      if (err) {
        this.#bindState = 'unbound';
        this.emit('error', err);
        return;
      }
      let endpoint: UdpEndpoint;
      try {
        endpoint = this.#udp.bind({
          family: this.#family,
          address: this.#toIp(ip!),
          port: p,
          reuseAddr: this.#reuseAddr,
          ipv6Only: this.#ipv6Only,
        });
      } catch (e) {
        if (!(e instanceof StackError)) throw e;
        this.#bindState = 'unbound';
        this.emit('error', sysError(e.code, 'bind', ip, p));
        return;
      }
      this.#startListening(endpoint);
    });
    return this;
  }

  #startListening(endpoint: UdpEndpoint): void {
    this.#endpoint = endpoint;
    endpoint.onMessage = (payload, src, srcPort) => {
      // The stack hands over a buffer of its own (a fresh packet): a view suffices.
      const msg = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const rinfo: RemoteInfo = { address: this.#format(src), family: this.#family === 4 ? 'IPv4' : 'IPv6', port: srcPort, size: msg.length };
      this.emit('message', msg, rinfo);
    };
    endpoint.onError = (code: UdpIcmpErrorCode) => {
      // Like libuv: the pending socket error surfaces from the next recvmsg.
      const err = sysError(code, 'recvmsg');
      process.nextTick(() => {
        if (!this.#closed) this.emit('error', err);
      });
    };
    this.#bindState = 'bound';
    this.emit('listening');
  }

  // ───────────────────────────── send ─────────────────────────────

  /**
   * Like `socket.send(msg[, offset, length][, port][, address][, callback])`: `msg` is a string, a
   * Buffer / TypedArray / DataView, or an array of those (one datagram). On an unconnected socket
   * `port` is required and `address` defaults to localhost; on a connected one both must be omitted.
   * An unbound socket is bound (to the wildcard address and an ephemeral port) first. The callback
   * gets `(null, bytes)` or `(error)` — `EMSGSIZE`, `ENETUNREACH`, `EINVAL`, `ENOTFOUND` — one tick
   * later; without a callback, lookup failures are emitted as `'error'` and send failures are silent, as in Node.
   */
  send(msg: DgramMessage, port?: number | string, address?: string, callback?: SendCallback): void;
  send(msg: DgramMessage, port?: number | string, callback?: SendCallback): void;
  send(msg: DgramMessage, callback?: SendCallback): void;
  send(msg: string | ArrayBufferView, offset: number, length: number, port?: number | string, address?: string, callback?: SendCallback): void;
  send(msg: string | ArrayBufferView, offset: number, length: number, port?: number | string, callback?: SendCallback): void;
  send(msg: string | ArrayBufferView, offset: number, length: number, callback?: SendCallback): void;
  send(buffer: unknown, offset?: unknown, length?: unknown, port?: unknown, address?: unknown, callback?: unknown): void {
    // Argument juggling exactly as lib/dgram.js does it.
    const connected = this.#connectState === 'connected';
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        buffer = sliceBuffer(buffer, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else {
        callback = offset;
      }
      if (port || address) throw codedError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    }
    let list: Buffer[] | undefined;
    if (!Array.isArray(buffer)) {
      if (typeof buffer === 'string') list = [Buffer.from(buffer)];
      else if (!ArrayBuffer.isView(buffer)) throw invalidArgType('buffer', BUFFER_TYPES, buffer);
      else list = [toBuffer(buffer)];
    } else if ((list = fixBufferList(buffer)) === undefined) {
      throw invalidArgType('buffer list arguments', BUFFER_TYPES, buffer);
    }
    let dstPort = 0;
    if (!connected) dstPort = validatePort(port, 'Port', false);
    let cb = typeof callback === 'function' ? (callback as SendCallback) : undefined;
    let dstAddress: string | undefined;
    if (typeof address === 'function') {
      cb = address as SendCallback;
    } else if (address !== undefined && address !== null) {
      if (typeof address !== 'string') throw invalidArgType('address', 'of type string', address);
      dstAddress = address;
    }
    this.#healthCheck();
    if (this.#bindState === 'unbound') this.bind({ port: 0, exclusive: true });
    if (list.length === 0) list.push(Buffer.alloc(0));
    const chunks = list;
    if (this.#bindState !== 'bound') {
      this.#enqueue(() => this.#sendBound(chunks, connected, dstPort, dstAddress, cb));
      return;
    }
    this.#sendBound(chunks, connected, dstPort, dstAddress, cb);
  }

  #sendBound(list: Buffer[], connected: boolean, port: number, address: string | undefined, callback: SendCallback | undefined): void {
    if (connected) return this.#doSend(null, undefined, list, address, port, callback);
    this.#lookup(address || (this.#family === 4 ? '127.0.0.1' : '::1'), (err, ip) => this.#doSend(err, ip, list, address, port, callback));
  }

  #doSend(ex: Error | null, ip: string | undefined, list: Buffer[], address: string | undefined, port: number, callback: SendCallback | undefined): void {
    if (ex) {
      if (callback !== undefined) process.nextTick(callback, ex);
      else process.nextTick(() => this.emit('error', ex));
      return;
    }
    const endpoint = this.#endpoint;
    if (this.#closed || endpoint === undefined) return;
    let sent: number;
    try {
      sent = ip === undefined ? endpoint.send(list) : endpoint.send(list, this.#toIp(ip), port);
    } catch (e) {
      if (!(e instanceof StackError)) throw e;
      // As Node: a failed send is reported to its callback only ("dgram_legacy compatibility").
      if (callback !== undefined) process.nextTick(callback, sysError(e.code, 'send', ip === undefined ? undefined : (address ?? ip), port));
      return;
    }
    if (callback !== undefined) process.nextTick(callback, null, sent);
  }

  // ───────────────────────────── connect ─────────────────────────────

  /**
   * Like `socket.connect(port[, address][, callback])`: associates the socket with one peer (binding
   * it first if needed); `'connect'` (or the callback) follows one tick later. Failures go to the
   * callback if given, else to `'error'`. Only the peer's datagrams are received from then on, and
   * ICMP errors about sends to it arrive as `'error'` (`recvmsg ECONNREFUSED`, …).
   */
  connect(port: number | string, address?: string, callback?: (error?: Error) => void): void;
  connect(port: number | string, callback?: (error?: Error) => void): void;
  connect(port: unknown, address?: unknown, callback?: unknown): void {
    const p = validatePort(port, 'Port', false);
    let cb = callback as ((error?: Error) => void) | undefined;
    if (typeof address === 'function') {
      cb = address as (error?: Error) => void;
      address = '';
    } else if (address === undefined) {
      address = '';
    }
    if (typeof address !== 'string') throw invalidArgType('address', 'of type string', address);
    this.#healthCheck();
    if (this.#connectState !== 'disconnected') throw codedError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    this.#connectState = 'connecting';
    if (this.#bindState === 'unbound') this.bind({ port: 0, exclusive: true });
    const host = address;
    const listener = typeof cb === 'function' ? cb : undefined;
    if (this.#bindState !== 'bound') {
      this.#enqueue(() => this.#connectBound(p, host, listener));
      return;
    }
    this.#connectBound(p, host, listener);
  }

  #connectBound(port: number, address: string, callback: ((error?: Error) => void) | undefined): void {
    if (callback !== undefined) this.once('connect', callback);
    this.#lookup(address || (this.#family === 4 ? '127.0.0.1' : '::1'), (err, ip) => {
      const endpoint = this.#endpoint;
      if (this.#closed || endpoint === undefined) return;
      let ex = err;
      if (!ex) {
        try {
          endpoint.connect(this.#toIp(ip!), port);
        } catch (e) {
          if (!(e instanceof StackError)) throw e;
          ex = sysError(e.code, 'connect', address || ip, port);
        }
      }
      if (ex) {
        this.#connectState = 'disconnected';
        const error = ex;
        process.nextTick(() => {
          if (callback !== undefined) {
            this.removeListener('connect', callback);
            callback(error);
          } else {
            this.emit('error', error);
          }
        });
        return;
      }
      this.#connectState = 'connected';
      process.nextTick(() => this.emit('connect'));
    });
  }

  /** Like `socket.disconnect()`: forget the peer (synchronous; ERR_SOCKET_DGRAM_NOT_CONNECTED if not connected). */
  disconnect(): void {
    this.#healthCheck();
    if (this.#connectState !== 'connected') throw codedError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    this.#endpoint!.disconnect();
    this.#connectState = 'disconnected';
  }

  // ───────────────────────────── close and addresses ─────────────────────────────

  /**
   * Like `socket.close([callback])`: releases the port at once (or once a pending implicit bind has
   * completed) and emits `'close'` one tick later. ERR_SOCKET_DGRAM_NOT_RUNNING if already closed.
   */
  close(callback?: () => void): this {
    if (typeof callback === 'function') this.on('close', callback);
    if (this.#queue !== undefined) {
      this.#queue.push(() => this.close());
      return this;
    }
    this.#healthCheck();
    this.#closed = true;
    const endpoint = this.#endpoint;
    this.#endpoint = undefined;
    if (endpoint !== undefined) {
      endpoint.onMessage = undefined;
      endpoint.onError = undefined;
      endpoint.close();
    }
    process.nextTick(() => this.emit('close'));
    return this;
  }

  /** Like `socket.address()`: the bound address; `getsockname EBADF` before the socket is bound. */
  address(): DgramAddressInfo {
    this.#healthCheck();
    const endpoint = this.#endpoint;
    if (endpoint === undefined) throw sysError('EBADF', 'getsockname');
    return this.#info(endpoint.localAddress, endpoint.localPort);
  }

  /** Like `socket.remoteAddress()`: the connected peer; ERR_SOCKET_DGRAM_NOT_CONNECTED otherwise. */
  remoteAddress(): DgramAddressInfo {
    this.#healthCheck();
    const endpoint = this.#endpoint;
    if (this.#connectState !== 'connected' || endpoint?.remoteAddress === undefined) {
      throw codedError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    }
    return this.#info(endpoint.remoteAddress, endpoint.remotePort);
  }

  /** Accepted for compatibility: a synack socket never keeps the process alive. */
  ref(): this {
    return this;
  }

  /** Accepted for compatibility: a synack socket never keeps the process alive. */
  unref(): this {
    return this;
  }

  // ───────────────────────────── helpers ─────────────────────────────

  #healthCheck(): void {
    if (this.#closed) throw notRunning();
  }

  /** Node's `enqueue`: run `fn` once the implicit bind succeeds; drop the queue if it fails. */
  #enqueue(fn: () => void): void {
    if (this.#queue === undefined) {
      this.#queue = [];
      const onListenError = (): void => {
        this.removeListener('listening', onListenSuccess);
        this.#queue = undefined;
      };
      const onListenSuccess = (): void => {
        this.removeListener(EventEmitter.errorMonitor, onListenError);
        const queue = this.#queue ?? [];
        this.#queue = undefined;
        for (const entry of queue) entry();
      };
      this.once(EventEmitter.errorMonitor, onListenError);
      this.once('listening', onListenSuccess);
    }
    this.#queue.push(fn);
  }

  /**
   * Node's `lookup4`/`lookup6` without DNS: an IP literal (or `localhost`) comes back one tick later;
   * anything else fails with `getaddrinfo ENOTFOUND`.
   */
  #lookup(host: string, callback: LookupCallback): void {
    if (isIPv4(host) || isIPv6(host)) {
      process.nextTick(callback, null, host);
    } else if (host === 'localhost') {
      process.nextTick(callback, null, this.#family === 4 ? '127.0.0.1' : '::1');
    } else {
      const err = sysError('ENOTFOUND', 'getaddrinfo', host);
      (err as SystemError & { hostname: string }).hostname = host;
      process.nextTick(callback, err);
    }
  }

  /**
   * The stack address for an IP literal, as the socket's family reads it (uv_ip4_addr /
   * uv_ip6_addr): a `'udp4'` socket takes dotted quads only, a `'udp6'` socket IPv6 text only
   * (IPv4 as `::ffff:a.b.c.d`); anything else is EINVAL, as in Node.
   */
  #toIp(ip: string): IpAddress {
    let parsed: IpAddress | undefined;
    if (this.#family === 4 ? isIPv4(ip) : isIPv6(ip)) {
      const percent = ip.indexOf('%');
      parsed = parseIp(percent < 0 ? ip : ip.slice(0, percent)); // scope ids: there is one scope
    }
    if (parsed === undefined) throw new StackError('EINVAL', `${ip} is not an ${this.type === 'udp4' ? 'IPv4' : 'IPv6'} address`);
    return parsed;
  }

  /** An address as this socket presents it: IPv4 on a `'udp6'` socket in its IPv4-mapped form. */
  #format(a: IpAddress): string {
    return this.#family === 6 && a.family === 4 ? `::ffff:${a.text}` : a.text;
  }

  #info(a: IpAddress, port: number): DgramAddressInfo {
    return { address: this.#format(a), family: this.#family === 4 ? 'IPv4' : 'IPv6', port };
  }
}

/** A `node:dgram`-like API bound to one stack; see {@link createDgram}. */
export interface Dgram {
  /** The stack every socket of this object uses. */
  readonly stack: DgramStack;
  /** Like `dgram.createSocket(type | options[, messageListener])`. */
  createSocket(type: DgramSocketType | DgramSocketOptions, messageListener?: (msg: Buffer, rinfo: RemoteInfo) => void): DgramSocket;
  /** The class itself (construct it with `{ type, stack }`). */
  readonly Socket: typeof DgramSocket;
}

/**
 * A `node:dgram`-like API on `stack` (anything with a {@link UdpLayer} as `udp`):
 *
 * ```ts
 * const dgram = createDgram(stack);
 * const server = dgram.createSocket('udp4', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
 * server.bind(7);
 * ```
 */
export function createDgram(stack: DgramStack): Dgram {
  return {
    stack,
    createSocket(type, messageListener) {
      // A bad type (or options without one) is refused by the constructor with ERR_SOCKET_BAD_TYPE.
      const options: DgramSocketOptions = typeof type === 'object' && type !== null ? type : { type };
      return new DgramSocket({ ...options, stack }, messageListener);
    },
    Socket: DgramSocket,
  };
}
