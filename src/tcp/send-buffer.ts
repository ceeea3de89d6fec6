/**
 * Bytes the application has handed to SEND and the peer has not yet acknowledged, from the first
 * unacknowledged byte on. Writes are copied once into large chunks (the caller may reuse its buffer);
 * segments are read back as views into those chunks, copied only when they straddle two chunks.
 */
const MIN_CHUNK = 16 * 1024;
/**
 * Chunks grow with what is held, up to this: a segment that straddles two chunks is copied, and with
 * TSO a segment is up to 64 KiB, so bulk senders need chunks much larger than that.
 */
const MAX_CHUNK = 1024 * 1024;

interface Chunk {
  bytes: Uint8Array;
  /** First byte of this chunk still held (bytes before it were acknowledged). */
  start: number;
  /** One past the last byte written. */
  end: number;
}

export class SendBuffer {
  private chunks: Chunk[] = [];
  private head = 0; // index of the first live chunk in `chunks`
  private size = 0;
  /**
   * Where the last {@link read} found its first chunk: index `cursorChunk` begins `cursorOffset` bytes
   * after the front. Reads mostly move forward segment by segment, so the next one starts its search
   * there instead of at the front. Dropped by anything that changes the front (pushes only ever extend the back).
   */
  private cursorChunk = -1; // -1: no cursor
  private cursorOffset = 0;

  /** Bytes held (unacknowledged plus unsent). */
  get length(): number {
    return this.size;
  }

  /** Append a copy of `data`. */
  push(data: Uint8Array): void {
    let off = 0;
    const last = this.chunks.length > this.head ? this.chunks[this.chunks.length - 1]! : undefined;
    if (last !== undefined && last.end < last.bytes.length) {
      const n = Math.min(data.length, last.bytes.length - last.end);
      last.bytes.set(data.subarray(0, n), last.end);
      last.end += n;
      off = n;
    }
    if (off < data.length) {
      const rest = data.length - off;
      const bytes = new Uint8Array(Math.max(rest, Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, this.size))));
      bytes.set(data.subarray(off), 0);
      this.chunks.push({ bytes, start: 0, end: rest });
    }
    this.size += data.length;
  }

  /** Drop `n` acknowledged bytes from the front. */
  consume(n: number): void {
    if (n > this.size) n = this.size;
    this.cursorChunk = -1;
    this.size -= n;
    while (n > 0) {
      const c = this.chunks[this.head]!;
      const avail = c.end - c.start;
      if (n < avail) {
        c.start += n;
        return;
      }
      n -= avail;
      this.head++;
    }
    // Drop consumed chunks in batches, keeping the partly written tail chunk for further pushes.
    if (this.head > 16 || this.head === this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** `len` bytes starting `offset` bytes after the front: a view when contiguous, else a copy. */
  read(offset: number, len: number): Uint8Array {
    if (offset < 0 || len < 0 || offset + len > this.size) throw new RangeError('SendBuffer.read out of range');
    let i = this.head;
    let before = 0; // bytes from the front to the start of chunk i
    if (this.cursorChunk >= 0 && this.cursorOffset <= offset) {
      i = this.cursorChunk;
      before = this.cursorOffset;
    }
    while (i < this.chunks.length) {
      const c = this.chunks[i]!;
      const avail = c.end - c.start;
      if (offset - before < avail) break;
      before += avail;
      i++;
    }
    if (i < this.chunks.length) {
      // Not past the last chunk: a push may still lengthen that one, which would move "the end".
      this.cursorChunk = i;
      this.cursorOffset = before;
    }
    offset -= before;
    if (len === 0) return new Uint8Array(0);
    const first = this.chunks[i]!;
    if (first.start + offset + len <= first.end) {
      return first.bytes.subarray(first.start + offset, first.start + offset + len);
    }
    const out = new Uint8Array(len);
    let written = 0;
    let pos = first.start + offset;
    while (written < len) {
      const c = this.chunks[i]!;
      const n = Math.min(len - written, c.end - pos);
      out.set(c.bytes.subarray(pos, pos + n), written);
      written += n;
      i++;
      if (i < this.chunks.length) pos = this.chunks[i]!.start;
    }
    return out;
  }

  /** Forget everything (ABORT, RST). */
  clear(): void {
    this.cursorChunk = -1;
    this.chunks = [];
    this.head = 0;
    this.size = 0;
  }
}
