import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImpairedLink, DEFAULT_REORDER_DELAY, type ImpairedLinkOptions } from '../../src/link/impair/index.js';
import type { LinkPort } from '../../src/link/types.js';
import type { Runtime } from '../../src/stack/runtime.js';
import { Prng } from '../../src/util/prng.js';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import { createNet } from '../../src/socket/net.js';

/** A runtime whose clock moves only when told to; timers fire in (time, creation) order. */
class FakeRuntime implements Runtime {
  time = 0;
  private seq = 0;
  readonly timers: Array<{ at: number; seq: number; cb: () => void; live: boolean }> = [];
  cancelled = 0;

  now(): number {
    return this.time;
  }

  setTimer(at: number, cb: () => void): () => void {
    const t = { at, seq: this.seq++, cb, live: true };
    this.timers.push(t);
    return () => {
      if (t.live) {
        t.live = false;
        this.cancelled++;
      }
    };
  }

  randomBytes(n: number): Uint8Array {
    return new Uint8Array(n);
  }

  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** Moves the clock to `to`, firing due timers in order. */
  advanceTo(to: number): void {
    for (;;) {
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) if (t.live && t.at <= to && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      next.live = false;
      if (next.at > this.time) this.time = next.at;
      next.cb();
    }
    this.time = Math.max(this.time, to);
  }
}

/** A trivial in-memory link: records what is sent, and injects arrivals. */
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
  inject(p: Uint8Array): void {
    this.receiver!(p);
  }
}

function packet(n: number, size = 60): Uint8Array {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, n);
  p.fill(n & 0xff, 4);
  return p;
}

const seqOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset).getUint32(0);

function setup(options: Omit<ImpairedLinkOptions, 'runtime'>) {
  const rt = new FakeRuntime();
  const inner = new MemLink();
  const link = new ImpairedLink(inner, { ...options, runtime: rt });
  const got: Uint8Array[] = [];
  link.setReceiver((p) => got.push(p));
  return { rt, inner, link, got };
}

/** Sends n packets each way, one per ms, then lets every timer run. */
function drive(s: ReturnType<typeof setup>, n: number): void {
  for (let i = 0; i < n; i++) {
    s.rt.advanceTo(i);
    s.link.send(packet(i));
    s.inner.inject(packet(i));
  }
  s.rt.advanceTo(n + 1000);
}

test('no impairments: identity both ways, same buffers, no copies, no timers', () => {
  const s = setup({ seed: 5 });
  const out = [packet(1), packet(2), packet(3)];
  const inn = [packet(4), packet(5)];
  for (const p of out) s.link.send(p);
  for (const p of inn) s.inner.inject(p);
  assert.equal(s.inner.sent.length, 3);
  out.forEach((p, i) => assert.equal(s.inner.sent[i], p));
  inn.forEach((p, i) => assert.equal(s.got[i], p));
  assert.equal(s.rt.timers.length, 0);
  assert.deepEqual(s.link.stats.toLink, { received: 3, passed: 3, dropped: 0, duplicated: 0, reordered: 0, discarded: 0 });
  assert.deepEqual(s.link.stats.toStack, { received: 2, passed: 2, dropped: 0, duplicated: 0, reordered: 0, discarded: 0 });
});

test('mtu is the inner link\'s', () => {
  const rt = new FakeRuntime();
  const inner = new MemLink(9000);
  assert.equal(new ImpairedLink(inner, { runtime: rt }).mtu, 9000);
});

test('loss: exact counts for a seed, and exactly the packets the seeded stream picks', () => {
  const s = setup({ seed: 42, toLink: { loss: 0.1 }, toStack: { loss: 0.3 } });
  drive(s, 1000);
  // Golden values: they change only if the PRNG or the derivation of the streams changes.
  assert.equal(s.link.stats.toLink.dropped, 106);
  assert.equal(s.link.stats.toStack.dropped, 296);
  assert.equal(s.link.stats.toLink.passed, 1000 - 106);
  assert.equal(s.link.stats.toStack.passed, 1000 - 296);
  // The same choices, from the documented streams: seed → direction → impairment.
  const lossUp = new Prng(42).fork('toLink').fork('loss');
  const expectUp = [...Array(1000).keys()].filter(() => !(lossUp.next() < 0.1));
  assert.deepEqual(s.inner.sent.map(seqOf), expectUp);
  const lossDown = new Prng(42).fork('toStack').fork('loss');
  const expectDown = [...Array(1000).keys()].filter(() => !(lossDown.next() < 0.3));
  assert.deepEqual(s.got.map(seqOf), expectDown);
});

