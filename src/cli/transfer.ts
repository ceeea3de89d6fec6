/**
 * `synack transfer`: move N seeded pseudo-random bytes between two synack hosts on an impaired
 * simulated link, through `node:net`-compatible sockets, and check them end to end with SHA-256.
 *
 * {@link runTransfer} does the work and returns a {@link TransferResult} (tests and benchmarks call
 * it directly); {@link parseTransferArgs}, {@link formatTransferSummary} and {@link transferCommand}
 * make the CLI around it.
 *
 * Definitions used in the results (all times are simulated unless named `wall…`):
 * - t0 is the virtual time at which the client's `connect()` is called (before the SYN).
 * - A direction's `transferSeconds` is from t0 until its receiver has read its last byte, and its
 *   `goodputMbps` is `bytes × 8 / transferSeconds / 10⁶` (handshake and slow start included, the
 *   close excluded; `null` when no simulated time passed, i.e. latency 0 and unlimited bandwidth).
 * - `simSeconds` is from t0 until both sockets have emitted `'close'` and both connections have left
 *   the active states (they are CLOSED or in TIME-WAIT: every FIN has been acknowledged).
 * - `goodputMbps` at the top level is the smallest over the directions moved.
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import type { LinkCounters } from '../link/sim/link.js';
import { SimNetwork } from '../sim/network.js';
import type { Socket } from '../socket/socket.js';
import type { TcpConfig } from '../tcp/config.js';
import type { ConnectionStatus } from '../tcp/connection.js';
import type { Prng } from '../util/prng.js';
import { ProgressBar, type ProgressStream } from './progress.js';

/** Which way the bytes go: client → server, server → client, or both at once. */
export type TransferDirection = 'up' | 'down' | 'both';

/** Congestion controllers `--cc` accepts. */
export type TransferCc = 'cubic' | 'newreno';

export const TRANSFER_DEFAULTS = Object.freeze({
  latency: 10,
  jitter: 0,
  mtu: 1500,
  loss: 0,
  reorder: 0,
  duplicate: 0,
  corrupt: 0,
  direction: 'up' as TransferDirection,
  seed: 1,
  chunkSize: 64 * 1024,
});

/** Options of {@link runTransfer}. Link impairments apply to each direction of the link. */
export interface TransferOptions {
  /** Bytes to move in each direction (positive integer). */
  bytes: number;
  /** One-way latency in ms (default 10; RTT = 2 × latency). */
  latency?: number;
  /** Jitter in ms, ± around the latency (default 0). */
  jitter?: number;
  /** Bandwidth in Mbit/s (default: unlimited). */
  bandwidth?: number;
  /** Link MTU in bytes (default 1500). */
  mtu?: number;
  /** Per-packet probabilities, each direction (default 0). */
  loss?: number;
  reorder?: number;
  duplicate?: number;
  corrupt?: number;
  /** Congestion controller, passed to both stacks as `tcp: { congestionControl }` (default: the engine's). */
  cc?: TransferCc;
  /** Default `up` (client → server). */
  direction?: TransferDirection;
  /** Seed of the simulation (default 1): the same seed gives the same run. */
  seed?: number;
  /** Size of each `write()`, in bytes (default 64 KiB). */
  chunkSize?: number;
  /** Draw a progress bar: `true` for `process.stderr`, or a stream. Only drawn on a TTY. */
  progress?: boolean | ProgressStream;
  /**
   * Virtual-time budget in seconds; the transfer fails if it is not closed by then. Default: one hour
   * plus 20× the time an ideal transfer at min(bandwidth, 64 KiB per RTT) would take (simulated time
   * is cheap: a run that only waits on backed-off retransmission timers costs almost no wall time).
   */
  simTimeoutSeconds?: number;
}

