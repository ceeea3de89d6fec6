/**
 * The SACK scoreboard (src/tcp/scoreboard.ts) on its own: cumulative ACKs (RFC 9293 §3.10.7.4), SACK
 * marking with splits (RFC 2018 §5), RFC 6675 §4 IsLost and pipe, RTO marking (RFC 6675 §5.1), and
 * sequence wraparound (RFC 9293 §3.4). The counters are checked after every operation against a
 * recount from the segments themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard, type SentSegment } from '../../../src/tcp/scoreboard.js';
import { seqAdd, seqDiff } from '../../../src/tcp/seq.js';
import { blocks } from './helpers.js';

function sent(start: number, end: number, extra: Partial<SentSegment> = {}): SentSegment {
  return {
    start: start >>> 0,
    end: end >>> 0,
    xmitAt: 0,
    xmitOrder: 0,
    tsVal: 0,
    retransmits: 0,
    sacked: false,
    lost: false,
    rtxInFlight: false,
    fin: false,
    ...extra,
  };
}

/** A board holding `n` segments of `size` bytes from `base`. */
function board(base: number, n: number, size = 1000): Scoreboard {
  const b = new Scoreboard();
  for (let i = 0; i < n; i++) b.push(sent(seqAdd(base, i * size), seqAdd(base, (i + 1) * size), { xmitAt: i }));
  return b;
}

function segments(b: Scoreboard): SentSegment[] {
  const out: SentSegment[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.at(i)!);
  return out;
}

/** [start, end, marks] per segment, marks as 'S' (SACKed), 'L' (lost), 'R' (retransmission in flight). */
function layout(b: Scoreboard): Array<[number, number, string]> {
  return segments(b).map((s) => [s.start, s.end, (s.sacked ? 'S' : '') + (s.lost ? 'L' : '') + (s.rtxInFlight ? 'R' : '')]);
}

interface Counters {
  sackedBytes: number;
  lostBytes: number;
  rtxBytes: number;
  sackedSegments: number;
  pipe: number;
}

/** The counters as kept, checked against a recount; `flight` = SND.NXT − SND.UNA. */
function counters(b: Scoreboard, flight: number): Counters {
  const segs = segments(b);
  const len = (s: SentSegment): number => seqDiff(s.end, s.start);
  const recount = {
    sackedBytes: segs.filter((s) => s.sacked).reduce((a, s) => a + len(s), 0),
    lostBytes: segs.filter((s) => s.lost).reduce((a, s) => a + len(s), 0),
    rtxBytes: segs.filter((s) => s.rtxInFlight).reduce((a, s) => a + len(s), 0),
    sackedSegments: segs.filter((s) => s.sacked).length,
  };
  const kept = {
    sackedBytes: b.sackedBytes,
    lostBytes: b.lostBytes,
    rtxBytes: b.rtxBytes,
    sackedSegments: b.sackedSegments,
  };
  assert.deepStrictEqual(kept, recount, 'incremental counters agree with a recount');
  // Segments are in order and contiguous.
  for (let i = 1; i < segs.length; i++) assert.equal(segs[i]!.start, segs[i - 1]!.end, `segment ${i} follows ${i - 1}`);
  return { ...kept, pipe: b.pipe(flight) };
}

test('ackTo: whole segments leave the queue in order, each reported once', () => {
  const b = board(1000, 5);
  const acked: number[] = [];
  b.ackTo(3000, (s) => acked.push(s.start));
  assert.deepStrictEqual(acked, [1000, 2000]);
  assert.equal(b.length, 3);
  assert.equal(b.first()!.start, 3000);
  assert.deepStrictEqual(counters(b, 3000), { sackedBytes: 0, lostBytes: 0, rtxBytes: 0, sackedSegments: 0, pipe: 3000 });
  b.ackTo(6000, (s) => acked.push(s.start));
  assert.deepStrictEqual(acked, [1000, 2000, 3000, 4000, 5000]);
  assert.ok(b.isEmpty);
  assert.equal(b.first(), undefined);
  assert.equal(b.last(), undefined);
});

