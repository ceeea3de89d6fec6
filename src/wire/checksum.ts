/**
 * The Internet checksum (RFC 1071): the 16-bit ones'-complement of the ones'-complement sum of the
 * data taken as big-endian 16-bit words. Partial sums compose by addition (RFC 1071 §2(B)), which is
 * how the pseudo-header (RFC 9293 §3.1) is folded into the TCP checksum.
 */

/** 32-bit words summed per accumulator between folds: 2^20 × 2 × 2^32 stays far below 2^53. */
const CHUNK_WORDS = 1 << 20;

/** Whether this machine stores integers little-endian (what the Uint32Array fast path assumes). */
const NATIVE_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Ranges shorter than this are summed byte pair by byte pair (no typed-array view to create). */
const SMALL = 64;

/** Folds carries back into the low 16 bits (end-around carry, RFC 1071 §2(C)); `sum` < 2^53. */
/** Folds a partial ones'-complement sum to 16 bits (not inverted). */
export function foldChecksum(sum: number): number {
  return fold(sum);
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Ones'-complement sum of `bytes[start..end)` plus `initial`, folded to 16 bits (0..0xffff).
 * Words are taken from `start`, and an odd trailing byte is padded with a zero low byte, so sums of
 * pieces compose only if every piece but the last has even length. `initial` is any partial sum
 * (folded or not), a non-negative integer below 2^53.
 *
 * The result is 0 only when `initial` and every byte are 0; otherwise it is the sum modulo 0xffff in
 * 1..0xffff. Long ranges are summed as native 32-bit words (RFC 1071 §2(B): byte order and word size
 * do not matter in ones'-complement arithmetic, up to one byte swap at the end).
 */
export function onesComplementSum(bytes: Uint8Array, start = 0, end: number = bytes.length, initial = 0): number {
  if (start < 0) start = 0;
  if (end > bytes.length) end = bytes.length;
  let sum = fold(initial);
  if (end <= start) return sum;
  if (end - start < SMALL) {
    let i = start;
    for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
    if (i < end) sum += bytes[i]! << 8;
    return fold(sum);
  }
  if (!NATIVE_LE) return fold(sumBigEndianWords(bytes, start, end, sum));
  // Bytes before the first 4-byte-aligned address, each with its big-endian weight relative to `start`.
  const at = bytes.byteOffset + start;
  let i = start;
  const lead = start + ((4 - (at & 3)) & 3);
  for (; i < lead; i++) sum += (i - start) & 1 ? bytes[i]! : bytes[i]! << 8;
  // Aligned native words, four accumulators (eight words a step). Read little-endian, a byte at an
  // even address weighs 1 and one at an odd address 256 (mod 0xffff, since 2^16 ≡ 1): the big-endian
  // weights relative to `start` when `start` is at an odd address, and those swapped when it is even.
  const n = (end - i) >>> 2;
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset + i, n);
  let words = 0;
  for (let k = 0; k < n; ) {
    const stop = Math.min(n, k + CHUNK_WORDS);
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (; k + 7 < stop; k += 8) {
      a += w[k]! + w[k + 4]!;
      b += w[k + 1]! + w[k + 5]!;
      c += w[k + 2]! + w[k + 6]!;
      d += w[k + 3]! + w[k + 7]!;
    }
    for (; k < stop; k++) a += w[k]!;
    words = fold(words + fold(a + b + c + d));
  }
  sum += (at & 1) === 0 ? ((words & 0xff) << 8) | (words >>> 8) : words;
  // The 0–3 bytes after the last aligned word.
  for (i += n * 4; i < end; i++) sum += (i - start) & 1 ? bytes[i]! : bytes[i]! << 8;
  return fold(sum);
}

/** Big-endian machines: 32-bit big-endian words through a DataView. Returns an unfolded sum < 2^53. */
function sumBigEndianWords(bytes: Uint8Array, start: number, end: number, sum: number): number {
  // Summing 32-bit words is equivalent to summing their two 16-bit halves, since 2^16 ≡ 1 (mod 2^16 − 1).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = start;
  const end4 = start + ((end - start) & ~3);
  while (i < end4) {
    const stop = Math.min(end4, i + CHUNK_WORDS * 4);
    for (; i < stop; i += 4) sum += view.getUint32(i);
    sum = fold(sum);
  }
  if (i + 1 < end) {
    sum += view.getUint16(i);
    i += 2;
  }
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** Folds a partial sum and inverts it: the 16-bit value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/**
 * Partial sum of the IPv4 pseudo-header (RFC 9293 §3.1): source, destination, zero+protocol and the
 * upper-layer length (`length` = TCP header + data in bytes). Folded to 16 bits.
 */
export function ipv4PseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  src >>>= 0;
  dst >>>= 0;
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (protocol & 0xff) + (length & 0xffff));
}