/** One direction's outcome. */
export interface DirectionResult {
  /** Sending host. */
  from: 'client' | 'server';
  /** Receiving host. */
  to: 'client' | 'server';
  /** Bytes the sender wrote. */
  bytesSent: number;
  /** Bytes the receiver read. */
  bytesReceived: number;
  sentSha256: string;
  receivedSha256: string;
  /** Every byte arrived, in order, intact: same count and same SHA-256. */
  sha256Match: boolean;
  /** From t0 to the receiver reading the last byte (null if it never did). */
  transferSeconds: number | null;
  /** `bytes × 8 / transferSeconds / 1e6` (null if undefined, see the module notes). */
  goodputMbps: number | null;
  /** The sender's counters. */
  retransmits: number;
  rtoCount: number;
  fastRecoveries: number;
  /** The sender's final congestion window, slow-start threshold (null while unbounded) and smoothed RTT. */
  cwnd: number;
  ssthresh: number | null;
  srttMs: number | null;
}

/** One host's connection at the end. */
export interface EndpointResult {
  /** Final TCP state of its connection (CLOSED or TIME-WAIT after a clean close; `none` if it never had one). */
  state: string;
  /** The socket emitted `'close'`. */
  closed: boolean;
  /** The socket's `'close'` reported an error, or `'error'` was emitted. */
  hadError: boolean;
  cwnd: number;
  /** Null while unbounded. */
  ssthresh: number | null;
  srttMs: number | null;
  rtoMs: number;
  /** Every counter of the engine's `ConnectionStats` (whatever fields it has). */
  stats: Record<string, number>;
}

/** What {@link runTransfer} reports. Fields named `wall…` depend on the machine; everything else on the seed only. */
export interface TransferResult {
  /** Every byte arrived intact in every direction and both ends closed without error. */
  ok: boolean;
  /** Bytes per direction (`--bytes`). */
  bytes: number;
  direction: TransferDirection;
  seed: number;
  cc: TransferCc | null;
  /** True when every direction's SHA-256 (and byte count) matched. */
  sha256Match: boolean;
  /** Simulated seconds from t0 until both ends were closed. */
  simSeconds: number;
  /** Smallest goodput over the directions (Mbit/s), null if any is undefined. */
  goodputMbps: number | null;
  /** Counters summed over both endpoints (both connections' retransmissions, RTOs, fast recoveries). */
  retransmits: number;
  rtoCount: number;
  fastRecoveries: number;
  /** Per direction. */
  directions: { up?: DirectionResult; down?: DirectionResult };
  endpoints: { client: EndpointResult; server: EndpointResult };
  /** Link counters: `aToB` is client → server. */
  link: { aToB: LinkCounters; bToA: LinkCounters };
  /** The link and options used, defaults filled in (bandwidth null = unlimited). */
  options: {
    latency: number;
    jitter: number;
    bandwidth: number | null;
    mtu: number;
    loss: number;
    reorder: number;
    duplicate: number;
    corrupt: number;
    chunkSize: number;
  };
  /** What went wrong, if anything (socket errors, timeouts, mismatches). */
  errors: string[];
  /** Wall-clock seconds the run took (machine-dependent). */
  wallSeconds: number;
  /** Payload bytes moved (all directions) per wall-clock second, in MB/s (10⁶ bytes). */
  wallMBps: number;
}

const PORT = 5001;

/** Streams `total` seeded pseudo-random bytes in fresh chunks (never the whole payload at once). */
class PayloadSource {
  private remaining: number;

  constructor(
    private readonly rng: Prng,
    total: number,
  ) {
    this.remaining = total;
  }

  get left(): number {
    return this.remaining;
  }

  /** The next `min(max, left)` bytes, in a new buffer (the socket may hold it until written). */
  next(max: number): Buffer {
    const n = Math.min(max, this.remaining);
    const words = new Uint32Array((n + 3) >>> 2);
    const rng = this.rng;
    for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
    this.remaining -= n;
    return Buffer.from(words.buffer, 0, n);
  }
}

