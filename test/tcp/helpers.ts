/**
 * Helpers for the engine tests, in the style of smoltcp's socket/tcp.rs: one Connection with a fixed
 * ISS, driven by exact segments at explicit times, with every produced segment compared field by field.
 *
 * Conventions used throughout test/tcp:
 *   we    = 10.0.0.1:49500, ISS 1000, advertise MSS 1460 and a 65535-byte window;
 *   peer  = 10.0.0.2:80,    ISS 5000, advertises MSS 1460 and a 64000-byte window.
 * The handshake takes 100 ms (RTT sample 100 → SRTT 100, RTTVAR 50, RTO 300), and every later builder
 * step happens 100 ms after the previous one.
 */
import assert from 'node:assert/strict';
import { Connection, type ConnectionParams } from '../../src/tcp/connection.js';
import { PLAIN_RFC9293, type TcpConfig } from '../../src/tcp/config.js';
import type { ConnectionEvent } from '../../src/tcp/events.js';
import type { TcpState } from '../../src/tcp/state.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, type TcpOptions, type TcpSegment } from '../../src/wire/types.js';

export const LOCAL = '10.0.0.1';
export const LPORT = 49500;
export const REMOTE = '10.0.0.2';
export const RPORT = 80;
export const ISS = 1000;
export const PEER_ISS = 5000;
/** The window the peer advertises in the builders. */
export const PEER_WIN = 64000;
/** The window we advertise with an empty default (65535-byte) receive buffer. */
export const OUR_WIN = 65535;
export const MSS = 1460;
/** RTT of the builders' handshake, and the RTO it yields (SRTT + 4·RTTVAR = 100 + 200). */
export const HANDSHAKE_RTT = 100;
export const RTO_AFTER_HANDSHAKE = 300;
/** 2×MSL with the default MSL of 30 s. */
export const TIME_WAIT_MS = 60_000;

const FLAG_BITS: Array<[string, number]> = [
  ['FIN', FIN],
  ['SYN', SYN],
  ['RST', RST],
  ['PSH', PSH],
  ['ACK', ACK],
  ['URG', URG],
  ['ECE', ECE],
  ['CWR', CWR],
];

/** 'SYN,ACK' → SYN|ACK (any order, '' for none). */
export function parseFlags(s: string): number {
  let f = 0;
  for (const name of s.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const bit = FLAG_BITS.find(([n]) => n === name);
    if (bit === undefined) throw new Error(`unknown flag ${name}`);
    f |= bit[1];
  }
  return f;
}

/** SYN|ACK → 'SYN,ACK' in a fixed order (FIN,SYN,RST,PSH,ACK,URG,ECE,CWR). */
export function flagNames(f: number): string {
  return FLAG_BITS.filter(([, b]) => f & b)
    .map(([n]) => n)
    .join(',');
}

