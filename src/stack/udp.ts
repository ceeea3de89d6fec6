/**
 * UDP (RFC 768) endpoints of a stack: binding, demultiplexing, ephemeral ports, sending with the
 * route's size limit, and ICMP errors for connected endpoints — the part of a host's UDP that sits
 * above IP. The layer never touches packets: it talks to its stack through {@link UdpHost}, and the
 * stack hands it what arrives with {@link UdpLayer.deliver} and {@link UdpLayer.deliverError}.
 *
 * Semantics follow Linux (with `net.ipv6.bindv6only = 0`):
 *
 * - An endpoint has a family (the socket's domain, AF_INET = 4 or AF_INET6 = 6) and is bound to a
 *   local address and port. `0.0.0.0` receives IPv4 only; `::` receives IPv6 and — unless
 *   `ipv6Only` — IPv4 too (as IPv4-mapped addresses at the socket API). A family-6 endpoint may bind
 *   an IPv4 address (written `::ffff:a.b.c.d`), and then handles IPv4 only.
 * - Two bindings of one port conflict (EADDRINUSE) when their addresses overlap — the same address,
 *   or a wildcard covering the other's address — unless both set `reuseAddr` (SO_REUSEADDR).
 * - A datagram goes to the best-matching endpoint of its destination port: a connected endpoint
 *   whose peer is the sender beats an exact local address, which beats a wildcard; for IPv4, a
 *   family-4 endpoint beats a dual-stack `::` one at the same level; among equals the most recently
 *   bound wins (Linux's `compute_score`). Nobody matching → {@link UdpLayer.deliver} returns false
 *   and the stack answers ICMP Port Unreachable (RFC 1122 §4.1.3.1).
 * - `connect` (like connect(2) on a UDP socket) fixes the peer: only its datagrams are received, and
 *   a wildcard local address becomes the route's source address. ICMP errors about datagrams sent
 *   are reported only to connected endpoints, as Linux does without IP_RECVERR: RFC 1122 §4.1.3.3
 *   wants every ICMP error passed up, but an unconnected socket could not tell which send it is about.
 * - Each datagram is handed over with its specific destination address, and an application may pick
 *   the source address by binding one (RFC 1122 §4.1.3.5); {@link UdpEndpoint.maxPayload} is
 *   GET_MAXSIZES (§3.4).
 * - `disconnect` (connect(2) with AF_UNSPEC) forgets the peer, returns the local address to the one
 *   bound, and — as Linux does — releases a port the stack chose (bound with port 0): the next send
 *   or connect then picks a new ephemeral port.
 * - A payload larger than the route allows ({@link UdpHost.maxPayload}) fails with EMSGSIZE: the
 *   stack does no IP fragmentation. Limits of the IP length fields apply too (65507 bytes over IPv4,
 *   65527 over IPv6 without jumbograms).
 *
 * Out of scope: broadcast and multicast (sending to 255.255.255.255, 224.0.0.0/4 or ff00::/8, or to
 * an unspecified address, fails with EINVAL; the stack should not deliver such datagrams), socket
 * options (TTL, TOS, checksum coverage), receive-buffer limits (datagrams are handed over as they
 * arrive) and IP_RECVERR-style error queues.
 *
 * @module
 */

import { concatBytes } from '../wire/bytes.js';
import { parseIp, unspecified, type IpAddress } from './address.js';
import { StackError, type StackErrorCode } from './errors.js';

/** What the layer needs from its stack. */
export interface UdpHost {
  /** `n` random bytes (the runtime's): seeds the ephemeral port sequence, drawn at the first allocation. */
  randomBytes(n: number): Uint8Array;
  /** Whether `a` is one of the stack's own (unicast) addresses. */
  isLocalAddress(a: IpAddress): boolean;
  /** The source address for reaching `dst` (undefined: no route). */
  sourceFor(dst: IpAddress): IpAddress | undefined;
  /** The largest UDP payload that fits the route's MTU without fragmentation (undefined: no route). */
  maxPayload(dst: IpAddress): number | undefined;
  /**
   * Build and send one datagram (checksum included); false when there is no route. `payload` may
   * be kept: the layer hands over a buffer nobody else writes to.
   */
  sendDatagram(src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number, payload: Uint8Array): boolean;
}

