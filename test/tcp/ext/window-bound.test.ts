/**
 * Regression: a reader that never reads must close the window at its buffer size (plus at most
 * one window-scale unit). Rounding the scaled window field up on every ACK (RFC 7323 §2.3) used
 * to ratchet the committed right edge past the buffer (found against the Linux kernel: 4 311 936
 * bytes held in a 4 MiB buffer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork } from '../../../src/sim/network.js';
import type { Socket } from '../../../src/socket/socket.js';

for (const receiveBufferSize of [4 << 20, 16 << 20]) {
  test(`a paused reader with a ${receiveBufferSize >> 20} MiB buffer holds at most that much and advertises a zero window`, async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.host('client');
    const b = net.host('server', { tcp: { receiveBufferSize } });
    net.connect(a, b, { latency: 1 });
    let server: Socket | undefined;
    b.net.createServer((s) => {
      server = s;
      s.pause();
    }).listen(9);
    const c = a.net.connect(9, b.address, () => {
      const chunk = Buffer.alloc(65536);
      const pump = (): void => {
        while (c.write(chunk));
        c.once('drain', pump);
      };
      pump();
    });
    const st = () => server!.handle!.status();
    await net.runUntil(() => server?.handle !== undefined && (st().rcvWnd === 0 || st().receiveQueue > 1.5 * receiveBufferSize));
    assert.equal(st().rcvWnd, 0);
    await net.runUntil(() => c.handle!.status().sndWnd === 0); // the zero-window ACK reaches the sender
    // RFC 7323 §2.4: the edge may be rounded up past the buffer's end, by at most one unit (2^shift).
    const unit = 2 ** st().rcvWscale;
    assert.ok(st().receiveQueue <= receiveBufferSize + unit, `${st().receiveQueue} bytes held in a ${receiveBufferSize}-byte buffer (unit ${unit})`);
    c.destroy();
    server!.destroy();
  });
}
