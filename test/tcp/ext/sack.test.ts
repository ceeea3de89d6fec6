/**
 * SACK: the receiver's blocks (RFC 2018 §4, D-SACK per RFC 2883 §4) and the sender's loss recovery
 * (RFC 6675: scoreboard, IsLost, pipe, NextSeg, recovery entry and exit) with Limited Transmit
 * (RFC 3042, RFC 5681 §3.2). The sender tests turn RACK off so that only RFC 6675 decides losses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/tcp/connection.js';
import type { TcpSegment } from '../../../src/wire/types.js';
import {
  ISS,
  OUR_WIN_FIELD,
  PEER_ISS,
  SEG,
  expectNone,
  expectOut,
  extEstablished,
  internals,
  ours,
  out,
  pattern,
  peerTs,
  pfeed,
} from './helpers.js';

/** The SACK blocks of the single ACK the connection sends now, as [left, right] relative to `base`. */
function sackOf(c: Connection, t: number, base: number): { ack: number; blocks: Array<[number, number]> } {
  const segs = out(c, t);
  assert.equal(segs.length, 1, 'exactly one ACK');
  const s = segs[0]!;
  return { ack: s.ack - base, blocks: (s.options.sackBlocks ?? []).map((b) => [b.left - base, b.right - base]) };
}

// ─────────────────────────────── receiver ───────────────────────────────

test('receiver: the first block holds the newest segment, then the most recently reported; 3 blocks beside TSopt', () => {
  const { c, rcv } = extEstablished();
  const data = (at: number, t: number): void => pfeed(c, t, { flags: 'ACK', seq: rcv + at, ack: ISS + 1, data: pattern(100) });
  const steps: Array<[number, number, Array<[number, number]>]> = [
    // [segment at, ACK, blocks] relative to RCV.NXT after the handshake
    [200, 0, [[200, 300]]],
    [400, 0, [[400, 500], [200, 300]]],
    [600, 0, [[600, 700], [400, 500], [200, 300]]],
    [800, 0, [[800, 900], [600, 700], [400, 500]]],
    [1000, 0, [[1000, 1100], [800, 900], [600, 700]]],
    // [500, 600) joins [400, 500) and [600, 700): the merged block comes first.
    [500, 0, [[400, 700], [1000, 1100], [800, 900]]],
    // The first hole fills (immediate ACK, RFC 5681 §4.2): [200, 300), not in the last ACK, is
    // reported again after the more recent blocks.
    [0, 100, [[400, 700], [1000, 1100], [800, 900]]],
    [100, 300, [[400, 700], [1000, 1100], [800, 900]]],
  ];
  let t = 200;
  for (const [at, ack, blocks] of steps) {
    data(at, t);
    assert.deepStrictEqual(sackOf(c, t, rcv), { ack, blocks }, `after the segment at +${at}`);
    t += 10;
  }
});

test('receiver: 4 blocks when timestamps are off (RFC 2018 §3: 40 bytes of options)', () => {
  const { c, rcv } = extEstablished({ peer: { ts: false } });
  for (const [i, at] of [200, 400, 600, 800, 1000].entries()) {
    feedPlain(c, 200 + i, rcv + at);
    out(c, 200 + i);
  }
  pfeed(c, 300, { flags: 'ACK', seq: rcv + 1200, ack: ISS + 1, data: pattern(100), tsVal: null });
  expectOut(c, 300, [
    {
      flags: 'ACK',
      seq: ISS + 1,
      ack: rcv,
      win: OUR_WIN_FIELD,
      options: { sackBlocks: blocksAt(rcv, [[1200, 1300], [1000, 1100], [800, 900], [600, 700]]) },
    },
  ]);
});

function feedPlain(c: Connection, t: number, seq: number): void {
  pfeed(c, t, { flags: 'ACK', seq, ack: ISS + 1, data: pattern(100), tsVal: null });
}

function blocksAt(base: number, list: Array<[number, number]>): Array<{ left: number; right: number }> {
  return list.map(([l, r]) => ({ left: base + l, right: base + r }));
}

test('receiver: no SACK blocks unless SACK was negotiated', () => {
  const { c, rcv } = extEstablished({ peer: { sack: false } });
  pfeed(c, 200, { flags: 'ACK', seq: rcv + 200, ack: ISS + 1, data: pattern(100) });
  expectOut(c, 200, [{ flags: 'ACK', seq: ISS + 1, ack: rcv, win: OUR_WIN_FIELD, options: ours(200, peerTs(100)) }]);
});

test('receiver D-SACK (RFC 2883 §4): a duplicate below RCV.NXT is reported first, once', () => {
  const { c, rcv } = extEstablished();
  pfeed(c, 200, { flags: 'ACK', seq: rcv, ack: ISS + 1, data: pattern(100) });
  expectNone(c, 200, 'delayed');
  pfeed(c, 210, { flags: 'ACK', seq: rcv + 300, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 210, rcv), { ack: 100, blocks: [[300, 400]] });
  // The first segment again: D-SACK [0, 100) first, then the SACK block.
  pfeed(c, 220, { flags: 'ACK', seq: rcv, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 220, rcv), { ack: 100, blocks: [[0, 100], [300, 400]] });
  // Reported once: the next ACK (hole filled partly) carries only SACK information.
  pfeed(c, 230, { flags: 'ACK', seq: rcv + 100, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 230, rcv), { ack: 200, blocks: [[300, 400]] });
  // A segment partly old, partly new: the old part is the D-SACK block, the new part is taken.
  pfeed(c, 240, { flags: 'ACK', seq: rcv + 150, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 240, rcv), { ack: 250, blocks: [[150, 200], [300, 400]] });
  assert.equal(c.readableLength, 250);
});