/**
 * Codes of the errors the layer throws (as {@link StackError}): the stack's own plus the UDP-only
 * EMSGSIZE (payload larger than the route allows) and EDESTADDRREQ (send without a destination on an
 * unconnected endpoint).
 */
export type UdpErrorCode = StackErrorCode | 'EMSGSIZE' | 'EDESTADDRREQ';

/** Errors from ICMP about a datagram we sent, as {@link UdpLayer.deliverError} takes them (Linux's icmp_err_convert). */
export type UdpIcmpErrorCode = 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EMSGSIZE';

/** Options of {@link UdpLayer}. */
export interface UdpLayerOptions {
  /** Ephemeral port range, inclusive (RFC 6335 §6: 49152–65535 by default). */
  ephemeralPorts?: [number, number];
}

/** Options of {@link UdpLayer.bind}. */
export interface UdpBindOptions {
  /** The endpoint's family (socket domain): 4 for AF_INET, 6 for AF_INET6. */
  family: 4 | 6;
  /**
   * Local address: one of the stack's, or the unspecified address (the default: `0.0.0.0` for
   * family 4, `::` for family 6). A family-6 endpoint may take an IPv4 address (also as
   * `::ffff:a.b.c.d`); a family-4 endpoint may not take an IPv6 one (EINVAL).
   */
  address?: IpAddress | string;
  /** Local port; 0 or omitted: an ephemeral port. */
  port?: number;
  /** SO_REUSEADDR: overlapping bindings of the port are allowed when every one of them sets it. */
  reuseAddr?: boolean;
  /** IPV6_V6ONLY: a family-6 endpoint bound to `::` receives IPv6 only. */
  ipv6Only?: boolean;
}

/** Counters of the layer (RFC 4113's udpInDatagrams, udpNoPorts, udpOutDatagrams, plus reported ICMP errors). */
export interface UdpCounters {
  /** Datagrams handed to an endpoint. */
  datagramsIn: number;
  /** Datagrams no endpoint took (the stack answers those with ICMP Port Unreachable). */
  noPorts: number;
  /** Datagrams sent. */
  datagramsOut: number;
  /** ICMP errors reported to a connected endpoint. */
  errorsReported: number;
  /** ICMP errors nobody was told of (no endpoint, or not connected). */
  errorsIgnored: number;
}

/** Called with each datagram an endpoint receives. `payload` is the endpoint's to keep. */
export type UdpMessageListener = (payload: Uint8Array, remoteAddress: IpAddress, remotePort: number, localAddress: IpAddress) => void;

/** Called with an ICMP error about a datagram a connected endpoint sent to its peer. */
export type UdpErrorListener = (code: UdpIcmpErrorCode, remoteAddress: IpAddress, remotePort: number) => void;

/** Largest UDP payload the IP length fields allow: 65535 − 20 − 8 (IPv4), 65535 − 8 (IPv6 payload length). */
const MAX_PAYLOAD = { 4: 65535 - 20 - 8, 6: 65535 - 8 } as const;

/** Connected endpoints and exact local addresses each weigh this much in demultiplexing (Linux's compute_score). */
const SCORE_EXACT = 4;

function udpError(code: UdpErrorCode, message: string): StackError {
  // StackErrorCode does not list the UDP-only codes; the error is a StackError all the same.
  return new StackError(code as StackErrorCode, message);
}

/** Whether `a` is 0.0.0.0 or `::`. */
export function isUnspecified(a: IpAddress): boolean {
  if (a.family === 4) return a.v4 === 0;
  for (const b of a.v6) if (b !== 0) return false;
  return true;
}

/** Destinations the layer does not send to: unspecified, limited broadcast and multicast. */
function unsupportedDestination(a: IpAddress): string | undefined {
  if (isUnspecified(a)) return 'the unspecified address';
  if (a.family === 4) {
    if (a.v4 === 0xffffffff) return 'broadcast';
    if (a.v4 >>> 28 === 0xe) return 'multicast';
  } else if (a.v6[0] === 0xff) {
    return 'multicast';
  }
  return undefined;
}

function toAddress(a: IpAddress | string, what: string): IpAddress {
  if (typeof a !== 'string') return a;
  const parsed = parseIp(a);
  if (parsed === undefined) throw udpError('EINVAL', `invalid ${what} address: ${a}`);
  return parsed;
}