export function bytes(data: string | Uint8Array | number[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

/** `n` bytes with a recognisable pattern (byte i = (start + i) mod 251). */
export function pattern(n: number, start = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) % 251;
  return b;
}

export function text(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** A segment description. For arriving segments omitted fields default (ack 0, win PEER_WIN). */
export interface SegSpec {
  flags: string;
  seq: number;
  ack?: number;
  win?: number;
  data?: string | Uint8Array | number[];
  urg?: number;
  /** Shorthand for options: { mss }. */
  mss?: number;
  options?: TcpOptions;
  src?: number;
  dst?: number;
}

/** What we expect the engine to send: every header field is stated. */
export interface Expect extends SegSpec {
  ack: number;
  win: number;
}

/** A segment from the peer (10.0.0.2:80) to us (10.0.0.1:49500). */
export function seg(s: SegSpec): TcpSegment {
  return {
    srcPort: s.src ?? RPORT,
    dstPort: s.dst ?? LPORT,
    seq: s.seq >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: parseFlags(s.flags),
    window: s.win ?? PEER_WIN,
    urgent: s.urg ?? 0,
    options: s.options ?? (s.mss !== undefined ? { mss: s.mss } : {}),
    payload: bytes(s.data),
  };
}

/** The comparable form of a segment: every field, flags by name, payload as a latin1 string. */
export interface Canonical {
  src: number;
  dst: number;
  flags: string;
  seq: number;
  ack: number;
  win: number;
  urg: number;
  options: TcpOptions;
  data: string;
}

export function canonical(s: TcpSegment): Canonical {
  return {
    src: s.srcPort,
    dst: s.dstPort,
    flags: flagNames(s.flags),
    seq: s.seq,
    ack: s.ack,
    win: s.window,
    urg: s.urgent,
    options: { ...s.options },
    data: text(s.payload),
  };
}

/** The canonical form of a segment we expect to be sent from us to the peer. */
export function expected(e: Expect): Canonical {
  return {
    src: e.src ?? LPORT,
    dst: e.dst ?? RPORT,
    flags: flagNames(parseFlags(e.flags)),
    seq: e.seq >>> 0,
    ack: e.ack >>> 0,
    win: e.win,
    urg: e.urg ?? 0,
    options: { ...(e.options ?? (e.mss !== undefined ? { mss: e.mss } : {})) },
    data: text(bytes(e.data)),
  };
}

/** Drain everything the connection wants to send at `now`. */
export function recvAll(c: Connection, now: number): TcpSegment[] {
  const out: TcpSegment[] = [];
  for (let s = c.pollTransmit(now); s !== undefined; s = c.pollTransmit(now)) {
    out.push(s);
    if (out.length > 10_000) throw new Error('pollTransmit does not stop');
  }
  return out;
}

/** Drain the output and assert it is exactly `exp`, in order. */
export function expectSegments(c: Connection, now: number, exp: Expect[], message?: string): TcpSegment[] {
  const got = recvAll(c, now);
  assert.deepStrictEqual(got.map(canonical), exp.map(expected), message);
  return got;
}

export function expectNothing(c: Connection, now: number, message?: string): void {
  expectSegments(c, now, [], message);
}

/** Feed one segment from the peer. */
export function feed(c: Connection, now: number, s: SegSpec): void {
  c.handleSegment(seg(s), now, { address: REMOTE });
}

export function drainEvents(c: Connection): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let e = c.pollEvent(); e !== undefined; e = c.pollEvent()) out.push(e);
  return out;
}

/** Events in short form: 'state:ESTABLISHED>CLOSED', 'error:ECONNRESET', 'closed', 'readable', … */
export function eventNames(c: Connection): string[] {
  return drainEvents(c).map((e) => {
    switch (e.type) {
      case 'state':
        return `state:${e.from}>${e.to}`;
      case 'error':
        return `error:${e.code}`;
      default:
        return e.type;
    }
  });
}

export interface BuildOptions {
  iss?: number;
  peerIss?: number;
  peerWin?: number;
  /** The MSS option on the peer's SYN; null for none. */
  peerMss?: number | null;
  mss?: number;
  pathMss?: number;
  config?: Partial<TcpConfig>;
}

export interface Built {
  c: Connection;
  /** The time of the last builder step. */
  t: number;
  iss: number;
  peerIss: number;
}

export function newConnection(o: BuildOptions = {}, extra: Partial<ConnectionParams> = {}): Connection {
  return new Connection({
    localAddress: LOCAL,
    localPort: LPORT,
    remoteAddress: REMOTE,
    remotePort: RPORT,
    iss: o.iss ?? ISS,
    ...(o.mss !== undefined ? { mss: o.mss } : {}),
    ...(o.pathMss !== undefined ? { pathMss: o.pathMss } : {}),
    config: { ...PLAIN_RFC9293, ...o.config },
    ...extra,
  });
}

function peerSynOptions(o: BuildOptions): TcpOptions {
  return o.peerMss === null ? {} : { mss: o.peerMss ?? MSS };
}

