/**
 * Fast retransmit and NewReno recovery for a peer without SACK (RFC 5681 §3.2, RFC 6582 §3.2), with
 * the plain RFC 9293 config (no options, no delayed ACK, no Nagle; the 'reno' controller unless a
 * test picks 'newreno'). Conventions of ../helpers.ts: MSS 1460, IW 10 segments = 14600, RTO 300.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/tcp/connection.js';
import { OUR_WIN, established, expectNothing, expectSegments, feed, pattern, recvAll, type Expect } from '../helpers.js';

const MSS = 1460;
const s = (i: number): number => 1001 + i * MSS;

/** ESTABLISHED (plain), `n` full segments written at 1000; the first min(n, 10) are sent. */
function flight(n: number, config: object = {}): { c: Connection; data: Uint8Array } {
  const { c } = established({ config });
  const data = pattern(n * MSS);
  c.send(data, 1000);
  assert.equal(recvAll(c, 1000).length, Math.min(n, 10));
  return { c, data };
}

function segment(data: Uint8Array, i: number, n: number): Expect {
  return { flags: i === n - 1 ? 'ACK,PSH' : 'ACK', seq: s(i), ack: 5001, win: OUR_WIN, data: data.subarray(i * MSS, (i + 1) * MSS) };
}

function dupack(c: Connection, t: number, ack: number, win = 64000): void {
  feed(c, t, { flags: 'ACK', seq: 5001, ack, win });
}

test('three duplicate ACKs → fast retransmit of exactly the segment at SND.UNA (RFC 5681 §3.2 steps 2–3)', () => {
  const { c, data } = flight(10);
  dupack(c, 1100, s(0));
  dupack(c, 1101, s(0));
  expectNothing(c, 1101, 'no new data to send, no retransmission before the third');
  assert.equal(c.stats.fastRecoveries, 0);
  dupack(c, 1102, s(0));
  expectSegments(c, 1102, [segment(data, 0, 10)]);
  const st = c.snapshot();
  assert.equal(c.stats.duplicateAcks, 3);
  assert.equal(c.stats.fastRecoveries, 1);
  assert.equal(st.inRecovery, true);
  // 'reno': ssthresh = max(FlightSize / 2, 2·SMSS) = 14600 / 2; cwnd = ssthresh (pipe-based recovery).
  assert.deepStrictEqual([st.ssthresh, st.cwnd], [7300, 7300]);
});

test('an ACK that changes the window is not a duplicate ACK (RFC 5681 §2 (e)); intervening ones do not reset the count', () => {
  const { c, data } = flight(10);
  dupack(c, 1100, s(0));
  dupack(c, 1101, s(0), 60000); // window update
  dupack(c, 1102, s(0), 60000);
  expectNothing(c, 1102);
  assert.equal(c.stats.duplicateAcks, 2);
  dupack(c, 1103, s(0), 60000);
  expectSegments(c, 1103, [segment(data, 0, 10)]);
  assert.equal(c.stats.duplicateAcks, 3);
});

test('Limited Transmit segments are not part of FlightSize for ssthresh (RFC 5681 §3.2 step 2, RFC 3042)', () => {
  const { c, data } = flight(20);
  dupack(c, 1100, s(0));
  expectSegments(c, 1100, [segment(data, 10, 20)]);
  dupack(c, 1101, s(0));
  expectSegments(c, 1101, [segment(data, 11, 20)]);
  assert.equal(c.snapshot().cwnd, 14600, 'cwnd unchanged by Limited Transmit');
  dupack(c, 1102, s(0));
  // pipe = 12 − 3 (dupacks) − 1 (lost) = 8 segments > cwnd 7300: sent anyway (step 3 MUST).
  expectSegments(c, 1102, [segment(data, 0, 20)]);
  assert.deepStrictEqual([c.snapshot().ssthresh, c.snapshot().cwnd], [7300, 7300]);
});

test('partial ACK → the next unacknowledged segment is retransmitted at once; full ACK ends recovery (RFC 6582 §3.2)', () => {
  // Segments 0 and 2 of 10 are lost; the receiver gets 1 and 3–9 and answers each with a dupack.
  const { c, data } = flight(10);
  for (let k = 0; k < 3; k++) dupack(c, 1100 + k, s(0));
  expectSegments(c, 1102, [segment(data, 0, 10)]);
  for (let k = 3; k < 8; k++) dupack(c, 1100 + k, s(0));
  expectNothing(c, 1107, 'no new data, nothing else deemed lost');
  assert.equal(c.snapshot().inRecovery, true);
  // The retransmitted segment 0 arrives: the ACK covers 0 and 1 — partial (RecoveryPoint is s(10)).
  feed(c, 1200, { flags: 'ACK', seq: 5001, ack: s(2) });
  expectSegments(c, 1200, [segment(data, 2, 10)]);
  let st = c.snapshot();
  assert.equal(st.inRecovery, true);
  assert.equal(c.stats.fastRecoveries, 1);
  assert.equal(c.stats.retransmits, 2);
  // Segment 2 arrives: everything through s(10) is acknowledged — the full ACK.
  feed(c, 1300, { flags: 'ACK', seq: 5001, ack: s(10) });
  expectNothing(c, 1300);
  st = c.snapshot();
  assert.equal(st.inRecovery, false);
  assert.deepStrictEqual([st.cwnd, st.ssthresh], [7300, 7300], "'reno': cwnd = ssthresh at the end of recovery");
});

