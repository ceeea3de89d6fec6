import { readU16, readU32 } from '../wire/bytes.js';
import { DROP_ICMP_BAD_QUOTE, DROP_ICMP_NO_CONNECTION, DROP_ICMP_RATE, DROP_ICMP_SOFT_UDP, DROP_ICMP_UNHANDLED, DROP_NO_ROUTE, parseDropRule } from './drop-rules.js';
import {
  buildIpv4Icmp,
  icmpv4EchoReply,
  icmpv4FragmentationNeeded,
  icmpv4PortUnreachable,
  parseIcmpv4,
  parseIpv4Quote,
} from '../wire/icmp.js';
import { buildIpv6Icmpv6, icmpv6EchoReply, icmpv6PacketTooBig, icmpv6PortUnreachable, parseIcmpv6 } from '../wire/icmpv6.js';
import { parseIpv6Quote } from '../wire/ipv6.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../wire/types.js';
import { ipv4, ipv6, ipHeaderLength, type IpAddress } from './address.js';
import { plateauBelow, type PathMtuCache } from './pmtu.js';
import type { TcpHandle } from './tcp-handle.js';
import type { UdpLayer } from './udp.js';

/** What an ICMP error means to a transport: the errno users see, and whether RFC 1122 calls it hard. */
export interface UnreachableMeaning {
  code: 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES';
  hard: boolean;
}

/**
 * ICMPv4 Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1). RFC 1122 §4.2.3.9: codes 0, 1
 * and 5 are soft errors; 2 and 3 (protocol and port unreachable) are hard. The errno names follow
 * Linux's icmp_err_convert. Code 4 (fragmentation needed) is Path MTU, handled apart.
 */
export function icmpv4Unreachable(code: number): UnreachableMeaning {
  switch (code) {
    case 0:
    case 11:
      return { code: 'ENETUNREACH', hard: false };
    case 2:
    case 3:
      return { code: 'ECONNREFUSED', hard: true };
    case 6:
    case 9:
      return { code: 'ENETUNREACH', hard: true };
    case 7:
    case 10:
      return { code: 'EHOSTUNREACH', hard: true };
    case 13:
      return { code: 'EACCES', hard: true };
    default: // 1 host unreachable, 5 source route failed, 12, and unknown codes: soft
      return { code: 'EHOSTUNREACH', hard: false };
  }
}

/** ICMPv6 Destination Unreachable codes (RFC 4443 §3.1), with Linux's errno names and hardness. */
export function icmpv6Unreachable(code: number): UnreachableMeaning {
  switch (code) {
    case 0: // no route to destination
      return { code: 'ENETUNREACH', hard: false };
    case 1: // administratively prohibited
    case 5: // source address failed ingress/egress policy
    case 6: // reject route
      return { code: 'EACCES', hard: true };
    case 2: // beyond scope of source address
      return { code: 'EHOSTUNREACH', hard: true };
    case 4: // port unreachable
      return { code: 'ECONNREFUSED', hard: true };
    default: // 3 address unreachable, unknown codes
      return { code: 'EHOSTUNREACH', hard: false };
  }
}

/** What {@link IcmpInput} needs from its stack. */
export interface IcmpHost {
  send(dst: IpAddress, packet: Uint8Array): boolean;
  /** Count and trace a dropped packet: `rule` is the RFC rule for it (see src/stack/drop-rules.ts). */
  drop(reason: string, detail: string, rule: string): void;
  counters: { echoReplies: number; icmpErrorsIn: number; icmpErrorsOut: number };
  pathMtu: PathMtuCache;
  routeMtu(dst: IpAddress): number | undefined;
  /** Our source address towards `dst` (undefined: no route or no address of its family). */
  sourceFor(dst: IpAddress): IpAddress | undefined;
  connection(local: string, localPort: number, remote: string, remotePort: number): TcpHandle | undefined;
  service(h: TcpHandle): void;
  now(): number;
  udp: UdpLayer;
}

/** The quoted packet of an ICMP error, reduced to what transports need. */
interface Quoted {
  /** Our address (the quoted source) and the peer's (the quoted destination). */
  local: IpAddress;
  remote: IpAddress;
  protocol: number;
  /** At least the first 8 bytes of the transport header (RFC 792 / RFC 4443 §2.4(c) guarantee them). */
  transport: Uint8Array;
  /** The quoted IP packet's total length (for the RFC 1191 plateau search). */
  totalLength: number;
}

/**
 * ICMP and ICMPv6 for this host: Echo Replies (RFC 1122 §3.2.2.6, RFC 4443 §4.2), errors handed to
 * the TCP connection or UDP endpoint they quote (RFC 1122 §4.2.3.9, RFC 5927 §4), Path MTU (RFC 1191,
 * RFC 8201), and the port-unreachable errors this host sends, rate-limited (RFC 1812 §4.3.2.8,
 * RFC 4443 §2.4(f)).
 */
