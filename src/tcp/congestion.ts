/**
 * The congestion controller's contract. The engine owns loss detection and recovery (SACK scoreboard,
 * RFC 6675, NewReno, RACK-TLP); a controller only decides cwnd and ssthresh from what the engine tells
 * it. NewReno (RFC 5681/6582) and CUBIC (RFC 9438) implement it in `src/tcp/cc/`.
 */

/** What the engine tells a controller about one arriving acknowledgment that acknowledged new data. */
export interface AckSample {
  now: number;
  /** Bytes newly acknowledged (cumulatively, plus newly SACKed bytes). */
  acked: number;
  /** Bytes in flight (RFC 6675 "pipe") before this ACK. */
  inFlight: number;
  /** Sender MSS (SMSS) in bytes. */
  mss: number;
  /** Smoothed RTT in ms, once known. */
  srtt: number | undefined;
  /** RTT measured from this ACK, if any. */
  rtt: number | undefined;
  /** Smallest RTT seen on the connection, if any. */
  minRtt: number | undefined;
  /**
   * The sender was limited by cwnd when this data was sent (RFC 7661 §4.2: do not grow cwnd while the
   * application or the peer's window, not cwnd, limits sending).
   */
  cwndLimited: boolean;
  /** The connection is in loss recovery: cwnd must not grow (RFC 5681 §3.2, RFC 6675 §5). */
  inRecovery: boolean;
}

export interface CongestionControl {
  /** 'newreno', 'cubic', … as shown in stats. */
  readonly name: string;
  /** Congestion window in bytes. */
  readonly cwnd: number;
  /** Slow-start threshold in bytes (Infinity until the first congestion event). */
  readonly ssthresh: number;
  /**
   * The RFC rule (RFC, section, short phrase) behind the controller's latest change of cwnd or
   * ssthresh other than growth within a phase: set where the change is made, read by the engine's
   * congestion trace events. A constant string, so keeping it costs nothing while nobody traces.
   * Optional for custom controllers (the engine then names the call that caused the change).
   */
  readonly rule?: string;
  /** New data was acknowledged. */
  onAck(sample: AckSample): void;
  /**
   * Loss detected by duplicate ACKs, SACK or RACK: the start of a recovery episode (RFC 5681 §3.2
   * step 2, RFC 6675 §5 step 4, RFC 9438 §4.6). Sets ssthresh and cwnd for recovery.
   */
  onCongestionEvent(now: number, inFlight: number, mss: number): void;
  /** The retransmission timer expired (RFC 5681 §3.1 eq. 4, cwnd = 1 SMSS; RFC 9438 §4.8). */
  onRetransmitTimeout(now: number, inFlight: number, mss: number): void;
  /** The recovery episode ended: the ACK covered `recover` (RFC 6582 §3.2 step 3, RFC 6675 §5). */
  onRecoveryEnd(now: number, inFlight: number, mss: number): void;
  /** The last congestion event proved spurious (timestamps or D-SACK): undo it (RFC 9438 §4.9). */
  onSpuriousCongestionEvent(now: number): void;
  /** Sending resumes after `idle` ms with nothing in flight (RFC 5681 §4.1 restart window, RFC 9438 §5.8). */
  onIdleRestart(now: number, idle: number, rto: number, mss: number): void;
}

