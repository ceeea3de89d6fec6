import type { Runtime } from './runtime.js';

interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

/**
 * The stack's one timer structure: a binary min-heap of (deadline, item) for every connection, and a
 * single runtime timer armed for the earliest deadline — never a timer per connection. Rescheduling
 * is lazy: an item's current deadline lives in `deadlines`, and stale heap entries are skipped.
 */
export class TimerQueue<T> {
  private heap: Entry<T>[] = [];
  private readonly deadlines = new Map<T, number>();
  private seq = 0;
  private armedAt: number | undefined;
  private cancelArmed: (() => void) | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly onDue: (item: T, now: number) => void,
  ) {}

  /** Set (or clear, with undefined) the deadline of `item`. */
  set(item: T, at: number | undefined): void {
    const prev = this.deadlines.get(item);
    if (prev === at) return;
    if (at === undefined) {
      this.deadlines.delete(item);
      return; // its heap entry goes stale and is skipped
    }
    this.deadlines.set(item, at);
    this.push({ at, seq: this.seq++, item });
    if (this.armedAt === undefined || at < this.armedAt) this.arm(at);
  }

  /** Number of items with a deadline. */
  get size(): number {
    return this.deadlines.size;
  }

  /** Deadline of `item`, if any. */
  get(item: T): number | undefined {
    return this.deadlines.get(item);
  }

  private fire = (): void => {
    this.armedAt = undefined;
    this.cancelArmed = undefined;
    const now = this.runtime.now();
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.deadlines.get(top.item) !== top.at) {
        this.pop(); // stale
        continue;
      }
      if (top.at > now) break;
      this.pop();
      this.deadlines.delete(top.item);
      this.onDue(top.item, now);
    }
    this.rearm();
  };

  private rearm(): void {
    while (this.heap.length > 0 && this.deadlines.get(this.heap[0]!.item) !== this.heap[0]!.at) this.pop();
    const top = this.heap[0];
    if (top !== undefined && (this.armedAt === undefined || top.at < this.armedAt)) this.arm(top.at);
  }

  private arm(at: number): void {
    this.cancelArmed?.();
    this.armedAt = at;
    this.cancelArmed = this.runtime.setTimer(at, this.fire);
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function less<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
