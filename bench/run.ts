/**
 * `npm run bench`: synack against Node's `net` on the kernel loopback, in one process and one run.
 *
 * (a) bulk throughput of one connection, (b) connections opened and closed per second, (c) the
 * `synack transfer` path (sockets + `sim.runUntil`) against the synchronous handle path, (d) synack
 * on a real TUN device against the kernel's TCP, both directions, next to kernel ↔ kernel over a veth
 * pair (see bench/tun-bench.ts; needs root and /dev/net/tun, otherwise skipped with the reason).
 * Every figure is the median of 3 runs, in wall-clock time; every run is bounded in bytes/count and
 * in time, so the whole benchmark stops by itself (within about two minutes). (a)–(c) use only
 * 127.0.0.1; (d) uses only private network namespaces it creates and deletes.
 *
 * `--only a,b,c,d` runs some sections only.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { runTransfer } from '../src/cli/transfer.js';
import { handleBulk, handleConnectionRate } from './synack-handles.js';
import { netBulk, netConnectionRate, nodeTarget, synackTarget } from './net-bench.js';
import { mbPerSecond, median, perSecond, repeat, table, type BulkSample, type RateSample } from './stats.js';
import { runTraceCost } from './trace-cost.js';
import { runTunBench, tunProbe } from './tun-bench.js';

const RUNS = 3;
const BULK_MAX_BYTES = 256 * 1024 * 1024;
const BULK_MAX_MS = 3000;
const CHUNK = 64 * 1024;
const CONNECTIONS = 2000;
const BATCH = 50;
const CONN_MAX_MS = 10_000;
const TRANSFER_BYTES = 20_000_000;
/** One unmeasured run before each measured series, smaller. */
const WARM_UP = { maxBytes: 32 * 1024 * 1024, maxMs: 300, chunkSize: CHUNK };
const WARM_UP_CONNECTIONS = 200;
/** (d): bytes per run, kernel ↔ kernel over veth and kernel ↔ synack over TUN. */
const VETH_BYTES = 200_000_000;
const TRACE_COST_RUNS = 9;
const TRACE_COST_MB = 60;
const TUN_BYTES = 200_000_000; // as much as the veth baseline moves: short runs are mostly slow start

const fmt = (x: number, digits = 1): string => x.toFixed(digits);