test('reorder: a held packet is passed by later ones and released after reorderDelay', () => {
  const s = setup({ seed: 3, toLink: { reorder: 0.2, reorderDelay: 2.5 } });
  const reorderRng = new Prng(3).fork('toLink').fork('reorder');
  const picked = [...Array(200).keys()].filter(() => reorderRng.next() < 0.2);
  const releaseAt = new Map<number, number>();
  const arrivals: Array<[number, number]> = [];
  const realSend = s.inner.send.bind(s.inner);
  s.inner.send = (p) => {
    arrivals.push([seqOf(p), s.rt.now()]);
    realSend(p);
  };
  for (let i = 0; i < 200; i++) {
    s.rt.advanceTo(i);
    s.link.send(packet(i));
    if (picked.includes(i)) releaseAt.set(i, i + 2.5);
  }
  assert.ok(s.link.held > 0);
  s.rt.advanceTo(1000);
  assert.equal(s.link.held, 0);
  assert.equal(s.link.stats.toLink.reordered, picked.length);
  assert.equal(picked.length, 34); // golden
  assert.equal(arrivals.length, 200);
  for (const [n, at] of arrivals) assert.equal(at, releaseAt.get(n) ?? n, `packet ${n}`);
  // Order changed: every reordered packet arrives after the two that followed it (1 ms apart).
  const order = arrivals.map(([n]) => n);
  assert.notDeepEqual(order, [...Array(200).keys()]);
  assert.deepEqual([...order].sort((a, b) => a - b), [...Array(200).keys()]);
  for (const n of picked) {
    if (n + 2 < 200 && !picked.includes(n + 2)) assert.ok(order.indexOf(n) > order.indexOf(n + 2), `${n} after ${n + 2}`);
  }
});

test('reorder uses one timer per direction at a time, set for the earliest held packet', () => {
  const s = setup({ seed: 1, toStack: { reorder: 1, reorderDelay: 10 } });
  for (let i = 0; i < 5; i++) {
    s.rt.advanceTo(i);
    s.inner.inject(packet(i));
  }
  assert.equal(s.rt.pending, 1);
  assert.equal(s.got.length, 0);
  s.rt.advanceTo(10);
  assert.deepEqual(s.got.map(seqOf), [0]);
  s.rt.advanceTo(13.5);
  assert.deepEqual(s.got.map(seqOf), [0, 1, 2, 3]);
  s.rt.advanceTo(100);
  assert.deepEqual(s.got.map(seqOf), [0, 1, 2, 3, 4]);
  assert.equal(s.rt.pending, 0);
  assert.equal(s.rt.timers.length, 5);
});

test('default reorderDelay', () => {
  const s = setup({ toLink: { reorder: 1 } });
  s.link.send(packet(0));
  s.rt.advanceTo(DEFAULT_REORDER_DELAY - 0.001);
  assert.equal(s.inner.sent.length, 0);
  s.rt.advanceTo(DEFAULT_REORDER_DELAY);
  assert.equal(s.inner.sent.length, 1);
  assert.equal(s.link.impairments('toLink').reorderDelay, DEFAULT_REORDER_DELAY);
});

test('duplicate: the original passes untouched, then an equal copy in its own buffer', () => {
  const s = setup({ seed: 9, toStack: { duplicate: 0.25 } });
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    const p = packet(i);
    sent.push(p);
    s.inner.inject(p);
  }
  const dupRng = new Prng(9).fork('toStack').fork('duplicate');
  const dups = [...Array(400).keys()].filter(() => dupRng.next() < 0.25);
  assert.equal(s.link.stats.toStack.duplicated, dups.length);
  assert.equal(dups.length, 108); // golden
  assert.equal(s.got.length, 400 + dups.length);
  assert.equal(s.link.stats.toStack.passed, 400 + dups.length);
  let k = 0;
  for (let i = 0; i < 400; i++) {
    assert.equal(s.got[k++], sent[i], 'original buffer');
    if (dups.includes(i)) {
      const copy = s.got[k++]!;
      assert.notEqual(copy, sent[i]);
      assert.notEqual(copy.buffer, sent[i]!.buffer);
      assert.deepEqual(copy, sent[i]);
    }
  }
});