test("'newreno' controller: the full ACK sets cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) (RFC 6582 §3.2 step 3 (1))", () => {
  const { c, data } = flight(10, { congestionControl: 'newreno' });
  for (let k = 0; k < 3; k++) dupack(c, 1100 + k, s(0));
  expectSegments(c, 1102, [segment(data, 0, 10)]);
  assert.deepStrictEqual([c.snapshot().ssthresh, c.snapshot().cwnd], [7300, 7300]);
  feed(c, 1200, { flags: 'ACK', seq: 5001, ack: s(10) });
  const st = c.snapshot();
  assert.equal(st.inRecovery, false);
  assert.equal(st.cwnd, 2 * MSS, 'nothing outstanding: max(0, SMSS) + SMSS');
  assert.equal(st.ssthresh, 7300);
});

test('after an RTO, duplicate ACKs below the recovery point do not start fast retransmit (RFC 6582 §3.2 step 1)', () => {
  // Segments 0 and 1 are lost; the dupacks for 2–9 are lost too.
  const { c, data } = flight(10);
  c.handleTimeout(1300);
  expectSegments(c, 1300, [segment(data, 0, 10)]);
  assert.deepStrictEqual([c.snapshot().cwnd, c.snapshot().ssthresh], [MSS, 7300]);
  // Segment 0 arrives: slow start, go-back-N resends 1 and 2 (all were deemed lost, RFC 6675 §5.1).
  feed(c, 1400, { flags: 'ACK', seq: 5001, ack: s(1) });
  expectSegments(c, 1400, [segment(data, 1, 10), segment(data, 2, 10)]);
  // Segment 1 is lost again; 2, 3, 4, 5 arrive as duplicates at the receiver: duplicate ACKs for s(1).
  for (let k = 0; k < 4; k++) {
    dupack(c, 1410 + k, s(1));
    // Each one lets go-back-N continue (one segment left the network); none retransmits SND.UNA.
    expectSegments(c, 1410 + k, [segment(data, 3 + k, 10)]);
  }
  assert.equal(c.stats.fastRecoveries, 0);
  assert.equal(c.snapshot().inRecovery, false);
  assert.deepStrictEqual([c.snapshot().cwnd, c.snapshot().ssthresh], [2 * MSS, 7300], 'not reduced again');
});

test('once the ACK passes the recovery point, a new loss gets fast retransmit again', () => {
  const { c } = established();
  const data = pattern(30 * MSS);
  c.send(data, 1000);
  assert.equal(recvAll(c, 1000).length, 10);
  c.handleTimeout(1300);
  recvAll(c, 1300);
  // Everything outstanding at the RTO (up to s(10)) is acknowledged: RTO recovery is over.
  feed(c, 1400, { flags: 'ACK', seq: 5001, ack: s(10) });
  const sent = recvAll(c, 1400).map((x) => x.seq);
  assert.deepStrictEqual(sent, [s(10), s(11)], 'slow start from cwnd 2 SMSS');
  // s(10) is lost, s(11) arrives: dupacks. The first two send new data (Limited Transmit), the third
  // retransmits s(10) — and with pipe = 4 − 3 (dupacks) − 1 (lost) + 1 (retransmitted) = 1 segment under
  // cwnd = ssthresh = 2 segments, one new segment follows (RFC 5681's inflated cwnd gives the same).
  const after: number[][] = [];
  for (let k = 0; k < 3; k++) {
    dupack(c, 1500 + k, s(10));
    after.push(recvAll(c, 1500 + k).map((x) => (x.seq - 1001) / MSS));
  }
  assert.deepStrictEqual(after, [[12], [13], [10, 14]]);
  assert.equal(c.stats.fastRecoveries, 1);
  // FlightSize without the Limited Transmit segments: 2 segments → ssthresh = max(1460, 2·SMSS).
  assert.equal(c.snapshot().ssthresh, 2 * MSS);
});
