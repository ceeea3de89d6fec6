/**
 * Shared topology for socket tests: two stacks on one simulation, joined by one link.
 *
 *   a (10.0.0.1/24) ──link── b (10.0.0.2/24)
 */
import { createHash } from 'node:crypto';
import { Simulation, type SimLink, type SimLinkOptions } from '../../src/link/sim/index.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { createNet, type Net } from '../../src/socket/index.js';

export const ADDR_A = '10.0.0.1';
export const ADDR_B = '10.0.0.2';

export interface Pair {
  sim: Simulation;
  link: SimLink;
  a: Stack;
  b: Stack;
  /** `net`-like API of each stack. */
  netA: Net;
  netB: Net;
}

export interface PairOptions {
  seed?: number;
  /** Link impairments (default: 5 ms latency each way, nothing else). */
  link?: SimLinkOptions;
  /** TCP defaults of both stacks. */
  tcp?: Partial<TcpConfig>;
}

export function makePair(options: PairOptions = {}): Pair {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const link = sim.link({ latency: 5, ...options.link });
  const a = new Stack({ name: 'a', runtime: sim.runtime('a'), ...(options.tcp ? { tcp: options.tcp } : {}) });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b'), ...(options.tcp ? { tcp: options.tcp } : {}) });
  a.addInterface({ link: link.a, addresses: [`${ADDR_A}/24`] });
  b.addInterface({ link: link.b, addresses: [`${ADDR_B}/24`] });
  return { sim, link, a, b, netA: createNet(a), netB: createNet(b) };
}

/** Deterministic pseudo-random bytes (xorshift32: fast enough for megabytes). */
export function randomBytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(data: Uint8Array | Uint8Array[]): string {
  const h = createHash('sha256');
  for (const d of Array.isArray(data) ? data : [data]) h.update(d);
  return h.digest('hex');
}

/** Collects a readable's chunks and reports when it ended. */
export function collect(stream: NodeJS.ReadableStream): { chunks: Buffer[]; ended: () => boolean; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  let ended = false;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    ended = true;
  });
  return { chunks, ended: () => ended, bytes: () => Buffer.concat(chunks) };
}
