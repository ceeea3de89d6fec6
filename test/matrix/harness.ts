/**
 * The impairment-matrix harness: one seeded case = two stacks joined by one simulated link with the
 * given impairments, one connection, pseudo-random data both ways at once, then a close; run
 * synchronously on the virtual clock until nothing is left, and check that
 *   - every byte arrived intact and in order in each direction (compared against the sender's bytes),
 *     and each reader saw EOF after exactly the bytes sent;
 *   - both handles reached CLOSED (so TIME-WAIT expired — virtual time is free) and said `closed`;
 *   - there was no `error` event and no exception from a user call;
 *   - both stacks hold no connection afterwards and nothing is left in the simulation's queue;
 *   - every corrupted packet the link delivered was dropped by the receiving stack, and counted.
 *
 * Cases are plain JSON ({@link CaseParams}) so that a failure can be replayed exactly
 * (`node dist/test/matrix/run-many.js --replay '<json>'`). Handles are driven directly (no Node
 * streams), so a case costs only the segments it moves.
 *
 * Retry limits: every case runs with `synRetries`, `synAckRetries` and `dataRetries` of
 * {@link GENEROUS_RETRIES} (60) instead of Linux's 6/5/15, so that no case can fail by exhausting its
 * retries by pure chance. With 30 % loss in both directions a round trip fails about half the time
 * (1 − 0.7²), so 16 failures in a row (Linux's 15 retries) come with probability ≈ 0.51¹⁶ ≈ 2·10⁻⁵ per
 * loss episode: a few spurious ETIMEDOUTs over 10,000 runs, which say nothing about the engine. Burst
 * loss is worse, because the link's Gilbert–Elliott chain advances per packet (a burst outlasts any
 * backoff): with the bounded bursts of `cases.ts` (see BURST_LIMITS there) the worst case of 31 failed
 * round trips in a row is still ≈ 5·10⁻⁵, and it was hit in the 10,000-run mode; 61 in a row is
 * ≈ 2·10⁻⁹ (plain 30 % loss: ≈ 10⁻¹⁸). A genuinely stuck connection still fails, just later (60
 * retries at the 120 s maximum RTO are about 2 virtual hours, which cost nothing). Everything else
 * keeps the engine's defaults (RTO bounds, MSL and so a 60 s TIME-WAIT).
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { BurstLoss, LinkCounters, LinkParams, SimLinkOptions } from '../../src/link/sim/link.js';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpHandle, TcpListener } from '../../src/stack/tcp-handle.js';
import type { CongestionControlName } from '../../src/tcp/cc/index.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { ConnectionStats } from '../../src/tcp/connection.js';
import type { NetworkInterface } from '../../src/stack/routing.js';
import type { StackTraceEvent } from '../../src/stack/trace.js';
import { formatFlags, parseIpv4Tcp } from '../../src/wire/packet.js';
import type { TcpSegment } from '../../src/wire/types.js';

/** Retransmission limits used by every case (see the module comment for why). */
export const GENEROUS_RETRIES = 60;

/** The small buffer size of the matrix (send and receive), in bytes. */
export const SMALL_BUFFER = 16 * 1024;

/** How the two ends close. */
export type CloseMode =
  /** A closes once all its data is queued; B closes after A's FIN (EOF) and its own data queued. */
  | 'a-first'
  /** The mirror image: B closes first. */
  | 'b-first'
  /** Each end closes as soon as all its own data is queued, independently. */
  | 'eager'
  /** Both ends close at the same virtual instant, once each has received all of the other's data: FINs cross. */
  | 'simultaneous';

/** Link impairments that may differ per direction (a JSON-safe subset of {@link LinkParams}). */
export interface DirectionImpairments {
  loss?: number;
  burstLoss?: BurstLoss;
  duplicate?: number;
  duplicateDelay?: number;
  reorder?: number;
  reorderDelay?: number;
  corrupt?: number;
  jitter?: number;
  /** Bits per second; omitted = unlimited. */
  bandwidth?: number;
  /** Transmit queue in packets (only with a bandwidth). */
  queueLimit?: number;
  latency?: number;
}

