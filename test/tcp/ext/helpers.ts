/**
 * Helpers for the extension tests (RFC 7323, RFC 2018/6675, RFC 6582, RFC 8985, delayed ACK, Nagle,
 * persist, keepalive, user timeout). They build on ../helpers.ts (seg, canonical, expected, …) but
 * make connections with the FULL default config (DEFAULT_TCP_CONFIG) unless a test overrides it.
 *
 * Conventions (besides those of ../helpers.ts):
 *   we   = 10.0.0.1:49500, ISS 1000, MSS 1460, 4 MiB buffers → we offer window scale 7;
 *   peer = 10.0.0.2:80, ISS 5000, MSS 1460, window scale 2, SACK-permitted, timestamps; its window
 *          field is 16000 (= 64000 bytes), its TSval clock reads PEER_TS0 + t.
 * Our connection has no isnKey, so its TSval offset is 0: TSval = floor(now).
 * The handshake: our SYN at t=0, the SYN,ACK at t=100 (SRTT 100, RTTVAR 50, RTO 300), our ACK at 100.
 */
import assert from 'node:assert/strict';
import { Connection } from '../../../src/tcp/connection.js';
import type { TcpConfig } from '../../../src/tcp/config.js';
import type { SackBlock, TcpOptions, TcpSegment } from '../../../src/wire/types.js';
import {
  ISS,
  LOCAL,
  LPORT,
  MSS,
  PEER_ISS,
  REMOTE,
  RPORT,
  canonical,
  drainEvents,
  expected,
  recvAll,
  seg,
  type Expect,
  type SegSpec,
} from '../helpers.js';

export { ISS, MSS, PEER_ISS, pattern, eventNames, drainEvents } from '../helpers.js';

/** The peer's TSval clock at t (ms): PEER_TS0 + t. */
export const PEER_TS0 = 70_000;
export const PEER_WSCALE = 2;
/** The peer's window field after the handshake (scaled by 2^2: 64000 bytes). */
export const PEER_WIN_FIELD = 16_000;
/** Our shift for a 4 MiB receive buffer: 65535·2^6 < 4 194 304 ≤ 65535·2^7. */
export const OUR_WSCALE = 7;
/** Our window field with an empty 4 MiB buffer: 4 194 304 / 2^7. */
export const OUR_WIN_FIELD = 32_768;
/** Data bytes per segment with timestamps on every segment: 1460 − 12 (RFC 6691 / RFC 7323 §3.2). */
export const SEG = MSS - 12;

export interface PeerOffer {
  /** null: no MSS option. */
  mss?: number | null;
  /** null: no window scale option. */
  wscale?: number | null;
  sack?: boolean;
  ts?: boolean;
  /** Window field of the peer's SYN (unscaled). */
  win?: number;
}

export interface ExtBuild {
  config?: Partial<TcpConfig>;
  peer?: PeerOffer;
  mss?: number;
}

export function peerTs(t: number): number {
  return (PEER_TS0 + Math.floor(t)) >>> 0;
}

/** The options of a SYN the peer sends at time t. */
export function peerSynOptions(t: number, p: PeerOffer = {}, echo = 0): TcpOptions {
  const o: TcpOptions = {};
  if (p.mss !== null) o.mss = p.mss ?? MSS;
  if (p.wscale !== null) o.windowScale = p.wscale ?? PEER_WSCALE;
  if (p.sack ?? true) o.sackPermitted = true;
  if (p.ts ?? true) o.timestamp = { value: peerTs(t), echo };
  return o;
}

/** A connection with the full default config (plus overrides), not yet opened. */
export function extConnection(o: ExtBuild = {}): Connection {
  return new Connection({
    localAddress: LOCAL,
    localPort: LPORT,
    remoteAddress: REMOTE,
    remotePort: RPORT,
    iss: ISS,
    ...(o.mss !== undefined ? { mss: o.mss } : {}),
    config: { ...o.config },
  });
}

/** A passive connection (full config) in LISTEN, remote unspecified. */
export function extListen(o: ExtBuild = {}): Connection {
  const c = new Connection({
    localAddress: LOCAL,
    localPort: LPORT,
    iss: ISS,
    ...(o.mss !== undefined ? { mss: o.mss } : {}),
    config: { ...o.config },
  });
  c.open(0, 'passive');
  drainEvents(c);
  return c;
}

/** The last TSval each connection put on the wire (for the peer's default TSecr). */
const lastTsVal = new WeakMap<Connection, number>();

