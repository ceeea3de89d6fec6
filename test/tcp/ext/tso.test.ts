/**
 * TCP segmentation offload in the engine (Connection.setSendOffload): new data goes out in segments of
 * several SMSS for the link to cut, and every rule that counts segments still sees the wire segments.
 * Full default config; the peer's window is 64000 bytes and cwnd starts at 10 segments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/tcp/connection.js';
import { ISS, PEER_ISS, SEG, brief, expectNone, extEstablished, internals, out, pattern, pfeed } from './helpers.js';

const TSO_MAX = 65_000;

function offloaded(extra: object = {}): { c: Connection; una: number } {
  const { c, una } = extEstablished({ config: { ...extra } });
  c.setSendOffload(TSO_MAX);
  return { c, una };
}

const ack = (c: Connection, t: number, n: number, sack?: Array<[number, number]>): void =>
  pfeed(c, t, { flags: 'ACK', seq: PEER_ISS + 1, ack: n, ...(sack !== undefined ? { sack } : {}) });

test('TSO: the initial window goes out as one segment of 10 SMSS, counted as 10 wire segments', () => {
  const { c, una } = offloaded();
  const before = c.stats.segmentsSent;
  c.send(pattern(100 * SEG), 1000);
  const segs = out(c, 1000);
  assert.deepStrictEqual(brief(segs), [[una, 10 * SEG]]);
  assert.equal(c.lastTransmitSegmentSize, SEG, 'the link cuts it into SMSS-sized pieces');
  assert.equal(c.stats.segmentsSent - before, 10);
  assert.deepStrictEqual(segs[0]!.payload, pattern(10 * SEG), 'the data, in order');
  assert.equal(internals(c).scoreboard.length, 1, 'one scoreboard record');
});

test('TSO: a segment never ends mid-SMSS before the end of the data; the last piece may be short', () => {
  const { c, una } = offloaded();
  c.send(pattern(3 * SEG + 100), 1000);
  assert.deepStrictEqual(brief(out(c, 1000)), [[una, 3 * SEG + 100]], 'all the data, the short piece last');
  // cwnd − pipe not a multiple of SMSS: the segment stops at the last whole SMSS.
  const b = offloaded();
  b.c.send(pattern(30 * SEG), 1000);
  out(b.c, 1000); // 10 SMSS
  ack(b.c, 1100, b.una + 4 * SEG - 500); // cwnd grows by the bytes acked; room is not whole SMSS
  const segs = out(b.c, 1100);
  for (const s of segs) assert.equal(s.payload.length % SEG, 0, `segment at ${s.seq - b.una} is whole SMSS`);
  assert.ok(segs.length >= 1);
});

test('TSO: segments are capped at the offload size, in whole SMSS', () => {
  const { c, una } = offloaded();
  c.setSendOffload(5000); // 3 SMSS and a bit: capped to 3 SMSS
  c.send(pattern(400 * SEG), 1000);
  assert.deepStrictEqual(brief(out(c, 1000)), [
    [una, 3 * SEG],
    [una + 3 * SEG, 3 * SEG],
    [una + 6 * SEG, 3 * SEG],
    [una + 9 * SEG, SEG],
  ], 'the initial window of 10 SMSS');
});

test('TSO: a partial SACK splits the record and only the hole is retransmitted, one SMSS at a time', () => {
  const { c, una } = offloaded({ rack: false });
  c.send(pattern(10 * SEG), 1000);
  out(c, 1000);
  // Wire segments 0 and 1 lost; 2..9 SACKed in three growing steps (DupThresh 3).
  for (let k = 3; k <= 5; k++) ack(c, 1100 + k, una, [[una + 2 * SEG, una + k * SEG]]);
  // Both lost SMSS have three SACKed segments above them (RFC 6675 IsLost); pipe = 10 − 3 − 2 = 5
  // SMSS, cwnd 7 SMSS after the reduction: both go, one SMSS each, never the SACKed data.
  const rtx = out(c, 1105);
  assert.deepStrictEqual(brief(rtx), [[una, SEG], [una + SEG, SEG]]);
  assert.deepStrictEqual(rtx[0]!.payload, pattern(10 * SEG).subarray(0, SEG));
  assert.deepStrictEqual(rtx[1]!.payload, pattern(10 * SEG).subarray(SEG, 2 * SEG));
  ack(c, 1106, una, [[una + 2 * SEG, una + 10 * SEG]]);
  expectNone(c, 1106, 'nothing else is missing');
  assert.equal(c.stats.fastRecoveries, 1);
});

test('TSO: after an RTO the flight is resent in SMSS pieces, from SND.UNA', () => {
  const { c, una } = offloaded();
  c.send(pattern(10 * SEG), 1000);
  out(c, 1000);
  const pto = c.pollTimeout()!;
  c.handleTimeout(pto);
  assert.deepStrictEqual(brief(out(c, pto)), [[una + 9 * SEG, SEG]], 'the tail loss probe: the last SMSS (RFC 8985 §7.3)');
  const rto = c.pollTimeout()!;
  c.handleTimeout(rto);
  assert.deepStrictEqual(brief(out(c, rto)), [[una, SEG]], 'cwnd is one segment after the timeout');
  ack(c, rto + 100, una + SEG);
  assert.deepStrictEqual(brief(out(c, rto + 100)), [[una + SEG, SEG], [una + 2 * SEG, SEG]], 'slow start: two');
});

test('TSO: setSendOffload(0) turns it off', () => {
  const { c, una } = offloaded();
  c.setSendOffload(0);
  c.send(pattern(3 * SEG), 1000);
  assert.deepStrictEqual(brief(out(c, 1000)), [[una, SEG], [una + SEG, SEG], [una + 2 * SEG, SEG]]);
  assert.equal(c.lastTransmitSegmentSize, SEG);
});

test('TSO: Nagle and the FIN: a small tail waits while data is outstanding, then goes with the FIN', () => {
  const { c, una } = offloaded();
  c.send(pattern(2 * SEG + 10), 1000);
  assert.deepStrictEqual(brief(out(c, 1000)), [[una, 2 * SEG + 10]], 'nothing outstanding: all at once');
  c.send(pattern(10), 1001);
  expectNone(c, 1001, 'Nagle holds the 10 bytes');
  c.close(1002);
  const fin = out(c, 1002);
  assert.equal(fin.length, 1);
  assert.equal(fin[0]!.payload.length, 10);
  assert.ok((fin[0]!.flags & 1) !== 0, 'FIN');
  assert.equal(fin[0]!.seq, una + 2 * SEG + 10);
  void ISS;
});