// Rules of the RFC 5681 responses, shared by the Reno-style controllers (traced with each change).
/** cwnd starts at IW. */
export const RULE_IW = 'RFC 5681 §3.1 — initial window: cwnd = IW (RFC 6928 §2: min(10·SMSS, max(2·SMSS, 14600)))';
/** Slow start reached ssthresh. */
/** Growth within a phase (traced per ACK as `growth`). */
export const RULE_SS_GROWTH = 'RFC 5681 §3.1 — slow start: cwnd += min(N, SMSS) per ACK (RFC 3465 §2.2: L = 2·SMSS)';
export const RULE_CA_GROWTH = 'RFC 5681 §3.1 — congestion avoidance: cwnd += SMSS once a window of data is acknowledged (byte counting)';
export const RULE_SS_END = 'RFC 5681 §3.1 — cwnd reached ssthresh: slow start ends, congestion avoidance (+1 SMSS per RTT)';
/** The start of a fast-recovery episode. */
export const RULE_LOSS = 'RFC 5681 §3.2 — loss detected: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = ssthresh (RFC 6675 §5 step 4.2)';
/** The first retransmission timeout of a segment. */
export const RULE_RTO = 'RFC 5681 §3.1 — retransmission timeout: ssthresh = max(FlightSize/2, 2·SMSS) (eq. 4), cwnd = LW = 1 SMSS';
/** A backed-off timeout, or one within a fast-recovery episode: ssthresh stays. */
export const RULE_RTO_AGAIN = 'RFC 5681 §3.1 — timeout again for the same data: ssthresh kept, cwnd = LW = 1 SMSS';
/** RFC 6582 §3.2 step 3, option (1). */
export const RULE_RECOVERY_END_FLIGHT = 'RFC 6582 §3.2 — full ACK ends fast recovery: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) (step 3, option 1)';
/** RFC 6582 §3.2 step 3, option (2). */
export const RULE_RECOVERY_END_SSTHRESH = 'RFC 6582 §3.2 — full ACK ends fast recovery: cwnd = ssthresh (step 3, option 2)';
/** Restart after idle. */
export const RULE_IDLE_RESTART = 'RFC 5681 §4.1 — idle for longer than the RTO: cwnd = RW = min(IW, cwnd)';
/** Undo of a reduction found spurious (timestamps or D-SACK). */
export const RULE_UNDO_RENO = 'RFC 9438 §4.9 (applied to Reno) / RFC 3522 — the congestion event was spurious: cwnd and ssthresh restored';

/** RFC 6928 §2: IW = min(N·MSS, max(2·MSS, 14600)) for N = 10; the same formula for other N. */
export function initialWindow(mss: number, segments: number): number {
  return Math.min(segments * mss, Math.max(2 * mss, 14600));
}

/**
 * The foundation's controller: RFC 5681 slow start and congestion avoidance with the RTO and
 * fast-retransmit responses. Kept as a minimal reference; NewReno and CUBIC live in `src/tcp/cc/`.
 */
export class RenoSlowStart implements CongestionControl {
  readonly name = 'reno';
  cwnd: number;
  ssthresh = Infinity;
  rule: string = RULE_IW;
  private caAcked = 0;

  constructor(mss: number, initialWindowSegments: number) {
    this.cwnd = initialWindow(mss, initialWindowSegments);
  }

  onAck(s: AckSample): void {
    if (s.inRecovery || !s.cwndLimited) return;
    if (this.cwnd < this.ssthresh) {
      // RFC 5681 §3.1: slow start, cwnd += min(N, SMSS).
      this.cwnd += Math.min(s.acked, s.mss);
      this.rule = this.cwnd >= this.ssthresh ? RULE_SS_END : RULE_SS_GROWTH;
    } else {
      // RFC 5681 §3.1: congestion avoidance, about one SMSS per RTT (byte counting).
      this.caAcked += s.acked;
      if (this.caAcked >= this.cwnd) {
        this.caAcked -= this.cwnd;
        this.cwnd += s.mss;
        this.rule = RULE_CA_GROWTH;
      }
    }
  }

  onCongestionEvent(_now: number, inFlight: number, mss: number): void {
    // RFC 5681 §3.2 step 2: ssthresh = max(FlightSize / 2, 2*SMSS).
    this.ssthresh = Math.max(Math.floor(inFlight / 2), 2 * mss);
    this.cwnd = this.ssthresh;
    this.caAcked = 0;
    this.rule = RULE_LOSS;
  }

  onRetransmitTimeout(_now: number, inFlight: number, mss: number): void {
    // RFC 5681 §3.1 eq. (4) and LW = 1 SMSS.
    this.ssthresh = Math.max(Math.floor(inFlight / 2), 2 * mss);
    this.cwnd = mss;
    this.caAcked = 0;
    this.rule = RULE_RTO;
  }

  onRecoveryEnd(): void {
    this.cwnd = this.ssthresh;
    this.rule = RULE_RECOVERY_END_SSTHRESH;
  }

  onSpuriousCongestionEvent(): void {}

  onIdleRestart(_now: number, idle: number, rto: number, mss: number): void {
    // RFC 5681 §4.1: RW = min(IW, cwnd) after an idle period longer than the RTO.
    if (idle > rto) {
      this.cwnd = Math.min(this.cwnd, initialWindow(mss, 10));
      this.rule = RULE_IDLE_RESTART;
    }
  }
}