test('ackTo: a partial ACK trims the straddling segment and its counters (lost, SACK-free)', () => {
  const b = board(1000, 3);
  b.markLost(b.first()!);
  assert.deepStrictEqual(counters(b, 3000), { sackedBytes: 0, lostBytes: 1000, rtxBytes: 0, sackedSegments: 0, pipe: 2000 });
  const acked: number[] = [];
  b.ackTo(1400, (s) => acked.push(s.start));
  assert.deepStrictEqual(acked, [], 'nothing wholly acknowledged');
  assert.deepStrictEqual(layout(b), [
    [1400, 2000, 'L'],
    [2000, 3000, ''],
    [3000, 4000, ''],
  ]);
  assert.deepStrictEqual(counters(b, 2600), { sackedBytes: 0, lostBytes: 600, rtxBytes: 0, sackedSegments: 0, pipe: 2000 });
  b.retransmitted(b.first()!, 50, 50, 1000 + 50);
  assert.deepStrictEqual(counters(b, 2600), { sackedBytes: 0, lostBytes: 600, rtxBytes: 600, sackedSegments: 0, pipe: 2600 });
  b.ackTo(1500, () => {});
  assert.deepStrictEqual(counters(b, 2500), { sackedBytes: 0, lostBytes: 500, rtxBytes: 500, sackedSegments: 0, pipe: 2500 });
});

test('sack: a block inside one segment splits it in three; only the middle is SACKed', () => {
  const b = board(1000, 3);
  const seen: Array<[number, number]> = [];
  const newly = b.sack(blocks([[2200, 2700]]), 1000, (s) => seen.push([s.start, s.end]));
  assert.equal(newly, 500);
  assert.deepStrictEqual(seen, [[2200, 2700]]);
  assert.deepStrictEqual(layout(b), [
    [1000, 2000, ''],
    [2000, 2200, ''],
    [2200, 2700, 'S'],
    [2700, 3000, ''],
    [3000, 4000, ''],
  ]);
  assert.deepStrictEqual(counters(b, 3000), { sackedBytes: 500, lostBytes: 0, rtxBytes: 0, sackedSegments: 1, pipe: 2500 });
  assert.equal(b.highSacked, 2700);
});

test('sack: a block across segment boundaries; repeated and overlapping blocks count once', () => {
  const b = board(1000, 5);
  assert.equal(b.sack(blocks([[2500, 4000]]), 1000, () => {}), 1500);
  assert.deepStrictEqual(layout(b), [
    [1000, 2000, ''],
    [2000, 2500, ''],
    [2500, 3000, 'S'],
    [3000, 4000, 'S'],
    [4000, 5000, ''],
    [5000, 6000, ''],
  ]);
  assert.deepStrictEqual(counters(b, 5000), { sackedBytes: 1500, lostBytes: 0, rtxBytes: 0, sackedSegments: 2, pipe: 3500 });
  // The same block again, then a block that overlaps it and extends it by one segment.
  assert.equal(b.sack(blocks([[2500, 4000]]), 1000, () => {}), 0);
  assert.equal(b.sack(blocks([[3000, 5000]]), 1000, () => {}), 1000);
  assert.deepStrictEqual(counters(b, 5000), { sackedBytes: 2500, lostBytes: 0, rtxBytes: 0, sackedSegments: 3, pipe: 2500 });
  assert.equal(b.highSacked, 5000);
});

test('sack: blocks at or below the cumulative ACK (D-SACK) and empty blocks are ignored', () => {
  const b = board(1000, 3);
  b.ackTo(2000, () => {});
  assert.equal(b.sack(blocks([[1000, 2000], [1500, 1500], [3000, 2500]]), 2000, () => {}), 0);
  assert.deepStrictEqual(counters(b, 2000), { sackedBytes: 0, lostBytes: 0, rtxBytes: 0, sackedSegments: 0, pipe: 2000 });
  assert.equal(b.highSacked, undefined);
});

test('sack: several blocks in one ACK, highest first, are all recorded', () => {
  const b = board(1000, 6);
  const seen: number[] = [];
  assert.equal(b.sack(blocks([[6000, 7000], [3000, 4000]]), 1000, (s) => seen.push(s.start)), 2000);
  assert.deepStrictEqual(layout(b).map(([s, , m]) => [s, m]), [
    [1000, ''],
    [2000, ''],
    [3000, 'S'],
    [4000, ''],
    [5000, ''],
    [6000, 'S'],
  ]);
  assert.deepStrictEqual(counters(b, 6000), { sackedBytes: 2000, lostBytes: 0, rtxBytes: 0, sackedSegments: 2, pipe: 4000 });
});

test('sack: splitting a lost / retransmitted segment keeps every counter exact', () => {
  const b = board(1000, 2);
  b.markLost(b.first()!);
  b.retransmitted(b.first()!, 10, 10, 1000 + 10);
  assert.deepStrictEqual(counters(b, 2000), { sackedBytes: 0, lostBytes: 1000, rtxBytes: 1000, sackedSegments: 0, pipe: 2000 });
  b.sack(blocks([[1600, 2000]]), 1000, () => {});
  assert.deepStrictEqual(layout(b), [
    [1000, 1600, 'LR'],
    [1600, 2000, 'S'],
    [2000, 3000, ''],
  ]);
  assert.deepStrictEqual(counters(b, 2000), { sackedBytes: 400, lostBytes: 600, rtxBytes: 600, sackedSegments: 1, pipe: 1600 });
});