function validPort(port: number, allowZero: boolean): boolean {
  return Number.isInteger(port) && port >= (allowZero ? 0 : 1) && port <= 0xffff;
}

/** A fresh copy of the payload (the layer keeps it; the caller may reuse its buffers). */
function concat(payload: Uint8Array | readonly Uint8Array[]): Uint8Array {
  return payload instanceof Uint8Array ? payload.slice() : concatBytes(payload);
}

function endpointText(a: IpAddress, port: number): string {
  return a.family === 6 ? `[${a.text}]:${port}` : `${a.text}:${port}`;
}

/** What endpoints need from their layer (not part of the public API). */
interface LayerInternals {
  readonly host: UdpHost;
  readonly counters: UdpCounters;
  index(ep: UdpEndpoint): void;
  unindex(ep: UdpEndpoint): void;
  allocatePort(): number;
}

/**
 * The UDP layer of one stack. The stack creates it with a {@link UdpHost} and calls
 * {@link deliver} for every UDP datagram addressed to one of its unicast addresses (checksum
 * verified) and {@link deliverError} for ICMP errors quoting a datagram we sent.
 */
export class UdpLayer {
  readonly counters: UdpCounters = { datagramsIn: 0, noPorts: 0, datagramsOut: 0, errorsReported: 0, errorsIgnored: 0 };

  readonly #host: UdpHost;
  readonly #ephemeral: [number, number];
  /** Next ephemeral port to try; undefined until the first allocation draws a random start. */
  #nextEphemeral: number | undefined;
  /** Bound endpoints by local port, in bind order. */
  readonly #byPort = new Map<number, UdpEndpoint[]>();
  readonly #internals: LayerInternals;

