/**
 * CUBIC congestion control, RFC 9438. The engine does loss detection and recovery; this only sets
 * cwnd and ssthresh.
 *
 * Units. The RFC works in segments and seconds (§4.1); the interface works in bytes and ms. Here:
 *  - cwnd and ssthresh are bytes at the interface; `cwnd` reads the internal byte count rounded down,
 *    the internal value keeps its fraction so that per-ACK increments of less than a byte add up;
 *  - W_max, cwnd_prior, cwnd_epoch, W_est, W_cubic(t) and target are segments (bytes / SMSS, real);
 *  - t, K and RTT are seconds (ms / 1000); C = 0.4 segment/s³.
 * segments_acked = acked bytes / SMSS (§4.1 allows the bytes form; it is the same quantity).
 *
 * Choices where the RFC leaves one:
 *  - Slow start while cwnd < ssthresh (RFC 5681 §3.1 allows either at equality; CUBIC switches to
 *    congestion avoidance at equality, as Linux does). The initial slow start is HyStart++ (RFC 9406,
 *    §4.10's SHOULD; option `hystart`, on by default), with its per-ACK limit L = 8·SMSS (non-paced);
 *    later slow starts (after an RTO or idle restart, ssthresh known) are Reno's, as in NewReno.
 *  - The congestion avoidance stage (epoch) starts at the first cwnd-limited ACK in congestion
 *    avoidance after a congestion event, RTO, idle reset or HyStart++ exit; t_epoch = its time.
 *  - The §4.4/§4.5 increment (target − cwnd)/cwnd is applied per SMSS acknowledged (× segments_acked),
 *    so delayed ACKs and byte counting reach the target after one RTT, as with W_est (Figure 4).
 *  - Reno-friendly region: when W_cubic(t) < W_est, cwnd = W_est (§4.3); cwnd never shrinks on an ACK,
 *    so the larger of W_est and the cubic step is used (§4.2 "chooses the larger of the two").
 *  - ssthresh is flight-based (§4.6 Figure 5): max(FlightSize·β, 2·SMSS); cwnd = ssthresh.
 *  - Application-limited time is left out of t (§4.2, §5.8): t_epoch moves forward by the time
 *    between ACKs that were not cwnd-limited, and by the idle time on an idle restart.
 *  - End of recovery: cwnd = ssthresh (the engine holds cwnd = ssthresh during pipe-based recovery;
 *    RFC 9438 §4.2 leaves fast recovery to RFC 6582/6675).
 *  - K is Figure 2's ∛((W_max − cwnd_epoch)/C). It equals RFC 8312's ∛(W_max·(1 − β)/C) only when
 *    cwnd_epoch = β·W_max (no fast convergence, FlightSize = cwnd at the loss).
 *  - RTT in target = W_cubic(t + RTT) is AckSample.srtt, else minRtt, else rtt, else 0.
 *  - Timeouts (§4.8 "as Reno"): ssthresh is set on the first RTO for a segment only (RFC 5681 §3.1);
 *    backed-off RTOs, and an RTO inside a fast-recovery episode, keep ssthresh and the undo state.
 *  - Undo (§4.9): the state saved before the last reduction (congestion event or first RTO) is
 *    restored once, and only while cwnd is below the saved cwnd (= cwnd_prior).
 */
import { initialWindow, RULE_IW, type AckSample, type CongestionControl } from '../congestion.js';
import { HyStartPlusPlus } from './hystart.js';

/** §4.1.1 / §5: C = 0.4 segment/s³. */
export const CUBIC_C = 0.4;
/** §4.6: β_cubic = 0.7. */
export const CUBIC_BETA = 0.7;
/** §4.3: α_cubic = 3·(1 − β_cubic)/(1 + β_cubic) ≈ 0.529. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

export interface CubicOptions {
  /** §4.7 fast convergence (SHOULD be implemented; default on, as on Linux). */
  fastConvergence?: boolean;
  /** RFC 3465 byte-counting limit L in SMSS per ACK during Reno slow start: 1 (default) or 2. */
  abcLimit?: 1 | 2;
  /** HyStart++ (RFC 9406) in the initial slow start (RFC 9438 §4.10 SHOULD; default on). */
  hystart?: boolean;
}

