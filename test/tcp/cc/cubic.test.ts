/**
 * CUBIC (src/tcp/cc/cubic.ts) against RFC 9438, computed here independently in the RFC's own units
 * (segments, seconds): Figure 1 W_cubic(t), Figure 2 K, §4.2 target, §4.3 W_est (Figure 4), §4.4/§4.5
 * increments, §4.6 Figure 5, §4.7 fast convergence, §4.8 timeout, §4.9 undo, §5.8 application limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cubic, CUBIC_ALPHA, CUBIC_BETA, CUBIC_C } from '../../../src/tcp/cc/cubic.js';
import { ack, MSS, near, slowStartTo } from './helpers.js';

// RFC 9438 constants, restated.
const C = 0.4; // §5: segments/s³
const BETA = 0.7; // §4.6
const ALPHA = (3 * (1 - BETA)) / (1 + BETA); // §4.3

/** The RFC 9438 congestion avoidance state machine in segments and seconds, for comparison. */
class RfcCubic {
  tEpoch: number | undefined;
  cwndEpoch = 0;
  k = 0;
  wEst = 0;
  constructor(
    public cwnd: number,
    public wMax: number,
    public cwndPrior: number,
  ) {}

  /** Figure 1. */
  w(t: number): number {
    return C * (t - this.k) ** 3 + this.wMax;
  }

  /** One new ACK of `segmentsAcked` at time `now` (s) with smoothed RTT `rtt` (s). */
  ack(now: number, segmentsAcked: number, rtt: number): void {
    if (this.tEpoch === undefined) {
      this.tEpoch = now;
      this.cwndEpoch = this.cwnd;
      this.k = Math.cbrt((this.wMax - this.cwndEpoch) / C); // Figure 2
      this.wEst = this.cwndEpoch; // §4.3
    }
    const alpha = this.wEst >= this.cwndPrior ? 1 : ALPHA; // §4.3
    this.wEst += (alpha * segmentsAcked) / this.cwnd; // Figure 4
    const t = now - this.tEpoch;
    const wt = this.w(t + rtt);
    const target = wt < this.cwnd ? this.cwnd : wt > 1.5 * this.cwnd ? 1.5 * this.cwnd : wt; // §4.2
    let next = Math.min(this.cwnd + ((target - this.cwnd) / this.cwnd) * segmentsAcked, target); // §4.4/§4.5
    if (this.w(t) < this.wEst) next = Math.max(next, this.wEst); // §4.3 Reno-friendly
    this.cwnd = next;
  }

  /** Reno-friendly region at time `now` (s)? */
  renoFriendly(now: number): boolean {
    return this.w(now - (this.tEpoch as number)) < this.wEst;
  }
}

const segs = (cc: Cubic): number => cc.state.cwndBytes / MSS;

/**
 * A CUBIC that saw a loss at `wMax` segments with a full window in flight, and has finished recovery:
 * cwnd = ssthresh = ⌊β·W_max⌋ segments-worth of bytes, in congestion avoidance, no epoch yet.
 */
function afterLoss(wMax: number, options = {}): Cubic {
  const cc = new Cubic(MSS, 10, options);
  slowStartTo(cc, wMax);
  cc.onCongestionEvent(0, wMax * MSS, MSS);
  cc.onRecoveryEnd(0, wMax * MSS, MSS);
  return cc;
}

/**
 * Drive `cc` and the RFC model through `rounds` round trips of one ACK per segment (spread over each
 * RTT), comparing cwnd after every ACK; calls `each` at every round end with t (s since start).
 */
