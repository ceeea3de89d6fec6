import type { LinkPort, LinkReceiveInfo } from '../link/types.js';
import { resolveConfig, type TcpConfig } from '../tcp/config.js';
import { Connection } from '../tcp/connection.js';
import type { ConnectionEvent, ConnectionTraceEvent } from '../tcp/events.js';
import { RULE_RESET_CLOSED, resetForClosed } from '../tcp/reset.js';
import { ipv4PseudoHeaderSum } from '../wire/checksum.js';
import { IPV4_HEADER_LENGTH, parseIpv4, writeIpv4Header } from '../wire/ipv4.js';
import { IPPROTO_ICMPV6, buildIpv6Tcp, ipv6PseudoHeaderSum, parseIpv6 } from '../wire/ipv6.js';
import { buildIpv4Tcp } from '../wire/packet.js';
import { parseTcp } from '../wire/tcp.js';
import { buildIpv4TcpHeaders, buildIpv6TcpHeaders } from '../wire/tso.js';
import { ACK, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, RST, SYN, type TcpSegment } from '../wire/types.js';
import { formatFlags } from '../wire/packet.js';
import { ipv4, ipv6, ipHeaderLength, type IpAddress } from './address.js';
import {
  DROP_ACCEPT_QUEUE_FULL,
  DROP_BAD_PORT,
  DROP_NOT_FOR_US,
  DROP_NOT_FOR_US6,
  DROP_NO_ROUTE,
  DROP_STACK_CLOSED,
  DROP_SYN_QUEUE_FULL,
  DROP_TOO_BIG,
  DROP_TTL_EXCEEDED,
  DROP_UDP_PORT_CLOSED,
  DROP_UNSUPPORTED_PROTOCOL,
  parseDropRule,
} from './drop-rules.js';
import { StackError } from './errors.js';
import { IcmpInput, type IcmpHost } from './icmp-input.js';
import { PathMtuCache } from './pmtu.js';
import { NetworkInterface, RoutingTable, parseAddressOrThrow, parsePrefixOrThrow } from './routing.js';
import type { Runtime } from './runtime.js';
import { TcpHandle, TcpListener } from './tcp-handle.js';
import { TimerQueue } from './timer-queue.js';
import type { StackTraceEvent, TraceListener } from './trace.js';
import { channelActive, channelsActive, engineChannelsActive, publishTraceEvent } from '../trace/channels.js';
import { UdpLayer, type UdpHost } from './udp.js';
import { buildIpv4Udp, buildIpv6Udp, parseUdp } from '../wire/udp.js';

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
  /** ICMP and ICMPv6 Echo Replies sent (RFC 1122 §3.2.2.6, RFC 4443 §4.2). */
  echoReplies: number;
  /** ICMP errors received and handed to a connection or UDP endpoint. */
  icmpErrorsIn: number;
  /** ICMP errors sent (port unreachable for closed UDP ports). */
  icmpErrorsOut: number;
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

/** A listener as {@link Stack.listenerList} reports it. */
export interface ListenerStatus {
  address: string;
  port: number;
  backlog: number;
  /** Half-open connections (SYN-RECEIVED). */
  synQueue: number;
  /** Established connections not yet accepted. */
  acceptQueue: number;
}

/** Options of {@link Stack.listen}. */
export interface ListenOptions {
  port: number;
  /**
   * Local address to listen on. Omitted or "::": every address of both families (like Linux's
   * default dual-stack sockets); "0.0.0.0": every IPv4 address only.
   */
  address?: string;
  /** Accept-queue bound (RFC 9293 §3.10.1 leaves it to the implementation; Node's default is 511). */
  backlog?: number;
  tcp?: Partial<TcpConfig>;
}

const ANY4 = '0.0.0.0';
const ANY6 = '::';

/**
 * A dual-stack TCP/IP host (IPv4 and IPv6): interfaces and routes, demultiplexing by 4-tuple,
 * listeners with SYN and accept queues, ephemeral ports, ICMP/ICMPv6 (echo, errors, Path MTU), UDP,
 * and one timer structure for all connections. It drives sans-IO {@link Connection}s: after every
 * input, user call or timer it drains their segments and events.
 */
