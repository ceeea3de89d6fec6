/**
 * RACK-TLP (RFC 8985): time-based loss detection (§6.2), the reordering timer (§6.3), the reordering
 * window and its D-SACK adaptation (§6.2 step 4), and tail loss probes (§7.2 PTO, §7.3 the probe).
 * Full config. After the handshake SRTT = min_RTT = 100 ms and RTO = 300 ms, so with no reordering
 * seen reo_wnd = min_RTT / 4 = 25 ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/tcp/connection.js';
import {
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

function setup(config: object = {}): { c: Connection; s: (i: number) => number } {
  const { c, una } = extEstablished({ config });
  assert.equal(internals(c).minRtt, 100);
  assert.equal(c.snapshot().srtt, 100);
  return { c, s: (i: number) => una + i * SEG };
}

function ack(c: Connection, t: number, a: number, sack?: Array<[number, number]>): void {
  pfeed(c, t, { flags: 'ACK', seq: PEER_ISS + 1, ack: a, ...(sack ? { sack } : {}) });
}

/** A full segment at t1 and another at t2 (writes of SEG bytes each). */
function twoSegments(c: Connection, t1: number, t2: number): void {
  c.send(pattern(SEG), t1);
  assert.equal(out(c, t1).length, 1);
  c.send(pattern(SEG, SEG), t2);
  assert.equal(out(c, t2).length, 1);
}

test('RACK: a segment sent before a SACKed one is lost at xmit_ts + RACK.rtt + reo_wnd (reordering timer)', () => {
  const { c, s } = setup();
  twoSegments(c, 1000, 1010);
  // B (sent at 1010) is SACKed at 1060: RACK.rtt = 50. A is lost at 1000 + 50 + 25 = 1075.
  ack(c, 1060, s(0), [[s(1), s(2)]]);
  expectNone(c, 1060);
  assert.equal(internals(c).rack.rtt, 50);
  assert.equal(internals(c).rackTimerAt, 1075);
  assert.equal(c.pollTimeout(), 1075);
  c.handleTimeout(1074);
  expectNone(c, 1074);
  assert.equal(c.stats.rackLosses, 0);
  c.handleTimeout(1075);
  assert.equal(c.stats.rackLosses, 1);
  assert.equal(c.stats.fastRecoveries, 1);
  expectOut(c, 1075, [{ flags: 'ACK', seq: s(0), ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1075, peerTs(1060)), data: pattern(SEG) }]);
});

test('RACK: with the SACK arriving after reo_wnd has passed, the loss is marked on the ACK itself', () => {
  const { c, s } = setup();
  twoSegments(c, 1000, 1030);
  // remaining = 1000 + RACK.rtt (70) + 25 − 1100 = −5.
  ack(c, 1100, s(0), [[s(1), s(2)]]);
  assert.equal(c.stats.rackLosses, 1);
  assert.equal(internals(c).rackTimerAt, undefined);
  assert.deepStrictEqual(out(c, 1100).map((x) => x.seq), [s(0)]);
});

test('RACK: the original arriving before the timer cancels the loss, and counts as reordering', () => {
  const { c, s } = setup();
  twoSegments(c, 1000, 1010);
  ack(c, 1060, s(0), [[s(1), s(2)]]);
  assert.equal(internals(c).rackTimerAt, 1075);
  // A arrives late (reordered): the cumulative ACK covers both.
  ack(c, 1070, s(2));
  c.handleTimeout(1075);
  expectNone(c, 1075);
  assert.equal(c.stats.rackLosses, 0);
  assert.equal(c.stats.fastRecoveries, 0);
  assert.equal(internals(c).rack.reorderingSeen, true, 'A was delivered below RACK.fack without a retransmission');
});

test('RACK: SACK blocks of one ACK are taken lowest first — no false reordering (RFC 8985 §6.2 step 3)', () => {
  const { c, s } = setup();
  c.send(pattern(4 * SEG), 1000);
  assert.equal(out(c, 1000).length, 4);
  // The receiver lists the newest block first (RFC 2018 §4): [s3, s4) then [s1, s2), both new here.
  ack(c, 1100, s(0), [[s(3), s(4)], [s(1), s(2)]]);
  assert.equal(internals(c).rack.reorderingSeen, false);
  assert.equal(internals(c).rackTimerAt, 1125, 'reo_wnd stays min_RTT/4');
});

