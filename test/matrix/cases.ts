/**
 * The parameter space of the impairment matrix: {@link randomCase} draws one case from a seed, and
 * {@link EDGE_CASES} are hand-picked corners. {@link describeCase} names a case for test output.
 *
 * @module
 */

import { Prng } from '../../src/util/prng.js';
import type { CaseParams, CloseMode, DirectionImpairments, LinkSpec, TcpSpec } from './harness.js';

const CLOSE_MODES: readonly CloseMode[] = ['a-first', 'b-first', 'eager', 'simultaneous'];

function pick<T>(r: Prng, xs: readonly T[]): T {
  return xs[r.int(0, xs.length)]!;
}

/** Rounded to 3 significant decimals, so names and JSON stay short. */
function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function weighted<T>(r: Prng, xs: ReadonlyArray<readonly [T, number]>): T {
  let total = 0;
  for (const [, w] of xs) total += w;
  let u = r.next() * total;
  for (const [x, w] of xs) {
    if ((u -= w) < 0) return x;
  }
  return xs[xs.length - 1]![0];
}

/** Impairments of one direction (or of both, when used for the shared part). */
function impairments(r: Prng, latency: number, opts: { maxLoss: number }): DirectionImpairments {
  const d: DirectionImpairments = {};
  // Loss: none in a quarter of the cases, else uniform over (0, maxLoss].
  if (r.chance(0.75)) d.loss = r3(r.float(0.001, opts.maxLoss));
  if (r.chance(0.15)) {
    // Bounded bursts (see BURST_LIMITS): mean length 1.4–3.3 packets, at most 80 % lost inside.
    d.burstLoss = { enterBad: r3(r.float(0.002, 0.05)), exitBad: r3(r.float(0.3, 0.7)), lossInBad: r3(r.float(0.5, 0.8)) };
  }
  if (r.chance(0.25)) {
    d.duplicate = r3(r.float(0.01, 0.5));
    // Sometimes late enough to arrive after the retransmission timeout (old duplicates, D-SACK, PAWS).
    if (r.chance(0.5)) d.duplicateDelay = r3(r.chance(0.2) ? r.float(0, 4 * latency + 300) : r.float(0, latency + 5));
  }
  if (r.chance(0.3)) {
    d.reorder = r.chance(0.15) ? 1 : r3(r.float(0.01, 0.5));
    d.reorderDelay = r3(r.chance(0.15) ? r.float(50, 4 * latency + 300) : r.float(0.5, Math.max(2, latency * 1.5)));
  }
  if (r.chance(0.2)) d.corrupt = r3(r.float(0.001, 0.1));
  if (r.chance(0.35)) d.jitter = r3(r.float(0, Math.max(1, latency * (r.chance(0.2) ? 2 : 1))));
  return d;
}

function tcpSpec(r: Prng): TcpSpec {
  return {
    congestionControl: r.chance(0.5) ? 'cubic' : 'newreno',
    sack: r.chance(0.75),
    timestamps: r.chance(0.75),
    windowScaling: r.chance(0.75),
    ackDelay: r.chance(0.5) ? 40 : 0,
    nagle: r.chance(0.5),
    rack: r.chance(0.8),
    buffers: r.chance(0.3) ? 'small' : 'default',
  };
}

function size(r: Prng, maxBytes: number): number {
  if (r.chance(0.1)) return 0;
  return r.int(20_000, maxBytes + 1);
}

/**
 * Why bursts are bounded: the link evaluates its Gilbert–Elliott chain once per *packet*, not per unit
 * of time, so a burst is not shortened by the sender's exponential backoff — while the sender backs
 * off, its only packets are the retransmissions, and each one meets the chain where the last left it.
 * With long bursts (exitBad 0.1, lossInBad 1) on top of 30 % loss, 31 failed round trips in a row
 * happen in a few percent of the loss episodes: ETIMEDOUT by pure chance. With exitBad ≥ 0.3,
 * lossInBad ≤ 0.8, enterBad ≤ 0.05 and at most 10 % independent loss alongside, a Markov-chain
 * computation of the worst case (both directions starting in the bad state) gives ≈ 2·10⁻⁹ for the
 * 61 failed round trips in a row that exhaust the harness's retries (`GENEROUS_RETRIES` = 60).
 */
export const BURST_LIMITS = Object.freeze({ maxEnterBad: 0.05, minExitBad: 0.3, maxLossInBad: 0.8, maxLossAlongside: 0.1 });