/** The link of a case: both directions, optionally overridden per direction. */
export interface LinkSpec extends DirectionImpairments {
  /** Both directions (asymmetric MTUs would just black-hole the larger segments). */
  mtu: number;
  latency: number;
  aToB?: DirectionImpairments;
  bToA?: DirectionImpairments;
}

/** TCP options of one end of a case. */
export interface TcpSpec {
  congestionControl: CongestionControlName;
  sack: boolean;
  timestamps: boolean;
  windowScaling: boolean;
  /** 0 ACKs every segment; 40 is Linux's delayed ACK. */
  ackDelay: number;
  nagle: boolean;
  rack: boolean;
  /** Send and receive buffer size: 'small' ({@link SMALL_BUFFER}) or the engine's default (4 MiB). */
  buffers: 'small' | 'default';
}

/** One case of the matrix. JSON-safe, so it can be printed and replayed. */
export interface CaseParams {
  /** Simulation seed: link randomness, ISNs, ports and the payload bytes. */
  seed: number;
  /** Bytes A (the client) sends to B. */
  bytesAB: number;
  /** Bytes B (the server) sends to A. */
  bytesBA: number;
  close: CloseMode;
  /** Largest single `send()` the applications make. */
  writeChunk: number;
  /** 0: read everything at each `readable`. Otherwise a slow reader: at most `readChunk` bytes every `readEvery` ms. */
  readEvery: number;
  readChunk: number;
  link: LinkSpec;
  /** TCP options of A, and of B unless overridden by `tcpB`. */
  tcp: TcpSpec;
  /** Where B differs from A (option negotiation: e.g. SACK offered by one end only). */
  tcpB?: Partial<TcpSpec>;
}

/** What one end ended with. */
export interface SideReport {
  state: string;
  sent: number;
  received: number;
  eof: boolean;
  closedEvent: boolean;
  stats: ConnectionStats | undefined;
}

/** The outcome of {@link runCase}. */
export interface CaseResult {
  ok: boolean;
  /** Human-readable reasons, empty when ok. */
  failures: string[];
  /** Virtual time at the end, ms. */
  virtualMs: number;
  /** Simulation events run. */
  events: number;
  wallMs: number;
  a: SideReport;
  b: SideReport;
  link: { aToB: LinkCounters; bToA: LinkCounters };
  /** Drops counted by each stack, by reason. */
  drops: { a: Record<string, number>; b: Record<string, number> };
  /** Corrupted copies delivered, and how many of those the receiving stack dropped. */
  corruptedDelivered: number;
  corruptedDropped: number;
}

/** Cut-offs that turn a hang into a failure. */
export interface RunLimits {
  /** Virtual time budget in ms (default 48 h: 60 backed-off retries at the 120 s max RTO take about 2 h). */
  virtualMs?: number;
  /** Event budget (default 20 million). */
  events?: number;
  /** Called with one line per segment sent/received/lost, drop and state change (for replays; slow). */
  trace?: (line: string) => void;
}

const ADDR_A = '10.0.0.1';
const ADDR_B = '10.0.0.2';
const PORT = 80;

interface Side {
  name: 'A' | 'B';
  stack: Stack;
  iface: NetworkInterface;
  handle: TcpHandle | undefined;
  out: Uint8Array;
  written: number;
  expect: Uint8Array;
  received: number;
  mismatchAt: number;
  eof: boolean;
  closeCalled: boolean;
  closedEvent: boolean;
  started: boolean;
  readScheduled: boolean;
}