/** State of one direction while it runs. */
class Flow {
  readonly sentHash: Hash = createHash('sha256');
  readonly receivedHash: Hash = createHash('sha256');
  sent = 0;
  received = 0;
  lastByteAt: number | undefined;
  constructor(
    readonly name: 'up' | 'down',
    readonly from: 'client' | 'server',
    readonly to: 'client' | 'server',
    readonly source: PayloadSource,
  ) {}
}

interface Side {
  name: 'client' | 'server';
  socket: Socket | undefined;
  closed: boolean;
  hadError: boolean;
}

/**
 * Run one transfer on a fresh simulated network (client 10.0.0.1 ⇄ server 10.0.0.2) and report.
 * Never throws for network trouble: failures come back as `ok: false` with `errors`.
 */
export async function runTransfer(options: TransferOptions): Promise<TransferResult> {
  const o = resolveOptions(options);
  const wallStart = performance.now();
  const net = new SimNetwork({ seed: o.seed });
  const sim = net.sim;
  // Both stacks get the controller as a default for every connection (TcpConfig.congestionControl).
  const tcp: Partial<TcpConfig> = o.cc !== null ? { congestionControl: o.cc } : {};
  const clientHost = net.host('client', { tcp });
  const serverHost = net.host('server', { tcp });
  const link = net.connect(clientHost, serverHost, {
    label: 'transfer',
    subnet: '10.0.0.0/24',
    latency: o.latency,
    jitter: o.jitter,
    bandwidth: o.bandwidth === null ? Infinity : o.bandwidth * 1e6,
    mtu: o.mtu,
    loss: o.loss,
    reorder: o.reorder,
    duplicate: o.duplicate,
    corrupt: o.corrupt,
  });

  const flows: Flow[] = [];
  if (o.direction !== 'down') flows.push(new Flow('up', 'client', 'server', new PayloadSource(sim.random('transfer:up'), o.bytes)));
  if (o.direction !== 'up') flows.push(new Flow('down', 'server', 'client', new PayloadSource(sim.random('transfer:down'), o.bytes)));
  const sending = (side: 'client' | 'server'): Flow | undefined => flows.find((f) => f.from === side);
  const receiving = (side: 'client' | 'server'): Flow | undefined => flows.find((f) => f.to === side);
  const totalBytes = o.bytes * flows.length;

  const errors: string[] = [];
  const client: Side = { name: 'client', socket: undefined, closed: false, hadError: false };
  const server: Side = { name: 'server', socket: undefined, closed: false, hadError: false };

  /** Wire up one end: send its flow (if any) with backpressure, hash what it reads, end when done. */
  const attach = (side: Side, socket: Socket, start: 'now' | 'on-connect'): void => {
    side.socket = socket;
    const out = sending(side.name);
    const inbound = receiving(side.name);
    socket.on('error', (err: Error & { code?: string }) => {
      side.hadError = true;
      errors.push(`${side.name}: ${err.code ?? err.name}: ${err.message}`);
    });
    socket.on('close', (hadError: boolean) => {
      side.closed = true;
      if (hadError) side.hadError = true;
    });
    socket.on('data', (data: Buffer) => {
      if (inbound === undefined) {
        errors.push(`${side.name}: received ${data.length} unexpected bytes`);
        return;
      }
      inbound.receivedHash.update(data);
      inbound.received += data.length;
      if (inbound.received >= o.bytes && inbound.lastByteAt === undefined) inbound.lastByteAt = sim.now;
    });
    // Each end closes its sending side once it has written everything; a receive-only end closes
    // when the peer has (the classic sequence: FIN, ACK, FIN, ACK).
    socket.on('end', () => {
      if (out === undefined) socket.end();
    });
    if (out === undefined) return;
    const pump = (): void => {
      while (out.source.left > 0) {
        const chunk = out.source.next(o.chunkSize);
        out.sentHash.update(chunk);
        out.sent += chunk.length;
        const more = socket.write(chunk);
        if (out.source.left === 0) break;
        if (!more) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    if (start === 'now') pump();
    else socket.once('connect', pump);
  };

  serverHost.net.createServer({ allowHalfOpen: true }, (socket) => {
    if (server.socket !== undefined) {
      errors.push('server: unexpected second connection');
      socket.destroy();
      return;
    }
    attach(server, socket, 'now');
  }).listen(PORT);

  const t0 = sim.now;
  attach(client, clientHost.net.connect({ port: PORT, host: serverHost.address, allowHalfOpen: true }), 'on-connect');

  const progress =
    o.progress === false ? undefined : new ProgressBar({ stream: o.progress === true ? process.stderr : o.progress, total: totalBytes });
  const received = (): number => flows.reduce((n, f) => n + f.received, 0);
  const settled = (h: Socket | undefined): boolean => {
    const state = h?.handle?.state;
    return state === undefined || state === 'CLOSED' || state === 'TIME-WAIT';
  };
  const finished = (): boolean => {
    progress?.update(received(), sim.now - t0);
    if (!client.closed) return false;
    // A client that never connected leaves no server side to wait for.
    if (server.socket === undefined) return client.hadError;
    return server.closed && settled(client.socket) && settled(server.socket);
  };

  try {
    await sim.runUntil(finished, { timeout: o.simTimeoutSeconds * 1000 });
  } catch (e) {
    errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  progress?.finish();
  const simSeconds = (sim.now - t0) / 1000;
  const wallSeconds = (performance.now() - wallStart) / 1000;

  const snapClient = client.socket?.handle?.status();
  const snapServer = server.socket?.handle?.status();
  const snapOf = (name: 'client' | 'server'): ConnectionStatus | undefined => (name === 'client' ? snapClient : snapServer);

  const directions: TransferResult['directions'] = {};
  for (const f of flows) {
    const sentSha256 = f.sentHash.digest('hex');
    const receivedSha256 = f.receivedHash.digest('hex');
    const match = f.sent === o.bytes && f.received === o.bytes && sentSha256 === receivedSha256;
    if (!match) errors.push(`${f.name}: ${f.received} of ${o.bytes} bytes received${f.received === o.bytes ? ', SHA-256 mismatch' : ''}`);
    const transferSeconds = f.lastByteAt === undefined ? null : (f.lastByteAt - t0) / 1000;
    const snap = snapOf(f.from);
    const counters = readCounters(snap);
    directions[f.name] = {
      from: f.from,
      to: f.to,
      bytesSent: f.sent,
      bytesReceived: f.received,
      sentSha256,
      receivedSha256,
      sha256Match: match,
      transferSeconds,
      goodputMbps: transferSeconds !== null && transferSeconds > 0 && match ? (o.bytes * 8) / transferSeconds / 1e6 : null,
      ...counters,
      cwnd: snap?.cwnd ?? 0,
      ssthresh: finiteOrNull(snap?.ssthresh),
      srttMs: snap?.srtt ?? null,
    };
  }

  const endpoint = (side: Side, snap: ConnectionStatus | undefined): EndpointResult => {
    // A server that never saw the connection has nothing to close (the client's error says why).
    if (!side.closed && side.socket !== undefined) errors.push(`${side.name}: socket not closed`);
    return {
      state: snap?.state ?? (side.socket === undefined ? 'none' : 'CLOSED'),
      closed: side.closed,
      hadError: side.hadError,
      cwnd: snap?.cwnd ?? 0,
      ssthresh: finiteOrNull(snap?.ssthresh),
      srttMs: snap?.srtt ?? null,
      rtoMs: snap?.rto ?? 0,
      stats: { ...((snap?.stats ?? {}) as unknown as Record<string, number>) },
    };
  };
  const endpoints = { client: endpoint(client, snapClient), server: endpoint(server, snapServer) };
  const cc = readCounters(snapClient);
  const sc = readCounters(snapServer);

  const dirs = Object.values(directions);
  const sha256Match = dirs.length > 0 && dirs.every((d) => d.sha256Match);
  const goodputs = dirs.map((d) => d.goodputMbps);
  const goodputMbps = goodputs.some((g) => g === null) ? null : Math.min(...(goodputs as number[]));
  const ok = sha256Match && errors.length === 0 && !client.hadError && !server.hadError && client.closed && server.closed;

  return {
    ok,
    bytes: o.bytes,
    direction: o.direction,
    seed: o.seed,
    cc: o.cc,
    sha256Match,
    simSeconds,
    goodputMbps,
    retransmits: cc.retransmits + sc.retransmits,
    rtoCount: cc.rtoCount + sc.rtoCount,
    fastRecoveries: cc.fastRecoveries + sc.fastRecoveries,
    directions,
    endpoints,
    link: { aToB: { ...link.stats.aToB }, bToA: { ...link.stats.bToA } },
    options: {
      latency: o.latency,
      jitter: o.jitter,
      bandwidth: o.bandwidth,
      mtu: o.mtu,
      loss: o.loss,
      reorder: o.reorder,
      duplicate: o.duplicate,
      corrupt: o.corrupt,
      chunkSize: o.chunkSize,
    },
    errors,
    wallSeconds,
    wallMBps: wallSeconds > 0 ? received() / 1e6 / wallSeconds : 0,
  };
}

function finiteOrNull(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

/**
 * The engine counters this tool reads: `retransmits` and `rtoCount` (in `ConnectionStats` today) and
 * `fastRecoveries` (being added with fast retransmit; 0 while absent).
 */
function readCounters(snap: ConnectionStatus | undefined): { retransmits: number; rtoCount: number; fastRecoveries: number } {
  const s = (snap?.stats ?? {}) as unknown as Partial<Record<string, number>>;
  return { retransmits: s['retransmits'] ?? 0, rtoCount: s['rtoCount'] ?? 0, fastRecoveries: s['fastRecoveries'] ?? 0 };
}

interface ResolvedOptions {
  bytes: number;
  latency: number;
  jitter: number;
  bandwidth: number | null;
  mtu: number;
  loss: number;
  reorder: number;
  duplicate: number;
  corrupt: number;
  cc: TransferCc | null;
  direction: TransferDirection;
  seed: number;
  chunkSize: number;
  progress: false | ProgressStream | true;
  simTimeoutSeconds: number;
}

function resolveOptions(options: TransferOptions): ResolvedOptions {
  const d = TRANSFER_DEFAULTS;
  const r: ResolvedOptions = {
    bytes: options.bytes,
    latency: options.latency ?? d.latency,
    jitter: options.jitter ?? d.jitter,
    bandwidth: options.bandwidth === undefined || options.bandwidth === Infinity ? null : options.bandwidth,
    mtu: options.mtu ?? d.mtu,
    loss: options.loss ?? d.loss,
    reorder: options.reorder ?? d.reorder,
    duplicate: options.duplicate ?? d.duplicate,
    corrupt: options.corrupt ?? d.corrupt,
    cc: options.cc ?? null,
    direction: options.direction ?? d.direction,
    seed: options.seed ?? d.seed,
    chunkSize: options.chunkSize ?? d.chunkSize,
    progress: options.progress === undefined || options.progress === false ? false : options.progress,
    simTimeoutSeconds: 0,
  };
  if (!(Number.isSafeInteger(r.bytes) && r.bytes > 0)) throw new RangeError(`bytes must be a positive integer, got ${r.bytes}`);
  for (const k of ['latency', 'jitter'] as const) {
    if (!(r[k] >= 0 && r[k] < Infinity)) throw new RangeError(`${k} must be a finite number >= 0, got ${r[k]}`);
  }
  if (r.bandwidth !== null && !(r.bandwidth > 0 && r.bandwidth < Infinity)) throw new RangeError(`bandwidth must be > 0 Mbit/s, got ${r.bandwidth}`);
  if (!(Number.isInteger(r.mtu) && r.mtu >= 68 && r.mtu <= 65535)) throw new RangeError(`mtu must be an integer in [68, 65535], got ${r.mtu}`);
  for (const k of ['loss', 'reorder', 'duplicate', 'corrupt'] as const) {
    if (!(r[k] >= 0 && r[k] <= 1)) throw new RangeError(`${k} must be a probability in [0, 1], got ${r[k]}`);
  }
  if (r.cc !== null && !CC_NAMES.includes(r.cc)) throw new RangeError(`cc must be one of ${CC_NAMES.join(', ')}, got ${String(r.cc)}`);
  if (!DIRECTIONS.includes(r.direction)) throw new RangeError(`direction must be one of ${DIRECTIONS.join(', ')}, got ${String(r.direction)}`);
  if (!Number.isSafeInteger(r.seed)) throw new RangeError(`seed must be an integer, got ${r.seed}`);
  if (!(Number.isSafeInteger(r.chunkSize) && r.chunkSize > 0)) throw new RangeError(`chunkSize must be a positive integer, got ${r.chunkSize}`);
  // Default budget: an hour, plus 20× an ideal transfer limited by the bandwidth and by one unscaled
  // 64 KiB window per round trip. (Under heavy loss, RTO backoff alone can take many minutes.)
  const rttS = (2 * r.latency + 2 * r.jitter) / 1000;
  const rate = Math.min(r.bandwidth === null ? Infinity : (r.bandwidth * 1e6) / 8, rttS > 0 ? 65535 / rttS : Infinity);
  const ideal = rate === Infinity ? 0 : (r.bytes * (r.direction === 'both' ? 2 : 1)) / rate;
  r.simTimeoutSeconds = options.simTimeoutSeconds ?? 3600 + 20 * ideal;
  if (!(r.simTimeoutSeconds > 0)) throw new RangeError(`simTimeoutSeconds must be > 0, got ${r.simTimeoutSeconds}`);
  return r;
}

const CC_NAMES: readonly TransferCc[] = ['cubic', 'newreno'];
const DIRECTIONS: readonly TransferDirection[] = ['up', 'down', 'both'];

// ───────────────────────────── CLI ─────────────────────────────

/** A bad command line; the message says what is wrong. */
export class TransferUsageError extends Error {
  override name = 'TransferUsageError';
}

export const TRANSFER_USAGE = `transfer --bytes N [--latency MS] [--jitter MS] [--bandwidth MBIT] [--mtu N]
           [--loss P] [--reorder P] [--duplicate P] [--corrupt P] [--cc cubic|newreno]
           [--direction up|down|both] [--seed N] [--json]
      Move N seeded pseudo-random bytes through synack sockets over a simulated link, check them
      with SHA-256, close both ends, and print goodput and loss-recovery counters.
      --bytes N        bytes per direction (suffixes k, M, G = 10^3.., Ki, Mi, Gi = 2^10..)
      --latency MS     one-way delay in ms (default ${TRANSFER_DEFAULTS.latency}; RTT = 2 × latency)
      --jitter MS      ± delay variation in ms (default 0)
      --bandwidth MBIT link rate in Mbit/s (default unlimited)
      --mtu N          link MTU in bytes (default ${TRANSFER_DEFAULTS.mtu})
      --loss/--reorder/--duplicate/--corrupt P
                       per-packet probabilities in [0, 1], each direction (default 0)
      --cc NAME        congestion control: cubic or newreno (default: the engine's)
      --direction D    up (client → server, default), down, or both at once
      --seed N         simulation seed (default ${TRANSFER_DEFAULTS.seed})
      --json           print one JSON object (the last line)
      Exit status 0 when every byte arrived intact and both ends closed cleanly, 1 otherwise.`;

const NUMBER_FLAGS = ['latency', 'jitter', 'bandwidth', 'mtu', 'loss', 'reorder', 'duplicate', 'corrupt', 'seed'] as const;
const VALUE_FLAGS = new Set<string>(['bytes', 'cc', 'direction', ...NUMBER_FLAGS]);
const BOOLEAN_FLAGS = new Set(['json']);

/** Parsed `synack transfer` command line. */
export interface TransferArgs {
  options: TransferOptions;
  json: boolean;
}

/** Parse the arguments after `transfer`. Throws {@link TransferUsageError} with a clear message. */
export function parseTransferArgs(argv: readonly string[]): TransferArgs {
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new TransferUsageError(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq > 0) throw new TransferUsageError(`--${name} takes no value`);
      json = true;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new TransferUsageError(`unknown option --${name}`);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
    else throw new TransferUsageError(`--${name} needs a value`);
    if (values.has(name)) throw new TransferUsageError(`--${name} given twice`);
    values.set(name, value);
  }

  const bytesText = values.get('bytes');
  if (bytesText === undefined) throw new TransferUsageError('--bytes N is required');
  const bytes = parseByteCount(bytesText);
  const options: TransferOptions = { bytes };

  const num = (name: string): number | undefined => {
    const text = values.get(name);
    if (text === undefined) return undefined;
    const n = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(n)) throw new TransferUsageError(`--${name} needs a number, got '${text}'`);
    return n;
  };
  const nonNegative = (name: 'latency' | 'jitter'): void => {
    const n = num(name);
    if (n === undefined) return;
    if (n < 0) throw new TransferUsageError(`--${name} must be >= 0 ms, got ${n}`);
    options[name] = n;
  };
  nonNegative('latency');
  nonNegative('jitter');
  const bandwidth = num('bandwidth');
  if (bandwidth !== undefined) {
    if (!(bandwidth > 0)) throw new TransferUsageError(`--bandwidth must be > 0 Mbit/s, got ${bandwidth}`);
    options.bandwidth = bandwidth;
  }
  const mtu = num('mtu');
  if (mtu !== undefined) {
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new TransferUsageError(`--mtu must be an integer from 68 to 65535, got ${mtu}`);
    options.mtu = mtu;
  }
  for (const name of ['loss', 'reorder', 'duplicate', 'corrupt'] as const) {
    const p = num(name);
    if (p === undefined) continue;
    if (p < 0 || p > 1) throw new TransferUsageError(`--${name} is a probability and must be within [0, 1], got ${p}`);
    options[name] = p;
  }
  const seed = num('seed');
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed)) throw new TransferUsageError(`--seed needs an integer, got ${values.get('seed')}`);
    options.seed = seed;
  }
  const cc = values.get('cc');
  if (cc !== undefined) {
    if (!(CC_NAMES as readonly string[]).includes(cc)) throw new TransferUsageError(`--cc must be one of ${CC_NAMES.join(', ')}, got '${cc}'`);
    options.cc = cc as TransferCc;
  }
  const direction = values.get('direction');
  if (direction !== undefined) {
    if (!(DIRECTIONS as readonly string[]).includes(direction)) {
      throw new TransferUsageError(`--direction must be one of ${DIRECTIONS.join(', ')}, got '${direction}'`);
    }
    options.direction = direction as TransferDirection;
  }
  return { options, json };
}

