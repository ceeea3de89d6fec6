/** Samples, medians and table formatting for `npm run bench`. */

/** One bulk-transfer measurement. */
export interface BulkSample {
  bytes: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** Simulated seconds, for synack runs. */
  simSeconds?: number;
}

/** One connection-rate measurement. */
export interface RateSample {
  count: number;
  /** Wall-clock seconds. */
  seconds: number;
}

/** The middle value (of an odd count; the lower middle otherwise). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

/** Run `fn` `times` times (sequentially) and return every result. */
export async function repeat<T>(times: number, fn: () => T | Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < times; i++) out.push(await fn());
  return out;
}

export const mbPerSecond = (s: BulkSample): number => s.bytes / 1e6 / s.seconds;
export const perSecond = (s: RateSample): number => s.count / s.seconds;

/** A plain-text table with a header row, columns padded to their widest cell. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
