/**
 * A binary min-heap of timed entries, ordered by `at` and then by insertion order (FIFO among equal
 * times). Used by the simulation's event queue and by the TCP stack's timer structure.
 *
 * Entries are the caller's own objects: the heap stores no wrappers and allocates nothing per
 * operation (beyond the backing array growing). It writes two bookkeeping fields onto each entry:
 *
 * - `seq`: the insertion sequence number used to break ties (assigned on {@link MinHeap.push} and
 *   {@link MinHeap.update});
 * - `heapIndex`: the entry's position in the backing array, or `-1` when it is not in a heap.
 *
 * Keeping the position on the entry gives O(log n) removal ({@link MinHeap.remove}) and rescheduling
 * ({@link MinHeap.update}) without lazy "cancelled" tombstones: a cancelled entry leaves the heap
 * immediately, so `size` and `peek()` are always exact.
 *
 * Create entries with `heapIndex: -1` (and any `seq`); an entry may be in at most one heap at a time.
 *
 * @example
 * ```ts
 * interface Timer extends HeapEntry { fire(): void }
 * const heap = new MinHeap<Timer>();
 * const t: Timer = { at: 100, seq: 0, heapIndex: -1, fire() {} };
 * heap.push(t);
 * heap.update(t, 50);   // reschedule
 * heap.remove(t);       // cancel
 * ```
 *
 * @module
 */

/** The fields the heap needs on each entry. */
export interface HeapEntry {
  /** The key: smaller `at` comes out first. Change it only through {@link MinHeap.update} while queued. */
  at: number;
  /** Tie-breaker, written by the heap: insertion order. */
  seq: number;
  /** Written by the heap: position in the backing array, `-1` when not queued. Initialise to `-1`. */
  heapIndex: number;
}

/** Binary min-heap keyed by (`at`, insertion order). See the module documentation. */
export class MinHeap<T extends HeapEntry> {
  private readonly items: T[] = [];
  private nextSeq = 0;

  /** Number of queued entries. */
  get size(): number {
    return this.items.length;
  }

  /** The entry that {@link pop} would return, or `undefined` if empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** `at` of the earliest entry, or `Infinity` if empty. */
  peekTime(): number {
    const top = this.items[0];
    return top === undefined ? Infinity : top.at;
  }

  /** Whether `entry` is currently queued in this heap. */
  has(entry: T): boolean {
    const i = entry.heapIndex;
    return i >= 0 && i < this.items.length && this.items[i] === entry;
  }

  /**
   * Queues `entry` (keyed by its current `at`), after any queued entries with the same `at`.
   * Throws if it is already queued here.
   */
  push(entry: T): void {
    if (this.has(entry)) throw new Error('MinHeap.push: entry is already queued');
    if (Number.isNaN(entry.at)) throw new RangeError('MinHeap.push: entry.at is NaN');
    entry.seq = this.nextSeq++;
    const items = this.items;
    items.push(entry);
    this.siftUp(entry, items.length - 1);
  }

  /** Removes and returns the earliest entry (FIFO among equal `at`), or `undefined` if empty. */
  pop(): T | undefined {
    const items = this.items;
    const n = items.length;
    if (n === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (n > 1) this.siftDown(last, 0);
    top.heapIndex = -1;
    return top;
  }

  /** Removes `entry` if it is queued here; returns whether it was. O(log n). */
  remove(entry: T): boolean {
    if (!this.has(entry)) return false;
    const items = this.items;
    const i = entry.heapIndex;
    const last = items.pop()!;
    if (last !== entry) {
      // Put the former last entry into the hole and restore order in whichever direction is needed.
      if (i > 0 && this.less(last, items[(i - 1) >> 1]!)) this.siftUp(last, i);
      else this.siftDown(last, i);
    }
    entry.heapIndex = -1;
    return true;
  }

  /**
   * Sets `entry.at = at` and (re)queues it: if queued, it moves to its new place (behind entries that
   * already have the same `at`, exactly as if removed and pushed again); if not, it is pushed.
   */
  update(entry: T, at: number): void {
    if (Number.isNaN(at)) throw new RangeError('MinHeap.update: at is NaN');
    if (!this.has(entry)) {
      entry.at = at;
      this.push(entry);
      return;
    }
    entry.at = at;
    entry.seq = this.nextSeq++;
    const i = entry.heapIndex;
    if (i > 0 && this.less(entry, this.items[(i - 1) >> 1]!)) this.siftUp(entry, i);
    else this.siftDown(entry, i);
  }

  /** Removes every entry (their `heapIndex` is reset to -1). */
  clear(): void {
    for (const e of this.items) e.heapIndex = -1;
    this.items.length = 0;
  }

  /** The queued entries in pop order (a sorted copy; O(n log n), for debugging and tests). */
  toSortedArray(): T[] {
    return this.items.slice().sort((x, y) => (x.at - y.at) || (x.seq - y.seq));
  }

  private less(x: T, y: T): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  /** Places `entry` at hole `i` and moves it up while it is smaller than its parent. */
  private siftUp(entry: T, i: number): void {
    const items = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.less(entry, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }

  /** Places `entry` at hole `i` and moves it down while a child is smaller. */
  private siftDown(entry: T, i: number): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let child = items[c]!;
      const r = c + 1;
      if (r < n) {
        const right = items[r]!;
        if (this.less(right, child)) {
          c = r;
          child = right;
        }
      }
      if (!this.less(child, entry)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }
}
