/**
 * NewReno congestion control: RFC 5681 slow start and congestion avoidance with the RFC 6582 end of
 * fast recovery. The engine does loss detection and recovery; this only sets cwnd and ssthresh.
 *
 * Units: cwnd, ssthresh, FlightSize (`inFlight`) and SMSS (`mss`) are bytes; times are ms.
 *
 * Choices where the RFCs leave one:
 *  - Slow start: RFC 5681 §3.1 eq. (2), cwnd += min(N, L), with the ABC limit L = 1·SMSS by default
 *    (the standard); `abcLimit: 2` gives RFC 3465's experimental L = 2·SMSS, which makes slow start
 *    double per RTT under delayed ACKs. L is 1·SMSS in the slow start that follows an RTO either way
 *    (RFC 3465 §2.3).
 *  - Congestion avoidance: RFC 5681 §3.1 byte counting (the RECOMMENDED way): +1 SMSS once the bytes
 *    acknowledged since the last increase reach cwnd. This is eq. (3)'s 1 SMSS per RTT, exact under
 *    delayed ACKs and ACK division.
 *  - Slow start while cwnd < ssthresh, congestion avoidance when cwnd ≥ ssthresh (RFC 5681 §3.1
 *    allows either at equality).
 *  - Recovery: pipe-based, no cwnd inflation; cwnd = ssthresh from the start of the episode.
 *  - End of recovery: RFC 6582 §3.2 step 3 option (1), cwnd = min(ssthresh, max(FlightSize, SMSS) +
 *    SMSS), which avoids a burst when little is outstanding; `recoveryEnd: 'ssthresh'` is option (2).
 */
import {
  initialWindow,
  RULE_IDLE_RESTART,
  RULE_IW,
  RULE_LOSS,
  RULE_RECOVERY_END_FLIGHT,
  RULE_RECOVERY_END_SSTHRESH,
  RULE_RTO,
  RULE_RTO_AGAIN,
  RULE_CA_GROWTH,
  RULE_SS_END,
  RULE_SS_GROWTH,
  RULE_UNDO_RENO,
  type AckSample,
  type CongestionControl,
} from '../congestion.js';

export interface NewRenoOptions {
  /** RFC 3465 byte-counting limit L in SMSS per ACK during slow start: 1 (RFC 5681, default) or 2. */
  abcLimit?: 1 | 2;
  /** RFC 6582 §3.2 step 3: 'flightsize' = option (1) (default), 'ssthresh' = option (2). */
  recoveryEnd?: 'flightsize' | 'ssthresh';
}

/** The state that an undo (spurious congestion event) restores. */
interface NewRenoUndo {
  cwnd: number;
  ssthresh: number;
  caAcked: number;
  afterRto: boolean;
}

export class NewReno implements CongestionControl {
  readonly name = 'newreno';
  private _cwnd: number;
  private _ssthresh = Infinity;
  /** The rule of the latest change (see {@link CongestionControl.rule}). */
  rule: string = RULE_IW;
  /** Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 §3.1 byte counting). */
  private caAcked = 0;
  /** In the slow start that follows an RTO: ABC uses L = 1·SMSS (RFC 3465 §2.3). */
  private afterRto = false;
  /** An RTO fired and no new data has been acknowledged since: a further RTO is a backoff. */
  private rtoBackoff = false;
  /** Between onCongestionEvent and onRecoveryEnd (an RTO ends the fast-recovery episode). */
  private inFastRecovery = false;
  private undo: NewRenoUndo | undefined;
  private readonly abcLimit: 1 | 2;
  private readonly recoveryEndRule: 'flightsize' | 'ssthresh';
  private readonly initialWindowSegments: number;

  constructor(mss: number, initialWindowSegments = 10, options: NewRenoOptions = {}) {
    this.initialWindowSegments = initialWindowSegments;
    // RFC 5681 §3.1 / RFC 6928: cwnd starts at IW; ssthresh arbitrarily high.
    this._cwnd = initialWindow(mss, initialWindowSegments);
    this.abcLimit = options.abcLimit ?? 1;
    this.recoveryEndRule = options.recoveryEnd ?? 'flightsize';
  }

  get cwnd(): number {
    return this._cwnd;
  }

  get ssthresh(): number {
    return this._ssthresh;
  }