function directionParams(d: DirectionImpairments | undefined): Partial<LinkParams> | undefined {
  if (d === undefined) return undefined;
  const p: Partial<LinkParams> = {};
  if (d.latency !== undefined) p.latency = d.latency;
  if (d.loss !== undefined) p.loss = d.loss;
  if (d.burstLoss !== undefined) p.burstLoss = d.burstLoss;
  if (d.duplicate !== undefined) p.duplicate = d.duplicate;
  if (d.duplicateDelay !== undefined) p.duplicateDelay = d.duplicateDelay;
  if (d.reorder !== undefined) p.reorder = d.reorder;
  if (d.reorderDelay !== undefined) p.reorderDelay = d.reorderDelay;
  if (d.corrupt !== undefined) p.corrupt = d.corrupt;
  if (d.jitter !== undefined) p.jitter = d.jitter;
  if (d.bandwidth !== undefined) p.bandwidth = d.bandwidth;
  if (d.queueLimit !== undefined) p.queueLimit = d.queueLimit;
  return p;
}

/** The {@link SimLinkOptions} of a case's link. */
export function linkOptions(spec: LinkSpec): SimLinkOptions {
  const both = directionParams(spec)!;
  const aToB = directionParams(spec.aToB);
  const bToA = directionParams(spec.bToA);
  return {
    label: 'matrix',
    ...both,
    mtu: spec.mtu,
    latency: spec.latency,
    ...(aToB !== undefined ? { aToB } : {}),
    ...(bToA !== undefined ? { bToA } : {}),
  };
}

/** The {@link TcpConfig} overrides of a case (both stacks). */
export function tcpConfig(spec: TcpSpec): Partial<TcpConfig> {
  return {
    synRetries: GENEROUS_RETRIES,
    synAckRetries: GENEROUS_RETRIES,
    dataRetries: GENEROUS_RETRIES,
    congestionControl: spec.congestionControl,
    sack: spec.sack,
    timestamps: spec.timestamps,
    windowScaling: spec.windowScaling,
    ackDelay: spec.ackDelay,
    nagle: spec.nagle,
    rack: spec.rack,
    ...(spec.buffers === 'small' ? { sendBufferSize: SMALL_BUFFER, receiveBufferSize: SMALL_BUFFER } : {}),
  };
}

function hasCorruption(spec: LinkSpec): boolean {
  return (spec.corrupt ?? 0) > 0 || (spec.aToB?.corrupt ?? 0) > 0 || (spec.bToA?.corrupt ?? 0) > 0;
}

function totalDrops(stack: Stack): number {
  let n = 0;
  for (const k in stack.counters.drops) n += stack.counters.drops[k]!;
  return n;
}

