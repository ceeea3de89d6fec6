/**
 * The long impairment matrix: `npm run test:matrix` (10,000 random cases), or directly
 *
 *   node dist/test/matrix/run-many.js [N] [--start S] [--jobs J]   # cases with seeds S … S+N−1
 *   node dist/test/matrix/run-many.js --replay '<json>'             # one case, from a failure report
 *   node dist/test/matrix/run-many.js --seed S                      # the random case of seed S
 *   … --replay/--seed … --verbose (full result) --trace (every segment, state change and drop)
 *
 * Prints progress on stderr and a summary line on stdout; exits 1 after listing every failing case as
 * one JSON line each (replayable with --replay).
 *
 * This file lives under `test/`, so `node --test dist/test/` loads it like a test file: it does
 * nothing unless it is the main module of a process that is not a test-runner child (the runner sets
 * NODE_TEST_CONTEXT in the processes it spawns, whose main module *is* this file).
 *
 * @module
 */

import { availableParallelism } from 'node:os';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { describeCase, randomCase } from './cases.js';
import { runCase, type CaseParams, type CaseResult } from './harness.js';

/** The default first seed of `run-many` (far from the seeds of `matrix.test.ts`). */
export const DEFAULT_START_SEED = 1_000_000;

interface Options {
  count: number;
  start: number;
  jobs: number;
  replay: CaseParams | undefined;
  verbose: boolean;
  trace: boolean;
}

interface Totals {
  runs: number;
  failed: Array<{ params: CaseParams; failures: string[] }>;
  wallMs: number;
  virtualMs: number;
  events: number;
  retransmits: number;
  rtos: number;
  corrupted: number;
  lost: number;
  slowest: { ms: number; seed: number };
}

function usage(): never {
  process.stderr.write(
    'usage: run-many.js [N=10000] [--start SEED=1000000] [--jobs J=cores] [--verbose]\n' +
      '       run-many.js (--replay \'<case json>\' | --seed SEED) [--verbose] [--trace]\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { count: 10_000, start: DEFAULT_START_SEED, jobs: availableParallelism(), replay: undefined, verbose: false, trace: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage();
      return v;
    };
    if (a === '--replay') o.replay = JSON.parse(value()) as CaseParams;
    else if (a === '--seed') o.replay = randomCase(Number(value()));
    else if (a === '--start') o.start = Number(value());
    else if (a === '--jobs') {
      const v = value();
      o.jobs = v === 'auto' ? availableParallelism() : Number(v);
    }
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--trace') o.trace = true;
    else if (/^\d+$/.test(a)) o.count = Number(a);
    else usage();
  }
  if (!Number.isSafeInteger(o.start) || !(o.jobs >= 1) || !(o.count >= 0)) usage();
  return o;
}

function newTotals(): Totals {
  return { runs: 0, failed: [], wallMs: 0, virtualMs: 0, events: 0, retransmits: 0, rtos: 0, corrupted: 0, lost: 0, slowest: { ms: 0, seed: 0 } };
}

/** What a worker sends back per case (a compact CaseResult). */
interface Done {
  params: CaseParams;
  ok: boolean;
  failures: string[];
  wallMs: number;
  virtualMs: number;
  events: number;
  retransmits: number;
  rtos: number;
  corrupted: number;
  lost: number;
}

function summarize(params: CaseParams, r: CaseResult): Done {
  return {
    params,
    ok: r.ok,
    failures: r.failures,
    wallMs: r.wallMs,
    virtualMs: r.virtualMs,
    events: r.events,
    retransmits: (r.a.stats?.retransmits ?? 0) + (r.b.stats?.retransmits ?? 0),
    rtos: (r.a.stats?.rtoCount ?? 0) + (r.b.stats?.rtoCount ?? 0),
    corrupted: r.corruptedDelivered,
    lost: r.link.aToB.lost + r.link.bToA.lost,
  };
}

function add(t: Totals, d: Done): void {
  t.runs++;
  t.wallMs += d.wallMs;
  t.virtualMs += d.virtualMs;
  t.events += d.events;
  t.retransmits += d.retransmits;
  t.rtos += d.rtos;
  t.corrupted += d.corrupted;
  t.lost += d.lost;
  if (d.wallMs > t.slowest.ms) t.slowest = { ms: d.wallMs, seed: d.params.seed };
  if (!d.ok) t.failed.push({ params: d.params, failures: d.failures });
}

