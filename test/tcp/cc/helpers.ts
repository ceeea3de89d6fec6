/** Shared helpers for the congestion-controller tests: ACK samples and ACK clocks in bytes and ms. */
import assert from 'node:assert/strict';
import type { AckSample, CongestionControl } from '../../../src/tcp/congestion.js';

/** SMSS used throughout (bytes); a round number so that windows read as segments × 1000. */
export const MSS = 1000;

/** An ACK for `acked` new bytes at `now` ms: cwnd-limited, not in recovery, SRTT 100 ms unless overridden. */
export function ack(now: number, acked: number, o: Partial<AckSample> = {}): AckSample {
  return {
    now,
    acked,
    inFlight: 0,
    mss: MSS,
    srtt: 100,
    rtt: 100,
    minRtt: 100,
    cwndLimited: true,
    inRecovery: false,
    ...o,
  };
}

/**
 * One round trip of ACK clocking: the whole current window (⌊cwnd/SMSS⌋ segments) is acknowledged,
 * `perAck` segments per ACK, the ACKs evenly spread over (start, start + rtt]. Returns start + rtt.
 */
export function round(
  cc: CongestionControl,
  start: number,
  rtt: number,
  perAck = 1,
  o: Partial<AckSample> = {},
): number {
  const segments = Math.floor(cc.cwnd / MSS);
  const acks = Math.max(1, Math.ceil(segments / perAck));
  for (let i = 0; i < acks; i++) {
    const n = Math.min(perAck, segments - i * perAck);
    cc.onAck(ack(start + ((i + 1) * rtt) / acks, n * MSS, { srtt: rtt, rtt, minRtt: rtt, ...o }));
  }
  return start + rtt;
}

/** Slow-start `cc` (ssthresh = ∞) from its initial window to `segments` segments with 1-SMSS ACKs at `now`. */
export function slowStartTo(cc: CongestionControl, segments: number, now = 0): void {
  while (cc.cwnd < segments * MSS) cc.onAck(ack(now, MSS));
  assert.equal(cc.cwnd, segments * MSS);
}

/** |actual − expected| ≤ tol. */
export function near(actual: number, expected: number, tol: number, msg?: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${msg ?? 'value'}: ${actual} is not within ${tol} of ${expected}`,
  );
}
