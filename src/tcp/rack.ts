import type { Scoreboard, SentSegment } from './scoreboard.js';
import { seqGt, seqLt } from './seq.js';

/**
 * RACK (RFC 8985 §6): a segment is lost once a segment sent after it has been delivered and more than
 * RTT + reordering window has passed since it was sent. This holds the RACK variables of §6.1.
 */
export class RackState {
  /**
   * RACK.xmit_ts and, for RACK.end_seq's role of ordering segments sent at the same time, the send
   * order of the most recently sent segment known delivered (see {@link sentAfter}).
   */
  xmitAt = -Infinity;
  xmitOrder = 0;
  /** RACK.rtt: RTT of that segment. */
  rtt = 0;
  /** RACK.fack: highest end sequence number delivered. */
  fack: number | undefined;
  /** RACK.reordering_seen. */
  reorderingSeen = false;
  /** RACK.reo_wnd_mult (RFC 8985 §6.2 step 4, adapted by D-SACK). */
  reoWndMult = 1;

  /**
   * RFC 8985 §6.2 steps 2–3 for one newly delivered (cumulatively ACKed or SACKed) segment.
   * `ambiguous` is true for a retransmitted segment whose ACK cannot be tied to one transmission.
   */
  onDelivered(s: SentSegment, now: number, ambiguous: boolean): void {
    if (this.fack !== undefined && seqLt(s.end, this.fack) && s.retransmits === 0) this.reorderingSeen = true;
    if (this.fack === undefined || seqGt(s.end, this.fack)) this.fack = s.end;
    if (ambiguous) return;
    if (sentAfter(s.xmitAt, s.xmitOrder, this.xmitAt, this.xmitOrder)) {
      this.rtt = now - s.xmitAt;
      this.xmitAt = s.xmitAt;
      this.xmitOrder = s.xmitOrder;
    }
  }

  /** RFC 8985 §6.2 step 4: the reordering window. */
  reoWnd(minRtt: number | undefined, srtt: number | undefined, inRecovery: boolean, sackedSegments: number): number {
    if (!this.reorderingSeen && (inRecovery || sackedSegments >= 3)) return 0;
    if (minRtt === undefined) return 0;
    return Math.min((this.reoWndMult * minRtt) / 4, srtt ?? Infinity);
  }

  /**
   * RFC 8985 §6.2 step 5: mark lost every outstanding segment sent before the RACK segment and older
   * than RACK.rtt + reo_wnd. Returns the time still to wait for the next candidate (0 if none), and
   * calls `onLost` for each newly lost segment.
   */
  detectLoss(board: Scoreboard, now: number, reoWnd: number, onLost: (s: SentSegment) => void): number {
    if (this.xmitAt === -Infinity) return 0;
    let timeout = 0;
    for (let i = 0; i < board.length; i++) {
      const s = board.at(i)!;
      if (s.sacked || (s.lost && !s.rtxInFlight)) continue;
      if (!sentAfter(this.xmitAt, this.xmitOrder, s.xmitAt, s.xmitOrder)) {
        // Never-retransmitted segments were sent in sequence order, and a retransmission is later than
        // its original: everything from here on was sent after the RACK segment.
        if (s.retransmits === 0) break;
        continue;
      }
      const remaining = s.xmitAt + this.rtt + reoWnd - now;
      if (remaining <= 0) onLost(s);
      else timeout = Math.max(timeout, remaining);
    }
    return timeout;
  }

  /** RFC 8985 §6.2 step 4: a D-SACK suggests the reordering window is too small. */
  onDsack(): void {
    this.reorderingSeen = true;
    this.reoWndMult = Math.min(this.reoWndMult + 1, 16);
  }

  reset(): void {
    this.xmitAt = -Infinity;
    this.xmitOrder = 0;
    this.rtt = 0;
    this.fack = undefined;
  }
}

/**
 * RACK_sent_after (RFC 8985 §6.2): was the transmission (t1, order1) after (t2, order2)? The RFC
 * breaks a tie of timestamps with the end sequence numbers, which orders new data but not a
 * retransmission sent in the same clock tick as later data: with zero RTT every ACK would deem that
 * retransmission lost again. The send order is exact for both.
 */
function sentAfter(t1: number, order1: number, t2: number, order2: number): boolean {
  return t1 > t2 || (t1 === t2 && order1 > order2);
}