function driveBoth(
  cc: Cubic,
  model: RfcCubic,
  start: number,
  rtt: number,
  rounds: number,
  each?: (t: number) => void,
): number {
  let now = start;
  for (let r = 0; r < rounds; r++) {
    const n = Math.floor(cc.cwnd / MSS);
    for (let i = 1; i <= n; i++) {
      const at = now + (i * rtt) / n;
      cc.onAck(ack(at, MSS, { srtt: rtt, rtt, minRtt: rtt }));
      model.ack(at / 1000, 1, rtt / 1000);
      const got = segs(cc);
      assert.ok(Math.abs(got - model.cwnd) <= 1e-9 * model.cwnd, `cwnd ${got} ≠ RFC ${model.cwnd} at ${at} ms`);
    }
    now += rtt;
    each?.((now - start) / 1000);
  }
  return now;
}

test('constants: C = 0.4, β = 0.7, α = 3(1 − β)/(1 + β) (RFC 9438 §4.3, §4.6, §5)', () => {
  assert.equal(CUBIC_C, 0.4);
  assert.equal(CUBIC_BETA, 0.7);
  near(CUBIC_ALPHA, 0.9 / 1.7, 1e-15);
  assert.equal(new Cubic(MSS).name, 'cubic');
  assert.equal(new Cubic(MSS).cwnd, 10 * MSS);
  assert.equal(new Cubic(MSS).ssthresh, Infinity);
});

test('multiplicative decrease: ssthresh = max(FlightSize·β, 2·SMSS), cwnd = ssthresh, W_max = cwnd_prior = cwnd (§4.6)', () => {
  const cc = new Cubic(MSS);
  slowStartTo(cc, 100);
  cc.onCongestionEvent(0, 100 * MSS, MSS);
  assert.equal(cc.ssthresh, 70 * MSS);
  assert.equal(cc.cwnd, 70 * MSS);
  assert.equal(cc.state.wMax, 100);
  assert.equal(cc.state.cwndPrior, 100);
  assert.equal(cc.state.epochStart, undefined);
  // Flight-based, not cwnd-based.
  const f = new Cubic(MSS);
  slowStartTo(f, 100);
  f.onCongestionEvent(0, 50 * MSS, MSS);
  assert.equal(f.ssthresh, 35 * MSS);
  assert.equal(f.state.wMax, 100);
  // Never below 2 SMSS.
  for (const flight of [0, MSS, 2 * MSS]) {
    const s = new Cubic(MSS);
    s.onCongestionEvent(0, flight, MSS);
    assert.equal(s.ssthresh, 2 * MSS);
    assert.equal(s.cwnd, 2 * MSS);
  }
  const odd = new Cubic(MSS);
  odd.onCongestionEvent(0, 12345, MSS);
  assert.equal(odd.ssthresh, Math.floor(12345 * 0.7));
});

test('K = ∛((W_max − cwnd_epoch)/C) and the epoch starts at the first ACK in congestion avoidance (§4.2)', () => {
  const cc = afterLoss(1000);
  assert.equal(cc.cwnd, 700 * MSS);
  cc.onAck(ack(5000, MSS, { inRecovery: true })); // recovery ACKs start nothing
  assert.equal(cc.state.epochStart, undefined);
  cc.onAck(ack(5250, MSS, { srtt: 100 }));
  const st = cc.state;
  assert.equal(st.epochStart, 5250);
  assert.equal(st.cwndEpoch, 700);
  near(st.k, Math.cbrt((1000 - 700) / C), 1e-12, 'K');
  near(st.k, 9.0856, 1e-4, 'K ≈ 9.09 s');
  // W_est = cwnd_epoch, then Figure 4 on this ACK.
  near(st.wEst, 700 + ALPHA / 700, 1e-12, 'W_est');
  // With cwnd_epoch = β·W_max, Figure 2 equals RFC 8312's ∛(W_max·(1 − β)/C).
  near(st.k, Math.cbrt((1000 * (1 - BETA)) / C), 1e-12);
});

