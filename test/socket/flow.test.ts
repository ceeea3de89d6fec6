import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Socket } from '../../src/socket/index.js';
import { ADDR_B, makePair, randomBytes, sha256 } from './helpers.js';

test('backpressure: 10 MB to a reader that pauses — write() returns false, drain follows, bytes intact', { timeout: 20_000 }, async () => {
  // Buffers of the foundation's size, so that a paused reader closes the window within 200 ms.
  const { sim, netA, netB } = makePair({ tcp: { receiveBufferSize: 65535, sendBufferSize: 256 * 1024 } });
  const total = 10 * 1024 * 1024;
  const data = randomBytes(total, 42);
  const hash = createHash('sha256');
  let received = 0;
  let serverEnded = false;
  let pauses = 0;
  let serverSide: Socket | undefined;
  let minWindowSeen = Infinity;
  netB
    .createServer((s) => {
      serverSide = s;
      s.on('data', (d: Buffer) => {
        hash.update(d);
        received += d.length;
        // Every ~1 MB, stop reading for 200 virtual ms: the receive window fills and closes.
        if (Math.floor((received - d.length) / 1_000_000) !== Math.floor(received / 1_000_000)) {
          pauses++;
          s.pause();
          sim.after(200, () => {
            minWindowSeen = Math.min(minWindowSeen, s.handle!.status().rcvWnd);
            s.resume();
          });
        }
      });
      s.on('end', () => {
        serverEnded = true;
        s.end();
      });
    })
    .listen(80);

  const c = netA.connect(80, ADDR_B);
  let falses = 0;
  let drains = 0;
  let offset = 0;
  const chunk = 64 * 1024;
  const pump = (): void => {
    while (offset < total) {
      const ok = c.write(data.subarray(offset, offset + chunk));
      offset += chunk;
      if (!ok) {
        falses++;
        c.once('drain', () => {
          drains++;
          pump();
        });
        return;
      }
    }
    c.end();
  };
  c.on('connect', pump);
  c.resume(); // the server's FIN ends the readable side only once it is consumed
  let closed = false;
  c.on('close', () => (closed = true));
  await sim.runUntil(() => serverEnded && closed);
  assert.equal(received, total);
  assert.equal(hash.digest('hex'), sha256(data));
  assert.ok(falses > 10, `write() returned false ${falses} times`);
  assert.equal(drains, falses);
  assert.ok(pauses >= 9);
  assert.equal(minWindowSeen, 0, 'a paused reader closes the TCP window');
  assert.equal(c.bytesWritten, total);
  assert.equal(serverSide!.bytesRead, total);
});

test('setTimeout fires after idle virtual time, is pushed back by activity, and 0 disables it', async () => {
  const { sim, netA, netB } = makePair();
  let serverSide: Socket | undefined;
  netB
    .createServer((s) => {
      serverSide = s;
      s.resume();
    })
    .listen(80);
  const c = netA.connect(80, ADDR_B);
  let connectedAt = -1;
  c.on('connect', () => (connectedAt = sim.now));
  await sim.runUntil(() => connectedAt >= 0 && serverSide !== undefined);

  const fired: number[] = [];
  const t0 = sim.now;
  c.setTimeout(1000, () => fired.push(sim.now - t0));
  // Activity at +600 ms pushes the deadline to +1600 ms.
  sim.after(600, () => c.write('ping'));
  await sim.runUntil(() => fired.length === 1);
  assert.equal(fired[0], 1600);
  assert.equal(c.destroyed, false, "'timeout' does not close the socket");

  // After firing it stays quiet until the next activity, then counts again from there.
  const t1 = sim.now;
  const more: number[] = [];
  c.on('timeout', () => more.push(sim.now - t1));
  await sim.advance(5000);
  assert.deepEqual(more, []);
  c.write('again');
  await sim.runUntil(() => more.length === 1);
  assert.equal(more[0], 5000 + 1000);

  // Received bytes count as activity too.
  const t2 = sim.now;
  sim.after(500, () => serverSide!.write('pong'));
  await sim.runUntil(() => more.length === 2);
  assert.equal(sim.now - t2, 500 + 5 + 1000);

  c.setTimeout(0);
  c.write('x');
  await sim.advance(10_000);
  assert.equal(more.length, 2);
  assert.equal(c.timeout, undefined);
  c.destroy();
  serverSide!.on('error', () => {});
});