function ids(o: BuildOptions): { iss: number; piss: number; pwin: number; ourMss: number; win: number } {
  return {
    iss: o.iss ?? ISS,
    piss: o.peerIss ?? PEER_ISS,
    pwin: o.peerWin ?? PEER_WIN,
    ourMss: o.mss ?? MSS,
    win: Math.min(OUR_WIN, o.config?.receiveBufferSize ?? OUR_WIN),
  };
}

function settle(c: Connection, state: TcpState): void {
  assert.equal(c.state, state, `builder expected ${state}`);
  drainEvents(c);
}

/** CLOSED: a fresh TCB that has not been opened. */
export function closed(o: BuildOptions = {}): Built {
  const c = newConnection(o);
  return { c, t: 0, iss: ids(o).iss, peerIss: ids(o).piss };
}

/** LISTEN: passive OPEN, remote unspecified (filled in from the SYN). */
export function listen(o: BuildOptions = {}, remote: 'unspecified' | 'specified' = 'unspecified'): Built {
  const c =
    remote === 'unspecified' ? newConnection(o, { remoteAddress: undefined, remotePort: undefined }) : newConnection(o);
  c.open(0, 'passive');
  settle(c, 'LISTEN');
  return { c, t: 0, iss: ids(o).iss, peerIss: ids(o).piss };
}

/** SYN-SENT: active OPEN at t=0, our SYN drained. */
export function synSent(o: BuildOptions = {}): Built {
  const { iss, ourMss, win } = ids(o);
  const c = newConnection(o);
  c.open(0, 'active');
  expectSegments(c, 0, [{ flags: 'SYN', seq: iss, ack: 0, win, mss: ourMss }]);
  settle(c, 'SYN-SENT');
  return { c, t: 0, iss, peerIss: ids(o).piss };
}

/** SYN-RECEIVED (passive): LISTEN, the peer's SYN at t=0, our SYN,ACK drained. */
export function synReceivedPassive(o: BuildOptions = {}): Built {
  const { iss, piss, pwin, ourMss, win } = ids(o);
  const { c } = listen(o);
  c.handleSegment(seg({ flags: 'SYN', seq: piss, win: pwin, options: peerSynOptions(o) }), 0, { address: REMOTE });
  expectSegments(c, 0, [{ flags: 'SYN,ACK', seq: iss, ack: piss + 1, win, mss: ourMss }]);
  settle(c, 'SYN-RECEIVED');
  return { c, t: 0, iss, peerIss: piss };
}

/** SYN-RECEIVED (active, simultaneous open): SYN-SENT, the peer's SYN at t=100, our SYN,ACK drained. */
export function synReceivedActive(o: BuildOptions = {}): Built {
  const { iss, piss, pwin, ourMss, win } = ids(o);
  const { c } = synSent(o);
  feed(c, 100, { flags: 'SYN', seq: piss, win: pwin, options: peerSynOptions(o) });
  expectSegments(c, 100, [{ flags: 'SYN,ACK', seq: iss, ack: piss + 1, win, mss: ourMss }]);
  settle(c, 'SYN-RECEIVED');
  return { c, t: 100, iss, peerIss: piss };
}

/** ESTABLISHED (active): SYN at t=0, SYN,ACK at t=100, our ACK drained. SND.NXT=ISS+1, RCV.NXT=PEER_ISS+1. */
export function established(o: BuildOptions = {}): Built {
  const { iss, piss, pwin, win } = ids(o);
  const { c } = synSent(o);
  feed(c, 100, { flags: 'SYN,ACK', seq: piss, ack: iss + 1, win: pwin, options: peerSynOptions(o) });
  expectSegments(c, 100, [{ flags: 'ACK', seq: iss + 1, ack: piss + 1, win }]);
  settle(c, 'ESTABLISHED');
  return { c, t: 100, iss, peerIss: piss };
}