test('IsLost (RFC 6675 §4): lost once DupThresh (3) segments above are SACKed', () => {
  const b = board(1000, 6); // [1000,2000) … [6000,7000)
  b.sack(blocks([[2000, 4000]]), 1000, () => {});
  assert.equal(b.markLostBySack(3, 1000), 0, 'two SACKed segments (2000 bytes, not > 2·SMSS): not lost');
  assert.deepStrictEqual(counters(b, 6000), { sackedBytes: 2000, lostBytes: 0, rtxBytes: 0, sackedSegments: 2, pipe: 4000 });
  b.sack(blocks([[5000, 6000]]), 1000, () => {});
  assert.equal(b.markLostBySack(3, 1000), 1000, 'three SACKed segments above [1000,2000): lost');
  assert.deepStrictEqual(layout(b).map(([s, , m]) => [s, m]), [
    [1000, 'L'],
    [2000, 'S'],
    [3000, 'S'],
    [4000, ''], // only one SACKed segment above it
    [5000, 'S'],
    [6000, ''],
  ]);
  assert.deepStrictEqual(counters(b, 6000), { sackedBytes: 3000, lostBytes: 1000, rtxBytes: 0, sackedSegments: 3, pipe: 2000 });
  assert.equal(b.markLostBySack(3, 1000), 0, 'already marked: nothing new');
});

test('IsLost (RFC 6675 §4): lost once more than (DupThresh−1)·SMSS bytes above are SACKed', () => {
  // Segments of 1000 bytes, SMSS 400: one SACKed segment above is 1000 > 2·400 bytes.
  const b = board(1000, 3);
  b.sack(blocks([[3000, 4000]]), 1000, () => {});
  assert.equal(b.markLostBySack(3, 400), 2000);
  assert.deepStrictEqual(layout(b).map(([s, , m]) => [s, m]), [
    [1000, 'L'],
    [2000, 'L'],
    [3000, 'S'],
  ]);
  assert.deepStrictEqual(counters(b, 3000), { sackedBytes: 1000, lostBytes: 2000, rtxBytes: 0, sackedSegments: 1, pipe: 0 });
  // Exactly 2·SMSS is not "more than": with SMSS 500, 1000 bytes above do not make a loss.
  const c = board(1000, 2);
  c.sack(blocks([[2000, 3000]]), 1000, () => {});
  assert.equal(c.markLostBySack(3, 500), 0);
});

test('pipe (RFC 6675 SetPipe): flight − SACKed − lost + retransmitted, through a recovery', () => {
  const b = board(1000, 5); // flight 5000
  b.sack(blocks([[2000, 5000]]), 1000, () => {});
  b.markLostBySack(3, 1000);
  assert.deepStrictEqual(counters(b, 5000), { sackedBytes: 3000, lostBytes: 1000, rtxBytes: 0, sackedSegments: 3, pipe: 1000 });
  assert.equal(b.firstToRetransmit()!.start, 1000, 'NextSeg: the first lost segment');
  b.retransmitted(b.first()!, 200, 200, 1000 + 200);
  assert.deepStrictEqual(counters(b, 5000), { sackedBytes: 3000, lostBytes: 1000, rtxBytes: 1000, sackedSegments: 3, pipe: 2000 });
  assert.equal(b.first()!.retransmits, 1);
  assert.equal(b.first()!.xmitAt, 200);
  assert.equal(b.firstToRetransmit(), undefined, 'nothing left to retransmit');
  // The retransmission is lost as well (RACK): it leaves pipe, and the segment is to be resent.
  assert.equal(b.markLost(b.first()!), 1000);
  assert.deepStrictEqual(counters(b, 5000), { sackedBytes: 3000, lostBytes: 1000, rtxBytes: 0, sackedSegments: 3, pipe: 1000 });
  assert.equal(b.firstToRetransmit()!.start, 1000);
  // The cumulative ACK covers everything SACKed.
  b.ackTo(6000, () => {});
  assert.deepStrictEqual(counters(b, 0), { sackedBytes: 0, lostBytes: 0, rtxBytes: 0, sackedSegments: 0, pipe: 0 });
  assert.equal(b.highSacked, undefined);
});