test('a duplicated, reordered packet is held with its copy; lost packets are neither', () => {
  const s = setup({ seed: 1, toLink: { reorder: 1, duplicate: 1, reorderDelay: 1 } });
  const p = packet(7);
  s.link.send(p);
  assert.equal(s.inner.sent.length, 0);
  s.rt.advanceTo(1);
  assert.equal(s.inner.sent.length, 2);
  assert.equal(s.inner.sent[0], p);
  assert.deepEqual(s.inner.sent[1], p);
  const l = setup({ seed: 1, toLink: { loss: 1, reorder: 1, duplicate: 1 } });
  l.link.send(packet(1));
  assert.deepEqual(l.link.stats.toLink, { received: 1, passed: 0, dropped: 1, duplicated: 0, reordered: 0, discarded: 0 });
  assert.equal(l.rt.timers.length, 0);
});

test('all impairments together: exact counters for a seed, and the conservation law', () => {
  const s = setup({ seed: 2024, toLink: { loss: 0.05, reorder: 0.1, duplicate: 0.05 }, toStack: { loss: 0.02, reorder: 0.2, duplicate: 0.1, reorderDelay: 7 } });
  drive(s, 2000);
  const up = s.link.stats.toLink;
  const down = s.link.stats.toStack;
  assert.deepEqual(up, { received: 2000, passed: 2005, dropped: 88, duplicated: 93, reordered: 181, discarded: 0 });
  assert.deepEqual(down, { received: 2000, passed: 2145, dropped: 45, duplicated: 190, reordered: 391, discarded: 0 });
  for (const c of [up, down]) assert.equal(c.passed + c.discarded, c.received - c.dropped + c.duplicated);
  assert.equal(s.inner.sent.length, up.passed);
  assert.equal(s.got.length, down.passed);
});

test('deterministic replay: same seed and packets, same fates and order; another seed differs', () => {
  const run = (seed: number) => {
    const s = setup({ seed, toLink: { loss: 0.1, reorder: 0.1, duplicate: 0.1 }, toStack: { loss: 0.1, reorder: 0.1, duplicate: 0.1 } });
    drive(s, 500);
    return { up: s.inner.sent.map(seqOf), down: s.got.map(seqOf), stats: JSON.stringify(s.link.stats) };
  };
  assert.deepEqual(run(77), run(77));
  assert.notDeepEqual(run(77).up, run(78).up);
});

test('directions are independent: traffic or impairments one way do not change the other way\'s fates', () => {
  const a = setup({ seed: 11, toStack: { loss: 0.2, duplicate: 0.1 } });
  const b = setup({ seed: 11, toStack: { loss: 0.2, duplicate: 0.1 }, toLink: { loss: 0.5, reorder: 0.5, duplicate: 0.5 } });
  for (let i = 0; i < 300; i++) a.inner.inject(packet(i));
  for (let i = 0; i < 300; i++) {
    b.link.send(packet(i));
    b.inner.inject(packet(i));
    b.link.send(packet(i));
  }
  b.rt.advanceTo(100);
  assert.deepEqual(a.got.map(seqOf), b.got.map(seqOf));
});

test('close() discards held packets and cancels timers; later packets are discarded too', () => {
  const s = setup({ seed: 1, toLink: { reorder: 1, duplicate: 1 }, toStack: { reorder: 1 } });
  s.link.send(packet(1));
  s.inner.inject(packet(2));
  assert.equal(s.link.held, 2);
  assert.equal(s.rt.pending, 2);
  s.link.close();
  assert.equal(s.link.closed, true);
  assert.equal(s.rt.pending, 0);
  assert.equal(s.rt.cancelled, 2);
  assert.equal(s.link.held, 0);
  s.link.send(packet(3));
  s.inner.inject(packet(4));
  s.rt.advanceTo(1000);
  assert.equal(s.inner.sent.length, 0);
  assert.equal(s.got.length, 0);
  assert.deepEqual(s.link.stats.toLink, { received: 2, passed: 0, dropped: 0, duplicated: 1, reordered: 1, discarded: 3 });
  assert.deepEqual(s.link.stats.toStack, { received: 2, passed: 0, dropped: 0, duplicated: 0, reordered: 1, discarded: 2 });
  s.link.close(); // idempotent
});