test('W_cubic(t) = C(t − K)³ + W_max: starts at cwnd_epoch, reaches W_max at K, symmetric about K (Figure 1)', () => {
  const cc = afterLoss(1000);
  cc.onAck(ack(0, MSS));
  const k = Math.cbrt(300 / C);
  for (const t of [0, 0.5, 1, 2.5, 5, k, 10, 12, 15, 20]) {
    near(cc.wCubic(t), C * (t - k) ** 3 + 1000, 1e-9, `W_cubic(${t})`);
  }
  near(cc.wCubic(0), 700, 1e-9, 'W_cubic(0) = cwnd_epoch');
  near(cc.wCubic(k), 1000, 1e-12, 'W_cubic(K) = W_max');
  near(cc.wCubic(2 * k), 1300, 1e-9, 'W_cubic(2K) = 2·W_max − cwnd_epoch');
});

test('one ACK at time t moves cwnd by (target − cwnd)/cwnd, target = W_cubic(t + RTT) clamped to [cwnd, 1.5·cwnd] (§4.2, §4.4, §4.5)', () => {
  const k = Math.cbrt(300 / C);
  const rtt = 0.1;
  for (const t of [0.2, 1, 4, k - 0.1, k, k + 1, k + 3, k + 7, k + 12]) {
    const cc = afterLoss(1000);
    cc.onAck(ack(1000, MSS, { srtt: 100 })); // epoch start at 1000 ms
    const before = segs(cc);
    const wEst = cc.state.wEst + ALPHA / before;
    cc.onAck(ack(1000 + t * 1000, MSS, { srtt: 100 }));
    const w = C * (t + rtt - k) ** 3 + 1000;
    const target = Math.min(Math.max(w, before), 1.5 * before);
    assert.ok(C * (t - k) ** 3 + 1000 >= wEst, 'not Reno-friendly');
    near(segs(cc), before + (target - before) / before, 1e-9, `cwnd after ACK at t=${t}`);
    if (t === k + 12) assert.equal(target, 1.5 * before); // the upper clamp
  }
});

test('a stretch ACK of n segments gets n per-segment increments, never past the target', () => {
  const cc = afterLoss(1000);
  cc.onAck(ack(0, MSS));
  const before = segs(cc);
  cc.onAck(ack(2000, 2 * MSS));
  const target = C * (2.1 - Math.cbrt(300 / C)) ** 3 + 1000;
  near(segs(cc), before + (2 * (target - before)) / before, 1e-9);
});

test('concave, plateau, then convex: cwnd follows W_cubic (RTT 100 ms, W_max 1000 segments)', () => {
  const rtt = 100;
  const cc = afterLoss(1000);
  const model = new RfcCubic(700, 1000, 1000);
  const k = Math.cbrt(300 / C);
  const ends: { t: number; cwnd: number }[] = [];
  driveBoth(cc, model, 0, rtt, 150, (t) => {
    ends.push({ t, cwnd: segs(cc) });
    assert.ok(!model.renoFriendly(t), `Reno-friendly at t=${t}`);
  });
  const w = (t: number): number => C * (t - k) ** 3 + 1000;
  for (const { t, cwnd } of ends) {
    // cwnd at time t lies between W_cubic(t) and W_cubic(t + RTT) (it aims one RTT ahead).
    assert.ok(cwnd >= w(t) - 0.5 && cwnd <= w(t + rtt / 1000) + 0.5, `t=${t}: ${cwnd} vs W(t)=${w(t)}`);
  }
  const growth = ends.slice(1).map((e, i) => ({ t: e.t, d: e.cwnd - ends[i]!.cwnd }));
  // Concave (§4.4): below W_max, the increase per RTT shrinks as t approaches K.
  const concave = growth.filter((g) => g.t < k - 1);
  for (let i = 1; i < concave.length; i++) assert.ok(concave[i]!.d <= concave[i - 1]!.d + 1e-9, `concave at ${concave[i]!.t}`);
  assert.ok(ends.filter((e) => e.t < k - 1).every((e) => e.cwnd < 1000));
  assert.ok(concave[0]!.d > 5 && concave.at(-1)!.d < 0.5, 'fast at first, slow near W_max');
  // Plateau: within ±1 s of K, cwnd stays within 0.5 segment of W_max.
  for (const e of ends.filter((e) => Math.abs(e.t - k) <= 1)) near(e.cwnd, 1000, 0.5, `plateau at ${e.t}`);
  // Convex (§4.5): above W_max, the increase per RTT grows.
  const convex = growth.filter((g) => g.t > k + 1);
  for (let i = 1; i < convex.length; i++) assert.ok(convex[i]!.d >= convex[i - 1]!.d - 1e-9, `convex at ${convex[i]!.t}`);
  assert.ok(ends.filter((e) => e.t > k + 1).every((e) => e.cwnd > 1000));
  assert.ok(convex.at(-1)!.d > 5 * convex[0]!.d);
  // ssthresh is untouched in congestion avoidance.
  assert.equal(cc.ssthresh, 700 * MSS);
});

