/**
 * onesComplementSum sums long ranges as aligned native 32-bit words; these check it against the
 * obvious byte-pair version for every length, alignment, start and end, and initial partial sum.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { onesComplementSum } from '../../src/wire/checksum.js';

/** RFC 1071 by the book: big-endian byte pairs from `start`, odd last byte padded, end-around carry. */
function simpleSum(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  for (let i = start; i < end; i += 2) {
    sum += (bytes[i]! << 8) + (i + 1 < end ? bytes[i + 1]! : 0);
    while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  }
  return sum;
}

/** `data` copied `shift` bytes into a larger buffer, so the view starts at any alignment. */
function shifted(data: Uint8Array, shift: number): Uint8Array {
  const backing = new Uint8Array(data.length + shift + 3);
  backing.fill(0xa5);
  backing.set(data, shift);
  return backing.subarray(shift, shift + data.length);
}

test('onesComplementSum equals the byte-pair sum for any bytes, alignment, range and initial sum', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 400 }),
      fc.integer({ min: 0, max: 7 }),
      fc.nat(),
      fc.nat(),
      fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x7fffffff })),
      (data, shift, a, b, initial) => {
        const bytes = shifted(data, shift);
        const start = data.length === 0 ? 0 : a % (data.length + 1);
        const end = start + (data.length === 0 ? 0 : b % (data.length - start + 1));
        assert.equal(onesComplementSum(bytes, start, end, initial), simpleSum(bytes, start, end, initial));
        assert.equal(onesComplementSum(bytes), simpleSum(bytes, 0, bytes.length, 0));
      },
    ),
    { numRuns: 3000 },
  );
});

test('onesComplementSum: every length 0..200 at every alignment, odd and even starts, extreme bytes', () => {
  for (const fill of [0x00, 0xff, 0x01, -1]) {
    const data = new Uint8Array(260);
    for (let i = 0; i < data.length; i++) data[i] = fill >= 0 ? fill : (i * 151 + 7) & 0xff;
    for (let shift = 0; shift < 4; shift++) {
      const bytes = shifted(data, shift);
      for (let start = 0; start < 5; start++) {
        for (let len = 0; len <= 200; len++) {
          for (const initial of [0, 1, 0xffff, 0x1fffe]) {
            assert.equal(
              onesComplementSum(bytes, start, start + len, initial),
              simpleSum(bytes, start, start + len, initial),
              `fill ${fill} shift ${shift} start ${start} len ${len} initial ${initial}`,
            );
          }
        }
      }
    }
  }
});

test('onesComplementSum: 0 only for all-zero input, 0xffff (not 0) for a nonzero sum ≡ 0', () => {
  assert.equal(onesComplementSum(new Uint8Array(1000)), 0);
  const ff = new Uint8Array(1000).fill(0xff);
  assert.equal(onesComplementSum(ff), 0xffff);
  assert.equal(onesComplementSum(ff, 1, 999), 0xffff);
});

test('onesComplementSum: ranges longer than one accumulator chunk (> 4 MiB), clamped bounds', () => {
  const big = new Uint8Array(5 * 1024 * 1024 + 7);
  for (let i = 0; i < big.length; i++) big[i] = 0xff - (i % 3);
  for (const [start, end] of [
    [0, big.length],
    [1, big.length - 1],
    [3, big.length],
  ] as const) {
    assert.equal(onesComplementSum(big, start, end, 5), simpleSum(big, start, end, 5));
  }
  const ff = new Uint8Array(5 * 1024 * 1024).fill(0xff);
  assert.equal(onesComplementSum(ff), 0xffff);
  const small = Uint8Array.from({ length: 100 }, (_, i) => i);
  assert.equal(onesComplementSum(small, -5, 1000), simpleSum(small, 0, 100, 0));
});
