import type { SackBlock } from '../wire/types.js';
import { seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';

/** One transmitted, not yet cumulatively acknowledged segment (data and/or our FIN). */
export interface SentSegment {
  start: number;
  /** One past the last sequence number (a FIN counts one). */
  end: number;
  /** Time of the latest (re)transmission, for RTT samples and RACK (RFC 8985 §6.1). */
  xmitAt: number;
  /**
   * Place of the latest (re)transmission in the connection's send order: RACK's tie-break between
   * segments sent in the same millisecond (RFC 8985 §6.2 RACK_sent_after).
   */
  xmitOrder: number;
  /** TSval carried by the latest transmission (RFC 7323), to recognise spurious retransmissions. */
  tsVal: number;
  retransmits: number;
  sacked: boolean;
  /** Deemed lost (RFC 6675 IsLost, RACK, dupacks, or RTO). */
  lost: boolean;
  /** Retransmitted after being deemed lost, and not yet known delivered: counts in pipe again. */
  rtxInFlight: boolean;
  fin: boolean;
}

/**
 * The retransmission queue and SACK scoreboard (RFC 6675 §3, RFC 2018 §5): every sent segment not yet
 * cumulatively acknowledged, in sequence order, with SACKed / lost / retransmitted marks. Byte counters
 * are kept incrementally so RFC 6675's pipe is O(1):
 *   pipe = flight − SACKed − lost + retransmitted-lost-in-flight
 */
export class Scoreboard {
  private segs: SentSegment[] = [];
  private head = 0;
  sackedBytes = 0;
  lostBytes = 0;
  rtxBytes = 0;
  /** Segments SACKed (for RFC 6675's DupThresh count). */
  sackedSegments = 0;
  /** Highest sequence number SACKed so far (exclusive end), if any. */
  highSacked: number | undefined;

  get length(): number {
    return this.segs.length - this.head;
  }

  get isEmpty(): boolean {
    return this.head >= this.segs.length;
  }

  /** i-th outstanding segment, lowest first. */
  at(i: number): SentSegment | undefined {
    return this.segs[this.head + i];
  }

  first(): SentSegment | undefined {
    return this.segs[this.head];
  }

  last(): SentSegment | undefined {
    return this.head < this.segs.length ? this.segs[this.segs.length - 1] : undefined;
  }

  push(seg: SentSegment): void {
    this.segs.push(seg);
  }

  /** RFC 6675 pipe for a flight of `flight` bytes (SND.NXT − SND.UNA). */
  pipe(flight: number): number {
    return Math.max(0, flight - this.sackedBytes - this.lostBytes + this.rtxBytes);
  }

  /**
   * Remove segments wholly below `ack`; a segment straddling it is trimmed. Calls `onAcked` for each
   * segment (or part) that leaves the queue, so RTT and RACK can look at it.
   */
  ackTo(ack: number, onAcked: (s: SentSegment) => void): void {
    while (this.head < this.segs.length) {
      const s = this.segs[this.head]!;
      if (seqLe(s.end, ack)) {
        this.forget(s);
        onAcked(s);
        this.head++;
        continue;
      }
      if (seqLt(s.start, ack)) {
        // Partly acknowledged (the peer trimmed, or our segmentation changed): keep the rest.
        const n = seqDiff(ack, s.start);
        this.adjust(s, -n);
        s.start = ack;
      }
      break;
    }
    if (this.head > 1024 || this.head === this.segs.length) {
      this.segs = this.segs.slice(this.head);
      this.head = 0;
    }
    if (this.highSacked !== undefined && seqLe(this.highSacked, ack)) this.highSacked = undefined;
  }

  /**
   * Mark what `blocks` cover as SACKed (RFC 2018 §5). Returns the bytes newly SACKed; `onSacked` sees
   * each newly SACKed segment. Segments partly covered are split so marks stay exact.
   */
  sack(blocks: readonly SackBlock[], cumAck: number, onSacked: (s: SentSegment) => void): number {
    let newly = 0;
    // Lowest block first, so `onSacked` sees segments in ascending order (RFC 8985 §6.2 step 3 needs it:
    // the receiver puts the most recent block first, RFC 2018 §4, which is not the lowest).
    const ordered = blocks.length > 1 ? [...blocks].sort((x, y) => seqDiff(x.left, y.left)) : blocks;
    for (const b of ordered) {
      if (seqLe(b.right, cumAck) || !seqLt(b.left, b.right)) continue;
      // Binary search for the first segment ending after b.left.
      let lo = this.head;
      let hi = this.segs.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (seqLe(this.segs[mid]!.end, b.left)) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < this.segs.length; i++) {
        let s = this.segs[i]!;
        if (seqGe(s.start, b.right)) break;
        if (s.sacked) continue;
        if (seqLt(s.start, b.left)) {
          this.split(i, b.left);
          continue; // the upper half is at i+1 now
        }
        if (seqGt(s.end, b.right)) {
          this.split(i, b.right);
          s = this.segs[i]!;
        }
        this.forget(s);
        s.sacked = true;
        this.sackedBytes += seqDiff(s.end, s.start);
        this.sackedSegments++;
        newly += seqDiff(s.end, s.start);
        if (this.highSacked === undefined || seqGt(s.end, this.highSacked)) this.highSacked = s.end;
        onSacked(s);
      }
    }
    return newly;
  }

  /**
   * RFC 6675 §4 IsLost: a segment is lost once DupThresh segments, or more than (DupThresh−1)·SMSS
   * bytes, above it have been SACKed. Marks such segments; returns the bytes newly marked.
   */
  markLostBySack(dupThresh: number, mss: number): number {
    if (this.highSacked === undefined) return 0;
    let sackedAbove = 0;
    let sackedSegsAbove = 0;
    let newly = 0;
    for (let i = this.segs.length - 1; i >= this.head; i--) {
      const s = this.segs[i]!;
      if (s.sacked) {
        sackedAbove += seqDiff(s.end, s.start);
        sackedSegsAbove++;
        continue;
      }
      if (sackedSegsAbove === 0) continue;
      if (s.lost) {
        // Everything below an already-lost segment was examined with at least as much SACK above it.
        if (!s.rtxInFlight) break;
        continue;
      }
      if (sackedSegsAbove >= dupThresh || sackedAbove > (dupThresh - 1) * mss) newly += this.markLost(s);
    }
    return newly;
  }

  /** Mark one segment lost (NewReno's "retransmit the first unacknowledged segment", RACK). */
  markLost(s: SentSegment): number {
    if (s.sacked) return 0;
    const len = seqDiff(s.end, s.start);
    if (s.rtxInFlight) {
      s.rtxInFlight = false; // the retransmission too is gone
      this.rtxBytes -= len;
      return len;
    }
    if (s.lost) return 0;
    s.lost = true;
    this.lostBytes += len;
    return len;
  }

  /** RFC 6675 §5.1 / RFC 5681 §3.1: after an RTO every unSACKed segment is deemed lost. */
  markAllLost(): void {
    for (let i = this.head; i < this.segs.length; i++) this.markLost(this.segs[i]!);
  }

  /**
   * RFC 1191 §6.4 / RFC 8201 §5.4: the path MTU dropped, so every unSACKed segment carrying more than
   * `maxData` bytes was dropped on the way: mark it lost. Returns the bytes newly marked.
   */
  markLostLargerThan(maxData: number): number {
    let newly = 0;
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (!s.sacked && seqDiff(s.end, s.start) - (s.fin ? 1 : 0) > maxData) newly += this.markLost(s);
    }
    return newly;
  }

  /** Split outstanding segment `s` at sequence number `at` (strictly inside it); both parts keep its marks. */
  splitSegment(s: SentSegment, at: number): void {
    let lo = this.head;
    let hi = this.segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqLt(this.segs[mid]!.start, s.start)) lo = mid + 1;
      else hi = mid;
    }
    if (this.segs[lo] !== s || !seqLt(s.start, at) || !seqLt(at, s.end)) throw new RangeError('Scoreboard.splitSegment: bad segment or split point');
    this.split(lo, at);
  }

  /** The loss marks were wrong (a spurious RTO): segments not yet resent count as in flight again. */
  unmarkLost(): void {
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.lost && !s.rtxInFlight) {
        s.lost = false;
        this.lostBytes -= seqDiff(s.end, s.start);
      }
    }
  }

  /** NextSeg rule 1 (RFC 6675 §4): the lowest lost segment not yet retransmitted. */
  firstToRetransmit(): SentSegment | undefined {
    // Every lost segment retransmitted already (rtxInFlight implies lost): nothing to scan for.
    if (this.lostBytes - this.rtxBytes <= 0) return undefined;
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.lost && !s.rtxInFlight && !s.sacked) return s;
    }
    return undefined;
  }

  /** Record a retransmission of `s` at `now`, the `order`-th transmission of the connection. */
  retransmitted(s: SentSegment, now: number, tsVal: number, order: number): void {
    s.xmitAt = now;
    s.xmitOrder = order;
    s.tsVal = tsVal;
    s.retransmits++;
    if (s.lost && !s.rtxInFlight) {
      s.rtxInFlight = true;
      this.rtxBytes += seqDiff(s.end, s.start);
    }
  }

  /** Forget every SACK mark (RFC 2018 §8: the receiver may renege). */
  clearSacks(): void {
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.sacked) s.sacked = false;
    }
    this.sackedBytes = 0;
    this.sackedSegments = 0;
    this.highSacked = undefined;
  }

  /** Empty the queue (ABORT, RST). */
  clear(): void {
    this.segs = [];
    this.head = 0;
    this.sackedBytes = 0;
    this.lostBytes = 0;
    this.rtxBytes = 0;
    this.sackedSegments = 0;
    this.highSacked = undefined;
  }

  /** Take `s` out of every counter (it was acknowledged or SACKed). */
  private forget(s: SentSegment): void {
    const len = seqDiff(s.end, s.start);
    if (s.sacked) {
      this.sackedBytes -= len;
      this.sackedSegments--;
    }
    if (s.lost) this.lostBytes -= len;
    if (s.rtxInFlight) this.rtxBytes -= len;
    s.lost = false;
    s.rtxInFlight = false;
  }

  /** Change the length of `s` by `delta` in every counter it is part of. */
  private adjust(s: SentSegment, delta: number): void {
    if (s.sacked) this.sackedBytes += delta;
    if (s.lost) this.lostBytes += delta;
    if (s.rtxInFlight) this.rtxBytes += delta;
  }

  /** Split segment i at sequence number `at` (strictly inside it). */
  private split(i: number, at: number): void {
    const s = this.segs[i]!;
    const upper: SentSegment = { ...s, start: at };
    s.end = at;
    if (s.fin) s.fin = false; // the FIN is the last sequence number: it stays with the upper part
    this.segs.splice(i + 1, 0, upper);
    if (s.sacked) this.sackedSegments++;
  }
}
