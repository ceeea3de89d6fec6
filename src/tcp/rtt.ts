/**
 * The retransmission timer of RFC 6298: SRTT/RTTVAR smoothing, RTO bounds and exponential backoff.
 * Karn's rule (RFC 6298 §3) is applied by the caller, which only feeds samples of segments that were
 * never retransmitted.
 */
export class RttEstimator {
  srtt: number | undefined;
  rttvar = 0;
  /** Current RTO, before backoff. */
  private baseRto: number;
  /** Number of consecutive backoffs (RFC 6298 §5 (5.5)). */
  backoff = 0;

  constructor(
    private readonly minRto: number,
    private readonly maxRto: number,
    initialRto: number,
  ) {
    this.baseRto = initialRto; // RFC 6298 §2 (2.1)
  }

  /** The RTO to arm now, including backoff and clamped to [minRto, maxRto]. */
  get rto(): number {
    return Math.min(this.maxRto, Math.max(this.minRto, this.baseRto) * 2 ** this.backoff);
  }

  /** Feed one RTT measurement R (ms). */
  sample(r: number): void {
    if (this.srtt === undefined) {
      // RFC 6298 §2 (2.2): first measurement.
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // RFC 6298 §2 (2.3): alpha = 1/8, beta = 1/4.
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // RFC 6298 §2 (2.3): RTO = SRTT + max(G, K*RTTVAR), with clock granularity G taken as 1 ms.
    this.baseRto = this.srtt + Math.max(1, 4 * this.rttvar);
    this.backoff = 0;
  }

  /** RFC 6298 §5 (5.5): back off the timer after it expires. */
  backOff(): void {
    if (this.rto < this.maxRto) this.backoff++;
  }

  /** RFC 6298 §5 (5.7): after a SYN retransmission the RTO starts data transfer at 3 s. */
  resetTo(rto: number): void {
    if (this.srtt === undefined) this.baseRto = rto;
    this.backoff = 0;
  }
}