test('receiver D-SACK (RFC 2883 §4): a duplicate of held out-of-order data, then the block holding it', () => {
  const { c, rcv } = extEstablished();
  pfeed(c, 200, { flags: 'ACK', seq: rcv + 200, ack: ISS + 1, data: pattern(200) });
  assert.deepStrictEqual(sackOf(c, 200, rcv), { ack: 0, blocks: [[200, 400]] });
  pfeed(c, 210, { flags: 'ACK', seq: rcv + 600, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 210, rcv), { ack: 0, blocks: [[600, 700], [200, 400]] });
  // Part of the held [200, 400) again.
  pfeed(c, 220, { flags: 'ACK', seq: rcv + 250, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 220, rcv), { ack: 0, blocks: [[250, 350], [200, 400], [600, 700]] });
  // Exactly a held block again: the D-SACK block and the SACK block are equal (the sender sees the
  // first block inside the second, RFC 2883 §4).
  pfeed(c, 230, { flags: 'ACK', seq: rcv + 600, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 230, rcv), { ack: 0, blocks: [[600, 700], [600, 700], [200, 400]] });
  // Part duplicate, part new: the duplicate part is reported, the new part joins the block.
  pfeed(c, 240, { flags: 'ACK', seq: rcv + 350, ack: ISS + 1, data: pattern(100) });
  assert.deepStrictEqual(sackOf(c, 240, rcv), { ack: 0, blocks: [[350, 400], [200, 450], [600, 700]] });
});

// ─────────────────────────────── sender ───────────────────────────────

/** ESTABLISHED with RACK off, `n` full segments queued and sent at 1000 (cwnd is 10 segments). */
function sender(n: number, extra: object = {}): { c: Connection; s: (i: number) => number; rcv: number; sent: TcpSegment[] } {
  const { c, una, rcv } = extEstablished({ config: { rack: false, ...extra } });
  c.send(pattern(n * SEG), 1000);
  const sent = out(c, 1000);
  return { c, s: (i: number) => una + i * SEG, rcv, sent };
}

function sackAck(c: Connection, t: number, ack: number, sack: Array<[number, number]>): void {
  pfeed(c, t, { flags: 'ACK', seq: PEER_ISS + 1, ack, sack });
}

test('sender: SACK blocks mark the scoreboard; pipe = flight − SACKed; IsLost after 3 SACKed segments', () => {
  const { c, s, sent } = sender(10);
  assert.equal(sent.length, 10);
  const pipe = (): number => c.snapshot().pipe;
  assert.equal(pipe(), 10 * SEG);
  sackAck(c, 1100, s(0), [[s(1), s(2)]]);
  expectNone(c, 1100);
  assert.deepStrictEqual([pipe(), c.stats.fastRecoveries, internals(c).scoreboard.sackedBytes, internals(c).scoreboard.lostBytes], [9 * SEG, 0, SEG, 0]);
  sackAck(c, 1101, s(0), [[s(1), s(3)]]);
  expectNone(c, 1101);
  assert.deepStrictEqual([pipe(), c.stats.fastRecoveries, internals(c).scoreboard.lostBytes], [8 * SEG, 0, 0], 'two SACKed: no loss yet');
  assert.equal(c.stats.sackBlocksReceived, 2);
  // The third SACKed segment: [s0, s1) is lost (RFC 6675 §5 step 2 → step 4).
  sackAck(c, 1102, s(0), [[s(1), s(4)]]);
  assert.equal(c.stats.fastRecoveries, 1);
  const st = c.snapshot();
  assert.equal(st.inRecovery, true);
  // (4.2) CUBIC: ssthresh = cwnd = FlightSize·β = floor(14480·0.7).
  assert.deepStrictEqual([st.ssthresh, st.cwnd], [10136, 10136]);
  assert.equal(internals(c).recoveryPoint, s(10), '(4.1) RecoveryPoint = HighData');
  assert.equal(st.pipe, 6 * SEG, 'flight 10 − SACKed 3 − lost 1');
  // (4.3) retransmit the first segment presumed lost, then cwnd − pipe < 1 SMSS: nothing more.
  expectOut(c, 1102, [{ flags: 'ACK', seq: s(0), ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1102, peerTs(1102)), data: pattern(SEG) }]);
  assert.equal(pipe(), 7 * SEG, 'the retransmission is in the pipe');
  assert.equal(c.stats.retransmits, 1);
});