/** Caps the independent loss of each direction that also has burst loss (see {@link BURST_LIMITS}). */
function tameBursts(link: LinkSpec): void {
  for (const dir of ['aToB', 'bToA'] as const) {
    const burst = link[dir]?.burstLoss ?? link.burstLoss;
    const loss = link[dir]?.loss ?? link.loss ?? 0;
    if (burst !== undefined && loss > BURST_LIMITS.maxLossAlongside) {
      link[dir] = { ...link[dir], loss: r3(loss / 3) };
    }
  }
}

/** Options of {@link randomCase}. */
export interface RandomCaseOptions {
  /** Largest payload per direction (default 300 000 bytes). */
  maxBytes?: number;
}

/**
 * One case drawn from the parameter space; the same seed always gives the same case (and the case's
 * simulation runs with that seed too).
 */
export function randomCase(seed: number, options: RandomCaseOptions = {}): CaseParams {
  const r = new Prng(seed).fork('matrix-case');
  const maxBytes = options.maxBytes ?? 300_000;
  const latency = pick(r, [0, 1, 2, 5, 10, 20, 40, 80, 150]);
  const mtu = weighted(r, [
    [576, 3],
    [1500, 5],
    [9000, 2],
  ] as const);
  const link: LinkSpec = { mtu, latency, ...impairments(r, latency, { maxLoss: 0.3 }) };
  // Asymmetric bandwidth (with finite queues) in 40 % of the cases, symmetric limits in 15 %.
  const bw = [1e6, 2e6, 10e6, 50e6, 1e9];
  const u = r.next();
  if (u < 0.4) {
    link.aToB = { bandwidth: pick(r, bw), queueLimit: pick(r, [8, 20, 50, 200, 1000]) };
    link.bToA = { bandwidth: pick(r, bw), queueLimit: pick(r, [8, 20, 50, 200, 1000]) };
  } else if (u < 0.55) {
    link.bandwidth = pick(r, bw);
    link.queueLimit = pick(r, [20, 100, 1000]);
  }
  // Different impairments per direction in 20 % of the cases (on top of the shared ones).
  if (r.chance(0.2)) {
    const side = r.chance(0.5) ? 'aToB' : 'bToA';
    link[side] = { ...link[side], ...impairments(r, latency, { maxLoss: 0.3 }) };
  }
  tameBursts(link);
  const slowReader = r.chance(0.25);
  const tcp = tcpSpec(r);
  // The ends differ in 20 % of the cases: one to three options flipped at B.
  let tcpB: Partial<TcpSpec> | undefined;
  if (r.chance(0.2)) {
    const diff: Record<string, unknown> = {};
    for (let n = r.int(1, 4); n > 0; n--) {
      const k = pick(r, TCP_KEYS);
      diff[k] = flip(tcp, k);
    }
    tcpB = diff as Partial<TcpSpec>;
  }
  return {
    seed,
    bytesAB: size(r, maxBytes),
    bytesBA: size(r, maxBytes),
    close: pick(r, CLOSE_MODES),
    writeChunk: pick(r, [100, 536, 1000, 1460, 4096, 16384, 65536, 1 << 20]),
    readEvery: slowReader ? pick(r, [1, 5, 20]) : 0,
    readChunk: slowReader ? pick(r, [1000, 4096, 16384, 65536]) : 0,
    link,
    tcp,
    ...(tcpB !== undefined ? { tcpB } : {}),
  };
}

const TCP_KEYS: ReadonlyArray<keyof TcpSpec> = ['congestionControl', 'sack', 'timestamps', 'windowScaling', 'ackDelay', 'nagle', 'rack', 'buffers'];

/** The other value of a two-valued option. */
function flip(t: TcpSpec, k: keyof TcpSpec): TcpSpec[keyof TcpSpec] {
  const v = t[k];
  if (typeof v === 'boolean') return !v;
  if (k === 'ackDelay') return v === 0 ? 40 : 0;
  if (k === 'congestionControl') return v === 'cubic' ? 'newreno' : 'cubic';
  return v === 'small' ? 'default' : 'small';
}

const DEFAULT_TCP: TcpSpec = {
  congestionControl: 'cubic',
  sack: true,
  timestamps: true,
  windowScaling: true,
  ackDelay: 40,
  nagle: true,
  rack: true,
  buffers: 'default',
};

const PLAIN_TCP: TcpSpec = {
  congestionControl: 'newreno',
  sack: false,
  timestamps: false,
  windowScaling: false,
  ackDelay: 0,
  nagle: false,
  rack: false,
  buffers: 'default',
};

