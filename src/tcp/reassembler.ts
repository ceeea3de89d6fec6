import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq.js';

interface Piece {
  seq: number;
  data: Uint8Array;
}

/**
 * Out-of-order segments held until the hole before them fills (RFC 9293 §3.10.7.4: "Segments with
 * higher beginning sequence numbers SHOULD be held for later processing"). Pieces never overlap:
 * overlapping arrivals keep the bytes already held and add only the new ones. A FIN that arrived
 * early is remembered by its sequence number.
 */
export class Reassembler {
  /** Sorted by seq, disjoint. */
  private pieces: Piece[] = [];
  private held = 0;
  /** Sequence number of a FIN seen beyond RCV.NXT, if any. */
  finSeq: number | undefined;

  /** Bytes held out of order. */
  get length(): number {
    return this.held;
  }

  get isEmpty(): boolean {
    return this.pieces.length === 0;
  }

  /** Hold `data` starting at `seq` (which must be after RCV.NXT); duplicates of held bytes are dropped. */
  insert(seq: number, data: Uint8Array): void {
    let s = seq;
    let d = data;
    // First piece that ends after s (binary search: pieces are sorted and disjoint).
    let lo = 0;
    let hi = this.pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.pieces[mid]!;
      if (seqLe(seqAdd(p.seq, p.data.length), s)) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    while (d.length > 0) {
      const p = this.pieces[i];
      if (p === undefined || seqLe(seqAdd(s, d.length), p.seq)) {
        this.pieces.splice(i, 0, { seq: s, data: d });
        this.added(s, d.length);
        break;
      }
      if (seqLt(s, p.seq)) {
        const n = seqDiff(p.seq, s);
        this.pieces.splice(i, 0, { seq: s, data: d.subarray(0, n) });
        this.added(s, n);
        i++;
      }
      // Skip the part covered by p.
      const pEnd = seqAdd(p.seq, p.data.length);
      if (seqLe(seqAdd(s, d.length), pEnd)) break;
      const skip = seqDiff(pEnd, s);
      d = d.subarray(skip);
      s = pEnd;
      i++;
    }
  }

  /**
   * Remove and return the pieces that start at `rcvNxt` and run contiguously from it, in order.
   * Pieces wholly before `rcvNxt` are discarded; a piece straddling it is trimmed.
   */
  take(rcvNxt: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let next = rcvNxt;
    let n = 0;
    for (; n < this.pieces.length; n++) {
      const p = this.pieces[n]!;
      const end = seqAdd(p.seq, p.data.length);
      this.held -= p.data.length;
      if (seqLe(end, next)) continue;
      if (seqGt(p.seq, next)) {
        this.held += p.data.length;
        break;
      }
      const skip = seqDiff(next, p.seq);
      out.push(skip > 0 ? p.data.subarray(skip) : p.data);
      next = end;
    }
    if (n > 0) this.pieces.splice(0, n);
    // Drop the spans now at or below RCV.NXT.
    let k = 0;
    while (k < this.spans.length && seqLe(this.spans[k]!.right, next)) k++;
    if (k > 0) this.spans.splice(0, k);
    return out;
  }

  /** Number of disjoint held ranges. */
  get rangeCount(): number {
    return this.spans.length;
  }

  /** Held ranges as [left, right) pairs, lowest first (for SACK blocks and stats). Do not modify. */
  ranges(): ReadonlyArray<{ readonly left: number; readonly right: number }> {
    return this.spans;
  }

  clear(): void {
    this.pieces = [];
    this.spans = [];
    this.held = 0;
    this.finSeq = undefined;
  }

  /** Merged ranges, kept up to date on insert and take. */
  private spans: Array<{ left: number; right: number }> = [];

  /** Account for a new piece [s, s+len): bytes held and the merged ranges. */
  private added(s: number, len: number): void {
    this.held += len;
    const e = seqAdd(s, len);
    const spans = this.spans;
    // First span whose right edge reaches s.
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqLt(spans[mid]!.right, s)) lo = mid + 1;
      else hi = mid;
    }
    const cur = spans[lo];
    if (cur === undefined || seqLt(e, cur.left)) {
      spans.splice(lo, 0, { left: s, right: e });
      return;
    }
    // Touches or overlaps spans[lo]: widen it, then swallow the following spans it now reaches.
    if (seqLt(s, cur.left)) cur.left = s;
    if (seqGt(e, cur.right)) cur.right = e;
    let j = lo + 1;
    while (j < spans.length && seqLe(spans[j]!.left, cur.right)) {
      if (seqGt(spans[j]!.right, cur.right)) cur.right = spans[j]!.right;
      j++;
    }
    if (j > lo + 1) spans.splice(lo + 1, j - lo - 1);
  }
}