test('RACK: a D-SACK widens the reordering window (reo_wnd_mult 2 → 50 ms)', () => {
  const { c, s } = setup();
  // One segment at 500, acknowledged at 600 (RTT 100: SRTT 100, min_RTT 100), then a D-SACK for it.
  c.send(pattern(SEG), 500);
  out(c, 500);
  ack(c, 600, s(1));
  ack(c, 650, s(1), [[s(0), s(1)]]);
  assert.equal(c.stats.dsacksReceived, 1);
  assert.equal(internals(c).rack.reoWndMult, 2);
  assert.equal(c.snapshot().srtt, 100);
  // As in the first test, but A is now lost at 1000 + 50 + 50 = 1100, not 1075.
  const t = (i: number): number => s(1) + i * SEG;
  c.send(pattern(SEG), 1000);
  out(c, 1000);
  c.send(pattern(SEG), 1010);
  out(c, 1010);
  ack(c, 1060, t(0), [[t(1), t(2)]]);
  assert.equal(internals(c).rackTimerAt, 1100);
  c.handleTimeout(1099);
  assert.equal(c.stats.rackLosses, 0);
  c.handleTimeout(1100);
  assert.equal(c.stats.rackLosses, 1);
});

test('RACK: with no reordering seen, reo_wnd is 0 once 3 segments are SACKed (RFC 8985 §6.2 step 4)', () => {
  const { c, s } = setup({ nagle: false });
  c.send(pattern(SEG), 1000);
  out(c, 1000);
  c.send(pattern(3 * SEG), 1010);
  assert.equal(out(c, 1010).length, 3);
  ack(c, 1060, s(0), [[s(1), s(2)]]);
  assert.equal(internals(c).rackTimerAt, 1075);
  ack(c, 1061, s(0), [[s(1), s(4)]]);
  // Three SACKed segments: RFC 6675 IsLost marks A, and RACK's window is 0 (A: 1000 + 51 − 1061 < 0).
  assert.equal(c.stats.fastRecoveries, 1);
  assert.deepStrictEqual(out(c, 1061).map((x) => x.seq), [s(0)]);
});

test('TLP: PTO = 2·SRTT with more than one segment in flight; the probe sends new data if there is any', () => {
  const { c, s } = setup();
  const data = pattern(12 * SEG);
  c.send(data, 1000);
  assert.equal(out(c, 1000).length, 10, 'cwnd: 10 segments');
  assert.equal(internals(c).tlpAt, 1200);
  assert.equal(c.snapshot().timers.retransmit, 1300);
  assert.equal(c.pollTimeout(), 1200);
  c.handleTimeout(1199);
  expectNone(c, 1199);
  c.handleTimeout(1200);
  // New data beyond cwnd (RFC 8985 §7.3: FlightSize may exceed cwnd by the probe).
  expectOut(c, 1200, [{ flags: 'ACK', seq: s(10), ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1200, peerTs(100)), data: data.subarray(10 * SEG, 11 * SEG) }]);
  expectNone(c, 1200, 'one probe');
  assert.equal(c.stats.tailLossProbes, 1);
  assert.equal(c.stats.retransmits, 0);
  // §7.3: after the probe the RTO is re-armed (now + RTO), not the PTO.
  assert.equal(c.snapshot().timers.retransmit, 1500);
  assert.equal(internals(c).tlpAt, undefined);
  assert.equal(c.pollTimeout(), 1500);
});

test('TLP: with no new data the probe retransmits the last segment sent', () => {
  const { c, s } = setup();
  const data = pattern(2 * SEG);
  c.send(data, 1000);
  assert.equal(out(c, 1000).length, 2);
  assert.equal(internals(c).tlpAt, 1200);
  c.handleTimeout(1200);
  expectOut(c, 1200, [{ flags: 'ACK,PSH', seq: s(1), ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1200, peerTs(100)), data: data.subarray(SEG) }]);
  assert.equal(c.stats.tailLossProbes, 1);
  assert.equal(c.stats.retransmits, 1);
  assert.equal(c.stats.rtoCount, 0);
  assert.equal(c.snapshot().timers.retransmit, 1500);
  assert.equal(c.snapshot().cwnd, 14480, 'a probe is not a congestion event');
});

