import type { DropReason, ParseResult } from './types.js';

/** A successful {@link ParseResult}. */
export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

/** A failed {@link ParseResult}; `detail` is for logs, the `reason` is what gets counted. */
export function fail<T>(reason: DropReason, detail: string): ParseResult<T> {
  return { ok: false, reason, detail };
}
