/** HyStart++ (src/tcp/cc/hystart.ts, RFC 9406 §4.2/§4.3) and its use by CUBIC (RFC 9438 §4.10). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cubic } from '../../../src/tcp/cc/cubic.js';
import { HYSTART, HyStartPlusPlus, type HyStartStep } from '../../../src/tcp/cc/hystart.js';
import { ack, MSS } from './helpers.js';

/**
 * One round of `n` 1-SMSS ACKs; ACK i (1-based) sees (n − i + 1) segments in flight and RTT rtt(i)
 * (undefined: no sample). Returns the steps.
 */
function hsRound(hs: HyStartPlusPlus, n: number, rtt: (i: number) => number | undefined): HyStartStep[] {
  const steps: HyStartStep[] = [];
  for (let i = 1; i <= n; i++) {
    steps.push(hs.onAck(ack(0, MSS, { inFlight: (n - i + 1) * MSS, rtt: rtt(i) })));
  }
  return steps;
}

test('RFC 9406 §4.3 constants', () => {
  assert.deepEqual(
    { ...HYSTART },
    { MIN_RTT_THRESH: 4, MAX_RTT_THRESH: 16, MIN_RTT_DIVISOR: 8, N_RTT_SAMPLE: 8, CSS_GROWTH_DIVISOR: 4, CSS_ROUNDS: 5, L: 8 },
  );
});

test('slow start grows by min(N, L·SMSS), L = 8 (non-paced); nothing when not cwnd-limited', () => {
  const hs = new HyStartPlusPlus();
  assert.equal(hs.onAck(ack(0, 20 * MSS, { inFlight: 40 * MSS })).increase, 8 * MSS);
  assert.equal(hs.onAck(ack(0, 500, { inFlight: 40 * MSS })).increase, 500);
  assert.equal(hs.onAck(ack(0, MSS, { inFlight: 40 * MSS, cwndLimited: false })).increase, 0);
});

test('rounds: lastRoundMinRTT and currentRoundMinRTT roll over at the end of each round', () => {
  const hs = new HyStartPlusPlus();
  hsRound(hs, 10, (i) => 100 + i);
  assert.equal(hs.lastRoundMinRtt, 101);
  assert.equal(hs.currentRoundMinRtt, Infinity);
  assert.equal(hs.rttSampleCount, 0);
  hsRound(hs, 4, () => 90);
  assert.equal(hs.lastRoundMinRtt, 90);
  assert.equal(hs.rounds, 2);
});

test('delay increase ≥ RttThresh over the last round with ≥ N_RTT_SAMPLE samples enters CSS (§4.2)', () => {
  const hs = new HyStartPlusPlus();
  hsRound(hs, 10, () => 100);
  // RttThresh = max(4, min(100/8, 16)) = 12.5 ms: 112 is not enough.
  hsRound(hs, 10, () => 112);
  assert.equal(hs.phase, 'slow-start');
  // Now lastRoundMinRTT = 112, RttThresh = 14: 126 is.
  const steps = hsRound(hs, 10, () => 126);
  assert.equal(hs.phase, 'css');
  assert.equal(hs.cssBaselineMinRtt, 126);
  // The 8th sample triggered it: ACKs 1–8 grew by 1 SMSS, ACKs 9–10 by SMSS/CSS_GROWTH_DIVISOR.
  assert.deepEqual(
    steps.map((s) => s.increase),
    [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 250, 250],
  );
  assert.equal(hs.cssRounds, 2); // the partial round of entry counted, and it has ended
});

test('RttThresh is clamped to [MIN_RTT_THRESH, MAX_RTT_THRESH] = [4, 16] ms', () => {
  for (const [last, thresh] of [
    [20, 4],
    [80, 10],
    [1000, 16],
  ] as const) {
    for (const [delta, css] of [
      [thresh - 0.01, false],
      [thresh, true],
    ] as const) {
      const hs = new HyStartPlusPlus();
      hsRound(hs, 10, () => last);
      hsRound(hs, 10, () => last + delta);
      assert.equal(hs.phase === 'css', css, `last ${last}, +${delta}`);
    }
  }
});

test('fewer than N_RTT_SAMPLE samples in the round do not trigger (ACKs without an RTT do not count)', () => {
  const hs = new HyStartPlusPlus();
  hsRound(hs, 10, () => 100);
  hsRound(hs, 10, (i) => (i <= 7 ? 200 : undefined));
  assert.equal(hs.phase, 'slow-start');
  const h2 = new HyStartPlusPlus();
  hsRound(h2, 7, () => 100); // a 7-sample round is still a valid lastRoundMinRTT
  hsRound(h2, 8, () => 200);
  assert.equal(h2.phase, 'css');
});

test('CSS: an RTT below the baseline over ≥ N_RTT_SAMPLE samples resumes slow start (§4.2)', () => {
  const hs = new HyStartPlusPlus();
  hsRound(hs, 10, () => 100);
  hsRound(hs, 10, () => 120);
  assert.equal(hs.phase, 'css');
  const steps = hsRound(hs, 10, (i) => (i === 1 ? 110 : 125));
  // Minimum 110 < baseline 120 once 8 samples are in: slow start again from the 9th ACK's growth on.
  assert.equal(hs.phase, 'slow-start');
  assert.equal(hs.cssBaselineMinRtt, Infinity);
  assert.deepEqual(
    steps.map((s) => s.increase),
    [250, 250, 250, 250, 250, 250, 250, 250, 1000, 1000],
  );
});

