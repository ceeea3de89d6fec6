import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/link/sim/simulation.js';
import type { LinkEvent, SimLink, SimLinkOptions } from '../../src/link/sim/link.js';

/** A packet whose first 4 bytes carry a sequence number. */
function packet(n: number, size = 100): Uint8Array {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, n);
  p.fill(0xa5, 4);
  return p;
}

function seqOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset).getUint32(0);
}

interface Arrival {
  n: number;
  at: number;
  packet: Uint8Array;
}

/** Collects arrivals at end b. */
function receiveAtB(sim: Simulation, link: SimLink): Arrival[] {
  const got: Arrival[] = [];
  link.b.setReceiver((p) => got.push({ n: seqOf(p), at: sim.now, packet: p }));
  return got;
}

/** Sends `count` packets from a, one every `gap` ms starting at 0, and runs the simulation. */
function blast(options: SimLinkOptions, count: number, gap = 1, seed = 1, size = 100): { sim: Simulation; link: SimLink; got: Arrival[] } {
  const sim = new Simulation({ seed });
  const link = sim.link({ label: 'l', ...options });
  const got = receiveAtB(sim, link);
  for (let i = 0; i < count; i++) sim.schedule(i * gap, () => link.a.send(packet(i, size)));
  sim.run();
  return { sim, link, got };
}

/** Asserts `x` is within 5 standard deviations of a binomial(n, p) count. */
function assertBinomial(name: string, x: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(x - n * p) <= 5 * sd, `${name}: ${x} of ${n}, expected ~${n * p} (sd ${sd.toFixed(1)})`);
}

function inversions(ns: number[]): number {
  let inv = 0;
  for (let i = 1; i < ns.length; i++) if (ns[i]! < ns[i - 1]!) inv++;
  return inv;
}

test('an ideal link delivers everything, at once, in order, without copying', () => {
  const sim = new Simulation();
  const link = sim.link();
  const got = receiveAtB(sim, link);
  const sent = packet(1);
  link.a.send(sent);
  assert.equal(got.length, 0, 'delivery is an event, not a synchronous call');
  sim.run();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.packet, sent, 'the same buffer is handed over');
  assert.equal(got[0]!.at, 0);
  assert.equal(link.a.mtu, 1500);
  assert.equal(link.label, 'link#1');
  assert.equal(link.a.peer, link.b);
});

test('both directions work independently', () => {
  const sim = new Simulation();
  const link = sim.link({ latency: 5, bToA: { latency: 20 } });
  const atA: number[] = [];
  const atB: number[] = [];
  link.a.setReceiver((p) => atA.push(seqOf(p) * 1000 + sim.now));
  link.b.setReceiver((p) => atB.push(seqOf(p) * 1000 + sim.now));
  link.a.send(packet(1));
  link.b.send(packet(2));
  sim.run();
  assert.deepEqual(atB, [1005]);
  assert.deepEqual(atA, [2020]);
  assert.equal(link.stats.aToB.delivered, 1);
  assert.equal(link.stats.bToA.delivered, 1);
});

