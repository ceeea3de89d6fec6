/** SendBuffer, ReceiveBuffer and Reassembler (the engine's byte stores), and sequence arithmetic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reassembler } from '../../src/tcp/reassembler.js';
import { ReceiveBuffer } from '../../src/tcp/receive-buffer.js';
import { RttEstimator } from '../../src/tcp/rtt.js';
import { SendBuffer } from '../../src/tcp/send-buffer.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt, seqMax, seqMin } from '../../src/tcp/seq.js';
import { pattern, text } from './helpers.js';

const CHUNK = 64 * 1024;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

// ───────────── SendBuffer ─────────────

test('SendBuffer: push copies the caller\'s bytes (the caller may reuse its buffer)', () => {
  const b = new SendBuffer();
  const src = enc('hello');
  b.push(src);
  src.fill(0);
  assert.equal(text(b.read(0, 5)), 'hello');
  assert.equal(b.length, 5);
});

test('SendBuffer: read(offset, len) within one chunk is a view (no copy)', () => {
  const b = new SendBuffer();
  b.push(pattern(1000));
  const v1 = b.read(0, 100);
  const v2 = b.read(500, 100);
  assert.equal(v1.buffer, v2.buffer, 'both views share the chunk');
  assert.equal(v1.buffer.byteLength, 16 * 1024, 'a small first chunk');
  assert.deepStrictEqual(v2, pattern(1000).subarray(500, 600));
});

test('SendBuffer: new chunks grow with the bytes held, up to 1 MiB, so that 64 KiB (TSO) reads rarely straddle', () => {
  const b = new SendBuffer();
  const sizes: number[] = [];
  for (let i = 0; i < 64; i++) {
    const before = b.length;
    b.push(pattern(CHUNK));
    sizes.push(b.read(before, 1).buffer.byteLength);
  }
  assert.equal(sizes[0], CHUNK, 'a write larger than the minimum gets a chunk of its size');
  assert.ok(sizes.every((s, i) => i === 0 || s >= sizes[i - 1]!), `non-decreasing: ${sizes.join(',')}`);
  assert.equal(Math.max(...sizes), 1024 * 1024);
  b.consume(b.length);
  b.push(pattern(10));
  assert.equal(b.read(0, 1).buffer.byteLength, 16 * 1024, 'small again once drained');
});

test('SendBuffer: small pushes fill the same chunk; a read across pushes is still a view', () => {
  const b = new SendBuffer();
  b.push(enc('abc'));
  b.push(enc('def'));
  const v = b.read(1, 4);
  assert.equal(text(v), 'bcde');
  assert.equal(v.buffer.byteLength, 16 * 1024);
});

test('SendBuffer: a read that straddles two chunks is a copy with the right bytes', () => {
  const b = new SendBuffer();
  const data = pattern(CHUNK + 100);
  b.push(data.subarray(0, CHUNK - 10));
  b.push(data.subarray(CHUNK - 10));
  const r = b.read(CHUNK - 20, 40);
  assert.deepStrictEqual(r, data.subarray(CHUNK - 20, CHUNK + 20));
  assert.equal(r.buffer.byteLength, 40, 'a fresh copy');
});

test('SendBuffer: one push larger than a chunk gets one chunk of its size', () => {
  const b = new SendBuffer();
  const data = pattern(3 * CHUNK + 7);
  b.push(data);
  const v = b.read(CHUNK - 1, 2 * CHUNK);
  assert.deepStrictEqual(v, data.subarray(CHUNK - 1, 3 * CHUNK - 1));
  assert.equal(v.buffer.byteLength, 3 * CHUNK + 7, 'view into the single big chunk');
});

test('SendBuffer: consume drops acknowledged bytes from the front; offsets are from the new front', () => {
  const b = new SendBuffer();
  b.push(enc('0123456789'));
  b.consume(4);
  assert.equal(b.length, 6);
  assert.equal(text(b.read(0, 6)), '456789');
  b.push(enc('ab'));
  assert.equal(text(b.read(4, 4)), '89ab');
  b.consume(6);
  assert.equal(text(b.read(0, 2)), 'ab');
});

test('SendBuffer: consume across chunk boundaries and beyond the length (clamped)', () => {
  const b = new SendBuffer();
  const data = pattern(2 * CHUNK + 50);
  b.push(data.subarray(0, CHUNK));
  b.push(data.subarray(CHUNK, 2 * CHUNK));
  b.push(data.subarray(2 * CHUNK));
  b.consume(CHUNK + 25);
  assert.equal(b.length, CHUNK + 25);
  assert.deepStrictEqual(b.read(0, 10), data.subarray(CHUNK + 25, CHUNK + 35));
  b.consume(10 * CHUNK);
  assert.equal(b.length, 0);
  b.push(enc('z'));
  assert.equal(text(b.read(0, 1)), 'z');
});

test('SendBuffer: many small push/consume cycles keep contents exact', () => {
  const b = new SendBuffer();
  let written = 0;
  let acked = 0;
  const all = pattern(300_000);
  while (written < all.length) {
    const n = Math.min(777, all.length - written);
    b.push(all.subarray(written, written + n));
    written += n;
    if (written % 3 === 0 || b.length > 5000) {
      const k = Math.min(b.length, 1234);
      assert.deepStrictEqual(b.read(0, k), all.subarray(acked, acked + k));
      b.consume(k);
      acked += k;
    }
  }
  assert.deepStrictEqual(b.read(0, b.length), all.subarray(acked));
});

test('SendBuffer: read out of range throws; zero-length read is empty', () => {
  const b = new SendBuffer();
  b.push(enc('abc'));
  assert.throws(() => b.read(2, 2), RangeError);
  assert.throws(() => b.read(-1, 1), RangeError);
  assert.equal(b.read(3, 0).length, 0);
});

test('SendBuffer: clear forgets everything', () => {
  const b = new SendBuffer();
  b.push(pattern(100));
  b.clear();
  assert.equal(b.length, 0);
  b.push(enc('x'));
  assert.equal(text(b.read(0, 1)), 'x');
});

// ───────────── ReceiveBuffer ─────────────

test('ReceiveBuffer: reading exactly one arrived chunk returns it without copying', () => {
  const r = new ReceiveBuffer();
  const seg = enc('segment');
  r.push(seg);
  assert.equal(r.read(), seg);
  assert.equal(r.length, 0);
});

test('ReceiveBuffer: partial reads are views; reads across chunks are copies in order', () => {
  const r = new ReceiveBuffer();
  const a = enc('abcdef');
  r.push(a);
  r.push(enc('ghi'));
  r.push(new Uint8Array(0));
  assert.equal(r.length, 9);
  const first = r.read(2);
  assert.equal(text(first), 'ab');
  assert.equal(first.buffer, a.buffer);
  assert.equal(text(r.read(6)), 'cdefgh');
  assert.equal(text(r.read(100)), 'i');
  assert.equal(r.read().length, 0);
});

test('ReceiveBuffer: readChunks hands over the chunks as they arrived', () => {
  const r = new ReceiveBuffer();
  r.push(enc('ab'));
  r.push(enc('cd'));
  r.read(1);
  assert.deepStrictEqual(r.readChunks().map(text), ['b', 'cd']);
  assert.equal(r.length, 0);
});

test('ReceiveBuffer: thousands of chunks read in odd sizes stay in order', () => {
  const r = new ReceiveBuffer();
  const all = pattern(50_000);
  for (let i = 0; i < all.length; i += 13) r.push(all.subarray(i, Math.min(all.length, i + 13)));
  const parts: Uint8Array[] = [];
  while (r.length > 0) parts.push(r.read(97));
  assert.deepStrictEqual(Buffer.concat(parts), Buffer.from(all));
});

// ───────────── Reassembler ─────────────

function held(r: Reassembler): Array<[number, number]> {
  return r.ranges().map(({ left, right }) => [left, right]);
}

test('Reassembler: disjoint pieces are held sorted; take returns the contiguous run from RCV.NXT', () => {
  const r = new Reassembler();
  r.insert(120, enc('UVWXY'));
  r.insert(105, enc('FGHIJ'));
  r.insert(110, enc('KLMNO'));
  assert.deepStrictEqual(held(r), [[105, 115], [120, 125]]);
  assert.equal(r.length, 15);
  assert.deepStrictEqual(r.take(100), []);
  assert.deepStrictEqual(r.take(105).map(text), ['FGHIJ', 'KLMNO']);
  assert.deepStrictEqual(held(r), [[120, 125]]);
  assert.equal(r.length, 5);
});

test('Reassembler: an overlapping arrival adds only the new bytes; held bytes win', () => {
  const r = new Reassembler();
  r.insert(110, enc('abcdefghij')); // [110, 120)
  r.insert(105, enc('VWXYZABCDE')); // [105, 115): only [105, 110) is new
  r.insert(118, enc('IJKLMNOP')); // [118, 126): only [120, 126) is new
  assert.deepStrictEqual(held(r), [[105, 126]]);
  assert.equal(r.length, 21);
  assert.equal(r.take(105).map(text).join(''), 'VWXYZabcdefghijKLMNOP');
});

test('Reassembler: an arrival covering several held pieces fills only the gaps', () => {
  const r = new Reassembler();
  r.insert(102, enc('cc'));
  r.insert(106, enc('gg'));
  r.insert(100, enc('ABCDEFGHIJ'));
  assert.equal(r.length, 10);
  assert.equal(r.take(100).map(text).join(''), 'ABccEFggIJ');
});

test('Reassembler: exact duplicates do not change what is held', () => {
  const r = new Reassembler();
  r.insert(100, enc('abc'));
  r.insert(100, enc('abc'));
  r.insert(101, enc('b'));
  assert.equal(r.length, 3);
  assert.deepStrictEqual(held(r), [[100, 103]]);
});

test('Reassembler: take discards pieces wholly before RCV.NXT and trims a straddling one', () => {
  const r = new Reassembler();
  r.insert(100, enc('old'));
  r.insert(110, enc('0123456789'));
  assert.deepStrictEqual(r.take(115).map(text), ['56789']);
  assert.equal(r.length, 0);
  assert.equal(r.isEmpty, true);
});

test('Reassembler: wraparound near 2^32 — pieces on both sides of 0 reassemble in order', () => {
  const r = new Reassembler();
  const top = 0xfffffffa;
  r.insert(0x00000002, enc('CD')); // [2, 4)
  r.insert(top, enc('abcdef')); // [0xFFFFFFFA, 0)
  r.insert(0x00000000, enc('AB')); // [0, 2)
  assert.deepStrictEqual(held(r), [[top, 4]]);
  assert.equal(r.take(top).map(text).join(''), 'abcdefABCD');
});

test('Reassembler: overlap across 2^32 keeps the bytes held first', () => {
  const r = new Reassembler();
  r.insert(0xfffffffe, enc('xyzw')); // [0xFFFFFFFE, 2)
  r.insert(0xfffffffc, enc('1234567')); // [0xFFFFFFFC, 3): new are [FC, FE) and [2, 3)
  assert.equal(r.length, 7);
  assert.equal(r.take(0xfffffffc).map(text).join(''), '12xyzw7');
});

test('Reassembler: ranges merge adjacent pieces; clear forgets pieces and the FIN', () => {
  const r = new Reassembler();
  r.insert(10, enc('ab'));
  r.insert(12, enc('cd'));
  r.insert(20, enc('x'));
  r.finSeq = 21;
  assert.deepStrictEqual(held(r), [[10, 14], [20, 21]]);
  r.clear();
  assert.deepStrictEqual(held(r), []);
  assert.equal(r.finSeq, undefined);
  assert.equal(r.length, 0);
});

// ───────────── sequence arithmetic and the RTT estimator ─────────────

test('seq: comparisons modulo 2^32', () => {
  assert.equal(seqAdd(0xffffffff, 1), 0);
  assert.equal(seqAdd(0, -1), 0xffffffff);
  assert.equal(seqDiff(0, 0xffffffff), 1);
  assert.equal(seqDiff(0xffffffff, 0), -1);
  assert.ok(seqLt(0xfffffff0, 0x10));
  assert.ok(seqGt(0x10, 0xfffffff0));
  assert.ok(seqLe(5, 5) && seqGe(5, 5));
  assert.equal(seqMax(0xfffffff0, 0x10), 0x10);
  assert.equal(seqMin(0xfffffff0, 0x10), 0xfffffff0);
  assert.ok(seqInRange(0, 0xfffffff0, 0x10));
  assert.ok(!seqInRange(0x10, 0xfffffff0, 0x10));
});

test('RttEstimator: RFC 6298 §2 — initial 1 s, first sample, smoothing, min/max clamps, backoff', () => {
  const r = new RttEstimator(200, 60_000, 1000);
  assert.equal(r.rto, 1000);
  r.backOff();
  assert.equal(r.rto, 2000);
  r.sample(400); // SRTT 400, RTTVAR 200, RTO 1200; backoff cleared
  assert.deepStrictEqual([r.srtt, r.rttvar, r.rto], [400, 200, 1200]);
  r.sample(200); // RTTVAR = 150 + 50 = 200; SRTT = 350 + 25 = 375
  assert.deepStrictEqual([r.srtt, r.rttvar, r.rto], [375, 200, 1175]);
  for (let i = 0; i < 10; i++) r.backOff();
  assert.equal(r.rto, 60_000, 'capped at maxRto');
  const s = new RttEstimator(200, 60_000, 1000);
  s.sample(1);
  assert.equal(s.rto, 200, 'clamped to minRto');
  s.resetTo(3000);
  assert.equal(s.rto, 200, 'RFC 6298 §5.7 re-initialisation applies only without an RTT sample');
  const u = new RttEstimator(200, 60_000, 1000);
  u.backOff();
  u.resetTo(3000);
  assert.equal(u.rto, 3000);
});
