/**
 * HyStart++ (RFC 9406): slow start that leaves exponential growth when the round's minimum RTT rises,
 * for a few rounds of Conservative Slow Start (CSS), then congestion avoidance without a loss.
 * Used by CUBIC for the initial slow start (RFC 9438 §4.10; RFC 9406 §4.2: only while ssthresh is
 * still the initial "arbitrarily high" value — later slow starts end at the known ssthresh).
 *
 * Units: RTTs in ms, windows in bytes.
 *
 * Rounds. RFC 9406 §4.2 delimits a round by windowEnd = SND.NXT at its start: it ends when that is
 * acknowledged. The controller sees no sequence numbers, so a round here ends once the bytes
 * acknowledged since its start cover the bytes that were outstanding at its start: inFlight − acked
 * after the ACK that ended the previous round, or, when that left nothing outstanding (and at the
 * very first ACK), the inFlight before the next ACK. For cumulative ACKs that is the RFC's point.
 * The ACK that ends a round belongs to it.
 */
import type { AckSample } from '../congestion.js';

/** RFC 9406 §4.3 constants (RTTs in ms). */
export const HYSTART = Object.freeze({
  MIN_RTT_THRESH: 4,
  MAX_RTT_THRESH: 16,
  MIN_RTT_DIVISOR: 8,
  N_RTT_SAMPLE: 8,
  CSS_GROWTH_DIVISOR: 4,
  CSS_ROUNDS: 5,
  /** Per-ACK growth limit in SMSS: infinite if paced, 8 if not; the engine does not pace. */
  L: 8,
});

export type HyStartPhase = 'slow-start' | 'css' | 'done';

/** What the slow start should do with one ACK. */
export interface HyStartStep {
  /** Bytes to add to cwnd (0 when the ACK is not cwnd-limited). */
  increase: number;
  /** CSS_ROUNDS rounds of CSS are complete: set ssthresh = cwnd and enter congestion avoidance. */
  exit: boolean;
}

export class HyStartPlusPlus {
  phase: HyStartPhase = 'slow-start';
  /** RFC 9406 §4.2 variables (ms); Infinity = no sample. */
  lastRoundMinRtt = Infinity;
  currentRoundMinRtt = Infinity;
  rttSampleCount = 0;
  cssBaselineMinRtt = Infinity;
  /** Rounds of CSS so far, the partial round of entry included. */
  cssRounds = 0;
  /** Rounds completed so far (diagnostics). */
  rounds = 0;
  /** Bytes still to be acknowledged before the current round ends; undefined: set by the next ACK. */
  private roundRemaining: number | undefined;

  /** Re-anchor the current round's end at the next ACK (after an undo, for example). */
  resetRound(): void {
    this.roundRemaining = undefined;
  }

  /** One ACK of new data during the initial slow start (not in recovery). */
  onAck(s: AckSample): HyStartStep {
    if (this.phase === 'done') return { increase: 0, exit: false };
    if (this.roundRemaining === undefined) this.roundRemaining = s.inFlight;
    // §4.2: cwnd += min(N, L·SMSS) in slow start, divided by CSS_GROWTH_DIVISOR in CSS.
    let increase = 0;
    if (s.cwndLimited) {
      increase = Math.min(s.acked, HYSTART.L * s.mss);
      if (this.phase === 'css') increase /= HYSTART.CSS_GROWTH_DIVISOR;
    }
    // §4.2: currentRoundMinRTT = min(currentRoundMinRTT, currRTT); rttSampleCount += 1.
    if (s.rtt !== undefined) {
      this.currentRoundMinRtt = Math.min(this.currentRoundMinRtt, s.rtt);
      this.rttSampleCount++;
    }
    if (this.rttSampleCount >= HYSTART.N_RTT_SAMPLE) {
      if (this.phase === 'slow-start') {
        if (this.currentRoundMinRtt !== Infinity && this.lastRoundMinRtt !== Infinity) {
          // §4.2: RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH)).
          const thresh = Math.max(
            HYSTART.MIN_RTT_THRESH,
            Math.min(this.lastRoundMinRtt / HYSTART.MIN_RTT_DIVISOR, HYSTART.MAX_RTT_THRESH),
          );
          if (this.currentRoundMinRtt >= this.lastRoundMinRtt + thresh) {
            // Delay increase: exit slow start into CSS; this partial round is CSS round 1.
            this.cssBaselineMinRtt = this.currentRoundMinRtt;
            this.phase = 'css';
            this.cssRounds = 1;
          }
        }
      } else if (this.currentRoundMinRtt < this.cssBaselineMinRtt) {
        // §4.2: the exit was spurious: resume slow start (with HyStart++).
        this.cssBaselineMinRtt = Infinity;
        this.phase = 'slow-start';
        this.cssRounds = 0;
      }
    }
    let exit = false;
    this.roundRemaining -= s.acked;
    if (this.roundRemaining <= 0) {
      if (this.phase === 'css') {
        if (this.cssRounds >= HYSTART.CSS_ROUNDS) {
          // §4.2: CSS_ROUNDS rounds complete: enter congestion avoidance (ssthresh = cwnd).
          this.phase = 'done';
          exit = true;
        } else {
          this.cssRounds++;
        }
      }
      // §4.2: at the start of each round, lastRoundMinRTT = currentRoundMinRTT and the current
      // round's minimum and sample count start afresh.
      this.lastRoundMinRtt = this.currentRoundMinRtt;
      this.currentRoundMinRtt = Infinity;
      this.rttSampleCount = 0;
      this.rounds++;
      const outstanding = s.inFlight - s.acked;
      this.roundRemaining = outstanding > 0 ? outstanding : undefined;
    }
    return { increase, exit };
  }
}
