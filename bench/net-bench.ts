/**
 * The same bulk and connection-rate workloads over any `node:net`-shaped API: synack's sockets on
 * a simulated link (driven by `sim.runUntil`), or Node's own `net` over the kernel loopback.
 *
 * @module
 */

import net from 'node:net';
import { SimNetwork } from '../src/sim/network.js';
import type { BulkSample, RateSample } from './stats.js';

/** The socket methods the workloads use (both `net.Socket` and synack's `Socket` have them). */
interface BenchSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  write(data: Uint8Array | string): boolean;
  end(): unknown;
  destroy(): unknown;
}

/** How a workload reaches a network. */
export interface NetTarget {
  /** Listen; resolves with where to connect and how to stop. */
  listen(onConnection: (socket: BenchSocket) => void): Promise<{ port: number; host: string; close(): void }>;
  connect(port: number, host: string): BenchSocket;
  /** Resolve once `done()` holds: run the simulation, or wait for `finished` on a real network. */
  drive(done: () => boolean, finished: Promise<void>): Promise<void>;
}

/** synack sockets (`host.net`) on a fresh two-host simulated network with a zero-latency link. */
export function synackTarget(mtu: number): NetTarget {
  const sim = new SimNetwork({ seed: 1 });
  const a = sim.host('client');
  const b = sim.host('server');
  sim.connect(a, b, { label: 'bench', mtu });
  return {
    async listen(onConnection) {
      const server = b.net.createServer((s) => onConnection(s)).listen(5001);
      return { port: 5001, host: b.address, close: () => server.close() };
    },
    connect: (port, host) => a.net.connect(port, host),
    drive: (done) => sim.runUntil(done, { timeout: 3_600_000 }),
  };
}

/** Node's `net` over 127.0.0.1, server and client in this process. */
export function nodeTarget(): NetTarget {
  return {
    listen(onConnection) {
      const server = net.createServer((s) => onConnection(s));
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const port = (server.address() as net.AddressInfo).port;
          resolve({ port, host: '127.0.0.1', close: () => server.close() });
        });
      });
    },
    connect: (port, host) => net.connect(port, host),
    drive: (_done, finished) => finished,
  };
}

/**
 * One connection, client → server: the client writes `chunk` with backpressure (`write()` /
 * `'drain'`) until `maxBytes` or `maxMs` of wall time, then ends; the server counts the bytes. Timed
 * from `'connect'` to the server's `'end'`.
 */
export async function netBulk(target: NetTarget, o: { maxBytes: number; maxMs: number; chunkSize: number }): Promise<BulkSample> {
  const chunk = new Uint8Array(o.chunkSize);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  let received = 0;
  let endAt = 0;
  let done = false;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const errors: unknown[] = [];
  const server = await target.listen((s) => {
    s.on('data', (d: Uint8Array) => (received += d.length));
    s.on('error', (e: unknown) => errors.push(e));
    s.on('end', () => {
      endAt = performance.now();
      s.end();
      done = true;
      finish();
    });
  });
  const c = target.connect(server.port, server.host);
  c.on('error', (e: unknown) => {
    errors.push(e);
    done = true;
    finish();
  });
  let t0 = 0;
  let sent = 0;
  const pump = (): void => {
    while (sent < o.maxBytes && performance.now() - t0 < o.maxMs) {
      const n = Math.min(chunk.length, o.maxBytes - sent);
      sent += n;
      if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        c.once('drain', pump);
        return;
      }
    }
    c.end();
  };
  c.once('connect', () => {
    t0 = performance.now();
    pump();
  });
  await target.drive(() => done, finished);
  server.close();
  if (errors.length > 0) throw new Error(`netBulk: ${String(errors[0])}`);
  if (received !== sent) throw new Error(`netBulk: sent ${sent}, received ${received}`);
  return { bytes: received, seconds: (endAt - t0) / 1000 };
}

/**
 * Connections opened and closed per second: `count` connections in concurrent batches of `batch`,
 * each a handshake, `ping\n`, `pong\n` and the close (the server ends first); a connection counts
 * once the client socket has emitted `'close'` with the response read.
 */
export async function netConnectionRate(target: NetTarget, count: number, batch: number, maxMs: number): Promise<RateSample> {
  const server = await target.listen((s) => {
    s.on('error', () => {});
    s.once('data', () => {
      s.write('pong\n');
      s.end();
    });
  });
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  while (done + failed < count && performance.now() - t0 < maxMs) {
    const n = Math.min(batch, count - done - failed);
    let finishedCount = 0;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    for (let i = 0; i < n; i++) {
      const c = target.connect(server.port, server.host);
      let got = 0;
      let hadError = false;
      c.on('error', () => (hadError = true));
      c.once('connect', () => c.write('ping\n'));
      c.on('data', (d: Uint8Array) => (got += d.length));
      c.once('close', () => {
        if (got === 5 && !hadError) done++;
        else failed++;
        if (++finishedCount === n) finish();
      });
    }
    await target.drive(() => finishedCount === n, finished);
  }
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  if (failed > 0) throw new Error(`netConnectionRate: ${failed} connections failed`);
  return { count: done, seconds };
}
