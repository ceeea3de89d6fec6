/** NewReno (src/tcp/cc/newreno.ts): RFC 5681 §3.1/§3.2/§4.1 and RFC 6582 §3.2 step 3, in bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NewReno } from '../../../src/tcp/cc/newreno.js';
import { ack, MSS, round, slowStartTo } from './helpers.js';

const IW = 10 * MSS; // RFC 6928: min(10·MSS, max(2·MSS, 14600)) = 10 000 for MSS 1000

/** A NewReno in congestion avoidance at `segments` segments (ssthresh = cwnd) via a loss and recovery. */
function inCongestionAvoidance(segments: number): NewReno {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 2 * segments);
  cc.onCongestionEvent(0, 2 * segments * MSS, MSS);
  cc.onRecoveryEnd(0, 2 * segments * MSS, MSS);
  assert.equal(cc.cwnd, segments * MSS);
  assert.equal(cc.ssthresh, segments * MSS);
  return cc;
}

test('NewReno starts with IW (RFC 6928) and ssthresh = ∞ (RFC 5681 §3.1)', () => {
  const cc = new NewReno(MSS);
  assert.equal(cc.name, 'newreno');
  assert.equal(cc.cwnd, IW);
  assert.equal(cc.ssthresh, Infinity);
  assert.equal(new NewReno(1460, 4).cwnd, 4 * 1460);
  assert.equal(new NewReno(9000).cwnd, 18000); // max(2·MSS, 14600) caps 10 jumbo segments
});

test('slow start doubles cwnd every RTT with one ACK per segment (RFC 5681 §3.1 eq. 2)', () => {
  const cc = new NewReno(MSS);
  let t = 0;
  for (const expected of [20, 40, 80, 160]) {
    t = round(cc, t, 100);
    assert.equal(cc.cwnd, expected * MSS);
  }
});

test('slow start: cwnd += min(N, SMSS) per ACK — ACK division and stretch ACKs (RFC 5681 §3.1)', () => {
  const cc = new NewReno(MSS);
  cc.onAck(ack(0, 300));
  assert.equal(cc.cwnd, IW + 300);
  cc.onAck(ack(1, 3 * MSS)); // a stretch/delayed ACK adds at most L = 1 SMSS
  assert.equal(cc.cwnd, IW + 300 + MSS);
  // Delayed ACKs (2 segments per ACK) with L = 1: ×1.5 per RTT.
  const d = new NewReno(MSS);
  round(d, 0, 100, 2);
  assert.equal(d.cwnd, 15 * MSS);
});

test('ABC L = 2·SMSS (RFC 3465) restores doubling under delayed ACKs, but L = 1 after an RTO', () => {
  const cc = new NewReno(MSS, 10, { abcLimit: 2 });
  round(cc, 0, 100, 2);
  assert.equal(cc.cwnd, 20 * MSS);
  cc.onAck(ack(200, 5 * MSS));
  assert.equal(cc.cwnd, 22 * MSS); // at most 2 SMSS per ACK
  cc.onRetransmitTimeout(300, 22 * MSS, MSS);
  cc.onAck(ack(400, 2 * MSS));
  assert.equal(cc.cwnd, 2 * MSS); // 1 SMSS + min(2 SMSS, L = 1 SMSS)
});

test('congestion avoidance: +1 SMSS per RTT by byte counting (RFC 5681 §3.1), with or without delayed ACKs', () => {
  for (const perAck of [1, 2, 3]) {
    const cc = inCongestionAvoidance(20);
    let t = 0;
    for (let r = 1; r <= 5; r++) {
      const before = cc.cwnd;
      t = round(cc, t, 100, perAck);
      // A round acknowledges ⌊cwnd/SMSS⌋·SMSS = cwnd bytes: exactly one increment (never more).
      assert.equal(cc.cwnd, before + MSS, `perAck=${perAck} round ${r}`);
    }
    assert.equal(cc.ssthresh, 20 * MSS);
  }
});

test('congestion avoidance: never more than 1 SMSS per window of data even with sub-MSS ACKs', () => {
  const cc = inCongestionAvoidance(10);
  for (let i = 0; i < 39; i++) cc.onAck(ack(i, 250)); // 9 750 bytes < cwnd
  assert.equal(cc.cwnd, 10 * MSS);
  cc.onAck(ack(40, 250)); // 10 000 bytes = cwnd
  assert.equal(cc.cwnd, 11 * MSS);
});