/** CUBIC's variables (RFC 9438 §4.1.2), for stats and tests. Windows in segments, times in ms/s as named. */
export interface CubicState {
  /** cwnd in bytes, unrounded. */
  cwndBytes: number;
  /** ssthresh in bytes. */
  ssthresh: number;
  /** cwnd_prior in segments (undefined before the first congestion event). */
  cwndPrior: number | undefined;
  /**
   * W_max in segments: undefined before the first congestion event, and from an RTO until the next
   * congestion avoidance stage sets it to cwnd_epoch (§4.8).
   */
  wMax: number | undefined;
  /** K in seconds. */
  k: number;
  /** t_epoch in ms (the engine's clock); undefined when no congestion avoidance stage is running. */
  epochStart: number | undefined;
  /** cwnd_epoch in segments. */
  cwndEpoch: number;
  /** W_est in segments. */
  wEst: number;
}

interface CubicUndo extends CubicState {
  afterRto: boolean;
}

// The rules of CUBIC's changes of cwnd and ssthresh (traced with each change).
const RULE_CUBIC_HYSTART_EXIT = 'RFC 9438 §4.10 / RFC 9406 §4.2 — HyStart++: conservative slow start done, ssthresh = cwnd, congestion avoidance';
const RULE_CUBIC_SS_END = 'RFC 9438 §4.10 / RFC 5681 §3.1 — cwnd reached ssthresh: slow start ends, CUBIC congestion avoidance (RFC 9438 §4.2)';
const RULE_CUBIC_LOSS = 'RFC 9438 §4.6 — multiplicative decrease on loss (RFC 5681 §3.2 step 2 with β = 0.7): ssthresh = max(FlightSize·β, 2·SMSS), cwnd = ssthresh';
const RULE_CUBIC_RTO = 'RFC 9438 §4.8 — timeout, as Reno (RFC 5681 §3.1): ssthresh = max(FlightSize·β, 2·SMSS), cwnd = 1 SMSS';
const RULE_CUBIC_RTO_AGAIN = 'RFC 9438 §4.8 — timeout again for the same data (RFC 5681 §3.1): ssthresh kept, cwnd = 1 SMSS';
const RULE_CUBIC_RECOVERY_END = 'RFC 9438 §4.6 / RFC 6675 §5 — recovery ends: cwnd = ssthresh';
const RULE_CUBIC_UNDO = 'RFC 9438 §4.9 — the congestion event was spurious: cwnd, ssthresh, W_max and K restored';
const RULE_CUBIC_SS_GROWTH = 'RFC 9438 §4.10 / RFC 5681 §3.1 — slow start: cwnd += min(N, L·SMSS) per ACK';
const RULE_CUBIC_HYSTART_GROWTH = 'RFC 9438 §4.10 / RFC 9406 §4.2 — HyStart++ slow start (conservative once the RTT rose): cwnd grows per ACK';
const RULE_CUBIC_CA_GROWTH = 'RFC 9438 §4.2 — congestion avoidance: cwnd += (target − cwnd)/cwnd per SMSS acknowledged (concave, convex or Reno-friendly region, §4.3–§4.5)';
const RULE_CUBIC_IDLE = 'RFC 5681 §4.1 / RFC 9438 §5.8 — idle for longer than the RTO: cwnd = RW = min(IW, cwnd)';