export class Stack {
  readonly name: string;
  readonly runtime: Runtime;
  readonly tcpConfig: TcpConfig;
  readonly routes = new RoutingTable();
  readonly interfaces: NetworkInterface[] = [];
  readonly counters: StackCounters = {
    packetsIn: 0,
    packetsOut: 0,
    resetsSent: 0,
    echoReplies: 0,
    icmpErrorsIn: 0,
    icmpErrorsOut: 0,
    drops: {},
  };
  readonly forwarding: boolean;
  /** UDP endpoints of this stack (see `createDgram` for the node:dgram-like sockets on top). */
  readonly udp: UdpLayer;
  /** Path MTUs learnt from ICMP (RFC 1191 §5, RFC 8201 §5.2). */
  readonly pathMtu: PathMtuCache;

  private readonly isnKey: Uint8Array;
  private readonly localAddresses = new Map<string, IpAddress>();
  private readonly connectionsByTuple = new Map<string, TcpHandle>();
  private readonly listeners = new Map<string, TcpListener>();
  private readonly timers: TimerQueue<TcpHandle>;
  private readonly synBacklog: number;
  private readonly ephemeral: [number, number];
  private nextEphemeral: number;
  private readonly tracers: TraceListener[] = [];
  private servicing = false;
  private readonly pending = new Set<TcpHandle>();
  private readonly icmp: IcmpInput;
  private closed = false;

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
      this.armTrace(h.connection);
      h.connection.handleTimeout(now);
      this.service(h);
    });
    this.pathMtu = new PathMtuCache(() => this.runtime.now());
    this.udp = new UdpLayer(this.udpHost(), { ephemeralPorts: this.ephemeral });
    this.icmp = new IcmpInput(this.icmpHost());
  }

  // ───────────────────────────── configuration ─────────────────────────────

  /**
   * Attach a link as a network interface with one or more "addr/len" addresses of either family
   * ("10.0.0.2/24", "fd00::2/64"). A connected route is added for each address.
   */
  addInterface(options: { name?: string; link: LinkPort; addresses: string[] }): NetworkInterface {
    const name = options.name ?? `eth${this.interfaces.length}`;
    const addrs = options.addresses.map((a) => {
      const p = parsePrefixOrThrow(a);
      return { address: p.address, prefixLength: p.prefixLength };
    });
    const iface = new NetworkInterface(name, options.link, addrs);
    this.interfaces.push(iface);
    for (const a of addrs) {
      this.localAddresses.set(a.address.text, a.address);
      this.routes.add({ prefix: a.address, prefixLength: a.prefixLength, iface });
    }
    options.link.setReceiver((packet, info) => this.receivePacket(packet, iface, info));
    return iface;
  }

  /** Add a route: "addr/len" (or "default" / "default6") through interface `interface` (a name), optionally a gateway. */
  addRoute(options: { destination: string; interface: string; gateway?: string }): void {
    const dest =
      options.destination === 'default'
        ? { address: ipv4(0), prefixLength: 0 }
        : options.destination === 'default6'
          ? { address: ipv6(new Uint8Array(16)), prefixLength: 0 }
          : parsePrefixOrThrow(options.destination);
    const iface = this.interfaces.find((i) => i.name === options.interface);
    if (iface === undefined) throw new StackError('EINVAL', `no interface named ${options.interface}`);
    const gateway = options.gateway !== undefined ? parseAddressOrThrow(options.gateway) : undefined;
    if (gateway !== undefined && gateway.family !== dest.address.family) {
      throw new StackError('EINVAL', `gateway ${options.gateway} is not of the family of ${options.destination}`);
    }
    this.routes.add({ prefix: dest.address, prefixLength: dest.prefixLength, iface, ...(gateway ? { gateway } : {}) });
  }

  /** The stack's own addresses, as strings. */
  get addresses(): string[] {
    return [...this.localAddresses.keys()];
  }

  /** Whether `address` (text, either family) is one of this stack's own. */
  isLocalAddress(address: string): boolean {
    const a = parseAddressOrThrow(address);
    return this.localAddresses.has(a.text);
  }

  // ───────────────────────────── TCP user API ─────────────────────────────

  /** Passive OPEN on a port (RFC 9293 §3.10.1): returns a listener whose accept queue holds new connections. */
  listen(options: ListenOptions): TcpListener {
    this.assertOpen();
    // Canonical text, so "::0" and "::" (or "0.0.0.0") name the same wildcard.
    const address = options.address === undefined ? ANY6 : parseAddressOrThrow(options.address).text;
    if (address !== ANY4 && address !== ANY6 && !this.localAddresses.has(address)) {
      throw new StackError('EADDRNOTAVAIL', `${options.address} is not an address of ${this.name}`);
    }
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new StackError('EINVAL', `invalid port ${options.port}`);
    }
    const port = options.port === 0 ? this.allocatePort(address, undefined, undefined) : options.port;
    const key = `${address}|${port}`;
    if (this.listeners.has(key)) throw new StackError('EADDRINUSE', `${bracket(address)}:${port} is already listening`);
    const listener = new TcpListener(this, address, port, options.backlog ?? 511, options.tcp);
    this.listeners.set(key, listener);
    if (this.tracing) {
      this.trace({
        type: 'state',
        time: this.runtime.now(),
        stack: this.name,
        local: `${bracket(address)}:${port}`,
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
    this.assertOpen();
    const remote = parseAddressOrThrow(options.remoteAddress);
    if (!Number.isInteger(options.remotePort) || options.remotePort <= 0 || options.remotePort > 65535) {
      throw new StackError('EINVAL', `invalid remote port ${options.remotePort}`);
    }
    const route = this.routes.lookup(remote);
    if (route === undefined) throw new StackError('ENETUNREACH', `no route to ${options.remoteAddress}`);
    let local = route.iface.primaryAddress(remote.family);
    if (options.localAddress !== undefined && options.localAddress !== ANY4 && options.localAddress !== ANY6) {
      const wanted = parseAddressOrThrow(options.localAddress);
      local = this.localAddresses.get(wanted.text);
      if (local === undefined) throw new StackError('EADDRNOTAVAIL', `${options.localAddress} is not local`);
      if (local.family !== remote.family) {
        throw new StackError('EINVAL', `${options.localAddress} and ${options.remoteAddress} are of different families`);
      }
    }
    if (local === undefined) {
      throw new StackError('EADDRNOTAVAIL', `no IPv${remote.family} address on ${route.iface.name} to reach ${remote.text}`);
    }
    const localPort = options.localPort ?? this.allocatePort(local.text, remote.text, options.remotePort);
    const key = tupleKey(local.text, localPort, remote.text, options.remotePort);
    if (this.connectionsByTuple.has(key)) {
      throw new StackError('EADDRINUSE', `${bracket(local.text)}:${localPort} → ${bracket(remote.text)}:${options.remotePort} exists`);
    }
    const overhead = ipHeaderLength(remote.family) + 20;
    const conn = new Connection({
      localAddress: local.text,
      localPort,
      remoteAddress: remote.text,
      remotePort: options.remotePort,
      isnKey: this.isnKey,
      mss: route.iface.mtu - overhead,
      pathMss: this.pathMtu.get(remote, route.iface.mtu) - overhead,
      config: { ...this.tcpConfig, ...options.tcp },
    });
    this.offerSendOffload(conn, route.iface, remote.family);
    const handle = new TcpHandle(this, conn, key, local, remote, undefined);
    this.connectionsByTuple.set(key, handle);
    this.observe(conn, false);
    this.armTrace(conn);
    conn.open(this.runtime.now(), 'active');
    this.service(handle);
    return handle;
  }

  /** Every connection the stack holds (including TIME-WAIT and half-open ones), as STATUS snapshots. */
  connections(): ReturnType<Connection['snapshot']>[] {
    return [...this.connectionsByTuple.values()].map((h) => h.connection.snapshot());
  }

  /** Every listener, with its queues (for tools like `ss -tl`). */
  listenerList(): ListenerStatus[] {
    return [...this.listeners.values()].map((l) => ({
      address: l.address,
      port: l.port,
      backlog: l.backlog,
      synQueue: l.synQueueLength,
      acceptQueue: l.acceptQueueLength,
    }));
  }

  /** Number of connections in the demultiplexing table. */
  get connectionCount(): number {
    return this.connectionsByTuple.size;
  }

  /**
   * Subscribe to this stack's trace events (see {@link StackTraceEvent}): segments sent and received,
   * drops (the stack's, and segments its connections discarded), state changes, timers set,
   * re-armed, cancelled and fired, congestion events. They are also published on the
   * `synack:segment`, `synack:state`, `synack:drop`, `synack:timer` and `synack:congestion`
   * diagnostics channels (see src/trace/channels.ts). Returns the unsubscribe function. Costs
   * nothing while nobody listens: connections get their tracer only while someone does.
   */
  addTraceListener(fn: TraceListener): () => void {
    this.tracers.push(fn);
    return () => {
      const i = this.tracers.indexOf(fn);
      if (i >= 0) this.tracers.splice(i, 1);
    };
  }

  /**
   * Shut the stack down now: listeners stop, every connection is aborted (RST where RFC 9293 §3.10.5
   * sends one), UDP endpoints close, and the stack's one timer is cancelled, so a real runtime's
   * event loop is no longer held. Packets arriving afterwards are dropped. For a graceful close,
   * end the sockets first (and wait for them) — as `synack serve` does on Ctrl-C.
   */
  close(): void {
    if (this.closed) return;
    for (const l of [...this.listeners.values()]) l.close();
    for (const h of [...this.connectionsByTuple.values()]) h.abort();
    for (const h of [...this.connectionsByTuple.values()]) this.retire(h);
    for (const e of this.udp.endpoints()) e.close();
    this.timers.clear();
    this.closed = true;
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new StackError('ESHUTDOWN', `stack ${this.name} is closed`);
  }

  // ───────────────────────────── input ─────────────────────────────

  /**
   * Hand the stack an IP packet that arrived on `iface`. Malformed packets are counted, never thrown.
   * `info.checksumVerified` (from the link) skips verifying the TCP checksum a second time.
   */
  receivePacket(packet: Uint8Array, iface: NetworkInterface, info?: LinkReceiveInfo): void {
    this.counters.packetsIn++;
    if (this.closed) return this.drop('stack-closed', this.name, DROP_STACK_CLOSED);
    const version = packet.length > 0 ? packet[0]! >>> 4 : 0;
    const verified = info?.checksumVerified === true;
    if (version === 6) return this.receiveIpv6(packet, iface, verified);
    const ip = parseIpv4(packet);
    if (!ip.ok) return this.drop(ip.reason, ip.detail, parseDropRule('ipv4', ip.reason));
    const { header, payload } = ip.value;
    const dst = this.localAddresses.get(ipv4Text(header.dst));
    if (dst === undefined) {
      if (this.forwarding) return this.forward(packet, ipv4(header.dst), header.ttl);
      return this.drop('not-for-us', ipv4Text(header.dst), DROP_NOT_FOR_US);
    }
    const src = ipv4(header.src);
    switch (header.protocol) {
      case IPPROTO_TCP: {
        const tcp = parseTcp(payload, verified ? undefined : ipv4PseudoHeaderSum(header.src, header.dst, IPPROTO_TCP, payload.length));
        if (!tcp.ok) return this.drop(tcp.reason, tcp.detail, parseDropRule('tcp', tcp.reason));
        return this.onTcp(tcp.value, src, dst, iface);
      }
      case IPPROTO_UDP:
        return this.onUdp(packet, payload, src, dst, ipv4PseudoHeaderSum(header.src, header.dst, IPPROTO_UDP, payload.length));
      case IPPROTO_ICMP:
        return this.icmp.onIcmpv4(src, dst, payload);
      default:
        return this.drop('unsupported-protocol', `IP protocol ${header.protocol}`, DROP_UNSUPPORTED_PROTOCOL);
    }
  }

  private receiveIpv6(packet: Uint8Array, iface: NetworkInterface, checksumVerified: boolean): void {
    const ip = parseIpv6(packet);
    if (!ip.ok) return this.drop(ip.reason, ip.detail, parseDropRule('ipv6', ip.reason));
    const { header, protocol, payload } = ip.value;
    const dstKey = ipv6Text(header.dst);
    const dst = this.localAddresses.get(dstKey);
    if (dst === undefined) {
      if (this.forwarding) return this.forward(packet, ipv6(header.dst), header.hopLimit);
      return this.drop('not-for-us', dstKey, DROP_NOT_FOR_US6);
    }
    const src = ipv6(header.src);
    // RFC 8200 §8.1: the upper-layer checksum covers a pseudo-header with the final destination.
    const pseudo = ipv6PseudoHeaderSum(header.src, header.dst, protocol, payload.length);
    switch (protocol) {
      case IPPROTO_TCP: {
        // The link's verification covers the TCP header right after the IPv6 header only.
        const tcp = parseTcp(payload, checksumVerified && packet[6] === IPPROTO_TCP ? undefined : pseudo);
        if (!tcp.ok) return this.drop(tcp.reason, tcp.detail, parseDropRule('tcp', tcp.reason));
        return this.onTcp(tcp.value, src, dst, iface);
      }
      case IPPROTO_UDP:
        return this.onUdp(packet, payload, src, dst, pseudo);
      case IPPROTO_ICMPV6:
        return this.icmp.onIcmpv6(src, dst, payload, pseudo);
      default:
        return this.drop('unsupported-protocol', `IPv6 next header ${protocol}`, DROP_UNSUPPORTED_PROTOCOL);
    }
  }

  private onTcp(seg: TcpSegment, src: IpAddress, dst: IpAddress, iface: NetworkInterface): void {
    if (seg.dstPort === 0 || seg.srcPort === 0) return this.drop('bad-port', 'port 0', DROP_BAD_PORT);
    const now = this.runtime.now();
    if (this.tracing) this.trace({ type: 'recv', time: now, stack: this.name, src: src.text, dst: dst.text, segment: seg });
    const handle = this.connectionsByTuple.get(tupleKey(dst.text, seg.dstPort, src.text, seg.srcPort));
    if (handle !== undefined && handle.connection.acceptsSynInTimeWait(seg)) {
      // RFC 9293 §3.6.1 (MAY-2): a new SYN reopens a TIME-WAIT connection when a listener takes it —
      // clients that reuse ports get through at once instead of a challenge ACK, a RST and a retry.
      const listener = this.findListener(dst, seg.dstPort);
      if (listener !== undefined) {
        this.armTrace(handle.connection);
        const iss = handle.connection.reopenFromTimeWait();
        this.service(handle); // CLOSED: retired from the table
        return this.toListener(listener, seg, src, dst, iface, now, iss);
      }
    }
    if (handle !== undefined) {
      const parent = handle.listener;
      if (parent !== undefined && handle.connection.state === 'SYN-RECEIVED' && seg.flags & ACK && parent.acceptQueueFull) {
        // Like Linux: with the accept queue full, the handshake-completing ACK is dropped and the
        // SYN,ACK retransmitted later.
        return this.drop('accept-queue-full', `${bracket(dst.text)}:${seg.dstPort}`, DROP_ACCEPT_QUEUE_FULL);
      }
      this.armTrace(handle.connection);
      handle.connection.handleSegment(seg, now, { address: src.text });
      this.service(handle);
      return;
    }
    const listener = this.findListener(dst, seg.dstPort);
    if (listener !== undefined) return this.toListener(listener, seg, src, dst, iface, now);
    // RFC 9293 §3.10.7.1: no TCB.
    const rst = resetForClosed(seg);
    if (rst !== undefined) {
      this.counters.resetsSent++;
      this.sendRaw(dst, src, rst, RULE_RESET_CLOSED);
    }
  }

  /** The listener for a local address and port: an exact bind first, then the family's wildcard, then "::". */
  private findListener(dst: IpAddress, port: number): TcpListener | undefined {
    return (
      this.listeners.get(`${dst.text}|${port}`) ??
      (dst.family === 4 ? this.listeners.get(`${ANY4}|${port}`) : undefined) ??
      this.listeners.get(`${ANY6}|${port}`)
    );
  }

  /** RFC 768 input: checksum, then an endpoint — or, for a closed port, ICMP port unreachable (RFC 1122 §4.1.3.1). */
  private onUdp(packet: Uint8Array, payload: Uint8Array, src: IpAddress, dst: IpAddress, pseudo: number): void {
    const d = parseUdp(payload, pseudo, src.family === 6);
    if (!d.ok) return this.drop(d.reason, `UDP: ${d.detail}`, parseDropRule('udp', d.reason));
    const { srcPort, dstPort, payload: data } = d.value;
    if (this.udp.deliver(src, dst, srcPort, dstPort, data)) return;
    this.drop('udp-port-closed', `${bracket(dst.text)}:${dstPort}`, DROP_UDP_PORT_CLOSED);
    this.icmp.sendPortUnreachable(packet, src, dst);
  }

  /** `iss`: the ISS to use (a connection reopened from TIME-WAIT), else the stack's own choice. */
  private toListener(listener: TcpListener, seg: TcpSegment, src: IpAddress, dst: IpAddress, iface: NetworkInterface, now: number, iss?: number): void {
    const isSyn = (seg.flags & (SYN | ACK | RST)) === SYN;
    const where = `${bracket(dst.text)}:${seg.dstPort}`;
    if (isSyn && listener.acceptQueueFull) return this.drop('accept-queue-full', where, DROP_ACCEPT_QUEUE_FULL);
    if (isSyn && listener.synQueueLength >= this.synBacklog) return this.drop('syn-queue-full', where, DROP_SYN_QUEUE_FULL);
    const ifaceOut = this.routes.lookup(src)?.iface ?? iface;
    const overhead = ipHeaderLength(src.family) + 20;
    const conn = new Connection({
      localAddress: dst.text,
      localPort: seg.dstPort,
      isnKey: this.isnKey,
      ...(iss !== undefined ? { iss } : {}),
      mss: ifaceOut.mtu - overhead,
      pathMss: this.pathMtu.get(src, ifaceOut.mtu) - overhead,
      config: { ...this.tcpConfig, ...listener.tcpOverrides },
    });
    this.observe(conn, true);
    this.armTrace(conn);
    conn.open(now, 'passive');
    conn.handleSegment(seg, now, { address: src.text });
    if (conn.state !== 'SYN-RECEIVED') {
      // RFC 9293 §3.10.7.2: RSTs ignored, ACKs answered with a RST, the rest dropped — by the same
      // LISTEN rules, on a throwaway TCB.
      let out: TcpSegment | undefined;
      while ((out = conn.pollTransmit(now)) !== undefined) {
        if (out.flags & RST) this.counters.resetsSent++;
        this.sendRaw(dst, src, out, conn.lastTransmitRule);
      }
      // Counted here; traced by the engine, with its rule (RFC 9293 §3.10.7.2).
      if (!(seg.flags & ACK)) this.countDrop('listen-no-syn');
      return;
    }
    const key = tupleKey(dst.text, seg.dstPort, src.text, seg.srcPort);
    this.offerSendOffload(conn, ifaceOut, src.family);
    const handle = new TcpHandle(this, conn, key, dst, src, listener);
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
    this.armTrace(conn);
    let seg: TcpSegment | undefined;
    while ((seg = conn.pollTransmit(now)) !== undefined) this.transmit(handle, seg, conn.lastTransmitRule);
    let ev: ConnectionEvent | undefined;
    while ((ev = conn.pollEvent()) !== undefined) this.dispatch(handle, ev);
    // User code run by dispatch may have queued more output.
    while ((seg = conn.pollTransmit(now)) !== undefined) this.transmit(handle, seg, conn.lastTransmitRule);
    if (conn.state === 'CLOSED' || (conn.state === 'LISTEN' && handle.listener !== undefined)) {
      this.retire(handle);
    } else if (!this.closed) {
      this.timers.set(handle, conn.pollTimeout());
    }
  }

  private dispatch(handle: TcpHandle, ev: ConnectionEvent): void {
    if (ev.type === 'state' && handle.listener !== undefined && ev.to === 'ESTABLISHED') handle.listener.promote(handle);
    handle.deliver(ev);
  }

  /** Trace a connection's state changes as they happen (before the segments they cause). */
  private observe(conn: Connection, child: boolean): void {
    conn.onStateChange = (from, to, rule) => {
      // A listener's child starts as a copy of the listening TCB; its CLOSED → LISTEN is the
      // listener's own transition, traced once by listen().
      if (!this.tracing || (child && from === 'CLOSED' && to === 'LISTEN')) return;
      this.trace({
        type: 'state',
        time: this.runtime.now(),
        stack: this.name,
        local: `${bracket(conn.localAddress)}:${conn.localPort}`,
        remote: `${conn.remoteAddress ? bracket(conn.remoteAddress) : '*'}:${conn.remotePort || '*'}`,
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
    this.sendRaw(handle.localAddr, handle.remoteAddr, seg, rule, handle.connection.lastTransmitSegmentSize);
  }

  /** `segmentSize`: data per wire segment when `seg` carries more (TSO, see Connection.setSendOffload). */
  private sendRaw(src: IpAddress, dst: IpAddress, seg: TcpSegment, rule: string, segmentSize = 0): void {
    const route = this.routes.lookup(dst);
    if (route === undefined) return this.drop('no-route', dst.text, DROP_NO_ROUTE);
    if (this.tracing) {
      this.trace({ type: 'send', time: this.runtime.now(), stack: this.name, src: src.text, dst: dst.text, segment: seg, rule });
    }
    this.counters.packetsOut++;
    const v4 = src.family === 4 && dst.family === 4;
    const tso = route.iface.link.tcpOffload;
    if (tso !== undefined) {
      // The link completes the checksum and cuts the segment: the payload is not copied here.
      const headers = v4 ? buildIpv4TcpHeaders(src.v4, dst.v4, seg) : buildIpv6TcpHeaders(v6(src), v6(dst), seg);
      tso.sendTcp(headers, seg.payload, segmentSize > 0 ? segmentSize : seg.payload.length);
      return;
    }
    route.iface.link.send(v4 ? buildIpv4Tcp(src.v4, dst.v4, seg) : buildIpv6Tcp(v6(src), v6(dst), seg));
  }

  /** Let a new connection hand the link segments as large as it takes, when it segments TCP itself. */
  private offerSendOffload(conn: Connection, iface: NetworkInterface, family: 4 | 6): void {
    const tso = iface.link.tcpOffload;
    if (tso !== undefined) conn.setSendOffload(Math.min(tso.maxPacket, 0xffff) - ipHeaderLength(family) - 60);
  }

  /** Send an IP packet this stack built (ICMP, UDP) towards `dst`; false when there is no route. */
  private sendPacket(dst: IpAddress, packet: Uint8Array): boolean {
    const route = this.routes.lookup(dst);
    if (route === undefined) {
      this.drop('no-route', dst.text, DROP_NO_ROUTE);
      return false;
    }
    this.counters.packetsOut++;
    route.iface.link.send(packet);
    return true;
  }

  /**
   * Forwarding for router hosts: decrement TTL (RFC 791 §3.2) or Hop Limit (RFC 8200 §3), drop at
   * zero, send on.
   */
  private forward(packet: Uint8Array, dst: IpAddress, ttl: number): void {
    if (ttl <= 1) return this.drop('ttl-exceeded', dst.text, DROP_TTL_EXCEEDED);
    const route = this.routes.lookup(dst);
    if (route === undefined) return this.drop('no-route', dst.text, DROP_NO_ROUTE);
    if (packet.length > route.iface.mtu) {
      // RFC 1191 §4 / RFC 8201 §4 (RFC 4443 §3.2): tell the source the next hop's MTU. IPv4 without
      // DF would be fragmented; this router does not fragment, so such packets are dropped.
      this.drop('too-big', `${packet.length} > ${route.iface.mtu} towards ${dst.text}`, DROP_TOO_BIG);
      const dontFragment = dst.family === 6 || (packet[6]! & 0x40) !== 0;
      if (dontFragment) this.icmp.sendTooBig(packet, route.iface.mtu);
      return;
    }
    const out = packet.slice();
    if (dst.family === 6) {
      out[7] = ttl - 1;
    } else {
      out[8] = ttl - 1;
      const ihl = (packet[0]! & 0x0f) * 4;
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
    }
    this.counters.packetsOut++;
    route.iface.link.send(out);
  }

  /** Count and trace a packet dropped before any connection saw it; `rule` from drop-rules.ts. */
  private drop(reason: string, detail: string, rule: string): void {
    this.countDrop(reason);
    if (this.tracing) this.trace({ type: 'drop', time: this.runtime.now(), stack: this.name, reason, detail, rule });
  }

  private countDrop(reason: string): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + 1;
  }

  /** Whether anyone listens: trace listeners of this stack, or subscribers of the synack:* channels. */
  private get tracing(): boolean {
    return this.tracers.length > 0 || channelsActive();
  }

  /**
   * Before handing a connection an input, a user call or a timer: give it the engine tracer only
   * while someone listens to what the engine reports (this stack's trace listeners, or subscribers
   * of synack:drop, synack:timer or synack:congestion), so the engine's trace points (each one
   * `onTrace !== undefined` check) build nothing otherwise. Subscriptions can come and go at any
   * time, hence at every entry.
   * @internal
   */
  armTrace(conn: Connection): void {
    conn.onTrace = this.tracers.length > 0 || engineChannelsActive() ? this.engineTracer : undefined;
  }

  /** The engine's timer, congestion and drop events, with the stack's time, name and the 4-tuple. */
  private readonly engineTracer = (ev: ConnectionTraceEvent, conn: Connection): void => {
    // Someone may listen on synack:drop only: then the timer events are not built further.
    if (this.tracers.length === 0 && !channelActive(ev.type)) return;
    const time = this.runtime.now();
    const local = `${bracket(conn.localAddress)}:${conn.localPort}`;
    const remote = `${conn.remoteAddress ? bracket(conn.remoteAddress) : '*'}:${conn.remotePort || '*'}`;
    switch (ev.type) {
      case 'timer':
      case 'congestion':
        this.trace({ ...ev, time, stack: this.name, local, remote });
        return;
      case 'drop': {
        const seg = ev.segment;
        // A TCB without a peer yet (LISTEN) names the sender from the segment.
        const from = conn.remoteAddress ? remote : `*:${seg.srcPort}`;
        this.trace({
          type: 'drop',
          time,
          stack: this.name,
          reason: ev.reason,
          detail: `${formatFlags(seg.flags)} seq=${seg.seq} ack=${seg.ack} len=${seg.payload.length} from ${from}`,
          local,
          remote: from,
          rule: ev.rule,
        });
        return;
      }
    }
  };

  private trace(ev: StackTraceEvent): void {
    for (const t of this.tracers) t(ev);
    publishTraceEvent(ev);
  }

  // ───────────────────────────── ICMP and UDP glue ─────────────────────────────

  private icmpHost(): IcmpHost {
    return {
      send: (dst, packet) => this.sendPacket(dst, packet),
      drop: (reason, detail, rule) => this.drop(reason, detail, rule),
      counters: this.counters,
      pathMtu: this.pathMtu,
      routeMtu: (dst) => this.routes.lookup(dst)?.iface.mtu,
      sourceFor: (dst) => this.routes.lookup(dst)?.iface.primaryAddress(dst.family),
      connection: (local, localPort, remote, remotePort) => {
        const h = this.connectionsByTuple.get(tupleKey(local, localPort, remote, remotePort));
        if (h !== undefined) this.armTrace(h.connection);
        return h;
      },
      service: (h) => this.service(h),
      now: () => this.runtime.now(),
      udp: this.udp,
    };
  }

  private udpHost(): UdpHost {
    return {
      randomBytes: (n) => this.runtime.randomBytes(n),
      isLocalAddress: (a) => this.localAddresses.has(a.text),
      sourceFor: (dst) => this.routes.lookup(dst)?.iface.primaryAddress(dst.family),
      maxPayload: (dst) => {
        const route = this.routes.lookup(dst);
        return route === undefined ? undefined : this.pathMtu.get(dst, route.iface.mtu) - ipHeaderLength(dst.family) - 8;
      },
      sendDatagram: (src, dst, srcPort, dstPort, payload) => {
        const d = { srcPort, dstPort, payload };
        const packet = src.family === 4 && dst.family === 4 ? buildIpv4Udp(src.v4, dst.v4, d) : buildIpv6Udp(v6(src), v6(dst), d);
        return this.sendPacket(dst, packet);
      },
    };
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
      if (this.listeners.has(`${localAddress}|${port}`) || this.listeners.has(`${ANY4}|${port}`) || this.listeners.has(`${ANY6}|${port}`)) continue;
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

/** "[v6]" for IPv6 text, so "addr:port" stays unambiguous. */
export function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function v6(a: IpAddress): Uint8Array {
  if (a.family !== 6) throw new StackError('EINVAL', `mixed address families (${a.text})`);
  return a.v6;
}

// Text forms without allocating an IpAddress for packets that are then dropped.
function ipv4Text(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

function ipv6Text(bytes: Uint8Array): string {
  return ipv6(bytes).text;
}