test('no growth while in recovery or not cwnd-limited (RFC 5681 §3.2, RFC 7661 §4.2)', () => {
  const ss = new NewReno(MSS);
  ss.onAck(ack(0, MSS, { inRecovery: true }));
  ss.onAck(ack(0, MSS, { cwndLimited: false }));
  assert.equal(ss.cwnd, IW);
  const ca = inCongestionAvoidance(10);
  for (let i = 0; i < 50; i++) {
    ca.onAck(ack(i, MSS, { cwndLimited: false }));
    ca.onAck(ack(i, MSS, { inRecovery: true }));
  }
  assert.equal(ca.cwnd, 10 * MSS);
  // Nothing was counted either: a full window of cwnd-limited ACKs is still needed.
  for (let i = 0; i < 9; i++) ca.onAck(ack(100 + i, MSS));
  assert.equal(ca.cwnd, 10 * MSS);
  ca.onAck(ack(110, MSS));
  assert.equal(ca.cwnd, 11 * MSS);
});

test('congestion event halves: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = ssthresh (RFC 5681 §3.2 eq. 4)', () => {
  const cases: [number, number][] = [
    [40 * MSS, 20 * MSS],
    [40 * MSS + 1, 20 * MSS],
    [15 * MSS, 7500],
    [3 * MSS, 2 * MSS],
    [0, 2 * MSS],
  ];
  for (const [flight, ssthresh] of cases) {
    const cc = new NewReno(MSS);
    slowStartTo(cc, 40);
    cc.onCongestionEvent(0, flight, MSS);
    assert.equal(cc.ssthresh, ssthresh, `flight ${flight}`);
    assert.equal(cc.cwnd, ssthresh); // pipe-based recovery: no inflation
  }
});

test('FlightSize, not cwnd, sets ssthresh (RFC 5681 §3.2 note)', () => {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 80);
  cc.onCongestionEvent(0, 30 * MSS, MSS);
  assert.equal(cc.ssthresh, 15 * MSS);
});

test('recovery end, RFC 6582 §3.2 step 3 option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)', () => {
  const cases: [number, number][] = [
    [30 * MSS, 20 * MSS], // plenty outstanding → ssthresh
    [19 * MSS, 20 * MSS],
    [5 * MSS, 6 * MSS], // little outstanding → no burst
    [500, 2 * MSS], // max(FlightSize, SMSS) + SMSS
    [0, 2 * MSS],
  ];
  for (const [flight, cwnd] of cases) {
    const cc = new NewReno(MSS);
    slowStartTo(cc, 40);
    cc.onCongestionEvent(0, 40 * MSS, MSS);
    cc.onRecoveryEnd(10, flight, MSS);
    assert.equal(cc.cwnd, cwnd, `flight ${flight}`);
    assert.equal(cc.ssthresh, 20 * MSS);
  }
  // Below ssthresh afterwards: slow start back up to it (RFC 5681 §3.1).
  const cc = new NewReno(MSS);
  slowStartTo(cc, 40);
  cc.onCongestionEvent(0, 40 * MSS, MSS);
  cc.onRecoveryEnd(10, 5 * MSS, MSS);
  cc.onAck(ack(20, MSS));
  assert.equal(cc.cwnd, 7 * MSS);
});

test('recovery end, option (2): cwnd = ssthresh', () => {
  const cc = new NewReno(MSS, 10, { recoveryEnd: 'ssthresh' });
  slowStartTo(cc, 40);
  cc.onCongestionEvent(0, 40 * MSS, MSS);
  cc.onRecoveryEnd(10, 0, MSS);
  assert.equal(cc.cwnd, 20 * MSS);
});

test('recovery end is ignored outside a fast-recovery episode (e.g. after an RTO)', () => {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 40);
  cc.onCongestionEvent(0, 40 * MSS, MSS);
  cc.onRetransmitTimeout(1000, 40 * MSS, MSS);
  cc.onRecoveryEnd(1100, 10 * MSS, MSS);
  assert.equal(cc.cwnd, MSS);
  const fresh = new NewReno(MSS);
  fresh.onRecoveryEnd(0, 0, MSS);
  assert.equal(fresh.cwnd, IW);
});

test('RTO: cwnd = 1 SMSS (LW), ssthresh = max(FlightSize/2, 2·SMSS), then slow start (RFC 5681 §3.1)', () => {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 40);
  cc.onRetransmitTimeout(0, 36 * MSS, MSS);
  assert.equal(cc.cwnd, MSS);
  assert.equal(cc.ssthresh, 18 * MSS);
  let t = 0;
  for (const expected of [2, 4, 8, 16]) {
    t = round(cc, t, 100);
    assert.equal(cc.cwnd, expected * MSS);
  }
  // 16 segments: two slow-start ACKs reach ssthresh (18), the other 14 000 bytes are counted in
  // congestion avoidance, which needs cwnd = 18 000 bytes per increment.
  t = round(cc, t, 100);
  assert.equal(cc.cwnd, 18 * MSS);
  for (let i = 0; i < 3; i++) cc.onAck(ack(t + i, MSS));
  assert.equal(cc.cwnd, 18 * MSS);
  cc.onAck(ack(t + 3, MSS));
  assert.equal(cc.cwnd, 19 * MSS);
  const small = new NewReno(MSS);
  small.onRetransmitTimeout(0, MSS, MSS);
  assert.equal(small.ssthresh, 2 * MSS);
});