test('CSS lasts CSS_ROUNDS rounds including the partial one of entry, then exits to congestion avoidance', () => {
  const hs = new HyStartPlusPlus();
  hsRound(hs, 10, () => 100);
  let steps = hsRound(hs, 10, (i) => (i <= 8 ? 120 : 121)); // CSS round 1 (partial)
  assert.equal(hs.phase, 'css');
  for (let r = 2; r <= 4; r++) {
    steps = hsRound(hs, 10, () => 121);
    assert.ok(steps.every((s) => !s.exit), `round ${r}`);
    assert.equal(hs.phase, 'css');
  }
  steps = hsRound(hs, 10, () => 121); // CSS round 5
  assert.deepEqual(
    steps.map((s) => s.exit),
    [false, false, false, false, false, false, false, false, false, true],
  );
  assert.equal(hs.phase, 'done');
  assert.deepEqual(hs.onAck(ack(0, MSS, { inFlight: MSS, rtt: 121 })), { increase: 0, exit: false });
});

/** Drive a CUBIC through whole rounds (one ACK per segment) with RTT `rtt(round)`; returns the end time. */
function cubicRounds(cc: Cubic, from: number, rounds: number, rtt: (round: number) => number, start = 0): number {
  let now = start;
  for (let r = from; r < from + rounds; r++) {
    const n = Math.floor(cc.cwnd / MSS);
    const rt = rtt(r);
    for (let i = 1; i <= n; i++) {
      cc.onAck(ack(now + (i * rt) / n, MSS, { inFlight: (n - i + 1) * MSS, rtt: rt, srtt: rt, minRtt: 100 }));
    }
    now += rt;
  }
  return now;
}

test('CUBIC with HyStart++: delay rise → CSS → ssthresh = cwnd, then K = 0, W_max = cwnd_epoch (RFC 9438 §4.10)', () => {
  const cc = new Cubic(MSS);
  const hs = cc.hystart as HyStartPlusPlus;
  let now = cubicRounds(cc, 1, 3, () => 100); // 10 → 20 → 40 → 80 segments
  assert.equal(cc.cwnd, 80 * MSS);
  now = cubicRounds(cc, 4, 1, () => 130, now);
  assert.equal(hs.phase, 'css');
  assert.equal(cc.cwnd, 80 * MSS + 8 * MSS + 72 * 250);
  assert.equal(cc.ssthresh, Infinity);
  // Four more rounds of CSS: cwnd grows by a quarter of slow start's rate.
  for (let r = 5; r <= 7; r++) {
    const before = cc.cwnd;
    now = cubicRounds(cc, r, 1, () => 130, now);
    assert.equal(cc.cwnd, before + Math.floor(before / MSS) * 250);
    assert.equal(cc.ssthresh, Infinity);
  }
  now = cubicRounds(cc, 8, 1, () => 130, now);
  assert.equal(hs.phase, 'done');
  const cwnd = cc.state.cwndBytes;
  assert.equal(cc.ssthresh, Math.floor(cwnd));
  assert.equal(cc.state.cwndPrior, cwnd / MSS);
  assert.equal(cc.state.wMax, undefined);
  cc.onAck(ack(now + 1, MSS, { srtt: 130 }));
  const st = cc.state;
  assert.equal(st.epochStart, now + 1);
  assert.equal(st.k, 0);
  assert.equal(st.wMax, cwnd / MSS);
  assert.equal(st.cwndEpoch, cwnd / MSS);
});

test('CUBIC with a steady RTT never leaves slow start early; a loss in CSS is a normal β reduction', () => {
  const cc = new Cubic(MSS);
  cubicRounds(cc, 1, 6, () => 100);
  assert.equal(cc.cwnd, 640 * MSS);
  assert.equal(cc.hystart?.phase, 'slow-start');
  const c2 = new Cubic(MSS);
  cubicRounds(c2, 1, 2, () => 100);
  cubicRounds(c2, 3, 1, () => 150);
  assert.equal(c2.hystart?.phase, 'css');
  const cwnd = c2.cwnd;
  c2.onCongestionEvent(1000, cwnd, MSS);
  assert.equal(c2.ssthresh, Math.floor(cwnd * 0.7));
  assert.equal(c2.state.wMax, c2.state.cwndPrior);
});

test('HyStart++ is only for the initial slow start, and can be turned off', () => {
  const cc = new Cubic(MSS);
  cc.onAck(ack(0, 3 * MSS, { inFlight: 10 * MSS }));
  assert.equal(cc.cwnd, 13 * MSS); // L = 8
  cc.onRetransmitTimeout(1000, 13 * MSS, MSS);
  cc.onAck(ack(1100, 3 * MSS, { inFlight: 3 * MSS }));
  assert.equal(cc.cwnd, 2 * MSS); // Reno slow start after an RTO, L = 1
  const off = new Cubic(MSS, 10, { hystart: false });
  assert.equal(off.hystart, undefined);
  off.onAck(ack(0, 3 * MSS, { inFlight: 10 * MSS }));
  assert.equal(off.cwnd, 11 * MSS); // RFC 5681 L = 1
  const off2 = new Cubic(MSS, 10, { hystart: false, abcLimit: 2 });
  off2.onAck(ack(0, 3 * MSS, { inFlight: 10 * MSS }));
  assert.equal(off2.cwnd, 12 * MSS); // RFC 3465 L = 2
  cubicRounds(off, 1, 2, () => 100);
  cubicRounds(off, 3, 3, () => 200);
  assert.equal(off.ssthresh, Infinity);
});