test('Reno-friendly region dominates with a small W_max and RTT: cwnd = W_est, α → 1 at cwnd_prior (§4.3)', () => {
  const rtt = 10;
  const cc = afterLoss(20);
  assert.equal(cc.cwnd, 14 * MSS);
  const model = new RfcCubic(14, 20, 20);
  // W_est by Figure 4 alone, computed separately: cwnd = W_est on every ACK.
  let wEst = 14;
  let now = 0;
  const perRound: { wEst: number; d: number }[] = [];
  for (let r = 0; r < 60; r++) {
    const n = Math.floor(cc.cwnd / MSS);
    const start = wEst;
    for (let i = 1; i <= n; i++) {
      const at = now + (i * rtt) / n;
      const cwndBefore = wEst;
      wEst += (wEst >= 20 ? 1 : ALPHA) / cwndBefore;
      cc.onAck(ack(at, MSS, { srtt: rtt, rtt, minRtt: rtt }));
      model.ack(at / 1000, 1, rtt / 1000);
      near(segs(cc), wEst, 1e-9, `cwnd = W_est at ${at} ms`);
      near(model.cwnd, wEst, 1e-9);
      assert.ok(model.renoFriendly(at / 1000));
      assert.ok(cc.wCubic((at - (cc.state.epochStart as number)) / 1000) < wEst);
    }
    perRound.push({ wEst: start, d: wEst - start });
    now += rtt;
  }
  // ≈ α segments per RTT below cwnd_prior, ≈ 1 segment per RTT above it (Reno's AIMD(1, 0.5)).
  for (const p of perRound) {
    if (p.wEst + p.d < 20) assert.ok(p.d > 0.45 && p.d <= ALPHA + 1e-9, `below: ${p.d}`);
    if (p.wEst >= 20) assert.ok(p.d > 0.9 && p.d <= 1 + 1e-9, `above: ${p.d}`);
  }
  assert.ok(perRound.some((p) => p.wEst >= 20));
});

test('Reno-friendly region is left for the cubic curve once W_cubic(t) ≥ W_est (mid-size W_max, 50 ms)', () => {
  const cc = afterLoss(120);
  const model = new RfcCubic(84, 120, 120);
  let friendly = 0;
  let cubic = 0;
  driveBoth(cc, model, 0, 50, 140, (t) => {
    if (model.renoFriendly(t)) friendly++;
    else cubic++;
  });
  assert.ok(friendly > 0 && cubic > 0, `friendly ${friendly}, cubic ${cubic}`);
});

