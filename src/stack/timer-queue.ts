import { MinHeap, type HeapEntry } from '../util/min-heap.js';
import type { Runtime } from './runtime.js';

interface Entry<T> extends HeapEntry {
  item: T;
}

/**
 * The stack's one timer structure: a min-heap of every connection's next deadline, and a single
 * runtime timer armed for the earliest — never a timer per connection. Rescheduling is O(log n).
 */
export class TimerQueue<T> {
  private readonly heap = new MinHeap<Entry<T>>();
  private readonly entries = new Map<T, Entry<T>>();
  private armedAt: number | undefined;
  private cancelArmed: (() => void) | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly onDue: (item: T, now: number) => void,
  ) {}

  /** Set (or clear, with undefined) the deadline of `item`. */
  set(item: T, at: number | undefined): void {
    let e = this.entries.get(item);
    if (at === undefined) {
      if (e !== undefined) {
        this.heap.remove(e);
        this.entries.delete(item);
      }
      return; // the runtime timer may fire early for nothing; it re-arms then
    }
    if (e === undefined) {
      e = { at, seq: 0, heapIndex: -1, item };
      this.entries.set(item, e);
      this.heap.push(e);
    } else if (e.at !== at) {
      this.heap.update(e, at);
    }
    if (this.armedAt === undefined || at < this.armedAt) this.arm(at);
  }

  /** Forget every deadline and cancel the runtime timer (the stack is closing). */
  clear(): void {
    while (this.heap.pop() !== undefined);
    this.entries.clear();
    this.cancelArmed?.();
    this.cancelArmed = undefined;
    this.armedAt = undefined;
  }

  /** Number of items with a deadline. */
  get size(): number {
    return this.heap.size;
  }

  /** Deadline of `item`, if any. */
  get(item: T): number | undefined {
    return this.entries.get(item)?.at;
  }

  private fire = (): void => {
    this.armedAt = undefined;
    this.cancelArmed = undefined;
    const now = this.runtime.now();
    let top: Entry<T> | undefined;
    while ((top = this.heap.peek()) !== undefined && top.at <= now) {
      this.heap.pop();
      this.entries.delete(top.item);
      this.onDue(top.item, now);
    }
    const next = this.heap.peek();
    if (next !== undefined && (this.armedAt === undefined || next.at < this.armedAt)) this.arm(next.at);
  };

  private arm(at: number): void {
    this.cancelArmed?.();
    this.armedAt = at;
    this.cancelArmed = this.runtime.setTimer(at, this.fire);
  }
}