function replay(params: CaseParams, verbose: boolean, trace: boolean): number {
  process.stdout.write(`${describeCase(params)}\n`);
  const r = runCase(params, trace ? { trace: (line) => process.stdout.write(`${line}\n`) } : {});
  if (verbose) process.stdout.write(`${JSON.stringify({ ...r, failures: undefined }, null, 2)}\n`);
  process.stdout.write(
    `${r.ok ? 'ok' : 'FAILED'}: ${r.events} events, ${(r.virtualMs / 1000).toFixed(1)} virtual s, ${r.wallMs.toFixed(0)} ms; ` +
      `retransmits A ${r.a.stats?.retransmits ?? '-'} B ${r.b.stats?.retransmits ?? '-'}; lost ${r.link.aToB.lost}+${r.link.bToA.lost}, ` +
      `corrupted ${r.corruptedDelivered}\n`,
  );
  for (const f of r.failures) process.stdout.write(`  ${f}\n`);
  return r.ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  if (o.replay !== undefined) return replay(o.replay, o.verbose, o.trace);

  const totals = newTotals();
  const t0 = performance.now();
  const tty = process.stderr.isTTY === true;
  let lastProgress = 0;
  const progress = (force = false): void => {
    const now = performance.now();
    if (!force && now - lastProgress < (tty ? 250 : 10_000)) return;
    lastProgress = now;
    const elapsed = (now - t0) / 1000;
    const eta = totals.runs > 0 ? (elapsed / totals.runs) * (o.count - totals.runs) : 0;
    const line =
      `matrix: ${totals.runs}/${o.count} (${((100 * totals.runs) / Math.max(1, o.count)).toFixed(1)}%), ` +
      `${totals.failed.length} failed, ${elapsed.toFixed(0)} s elapsed, ~${eta.toFixed(0)} s left`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const onDone = (d: Done): void => {
    add(totals, d);
    if (!d.ok) {
      process.stderr.write(`${tty ? '\r\x1b[K' : ''}FAIL ${describeCase(d.params)}\n  ${d.failures.join('\n  ')}\n`);
    }
    progress();
  };

  const jobs = Math.min(o.jobs, Math.max(1, o.count));
  if (jobs <= 1) {
    for (let i = 0; i < o.count; i++) {
      const params = randomCase(o.start + i);
      onDone(summarize(params, runCase(params)));
    }
  } else {
    const file = fileURLToPath(import.meta.url);
    await Promise.all(
      Array.from({ length: jobs }, (_, k) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(file, { workerData: { start: o.start, count: o.count, stride: jobs, offset: k } });
          w.on('message', (d: Done) => onDone(d));
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${k} exited with ${code}`))));
        }),
      ),
    );
  }
  progress(true);
  if (tty) process.stderr.write('\n');

  const wall = (performance.now() - t0) / 1000;
  process.stdout.write(
    `matrix: ${totals.runs} runs (seeds ${o.start}…${o.start + o.count - 1}), ${totals.runs - totals.failed.length} passed, ` +
      `${totals.failed.length} failed in ${wall.toFixed(1)} s wall; ${(totals.virtualMs / 3_600_000).toFixed(1)} virtual h, ` +
      `${(totals.events / 1e6).toFixed(1)} M events, ${totals.lost} packets lost, ${totals.corrupted} corrupted, ` +
      `${totals.retransmits} retransmits (${totals.rtos} RTOs); slowest seed ${totals.slowest.seed} (${totals.slowest.ms.toFixed(0)} ms)\n`,
  );
  if (totals.failed.length === 0) return 0;
  process.stdout.write(`failing cases (replay with: node dist/test/matrix/run-many.js --replay '<json>'):\n`);
  for (const f of totals.failed.sort((x, y) => x.params.seed - y.params.seed)) {
    process.stdout.write(`${JSON.stringify(f.params)}\n`);
  }
  return 1;
}

function worker(data: { start: number; count: number; stride: number; offset: number }): void {
  for (let i = data.offset; i < data.count; i += data.stride) {
    const params = randomCase(data.start + i);
    parentPort!.postMessage(summarize(params, runCase(params)));
  }
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (!isMainThread && parentPort !== null && (workerData as { stride?: number } | null)?.stride !== undefined) {
  worker(workerData as { start: number; count: number; stride: number; offset: number });
} else if (isMainThread && isMainModule() && process.env['NODE_TEST_CONTEXT'] === undefined) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(2);
    },
  );
}