test('latency and bandwidth arithmetic is exact', () => {
  // 1500-byte packets at 12 Mbit/s take exactly 1 ms each to serialise.
  const sim = new Simulation();
  const link = sim.link({ latency: 10, bandwidth: 12e6 });
  const got = receiveAtB(sim, link);
  for (let i = 0; i < 10; i++) link.a.send(packet(i, 1500));
  assert.equal(link.queueLength('aToB'), 10);
  sim.run();
  assert.deepEqual(got.map((g) => g.at), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  assert.deepEqual(got.map((g) => g.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(link.queueLength('aToB'), 0);

  // An idle transmitter starts at once; a busy one queues.
  sim.schedule(100, () => link.a.send(packet(10, 750))); // 0.5 ms
  sim.schedule(100.25, () => link.a.send(packet(11, 1500))); // starts at 100.5
  sim.run();
  assert.deepEqual(got.slice(10).map((g) => g.at), [110.5, 111.5]);
});

test('the transmit queue tail-drops beyond queueLimit packets or queueLimitBytes', () => {
  const sim = new Simulation();
  const link = sim.link({ bandwidth: 12e6, queueLimit: 4 });
  const got = receiveAtB(sim, link);
  const events: LinkEvent[] = [];
  link.tap((e) => events.push(e));
  for (let i = 0; i < 6; i++) link.a.send(packet(i, 1500));
  assert.equal(link.stats.aToB.queueFull, 2);
  assert.deepEqual(events.filter((e) => e.kind === 'drop').map((e) => [e.id, e.fate]), [[4, 'queue-full'], [5, 'queue-full']]);
  // After 1.5 ms two packets have left the queue (the third is being transmitted).
  sim.run({ until: 2 });
  assert.equal(link.queueLength('aToB'), 2);
  link.a.send(packet(6, 1500));
  link.a.send(packet(7, 1500));
  link.a.send(packet(8, 1500));
  sim.run();
  assert.deepEqual(got.map((g) => g.n), [0, 1, 2, 3, 6, 7]);
  assert.equal(link.stats.aToB.queueFull, 3);

  const sim2 = new Simulation();
  const link2 = sim2.link({ bandwidth: 1e6, queueLimitBytes: 3000 });
  for (let i = 0; i < 4; i++) link2.a.send(packet(i, 1000));
  assert.equal(link2.stats.aToB.queueFull, 1);
});

test('infinite bandwidth never queue-drops', () => {
  const { link, got } = blast({ queueLimit: 1 }, 5000, 0);
  assert.equal(got.length, 5000);
  assert.equal(link.stats.aToB.queueFull, 0);
});

test('packets above the MTU are dropped as too-big; MTU is per direction', () => {
  const sim = new Simulation();
  const link = sim.link({ mtu: 1280, bToA: { mtu: 9000 } });
  assert.equal(link.a.mtu, 1280);
  assert.equal(link.b.mtu, 9000);
  const got = receiveAtB(sim, link);
  const events: LinkEvent[] = [];
  link.tap((e) => events.push(e));
  link.a.send(packet(1, 1280));
  link.a.send(packet(2, 1281));
  sim.run();
  assert.deepEqual(got.map((g) => g.n), [1]);
  assert.equal(link.stats.aToB.tooBig, 1);
  const drop = events.find((e) => e.kind === 'drop')!;
  assert.equal(drop.fate, 'too-big');
  assert.equal(drop.id, 1);
  assert.equal(events.filter((e) => e.id === 1 && e.kind === 'send')[0]!.fate, 'too-big');
});

test('loss, duplicate, reorder and corrupt rates are statistically right', () => {
  const n = 20_000;
  const { link, got } = blast({ latency: 10, loss: 0.1, duplicate: 0.05, reorder: 0.08, corrupt: 0.03 }, n, 0.5, 1234);
  const c = link.stats.aToB;
  assert.equal(c.sent, n);
  assertBinomial('lost', c.lost, n, 0.1);
  const survivors = n - c.lost;
  assertBinomial('duplicated', c.duplicated, survivors, 0.05);
  assertBinomial('reordered', c.reordered, survivors, 0.08);
  assertBinomial('corrupted', c.corrupted, survivors, 0.03);
  assert.equal(c.delivered, survivors + c.duplicated);
  assert.equal(got.length, c.delivered);
  assert.equal(c.deliveredBytes, c.delivered * 100);
  assert.equal(c.sentBytes, n * 100);
  assert.ok(inversions(got.map((g) => g.n)) > 0, 'some packets arrive out of order');
  // Each surviving id arrives once, or twice if duplicated.
  const counts = new Map<number, number>();
  for (const g of got) counts.set(g.n, (counts.get(g.n) ?? 0) + 1);
  let twice = 0;
  for (const v of counts.values()) if (v === 2) twice++;
  // (A corrupted copy may have its sequence number field hit; allow for that.)
  assert.ok(Math.abs(twice - c.duplicated) <= c.corrupted);
});

test('loss and corruption are independent draws per packet', () => {
  const { link } = blast({ loss: 0.25 }, 20_000, 0, 77);
  assertBinomial('lost', link.stats.aToB.lost, 20_000, 0.25);
  const { link: l2 } = blast({ loss: 1 }, 100, 1);
  assert.equal(l2.stats.aToB.lost, 100);
  assert.equal(l2.stats.aToB.delivered, 0);
});

test('jitter alone never reorders, for either distribution', () => {
  for (const jitterShape of ['uniform', 'bell'] as const) {
    const { got, link } = blast({ latency: 20, jitter: 15, jitterShape }, 5000, 0.1, 9);
    assert.equal(got.length, 5000);
    assert.equal(inversions(got.map((g) => g.n)), 0, jitterShape);
    assert.equal(link.stats.aToB.reordered, 0);
    const delays = got.map((g) => g.at - g.n * 0.1);
    assert.ok(delays.every((d) => d >= 5 - 1e-9), 'never earlier than latency - jitter');
    assert.ok(new Set(delays.map((d) => d.toFixed(3))).size > 100, 'delays vary');
  }
  // Sparse packets (gap >> jitter) see their own jitter, within ±jitter.
  const { got } = blast({ latency: 20, jitter: 5 }, 2000, 100, 3);
  const delays = got.map((g) => g.at - g.n * 100);
  assert.ok(delays.every((d) => d >= 15 && d <= 25));
  const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
  assert.ok(Math.abs(mean - 20) < 0.3, `mean delay ${mean}`);
  assert.ok(Math.min(...delays) < 15.2 && Math.max(...delays) > 24.8);
});

test('jitter larger than latency clamps delay at zero', () => {
  const { got } = blast({ latency: 1, jitter: 10 }, 500, 50, 4);
  assert.ok(got.every((g) => g.at >= g.n * 50));
});

test('reordering holds a packet back so that later ones overtake it', () => {
  const { got, link } = blast({ latency: 10, reorder: 0.1, reorderDelay: 3 }, 2000, 1, 5);
  const ns = got.map((g) => g.n);
  const inv = inversions(ns);
  assert.ok(inv > 0);
  assert.ok(inv <= link.stats.aToB.reordered);
  // A held-back packet arrives exactly reorderDelay late; the rest are on time.
  for (const g of got) assert.ok(g.at === g.n + 10 || g.at === g.n + 13, `packet ${g.n} at ${g.at}`);
  assert.equal(got.filter((g) => g.at === g.n + 13).length, link.stats.aToB.reordered);
  // Default reorderDelay is max(1, latency / 2).
  assert.equal(link.params('aToB').reorderDelay, 3);
  const { got: got2 } = blast({ latency: 40, reorder: 1 }, 10, 100, 5);
  assert.ok(got2.every((g) => g.at === g.n * 100 + 60));
});

test('corruption flips exactly one bit of a copy and never touches the original', () => {
  const sim = new Simulation({ seed: 8 });
  const link = sim.link({ corrupt: 1 });
  const sent: Uint8Array[] = [];
  const pristine: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  link.b.setReceiver((p) => got.push(p));
  const events: LinkEvent[] = [];
  link.tap((e) => events.push(e));
  for (let i = 0; i < 500; i++) {
    const p = packet(i, 64);
    sent.push(p);
    pristine.push(p.slice());
    link.a.send(p);
  }
  sim.run();
  assert.equal(got.length, 500);
  const bitPositions = new Set<number>();
  for (let i = 0; i < 500; i++) {
    assert.deepEqual(sent[i], pristine[i], 'original unchanged');
    assert.notEqual(got[i], sent[i], 'delivered a different buffer');
    let bits = 0;
    for (let j = 0; j < 64; j++) {
      const x = got[i]![j]! ^ pristine[i]![j]!;
      for (let b = 0; b < 8; b++) if (x & (1 << b)) {
        bits++;
        bitPositions.add(j * 8 + b);
      }
    }
    assert.equal(bits, 1);
  }
  assert.ok(bitPositions.size > 200, 'flipped bits are spread over the packet');
  assert.equal(link.stats.aToB.corrupted, 500);
  const deliver = events.find((e) => e.kind === 'deliver')!;
  assert.equal(deliver.corrupted, true);
  const send = events.find((e) => e.kind === 'send')!;
  assert.equal(send.corrupted, true);
  assert.equal(send.packet, sent[0]);
});

test('duplicates are separate buffers with the same bytes, arriving shortly after', () => {
  const sim = new Simulation({ seed: 2 });
  const link = sim.link({ latency: 10, duplicate: 1, duplicateDelay: 4 });
  const got: Arrival[] = receiveAtB(sim, link);
  const p = packet(42);
  link.a.send(p);
  sim.run();
  assert.equal(got.length, 2);
  assert.equal(got[0]!.packet, p);
  assert.notEqual(got[1]!.packet, p);
  assert.deepEqual(got[1]!.packet, p);
  assert.equal(got[0]!.at, 10);
  assert.ok(got[1]!.at >= 10 && got[1]!.at < 14);
  // The receiver may scribble on what it got without affecting the duplicate.
  const sim2 = new Simulation({ seed: 2 });
  const link2 = sim2.link({ duplicate: 1 });
  const seen: number[] = [];
  link2.b.setReceiver((q) => {
    seen.push(q[10]!);
    q.fill(0);
  });
  link2.a.send(packet(1));
  sim2.run();
  assert.deepEqual(seen, [0xa5, 0xa5]);
});

/** Full delivery log of a busy impaired run in both directions. */
function deliveryLog(seed: number, extra: (sim: Simulation) => void = () => {}): string[] {
  const sim = new Simulation({ seed });
  extra(sim);
  const link = sim.link({
    label: 'main',
    latency: 15,
    jitter: 4,
    bandwidth: 40e6,
    loss: 0.05,
    duplicate: 0.02,
    reorder: 0.05,
    corrupt: 0.02,
    queueLimit: 30,
  });
  const log: string[] = [];
  link.a.setReceiver((p) => log.push(`A ${sim.now} ${Buffer.from(p).toString('hex')}`));
  link.b.setReceiver((p) => log.push(`B ${sim.now} ${Buffer.from(p).toString('hex')}`));
  for (let i = 0; i < 2000; i++) {
    sim.schedule(i * 0.3, () => link.a.send(packet(i, 200 + (i % 1000))));
    sim.schedule(i * 0.7, () => link.b.send(packet(100_000 + i, 64)));
  }
  sim.run();
  return log;
}

test('same seed gives an identical delivery log; a different seed does not', () => {
  const one = deliveryLog(1);
  assert.ok(one.length > 3000);
  assert.deepEqual(deliveryLog(1), one);
  assert.notDeepEqual(deliveryLog(2), one);
});

test("adding other links or runtimes does not perturb a labelled link's randomness", () => {
  const one = deliveryLog(1);
  const withOthers = deliveryLog(1, (sim) => {
    sim.link({ loss: 0.5 }).a.send(packet(0));
    sim.runtime('x').randomBytes(100);
    sim.random('y').bytes(100);
  });
  assert.deepEqual(withOthers, one);
});

test('impairments use separate streams: enabling jitter does not change which packets are lost', () => {
  const lostIds = (opts: SimLinkOptions): number[] => {
    const sim = new Simulation({ seed: 31 });
    const l = sim.link({ label: 'l', loss: 0.1, ...opts });
    const ids: number[] = [];
    l.tap((e) => e.fate === 'lost' && e.kind === 'drop' && ids.push(e.id));
    l.b.setReceiver(() => {});
    for (let i = 0; i < 3000; i++) sim.schedule(i, () => l.a.send(packet(i)));
    sim.run();
    return ids;
  };
  const base = lostIds({});
  assert.ok(base.length > 200);
  assert.deepEqual(lostIds({ jitter: 3, latency: 5 }), base);
  assert.deepEqual(lostIds({ corrupt: 0.5, duplicate: 0.3, reorder: 0.2 }), base);
});

test('taps see send, deliver and drop events with ids and fates; zero taps cost nothing', () => {
  const sim = new Simulation({ seed: 3 });
  const link = sim.link({ latency: 2, loss: 0.3, duplicate: 0.2 });
  const linkEvents: LinkEvent[] = [];
  const simEvents: LinkEvent[] = [];
  const untap = link.tap((e) => linkEvents.push(e));
  sim.tap((e) => simEvents.push(e));
  link.b.setReceiver(() => {});
  for (let i = 0; i < 200; i++) sim.schedule(i, () => link.a.send(packet(i)));
  sim.run();
  assert.deepEqual(simEvents, linkEvents);
  const sends = linkEvents.filter((e) => e.kind === 'send');
  assert.equal(sends.length, 200);
  assert.deepEqual(sends.map((e) => e.id), [...Array(200).keys()]);
  for (const s of sends) {
    assert.equal(s.from, 'a');
    assert.equal(s.link, 'link#1');
    const later = linkEvents.filter((e) => e.id === s.id && e.kind !== 'send');
    if (s.fate === 'lost') {
      assert.deepEqual(later.map((e) => [e.kind, e.fate, e.time]), [['drop', 'lost', s.time]]);
    } else {
      assert.equal(s.fate, 'delivered');
      assert.equal(later.length, s.duplicate ? 2 : 1);
      assert.equal(later[0]!.kind, 'deliver');
      assert.equal(later[0]!.time, s.deliverAt);
      assert.equal(later[0]!.duplicate, false);
      if (s.duplicate) assert.equal(later[1]!.duplicate, true);
    }
  }
  untap();
  link.a.send(packet(999));
  sim.run();
  assert.equal(linkEvents.length, simEvents.length - 2);
});

test('a port without a receiver drops arrivals as no-receiver', () => {
  const sim = new Simulation();
  const link = sim.link();
  const events: LinkEvent[] = [];
  sim.tap((e) => events.push(e));
  link.b.send(packet(1));
  sim.run();
  assert.equal(link.stats.bToA.unclaimed, 1);
  assert.equal(link.stats.bToA.delivered, 0);
  assert.deepEqual(events.map((e) => [e.kind, e.fate, e.from]), [['send', 'delivered', 'b'], ['drop', 'no-receiver', 'b']]);
});

test('a drop filter scripts exact losses', () => {
  const sim = new Simulation();
  const link = sim.link({ latency: 1 });
  const got = receiveAtB(sim, link);
  link.setDropFilter((p, from, id) => from === 'a' && (seqOf(p) === 3 || id === 5));
  for (let i = 0; i < 8; i++) link.a.send(packet(i));
  sim.run();
  assert.deepEqual(got.map((g) => g.n), [0, 1, 2, 4, 6, 7]);
  assert.equal(link.stats.aToB.filtered, 2);
  link.setDropFilter(null);
  link.a.send(packet(3));
  sim.run();
  assert.equal(got.at(-1)!.n, 3);
});

test('configure() changes parameters mid-run; in-flight packets keep their schedule', () => {
  const sim = new Simulation();
  const link = sim.link({ latency: 10 });
  const got = receiveAtB(sim, link);
  link.a.send(packet(1));
  link.configure({ loss: 1 });
  link.a.send(packet(2));
  link.configure({ loss: 0, aToB: { latency: 3 } });
  link.a.send(packet(3));
  sim.run();
  assert.deepEqual(got.map((g) => [g.n, g.at]), [[1, 10], [3, 10]], 'FIFO: 3 may not overtake 1');
  assert.equal(link.params('aToB').latency, 3);
  assert.equal(link.params('bToA').latency, 10);
  assert.throws(() => link.configure({ loss: 2 }), RangeError);
  assert.equal(link.params('aToB').loss, 0, 'a rejected configuration changes nothing');
});

test('burst loss clusters losses at the stationary rate', () => {
  const n = 50_000;
  const sim = new Simulation({ seed: 12 });
  const link = sim.link({ burstLoss: { enterBad: 0.01, exitBad: 0.2 } });
  const lost: boolean[] = [];
  link.tap((e) => e.kind === 'send' && lost.push(e.fate === 'lost'));
  link.b.setReceiver(() => {});
  for (let i = 0; i < n; i++) link.a.send(packet(i, 20));
  sim.run();
  const rate = lost.filter(Boolean).length / n;
  const stationary = 0.01 / (0.01 + 0.2);
  assert.ok(Math.abs(rate - stationary) < 0.015, `loss rate ${rate} vs ${stationary}`);
  // Mean burst length ~ 1 / exitBad = 5.
  let bursts = 0;
  for (let i = 0; i < n; i++) if (lost[i] && !lost[i - 1]) bursts++;
  const meanBurst = (rate * n) / bursts;
  assert.ok(meanBurst > 3.5 && meanBurst < 6.5, `mean burst ${meanBurst}`);
});

test('link options are validated', () => {
  const sim = new Simulation();
  assert.throws(() => sim.link({ loss: -0.1 }), RangeError);
  assert.throws(() => sim.link({ latency: -1 }), RangeError);
  assert.throws(() => sim.link({ bandwidth: 0 }), RangeError);
  assert.throws(() => sim.link({ mtu: 0 }), RangeError);
  assert.throws(() => sim.link({ aToB: { corrupt: 1.5 } }), RangeError);
  assert.throws(() => sim.link({ jitter: NaN }), RangeError);
  sim.link({ label: 'x' });
  assert.throws(() => sim.link({ label: 'x' }), /already in use/);
});

test('in-flight accounting', () => {
  const sim = new Simulation();
  const link = sim.link({ latency: 5, duplicate: 1 });
  link.b.setReceiver(() => {});
  link.a.send(packet(1));
  assert.equal(link.inFlight, 2);
  sim.run();
  assert.equal(link.inFlight, 0);
});

test('a bulk run of 200k packets completes', () => {
  const sim = new Simulation();
  const link = sim.link({ latency: 10, bandwidth: 1e9, jitter: 0.01, loss: 0.001, queueLimit: 100_000 });
  let delivered = 0;
  const p = packet(0, 1500);
  // A sender that keeps 64 packets in flight, like a window-limited transfer.
  let sent = 0;
  const total = 200_000;
  const pump = (): void => {
    while (sent < total && sent - delivered - link.stats.aToB.lost < 64) {
      sent++;
      link.a.send(p);
    }
  };
  link.b.setReceiver(() => {
    delivered++;
    pump();
  });
  pump();
  sim.run();
  assert.equal(delivered + link.stats.aToB.lost, total);
});

test('a long transmit queue keeps exact FIFO timing as it grows and drains', () => {
  const sim = new Simulation();
  const link = sim.link({ bandwidth: 12e6, queueLimit: 10_000 });
  const got = receiveAtB(sim, link);
  for (let i = 0; i < 3000; i++) link.a.send(packet(i, 1500));
  assert.equal(link.queueLength('aToB'), 3000);
  sim.run({ until: 1000.5 });
  assert.equal(link.queueLength('aToB'), 2000);
  for (let i = 3000; i < 5000; i++) link.a.send(packet(i, 1500)); // wraps the ring buffer
  sim.run();
  assert.equal(got.length, 5000);
  got.forEach((g, i) => {
    assert.equal(g.n, i);
    assert.equal(g.at, i + 1);
  });
  assert.equal(link.queueLength('aToB'), 0);
});

test('an invalid link does not use up its label', () => {
  const sim = new Simulation();
  assert.throws(() => sim.link({ label: 'x', loss: 7 }), RangeError);
  assert.throws(() => sim.link({ loss: 7 }), RangeError);
  assert.equal(sim.link({ label: 'x' }).label, 'x');
  assert.equal(sim.link().label, 'link#1');
  assert.deepEqual(sim.links.map((l) => l.label), ['x', 'link#1']);
});

test('async echo over a link: replies via process.nextTick keep virtual time exact', async () => {
  const sim = new Simulation({ seed: 4 });
  const link = sim.link({ latency: 7, bandwidth: 12e6 });
  // b echoes every packet back asynchronously, as a stream-based stack would.
  link.b.setReceiver((p) => process.nextTick(() => link.b.send(p)));
  const echoes: number[] = [];
  link.a.setReceiver((p) => echoes.push(seqOf(p) * 1e6 + sim.now));
  link.a.send(packet(1, 1500));
  link.a.send(packet(2, 1500));
  await sim.runUntil(() => echoes.length === 2);
  // Out: 1 ms serialisation + 7 ms; back: the same, with packet 2 queued behind packet 1 both ways.
  assert.deepEqual(echoes, [1e6 + 16, 2e6 + 17]);
  await sim.settle();
  assert.equal(sim.now, 17);
});
