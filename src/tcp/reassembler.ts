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
    let i = 0;
    // Skip pieces that end at or before s.
    while (i < this.pieces.length && seqLe(seqAdd(this.pieces[i]!.seq, this.pieces[i]!.data.length), s)) i++;
    const add: Piece[] = [];
    while (d.length > 0) {
      const p = this.pieces[i];
      if (p === undefined || seqLe(seqAdd(s, d.length), p.seq)) {
        add.push({ seq: s, data: d });
        break;
      }
      if (seqLt(s, p.seq)) {
        const n = seqDiff(p.seq, s);
        add.push({ seq: s, data: d.subarray(0, n) });
      }
      // Skip the part covered by p.
      const pEnd = seqAdd(p.seq, p.data.length);
      if (seqLe(seqAdd(s, d.length), pEnd)) break;
      const skip = seqDiff(pEnd, s);
      d = d.subarray(skip);
      s = pEnd;
      i++;
    }
    for (const piece of add) {
      this.insertSorted(piece);
      this.held += piece.data.length;
    }
  }

  /**
   * Remove and return the pieces that start at `rcvNxt` and run contiguously from it, in order.
   * Pieces wholly before `rcvNxt` are discarded; a piece straddling it is trimmed.
   */
  take(rcvNxt: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let next = rcvNxt;
    while (this.pieces.length > 0) {
      const p = this.pieces[0]!;
      const end = seqAdd(p.seq, p.data.length);
      if (seqLe(end, next)) {
        this.pieces.shift();
        this.held -= p.data.length;
        continue;
      }
      if (seqGt(p.seq, next)) break;
      const skip = seqDiff(next, p.seq);
      out.push(skip > 0 ? p.data.subarray(skip) : p.data);
      this.pieces.shift();
      this.held -= p.data.length;
      next = end;
    }
    return out;
  }

  /** Held ranges as [left, right) pairs, lowest first (for SACK blocks and stats). */
  ranges(): Array<{ left: number; right: number }> {
    const out: Array<{ left: number; right: number }> = [];
    for (const p of this.pieces) {
      const end = seqAdd(p.seq, p.data.length);
      const last = out[out.length - 1];
      if (last !== undefined && last.right === p.seq) last.right = end;
      else out.push({ left: p.seq, right: end });
    }
    return out;
  }

  clear(): void {
    this.pieces = [];
    this.held = 0;
    this.finSeq = undefined;
  }

  private insertSorted(piece: Piece): void {
    let lo = 0;
    let hi = this.pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqLt(this.pieces[mid]!.seq, piece.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.pieces.splice(lo, 0, piece);
  }
}