test('sender: NextSeg retransmits lost segments lowest first, as more SACKs mark them (RFC 6675 §4)', () => {
  const { c, s } = sender(10);
  sackAck(c, 1100, s(0), [[s(1), s(2)]]);
  sackAck(c, 1101, s(0), [[s(3), s(4)], [s(1), s(2)]]);
  expectNone(c, 1101);
  sackAck(c, 1102, s(0), [[s(3), s(5)], [s(1), s(2)]]);
  // SACKed: 1, 3, 4 → s0 has three SACKed segments above, s2 only two.
  assert.deepStrictEqual(out(c, 1102).map((x) => x.seq), [s(0)]);
  sackAck(c, 1103, s(0), [[s(3), s(6)], [s(1), s(2)]]);
  // Now s2 too; pipe = 10 − 4 − 2 + 1 = 5 segments, cwnd 7 segments.
  assert.deepStrictEqual(out(c, 1103).map((x) => x.seq), [s(2)]);
  assert.equal(c.snapshot().pipe, 6 * SEG);
  assert.equal(c.stats.fastRecoveries, 1, 'one episode');
});

test('sender: recovery ends when the cumulative ACK covers RecoveryPoint, not before (RFC 6675 §5 (A))', () => {
  const { c, s } = sender(10);
  for (let k = 2; k <= 4; k++) sackAck(c, 1100 + k, s(0), [[s(1), s(k)]]);
  out(c, 1104);
  assert.equal(c.snapshot().inRecovery, true);
  // The retransmission arrives: the ACK jumps over the SACKed segments to s4; partial (< s10).
  sackAck(c, 1200, s(4), []);
  let st = c.snapshot();
  assert.equal(st.inRecovery, true);
  assert.deepStrictEqual([st.pipe, st.cwnd], [6 * SEG, 10136]);
  sackAck(c, 1300, s(10), []);
  st = c.snapshot();
  assert.equal(st.inRecovery, false);
  assert.deepStrictEqual([st.cwnd, st.ssthresh, st.pipe], [10136, 10136, 0], 'CUBIC ends recovery at cwnd = ssthresh');
  assert.equal(c.stats.fastRecoveries, 1);
});

test('Limited Transmit (RFC 3042): new data on the first two dupacks with SACK, cwnd unchanged; then fast retransmit', () => {
  const { c, s } = sender(20);
  const cwnd = (): number => c.snapshot().cwnd;
  assert.equal(cwnd(), 14480);
  sackAck(c, 1100, s(0), [[s(1), s(2)]]);
  expectOut(c, 1100, [{ flags: 'ACK', seq: s(10), ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1100, peerTs(1100)), data: pattern(20 * SEG).subarray(10 * SEG, 11 * SEG) }]);
  assert.equal(cwnd(), 14480, 'cwnd MUST NOT be changed');
  // The same SACK information again: no new SACK, nothing may be sent (RFC 3042 §2 note).
  sackAck(c, 1101, s(0), [[s(1), s(2)]]);
  expectNone(c, 1101);
  sackAck(c, 1102, s(0), [[s(1), s(3)]]);
  assert.deepStrictEqual(out(c, 1102).map((x) => [x.seq, x.payload.length]), [[s(11), SEG]]);
  assert.equal(cwnd(), 14480);
  // Third SACKed segment: fast retransmit of s0 — sent although pipe (12 − 3 − 1 = 8 segments) exceeds
  // the new cwnd: RFC 6675 (4.3) / RFC 5681 §3.2 step 3 retransmit unconditionally.
  sackAck(c, 1103, s(0), [[s(1), s(4)]]);
  const st = c.snapshot();
  // FlightSize without the two Limited Transmit segments (RFC 5681 §3.2 step 2): 10 segments.
  assert.deepStrictEqual([st.ssthresh, st.cwnd], [Math.floor(10 * SEG * 0.7), Math.floor(10 * SEG * 0.7)]);
  assert.equal(st.pipe, 8 * SEG);
  assert.deepStrictEqual(out(c, 1103).map((x) => [x.seq, x.payload.length]), [[s(0), SEG]]);
  assert.equal(c.stats.fastRecoveries, 1);
});

test('Limited Transmit without SACK: the first two duplicate ACKs each send one new segment', () => {
  const plain = extEstablished({ peer: { sack: false }, config: { rack: false } });
  plain.c.send(pattern(20 * SEG), 1000);
  assert.equal(out(plain.c, 1000).length, 10);
  const u = plain.una;
  const dup = (t: number): void => pfeed(plain.c, t, { flags: 'ACK', seq: PEER_ISS + 1, ack: u });
  dup(1100);
  assert.deepStrictEqual(out(plain.c, 1100).map((x) => x.seq), [u + 10 * SEG]);
  dup(1101);
  assert.deepStrictEqual(out(plain.c, 1101).map((x) => x.seq), [u + 11 * SEG]);
  dup(1102);
  assert.deepStrictEqual(out(plain.c, 1102).map((x) => x.seq), [u], 'third: fast retransmit of SND.UNA');
  assert.equal(plain.c.snapshot().ssthresh, Math.floor(10 * SEG * 0.7), 'FlightSize without the two LT segments');
  assert.equal(plain.c.stats.fastRecoveries, 1);
});