export class Cubic implements CongestionControl {
  readonly name = 'cubic';
  /** The HyStart++ state of the initial slow start (undefined when the option is off). */
  readonly hystart: HyStartPlusPlus | undefined;
  private mss: number;
  /** cwnd in bytes (real). */
  private w: number;
  private _ssthresh = Infinity;
  /** The rule of the latest change (see {@link CongestionControl.rule}). */
  rule: string = RULE_IW;
  private cwndPrior: number | undefined;
  private wMax: number | undefined;
  private k = 0;
  private epochStart: number | undefined;
  private cwndEpoch = 0;
  private wEst = 0;
  /** Time of the last ACK seen, for leaving application-limited time out of t (§5.8). */
  private lastAckTime: number | undefined;
  /** In the slow start that follows an RTO: ABC uses L = 1·SMSS (RFC 3465 §2.3). */
  private afterRto = false;
  /** An RTO fired and no new data has been acknowledged since: a further RTO is a backoff. */
  private rtoBackoff = false;
  /** Between onCongestionEvent and onRecoveryEnd (an RTO ends the fast-recovery episode). */
  private inFastRecovery = false;
  private undo: CubicUndo | undefined;
  private readonly fastConvergence: boolean;
  private readonly abcLimit: 1 | 2;
  private readonly initialWindowSegments: number;

  constructor(mss: number, initialWindowSegments = 10, options: CubicOptions = {}) {
    this.mss = mss;
    this.initialWindowSegments = initialWindowSegments;
    this.w = initialWindow(mss, initialWindowSegments);
    this.fastConvergence = options.fastConvergence ?? true;
    this.abcLimit = options.abcLimit ?? 1;
    this.hystart = options.hystart ?? true ? new HyStartPlusPlus() : undefined;
  }

  get cwnd(): number {
    return Math.floor(this.w);
  }

  get ssthresh(): number {
    return this._ssthresh;
  }

  /** A copy of CUBIC's variables. */
  get state(): CubicState {
    return {
      cwndBytes: this.w,
      ssthresh: this._ssthresh,
      cwndPrior: this.cwndPrior,
      wMax: this.wMax,
      k: this.k,
      epochStart: this.epochStart,
      cwndEpoch: this.cwndEpoch,
      wEst: this.wEst,
    };
  }

  /** §4.2 Figure 1: W_cubic(t) = C·(t − K)³ + W_max, in segments, t in seconds since t_epoch. */
  wCubic(t: number): number {
    const d = t - this.k;
    return CUBIC_C * d * d * d + (this.wMax ?? this.cwndEpoch);
  }

  onAck(s: AckSample): void {
    this.mss = s.mss;
    const last = this.lastAckTime;
    this.lastAckTime = s.now;
    if (s.acked > 0) this.rtoBackoff = false;
    if (s.inRecovery || s.acked <= 0) return;
    if (this.w < this._ssthresh) {
      this.slowStart(s);
      return;
    }
    if (!s.cwndLimited) {
      // RFC 7661 §4.2 / RFC 9438 §5.8: no growth; §4.2: t excludes the time cwnd was not updated
      // because the flow was application-limited, so the epoch moves forward by it.
      if (this.epochStart !== undefined && last !== undefined && s.now > last) {
        this.epochStart = Math.min(s.now, this.epochStart + (s.now - last));
      }
      return;
    }
    this.afterRto = false;
    this.congestionAvoidance(s);
  }

  private slowStart(s: AckSample): void {
    const hs = this.hystart;
    if (hs !== undefined && this._ssthresh === Infinity && hs.phase !== 'done') {
      // §4.10 with HyStart++ (RFC 9406 §4.2); it also sees ACKs that are not cwnd-limited, for its rounds.
      const step = hs.onAck(s);
      this.w += step.increase;
      this.rule = RULE_CUBIC_HYSTART_GROWTH;
      if (step.exit) {
        // RFC 9406 §4.2: ssthresh = cwnd. RFC 9438 §4.10: cwnd_prior = cwnd; W_max stays undefined,
        // so the congestion avoidance stage starts with K = 0 and W_max = cwnd_epoch.
        this._ssthresh = Math.floor(this.w);
        this.cwndPrior = this.w / s.mss;
        this.rule = RULE_CUBIC_HYSTART_EXIT;
      }
      return;
    }
    if (!s.cwndLimited) return;
    // §4.10 with Reno slow start, RFC 5681 §3.1 eq. (2): cwnd += min(N, L), L = 1 SMSS (RFC 3465: 2).
    const limit = (this.afterRto ? 1 : this.abcLimit) * s.mss;
    this.w += Math.min(s.acked, limit);
    this.rule = this.w >= this._ssthresh ? RULE_CUBIC_SS_END : RULE_CUBIC_SS_GROWTH;
  }

