/**
 * Benchmarks of the synack stack itself, driven through the synchronous {@link Stack} /
 * {@link TcpHandle} API and `sim.step()` (no Node streams, no event-loop turns), the way
 * `src/cli/demo-scenarios.ts` drives handles.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { Simulation } from '../src/link/sim/simulation.js';
import type { SimLinkOptions } from '../src/link/sim/link.js';
import { Stack } from '../src/stack/stack.js';
import type { TcpHandle } from '../src/stack/tcp-handle.js';
import type { BulkSample, RateSample } from './stats.js';

interface Pair {
  sim: Simulation;
  client: Stack;
  server: Stack;
}

const CLIENT_ADDR = '10.0.0.1';
const SERVER_ADDR = '10.0.0.2';

function pair(link: SimLinkOptions): Pair {
  const sim = new Simulation({ seed: 1 });
  const l = sim.link({ label: 'bench', ...link });
  const client = new Stack({ name: 'client', runtime: sim.runtime('client') });
  const server = new Stack({ name: 'server', runtime: sim.runtime('server') });
  client.addInterface({ link: l.a, addresses: [`${CLIENT_ADDR}/24`] });
  server.addInterface({ link: l.b, addresses: [`${SERVER_ADDR}/24`] });
  return { sim, client, server };
}

/** Take everything readable from a handle; returns the bytes, or calls `onData` per piece. */
function drain(h: TcpHandle, onData?: (d: Uint8Array) => void): number {
  let n = 0;
  while (h.readableLength > 0) {
    const d = h.receive();
    if (d.length === 0) break;
    n += d.length;
    onData?.(d);
  }
  return n;
}

/** Options of {@link handleBulk}. */
export interface HandleBulkOptions {
  link: SimLinkOptions;
  /** Stop after this many bytes… */
  maxBytes: number;
  /** …or after this much wall time (ms), whichever comes first. */
  maxMs: number;
  /** Bytes sent by each `send()` (a reused buffer, unless `verify`). */
  chunkSize: number;
  /** Generate seeded bytes per chunk and SHA-256 both ends, as `synack transfer` does. */
  verify?: boolean;
}

/**
 * One connection, client → server, as fast as the stack goes: the sender refills the send buffer on
 * every `writable` event, the receiver reads on every `readable`. Timed from `established` to the
 * receiver's `eof` (wall clock).
 */
export function handleBulk(o: HandleBulkOptions): BulkSample {
  const { sim, client, server } = pair(o.link);
  const fixed = new Uint8Array(o.chunkSize);
  for (let i = 0; i < fixed.length; i++) fixed[i] = (i * 2654435761) >>> 24;
  const rng = sim.random('bench');
  const sentHash = createHash('sha256');
  const receivedHash = createHash('sha256');
  const nextChunk = (n: number): Uint8Array => {
    if (!o.verify) return n === fixed.length ? fixed : fixed.subarray(0, n);
    const words = new Uint32Array((n + 3) >>> 2);
    for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
    return new Uint8Array(words.buffer, 0, n);
  };

  let received = 0;
  let eofAt = 0;
  let eof = false;
  const listener = server.listen({ port: 9 });
  listener.onAcceptable = () => {
    let h: TcpHandle | undefined;
    while ((h = listener.accept()) !== undefined) {
      const s = h;
      s.setEventListener((ev) => {
        if (ev.type === 'readable') received += drain(s, o.verify ? (d) => receivedHash.update(d) : undefined);
        else if (ev.type === 'eof') {
          received += drain(s, o.verify ? (d) => receivedHash.update(d) : undefined);
          eofAt = performance.now();
          eof = true;
          s.close();
        }
      });
    }
  };

  const c = client.connect({ remoteAddress: SERVER_ADDR, remotePort: 9 });
  let t0 = 0;
  let sent = 0;
  let closing = false;
  let carry: Uint8Array | undefined; // the unsent rest of the last chunk
  const pump = (): void => {
    while (!closing) {
      if (carry === undefined) {
        if (sent >= o.maxBytes || performance.now() - t0 >= o.maxMs) {
          closing = true;
          c.close();
          return;
        }
        carry = nextChunk(Math.min(o.chunkSize, o.maxBytes - sent));
        if (o.verify) sentHash.update(carry);
      }
      const n = c.send(carry);
      sent += n;
      if (n < carry.length) {
        carry = carry.subarray(n);
        return; // send buffer full: wait for 'writable'
      }
      carry = undefined;
    }
  };
  c.setEventListener((ev) => {
    if (ev.type === 'established') {
      t0 = performance.now();
      pump();
    } else if (ev.type === 'writable') {
      pump();
    }
  });
  while (!eof && sim.step()) {
    /* run */
  }
  if (!eof) throw new Error('handleBulk: the transfer did not finish');
  if (received !== sent) throw new Error(`handleBulk: sent ${sent}, received ${received}`);
  if (o.verify && sentHash.digest('hex') !== receivedHash.digest('hex')) throw new Error('handleBulk: SHA-256 mismatch');
  return { bytes: received, seconds: (eofAt - t0) / 1000, simSeconds: sim.now / 1000 };
}

/**
 * Connections opened and closed per second: `count` connections in concurrent batches of `batch`,
 * each a handshake, a 5-byte request, a 5-byte response, and the close (the server closes first,
 * as HTTP/1.0 servers do; the client's connection ends CLOSED, the server's in TIME-WAIT).
 */
export function handleConnectionRate(count: number, batch: number, maxMs: number): RateSample {
  const { sim, client, server } = pair({});
  const request = new TextEncoder().encode('ping\n');
  const response = new TextEncoder().encode('pong\n');
  const listener = server.listen({ port: 80, backlog: 4096 });
  listener.onAcceptable = () => {
    let h: TcpHandle | undefined;
    while ((h = listener.accept()) !== undefined) {
      const s = h;
      s.setEventListener((ev) => {
        if (ev.type === 'readable' && s.state === 'ESTABLISHED') {
          drain(s);
          s.send(response);
          s.close();
        }
      });
    }
  };
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  while (done + failed < count && performance.now() - t0 < maxMs) {
    const n = Math.min(batch, count - done - failed);
    let finished = 0;
    for (let i = 0; i < n; i++) {
      const c = client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      let got = 0;
      c.setEventListener((ev) => {
        switch (ev.type) {
          case 'established':
            c.send(request);
            return;
          case 'readable':
            got += drain(c);
            return;
          case 'eof':
            got += drain(c);
            c.close();
            return;
          case 'error':
            failed++;
            finished++;
            return;
          case 'closed':
            if (got === response.length) done++;
            else failed++;
            finished++;
            return;
          default:
            return;
        }
      });
    }
    while (finished < n && sim.step()) {
      /* run */
    }
    if (finished < n) throw new Error('handleConnectionRate: connections did not finish');
  }
  const seconds = (performance.now() - t0) / 1000;
  if (failed > 0) throw new Error(`handleConnectionRate: ${failed} connections failed`);
  return { count: done, seconds };
}
