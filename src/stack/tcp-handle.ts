import type { TcpConfig } from '../tcp/config.js';
import type { Connection, ConnectionStatus } from '../tcp/connection.js';
import type { ConnectionEvent } from '../tcp/events.js';
import type { TcpState } from '../tcp/state.js';
import type { IpAddress } from './address.js';
import type { Stack } from './stack.js';

/**
 * A connection owned by a stack: the user's side of a {@link Connection}. Every call is passed to the
 * engine with the stack's current time, and the stack then sends what the engine produced. Events are
 * kept until a listener is attached, so nothing is missed between accept and attach.
 */
export class TcpHandle {
  private eventListener: ((ev: ConnectionEvent) => void) | undefined;
  private backlog: ConnectionEvent[] = [];

  constructor(
    readonly stack: Stack,
    readonly connection: Connection,
    /** Demultiplexing key (4-tuple). */
    readonly key: string,
    readonly localAddr: IpAddress,
    readonly remoteAddr: IpAddress,
    /** The listener that created this connection, until it is accepted. */
    public listener: TcpListener | undefined,
  ) {}

  /** Receive this connection's events (replaying any that came before). */
  setEventListener(fn: ((ev: ConnectionEvent) => void) | undefined): void {
    this.eventListener = fn;
    if (fn !== undefined && this.backlog.length > 0) {
      const queued = this.backlog;
      this.backlog = [];
      for (const ev of queued) fn(ev);
    }
  }

  /** Called by the stack. */
  deliver(ev: ConnectionEvent): void {
    if (this.eventListener !== undefined) this.eventListener(ev);
    else this.backlog.push(ev);
  }

  get state(): TcpState {
    return this.connection.state;
  }

  get localAddress(): string {
    return this.connection.localAddress;
  }

  get localPort(): number {
    return this.connection.localPort;
  }

  get remoteAddressString(): string {
    return this.connection.remoteAddress;
  }

  get remotePort(): number {
    return this.connection.remotePort;
  }

  /** Bytes waiting to be read. */
  get readableLength(): number {
    return this.connection.readableLength;
  }

  /** Free space in the send buffer. */
  get sendSpace(): number {
    return this.connection.sendSpace;
  }

  /** SEND: queue bytes; returns how many were accepted (see {@link Connection.send}). */
  send(data: Uint8Array): number {
    this.stack.armTrace(this.connection);
    const n = this.connection.send(data, this.stack.runtime.now());
    this.stack.service(this);
    return n;
  }

  /** RECEIVE: take buffered bytes (possibly opening the window, which may send an update). */
  receive(max?: number): Uint8Array {
    this.stack.armTrace(this.connection);
    const data = this.connection.receive(max);
    if (data.length > 0) this.stack.service(this);
    return data;
  }

  /** CLOSE: send FIN after the queued data. */
  close(): void {
    this.stack.armTrace(this.connection);
    this.connection.close(this.stack.runtime.now());
    this.stack.service(this);
  }

  /** ABORT: send RST (in the states where the RFC sends one) and delete the TCB. */
  abort(): void {
    if (this.connection.state === 'CLOSED') return;
    this.stack.armTrace(this.connection);
    this.connection.abort(this.stack.runtime.now());
    this.stack.service(this);
  }

  /** Turn Nagle's algorithm off (true) or on (false), like `socket.setNoDelay`. */
  setNoDelay(noDelay = true): void {
    this.connection.setNoDelay(noDelay);
    this.stack.service(this);
  }

  /** Keepalive probes on or off, the first after `initialDelay` ms idle (like `socket.setKeepAlive`). */
  setKeepAlive(enable = false, initialDelay?: number): void {
    this.connection.setKeepAlive(enable, initialDelay);
    this.stack.service(this);
  }

  /** Abort with ETIMEDOUT when sent data stays unacknowledged for `ms` (0: off). */
  setUserTimeout(ms: number): void {
    this.connection.setUserTimeout(ms);
    this.stack.service(this);
  }

  /** STATUS snapshot. */
  status(): ConnectionStatus {
    return this.connection.snapshot();
  }
}

/**
 * A passive OPEN: new connections wait in the SYN queue while half-open (SYN-RECEIVED) and in the
 * accept queue, bounded by the backlog, once ESTABLISHED.
 */
export class TcpListener {
  private readonly embryonic = new Set<TcpHandle>();
  private readonly acceptQueue: TcpHandle[] = [];
  private closed = false;
  /** Called whenever a connection joins the accept queue. */
  onAcceptable: (() => void) | undefined;

  constructor(
    private readonly stack: Stack,
    readonly address: string,
    readonly port: number,
    readonly backlog: number,
    readonly tcpOverrides: Partial<TcpConfig> | undefined,
  ) {}

  /** Half-open connections (SYN received, handshake not complete). */
  get synQueueLength(): number {
    return this.embryonic.size;
  }

  /** Established connections not yet accepted. */
  get acceptQueueLength(): number {
    return this.acceptQueue.length;
  }

  get acceptQueueFull(): boolean {
    return this.acceptQueue.length >= this.backlog;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Take the oldest established connection, if any. */
  accept(): TcpHandle | undefined {
    const h = this.acceptQueue.shift();
    if (h !== undefined) h.listener = undefined;
    return h;
  }

  /** Stop listening: new SYNs are refused; queued, unaccepted connections are reset. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.removeListener(this);
    for (const h of [...this.embryonic, ...this.acceptQueue]) h.abort();
    this.embryonic.clear();
    this.acceptQueue.length = 0;
  }

  /** @internal */
  addEmbryonic(h: TcpHandle): void {
    this.embryonic.add(h);
  }

  /** @internal A half-open connection reached ESTABLISHED. */
  promote(h: TcpHandle): void {
    if (!this.embryonic.delete(h)) return;
    this.acceptQueue.push(h);
    this.onAcceptable?.();
  }

  /** @internal The connection was deleted before being accepted. */
  forget(h: TcpHandle): void {
    this.embryonic.delete(h);
    const i = this.acceptQueue.indexOf(h);
    if (i >= 0) this.acceptQueue.splice(i, 1);
  }
}