  constructor(host: UdpHost, options: UdpLayerOptions = {}) {
    const range = options.ephemeralPorts ?? [49152, 65535];
    if (!validPort(range[0], false) || !validPort(range[1], false) || range[0] > range[1]) {
      throw new StackError('EINVAL', `invalid ephemeral port range ${range[0]}–${range[1]}`);
    }
    this.#host = host;
    this.#ephemeral = [range[0], range[1]];
    this.#internals = {
      host,
      counters: this.counters,
      index: (ep) => this.#index(ep),
      unindex: (ep) => this.#unindex(ep),
      allocatePort: () => this.#allocatePort(),
    };
  }

  /**
   * A new endpoint bound to `options.address` (default: the family's wildcard) and `options.port`
   * (default: ephemeral). Throws {@link StackError}: EINVAL (bad port or address, family mismatch),
   * EADDRNOTAVAIL (not an address of this stack; no free ephemeral port), EADDRINUSE.
   */
  bind(options: UdpBindOptions): UdpEndpoint {
    const family = options.family;
    if (family !== 4 && family !== 6) throw udpError('EINVAL', `invalid family ${String(family)}`);
    const address = options.address === undefined ? unspecified(family) : toAddress(options.address, 'local');
    const port = options.port ?? 0;
    if (!validPort(port, true)) throw udpError('EINVAL', `invalid port ${port}`);
    const ipv6Only = family === 6 && Boolean(options.ipv6Only);
    if (family === 4 && address.family === 6) throw udpError('EINVAL', `an IPv4 endpoint cannot bind ${address.text}`);
    if (ipv6Only && address.family === 4) throw udpError('EINVAL', `an IPv6-only endpoint cannot bind ${address.text}`);
    if (!isUnspecified(address) && !this.#host.isLocalAddress(address)) {
      throw udpError('EADDRNOTAVAIL', `${address.text} is not an address of this stack`);
    }
    const ep = new UdpEndpoint(this.#internals, family, address, port !== 0, Boolean(options.reuseAddr), ipv6Only);
    if (port === 0) {
      ep.setPort(this.#allocatePort());
    } else {
      for (const other of this.#byPort.get(port) ?? []) {
        if (overlaps(ep, other) && !(ep.reuseAddr && other.reuseAddr)) {
          throw udpError('EADDRINUSE', `${endpointText(address, port)} is in use (by ${endpointText(other.localAddress, port)})`);
        }
      }
      ep.setPort(port);
    }
    this.#index(ep);
    return ep;
  }

  /**
   * A datagram for this host (`dst` is one of its unicast addresses). Hands it to the best-matching
   * endpoint and returns true, or returns false when no endpoint takes it (the stack then sends ICMP
   * Port Unreachable, RFC 1122 §4.1.3.1). `payload` becomes the receiver's: the stack must not reuse it.
   */
  deliver(src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number, payload: Uint8Array): boolean {
    const ep = this.#lookup(src, dst, srcPort, dstPort);
    if (ep === undefined) {
      this.counters.noPorts++;
      return false;
    }
    this.counters.datagramsIn++;
    ep.onMessage?.(payload, src, srcPort, dst);
    return true;
  }

  /**
   * An ICMP error (Destination Unreachable, Packet Too Big, …) quoting a datagram we sent from
   * `localAddr:localPort` to `remoteAddr:remotePort`. Reported to the endpoint that sent it if that
   * endpoint is connected (to that peer); otherwise ignored, like Linux. Returns whether it was reported.
   */
  deliverError(localAddr: IpAddress, localPort: number, remoteAddr: IpAddress, remotePort: number, code: UdpIcmpErrorCode): boolean {
    const ep = this.#lookup(remoteAddr, localAddr, remotePort, localPort);
    if (ep === undefined || !ep.connected) {
      this.counters.errorsIgnored++;
      return false;
    }
    this.counters.errorsReported++;
    ep.onError?.(code, remoteAddr, remotePort);
    return true;
  }

  /** Every open endpoint bound to a port, in bind order per port. */
  endpoints(): UdpEndpoint[] {
    return [...this.#byPort.values()].flat();
  }

  /** The endpoint a datagram from `src:srcPort` to `dst:dstPort` would go to (undefined: none). */
  lookup(src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number): UdpEndpoint | undefined {
    return this.#lookup(src, dst, srcPort, dstPort);
  }

  #lookup(src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number): UdpEndpoint | undefined {
    const list = this.#byPort.get(dstPort);
    if (list === undefined) return undefined;
    let best: UdpEndpoint | undefined;
    let bestScore = -1;
    for (const ep of list) {
      const score = ep.score(src, dst, srcPort);
      if (score >= 0 && score >= bestScore) {
        best = ep;
        bestScore = score;
      }
    }
    return best;
  }

  #index(ep: UdpEndpoint): void {
    const list = this.#byPort.get(ep.localPort);
    if (list === undefined) this.#byPort.set(ep.localPort, [ep]);
    else list.push(ep);
  }

  #unindex(ep: UdpEndpoint): void {
    const list = this.#byPort.get(ep.localPort);
    if (list === undefined) return;
    const i = list.indexOf(ep);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#byPort.delete(ep.localPort);
  }

  /**
   * An ephemeral port no endpoint uses, RFC 6056-style like the stack's TCP ports: sequential from a
   * random start. EADDRNOTAVAIL when the range is exhausted.
   */
  #allocatePort(): number {
    const [lo, hi] = this.#ephemeral;
    const span = hi - lo + 1;
    if (this.#nextEphemeral === undefined) {
      // Drawn lazily, so a stack that never uses UDP consumes no randomness for it.
      const r = this.#host.randomBytes(2);
      this.#nextEphemeral = lo + (((r[0]! << 8) | r[1]!) % span);
    }
    for (let i = 0; i < span; i++) {
      const port = lo + ((this.#nextEphemeral - lo + i) % span);
      if (this.#byPort.has(port)) continue;
      this.#nextEphemeral = lo + ((port - lo + 1) % span);
      return port;
    }
    throw udpError('EADDRNOTAVAIL', 'no free ephemeral UDP port');
  }
}

/** Whether an endpoint on local address `a` handles family `f`: `::` both (unless IPv6-only), others their own. */
function covers(a: IpAddress, ipv6Only: boolean, f: 4 | 6): boolean {
  if (a.family === 4) return f === 4;
  if (!isUnspecified(a)) return f === 6;
  return f === 6 || !ipv6Only;
}

/** Whether two endpoints' local addresses overlap in some family (they then conflict on one port). */
function overlaps(a: UdpEndpoint, b: UdpEndpoint): boolean {
  for (const f of [4, 6] as const) {
    if (!a.accepts(f) || !b.accepts(f)) continue;
    if (isUnspecified(a.localAddress) || isUnspecified(b.localAddress) || a.localAddress.text === b.localAddress.text) return true;
  }
  return false;
}

/**
 * One bound UDP endpoint (a socket's kernel side). Created by {@link UdpLayer.bind}; receives
 * through {@link onMessage} and, when connected, ICMP errors through {@link onError}.
 */
export class UdpEndpoint {
  /** The endpoint's family (socket domain). */
  readonly family: 4 | 6;
  readonly reuseAddr: boolean;
  readonly ipv6Only: boolean;
  /** Datagrams received. Set by the user of the endpoint; datagrams arriving without one are dropped. */
  onMessage: UdpMessageListener | undefined;
  /** ICMP errors about datagrams sent to the connected peer. */
  onError: UdpErrorListener | undefined;

  readonly #layer: LayerInternals;
  /** The address given to bind. */
  readonly #boundAddress: IpAddress;
  /** The port was chosen by the user (Linux's SOCK_BINDPORT_LOCK): kept across disconnect. */
  readonly #portLocked: boolean;
  #localAddress: IpAddress;
  /** 0 after a disconnect released an ephemeral port (not in the layer's index then). */
  #localPort = 0;
  #remoteAddress: IpAddress | undefined;
  #remotePort = 0;
  #closed = false;

  /** @internal Use {@link UdpLayer.bind}. */
  constructor(layer: LayerInternals, family: 4 | 6, address: IpAddress, portLocked: boolean, reuseAddr: boolean, ipv6Only: boolean) {
    this.#layer = layer;
    this.family = family;
    this.#boundAddress = address;
    this.#localAddress = address;
    this.#portLocked = portLocked;
    this.reuseAddr = reuseAddr;
    this.ipv6Only = ipv6Only;
  }

  /** The local address: as bound, or the route's source address once connected from a wildcard bind. */
  get localAddress(): IpAddress {
    return this.#localAddress;
  }

  /** The local port (0 only after {@link disconnect} released an ephemeral port, until the next send). */
  get localPort(): number {
    return this.#localPort;
  }

  /** The connected peer's address (undefined when not connected). */
  get remoteAddress(): IpAddress | undefined {
    return this.#remoteAddress;
  }

  /** The connected peer's port (0 when not connected). */
  get remotePort(): number {
    return this.#remotePort;
  }

  get connected(): boolean {
    return this.#remoteAddress !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Fix the peer, like connect(2) on a UDP socket: from now on only datagrams from
   * `address:port` are received, {@link send} may omit the destination, and a wildcard local address
   * becomes the route's source address. May be called again to change peers. Throws EINVAL (bad
   * port, unsupported destination, family mismatch, closed endpoint), ENETUNREACH (no route, even
   * for an endpoint bound to a specific address),
   * EADDRNOTAVAIL (no ephemeral port left, when a released port must be replaced).
   */
  connect(address: IpAddress | string, port: number): void {
    this.#checkOpen();
    const dst = this.#destination(toAddress(address, 'remote'), port, this.#boundAddress);
    // Like ip4_datagram_connect / ip6_datagram_connect: a route is needed, and supplies the source.
    const src = this.#layer.host.sourceFor(dst);
    if (src === undefined) throw udpError('ENETUNREACH', `no route to ${dst.text}`);
    const local = isUnspecified(this.#boundAddress) ? src : this.#boundAddress;
    this.#ensurePort();
    this.#localAddress = local;
    this.#remoteAddress = dst;
    this.#remotePort = port;
  }

  /**
   * Forget the peer (connect(2) with AF_UNSPEC): the local address returns to the one bound, and an
   * ephemeral port is released (Linux does so unless the port was chosen by the user).
   */
  disconnect(): void {
    this.#checkOpen();
    this.#remoteAddress = undefined;
    this.#remotePort = 0;
    this.#localAddress = this.#boundAddress;
    if (!this.#portLocked && this.#localPort !== 0) {
      this.#layer.unindex(this);
      this.#localPort = 0;
    }
  }

  /**
   * Send one datagram (the chunks of an array are concatenated) to `address:port`, or to the connected
   * peer when `address` is omitted. Returns the payload length. Throws {@link StackError}:
   * EDESTADDRREQ (no destination, not connected), EINVAL (bad port, unsupported destination, family
   * mismatch, closed endpoint), ENETUNREACH (no route), EMSGSIZE (larger than the route allows),
   * EADDRNOTAVAIL (no ephemeral port for an endpoint whose port was released).
   */
  send(payload: Uint8Array | readonly Uint8Array[], address?: IpAddress | string, port?: number): number {
    this.#checkOpen();
    let dst: IpAddress;
    let dstPort: number;
    if (address === undefined) {
      if (this.#remoteAddress === undefined) throw udpError('EDESTADDRREQ', 'no destination and not connected');
      dst = this.#remoteAddress;
      dstPort = this.#remotePort;
    } else {
      dstPort = port ?? 0;
      dst = this.#destination(toAddress(address, 'remote'), dstPort, this.#localAddress);
    }
    const host = this.#layer.host;
    const src = isUnspecified(this.#localAddress) ? host.sourceFor(dst) : this.#localAddress;
    const limit = host.maxPayload(dst);
    if (src === undefined || limit === undefined) throw udpError('ENETUNREACH', `no route to ${dst.text}`);
    const data = concat(payload);
    const max = Math.min(limit, MAX_PAYLOAD[dst.family]);
    if (data.length > max) throw udpError('EMSGSIZE', `${data.length} bytes exceed the ${max} a datagram to ${dst.text} can carry`);
    this.#ensurePort();
    if (!host.sendDatagram(src, dst, this.#localPort, dstPort, data)) throw udpError('ENETUNREACH', `no route to ${dst.text}`);
    this.#layer.counters.datagramsOut++;
    return data.length;
  }

  /**
   * The largest payload {@link send} accepts for `address` (default: the connected peer): the
   * route's limit, within the IP length field's. Undefined without a route or a destination.
   */
  maxPayload(address?: IpAddress | string): number | undefined {
    const dst = address === undefined ? this.#remoteAddress : toAddress(address, 'remote');
    if (dst === undefined) return undefined;
    const limit = this.#layer.host.maxPayload(dst);
    return limit === undefined ? undefined : Math.min(limit, MAX_PAYLOAD[dst.family]);
  }

  /** Release the binding. Idempotent; the endpoint receives nothing more. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#localPort !== 0) this.#layer.unindex(this);
    this.#remoteAddress = undefined;
    this.#remotePort = 0;
  }

  /** @internal Whether the endpoint receives datagrams of family `f`. */
  accepts(f: 4 | 6): boolean {
    return covers(this.#localAddress, this.ipv6Only, f);
  }

  /** @internal How well a datagram from `src:srcPort` to `dst` matches (−1: not at all). */
  score(src: IpAddress, dst: IpAddress, srcPort: number): number {
    if (!this.accepts(dst.family)) return -1;
    let score = this.family === dst.family ? 1 : 0;
    if (!isUnspecified(this.#localAddress)) {
      if (this.#localAddress.text !== dst.text) return -1;
      score += SCORE_EXACT;
    }
    if (this.#remoteAddress !== undefined) {
      if (this.#remoteAddress.text !== src.text || this.#remotePort !== srcPort) return -1;
      score += SCORE_EXACT;
    }
    return score;
  }

  /** @internal Set by the layer when binding. */
  setPort(port: number): void {
    this.#localPort = port;
  }

  #checkOpen(): void {
    if (this.#closed) throw udpError('EINVAL', 'the endpoint is closed');
  }

  /** Validate a destination for this endpoint, whose source address would be `local` (maybe a wildcard). */
  #destination(dst: IpAddress, port: number, local: IpAddress): IpAddress {
    if (!validPort(port, false)) throw udpError('EINVAL', `invalid remote port ${port}`);
    const bad = unsupportedDestination(dst);
    if (bad !== undefined) throw udpError('EINVAL', `sending to ${bad} (${dst.text}) is not supported`);
    if (!covers(local, this.ipv6Only, dst.family)) {
      throw udpError('EINVAL', `${dst.text} is not reachable from an endpoint on ${local.text}`);
    }
    return dst;
  }

  /** Bind an ephemeral port again after a disconnect released one (Linux's autobind). */
  #ensurePort(): void {
    if (this.#localPort !== 0) return;
    this.#localPort = this.#layer.allocatePort();
    this.#layer.index(this);
  }
}