  private congestionAvoidance(s: AckSample): void {
    const mss = s.mss;
    if (this.epochStart === undefined) this.startEpoch(s.now);
    const cwnd = this.w / mss; // segments
    const segmentsAcked = s.acked / mss;
    // §4.3 Figure 4: W_est += α·segments_acked/cwnd, with α = 1 once W_est ≥ cwnd_prior.
    const alpha = this.cwndPrior !== undefined && this.wEst >= this.cwndPrior ? 1 : CUBIC_ALPHA;
    this.wEst += (alpha * segmentsAcked) / cwnd;
    // §4.2: t = t_current − t_epoch (s); RTT = smoothed RTT (s).
    const t = (s.now - (this.epochStart as number)) / 1000;
    const rtt = (s.srtt ?? s.minRtt ?? s.rtt ?? 0) / 1000;
    // §4.2: target = W_cubic(t + RTT) clamped to [cwnd, 1.5·cwnd].
    const target = Math.min(Math.max(this.wCubic(t + rtt), cwnd), 1.5 * cwnd);
    // §4.4/§4.5: cwnd += (target − cwnd)/cwnd per SMSS acknowledged (never past target).
    let next = Math.min(cwnd + ((target - cwnd) / cwnd) * segmentsAcked, target);
    // §4.3: Reno-friendly region when W_cubic(t) < W_est: cwnd = W_est (the larger of the two).
    if (this.wCubic(t) < this.wEst) next = Math.max(next, this.wEst);
    this.w = next * mss;
    this.rule = RULE_CUBIC_CA_GROWTH;
  }

  /** §4.2: the congestion avoidance stage starts: t_epoch, cwnd_epoch, K (Figure 2), W_est = cwnd_epoch. */
  private startEpoch(now: number): void {
    this.epochStart = now;
    this.cwndEpoch = this.w / this.mss;
    if (this.wMax === undefined) {
      // §4.8 (first stage after an RTO) and §4.10 (no W_max yet): K = 0, W_max = cwnd_epoch.
      this.wMax = this.cwndEpoch;
      this.k = 0;
      this.cwndPrior ??= this.cwndEpoch;
    } else {
      // §4.2 Figure 2: K = ∛((W_max − cwnd_epoch)/C); negative when cwnd_epoch > W_max (convex at once).
      this.k = Math.cbrt((this.wMax - this.cwndEpoch) / CUBIC_C);
    }
    // §4.3: W_est = cwnd_epoch at the start of the stage.
    this.wEst = this.cwndEpoch;
  }

  onCongestionEvent(_now: number, inFlight: number, mss: number): void {
    this.mss = mss;
    // §4.9.2: save the state for a possible undo.
    this.undo = this.snapshot();
    const cwnd = this.w / mss;
    // §4.7: W_max = cwnd·(1 + β)/2 if cwnd < W_max and fast convergence is on, else cwnd.
    this.wMax =
      this.fastConvergence && this.wMax !== undefined && cwnd < this.wMax ? (cwnd * (1 + CUBIC_BETA)) / 2 : cwnd;
    // §4.6 Figure 5: cwnd_prior = cwnd; ssthresh = max(flight_size·β, 2); cwnd = max(ssthresh, 2).
    this.cwndPrior = cwnd;
    this._ssthresh = Math.max(Math.floor(inFlight * CUBIC_BETA), 2 * mss);
    this.w = Math.max(this._ssthresh, 2 * mss);
    // A new congestion avoidance stage starts after recovery.
    this.epochStart = undefined;
    this.inFastRecovery = true;
    this.rule = RULE_CUBIC_LOSS;
  }