/** Drain what the connection sends at `now`, remembering the last TSval. */
export function out(c: Connection, now: number): TcpSegment[] {
  const segs = recvAll(c, now);
  for (const s of segs) if (s.options.timestamp !== undefined) lastTsVal.set(c, s.options.timestamp.value);
  return segs;
}

/** Drain and compare with `exp` exactly (every field). */
export function expectOut(c: Connection, now: number, exp: Expect[], message?: string): TcpSegment[] {
  const got = out(c, now);
  assert.deepStrictEqual(got.map(canonical), exp.map(expected), message);
  return got;
}

export function expectNone(c: Connection, now: number, message?: string): void {
  expectOut(c, now, [], message);
}

/** Timestamps option {TSval, TSecr}, plus SACK blocks as [left, right) pairs. */
export function tsOpt(value: number, echo: number, sack?: Array<[number, number]>): TcpOptions {
  const o: TcpOptions = { timestamp: { value: value >>> 0, echo: echo >>> 0 } };
  if (sack !== undefined) o.sackBlocks = blocks(sack);
  return o;
}

export function blocks(list: Array<[number, number]>): SackBlock[] {
  return list.map(([left, right]) => ({ left: left >>> 0, right: right >>> 0 }));
}

export interface PeerSpec extends SegSpec {
  /** Peer TSval (default peerTs(t)); null: no timestamps option. */
  tsVal?: number | null;
  /** TSecr (default: the last TSval we sent). */
  tsEcr?: number;
  sack?: Array<[number, number]>;
}

/** A segment from the peer with its timestamps (and SACK blocks), fed at `t`. */
export function pfeed(c: Connection, t: number, s: PeerSpec): void {
  c.handleSegment(peerSeg(c, t, s), t, { address: REMOTE });
}

export function peerSeg(c: Connection, t: number, s: PeerSpec): TcpSegment {
  const opts: TcpOptions = { ...s.options };
  if (s.tsVal !== null) opts.timestamp = { value: (s.tsVal ?? peerTs(t)) >>> 0, echo: (s.tsEcr ?? lastTsVal.get(c) ?? 0) >>> 0 };
  if (s.sack !== undefined) opts.sackBlocks = blocks(s.sack);
  return seg({ win: PEER_WIN_FIELD, ...s, options: opts });
}

export interface ExtBuilt {
  c: Connection;
  t: number;
  /** SND.UNA = SND.NXT after the handshake (ISS + 1). */
  una: number;
  /** RCV.NXT after the handshake (PEER_ISS + 1). */
  rcv: number;
}

/**
 * ESTABLISHED (active) with the full config: SYN at 0, the peer's SYN,ACK at 100 with the offer `peer`,
 * our ACK drained. Checks the SYN's options on the way.
 */
export function extEstablished(o: ExtBuild = {}): ExtBuilt {
  const c = extConnection(o);
  c.open(0, 'active');
  out(c, 0);
  const p = o.peer ?? {};
  c.handleSegment(
    seg({ flags: 'SYN,ACK', seq: PEER_ISS, ack: ISS + 1, win: p.win ?? PEER_WIN_FIELD << PEER_WSCALE, options: peerSynOptions(100, p) }),
    100,
    { address: REMOTE },
  );
  const acks = out(c, 100);
  assert.equal(acks.length, 1, 'one ACK completes the handshake');
  assert.equal(c.state, 'ESTABLISHED');
  drainEvents(c);
  return { c, t: 100, una: ISS + 1, rcv: PEER_ISS + 1 };
}

/** Our ACK-bearing segment's options at time t (timestamps and optional SACK blocks). */
export function ours(t: number, echo: number = peerTs(100), sack?: Array<[number, number]>): TcpOptions {
  return tsOpt(Math.floor(t), echo, sack);
}

/** Private TCB fields the tests look at (read-only). */
export function internals(c: Connection): {
  tsRecent: number;
  lastAckSent: number;
  rack: { rtt: number; reoWndMult: number; reorderingSeen: boolean; xmitAt: number };
  minRtt: number | undefined;
  scoreboard: { sackedBytes: number; lostBytes: number; rtxBytes: number; length: number; at(i: number): { start: number; end: number; sacked: boolean; lost: boolean; rtxInFlight: boolean } | undefined };
  rackTimerAt: number | undefined;
  tlpAt: number | undefined;
  delAckAt: number | undefined;
  recoveryPoint: number;
  dupAcks: number;
} {
  return c as never;
}

/** Segments as [seq, length] pairs, for compact checks of what a sender emitted. */
export function brief(segs: TcpSegment[]): Array<[number, number]> {
  return segs.map((s) => [s.seq, s.payload.length]);
}
