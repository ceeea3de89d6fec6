/**
 * The Internet checksum (RFC 1071): the 16-bit ones'-complement of the ones'-complement sum of the
 * data taken as big-endian 16-bit words. Partial sums compose by addition (RFC 1071 §2(B)), which is
 * how the pseudo-header (RFC 9293 §3.1) is folded into the TCP checksum.
 */

/** Words summed between folds: 2^20 × 2^32 stays far below 2^53, so the double never loses bits. */
const CHUNK_WORDS = 1 << 20;

/** Folds carries back into the low 16 bits (end-around carry, RFC 1071 §2(C)); `sum` < 2^53. */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Ones'-complement sum of `bytes[start..end)` plus `initial`, folded to 16 bits (0..0xffff).
 * Words are taken from `start`, and an odd trailing byte is padded with a zero low byte, so sums of
 * pieces compose only if every piece but the last has even length. `initial` is any partial sum
 * (folded or not), a non-negative integer below 2^53.
 */
export function onesComplementSum(bytes: Uint8Array, start = 0, end: number = bytes.length, initial = 0): number {
  if (start < 0) start = 0;
  if (end > bytes.length) end = bytes.length;
  let sum = fold(initial);
  if (end <= start) return sum;
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
  return fold(sum);
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
