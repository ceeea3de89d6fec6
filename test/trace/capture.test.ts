import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureLink, type CaptureDirection } from '../../src/link/capture.js';
import type { LinkPort } from '../../src/link/types.js';
import { PcapngWriter, readPcapng } from '../../src/trace/index.js';

class MemLink implements LinkPort {
  readonly sent: Uint8Array[] = [];
  receiver: ((p: Uint8Array) => void) | null = null;
  constructor(readonly mtu = 1500) {}
  send(packet: Uint8Array): void {
    this.sent.push(packet);
  }
  setReceiver(fn: (p: Uint8Array) => void): void {
    this.receiver = fn;
  }
}

test('CaptureLink shows every packet both ways, with the live buffers and the clock\'s time, before passing it on', () => {
  const inner = new MemLink(1280);
  let now = 7;
  const log: Array<[Uint8Array, CaptureDirection, number, number]> = [];
  const link = new CaptureLink(inner, {
    clock: () => now,
    hook: (p, d, t) => log.push([p, d, t, inner.sent.length]),
  });
  assert.equal(link.mtu, 1280);
  const got: Uint8Array[] = [];
  link.setReceiver((p) => got.push(p));
  const a = Uint8Array.of(0x45, 1);
  const b = Uint8Array.of(0x60, 2);
  link.send(a);
  now = 9.5;
  inner.receiver!(b);
  assert.equal(inner.sent[0], a);
  assert.equal(got[0], b);
  assert.equal(log.length, 2);
  assert.deepEqual(log[0], [a, 'out', 7, 0]); // same buffer; seen before the inner link got it
  assert.deepEqual(log[1], [b, 'in', 9.5, 1]);
  assert.equal(log[0]![0], a);
  assert.equal(log[1]![0], b);
  assert.deepEqual([link.packetsOut, link.packetsIn, link.unclaimed], [1, 1, 0]);
});

test('CaptureLink writes to a trace writer with directions and comments, takes a Runtime as clock, and can pause', () => {
  const inner = new MemLink();
  const w = new PcapngWriter();
  const second = w.addInterface({ name: 'tun0' });
  let t = 100;
  const link = new CaptureLink(inner, {
    clock: { now: () => t },
    writer: w,
    interfaceId: second,
    comment: (p, d) => (p[1] === 1 ? `${d} one` : undefined),
  });
  link.setReceiver(() => {});
  link.send(Uint8Array.of(0x45, 1));
  t = 101;
  inner.receiver!(Uint8Array.of(0x45, 2));
  link.enabled = false;
  link.send(Uint8Array.of(0x45, 3));
  link.enabled = true;
  const f = readPcapng(w.toBytes());
  assert.deepEqual(
    f.packets.map((p) => [p.interfaceId, p.direction, p.time, p.comments, [...p.data]]),
    [
      [1, 'out', 100, ['out one'], [0x45, 1]],
      [1, 'in', 101, [], [0x45, 2]],
    ],
  );
  assert.equal(inner.sent.length, 2, 'paused capture still passes packets');
});

test('CaptureLink records packets arriving before a receiver is set, and counts them unclaimed', () => {
  const inner = new MemLink();
  const seen: CaptureDirection[] = [];
  const link = new CaptureLink(inner, { clock: () => 0, hook: (_p, d) => seen.push(d) });
  inner.receiver!(Uint8Array.of(0x45));
  assert.deepEqual(seen, ['in']);
  assert.equal(link.unclaimed, 1);
});