  onAck(s: AckSample): void {
    if (s.acked > 0) this.rtoBackoff = false;
    // RFC 5681 §3.2 / RFC 6675 §5: no growth in recovery; RFC 7661 §4.2: none unless cwnd-limited.
    if (s.inRecovery || !s.cwndLimited || s.acked <= 0) return;
    if (this._cwnd < this._ssthresh) {
      // RFC 5681 §3.1 eq. (2): cwnd += min(N, SMSS); RFC 3465 §2.2 allows L = 2·SMSS.
      const limit = (this.afterRto ? 1 : this.abcLimit) * s.mss;
      this._cwnd += Math.min(s.acked, limit);
      this.rule = this._cwnd >= this._ssthresh ? RULE_SS_END : RULE_SS_GROWTH;
    } else {
      this.afterRto = false;
      // RFC 5681 §3.1 byte counting: +SMSS when the bytes acknowledged reach cwnd (≤ 1 SMSS per RTT).
      this.caAcked += s.acked;
      if (this.caAcked >= this._cwnd) {
        this.rule = RULE_CA_GROWTH;
        this.caAcked -= this._cwnd;
        this._cwnd += s.mss;
      }
    }
  }

  onCongestionEvent(_now: number, inFlight: number, mss: number): void {
    this.undo = this.snapshot();
    // RFC 5681 §3.2 step 2 eq. (4): ssthresh = max(FlightSize / 2, 2·SMSS); RFC 6675 §5 step 4.2:
    // cwnd = ssthresh (pipe-based recovery, no inflation).
    this._ssthresh = Math.max(Math.floor(inFlight / 2), 2 * mss);
    this._cwnd = this._ssthresh;
    this.caAcked = 0;
    this.inFastRecovery = true;
    this.rule = RULE_LOSS;
  }

  onRetransmitTimeout(_now: number, inFlight: number, mss: number): void {
    // RFC 5681 §3.1 eq. (4): ssthresh = max(FlightSize / 2, 2·SMSS) on the first retransmission of a
    // segment, held on later ones (backed-off timeouts, or an RTO for a segment that fast recovery
    // already retransmitted, whose episode already set ssthresh). The undo state stays the one from
    // before the first reduction.
    if (!this.rtoBackoff && !this.inFastRecovery) {
      this.undo = this.snapshot();
      this._ssthresh = Math.max(Math.floor(inFlight / 2), 2 * mss);
      this.rule = RULE_RTO;
    } else {
      this.rule = RULE_RTO_AGAIN;
    }
    // RFC 5681 §3.1: cwnd = LW = 1 SMSS.
    this._cwnd = mss;
    this.caAcked = 0;
    this.rtoBackoff = true;
    this.afterRto = true;
    this.inFastRecovery = false;
  }

  onRecoveryEnd(_now: number, inFlight: number, mss: number): void {
    // Only a fast-recovery episode is deflated; after an RTO, slow start is already in charge.
    if (!this.inFastRecovery) return;
    this.inFastRecovery = false;
    // RFC 6582 §3.2 step 3 (full acknowledgment): option (1) min(ssthresh, max(FlightSize, SMSS) + SMSS)
    // with FlightSize the data still outstanding, or option (2) ssthresh.
    this._cwnd =
      this.recoveryEndRule === 'flightsize'
        ? Math.min(this._ssthresh, Math.max(inFlight, mss) + mss)
        : this._ssthresh;
    this.caAcked = 0;
    this.rule = this.recoveryEndRule === 'flightsize' ? RULE_RECOVERY_END_FLIGHT : RULE_RECOVERY_END_SSTHRESH;
  }

  onSpuriousCongestionEvent(_now: number): void {
    // Undo (RFC 4015 / RFC 9438 §4.9 applied to Reno): restore the state from before the last
    // reduction if cwnd is still below it; otherwise keep the current values.
    const u = this.undo;
    if (u === undefined) return;
    this.undo = undefined;
    if (this._cwnd >= u.cwnd) return;
    this._cwnd = u.cwnd;
    this._ssthresh = u.ssthresh;
    this.caAcked = u.caAcked;
    this.afterRto = u.afterRto;
    this.rtoBackoff = false;
    this.inFastRecovery = false;
    this.rule = RULE_UNDO_RENO;
  }

  onIdleRestart(_now: number, idle: number, rto: number, mss: number): void {
    // RFC 5681 §4.1: after an idle period longer than the RTO, cwnd = RW = min(IW, cwnd).
    if (idle > rto) {
      this._cwnd = Math.min(this._cwnd, initialWindow(mss, this.initialWindowSegments));
      this.caAcked = 0;
      this.rule = RULE_IDLE_RESTART;
    }
  }

  private snapshot(): NewRenoUndo {
    return { cwnd: this._cwnd, ssthresh: this._ssthresh, caAcked: this.caAcked, afterRto: this.afterRto };
  }
}
