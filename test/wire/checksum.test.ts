import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from '../../src/wire/checksum.js';

/** Textbook RFC 1071 checksum: sum 16-bit words, fold, invert. Deliberately slow and obvious. */
function naiveChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
}

test('RFC 1071 §3 example: 0001 f203 f4f5 f6f7 sums to ddf2', () => {
  const b = hex('0001 f203 f4f5 f6f7');
  assert.equal(onesComplementSum(b), 0xddf2);
  assert.equal(finishChecksum(onesComplementSum(b)), 0x220d);
});

test('known IPv4 header checksum (b861)', () => {
  const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
  assert.equal(finishChecksum(onesComplementSum(h)), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  assert.equal(finishChecksum(onesComplementSum(h)), 0, 'a correct header verifies to zero');
});

test('odd lengths pad the last byte with a zero low byte', () => {
  assert.equal(onesComplementSum(hex('ab')), 0xab00);
  assert.equal(onesComplementSum(hex('0102 03')), 0x0402);
  for (let len = 0; len < 40; len++) {
    const bytes = Array.from({ length: len }, (_, i) => (i * 73 + 41) & 0xff);
    assert.equal(finishChecksum(onesComplementSum(Uint8Array.from(bytes))), naiveChecksum(bytes), `length ${len}`);
  }
});

test('start/end/initial select a range and compose partial sums', () => {
  const bytes = Uint8Array.from({ length: 101 }, (_, i) => (i * 191 + 7) & 0xff);
  const whole = onesComplementSum(bytes);
  const split = onesComplementSum(bytes, 40, 101, onesComplementSum(bytes, 0, 40));
  assert.equal(split, whole);
  assert.equal(finishChecksum(onesComplementSum(bytes, 3, 10)), naiveChecksum([...bytes.subarray(3, 10)]));
  // A subarray with a non-zero byteOffset must read its own bytes.
  const sub = bytes.subarray(5, 50);
  assert.equal(finishChecksum(onesComplementSum(sub)), naiveChecksum([...sub]));
  assert.equal(onesComplementSum(bytes, 10, 10, 0x1234), 0x1234);
});

test('sums that carry repeatedly still fold correctly', () => {
  const ff = new Uint8Array(1001).fill(0xff);
  assert.equal(finishChecksum(onesComplementSum(ff)), naiveChecksum([...ff]));
  assert.equal(onesComplementSum(new Uint8Array(4), 0, 4, 0x3_0000_0002), 5);
  assert.equal(finishChecksum(0x1fffe), 0);
});

test('ipv4PseudoHeaderSum sums src, dst, protocol and length words', () => {
  const src = 0xc0a80001;
  const dst = 0xc0a800c7;
  const expected = 0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 6 + 40;
  let folded = expected;
  while (folded > 0xffff) folded = (folded & 0xffff) + (folded >>> 16);
  assert.equal(ipv4PseudoHeaderSum(src, dst, 6, 40), folded);
  const bytes = hex('c0a8 0001 c0a8 00c7 0006 0028');
  assert.equal(ipv4PseudoHeaderSum(src, dst, 6, 40), onesComplementSum(bytes));
});
