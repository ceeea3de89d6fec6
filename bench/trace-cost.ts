/**
 * (e) of `npm run bench`: what tracing costs when nobody listens. The bulk transfer of (a) (the
 * synchronous `Stack`/`TcpHandle` path on a zero-latency simulated link, where the engine's
 * per-segment work dominates) runs from two builds of the same code, in alternating child processes:
 *
 * - "tracing off": dist/ as built — every trace point is there, guarded (`conn.onTrace !== undefined`
 *   in the engine, `this.tracing` in the stack), and nobody subscribes;
 * - "no tracing": a copy of dist/ in a temporary directory with those guards replaced by `false`, so
 *   V8 drops the trace code (what the stack would cost if it had none).
 *
 * The ratio off / none is the cost of having tracing while it is off. A third row, "tracing on",
 * records every event with {@link recordTrace} (the price of looking). The copy is checked: if the
 * guards are not found as expected the bench fails rather than compare two identical builds.
 *
 * `node dist/bench/trace-cost.js [--runs N] [--mb N] [--mtu 1500,65535]`
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, table } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // …/dist/bench
const DIST = path.dirname(HERE);

/** Options of {@link runTraceCost}. */
export interface TraceCostOptions {
  /** Runs per build and MTU (alternating). */
  runs: number;
  /** MB moved per run. */
  megabytes: number;
  mtus: number[];
  out: (line?: string) => void;
  note: (line: string) => void;
}

type Variant = 'off' | 'none' | 'on';

/** Make the "no tracing" copy of dist/: guards replaced by `false`. Returns its root. */
function buildUntracedCopy(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'synack-untraced-'));
  fs.cpSync(path.join(DIST, 'src'), path.join(root, 'src'), { recursive: true });
  fs.cpSync(path.join(DIST, 'bench'), path.join(root, 'bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
  const patch = (file: string, from: RegExp, min: number): void => {
    const p = path.join(root, 'src', file);
    const text = fs.readFileSync(p, 'utf8');
    let n = 0;
    const patched = text.replace(from, () => {
      n++;
      return 'false';
    });
    if (n < min) throw new Error(`trace-cost: expected at least ${min} trace guards in ${file}, found ${n}: update bench/trace-cost.ts`);
    fs.writeFileSync(p, patched);
  };
  patch('tcp/connection.js', /this\.onTrace !== undefined/g, 20);
  patch('stack/stack.js', /(?<!get )this\.tracing\b/g, 3);
  return root;
}

/** One run in a child process: MB/s of a bulk transfer with the build at `root`. */
function runChild(root: string, variant: Variant, mtu: number, megabytes: number): number {
  const r = spawnSync(process.execPath, [path.join(root, 'bench', 'trace-cost.js'), '--child', variant, String(mtu), String(megabytes)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`trace-cost child (${variant}, MTU ${mtu}) failed: ${r.stderr || r.error?.message}`);
  const m = /^mbps (\S+)/m.exec(r.stdout);
  if (m === null) throw new Error(`trace-cost child printed no result: ${r.stdout}`);
  return Number(m[1]);
}

/** Run (e) and print its table. */
export async function runTraceCost(o: TraceCostOptions): Promise<void> {
  const untraced = buildUntracedCopy();
  try {
    const rows: string[][] = [];
    for (const mtu of o.mtus) {
      const runs: Record<Variant, number[]> = { off: [], none: [], on: [] };
      o.note(`tracing cost, MTU ${mtu}: ${o.runs} runs each, alternating`);
      // One warm-up each (disk cache, CPU frequency), then ABBA order against drift.
      runChild(DIST, 'off', mtu, Math.max(1, o.megabytes / 4));
      runChild(untraced, 'none', mtu, Math.max(1, o.megabytes / 4));
      for (let i = 0; i < o.runs; i++) {
        const order: Variant[] = i % 2 === 0 ? ['off', 'none', 'on'] : ['on', 'none', 'off'];
        for (const v of order) runs[v].push(runChild(v === 'none' ? untraced : DIST, v, mtu, o.megabytes));
      }
      const none = median(runs.none);
      for (const v of ['none', 'off', 'on'] as const) {
        const m = median(runs[v]);
        rows.push([
          v === 'none' ? 'no tracing (guards compiled out)' : v === 'off' ? 'tracing off (nobody listens)' : 'tracing on (recordTrace)',
          String(mtu),
          m.toFixed(1),
          (m / none).toFixed(3),
          runs[v].map((x) => x.toFixed(0)).join(', '),
        ]);
      }
    }
    o.out(table(['build', 'MTU', 'MB/s', 'ratio to none', 'runs (MB/s)'], rows, new Set([1, 2, 3])));
  } finally {
    fs.rmSync(untraced, { recursive: true, force: true });
  }
}

async function child(variant: Variant, mtu: number, megabytes: number): Promise<void> {
  const { handleBulk } = await import('./synack-handles.js');
  let stop = (): void => {};
  let events = 0;
  if (variant === 'on') {
    const { recordTrace } = await import('../src/trace/channels.js');
    const rec = recordTrace();
    stop = () => {
      events = rec.events.length;
      rec.stop();
    };
  }
  const s = handleBulk({ link: { mtu }, maxBytes: megabytes * 1e6, maxMs: 600_000, chunkSize: 64 * 1024 });
  stop();
  process.stdout.write(`mbps ${s.bytes / 1e6 / s.seconds}\nevents ${events}\n`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await child(argv[1] as Variant, Number(argv[2]), Number(argv[3]));
} else if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = (s = ''): void => void process.stdout.write(s + '\n');
  const runs = Number(value('runs') ?? 5);
  const megabytes = Number(value('mb') ?? 100);
  const mtus = (value('mtu') ?? '1500,65535').split(',').map(Number);
  out(`(e) tracing cost: bulk transfer, Stack/TcpHandle API + sim.step(), ${megabytes} MB per run, median of ${runs}`);
  await runTraceCost({ runs, megabytes, mtus, out, note: (s) => void process.stderr.write(`  … ${s}\n`) });
}
