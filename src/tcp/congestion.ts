/**
 * The congestion controller's contract. The engine asks it for cwnd and tells it of ACKs and
 * timeouts; NewReno and CUBIC (RFC 6582, RFC 9438) plug in here. {@link RenoSlowStart} is the
 * foundation's controller: RFC 5681 slow start and congestion avoidance, with the RTO response.
 */
export interface CongestionControl {
  /** Congestion window in bytes. */
  readonly cwnd: number;
  /** Slow-start threshold in bytes (Infinity until the first loss). */
  readonly ssthresh: number;
  /** `acked` new bytes were cumulatively acknowledged at `now`. */
  onAck(acked: number, mss: number, now: number): void;
  /** The retransmission timer expired with `flight` bytes outstanding. */
  onRetransmitTimeout(flight: number, mss: number, now: number): void;
}

export class RenoSlowStart implements CongestionControl {
  cwnd: number;
  ssthresh = Infinity;
  private caAcked = 0;

  constructor(mss: number, initialWindowSegments: number) {
    // RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)) for 10 segments; generalised here.
    this.cwnd = Math.min(initialWindowSegments * mss, Math.max(2 * mss, 14600));
  }

  onAck(acked: number, mss: number): void {
    if (this.cwnd < this.ssthresh) {
      // RFC 5681 §3.1: slow start, cwnd += min(N, SMSS).
      this.cwnd += Math.min(acked, mss);
    } else {
      // RFC 5681 §3.1: congestion avoidance, about one SMSS per RTT (byte counting).
      this.caAcked += acked;
      if (this.caAcked >= this.cwnd) {
        this.caAcked -= this.cwnd;
        this.cwnd += mss;
      }
    }
  }

  onRetransmitTimeout(flight: number, mss: number): void {
    // RFC 5681 §3.1 eq. (4) and LW = 1 SMSS.
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * mss);
    this.cwnd = mss;
    this.caAcked = 0;
  }
}