function equalBytes(x: Uint8Array, y: Uint8Array): boolean {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

function firstDifference(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return n;
}

/** Run one case to the end and check it. Never throws for a failing case: see `failures`. */
export function runCase(p: CaseParams, limits: RunLimits = {}): CaseResult {
  const wall0 = performance.now();
  const failures: string[] = [];
  const fail = (msg: string): void => {
    if (failures.length < 20) failures.push(msg);
  };

  const sim = new Simulation({ seed: p.seed });
  const link = sim.link(linkOptions(p.link));
  const stackA = new Stack({ name: 'a', runtime: sim.runtime('a'), tcp: tcpConfig(p.tcp) });
  const stackB = new Stack({ name: 'b', runtime: sim.runtime('b'), tcp: tcpConfig({ ...p.tcp, ...p.tcpB }) });
  const ifaceA = stackA.addInterface({ link: link.a, addresses: [`${ADDR_A}/24`] });
  const ifaceB = stackB.addInterface({ link: link.b, addresses: [`${ADDR_B}/24`] });

  if (limits.trace !== undefined) installTrace(sim, link, [stackA, stackB], limits.trace);

  const dataAB = sim.random('data-ab').bytes(p.bytesAB);
  const dataBA = sim.random('data-ba').bytes(p.bytesBA);
  const newSide = (name: 'A' | 'B', stack: Stack, iface: NetworkInterface, out: Uint8Array, expect: Uint8Array): Side => ({
    name,
    stack,
    iface,
    handle: undefined,
    out,
    written: 0,
    expect,
    received: 0,
    mismatchAt: -1,
    eof: false,
    closeCalled: false,
    closedEvent: false,
    started: false,
    readScheduled: false,
  });
  const A = newSide('A', stackA, ifaceA, dataAB, dataBA);
  const B = newSide('B', stackB, ifaceB, dataBA, dataAB);

  // Corruption: the link tells (in its 'deliver' tap, just before handing the packet over) whether a
  // copy carries a flipped bit; the receiving stack must then drop it and count the drop.
  let corruptedDelivered = 0;
  let corruptedDropped = 0;
  if (hasCorruption(p.link)) {
    let nextCorrupted = false;
    link.tap((ev) => {
      if (ev.kind === 'deliver') nextCorrupted = ev.corrupted;
    });
    for (const side of [A, B]) {
      const end = side === A ? link.a : link.b;
      end.setReceiver((packet) => {
        const corrupted = nextCorrupted;
        nextCorrupted = false;
        if (!corrupted) {
          side.stack.receivePacket(packet, side.iface);
          return;
        }
        corruptedDelivered++;
        const before = totalDrops(side.stack);
        side.stack.receivePacket(packet, side.iface);
        if (totalDrops(side.stack) === before + 1) corruptedDropped++;
        else fail(`${side.name}: a corrupted packet was not dropped by the stack at t=${sim.now}`);
      });
    }
  }

  const guard = (side: Side, what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      fail(`${side.name}: ${what} threw at t=${sim.now} in ${side.handle?.state}: ${(e as Error).message}`);
    }
  };

  const closeSide = (side: Side): void => {
    if (side.closeCalled || side.handle === undefined) return;
    side.closeCalled = true;
    guard(side, 'close()', () => side.handle!.close());
  };

  const allQueued = (side: Side): boolean => side.started && side.written === side.out.length;
  const allReceived = (side: Side): boolean => side.received === side.expect.length;

  const maybeClose = (): void => {
    switch (p.close) {
      case 'eager':
        if (allQueued(A)) closeSide(A);
        if (allQueued(B)) closeSide(B);
        return;
      case 'a-first':
        if (allQueued(A)) closeSide(A);
        if (allQueued(B) && B.eof) closeSide(B);
        return;
      case 'b-first':
        if (allQueued(B)) closeSide(B);
        if (allQueued(A) && A.eof) closeSide(A);
        return;
      case 'simultaneous':
        if (allQueued(A) && allQueued(B) && allReceived(A) && allReceived(B)) {
          closeSide(A);
          closeSide(B);
        }
        return;
    }
  };

  const pump = (side: Side): void => {
    const h = side.handle;
    if (h === undefined || !side.started || side.closeCalled) return;
    while (side.written < side.out.length) {
      const end = Math.min(side.out.length, side.written + p.writeChunk);
      let n = 0;
      guard(side, 'send()', () => (n = h.send(side.out.subarray(side.written, end))));
      if (n <= 0) break;
      side.written += n;
    }
    maybeClose();
  };

  const take = (side: Side, max: number): void => {
    const h = side.handle!;
    if (h.readableLength === 0) return;
    let chunk: Uint8Array | undefined;
    guard(side, 'receive()', () => (chunk = h.receive(max)));
    if (chunk === undefined || chunk.length === 0) return;
    const at = side.received;
    if (at + chunk.length > side.expect.length) {
      fail(`${side.name}: received ${at + chunk.length} bytes, only ${side.expect.length} were sent`);
    } else if (side.mismatchAt < 0 && !equalBytes(chunk, side.expect.subarray(at, at + chunk.length))) {
      side.mismatchAt = at + firstDifference(chunk, side.expect.subarray(at, at + chunk.length));
      fail(`${side.name}: byte ${side.mismatchAt} differs from what was sent`);
    }
    side.received += chunk.length;
  };

  const slowRead = (side: Side): void => {
    side.readScheduled = false;
    take(side, p.readChunk);
    if (side.handle!.readableLength > 0) scheduleRead(side);
    maybeClose();
  };
  const scheduleRead = (side: Side): void => {
    if (side.readScheduled) return;
    side.readScheduled = true;
    sim.after(p.readEvery, () => slowRead(side));
  };

  const onReadable = (side: Side): void => {
    if (p.readEvery > 0) {
      scheduleRead(side);
      return;
    }
    while (side.handle!.readableLength > 0) take(side, Infinity);
    maybeClose();
  };

  const start = (side: Side): void => {
    if (side.started) return;
    side.started = true;
    pump(side);
  };

  const attach = (side: Side, h: TcpHandle): void => {
    side.handle = h;
    h.setEventListener((ev) => {
      switch (ev.type) {
        case 'established':
          start(side);
          break;
        case 'writable':
          pump(side);
          break;
        case 'readable':
          onReadable(side);
          break;
        case 'eof':
          side.eof = true;
          maybeClose();
          break;
        case 'error':
          fail(`${side.name}: error ${ev.code} at t=${sim.now}: ${ev.rule}`);
          break;
        case 'closed':
          side.closedEvent = true;
          break;
        default:
          break;
      }
    });
  };

  let listener: TcpListener | undefined;
  try {
    listener = stackB.listen({ port: PORT });
    const l = listener;
    l.onAcceptable = () => {
      const h = l.accept();
      if (h === undefined) return;
      if (B.handle !== undefined) {
        fail(`B: a second connection was accepted at t=${sim.now}`);
        return;
      }
      // One connection per case: stop listening, so that nothing late can open another.
      l.close();
      attach(B, h);
      if (h.state === 'ESTABLISHED' || h.state === 'CLOSE-WAIT') start(B);
    };
    attach(A, stackA.connect({ remoteAddress: ADDR_B, remotePort: PORT }));
  } catch (e) {
    fail(`setup threw: ${(e as Error).message}`);
  }

  const virtualLimit = limits.virtualMs ?? 48 * 3600_000;
  const eventLimit = limits.events ?? 20_000_000;
  let events = 0;
  try {
    // sim.run() in slices, so that a livelock (events forever) becomes a failure instead of a hang.
    while (sim.pending > 0 && sim.nextEventTime <= virtualLimit && events < eventLimit) {
      events += sim.run({ maxEvents: 10_000 });
    }
  } catch (e) {
    fail(`simulation threw at t=${sim.now}: ${(e as Error).stack ?? String(e)}`);
  }
  if (sim.pending > 0) {
    fail(
      `still busy after ${events} events at t=${sim.now} ms (next event at ${sim.nextEventTime}); ` +
        `A ${A.handle?.state} B ${B.handle?.state}, A read ${A.received}/${A.expect.length}, B read ${B.received}/${B.expect.length}`,
    );
  }

  for (const side of [A, B]) {
    const h = side.handle;
    if (h === undefined) {
      fail(`${side.name}: never had a connection`);
      continue;
    }
    if (side.received !== side.expect.length) fail(`${side.name}: read ${side.received} of ${side.expect.length} bytes`);
    if (!side.eof) fail(`${side.name}: no EOF`);
    if (side.written !== side.out.length) fail(`${side.name}: queued only ${side.written} of ${side.out.length} bytes`);
    if (!side.closeCalled) fail(`${side.name}: never closed (mode ${p.close})`);
    if (h.state !== 'CLOSED') fail(`${side.name}: ended in ${h.state}, not CLOSED`);
    if (!side.closedEvent) fail(`${side.name}: no 'closed' event`);
  }
  if (stackA.connectionCount !== 0) fail(`stack A still holds ${stackA.connectionCount} connection(s)`);
  if (stackB.connectionCount !== 0) fail(`stack B still holds ${stackB.connectionCount} connection(s)`);
  if (corruptedDropped !== corruptedDelivered) fail(`${corruptedDelivered - corruptedDropped} corrupted packet(s) not dropped`);

  const report = (side: Side): SideReport => ({
    state: side.handle?.state ?? 'none',
    sent: side.written,
    received: side.received,
    eof: side.eof,
    closedEvent: side.closedEvent,
    stats: side.handle?.status().stats,
  });
  return {
    ok: failures.length === 0,
    failures,
    virtualMs: sim.now,
    events,
    wallMs: performance.now() - wall0,
    a: report(A),
    b: report(B),
    link: { aToB: { ...link.stats.aToB }, bToA: { ...link.stats.bToA } },
    drops: { a: { ...stackA.counters.drops }, b: { ...stackB.counters.drops } },
    corruptedDelivered,
    corruptedDropped,
  };
}

