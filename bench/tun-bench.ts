/**
 * (d) of `npm run bench`: synack over a real Linux TUN device against the kernel's own TCP, with
 * kernel ↔ kernel over a veth pair measured in the same run as the baseline.
 *
 * - baseline: two fresh network namespaces joined by a veth pair; `bench/kernel-peer.js` runs in each
 *   (`ip netns exec NS node …`), a `source` in one and a `sink` in the other.
 * - synack: a {@link Stack} on a {@link TunLink} that is moved into a fresh namespace before it is
 *   brought up; the kernel peer runs in that namespace. kernel → synack: the kernel `source` sends,
 *   synack receives and discards; synack → kernel: synack sends, the kernel `sink` discards.
 *   synack is driven either through the `Stack`/`TcpHandle` API or through `createNet` sockets
 *   (Node streams).
 *
 * Throughput is always measured by the receiver, from the moment it has the connection (accept /
 * ESTABLISHED) to the sender's FIN. Nothing leaves the namespaces created here; they are deleted in
 * `finally` blocks (and on SIGINT/SIGTERM).
 *
 * Runs on its own too (for profiling): `node dist/bench/tun-bench.js [--runs N] [--mtu 1500,9000]
 * [--veth-bytes N] [--synack-bytes N] [--io auto,threadpool,epoll,offload] [--sockets | --sockets-only] [--no-veth] [--only in|out]`.
 *
 * @module
 */

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from '../src/stack/stack.js';
import { realRuntime } from '../src/stack/runtime.js';
import type { TcpHandle } from '../src/stack/tcp-handle.js';
import { createNet } from '../src/socket/net.js';
import { TunLink, type TunIoMode } from '../src/link/tun/tun-link.js';
import { mbPerSecond, median, table, type BulkSample } from './stats.js';

const PEER_SCRIPT = fileURLToPath(new URL('./kernel-peer.js', import.meta.url));
const CHUNK = 64 * 1024;
/** A single run that takes longer than this fails (it would mean something is stuck). */
const RUN_TIMEOUT_MS = 60_000;

/** Options of {@link runTunBench}. */
export interface TunBenchOptions {
  /** Measured runs per row (the median is shown). */
  runs: number;
  /** Bytes per run, kernel ↔ kernel over veth. */
  vethBytes: number;
  /** Bytes per run, kernel ↔ synack over TUN. */
  synackBytes: number;
  /** Device MTUs to measure (each gets its own veth baseline). */
  mtus: number[];
  /** Also measure synack through `createNet` sockets (Node streams), not only the handle API. */
  sockets: boolean;
  /** Measure synack through the handle API (default true; false with `sockets` for sockets only). */
  handles?: boolean;
  /**
   * TUN link configurations to measure: an I/O mode (`'auto'`: the link's default), or `'offload'`
   * (the default I/O mode with `offload: true`).
   */
  ioModes: Array<TunIoMode | 'offload'>;
  /** Measure the veth baseline (default true; false for profiling synack alone). */
  baseline?: boolean;
  /** Which synack directions to measure (default both). */
  directions?: Array<'kernel → synack' | 'synack → kernel'>;
  /** Where the table goes (stdout), and progress notes (stderr). */
  out: (line?: string) => void;
  note: (line: string) => void;
}

/** Why the TUN benchmark cannot run here, or undefined. */
export function tunSkipReason(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (creates network namespaces, a veth pair and a TUN device)';
  if (!fs.existsSync('/dev/net/tun')) return '/dev/net/tun does not exist';
  const missing = ['ip', 'python3'].filter((c) => !onPath(c));
  if (missing.length > 0) return `missing commands: ${missing.join(', ')}`;
  return undefined;
}