function edge(seed: number, link: LinkSpec, over: Partial<Omit<CaseParams, 'seed' | 'link'>> = {}): CaseParams {
  return {
    seed,
    bytesAB: 100_000,
    bytesBA: 100_000,
    close: 'eager',
    writeChunk: 16384,
    readEvery: 0,
    readChunk: 0,
    link,
    tcp: DEFAULT_TCP,
    ...over,
  };
}

/** Hand-picked corners of the space. */
export const EDGE_CASES: readonly CaseParams[] = [
  edge(1, { mtu: 1500, latency: 10 }),
  edge(2, { mtu: 1500, latency: 0 }, { bytesAB: 300_000, bytesBA: 300_000, close: 'simultaneous' }),
  edge(3, { mtu: 1500, latency: 10, loss: 0.3 }),
  edge(4, { mtu: 1500, latency: 10, loss: 0.3 }, { tcp: PLAIN_TCP, close: 'a-first' }),
  edge(5, { mtu: 576, latency: 20, loss: 0.3 }, { tcp: { ...DEFAULT_TCP, congestionControl: 'newreno' }, close: 'b-first' }),
  edge(6, { mtu: 1500, latency: 5, reorder: 1, reorderDelay: 1, jitter: 3 }),
  edge(7, { mtu: 1500, latency: 2, reorder: 1, reorderDelay: 0.5 }, { close: 'simultaneous' }),
  edge(8, { mtu: 1500, latency: 10, duplicate: 0.5 }),
  edge(9, { mtu: 1500, latency: 10, duplicate: 0.5, duplicateDelay: 30 }, { tcp: PLAIN_TCP }),
  edge(10, { mtu: 1500, latency: 10, corrupt: 0.1 }),
  edge(11, { mtu: 9000, latency: 10, corrupt: 0.1 }, { close: 'a-first' }),
  edge(12, { mtu: 576, latency: 10 }, { tcp: { ...DEFAULT_TCP, sack: true, timestamps: true } }),
  edge(13, { mtu: 576, latency: 10, loss: 0.1, reorder: 0.2, reorderDelay: 8 }, { tcp: { ...DEFAULT_TCP, sack: true, timestamps: true } }),
  edge(14, { mtu: 576, latency: 10, loss: 0.05 }, { tcp: { ...DEFAULT_TCP, buffers: 'small' }, readEvery: 5, readChunk: 1000 }),
  edge(15, { mtu: 1500, latency: 10, loss: 0.05 }, { bytesAB: 0, bytesBA: 200_000, close: 'a-first' }),
  edge(16, { mtu: 1500, latency: 10, loss: 0.05 }, { bytesAB: 200_000, bytesBA: 0, close: 'a-first' }),
  edge(17, { mtu: 1500, latency: 10 }, { bytesAB: 0, bytesBA: 0, close: 'simultaneous' }),
  edge(18, { mtu: 1500, latency: 10, loss: 0.2 }, { bytesAB: 0, bytesBA: 0, close: 'b-first' }),
  edge(19, {
    mtu: 1500,
    latency: 10,
    aToB: { bandwidth: 10e6, queueLimit: 50 },
    bToA: { bandwidth: 1e6, queueLimit: 20 },
  }, { bytesAB: 300_000, bytesBA: 300_000 }),
  edge(20, {
    mtu: 1500,
    latency: 20,
    aToB: { bandwidth: 1e6, queueLimit: 8 },
    bToA: { bandwidth: 10e6, queueLimit: 8 },
  }, { tcp: { ...DEFAULT_TCP, congestionControl: 'newreno' }, close: 'b-first' }),
  edge(21, { mtu: 1500, latency: 10, burstLoss: { enterBad: 0.05, exitBad: 0.3, lossInBad: 0.8 } }),
  edge(22, { mtu: 1500, latency: 10, aToB: { loss: 0.3 }, bToA: { loss: 0 } }, { close: 'b-first' }),
  edge(23, { mtu: 9000, latency: 1, bandwidth: 1e9, queueLimit: 1000 }, { bytesAB: 300_000, bytesBA: 300_000, tcp: { ...DEFAULT_TCP, nagle: false, ackDelay: 0 } }),
  edge(24, {
    mtu: 1500,
    latency: 20,
    loss: 0.1,
    duplicate: 0.1,
    reorder: 0.2,
    corrupt: 0.05,
    jitter: 10,
    aToB: { bandwidth: 10e6, queueLimit: 50 },
    bToA: { bandwidth: 1e6, queueLimit: 20 },
  }, { close: 'simultaneous' }),
  edge(25, { mtu: 1500, latency: 50 }, { close: 'simultaneous', tcp: PLAIN_TCP }),
  edge(26, { mtu: 1500, latency: 10, loss: 0.1 }, { tcp: { ...DEFAULT_TCP, buffers: 'small', nagle: true }, writeChunk: 100 }),
  edge(27, { mtu: 576, latency: 10, loss: 0.1 }, { tcp: { ...PLAIN_TCP, buffers: 'small' }, readEvery: 20, readChunk: 4096 }),
  // Option negotiation: everything offered by A, nothing by B (and the reverse, under loss).
  edge(28, { mtu: 1500, latency: 10, loss: 0.05 }, { tcpB: { sack: false, timestamps: false, windowScaling: false } }),
  edge(29, { mtu: 576, latency: 10, loss: 0.1, reorder: 0.1 }, { tcp: PLAIN_TCP, tcpB: { sack: true, timestamps: true, windowScaling: true, buffers: 'small' } }),
];