test('TLP: one segment in flight → PTO = 2·SRTT + 200 ms (worst-case delayed ACK, RFC 8985 §7.2)', () => {
  // minRto 1000 puts the RTO at 2000, well after the PTO.
  const { c } = setup({ minRto: 1000 });
  c.send(pattern(100), 1000);
  out(c, 1000);
  assert.equal(c.snapshot().timers.retransmit, 2000);
  assert.equal(internals(c).tlpAt, 1400);
});

test('TLP: a PTO later than the RTO is cut to the RTO time, and the probe goes instead of the RTO (§7.2)', () => {
  const { c, s } = setup();
  c.send(pattern(100), 1000);
  expectOut(c, 1000, [{ flags: 'ACK,PSH', seq: s(0), ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1000, peerTs(100)), data: pattern(100) }]);
  // 2·100 + 200 = 400 > RTO 300: the PTO fires at the RTO time, 1300.
  assert.equal(internals(c).tlpAt, 1300);
  c.handleTimeout(1300);
  expectOut(c, 1300, [{ flags: 'ACK,PSH', seq: s(0), ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1300, peerTs(100)), data: pattern(100) }]);
  assert.deepStrictEqual([c.stats.tailLossProbes, c.stats.rtoCount], [1, 0]);
  assert.equal(c.snapshot().cwnd, 14480);
  // The probe is not answered: the re-armed RTO fires at 1600 and that one is an RTO.
  assert.equal(c.pollTimeout(), 1600);
  c.handleTimeout(1600);
  assert.deepStrictEqual(out(c, 1600).map((x) => x.seq), [s(0)]);
  assert.deepStrictEqual([c.stats.tailLossProbes, c.stats.rtoCount], [1, 1]);
  assert.equal(c.snapshot().cwnd, SEG);
});

test('TLP: no probe timer once segments are SACKed (RFC 8985 §7.2), nor without RACK', () => {
  const { c, s } = setup();
  c.send(pattern(4 * SEG), 1000);
  out(c, 1000);
  ack(c, 1050, s(1), [[s(3), s(4)]]);
  assert.equal(internals(c).tlpAt, undefined);
  const off = setup({ rack: false });
  off.c.send(pattern(2 * SEG), 1000);
  out(off.c, 1000);
  assert.equal(internals(off.c).tlpAt, undefined);
  assert.equal(off.c.pollTimeout(), 1300);
});

test('RACK: a retransmission sent in the same millisecond as a delivered segment is not deemed lost by it (send order, not SEQ, breaks the tie)', () => {
  // Zero RTT (the SACK comes in the millisecond the segments left): RACK.rtt = 0 and, with three
  // segments SACKed and no reordering seen, reo_wnd = 0. The retransmission of segment 0 then has the
  // same xmit_ts as the delivered segment 9 but was sent after it (RFC 8985 §6.2 RACK_sent_after):
  // further ACKs in that millisecond must not mark it lost again and resend it, over and over.
  const { c, s } = setup();
  c.send(pattern(10 * SEG), 1000);
  assert.equal(out(c, 1000).length, 10);
  ack(c, 1000, s(0), [[s(1), s(10)]]);
  assert.deepStrictEqual(out(c, 1000).map((x) => [x.seq, x.payload.length]), [[s(0), SEG]], 'segment 0 resent once');
  for (let i = 0; i < 3; i++) ack(c, 1000, s(0), [[s(1), s(10)]]);
  expectNone(c, 1000, 'no further resends of segment 0 in the same millisecond');
  assert.equal(c.stats.retransmits, 1);
  // The resend is deemed lost only by the RTO or by something sent after it being delivered.
  ack(c, 1100, s(10));
  assert.equal(c.snapshot().inRecovery, false);
});