function onPath(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => {
    try {
      fs.accessSync(path.join(dir || '.', cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Why the TUN benchmark cannot run here, or undefined: {@link tunSkipReason}, then whether a network
 * namespace can actually be created (root in a container may lack CAP_SYS_ADMIN) and /dev/net/tun
 * opened.
 */
export async function tunProbe(): Promise<string | undefined> {
  const reason = tunSkipReason();
  if (reason !== undefined) return reason;
  try {
    fs.closeSync(fs.openSync('/dev/net/tun', 'r+'));
  } catch (e) {
    return `cannot open /dev/net/tun: ${(e as Error).message}`;
  }
  const ns = `synack-bench-${process.pid}-probe`;
  try {
    await addNamespace(ns);
  } catch (e) {
    return `cannot create a network namespace: ${(e as Error).message.split('\n')[0]}`;
  }
  await delNamespace(ns).catch(() => undefined);
  return undefined;
}

// ───────────────────────────── processes and namespaces ─────────────────────────────

function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function ip(args: string[]): Promise<void> {
  const r = await run('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** Namespaces this process created and has not deleted yet (deleted on SIGINT/SIGTERM too). */
const liveNamespaces = new Set<string>();
let signalHandlersInstalled = false;

function installSignalCleanup(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const ns of liveNamespaces) {
        try {
          execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {
          /* already gone */
        }
      }
      process.exit(130);
    });
  }
}

async function addNamespace(name: string): Promise<void> {
  installSignalCleanup();
  await ip(['netns', 'add', name]);
  liveNamespaces.add(name);
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

async function delNamespace(name: string): Promise<void> {
  if (!liveNamespaces.has(name)) return;
  liveNamespaces.delete(name);
  await ip(['netns', 'del', name]);
}

/** A running `kernel-peer.js` in a namespace; `result` resolves with its final JSON line. */
interface Peer {
  child: ChildProcess;
  /** Resolves once a sink is listening (at once for a source). */
  ready: Promise<void>;
  result: Promise<BulkSample>;
}

function startPeer(ns: string, args: string[]): Peer {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let buf = '';
  let onReady!: () => void;
  let onNotReady!: (e: Error) => void;
  let onResult!: (s: BulkSample) => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onNotReady = reject;
  });
  const result = new Promise<BulkSample>((resolve, reject) => {
    onResult = resolve;
    onFail = reject;
  });
  ready.catch(() => undefined);
  result.catch(() => undefined);
  if (args[0] === 'source') onReady();
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const o = JSON.parse(line) as { listening?: boolean; bytes?: number; seconds?: number };
      if (o.listening) onReady();
      else if (o.bytes !== undefined && o.seconds !== undefined) onResult({ bytes: o.bytes, seconds: o.seconds });
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const fail = (e: Error): void => {
    onNotReady(e);
    onFail(e);
  };
  child.on('error', fail);
  child.on('close', (code) => fail(new Error(`kernel peer (${args.join(' ')}) exited ${code}${stderr ? `: ${stderr.trim()}` : ''}`)));
  return { child, ready, result };
}

function withTimeout<T>(p: Promise<T>, what: string, cleanup: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no result after ${RUN_TIMEOUT_MS / 1000} s`));
    }, RUN_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// ───────────────────────────── kernel ↔ kernel over veth ─────────────────────────────

interface VethEnv {
  sendNs: string;
  recvNs: string;
  recvAddr: string;
  close(): Promise<void>;
}

async function openVeth(tag: string, mtu: number): Promise<VethEnv> {
  const a = `synack-bench-${process.pid}-${tag}a`;
  const b = `synack-bench-${process.pid}-${tag}b`;
  const close = async (): Promise<void> => {
    await delNamespace(a).catch(() => undefined);
    await delNamespace(b).catch(() => undefined);
  };
  try {
    await addNamespace(a);
    await addNamespace(b);
    // Created directly inside the namespaces: the pair never exists in this process's namespace.
    await ip(['link', 'add', 'bench0', 'mtu', String(mtu), 'netns', a, 'type', 'veth', 'peer', 'name', 'bench1', 'mtu', String(mtu), 'netns', b]);
    await ip(['-n', a, 'addr', 'add', '10.201.0.1/24', 'dev', 'bench0']);
    await ip(['-n', b, 'addr', 'add', '10.201.0.2/24', 'dev', 'bench1']);
    await ip(['-n', a, 'link', 'set', 'bench0', 'up']);
    await ip(['-n', b, 'link', 'set', 'bench1', 'up']);
  } catch (e) {
    await close();
    throw e;
  }
  return { sendNs: a, recvNs: b, recvAddr: '10.201.0.2', close };
}

let nextPort = 20000;

async function vethBulk(env: VethEnv, bytes: number): Promise<BulkSample> {
  const port = nextPort++;
  const sink = startPeer(env.recvNs, ['sink', '--host', env.recvAddr, '--port', String(port)]);
  try {
    await withTimeout(sink.ready, 'veth sink', () => sink.child.kill());
    const source = startPeer(env.sendNs, ['source', '--host', env.recvAddr, '--port', String(port), '--bytes', String(bytes)]);
    try {
      const r = await withTimeout(sink.result, 'veth transfer', () => source.child.kill());
      await source.result;
      if (r.bytes !== bytes) throw new Error(`veth: sent ${bytes}, received ${r.bytes}`);
      return r;
    } finally {
      source.child.kill();
    }
  } finally {
    sink.child.kill();
  }
}

// ───────────────────────────── synack over TUN ─────────────────────────────


interface TunEnv {
  ns: string;
  link: TunLink;
  stack: Stack;
  /** The kernel's address on the device. */
  kernelAddr: string;
  /** synack's address. */
  synackAddr: string;
  close(): Promise<void>;
}

async function openTun(tag: string, mtu: number, io: TunIoMode | 'offload'): Promise<TunEnv> {
  const ns = `synack-bench-${process.pid}-${tag}`;
  let link: TunLink | undefined;
  const close = async (): Promise<void> => {
    try {
      await link?.close();
    } finally {
      await delNamespace(ns);
    }
  };
  try {
    await addNamespace(ns);
    link = await TunLink.open({ netns: ns, mtu, ...(io === 'offload' ? { offload: true } : { io }) });
    await ip(['-n', ns, 'addr', 'add', '10.202.0.1/24', 'dev', link.name]);
    await ip(['-n', ns, 'link', 'set', link.name, 'up']);
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  const stack = new Stack({ name: 'synack-bench', runtime: realRuntime({ unrefTimers: true }) });
  stack.addInterface({ name: link.name, link, addresses: ['10.202.0.2/24'] });
  return { ns, link, stack, kernelAddr: '10.202.0.1', synackAddr: '10.202.0.2', close };
}

function makeChunk(): Uint8Array {
  const chunk = new Uint8Array(CHUNK);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  return chunk;
}

/** kernel → synack, synack receiving through the handle API (each `receive()` result is dropped). */
async function kernelToSynackHandles(env: TunEnv, bytes: number): Promise<BulkSample> {
  const port = nextPort++;
  const listener = env.stack.listen({ port });
  let received = 0;
  let t0 = 0;
  let done!: (s: BulkSample) => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<BulkSample>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  listener.onAcceptable = () => {
    let h: TcpHandle | undefined;
    while ((h = listener.accept()) !== undefined) {
      const s = h;
      listener.close();
      t0 = performance.now();
      const drain = (): void => {
        while (s.readableLength > 0) {
          const d = s.receive();
          if (d.length === 0) break;
          received += d.length;
        }
      };
      s.setEventListener((ev) => {
        if (ev.type === 'readable') drain();
        else if (ev.type === 'eof') {
          drain();
          const seconds = (performance.now() - t0) / 1000;
          s.close();
          done({ bytes: received, seconds });
        } else if (ev.type === 'error') failed(new Error(`synack receiver: ${ev.code}`));
      });
    }
  };
  const source = startPeer(env.ns, ['source', '--host', env.synackAddr, '--port', String(port), '--bytes', String(bytes)]);
  try {
    const r = await withTimeout(Promise.race([finished, source.result.then(() => finished)]), 'kernel → synack', () => source.child.kill());
    await source.result;
    if (r.bytes !== bytes) throw new Error(`kernel → synack: sent ${bytes}, received ${r.bytes}`);
    return r;
  } finally {
    source.child.kill();
    listener.close();
  }
}

/** synack → kernel, synack sending through the handle API (refilling the send buffer on `writable`). */
async function synackToKernelHandles(env: TunEnv, bytes: number): Promise<BulkSample> {
  const port = nextPort++;
  const sink = startPeer(env.ns, ['sink', '--host', env.kernelAddr, '--port', String(port)]);
  try {
    await withTimeout(sink.ready, 'kernel sink', () => sink.child.kill());
    const chunk = makeChunk();
    const c = env.stack.connect({ remoteAddress: env.kernelAddr, remotePort: port });
    let sent = 0;
    let carry: Uint8Array | undefined;
    let closing = false;
    let failed!: (e: Error) => void;
    const error = new Promise<never>((_, reject) => (failed = reject));
    const pump = (): void => {
      while (!closing) {
        if (carry === undefined) {
          if (sent >= bytes) {
            closing = true;
            c.close();
            return;
          }
          const n = Math.min(CHUNK, bytes - sent);
          carry = n === CHUNK ? chunk : chunk.subarray(0, n);
        }
        const n = c.send(carry);
        sent += n;
        if (n < carry.length) {
          carry = carry.subarray(n);
          return;
        }
        carry = undefined;
      }
    };
    c.setEventListener((ev) => {
      if (ev.type === 'established' || ev.type === 'writable') pump();
      else if (ev.type === 'error') failed(new Error(`synack sender: ${ev.code}`));
    });
    const r = await withTimeout(Promise.race([sink.result, error]), 'synack → kernel', () => sink.child.kill());
    if (r.bytes !== bytes) throw new Error(`synack → kernel: sent ${bytes}, received ${r.bytes}`);
    return r;
  } finally {
    sink.child.kill();
  }
}

/** kernel → synack, synack receiving through a `createNet` server socket ('data' events). */
async function kernelToSynackSockets(env: TunEnv, bytes: number): Promise<BulkSample> {
  const port = nextPort++;
  const net = createNet(env.stack);
  let done!: (s: BulkSample) => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<BulkSample>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const server = net.createServer((s) => {
    server.close();
    const t0 = performance.now();
    let received = 0;
    s.on('data', (d: Uint8Array) => (received += d.length));
    s.on('error', (e: Error) => failed(e));
    s.on('end', () => {
      done({ bytes: received, seconds: (performance.now() - t0) / 1000 });
      s.end();
    });
  });
  server.listen(port);
  const source = startPeer(env.ns, ['source', '--host', env.synackAddr, '--port', String(port), '--bytes', String(bytes)]);
  try {
    const r = await withTimeout(Promise.race([finished, source.result.then(() => finished)]), 'kernel → synack (sockets)', () => source.child.kill());
    await source.result;
    if (r.bytes !== bytes) throw new Error(`kernel → synack (sockets): sent ${bytes}, received ${r.bytes}`);
    return r;
  } finally {
    source.child.kill();
    server.close();
  }
}

/** synack → kernel, synack sending through a `createNet` socket (`write()` / `'drain'`). */
async function synackToKernelSockets(env: TunEnv, bytes: number): Promise<BulkSample> {
  const port = nextPort++;
  const sink = startPeer(env.ns, ['sink', '--host', env.kernelAddr, '--port', String(port)]);
  try {
    await withTimeout(sink.ready, 'kernel sink', () => sink.child.kill());
    const chunk = makeChunk();
    const net = createNet(env.stack);
    let failed!: (e: Error) => void;
    const error = new Promise<never>((_, reject) => (failed = reject));
    const c = net.connect(port, env.kernelAddr);
    c.on('error', (e: Error) => failed(e));
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const n = Math.min(CHUNK, bytes - sent);
        sent += n;
        if (!c.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
          c.once('drain', pump);
          return;
        }
      }
      c.end();
    };
    c.once('connect', pump);
    c.resume();
    const r = await withTimeout(Promise.race([sink.result, error]), 'synack → kernel (sockets)', () => sink.child.kill());
    if (r.bytes !== bytes) throw new Error(`synack → kernel (sockets): sent ${bytes}, received ${r.bytes}`);
    return r;
  } finally {
    sink.child.kill();
  }
}

// ───────────────────────────── the benchmark ─────────────────────────────

interface Row {
  direction: string;
  impl: string;
  mtu: number;
  runs: BulkSample[];
}

async function series(o: TunBenchOptions, label: string, warmUp: () => Promise<BulkSample>, measure: () => Promise<BulkSample>): Promise<BulkSample[]> {
  o.note(label);
  await warmUp(); // not counted: lets the JIT (and the kernel's socket buffers) settle
  const runs: BulkSample[] = [];
  for (let i = 0; i < o.runs; i++) runs.push(await measure());
  return runs;
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits);

/** Measure and print section (d). Throws on a failed run (after cleaning up). */
export async function runTunBench(o: TunBenchOptions): Promise<void> {
  const rows: Row[] = [];
  const warmVeth = Math.max(1, Math.floor(o.vethBytes / 10));
  const warmSynack = Math.max(1, Math.floor(o.synackBytes / 10));
  for (const mtu of o.mtus) {
    if (o.baseline ?? true) {
      const veth = await openVeth(`v${mtu}`, mtu);
      try {
        rows.push({
          direction: 'kernel → kernel',
          impl: 'kernel TCP ↔ kernel TCP, veth pair between two netns (baseline)',
          mtu,
          runs: await series(o, `veth, MTU ${mtu}`, () => vethBulk(veth, warmVeth), () => vethBulk(veth, o.vethBytes)),
        });
      } finally {
        await veth.close();
      }
    }
    for (const io of o.ioModes) {
      const tun = await openTun(`t${mtu}`, mtu, io);
      const ioLabel = `TUN io ${tun.link.io}${tun.link.offload ? ' + offload' : ''}`;
      try {
        const cases: Array<[string, string, (env: TunEnv, bytes: number) => Promise<BulkSample>]> = [];
        if (o.handles ?? true) {
          cases.push(
            ['kernel → synack', `synack receives via Stack/TcpHandle API (receive() and discard), ${ioLabel}`, kernelToSynackHandles],
            ['synack → kernel', `synack sends via Stack/TcpHandle API (send() on writable), ${ioLabel}`, synackToKernelHandles],
          );
        }
        if (o.sockets) {
          cases.push(
            ['kernel → synack', `synack receives via createNet socket ('data' events), ${ioLabel}`, kernelToSynackSockets],
            ['synack → kernel', `synack sends via createNet socket (write()/drain), ${ioLabel}`, synackToKernelSockets],
          );
        }
        for (const [direction, impl, fn] of cases) {
          if (o.directions !== undefined && !o.directions.includes(direction as 'kernel → synack')) continue;
          rows.push({
            direction,
            impl,
            mtu,
            runs: await series(o, `${direction}, ${impl}, MTU ${mtu}`, () => fn(tun, warmSynack), () => fn(tun, o.synackBytes)),
          });
        }
        const c = tun.link.counters;
        o.note(`TUN link counters: ${JSON.stringify(c)}; stack drops ${JSON.stringify(tun.stack.counters.drops)}`);
      } finally {
        await tun.close();
      }
    }
  }
  const baseline = new Map<number, number>();
  for (const r of rows) if (r.direction === 'kernel → kernel') baseline.set(r.mtu, median(r.runs.map(mbPerSecond)));
  o.out(
    table(
      ['direction', 'implementation', 'MTU', 'MB/s', 'ratio vs veth', 'MB moved', 'runs (MB/s)'],
      rows.map((r) => {
        const m = median(r.runs.map(mbPerSecond));
        return [
          r.direction,
          r.impl,
          String(r.mtu),
          fmt(m),
          r.direction === 'kernel → kernel' ? '1' : baseline.has(r.mtu) ? fmt(m / baseline.get(r.mtu)!, 3) : '-',
          fmt(median(r.runs.map((s) => s.bytes / 1e6)), 0),
          r.runs.map((s) => fmt(mbPerSecond(s))).join(', '),
        ];
      }),
      new Set([2, 3, 4, 5]),
    ),
  );
}

// ───────────────────────────── standalone ─────────────────────────────

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = (s = ''): void => void process.stdout.write(s + '\n');
  const note = (s: string): void => void process.stderr.write(`  … ${s}\n`);
  const reason = await tunProbe();
  if (reason !== undefined) {
    out(`(d) TUN benchmark skipped: ${reason}`);
    return;
  }
  const runs = Number(value('runs') ?? 3);
  const mtus = (value('mtu') ?? '1500').split(',').map(Number);
  const vethBytes = Number(value('veth-bytes') ?? 200e6);
  const synackBytes = Number(value('synack-bytes') ?? 200e6);
  out(`(d) throughput over TUN, median of ${runs}: veth ${vethBytes / 1e6} MB, synack ${synackBytes / 1e6} MB per run`);
  const ioModes = (value('io') ?? 'auto').split(',') as Array<TunIoMode | 'offload'>;
  const only = value('only');
  const directions = only === 'in' ? (['kernel → synack'] as const) : only === 'out' ? (['synack → kernel'] as const) : undefined;
  await runTunBench({
    runs,
    vethBytes,
    synackBytes,
    mtus,
    sockets: argv.includes('--sockets') || argv.includes('--sockets-only'),
    handles: !argv.includes('--sockets-only'),
    ioModes,
    baseline: !argv.includes('--no-veth'),
    ...(directions !== undefined ? { directions: [...directions] } : {}),
    out,
    note,
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stderr.write(`tun bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