function pct(x: number | undefined): string {
  return `${r3((x ?? 0) * 100)}%`;
}

function describeImpairments(d: DirectionImpairments): string[] {
  const parts: string[] = [];
  if (d.latency !== undefined) parts.push(`lat=${d.latency}ms`);
  if (d.loss) parts.push(`loss=${pct(d.loss)}`);
  if (d.burstLoss) parts.push(`burst=${d.burstLoss.enterBad}/${d.burstLoss.exitBad}/${d.burstLoss.lossInBad ?? 1}`);
  if (d.duplicate) parts.push(`dup=${pct(d.duplicate)}`);
  if (d.reorder) parts.push(`reorder=${pct(d.reorder)}/${d.reorderDelay ?? 'auto'}ms`);
  if (d.corrupt) parts.push(`corrupt=${pct(d.corrupt)}`);
  if (d.jitter) parts.push(`jitter=${d.jitter}ms`);
  if (d.bandwidth !== undefined) parts.push(`bw=${d.bandwidth / 1e6}M/q${d.queueLimit ?? 1000}`);
  return parts;
}

/** A short, descriptive, unique-per-seed name for a case. */
export function describeCase(p: CaseParams): string {
  const l = p.link;
  const parts = [`seed=${p.seed}`, `mtu=${l.mtu}`, `lat=${l.latency}ms`, ...describeImpairments({ ...l, latency: undefined })];
  if (l.aToB) parts.push(`a→b[${describeImpairments(l.aToB).join(' ')}]`);
  if (l.bToA) parts.push(`b→a[${describeImpairments(l.bToA).join(' ')}]`);
  const t = p.tcp;
  const flags = [
    t.congestionControl,
    t.sack ? 'sack' : 'nosack',
    t.timestamps ? 'ts' : 'nots',
    t.windowScaling ? 'ws' : 'nows',
    `delack=${t.ackDelay}`,
    t.nagle ? 'nagle' : 'nodelay',
    t.rack ? 'rack' : 'norack',
    t.buffers === 'small' ? 'buf=16K' : 'buf=4M',
  ];
  parts.push(...flags);
  if (p.tcpB !== undefined) {
    const b = p.tcpB;
    const diff = [
      b.congestionControl,
      b.sack === undefined ? undefined : b.sack ? 'sack' : 'nosack',
      b.timestamps === undefined ? undefined : b.timestamps ? 'ts' : 'nots',
      b.windowScaling === undefined ? undefined : b.windowScaling ? 'ws' : 'nows',
      b.ackDelay === undefined ? undefined : `delack=${b.ackDelay}`,
      b.nagle === undefined ? undefined : b.nagle ? 'nagle' : 'nodelay',
      b.rack === undefined ? undefined : b.rack ? 'rack' : 'norack',
      b.buffers === undefined ? undefined : b.buffers === 'small' ? 'buf=16K' : 'buf=4M',
    ].filter((x) => x !== undefined);
    parts.push(`B[${diff.join(' ')}]`);
  }
  parts.push(`a→b=${p.bytesAB}B`, `b→a=${p.bytesBA}B`, `close=${p.close}`, `wr=${p.writeChunk}`);
  if (p.readEvery > 0) parts.push(`slowread=${p.readChunk}B/${p.readEvery}ms`);
  return parts.join(' ');
}