test('markAllLost (RFC 6675 §5.1): after an RTO every segment not SACKed is lost', () => {
  const b = board(1000, 4);
  b.sack(blocks([[3000, 4000]]), 1000, () => {});
  b.markAllLost();
  assert.deepStrictEqual(layout(b).map(([s, , m]) => [s, m]), [
    [1000, 'L'],
    [2000, 'L'],
    [3000, 'S'],
    [4000, 'L'],
  ]);
  assert.deepStrictEqual(counters(b, 4000), { sackedBytes: 1000, lostBytes: 3000, rtxBytes: 0, sackedSegments: 1, pipe: 0 });
  // In order, one at a time.
  const order: number[] = [];
  for (let s = b.firstToRetransmit(); s !== undefined; s = b.firstToRetransmit()) {
    order.push(s.start);
    b.retransmitted(s, 1, 1, 1000 + 1);
  }
  assert.deepStrictEqual(order, [1000, 2000, 4000]);
  assert.deepStrictEqual(counters(b, 4000), { sackedBytes: 1000, lostBytes: 3000, rtxBytes: 3000, sackedSegments: 1, pipe: 3000 });
  // A second RTO: the retransmissions in flight are deemed lost too.
  b.markAllLost();
  assert.deepStrictEqual(counters(b, 4000), { sackedBytes: 1000, lostBytes: 3000, rtxBytes: 0, sackedSegments: 1, pipe: 0 });
});

test('clearSacks (RFC 2018 §8 reneging): every SACK mark is forgotten', () => {
  const b = board(1000, 3);
  b.sack(blocks([[2000, 4000]]), 1000, () => {});
  b.clearSacks();
  assert.deepStrictEqual(counters(b, 3000), { sackedBytes: 0, lostBytes: 0, rtxBytes: 0, sackedSegments: 0, pipe: 3000 });
  assert.equal(b.highSacked, undefined);
});

test('a FIN stays with the upper part of a split segment', () => {
  const b = new Scoreboard();
  b.push(sent(1000, 1501, { fin: true })); // 500 bytes and the FIN
  b.sack(blocks([[1200, 1400]]), 1000, () => {});
  assert.deepStrictEqual(segments(b).map((s) => [s.start, s.end, s.fin]), [
    [1000, 1200, false],
    [1200, 1400, false],
    [1400, 1501, true],
  ]);
});

test('wraparound: segments, SACK blocks, splits and ACKs across 2^32', () => {
  const base = 0xfffff800; // 2048 bytes below 2^32
  const b = board(base, 4, 1024); // [fffff800, fffffc00) [fffffc00, 0) [0, 400) [400, 800)
  assert.deepStrictEqual(segments(b).map((s) => [s.start, s.end]), [
    [0xfffff800, 0xfffffc00],
    [0xfffffc00, 0x0],
    [0x0, 0x400],
    [0x400, 0x800],
  ]);
  // A block straddling 2^32, splitting two segments.
  assert.equal(b.sack(blocks([[0xfffffe00, 0x200]]), base, () => {}), 1024);
  assert.deepStrictEqual(layout(b), [
    [0xfffff800, 0xfffffc00, ''],
    [0xfffffc00, 0xfffffe00, ''],
    [0xfffffe00, 0x0, 'S'],
    [0x0, 0x200, 'S'],
    [0x200, 0x400, ''],
    [0x400, 0x800, ''],
  ]);
  assert.equal(b.highSacked, 0x200);
  assert.deepStrictEqual(counters(b, 4096), { sackedBytes: 1024, lostBytes: 0, rtxBytes: 0, sackedSegments: 2, pipe: 3072 });
  // Bytes rule with SMSS 256: 1024 SACKed bytes > 2·256 above the two lowest segments.
  assert.equal(b.markLostBySack(3, 256), 1536);
  assert.deepStrictEqual(counters(b, 4096), { sackedBytes: 1024, lostBytes: 1536, rtxBytes: 0, sackedSegments: 2, pipe: 1536 });
  // A cumulative ACK past 2^32, trimming the segment [0x200, 0x400).
  const acked: number[] = [];
  b.ackTo(0x300, (s) => acked.push(s.start));
  assert.deepStrictEqual(acked, [0xfffff800, 0xfffffc00, 0xfffffe00, 0x0]);
  assert.deepStrictEqual(layout(b), [
    [0x300, 0x400, ''],
    [0x400, 0x800, ''],
  ]);
  assert.deepStrictEqual(counters(b, 0x500), { sackedBytes: 0, lostBytes: 0, rtxBytes: 0, sackedSegments: 0, pipe: 0x500 });
  assert.equal(b.highSacked, undefined);
});