/** Segment and state tracing for replays: relative sequence numbers, one line per event. */
function installTrace(sim: Simulation, link: ReturnType<Simulation['link']>, stacks: Stack[], out: (line: string) => void): void {
  const isn = new Map<number, number>(); // by source port
  const fmt = (seg: TcpSegment): string => {
    const SYN = 2;
    if (seg.flags & SYN && !isn.has(seg.srcPort)) isn.set(seg.srcPort, seg.seq);
    const s0 = isn.get(seg.srcPort);
    const a0 = isn.get(seg.dstPort);
    const rel = (x: number, base: number | undefined): string => (base === undefined ? String(x) : String((x - base) >>> 0));
    const o = seg.options;
    const opts = [
      o.mss !== undefined ? `mss=${o.mss}` : '',
      o.windowScale !== undefined ? `ws=${o.windowScale}` : '',
      o.sackPermitted ? 'sackOK' : '',
      o.timestamp ? `ts=${o.timestamp.value}/${o.timestamp.echo}` : '',
      o.sackBlocks?.length ? `sack=${o.sackBlocks.map((b) => `${rel(b.left, a0)}-${rel(b.right, a0)}`).join(',')}` : '',
    ].filter((x) => x !== '');
    return `${seg.srcPort}>${seg.dstPort} ${formatFlags(seg.flags)} seq=${rel(seg.seq, s0)} ack=${rel(seg.ack, a0)} len=${seg.payload.length} win=${seg.window}${opts.length ? ' ' + opts.join(' ') : ''}`;
  };
  const t = (): string => sim.now.toFixed(3).padStart(12);
  const onTrace = (ev: StackTraceEvent): void => {
    switch (ev.type) {
      case 'send':
      case 'recv':
        out(`${t()} ${ev.stack} ${ev.type} ${fmt(ev.segment)}${ev.rule !== undefined ? `  [${ev.rule}]` : ''}`);
        return;
      case 'drop':
        out(`${t()} ${ev.stack} drop ${ev.reason} ${ev.detail}`);
        return;
      case 'state':
        out(`${t()} ${ev.stack} state ${ev.from} → ${ev.to}  [${ev.rule}]`);
        return;
    }
  };
  for (const s of stacks) s.addTraceListener(onTrace);
  link.tap((ev) => {
    if (ev.kind !== 'drop' && !(ev.kind === 'deliver' && (ev.corrupted || ev.duplicate))) return;
    const p = parseIpv4Tcp(ev.packet);
    const what = ev.kind === 'drop' ? `LINK ${ev.fate}` : ev.corrupted ? 'LINK corrupted copy' : 'LINK duplicate';
    out(`${t()} ${ev.from === 'a' ? 'a' : 'b'} ${what} ${p.ok ? fmt(p.value.tcp) : '(unparsable)'}`);
  });
}