test('fast convergence: W_max = cwnd·(1 + β)/2 when cwnd < W_max, else cwnd (§4.7)', () => {
  const cc = afterLoss(100);
  assert.equal(cc.state.wMax, 100);
  cc.onAck(ack(0, MSS));
  // Second loss below the old W_max: at cwnd ≈ 70 segments.
  const cwnd = segs(cc);
  cc.onCongestionEvent(100, 70 * MSS, MSS);
  near(cc.state.wMax as number, (cwnd * (1 + BETA)) / 2, 1e-9, 'reduced W_max');
  near(cc.state.cwndPrior as number, cwnd, 1e-12);
  assert.equal(cc.ssthresh, 49 * MSS);
  cc.onRecoveryEnd(200, 49 * MSS, MSS);
  cc.onAck(ack(300, MSS));
  near(cc.state.k, Math.cbrt(((cwnd * (1 + BETA)) / 2 - 49) / C), 1e-9, 'K from the reduced W_max');
  // Without fast convergence W_max is cwnd.
  const off = afterLoss(100, { fastConvergence: false });
  off.onAck(ack(0, MSS));
  const cwnd2 = segs(off);
  off.onCongestionEvent(100, 70 * MSS, MSS);
  near(off.state.wMax as number, cwnd2, 1e-12);
  // A loss above the old W_max sets W_max = cwnd.
  const up = afterLoss(10);
  let now = 0;
  while (up.cwnd < 12 * MSS) up.onAck(ack((now += 10), MSS, { srtt: 10 }));
  const c3 = segs(up);
  up.onCongestionEvent(now, 12 * MSS, MSS);
  near(up.state.wMax as number, c3, 1e-12);
});

test('no growth while in recovery or not cwnd-limited, in slow start and congestion avoidance (§5.8, RFC 7661)', () => {
  const ss = new Cubic(MSS);
  ss.onAck(ack(0, MSS, { inRecovery: true }));
  ss.onAck(ack(1, MSS, { cwndLimited: false }));
  assert.equal(ss.cwnd, 10 * MSS);
  const ca = afterLoss(100);
  ca.onAck(ack(0, MSS));
  const before = ca.state.cwndBytes;
  for (let i = 1; i <= 50; i++) {
    ca.onAck(ack(i * 100, MSS, { inRecovery: true }));
    ca.onAck(ack(i * 100 + 50, MSS, { cwndLimited: false }));
  }
  assert.equal(ca.state.cwndBytes, before);
});

test('application-limited time is left out of t: the epoch moves forward by it (§4.2, §5.8)', () => {
  const make = (): Cubic => {
    const cc = afterLoss(1000);
    cc.onAck(ack(1000, MSS));
    cc.onAck(ack(1100, MSS));
    return cc;
  };
  const a = make();
  const b = make();
  // a: 1.5 s of ACKs for data sent while application-limited.
  for (const at of [1600, 2100, 2600]) a.onAck(ack(at, MSS, { cwndLimited: false }));
  assert.equal(a.state.epochStart, 1000 + 1500);
  assert.equal(a.state.cwndBytes, b.state.cwndBytes);
  // Then both continue: a 1.5 s later than b, with identical results.
  for (let i = 1; i <= 200; i++) {
    a.onAck(ack(2600 + i * 10, MSS));
    b.onAck(ack(1100 + i * 10, MSS));
    near(a.state.cwndBytes, b.state.cwndBytes, 1e-6);
  }
});

test('timeout: cwnd = 1 SMSS, ssthresh = max(FlightSize·β, 2·SMSS); then K = 0, W_max = W_est = cwnd_epoch (§4.8)', () => {
  const cc = new Cubic(MSS);
  slowStartTo(cc, 40);
  cc.onRetransmitTimeout(0, 40 * MSS, MSS);
  assert.equal(cc.cwnd, MSS);
  assert.equal(cc.ssthresh, 28 * MSS);
  assert.equal(cc.state.wMax, undefined);
  assert.equal(cc.state.cwndPrior, 40);
  // Backed-off timeouts keep ssthresh (RFC 5681 §3.1).
  cc.onRetransmitTimeout(1000, 40 * MSS, MSS);
  assert.equal(cc.ssthresh, 28 * MSS);
  // Slow start (L = 1 SMSS after an RTO) up to ssthresh.
  let now = 1000;
  cc.onAck(ack((now += 10), 3 * MSS));
  assert.equal(cc.cwnd, 2 * MSS);
  while (cc.cwnd < 28 * MSS) cc.onAck(ack((now += 10), MSS));
  assert.equal(cc.cwnd, 28 * MSS);
  assert.equal(cc.state.epochStart, undefined);
  cc.onAck(ack((now += 10), MSS));
  const st = cc.state;
  assert.equal(st.epochStart, now);
  assert.equal(st.k, 0);
  assert.equal(st.wMax, 28);
  assert.equal(st.cwndEpoch, 28);
  near(st.wEst, 28 + ALPHA / 28, 1e-12);
  for (const t of [0, 1, 2, 5]) near(cc.wCubic(t), C * t ** 3 + 28, 1e-9, `W_cubic(${t}) after RTO`);
});

