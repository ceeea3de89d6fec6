/**
 * In-order bytes waiting for the application (RFC 9293 §3.10.3 RECEIVE), kept as the views the
 * segments arrived in: no copy until the application reads.
 */
export class ReceiveBuffer {
  private queue: Uint8Array[] = [];
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.queue.push(data);
    this.size += data.length;
  }

  /** Take up to `max` bytes (all when omitted) as one array; empty when nothing is buffered. */
  read(max = Infinity): Uint8Array {
    const want = Math.min(max, this.size);
    if (want === 0) return new Uint8Array(0);
    const first = this.queue[this.head]!;
    if (first.length === want) {
      this.head++;
      this.size -= want;
      this.compact();
      return first;
    }
    if (first.length > want) {
      this.queue[this.head] = first.subarray(want);
      this.size -= want;
      return first.subarray(0, want);
    }
    const out = new Uint8Array(want);
    let n = 0;
    while (n < want) {
      const c = this.queue[this.head]!;
      const take = Math.min(c.length, want - n);
      out.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.head++;
      else this.queue[this.head] = c.subarray(take);
    }
    this.size -= want;
    this.compact();
    return out;
  }

  /** Take every buffered chunk as it arrived (no copy). */
  readChunks(): Uint8Array[] {
    const out = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.size = 0;
    return out;
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
    this.size = 0;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 64) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