export class IcmpInput {
  private tokens = ERROR_BURST;
  private tokensAt = 0;

  constructor(private readonly host: IcmpHost) {}

  /**
   * As a router: Fragmentation Needed (IPv4, RFC 1191 §4) or Packet Too Big (IPv6, RFC 4443 §3.2)
   * back to the source of `offending`, from our address on the way back, with the next hop's MTU.
   */
  sendTooBig(offending: Uint8Array, mtu: number): void {
    const v4 = offending[0]! >>> 4 === 4;
    const source = v4 ? ipv4(readU32(offending, 12)) : ipv6(offending.subarray(8, 24));
    const from = this.host.sourceFor(source);
    if (from === undefined) return this.host.drop('no-route', source.text, DROP_NO_ROUTE);
    if (!this.takeToken()) return this.host.drop('icmp-rate-limited', source.text, DROP_ICMP_RATE);
    this.host.counters.icmpErrorsOut++;
    if (from.family === 4 && source.family === 4) {
      this.host.send(source, buildIpv4Icmp(from.v4, source.v4, icmpv4FragmentationNeeded(offending, mtu)));
    } else if (from.family === 6 && source.family === 6) {
      this.host.send(source, buildIpv6Icmpv6(from.v6, source.v6, icmpv6PacketTooBig(offending, mtu)));
    }
  }

  onIcmpv4(src: IpAddress, dst: IpAddress, payload: Uint8Array): void {
    const m = parseIcmpv4(payload);
    if (!m.ok) return this.host.drop(m.reason, `ICMP: ${m.detail}`, parseDropRule('icmp', m.reason));
    const msg = m.value;
    switch (msg.kind) {
      case 'echo-request':
        if (src.family !== 4 || dst.family !== 4) return;
        this.host.counters.echoReplies++;
        this.host.send(src, buildIpv4Icmp(dst.v4, src.v4, icmpv4EchoReply(msg)));
        return;
      case 'destination-unreachable': {
        const q = quotedV4(msg.original);
        if (q === undefined) return this.host.drop('icmp-bad-quote', 'ICMP destination unreachable', DROP_ICMP_BAD_QUOTE);
        return this.onUnreachable(q, icmpv4Unreachable(msg.code));
      }
      case 'fragmentation-needed': {
        const q = quotedV4(msg.original);
        if (q === undefined) return this.host.drop('icmp-bad-quote', 'ICMP fragmentation needed', DROP_ICMP_BAD_QUOTE);
        // RFC 1191 §5: a zero Next-Hop MTU comes from an old router; guess the next plateau down.
        return this.onPacketTooBig(q, msg.mtu === 0 ? plateauBelow(q.totalLength) : msg.mtu);
      }
      default:
        // Time Exceeded and the rest: nothing a host's transports act on (RFC 1122 §4.2.3.9 says
        // to report them, which the trace does).
        return this.host.drop('icmp-unhandled', msg.kind === 'other' ? `type ${msg.type}` : msg.kind, DROP_ICMP_UNHANDLED);
    }
  }

  onIcmpv6(src: IpAddress, dst: IpAddress, payload: Uint8Array, pseudo: number): void {
    const m = parseIcmpv6(payload, pseudo);
    if (!m.ok) return this.host.drop(m.reason, `ICMPv6: ${m.detail}`, parseDropRule('icmp', m.reason));
    const msg = m.value;
    switch (msg.kind) {
      case 'echo-request':
        if (src.family !== 6 || dst.family !== 6) return;
        this.host.counters.echoReplies++;
        this.host.send(src, buildIpv6Icmpv6(dst.v6, src.v6, icmpv6EchoReply(msg)));
        return;
      case 'destination-unreachable': {
        const q = quotedV6(msg.original);
        if (q === undefined) return this.host.drop('icmp-bad-quote', 'ICMPv6 destination unreachable', DROP_ICMP_BAD_QUOTE);
        return this.onUnreachable(q, icmpv6Unreachable(msg.code));
      }
      case 'packet-too-big': {
        const q = quotedV6(msg.original);
        if (q === undefined) return this.host.drop('icmp-bad-quote', 'ICMPv6 packet too big', DROP_ICMP_BAD_QUOTE);
        return this.onPacketTooBig(q, msg.mtu);
      }
      default:
        // Neighbour Discovery, MLD and router messages: a TUN is point-to-point without link-layer
        // addresses (RFC 4861 §3.1 leaves NUD and address resolution to links that need them).
        return this.host.drop('icmp-unhandled', msg.kind === 'other' ? `ICMPv6 type ${msg.type}` : msg.kind, DROP_ICMP_UNHANDLED);
    }
  }