test('a loss in the slow start after a timeout does not use the pre-timeout W_max for fast convergence', () => {
  const cc = new Cubic(MSS);
  slowStartTo(cc, 100);
  cc.onRetransmitTimeout(0, 100 * MSS, MSS);
  for (let i = 0; i < 19; i++) cc.onAck(ack(100 + i, MSS));
  assert.equal(cc.cwnd, 20 * MSS);
  cc.onCongestionEvent(200, 20 * MSS, MSS);
  assert.equal(cc.state.wMax, 20);
  assert.equal(cc.ssthresh, 14 * MSS);
});

test('an RTO during fast recovery keeps the episode ssthresh; recovery end then does nothing', () => {
  const cc = afterLoss(100);
  cc.onCongestionEvent(0, 70 * MSS, MSS);
  assert.equal(cc.ssthresh, 49 * MSS);
  cc.onRetransmitTimeout(500, 49 * MSS, MSS);
  assert.equal(cc.ssthresh, 49 * MSS);
  assert.equal(cc.cwnd, MSS);
  cc.onRecoveryEnd(600, 10 * MSS, MSS);
  assert.equal(cc.cwnd, MSS);
});

test('recovery end: cwnd = ssthresh', () => {
  const cc = new Cubic(MSS);
  slowStartTo(cc, 50);
  cc.onCongestionEvent(0, 50 * MSS, MSS);
  cc.onRecoveryEnd(100, 5 * MSS, MSS);
  assert.equal(cc.cwnd, 35 * MSS);
  assert.equal(cc.ssthresh, 35 * MSS);
});

test('spurious fast retransmit: undo restores cwnd, cwnd_prior, ssthresh, W_max, K, t_epoch, W_est exactly (§4.9.2)', () => {
  const run = (withLoss: boolean): Cubic => {
    const cc = afterLoss(1000);
    let now = 0;
    for (let i = 0; i < 3000; i++) cc.onAck(ack((now += 1), MSS));
    if (withLoss) {
      const before = cc.state;
      cc.onCongestionEvent(3100, Math.floor(cc.cwnd), MSS);
      assert.notDeepEqual(cc.state, before);
      for (let i = 1; i <= 20; i++) cc.onAck(ack(3100 + i * 5, MSS, { inRecovery: true }));
      cc.onSpuriousCongestionEvent(3200);
      assert.deepEqual(cc.state, before);
    }
    return cc;
  };
  const a = run(true);
  const b = run(false);
  // Growth then continues on the original curve (t counted from the original t_epoch).
  for (let i = 1; i <= 500; i++) {
    a.onAck(ack(3200 + i, MSS));
    b.onAck(ack(3200 + i, MSS));
  }
  assert.equal(a.state.cwndBytes, b.state.cwndBytes);
  assert.deepEqual(a.state, b.state);
  // Undo is one-shot.
  const cwnd = a.cwnd;
  a.onSpuriousCongestionEvent(4000);
  assert.equal(a.cwnd, cwnd);
});

test('spurious timeout: undo restores the pre-RTO state, including the initial slow start', () => {
  const cc = new Cubic(MSS);
  slowStartTo(cc, 30);
  const before = cc.state;
  cc.onRetransmitTimeout(0, 30 * MSS, MSS);
  cc.onRetransmitTimeout(1000, 30 * MSS, MSS);
  cc.onSpuriousCongestionEvent(1100);
  assert.deepEqual(cc.state, before);
  assert.equal(cc.ssthresh, Infinity);
  cc.onAck(ack(1200, MSS));
  assert.equal(cc.cwnd, 31 * MSS);
});

