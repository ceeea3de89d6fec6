import type { LinkPort } from '../link/types.js';
import { resolveConfig, type TcpConfig } from '../tcp/config.js';
import { Connection } from '../tcp/connection.js';
import type { ConnectionEvent } from '../tcp/events.js';
import { RULE_RESET_CLOSED, resetForClosed } from '../tcp/reset.js';
import { ipv4PseudoHeaderSum } from '../wire/checksum.js';
import { IPV4_HEADER_LENGTH, ipv4ToString, parseIpv4, writeIpv4Header } from '../wire/ipv4.js';
import { buildIpv4Tcp } from '../wire/packet.js';
import { parseTcp } from '../wire/tcp.js';
import { buildIpv4Icmp, icmpv4EchoReply, parseIcmpv4 } from '../wire/icmp.js';
import { ACK, IPPROTO_ICMP, IPPROTO_TCP, RST, SYN, type TcpSegment } from '../wire/types.js';
import { StackError } from './errors.js';
import { NetworkInterface, RoutingTable, parseAddressOrThrow, parsePrefixOrThrow } from './routing.js';
import type { Runtime } from './runtime.js';
import { TcpHandle, TcpListener } from './tcp-handle.js';
import { TimerQueue } from './timer-queue.js';
import type { StackTraceEvent, TraceListener } from './trace.js';

/** How a stack is built. */
export interface StackOptions {
  /** A name for traces (e.g. the simulated host's name). */
  name?: string;
  /** Clock, timer and randomness (simulated or real). */
  runtime: Runtime;
  /** Defaults for every connection of this stack. */
  tcp?: Partial<TcpConfig>;
  /** RFC 6528 secret; drawn from the runtime's randomness when omitted. */
  isnKey?: Uint8Array;
  /** Route packets not addressed to this stack (a router). Off by default. */
  forwarding?: boolean;
  /** Most half-open (SYN-RECEIVED) connections per listener (Linux tcp_max_syn_backlog). */
  synBacklog?: number;
  /** Ephemeral port range, inclusive (RFC 6335 §6: 49152–65535 by default). */
  ephemeralPorts?: [number, number];
}

/** Counters of the whole stack: packets in and out, and drops by reason. */
export interface StackCounters {
  packetsIn: number;
  packetsOut: number;
  resetsSent: number;
  /** ICMP Echo Replies sent (RFC 1122 §3.2.2.6). */
  echoReplies: number;
  /** Drops by reason: the wire layer's parse errors plus 'not-for-us', 'no-route', 'syn-queue-full', … */
  drops: Record<string, number>;
}

/** Options of {@link Stack.connect}. */
export interface ConnectOptions {
  remoteAddress: string;
  remotePort: number;
  localAddress?: string;
  localPort?: number;
  tcp?: Partial<TcpConfig>;
}

/** Options of {@link Stack.listen}. */
export interface ListenOptions {
  port: number;
  /** Local address to listen on; all of the stack's addresses when omitted ("0.0.0.0"). */
  address?: string;
  /** Accept-queue bound (RFC 9293 §3.10.1 leaves it to the implementation; Node's default is 511). */
  backlog?: number;
  tcp?: Partial<TcpConfig>;
}

const ANY = '0.0.0.0';

/**
 * A TCP/IPv4 stack: interfaces and routes, demultiplexing by 4-tuple, listeners with SYN and accept
 * queues, ephemeral ports, and one timer structure for all connections. It drives sans-IO
 * {@link Connection}s: after every input, user call or timer it drains their segments and events.
 */
export class Stack {
  readonly name: string;
  readonly runtime: Runtime;
  readonly tcpConfig: TcpConfig;
  readonly routes = new RoutingTable();
  readonly interfaces: NetworkInterface[] = [];
  readonly counters: StackCounters = { packetsIn: 0, packetsOut: 0, resetsSent: 0, echoReplies: 0, drops: {} };
  readonly forwarding: boolean;

  private readonly isnKey: Uint8Array;
  private readonly localAddresses = new Set<number>();
  private readonly connectionsByTuple = new Map<string, TcpHandle>();
  private readonly listeners = new Map<string, TcpListener>();
  private readonly timers: TimerQueue<TcpHandle>;
  private readonly synBacklog: number;
  private readonly ephemeral: [number, number];
  private nextEphemeral: number;
  private readonly tracers: TraceListener[] = [];
  private servicing = false;
  private readonly pending = new Set<TcpHandle>();

