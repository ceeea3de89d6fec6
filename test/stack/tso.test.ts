/**
 * TCP segmentation offload end to end on the simulated network: links made with `tcpOffload: true`
 * cut the stacks' large segments to the MTU in software (src/wire/tso.ts), so loss and reordering
 * hit wire segments, and the data must still arrive byte-exact, in both families. Also: a
 * CaptureLink in front of an offloading link records the wire segments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Simulation } from '../../src/link/sim/simulation.js';
import { CaptureLink } from '../../src/link/capture.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpHandle } from '../../src/stack/tcp-handle.js';
import { parseIpv4Tcp } from '../../src/wire/packet.js';
import { parseIpv6Tcp } from '../../src/wire/ipv6.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function data(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

interface Run {
  received: Uint8Array;
  /** TCP segments the sender's stack handed its link (super-segments count once). */
  handedOver: number;
  /** Packets that crossed the wire from the sender, all checked. */
  wire: number;
  largestWire: number;
  retransmits: number;
}

function transfer(opts: { family: 4 | 6; bytes: number; loss?: number; reorder?: number; seed: number; capture?: boolean }): Run {
  const sim = new Simulation({ seed: opts.seed });
  const link = sim.link({ latency: 5, bandwidth: 100e6, tcpOffload: true, loss: opts.loss ?? 0, reorder: opts.reorder ?? 0, label: 'ab' });
  const runtimeA = sim.runtime('a');
  const a = new Stack({ name: 'a', runtime: runtimeA });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b') });
  let captured = 0;
  const aLink = opts.capture === true ? new CaptureLink(link.a, { clock: runtimeA, hook: (p, dir) => void (dir === 'out' && p.length > 0 && captured++) }) : link.a;
  a.addInterface({ link: aLink, addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  b.addInterface({ link: link.b, addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  let wire = 0;
  let largestWire = 0;
  link.tap((ev) => {
    if (ev.kind !== 'send' || ev.from !== 'a') return;
    wire++;
    largestWire = Math.max(largestWire, ev.packet.length);
    const parsed = opts.family === 4 ? parseIpv4Tcp(ev.packet) : parseIpv6Tcp(ev.packet);
    assert.ok(parsed.ok, `wire packet ${wire} parses with valid checksums: ${parsed.ok ? '' : parsed.detail}`);
  });
  const listener = b.listen({ port: 80 });
  let server: TcpHandle | undefined;
  listener.onAcceptable = () => (server = listener.accept());
  const msg = data(opts.bytes, opts.seed);
  const c = a.connect({ remoteAddress: opts.family === 4 ? '10.0.0.2' : 'fd00::2', remotePort: 80 });
  let sent = 0;
  const pump = (): void => {
    while (sent < msg.length) {
      const n = c.send(msg.subarray(sent, Math.min(msg.length, sent + 256 * 1024)));
      if (n === 0) break;
      sent += n;
    }
    if (sent === msg.length) c.close();
  };
  c.setEventListener((ev) => {
    if (ev.type === 'writable' || ev.type === 'established') pump();
  });
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < msg.length && sim.now < 600_000 && sim.step()) {
    const r = server?.receive();
    if (r !== undefined && r.length > 0) {
      chunks.push(r);
      got += r.length;
    }
  }
  const received = new Uint8Array(got);
  let off = 0;
  for (const ch of chunks) {
    received.set(ch, off);
    off += ch.length;
  }
  if (opts.capture === true) assert.equal(captured, wire, 'the capture saw exactly the wire segments');
  return { received, handedOver: a.counters.packetsOut, wire, largestWire, retransmits: c.connection.stats.retransmits };
}

for (const family of [4, 6] as const) {
  test(`TSO over IPv${family}: 2 MB arrive byte-exact; the stack hands over fewer segments than the wire carries, none above the MTU`, () => {
    const r = transfer({ family, bytes: 2_000_000, seed: 11 });
    assert.equal(sha(r.received), sha(data(2_000_000, 11)));
    assert.ok(r.largestWire <= 1500, `largest wire packet ${r.largestWire}`);
    // ACK clocking frees a few segments per ACK, so most hand-overs carry 2–3 SMSS here.
    assert.ok(r.handedOver * 2 < r.wire, `handed over ${r.handedOver}, wire ${r.wire}`);
  });

  test(`TSO over IPv${family} with 2 % loss and 2 % reordering on the wire segments: byte-exact`, () => {
    const r = transfer({ family, bytes: 1_000_000, loss: 0.02, reorder: 0.02, seed: 23 });
    assert.equal(sha(r.received), sha(data(1_000_000, 23)));
    assert.ok(r.retransmits > 0, 'losses were repaired');
    assert.ok(r.largestWire <= 1500);
  });
}

test('a CaptureLink in front of an offloading link records the wire segments, and TSO stays on', () => {
  const r = transfer({ family: 4, bytes: 500_000, seed: 5, capture: true });
  assert.equal(sha(r.received), sha(data(500_000, 5)));
  assert.ok(r.handedOver * 2 < r.wire);
});