  onRetransmitTimeout(_now: number, inFlight: number, mss: number): void {
    this.mss = mss;
    // §4.8: as Reno (RFC 5681 §3.1: cwnd = 1 SMSS, ssthresh set on the first retransmission of a
    // segment only), with ssthresh = max(flight_size·β, 2·SMSS) as in §4.6. A timeout within a
    // fast-recovery episode or a backed-off one keeps the ssthresh already set, and the undo state.
    if (!this.rtoBackoff && !this.inFastRecovery) {
      this.undo = this.snapshot();
      this.cwndPrior = this.w / mss;
      this._ssthresh = Math.max(Math.floor(inFlight * CUBIC_BETA), 2 * mss);
      this.rule = RULE_CUBIC_RTO;
    } else {
      this.rule = RULE_CUBIC_RTO_AGAIN;
    }
    this.w = mss;
    // §4.8: the first congestion avoidance stage after a timeout uses K = 0, W_max = cwnd_epoch, so
    // W_max is forgotten until then (and fast convergence does not compare against the old one).
    this.epochStart = undefined;
    this.wMax = undefined;
    this.k = 0;
    this.rtoBackoff = true;
    this.afterRto = true;
    this.inFastRecovery = false;
  }

  onRecoveryEnd(_now: number, _inFlight: number, _mss: number): void {
    if (!this.inFastRecovery) return;
    this.inFastRecovery = false;
    this.w = this._ssthresh;
    this.rule = RULE_CUBIC_RECOVERY_END;
  }

  onSpuriousCongestionEvent(_now: number): void {
    // §4.9.2 (and §4.9.1 for a spurious timeout): restore cwnd, cwnd_prior, ssthresh, W_max, K,
    // t_epoch and W_est as saved before the reduction, if cwnd < cwnd_prior; else keep the current ones.
    const u = this.undo;
    if (u === undefined) return;
    this.undo = undefined;
    if (this.w >= u.cwndBytes) return;
    this.w = u.cwndBytes;
    this._ssthresh = u.ssthresh;
    this.cwndPrior = u.cwndPrior;
    this.wMax = u.wMax;
    this.k = u.k;
    this.epochStart = u.epochStart;
    this.cwndEpoch = u.cwndEpoch;
    this.wEst = u.wEst;
    this.afterRto = u.afterRto;
    this.rtoBackoff = false;
    this.inFastRecovery = false;
    this.hystart?.resetRound();
    this.rule = RULE_CUBIC_UNDO;
  }

  onIdleRestart(now: number, idle: number, rto: number, mss: number): void {
    this.mss = mss;
    // RFC 5681 §4.1: after an idle period longer than the RTO, cwnd = RW = min(IW, cwnd). The curve
    // no longer describes a window cut that way, so a new congestion avoidance stage starts (with
    // the same W_max) once cwnd is back in congestion avoidance.
    if (idle > rto) {
      const rw = initialWindow(mss, this.initialWindowSegments);
      if (this.w > rw) {
        this.w = rw;
        this.epochStart = undefined;
        this.rule = RULE_CUBIC_IDLE;
      }
    }
    // §5.8 / §4.2: t excludes idle time: t_epoch moves forward by the time since the last ACK (at
    // most `idle`), never past now.
    if (this.epochStart !== undefined) {
      const gap = Math.min(idle, this.lastAckTime === undefined ? idle : now - this.lastAckTime);
      if (gap > 0) this.epochStart = Math.min(now, this.epochStart + gap);
    }
    this.lastAckTime = now;
  }

  private snapshot(): CubicUndo {
    return { ...this.state, afterRto: this.afterRto };
  }
}