test('undo keeps the current state once cwnd ≥ cwnd_prior again (§4.9.2)', () => {
  const cc = afterLoss(20);
  let now = 0;
  cc.onCongestionEvent(now, 14 * MSS, MSS); // cwnd_prior = 14, cwnd = 9.8
  while (cc.cwnd < 15 * MSS) cc.onAck(ack((now += 10), MSS, { srtt: 10 }));
  const st = cc.state;
  cc.onSpuriousCongestionEvent(now);
  assert.deepEqual(cc.state, st);
});

test('idle restart within the RTO: cwnd kept, t_epoch moves forward by the idle time since the last ACK (§5.8)', () => {
  const cc = afterLoss(1000);
  cc.onAck(ack(1000, MSS));
  cc.onAck(ack(1100, MSS));
  const st = cc.state;
  cc.onIdleRestart(4100, 3050, 5000, MSS); // idle since the last send; 3000 ms since the last ACK
  assert.equal(cc.state.cwndBytes, st.cwndBytes);
  assert.equal(cc.state.epochStart, 1000 + 3000);
  // Not past now.
  const late = afterLoss(1000);
  late.onAck(ack(1000, MSS));
  late.onIdleRestart(1500, 500, 5000, MSS);
  assert.equal(late.state.epochStart, 1500);
});

test('idle restart after more than an RTO: cwnd = min(IW, cwnd), W_max kept, a new epoch after slow start (RFC 5681 §4.1)', () => {
  const cc = afterLoss(100);
  cc.onAck(ack(0, MSS));
  const wMax = cc.state.wMax as number;
  cc.onIdleRestart(10_000, 9_000, 1000, MSS);
  assert.equal(cc.cwnd, 10 * MSS);
  assert.equal(cc.ssthresh, 70 * MSS);
  assert.equal(cc.state.epochStart, undefined);
  assert.equal(cc.state.wMax, wMax);
  let now = 10_000;
  while (cc.cwnd < 70 * MSS) cc.onAck(ack((now += 1), MSS));
  cc.onAck(ack((now += 1), MSS));
  assert.equal(cc.state.epochStart, now);
  assert.equal(cc.state.cwndEpoch, 70);
  near(cc.state.k, Math.cbrt((wMax - 70) / C), 1e-12);
  // cwnd ≤ IW already: kept.
  const small = new Cubic(MSS);
  small.onCongestionEvent(0, 2 * MSS, MSS);
  small.onIdleRestart(10_000, 9_000, 1000, MSS);
  assert.equal(small.cwnd, 2 * MSS);
});

test('cwnd never drops below 2·SMSS except after an RTO (1·SMSS)', () => {
  const cc = new Cubic(MSS);
  let now = 0;
  for (let i = 0; i < 20; i++) {
    cc.onCongestionEvent((now += 10), i % 3 === 0 ? 0 : cc.cwnd, MSS);
    assert.ok(cc.cwnd >= 2 * MSS);
    cc.onRecoveryEnd((now += 10), 0, MSS);
    assert.ok(cc.cwnd >= 2 * MSS);
    cc.onAck(ack((now += 10), MSS));
    cc.onIdleRestart((now += 5000), 5000, 1000, MSS);
    assert.ok(cc.cwnd >= 2 * MSS);
  }
  cc.onRetransmitTimeout(now, 0, MSS);
  assert.equal(cc.cwnd, MSS);
  assert.equal(cc.ssthresh, 2 * MSS);
});

test('cwnd reads the internal byte count rounded down', () => {
  const cc = afterLoss(1000);
  for (let i = 0; i < 10; i++) {
    cc.onAck(ack(i * 37, MSS));
    assert.equal(cc.cwnd, Math.floor(cc.state.cwndBytes));
  }
  assert.ok(!Number.isInteger(cc.state.cwndBytes));
});