/** ESTABLISHED (passive): LISTEN, SYN at t=0, SYN,ACK, the peer's ACK at t=100. */
export function establishedPassive(o: BuildOptions = {}): Built {
  const { iss, piss, pwin } = ids(o);
  const { c } = synReceivedPassive(o);
  feed(c, 100, { flags: 'ACK', seq: piss + 1, ack: iss + 1, win: pwin });
  expectNothing(c, 100);
  settle(c, 'ESTABLISHED');
  return { c, t: 100, iss, peerIss: piss };
}

/** FIN-WAIT-1: ESTABLISHED, CLOSE at t=200, our FIN <SEQ=ISS+1><ACK=PEER_ISS+1> drained (not yet ACKed). */
export function finWait1(o: BuildOptions = {}): Built {
  const { iss, piss, win } = ids(o);
  const { c } = established(o);
  c.close(200);
  expectSegments(c, 200, [{ flags: 'FIN,ACK', seq: iss + 1, ack: piss + 1, win }]);
  settle(c, 'FIN-WAIT-1');
  return { c, t: 200, iss, peerIss: piss };
}

/** FIN-WAIT-2: FIN-WAIT-1, the peer ACKs our FIN at t=300. */
export function finWait2(o: BuildOptions = {}): Built {
  const { iss, piss, pwin } = ids(o);
  const { c } = finWait1(o);
  feed(c, 300, { flags: 'ACK', seq: piss + 1, ack: iss + 2, win: pwin });
  expectNothing(c, 300);
  settle(c, 'FIN-WAIT-2');
  return { c, t: 300, iss, peerIss: piss };
}

/** CLOSE-WAIT: ESTABLISHED, the peer's FIN at t=200, our ACK drained. */
export function closeWait(o: BuildOptions = {}): Built {
  const { iss, piss, pwin, win } = ids(o);
  const { c } = established(o);
  feed(c, 200, { flags: 'FIN,ACK', seq: piss + 1, ack: iss + 1, win: pwin });
  expectSegments(c, 200, [{ flags: 'ACK', seq: iss + 1, ack: piss + 2, win: win - 1 }]);
  settle(c, 'CLOSE-WAIT');
  return { c, t: 200, iss, peerIss: piss };
}

/** CLOSING: FIN-WAIT-1, the peer's own FIN (not ACKing ours) at t=300, our ACK drained. */
export function closing(o: BuildOptions = {}): Built {
  const { iss, piss, pwin, win } = ids(o);
  const { c } = finWait1(o);
  feed(c, 300, { flags: 'FIN,ACK', seq: piss + 1, ack: iss + 1, win: pwin });
  expectSegments(c, 300, [{ flags: 'ACK', seq: iss + 2, ack: piss + 2, win: win - 1 }]);
  settle(c, 'CLOSING');
  return { c, t: 300, iss, peerIss: piss };
}

/** LAST-ACK: CLOSE-WAIT, CLOSE at t=300, our FIN drained. */
export function lastAck(o: BuildOptions = {}): Built {
  const { iss, piss, win } = ids(o);
  const { c } = closeWait(o);
  c.close(300);
  expectSegments(c, 300, [{ flags: 'FIN,ACK', seq: iss + 1, ack: piss + 2, win: win - 1 }]);
  settle(c, 'LAST-ACK');
  return { c, t: 300, iss, peerIss: piss };
}

/** TIME-WAIT: FIN-WAIT-2, the peer's FIN at t=400, our ACK drained; the 2 MSL timer runs to 60400. */
export function timeWait(o: BuildOptions = {}): Built {
  const { iss, piss, pwin, win } = ids(o);
  const { c } = finWait2(o);
  feed(c, 400, { flags: 'FIN,ACK', seq: piss + 1, ack: iss + 2, win: pwin });
  expectSegments(c, 400, [{ flags: 'ACK', seq: iss + 2, ack: piss + 2, win: win - 1 }]);
  settle(c, 'TIME-WAIT');
  return { c, t: 400, iss, peerIss: piss };
}