  constructor(options: StackOptions) {
    this.name = options.name ?? 'stack';
    this.runtime = options.runtime;
    this.tcpConfig = resolveConfig(options.tcp);
    this.isnKey = options.isnKey ?? this.runtime.randomBytes(16);
    this.forwarding = options.forwarding ?? false;
    this.synBacklog = options.synBacklog ?? 256;
    this.ephemeral = options.ephemeralPorts ?? [49152, 65535];
    const r = this.runtime.randomBytes(2);
    const span = this.ephemeral[1] - this.ephemeral[0] + 1;
    this.nextEphemeral = this.ephemeral[0] + (((r[0]! << 8) | r[1]!) % span);
    this.timers = new TimerQueue(this.runtime, (h, now) => {
      h.connection.handleTimeout(now);
      this.service(h);
    });
  }

  // ───────────────────────────── configuration ─────────────────────────────

  /**
   * Attach a link as a network interface with one or more "a.b.c.d/len" addresses. A connected route
   * is added for each address.
   */
  addInterface(options: { name?: string; link: LinkPort; addresses: string[] }): NetworkInterface {
    const name = options.name ?? `eth${this.interfaces.length}`;
    const addrs = options.addresses.map((a) => {
      const p = parsePrefixOrThrow(a);
      return { address: p.addr, prefixLength: p.prefixLen };
    });
    const iface = new NetworkInterface(name, options.link, addrs);
    this.interfaces.push(iface);
    for (const a of addrs) {
      this.localAddresses.add(a.address);
      this.routes.add({ prefix: a.address, prefixLength: a.prefixLength, iface });
    }
    options.link.setReceiver((packet) => this.receivePacket(packet, iface));
    return iface;
  }

  /** Add a route: "a.b.c.d/len" (or "default") through interface `via` (a name), optionally a gateway. */
  addRoute(options: { destination: string; interface: string; gateway?: string }): void {
    const dest = options.destination === 'default' ? { addr: 0, prefixLen: 0 } : parsePrefixOrThrow(options.destination);
    const iface = this.interfaces.find((i) => i.name === options.interface);
    if (iface === undefined) throw new StackError('EINVAL', `no interface named ${options.interface}`);
    this.routes.add({
      prefix: dest.addr,
      prefixLength: dest.prefixLen,
      iface,
      ...(options.gateway !== undefined ? { gateway: parseAddressOrThrow(options.gateway) } : {}),
    });
  }

  /** The stack's own addresses, as strings. */
  get addresses(): string[] {
    return [...this.localAddresses].map(ipv4ToString);
  }

  // ───────────────────────────── TCP user API ─────────────────────────────