function loopbackMtu(): string {
  try {
    return readFileSync('/sys/class/net/lo/mtu', 'utf8').trim();
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const cpus = os.cpus();
  const out = (s = ''): void => void process.stdout.write(s + '\n');
  const note = (s: string): void => void process.stderr.write(`  … ${s}\n`);

  out(`synack benchmarks — ${new Date().toISOString().slice(0, 10)}`);
  out(`machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${os.platform()} ${os.release()}, Node ${process.version}`);
  out(`each figure: median of ${RUNS} runs after one smaller warm-up run, wall clock; MB = 10^6 bytes`);
  out(
    'checksums: synack always computes the IPv4 and TCP checksums of every packet it sends and verifies them on every packet it receives ' +
      'on the simulated link (a TUN link with offload, (d), leaves them to the kernel); Linux loopback offloads them.',
  );
  out();
  const onlyArg = process.argv.indexOf('--only');
  const sections = new Set(onlyArg >= 0 ? (process.argv[onlyArg + 1] ?? '').split(',') : ['a', 'b', 'c', 'd', 'e']);
  const handleMode = 'Stack/TcpHandle API + sim.step() (sync, no streams), zero-latency simulated link';
  const socketMode = 'net-compatible Socket (Node streams) + sim.runUntil(), zero-latency simulated link';

  // ───────────── (a) bulk throughput ─────────────
  if (sections.has('a')) {
    out(`(a) bulk throughput, one connection, ${BULK_MAX_BYTES / 2 ** 20} MiB or ${BULK_MAX_MS / 1000} s (whichever first), ${CHUNK / 1024} KiB writes`);
    const bulkRows: Array<{ impl: string; mode: string; mtu: string; runs: BulkSample[] }> = [];
    type Limits = { maxBytes: number; maxMs: number; chunkSize: number };
    const full: Limits = { maxBytes: BULK_MAX_BYTES, maxMs: BULK_MAX_MS, chunkSize: CHUNK };
    const bulk = async (impl: string, mode: string, mtu: string, fn: (l: Limits) => BulkSample | Promise<BulkSample>): Promise<void> => {
      note(`${impl}, ${mode}, MTU ${mtu}`);
      await fn(WARM_UP); // not counted: lets the JIT settle
      bulkRows.push({ impl, mode, mtu, runs: await repeat(RUNS, () => fn(full)) });
    };
    for (const mtu of [65535, 1500]) {
      await bulk('synack', handleMode, String(mtu), (l) => handleBulk({ link: { mtu }, ...l }));
    }
    for (const mtu of [65535, 1500]) {
      await bulk('synack', socketMode, String(mtu), (l) => netBulk(synackTarget(mtu), l));
    }
    await bulk('node:net', 'kernel TCP over loopback 127.0.0.1, same process', loopbackMtu(), (l) => netBulk(nodeTarget(), l));
    const nodeBulk = median(bulkRows.at(-1)!.runs.map(mbPerSecond));
    out(
      table(
        ['implementation', 'mode', 'MTU', 'MB/s', 'synack/node', 'MB moved', 'runs (MB/s)'],
        bulkRows.map((r) => {
          const m = median(r.runs.map(mbPerSecond));
          return [
            r.impl,
            r.mode,
            r.mtu,
            fmt(m),
            r.impl === 'node:net' ? '1' : `${fmt(m / nodeBulk, 3)}`,
            fmt(median(r.runs.map((s) => s.bytes / 1e6)), 0),
            r.runs.map((s) => fmt(mbPerSecond(s))).join(', '),
          ];
        }),
        new Set([2, 3, 4, 5]),
      ),
    );
    out();
  }

  // ───────────── (b) connection rate ─────────────
  if (sections.has('b')) {
    out(`(b) connections opened and closed per second: ${CONNECTIONS} (or ${CONN_MAX_MS / 1000} s), concurrent batches of ${BATCH}; handshake, 5-byte request, 5-byte response, close`);
    const rateRows: Array<{ impl: string; mode: string; runs: RateSample[] }> = [];
    const rate = async (impl: string, mode: string, fn: (count: number) => RateSample | Promise<RateSample>): Promise<void> => {
      note(`${impl}, ${mode}`);
      await fn(WARM_UP_CONNECTIONS); // not counted
      rateRows.push({ impl, mode, runs: await repeat(RUNS, () => fn(CONNECTIONS)) });
    };
    await rate('synack', `${handleMode}, MTU 1500`, (n) => handleConnectionRate(n, BATCH, CONN_MAX_MS));
    await rate('synack', `${socketMode}, MTU 1500`, (n) => netConnectionRate(synackTarget(1500), n, BATCH, CONN_MAX_MS));
    await rate('node:net', `kernel TCP over loopback 127.0.0.1, same process, MTU ${loopbackMtu()}`, (n) =>
      netConnectionRate(nodeTarget(), n, BATCH, CONN_MAX_MS),
    );
    const nodeRate = median(rateRows.at(-1)!.runs.map(perSecond));
    out(
      table(
        ['implementation', 'mode', 'conn/s', 'synack/node', 'connections', 'runs (conn/s)'],
        rateRows.map((r) => {
          const m = median(r.runs.map(perSecond));
          return [
            r.impl,
            r.mode,
            fmt(m, 0),
            r.impl === 'node:net' ? '1' : fmt(m / nodeRate, 3),
            String(median(r.runs.map((s) => s.count))),
            r.runs.map((s) => fmt(perSecond(s), 0)).join(', '),
          ];
        }),
        new Set([2, 3, 4]),
      ),
    );
    out();
  }

  // ───────────── (c) the transfer path ─────────────
  if (sections.has('c')) {
    out(`(c) synack transfer path: ${TRANSFER_BYTES / 1e6} MB, latency 10 ms one way, unlimited bandwidth, MTU 1500, lossless; seeded data generated and SHA-256 hashed at both ends`);
    const transferRows: Array<{ mode: string; runs: BulkSample[] }> = [];
    note('runTransfer');
    await runTransfer({ bytes: TRANSFER_BYTES / 10, latency: 10 }); // warm-up
    transferRows.push({
      mode: 'runTransfer(): Socket (Node streams) + sim.runUntil()',
      runs: await repeat(RUNS, async () => {
        const r = await runTransfer({ bytes: TRANSFER_BYTES, latency: 10 });
        if (!r.ok) throw new Error(`runTransfer failed: ${r.errors.join('; ')}`);
        return { bytes: r.bytes, seconds: r.wallSeconds, simSeconds: r.simSeconds };
      }),
    });
    note('handles');
    handleBulk({ link: { latency: 10, mtu: 1500 }, maxBytes: TRANSFER_BYTES / 10, maxMs: Infinity, chunkSize: CHUNK, verify: true }); // warm-up
    transferRows.push({
      mode: 'Stack/TcpHandle API + sim.step() (sync, no streams)',
      runs: await repeat(RUNS, () => handleBulk({ link: { latency: 10, mtu: 1500 }, maxBytes: TRANSFER_BYTES, maxMs: Infinity, chunkSize: CHUNK, verify: true })),
    });
    out(
      table(
        ['mode', 'wall MB/s', 'wall s', 'simulated s', 'runs (MB/s)'],
        transferRows.map((r) => [
          r.mode,
          fmt(median(r.runs.map(mbPerSecond))),
          fmt(median(r.runs.map((s) => s.seconds)), 2),
          fmt(median(r.runs.map((s) => s.simSeconds ?? NaN)), 2),
          r.runs.map((s) => fmt(mbPerSecond(s))).join(', '),
        ]),
        new Set([1, 2, 3]),
      ),
    );
    out('(runTransfer\'s wall time runs from building the network to both ends closed; the handle path\'s from established to EOF.)');
    out();
  }

  // ───────────── (d) over a real TUN device ─────────────
  if (sections.has('d')) {
    const skip = await tunProbe();
    if (skip !== undefined) {
      out(`(d) TUN throughput: skipped: ${skip}`);
    } else {
      out(
        `(d) bulk throughput over a Linux TUN device against the kernel's TCP, one connection, ${TUN_BYTES / 1e6} MB per run (veth: ${VETH_BYTES / 1e6} MB), 64 KiB writes; ` +
          'baseline: kernel ↔ kernel over a veth pair between two network namespaces, measured in this run. Throughput is measured by the receiver, from accept/ESTABLISHED to the FIN. ' +
          'The kernel end is a node:net program in the namespace (ip netns exec); synack runs in this process. ' +
          '"offload": TunLink { offload: true } (virtio-net header: the kernel hands synack unsegmented TCP packets of up to 64 KiB, and synack hands the kernel segments of up to 64 KiB to cut to the MTU, checksums left for it to complete, as with a NIC\'s GRO/TSO; veth does the same between kernels).',
      );
      await runTunBench({
        runs: RUNS,
        vethBytes: VETH_BYTES,
        synackBytes: TUN_BYTES,
        mtus: [1500],
        sockets: true,
        ioModes: ['auto', 'offload'],
        out,
        note,
      });
      out();
    }
  }
  // ───────────── (e) what tracing costs when nobody listens ─────────────
  if (sections.has('e')) {
    out(
      `(e) tracing cost: bulk transfer as in (a) (Stack/TcpHandle API + sim.step(), MTU 1500), ${TRACE_COST_MB} MB per run, median of ${TRACE_COST_RUNS} runs per build in alternating child processes; ` +
        '"no tracing": a copy of dist/ with every trace guard replaced by false (the trace code compiled out); "tracing off": as built, nobody listening; "tracing on": recordTrace() collecting every event.',
    );
    await runTraceCost({ runs: TRACE_COST_RUNS, megabytes: TRACE_COST_MB, mtus: [1500], out, note });
    out();
  }
  out(`bench finished in ${fmt((performance.now() - started) / 1000)} s`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