test('flush() and close({ flush: true }) hand held packets on at once, in due order', () => {
  const s = setup({ seed: 1, toLink: { reorder: 1, reorderDelay: 5 } });
  s.link.send(packet(1));
  s.rt.advanceTo(1);
  s.link.configure({ toLink: { reorderDelay: 1 } });
  s.link.send(packet(2)); // due at 2, before packet 1 (due at 5)
  s.link.flush();
  assert.deepEqual(s.inner.sent.map(seqOf), [2, 1]);
  assert.equal(s.rt.pending, 0);
  s.link.send(packet(3));
  s.link.close({ flush: true });
  assert.deepEqual(s.inner.sent.map(seqOf), [2, 1, 3]);
  assert.equal(s.link.stats.toLink.discarded, 0);
  assert.equal(s.rt.pending, 0);
});

test('packets from the inner link with no receiver set are discarded', () => {
  const rt = new FakeRuntime();
  const inner = new MemLink();
  const link = new ImpairedLink(inner, { runtime: rt });
  inner.inject(packet(1));
  assert.equal(link.stats.toStack.discarded, 1);
  assert.equal(link.stats.toStack.passed, 0);
});

test('configure() changes impairments from now on; bad values are refused', () => {
  const s = setup({ seed: 1 });
  s.link.send(packet(1));
  s.link.configure({ toLink: { loss: 1 } });
  s.link.send(packet(2));
  assert.deepEqual(s.inner.sent.map(seqOf), [1]);
  assert.deepEqual(s.link.impairments('toLink'), { loss: 1, reorder: 0, reorderDelay: DEFAULT_REORDER_DELAY, duplicate: 0 });
  assert.throws(() => s.link.configure({ toStack: { loss: 1.5 } }), RangeError);
  assert.throws(() => s.link.configure({ toLink: { reorderDelay: -1 } }), RangeError);
  assert.throws(() => new ImpairedLink(new MemLink(), { runtime: new FakeRuntime(), toStack: { duplicate: NaN } }), RangeError);
  assert.equal(s.link.impairments('toLink').loss, 1, 'a refused configure changes nothing');
});

test('a TCP echo through ImpairedLinks on both hosts of a simulated network arrives intact', async () => {
  const sim = new Simulation({ seed: 4 });
  const wire = sim.link({ label: 'wire', latency: 2 });
  const ca = sim.runtime('client');
  const sa = sim.runtime('server');
  const imp = { loss: 0.03, reorder: 0.05, reorderDelay: 3, duplicate: 0.03 };
  const cl = new ImpairedLink(wire.a, { seed: 1, runtime: ca, toLink: imp, toStack: imp });
  const sl = new ImpairedLink(wire.b, { seed: 2, runtime: sa, toLink: imp, toStack: imp });
  const client = new Stack({ name: 'client', runtime: ca });
  const server = new Stack({ name: 'server', runtime: sa });
  client.addInterface({ link: cl, addresses: ['10.0.0.1/24'] });
  server.addInterface({ link: sl, addresses: ['10.0.0.2/24'] });
  createNet(server).createServer((sock) => sock.pipe(sock)).listen(7);
  const data = new Prng(5).bytes(100_000);
  const chunks: Buffer[] = [];
  let closed = false;
  const sock = createNet(client).connect(7, '10.0.0.2');
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.on('close', () => (closed = true));
  sock.end(Buffer.from(data));
  await sim.runUntil(() => closed);
  await sim.settle();
  assert.equal(cl.held + sl.held, 0);
  assert.deepEqual(new Uint8Array(Buffer.concat(chunks)), data);
  for (const l of [cl, sl]) {
    for (const c of [l.stats.toLink, l.stats.toStack]) {
      assert.ok(c.dropped > 0 && c.duplicated > 0 && c.reordered > 0, JSON.stringify(c));
      assert.equal(c.passed + c.discarded, c.received - c.dropped + c.duplicated);
    }
  }
});
