/** SipHash-2-4 (src/tcp/siphash.ts) and RFC 6528 ISNs (src/tcp/isn.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc6528Isn, type FourTuple } from '../../src/tcp/isn.js';
import { sipHash24 } from '../../src/tcp/siphash.js';

/**
 * The reference vectors of SipHash-2-4 (Aumasson & Bernstein, siphash24.c / vectors.h): key 00 01 … 0f,
 * message 00 01 … (len−1), output as a little-endian 64-bit integer.
 */
const VECTORS: bigint[] = [
  0x726fdb47dd0e0e31n, 0x74f839c593dc67fdn, 0x0d6c8009d9a94f5an, 0x85676696d7fb7e2dn,
  0xcf2794e0277187b7n, 0x18765564cd99a68dn, 0xcbc9466e58fee3cen, 0xab0200f58b01d137n,
  0x93f5f5799a932462n, 0x9e0082df0ba9e4b0n, 0x7a5dbbc594ddb9f3n, 0xf4b32f46226bada7n,
  0x751e8fbc860ee5fbn, 0x14ea5627c0843d90n, 0xf723ca908e7af2een, 0xa129ca6149be45e5n,
  0x3f2acc7f57c29bdbn, 0x699ae9f52cbe4794n, 0x4bc1b3f0968dd39cn, 0xbb6dc91da77961bdn,
  0xbed65cf21aa2ee98n, 0xd0f2cbb02e3b67c7n, 0x93536795e3a33e88n, 0xa80c038ccd5ccec8n,
  0xb8ad50c6f649af94n, 0xbce192de8a85b8ean, 0x17d835b85bbb15f3n, 0x2f2e6163076bcfadn,
  0xde4daaaca71dc9a5n, 0xa6a2506687956571n, 0xad87a3535c49ef28n, 0x32d892fad841c342n,
  0x7127512f72f27ccen, 0xa7f32346f95978e3n, 0x12e0b01abb051238n, 0x15e034d40fa197aen,
  0x314dffbe0815a3b4n, 0x027990f029623981n, 0xcadcd4e59ef40c4dn, 0x9abfd8766a33735cn,
];

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const seqBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

for (let len = 0; len < VECTORS.length; len++) {
  test(`SipHash-2-4 reference vector, ${len}-byte message → 0x${VECTORS[len]!.toString(16).padStart(16, '0')}`, () => {
    assert.equal(sipHash24(KEY, seqBytes(len)), VECTORS[len]);
  });
}

test('SipHash-2-4 rejects keys that are not 16 bytes', () => {
  assert.throws(() => sipHash24(new Uint8Array(15), new Uint8Array(0)), RangeError);
  assert.throws(() => sipHash24(new Uint8Array(17), new Uint8Array(0)), RangeError);
});

test('SipHash-2-4 does not read or alter bytes outside the message view', () => {
  const backing = seqBytes(32);
  const view = backing.subarray(0, 15);
  assert.equal(sipHash24(KEY, view), VECTORS[15]);
  assert.deepStrictEqual(backing, seqBytes(32));
});

const TUPLE: FourTuple = { localAddress: '10.0.0.1', localPort: 49500, remoteAddress: '10.0.0.2', remotePort: 80 };

test('ISN: same key, tuple and clock → same ISN', () => {
  assert.equal(rfc6528Isn(KEY, TUPLE, 12_345), rfc6528Isn(KEY, { ...TUPLE }, 12_345));
});

test('ISN is a u32', () => {
  for (const t of [0, 1, 1e6, 1e9, 1e12]) {
    const isn = rfc6528Isn(KEY, TUPLE, t);
    assert.ok(Number.isInteger(isn) && isn >= 0 && isn <= 0xffffffff, `${isn}`);
  }
});

test('ISN: the clock M ticks every 4 µs — 250 per ms (RFC 6528 §3)', () => {
  const base = rfc6528Isn(KEY, TUPLE, 0);
  const d = (t: number): number => (rfc6528Isn(KEY, TUPLE, t) - base) >>> 0;
  assert.equal(d(1), 250);
  assert.equal(d(2), 500);
  assert.equal(d(1000), 250_000);
  assert.equal(d(0.5), 125);
  assert.equal(d(0.25), 62, 'a quarter ms is 62.5 ticks: the clock only counts whole ticks');
  assert.equal(d(0.003), 0, 'less than one 4 µs tick');
});

test('ISN: the clock wraps modulo 2^32 (about every 4.77 hours)', () => {
  const base = rfc6528Isn(KEY, TUPLE, 0);
  const t = 20_000_000; // ms: 5·10^9 ticks > 2^32
  assert.equal((rfc6528Isn(KEY, TUPLE, t) - base) >>> 0, (t * 250) % 2 ** 32);
});

test('ISN: each element of the 4-tuple changes F', () => {
  const at = (tuple: FourTuple): number => rfc6528Isn(KEY, tuple, 1000);
  const base = at(TUPLE);
  const variants: FourTuple[] = [
    { ...TUPLE, localAddress: '10.0.0.3' },
    { ...TUPLE, localPort: 49501 },
    { ...TUPLE, remoteAddress: '10.0.0.4' },
    { ...TUPLE, remotePort: 81 },
    // Swapping the ends gives a different connection, hence a different F.
    { localAddress: TUPLE.remoteAddress, localPort: TUPLE.remotePort, remoteAddress: TUPLE.localAddress, remotePort: TUPLE.localPort },
  ];
  const isns = variants.map(at);
  for (const isn of isns) assert.notEqual(isn, base);
  assert.equal(new Set(isns).size, isns.length);
});

test('ISN: address and port fields cannot be confused (10.0.0.1:12 vs 10.0.0.11:2)', () => {
  const a = rfc6528Isn(KEY, { ...TUPLE, localAddress: '10.0.0.1', localPort: 12 }, 0);
  const b = rfc6528Isn(KEY, { ...TUPLE, localAddress: '10.0.0.11', localPort: 2 }, 0);
  assert.notEqual(a, b);
});

test('ISN: the secret key changes F', () => {
  const other = Uint8Array.from(KEY, (b) => b ^ 0xff);
  assert.notEqual(rfc6528Isn(KEY, TUPLE, 0), rfc6528Isn(other, TUPLE, 0));
});

test('ISN: M is added to F modulo 2^32 (4 ms later → F + 1000)', () => {
  const f = rfc6528Isn(KEY, TUPLE, 0);
  assert.equal(rfc6528Isn(KEY, TUPLE, 4), (f + 1000) >>> 0);
});
