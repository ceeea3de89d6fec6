/**
 * Many connections at once against the kernel over a TUN device in a private network namespace: a
 * kernel client (Python asyncio) opens 200 connections at once to a synack echo server, and synack
 * opens 200 at once to a kernel echo server; each connection carries its own data both ways, and every
 * byte must come back. Skipped (with the reason) unless root on Linux with /dev/net/tun, ip, python3.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from '../../src/index.js';
import { FAMILIES, Interop, closed, connect, digestUntilEnd, familySkipReason, seededBuffer, sha256, withTimeout } from './harness.js';
import { py } from './kernel-programs.js';
import { EchoServer } from './synack-apps.js';

const TOOLS = ['ss'];
const COUNT = 200;
const BYTES = 32 * 1024;

for (const family of FAMILIES) {
  const skip = familySkipReason(family, TOOLS);
  if (skip !== undefined) console.log(`# concurrency interop (IPv${family}) skipped: ${skip}`);

  describe(`${COUNT} concurrent connections, IPv${family}`, { skip: skip ?? false, timeout: 300_000 }, () => {
    let it: Interop;

    before(async () => {
      it = await Interop.open({ family, name: 'many', subnet: 4 });
    });

    after(async () => {
      await it?.close();
    });

    test(`a kernel client opens ${COUNT} connections at once to a synack echo server; all data comes back`, { timeout: 120_000 }, async (t) => {
      const PORT = 7;
      const echo = new EchoServer(it.net, PORT);
      const t0 = performance.now();
      const kernel = it.start('python many-clients', py('many-clients', it.addr.stack, PORT, family, COUNT, BYTES));
      const conn = await kernel.event('connected', 60_000, undefined, () => it.describe());
      assert.equal(conn['count'], COUNT, `only ${String(conn['count'])} of ${COUNT} connected: ${JSON.stringify(conn['failed'])}\n${it.describe()}`);
      assert.equal(echo.sockets.length, COUNT, 'connections accepted by the synack server');
      const done = await kernel.event('done', 60_000, undefined, () => it.describe());
      assert.deepEqual(done['bad'], [], `connections with errors or wrong data\n${it.describe()}`);
      assert.equal(done['ok'], COUNT);
      assert.equal(echo.bytes, COUNT * BYTES, 'bytes echoed by synack');
      assert.deepEqual(echo.errors, []);
      t.diagnostic(`${COUNT} connections × ${BYTES} B each way in ${(performance.now() - t0).toFixed(0)} ms`);
      await withTimeout(Promise.all(echo.sockets.map((s) => closed(s))), 20_000, 'every synack socket to close', () => it.describe());
      echo.server.close();
    });

    test(`synack opens ${COUNT} connections at once to a kernel echo server; all data comes back`, { timeout: 120_000 }, async (t) => {
      const PORT = 7007;
      const kernel = it.start('python echo-server', py('echo-server', it.addr.kernel, PORT, family));
      await kernel.event('listening', 10_000);
      const t0 = performance.now();
      const sockets: Socket[] = await withTimeout(
        Promise.all(Array.from({ length: COUNT }, () => connect(it.net, PORT, it.addr.kernel, { allowHalfOpen: true }))),
        60_000,
        `${COUNT} connects`,
        () => it.describe(),
      );
      assert.equal(new Set(sockets.map((s) => s.localPort)).size, COUNT, 'distinct local ports');
      const results = await withTimeout(
        Promise.all(
          sockets.map((s, i) => {
            const d = digestUntilEnd(s);
            s.end(seededBuffer(BYTES, 5000 + i));
            return d;
          }),
        ),
        60_000,
        'every echo',
        () => `${it.describe()}\n${kernel.describe()}`,
      );
      const bad = results.map((r, i) => ({ i, ...r })).filter((r) => r.bytes !== BYTES || r.sha256 !== sha256(seededBuffer(BYTES, 5000 + r.i)));
      assert.deepEqual(
        bad.map((b) => `connection ${b.i}: ${b.bytes} bytes${b.bytes === BYTES ? ', wrong data' : ''}`),
        [],
        `connections whose echo differs\n${it.describe()}`,
      );
      await withTimeout(Promise.all(sockets.map((s) => closed(s))), 20_000, 'every synack socket to close', () => it.describe());
      t.diagnostic(`${COUNT} connections × ${BYTES} B each way in ${(performance.now() - t0).toFixed(0)} ms`);
      const kernelDone = kernel.events.filter((e) => e.event === 'done');
      assert.equal(kernelDone.length, COUNT, `the kernel server finished ${kernelDone.length} of ${COUNT} connections`);
    });
  });
}