const SUFFIXES: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** "200000", "2e8", "200M", "64Ki" → bytes. */
function parseByteCount(text: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(k|K|M|G|Ki|Mi|Gi)?[bB]?\s*$/.exec(text);
  const n = m === null ? NaN : Number(m[1]) * SUFFIXES[m[2] ?? '']!;
  if (Number.isNaN(n)) throw new TransferUsageError(`--bytes needs a number, got '${text}'`);
  if (!Number.isSafeInteger(n)) throw new TransferUsageError(`--bytes must be a whole number of bytes, got '${text}'`);
  if (n <= 0) throw new TransferUsageError(`--bytes must be > 0, got '${text}'`);
  return n;
}

/** The human-readable summary printed without `--json`. */
export function formatTransferSummary(r: TransferResult): string {
  const o = r.options;
  const lines: string[] = [];
  const dirText = r.direction === 'both' ? 'each way' : r.direction === 'up' ? 'client → server' : 'server → client';
  lines.push(`synack transfer: ${fmtBytes(r.bytes)} ${dirText}, seed ${r.seed}, congestion control ${r.cc ?? 'engine default'}`);
  lines.push(
    `link: latency ${o.latency} ms one way (RTT ${2 * o.latency} ms), jitter ±${o.jitter} ms, ` +
      `bandwidth ${o.bandwidth === null ? 'unlimited' : `${o.bandwidth} Mbit/s`}, MTU ${o.mtu}, ` +
      `loss ${o.loss}, reorder ${o.reorder}, duplicate ${o.duplicate}, corrupt ${o.corrupt} (per packet, each direction)`,
  );
  for (const [name, d] of Object.entries(r.directions) as Array<[string, DirectionResult]>) {
    lines.push(
      `  ${name.padEnd(4)} ${d.from} → ${d.to}: ${fmtBytes(d.bytesReceived)} in ${fmtSeconds(d.transferSeconds)}, ` +
        `goodput ${d.goodputMbps === null ? 'n/a' : `${d.goodputMbps.toFixed(2)} Mbit/s`}, sha256 ${d.sha256Match ? 'match' : 'MISMATCH'}`,
    );
    lines.push(
      `       sender: retransmits ${d.retransmits}, RTOs ${d.rtoCount}, fast recoveries ${d.fastRecoveries}, ` +
        `final cwnd ${d.cwnd} B, ssthresh ${d.ssthresh === null ? '∞' : `${d.ssthresh} B`}, srtt ${d.srttMs === null ? 'n/a' : `${d.srttMs.toFixed(1)} ms`}`,
    );
  }
  lines.push(
    `closed: client ${r.endpoints.client.state}, server ${r.endpoints.server.state}; ` +
      `simulated ${r.simSeconds.toFixed(3)} s from connect to both closed, wall ${r.wallSeconds.toFixed(2)} s (${r.wallMBps.toFixed(1)} MB/s of payload)`,
  );
  lines.push(`total (both endpoints): retransmits ${r.retransmits}, RTOs ${r.rtoCount}, fast recoveries ${r.fastRecoveries}`);
  lines.push('goodput = bytes × 8 / (simulated time from connect() to the last byte read by the receiver)');
  for (const e of r.errors) lines.push(`error: ${e}`);
  lines.push(r.ok ? 'OK' : 'FAILED');
  return lines.join('\n');
}

function fmtBytes(n: number): string {
  if (n >= 1e9) return `${n} bytes (${(n / 1e9).toFixed(2)} GB)`;
  if (n >= 1e6) return `${n} bytes (${(n / 1e6).toFixed(2)} MB)`;
  if (n >= 1e3) return `${n} bytes (${(n / 1e3).toFixed(1)} kB)`;
  return `${n} bytes`;
}

function fmtSeconds(s: number | null): string {
  return s === null ? 'n/a' : `${s.toFixed(3)} s`;
}

/**
 * `synack transfer …`: parse, run, print (the summary, or with `--json` one JSON line), and return
 * the exit status (0 ok, 1 not). Throws {@link TransferUsageError} for a bad command line.
 */
export async function transferCommand(
  argv: readonly string[],
  io: { stdout: { write(s: string): unknown }; stderr: ProgressStream } = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const { options, json } = parseTransferArgs(argv);
  const result = await runTransfer({ ...options, progress: io.stderr });
  io.stdout.write((json ? JSON.stringify(result) : formatTransferSummary(result)) + '\n');
  return result.ok ? 0 : 1;
}