test('RTO backoff keeps ssthresh; a new RTO after new data is ACKed recomputes it (RFC 5681 §3.1)', () => {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 40);
  cc.onRetransmitTimeout(0, 40 * MSS, MSS);
  assert.equal(cc.ssthresh, 20 * MSS);
  cc.onRetransmitTimeout(1000, 40 * MSS, MSS); // same segment, backed-off timer
  cc.onRetransmitTimeout(3000, 40 * MSS, MSS);
  assert.equal(cc.ssthresh, 20 * MSS);
  assert.equal(cc.cwnd, MSS);
  cc.onAck(ack(3100, MSS));
  cc.onRetransmitTimeout(5000, 6 * MSS, MSS);
  assert.equal(cc.ssthresh, 3 * MSS);
});

test('an RTO during fast recovery keeps the episode ssthresh', () => {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 40);
  cc.onCongestionEvent(0, 40 * MSS, MSS);
  cc.onRetransmitTimeout(500, 20 * MSS, MSS);
  assert.equal(cc.ssthresh, 20 * MSS);
  assert.equal(cc.cwnd, MSS);
});

test('undo after a spurious fast retransmit restores cwnd, ssthresh and the byte count', () => {
  const cc = inCongestionAvoidance(20);
  for (let i = 0; i < 7; i++) cc.onAck(ack(i, MSS)); // 7 000 of 20 000 bytes counted
  const before = { cwnd: cc.cwnd, ssthresh: cc.ssthresh };
  cc.onCongestionEvent(100, 20 * MSS, MSS);
  assert.equal(cc.cwnd, 10 * MSS);
  cc.onSpuriousCongestionEvent(150);
  assert.deepEqual({ cwnd: cc.cwnd, ssthresh: cc.ssthresh }, before);
  for (let i = 0; i < 12; i++) cc.onAck(ack(200 + i, MSS));
  assert.equal(cc.cwnd, 20 * MSS); // 19 000 counted
  cc.onAck(ack(300, MSS));
  assert.equal(cc.cwnd, 21 * MSS);
  // A recovery end after the undo does not deflate again; a second undo does nothing.
  cc.onRecoveryEnd(400, 0, MSS);
  cc.onSpuriousCongestionEvent(400);
  assert.equal(cc.cwnd, 21 * MSS);
  assert.equal(cc.ssthresh, 20 * MSS);
});

test('undo of a spurious RTO restores the state before the timeout, including ssthresh = ∞', () => {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 30);
  cc.onRetransmitTimeout(0, 30 * MSS, MSS);
  cc.onRetransmitTimeout(1000, 30 * MSS, MSS);
  cc.onSpuriousCongestionEvent(1100);
  assert.equal(cc.cwnd, 30 * MSS);
  assert.equal(cc.ssthresh, Infinity);
  cc.onAck(ack(1200, 3 * MSS)); // slow start with the normal L again
  assert.equal(cc.cwnd, 31 * MSS);
});

test('undo keeps the current values once cwnd has regrown past the old one', () => {
  const cc = new NewReno(MSS);
  slowStartTo(cc, 20);
  cc.onCongestionEvent(0, 20 * MSS, MSS);
  cc.onRecoveryEnd(0, 20 * MSS, MSS);
  cc.onRetransmitTimeout(10, 10 * MSS, MSS);
  let t = 0;
  while (cc.cwnd < 25 * MSS) t = round(cc, t, 100);
  const now = { cwnd: cc.cwnd, ssthresh: cc.ssthresh };
  cc.onSpuriousCongestionEvent(t);
  assert.deepEqual({ cwnd: cc.cwnd, ssthresh: cc.ssthresh }, now);
});

test('idle restart: cwnd = RW = min(IW, cwnd) only after more than an RTO idle (RFC 5681 §4.1)', () => {
  const cc = inCongestionAvoidance(30);
  cc.onIdleRestart(5000, 1000, 1000, MSS);
  assert.equal(cc.cwnd, 30 * MSS);
  cc.onIdleRestart(9000, 1001, 1000, MSS);
  assert.equal(cc.cwnd, IW);
  assert.equal(cc.ssthresh, 30 * MSS); // ssthresh is kept: slow start back to it
  cc.onAck(ack(9100, MSS));
  assert.equal(cc.cwnd, IW + MSS);
  const small = new NewReno(MSS);
  small.onRetransmitTimeout(0, 4 * MSS, MSS);
  small.onIdleRestart(10000, 5000, 1000, MSS);
  assert.equal(small.cwnd, MSS); // min(IW, cwnd)
});