  /** Answer a datagram for a closed UDP port (RFC 1122 §4.1.3.1, RFC 4443 §3.1 code 4). */
  sendPortUnreachable(offending: Uint8Array, src: IpAddress, dst: IpAddress): void {
    if (!this.takeToken()) return this.host.drop('icmp-rate-limited', src.text, DROP_ICMP_RATE);
    this.host.counters.icmpErrorsOut++;
    if (src.family === 4 && dst.family === 4) {
      this.host.send(src, buildIpv4Icmp(dst.v4, src.v4, icmpv4PortUnreachable(offending)));
    } else if (src.family === 6 && dst.family === 6) {
      this.host.send(src, buildIpv6Icmpv6(dst.v6, src.v6, icmpv6PortUnreachable(offending)));
    }
  }

  private onUnreachable(q: Quoted, meaning: UnreachableMeaning): void {
    if (q.protocol === IPPROTO_TCP) {
      const h = this.tcpFor(q);
      if (h === undefined) return this.host.drop('icmp-no-connection', `${q.local.text} → ${q.remote.text}`, DROP_ICMP_NO_CONNECTION);
      this.host.counters.icmpErrorsIn++;
      h.connection.handleIcmpUnreachable(this.host.now(), {
        code: meaning.code,
        hard: meaning.hard,
        seq: readU32(q.transport, 4),
        rule: `RFC 1122 §4.2.3.9 — ICMP destination unreachable (${meaning.hard ? 'hard' : 'soft'} error, ${meaning.code})`,
      });
      this.host.service(h);
      return;
    }
    if (q.protocol === IPPROTO_UDP) {
      // Like Linux without IP_RECVERR: soft errors are not reported to UDP sockets; hard ones go to
      // connected sockets only (the layer decides that).
      if (!meaning.hard) return this.host.drop('icmp-soft-udp', `${q.local.text} → ${q.remote.text}`, DROP_ICMP_SOFT_UDP);
      this.host.counters.icmpErrorsIn++;
      const code = meaning.code === 'EACCES' ? 'EHOSTUNREACH' : meaning.code;
      this.host.udp.deliverError(q.local, readU16(q.transport, 0), q.remote, readU16(q.transport, 2), code);
      return;
    }
    this.host.drop('icmp-unhandled', `unreachable for protocol ${q.protocol}`, DROP_ICMP_UNHANDLED);
  }

  private onPacketTooBig(q: Quoted, reported: number): void {
    const routeMtu = this.host.routeMtu(q.remote);
    if (routeMtu === undefined) return this.host.drop('no-route', q.remote.text, DROP_NO_ROUTE);
    const mtu = this.host.pathMtu.lower(q.remote, reported, routeMtu);
    if (q.protocol === IPPROTO_UDP) {
      // The next send larger than the new estimate fails with EMSGSIZE; a connected socket hears now.
      this.host.counters.icmpErrorsIn++;
      this.host.udp.deliverError(q.local, readU16(q.transport, 0), q.remote, readU16(q.transport, 2), 'EMSGSIZE');
      return;
    }
    if (q.protocol !== IPPROTO_TCP) return;
    const h = this.tcpFor(q);
    if (h === undefined) return this.host.drop('icmp-no-connection', `${q.local.text} → ${q.remote.text}`, DROP_ICMP_NO_CONNECTION);
    this.host.counters.icmpErrorsIn++;
    // RFC 9293 §3.7.3 / RFC 6691: the effective send MSS is the path MTU less fixed IP and TCP headers.
    h.connection.handlePacketTooBig(this.host.now(), { mss: mtu - ipHeaderLength(q.remote.family) - 20, seq: readU32(q.transport, 4) });
    this.host.service(h);
  }

  private tcpFor(q: Quoted): TcpHandle | undefined {
    return this.host.connection(q.local.text, readU16(q.transport, 0), q.remote.text, readU16(q.transport, 2));
  }

  /** Token bucket for the errors we send: ERROR_RATE per second, bursts of ERROR_BURST. */
  private takeToken(): boolean {
    const now = this.host.now();
    this.tokens = Math.min(ERROR_BURST, this.tokens + ((now - this.tokensAt) * ERROR_RATE) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** ICMP errors sent per second at most, and the burst allowed (Linux: icmp_msgs_per_sec 1000, burst 50). */
const ERROR_RATE = 1000;
const ERROR_BURST = 50;

function quotedV4(original: Uint8Array): Quoted | undefined {
  const q = parseIpv4Quote(original);
  if (!q.ok || q.value.payload.length < 8 || q.value.header.fragmentOffset !== 0) return undefined;
  const h = q.value.header;
  return { local: ipv4(h.src), remote: ipv4(h.dst), protocol: h.protocol, transport: q.value.payload, totalLength: h.totalLength };
}

function quotedV6(original: Uint8Array): Quoted | undefined {
  const q = parseIpv6Quote(original);
  if (!q.ok || q.value.payload.length < 8) return undefined;
  const h = q.value.header;
  return { local: ipv6(h.src), remote: ipv6(h.dst), protocol: q.value.protocol, transport: q.value.payload, totalLength: 40 + h.payloadLength };
}