  /** Passive OPEN on a port (RFC 9293 §3.10.1): returns a listener whose accept queue holds new connections. */
  listen(options: ListenOptions): TcpListener {
    const address = options.address ?? ANY;
    if (address !== ANY && !this.localAddresses.has(parseAddressOrThrow(address))) {
      throw new StackError('EADDRNOTAVAIL', `${address} is not an address of ${this.name}`);
    }
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new StackError('EINVAL', `invalid port ${options.port}`);
    }
    const port = options.port === 0 ? this.allocatePort(address, undefined, undefined) : options.port;
    const key = `${address}|${port}`;
    if (this.listeners.has(key)) throw new StackError('EADDRINUSE', `${address}:${port} is already listening`);
    const listener = new TcpListener(this, address, port, options.backlog ?? 511, options.tcp);
    this.listeners.set(key, listener);
    if (this.tracers.length > 0) {
      this.trace({
        type: 'state',
        time: this.runtime.now(),
        stack: this.name,
        local: `${address}:${port}`,
        remote: '*',
        from: 'CLOSED',
        to: 'LISTEN',
        rule: 'RFC 9293 §3.10.1 — passive OPEN: enter LISTEN',
      });
    }
    return listener;
  }

  /** Active OPEN (RFC 9293 §3.10.1): sends a SYN now; the handle reports `established` or an error. */
  connect(options: ConnectOptions): TcpHandle {
    const remote = parseAddressOrThrow(options.remoteAddress);
    if (!Number.isInteger(options.remotePort) || options.remotePort <= 0 || options.remotePort > 65535) {
      throw new StackError('EINVAL', `invalid remote port ${options.remotePort}`);
    }
    const route = this.routes.lookup(remote);
    if (route === undefined) throw new StackError('ENETUNREACH', `no route to ${options.remoteAddress}`);
    let local = route.iface.primaryAddress!;
    if (options.localAddress !== undefined && options.localAddress !== ANY) {
      local = parseAddressOrThrow(options.localAddress);
      if (!this.localAddresses.has(local)) throw new StackError('EADDRNOTAVAIL', `${options.localAddress} is not local`);
    }
    const localAddress = ipv4ToString(local);
    const localPort = options.localPort ?? this.allocatePort(localAddress, options.remoteAddress, options.remotePort);
    const key = tupleKey(localAddress, localPort, options.remoteAddress, options.remotePort);
    if (this.connectionsByTuple.has(key)) {
      throw new StackError('EADDRINUSE', `${localAddress}:${localPort} → ${options.remoteAddress}:${options.remotePort} exists`);
    }
    const mss = route.iface.mtu - 40;
    const conn = new Connection({
      localAddress,
      localPort,
      remoteAddress: options.remoteAddress,
      remotePort: options.remotePort,
      isnKey: this.isnKey,
      mss,
      pathMss: mss,
      config: { ...this.tcpConfig, ...options.tcp },
    });
    const handle = new TcpHandle(this, conn, key, local, remote, undefined);
    this.connectionsByTuple.set(key, handle);
    this.observe(conn, false);
    conn.open(this.runtime.now(), 'active');
    this.service(handle);
    return handle;
  }

  /** Every connection the stack holds (including TIME-WAIT and half-open ones), as STATUS snapshots. */
  connections(): ReturnType<Connection['snapshot']>[] {
    return [...this.connectionsByTuple.values()].map((h) => h.connection.snapshot());
  }

  /** Number of connections in the demultiplexing table. */
  get connectionCount(): number {
    return this.connectionsByTuple.size;
  }

  /** Subscribe to trace events (segments, drops, state changes). Costs nothing while nobody listens. */
  addTraceListener(fn: TraceListener): () => void {
    this.tracers.push(fn);
    return () => {
      const i = this.tracers.indexOf(fn);
      if (i >= 0) this.tracers.splice(i, 1);
    };
  }

  // ───────────────────────────── input ─────────────────────────────

  /** Hand the stack an IP packet that arrived on `iface`. Malformed packets are counted, never thrown. */
  receivePacket(packet: Uint8Array, iface: NetworkInterface): void {
    this.counters.packetsIn++;
    const ip = parseIpv4(packet);
    if (!ip.ok) return this.drop(ip.reason, ip.detail);
    const { header, payload } = ip.value;
    if (!this.localAddresses.has(header.dst)) {
      if (this.forwarding) return this.forward(packet, header.dst, header.ttl);
      return this.drop('not-for-us', ipv4ToString(header.dst));
    }
    if (header.protocol === IPPROTO_ICMP) return this.onIcmpv4(header.src, header.dst, payload);
    if (header.protocol !== IPPROTO_TCP) return this.drop('unsupported-protocol', `IP protocol ${header.protocol}`);
    const tcp = parseTcp(payload, ipv4PseudoHeaderSum(header.src, header.dst, IPPROTO_TCP, payload.length));
    if (!tcp.ok) return this.drop(tcp.reason, tcp.detail);
    const seg = tcp.value;
    if (seg.dstPort === 0 || seg.srcPort === 0) return this.drop('bad-port', 'port 0');
    const src = ipv4ToString(header.src);
    const dst = ipv4ToString(header.dst);
    if (this.tracers.length > 0) this.trace({ type: 'recv', time: this.runtime.now(), stack: this.name, src, dst, segment: seg });
    const now = this.runtime.now();
    const handle = this.connectionsByTuple.get(tupleKey(dst, seg.dstPort, src, seg.srcPort));
    if (handle !== undefined) {
      const parent = handle.listener;
      if (parent !== undefined && handle.connection.state === 'SYN-RECEIVED' && seg.flags & ACK && parent.acceptQueueFull) {
        // Like Linux: with the accept queue full, the handshake-completing ACK is dropped and the
        // SYN,ACK retransmitted later.
        return this.drop('accept-queue-full', `${dst}:${seg.dstPort}`);
      }
      handle.connection.handleSegment(seg, now, { address: src });
      this.service(handle);
      return;
    }
    const listener = this.listeners.get(`${dst}|${seg.dstPort}`) ?? this.listeners.get(`${ANY}|${seg.dstPort}`);
    if (listener !== undefined) return this.toListener(listener, seg, header.src, header.dst, src, dst, iface, now);
    // RFC 9293 §3.10.7.1: no TCB.
    const rst = resetForClosed(seg);
    if (rst !== undefined) {
      this.counters.resetsSent++;
      this.sendRaw(header.dst, header.src, rst, RULE_RESET_CLOSED);
    }
  }

  /** ICMP for this host: RFC 1122 §3.2.2.6 — every host MUST answer Echo Requests. */
  private onIcmpv4(src: number, dst: number, payload: Uint8Array): void {
    const m = parseIcmpv4(payload);
    if (!m.ok) return this.drop(m.reason, `ICMP: ${m.detail}`);
    if (m.value.kind !== 'echo-request') return this.drop('icmp-unhandled', m.value.kind);
    const route = this.routes.lookup(src);
    if (route === undefined) return this.drop('no-route', ipv4ToString(src));
    this.counters.packetsOut++;
    this.counters.echoReplies++;
    route.iface.link.send(buildIpv4Icmp(dst, src, icmpv4EchoReply(m.value)));
  }

  private toListener(
    listener: TcpListener,
    seg: TcpSegment,
    srcAddr: number,
    dstAddr: number,
    src: string,
    dst: string,
    iface: NetworkInterface,
    now: number,
  ): void {
    const isSyn = (seg.flags & (SYN | ACK | RST)) === SYN;
    if (isSyn && listener.acceptQueueFull) return this.drop('accept-queue-full', `${dst}:${seg.dstPort}`);
    if (isSyn && listener.synQueueLength >= this.synBacklog) return this.drop('syn-queue-full', `${dst}:${seg.dstPort}`);
    const route = this.routes.lookup(srcAddr);
    const mss = (route?.iface ?? iface).mtu - 40;
    const conn = new Connection({
      localAddress: dst,
      localPort: seg.dstPort,
      isnKey: this.isnKey,
      mss,
      pathMss: mss,
      config: { ...this.tcpConfig, ...listener.tcpOverrides },
    });
    this.observe(conn, true);
    conn.open(now, 'passive');
    conn.handleSegment(seg, now, { address: src });
    if (conn.state !== 'SYN-RECEIVED') {
      // RFC 9293 §3.10.7.2: RSTs ignored, ACKs answered with a RST, the rest dropped — by the same
      // LISTEN rules, on a throwaway TCB.
      let out: TcpSegment | undefined;
      while ((out = conn.pollTransmit(now)) !== undefined) {
        if (out.flags & RST) this.counters.resetsSent++;
        this.sendRaw(dstAddr, srcAddr, out, conn.lastTransmitRule);
      }
      if (!(seg.flags & ACK)) this.drop('listen-no-syn', `${src}:${seg.srcPort}`);
      return;
    }
    const key = tupleKey(dst, seg.dstPort, src, seg.srcPort);
    const handle = new TcpHandle(this, conn, key, dstAddr, srcAddr, listener);
    this.connectionsByTuple.set(key, handle);
    listener.addEmbryonic(handle);
    this.service(handle);
  }

  // ───────────────────────────── servicing ─────────────────────────────

  /** Drain a connection's output and events, re-arm its timer, and retire it once CLOSED. */
  service(handle: TcpHandle): void {
    if (this.servicing) {
      this.pending.add(handle);
      return;
    }
    this.servicing = true;
    try {
      this.serviceOne(handle);
      while (this.pending.size > 0) {
        const next = this.pending.values().next().value as TcpHandle;
        this.pending.delete(next);
        this.serviceOne(next);
      }
    } finally {
      this.servicing = false;
    }
  }

  private serviceOne(handle: TcpHandle): void {
    const conn = handle.connection;
    const now = this.runtime.now();
    let seg: TcpSegment | undefined;
    while ((seg = conn.pollTransmit(now)) !== undefined) this.transmit(handle, seg, conn.lastTransmitRule);
    let ev: ConnectionEvent | undefined;
    while ((ev = conn.pollEvent()) !== undefined) this.dispatch(handle, ev, now);
    // User code run by dispatch may have queued more output.
    while ((seg = conn.pollTransmit(now)) !== undefined) this.transmit(handle, seg, conn.lastTransmitRule);
    if (conn.state === 'CLOSED' || (conn.state === 'LISTEN' && handle.listener !== undefined)) {
      this.retire(handle);
    } else {
      this.timers.set(handle, conn.pollTimeout());
    }
  }

  private dispatch(handle: TcpHandle, ev: ConnectionEvent, now: number): void {
    void now;
    if (ev.type === 'state' && handle.listener !== undefined && ev.to === 'ESTABLISHED') handle.listener.promote(handle);
    handle.deliver(ev);
  }

  /** Trace a connection's state changes as they happen (before the segments they cause). */
  private observe(conn: Connection, child: boolean): void {
    conn.onStateChange = (from, to, rule) => {
      // A listener's child starts as a copy of the listening TCB; its CLOSED → LISTEN is the
      // listener's own transition, traced once by listen().
      if (this.tracers.length === 0 || (child && from === 'CLOSED' && to === 'LISTEN')) return;
      this.trace({
        type: 'state',
        time: this.runtime.now(),
        stack: this.name,
        local: `${conn.localAddress}:${conn.localPort}`,
        remote: `${conn.remoteAddress || '*'}:${conn.remotePort || '*'}`,
        from,
        to,
        rule,
      });
    };
  }

  private retire(handle: TcpHandle): void {
    this.timers.set(handle, undefined);
    if (this.connectionsByTuple.get(handle.key) === handle) this.connectionsByTuple.delete(handle.key);
    handle.listener?.forget(handle);
  }

  /** Called by a listener when it closes. */
  removeListener(listener: TcpListener): void {
    const key = `${listener.address}|${listener.port}`;
    if (this.listeners.get(key) === listener) this.listeners.delete(key);
  }

  // ───────────────────────────── output ─────────────────────────────

  private transmit(handle: TcpHandle, seg: TcpSegment, rule: string): void {
    this.sendRaw(handle.localAddr, handle.remoteAddr, seg, rule);
  }

  private sendRaw(src: number, dst: number, seg: TcpSegment, rule: string): void {
    const route = this.routes.lookup(dst);
    if (route === undefined) return this.drop('no-route', ipv4ToString(dst));
    const packet = buildIpv4Tcp(src, dst, seg);
    if (this.tracers.length > 0) {
      this.trace({
        type: 'send',
        time: this.runtime.now(),
        stack: this.name,
        src: ipv4ToString(src),
        dst: ipv4ToString(dst),
        segment: seg,
        rule,
      });
    }
    this.counters.packetsOut++;
    route.iface.link.send(packet);
  }

  /** RFC 791 §3.2 forwarding for router hosts: decrement TTL, drop at zero, send on. */
  private forward(packet: Uint8Array, dst: number, ttl: number): void {
    if (ttl <= 1) return this.drop('ttl-exceeded', ipv4ToString(dst));
    const route = this.routes.lookup(dst);
    if (route === undefined) return this.drop('no-route', ipv4ToString(dst));
    const ihl = (packet[0]! & 0x0f) * 4;
    const out = packet.slice();
    out[8] = ttl - 1;
    if (ihl === IPV4_HEADER_LENGTH) {
      // Re-write the whole header so its checksum is recomputed.
      const ip = parseIpv4(packet);
      if (ip.ok) {
        const h = ip.value.header;
        writeIpv4Header(out, 0, {
          src: h.src,
          dst: h.dst,
          protocol: h.protocol,
          ttl: ttl - 1,
          tos: h.tos,
          id: h.id,
          dontFragment: h.dontFragment,
          payloadLength: h.totalLength - IPV4_HEADER_LENGTH,
        });
      }
    }
    this.counters.packetsOut++;
    route.iface.link.send(out);
  }

  private drop(reason: string, detail: string): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + 1;
    if (this.tracers.length > 0) this.trace({ type: 'drop', time: this.runtime.now(), stack: this.name, reason, detail });
  }

  private trace(ev: StackTraceEvent): void {
    for (const t of this.tracers) t(ev);
  }

  // ───────────────────────────── ports ─────────────────────────────

  /**
   * An ephemeral port (RFC 6056 §3.3.2-style: sequential from a random start) for which the 4-tuple is
   * unused — including tuples still in TIME-WAIT — and no listener holds the port.
   */
  private allocatePort(localAddress: string, remoteAddress: string | undefined, remotePort: number | undefined): number {
    const [lo, hi] = this.ephemeral;
    const span = hi - lo + 1;
    for (let i = 0; i < span; i++) {
      const port = lo + ((this.nextEphemeral - lo + i) % span);
      if (this.listeners.has(`${localAddress}|${port}`) || this.listeners.has(`${ANY}|${port}`)) continue;
      if (remoteAddress !== undefined && remotePort !== undefined) {
        if (this.connectionsByTuple.has(tupleKey(localAddress, port, remoteAddress, remotePort))) continue;
      } else if (this.portInUse(port)) {
        continue;
      }
      this.nextEphemeral = lo + ((port - lo + 1) % span);
      return port;
    }
    throw new StackError('EADDRNOTAVAIL', 'no free ephemeral port');
  }

  private portInUse(port: number): boolean {
    for (const h of this.connectionsByTuple.values()) if (h.connection.localPort === port) return true;
    return false;
  }
}

function tupleKey(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string {
  return `${localAddress}|${localPort}|${remoteAddress}|${remotePort}`;
}
