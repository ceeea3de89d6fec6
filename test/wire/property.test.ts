import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from '../../src/wire/checksum.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { buildIpv4Tcp, parseIpv4Tcp } from '../../src/wire/packet.js';
import { parseTcp, serializeTcp, tcpSackBlocksThatFit } from '../../src/wire/tcp.js';
import type { ParseResult, TcpOptions, TcpSegment } from '../../src/wire/types.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
// fc.integer is limited to 32-bit signed bounds, so build u32s from two halves.
const u32 = fc.tuple(u16, u16).map(([hi, lo]) => hi * 0x10000 + lo);

// Records get plain prototypes (noNullPrototype) so deepStrictEqual can compare them with parser output.
const options: fc.Arbitrary<TcpOptions> = fc.record(
  {
    mss: u16,
    windowScale: u8,
    sackPermitted: fc.constant(true),
    sackBlocks: fc.array(fc.record({ left: u32, right: u32 }, { noNullPrototype: true }), {
      minLength: 1,
      maxLength: 5,
    }),
    timestamp: fc.record({ value: u32, echo: u32 }, { noNullPrototype: true }),
  },
  { requiredKeys: [], noNullPrototype: true },
);

const segment: fc.Arbitrary<TcpSegment> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: u8,
  window: u16,
  urgent: u16,
  options,
  payload: fc.uint8Array({ maxLength: 64 }),
}, { noNullPrototype: true });

/** What parsing the serialised segment should give: SACK blocks beyond what fits are dropped. */
function expected(seg: TcpSegment): TcpSegment {
  const opts = { ...seg.options };
  if (opts.sackBlocks !== undefined) opts.sackBlocks = opts.sackBlocks.slice(0, tcpSackBlocksThatFit(opts));
  return { ...seg, options: opts };
}

function isResult(r: ParseResult<unknown>): boolean {
  return r.ok ? r.value !== undefined : typeof r.reason === 'string' && typeof r.detail === 'string';
}

/** Every parser on `bytes`; none may throw, and each returns a well-formed result. */
function parseAll(bytes: Uint8Array, pseudo: number): void {
  assert.ok(isResult(parseIpv4(bytes)));
  assert.ok(isResult(parseTcp(bytes, undefined)));
  assert.ok(isResult(parseTcp(bytes, pseudo)));
  assert.ok(isResult(parseIpv4Tcp(bytes)));
}

test('serialise then parse is the identity (modulo SACK blocks that do not fit)', () => {
  fc.assert(
    fc.property(segment, u32, u32, u8, (seg, src, dst, ttl) => {
      const want = expected(seg);
      const r = parseIpv4Tcp(buildIpv4Tcp(src, dst, seg, ttl));
      assert.ok(r.ok, r.ok ? '' : r.detail);
      assert.deepEqual(r.value.tcp, want);
      assert.equal(r.value.ip.src, src);
      assert.equal(r.value.ip.dst, dst);
      assert.equal(r.value.ip.ttl, ttl);
      const bytes = serializeTcp(seg, src, dst);
      const t = parseTcp(bytes, ipv4PseudoHeaderSum(src, dst, 6, bytes.length));
      assert.ok(t.ok);
      assert.deepEqual(t.value, want);
    }),
    { numRuns: 500 },
  );
});

test('random bytes never make a parser throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), u16, (bytes, pseudo) => parseAll(bytes, pseudo)),
    { numRuns: 2000 },
  );
});

test('random bytes after a plausible TCP header never make the option parser throw', () => {
  fc.assert(
    fc.property(fc.integer({ min: 5, max: 15 }), fc.uint8Array({ minLength: 60, maxLength: 80 }), (off, bytes) => {
      bytes[12] = off << 4;
      assert.ok(isResult(parseTcp(bytes, undefined)));
    }),
    { numRuns: 2000 },
  );
});

test('truncations of valid packets never throw and are rejected as truncated', () => {
  fc.assert(
    fc.property(segment, u32, u32, fc.nat(), (seg, src, dst, cut) => {
      const p = buildIpv4Tcp(src, dst, seg);
      const len = cut % p.length;
      const short = p.subarray(0, len);
      parseAll(short, 0);
      const r = parseIpv4Tcp(short);
      assert.ok(!r.ok);
      assert.equal(r.reason, 'truncated');
    }),
    { numRuns: 500 },
  );
});

test('mutated valid packets never throw, with or without fixed-up checksums', () => {
  const mutation = fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(segment, u32, u32, mutation, fc.boolean(), (seg, src, dst, edits, fix) => {
      const p = buildIpv4Tcp(src, dst, seg);
      for (const [at, value] of edits) p[at % p.length] = value;
      if (fix) {
        // Recompute both checksums so the parsers get past them and into the header fields.
        const ihl = (p[0]! & 0x0f) * 4;
        if (ihl >= 20 && ihl <= p.length) {
          p[10] = p[11] = 0;
          const s = finishChecksum(onesComplementSum(p, 0, ihl));
          p[10] = s >>> 8;
          p[11] = s & 0xff;
          if (p.length >= ihl + 18) {
            p[ihl + 16] = p[ihl + 17] = 0;
            const tcpLen = p.length - ihl;
            const pseudo = ipv4PseudoHeaderSum(src, dst, 6, tcpLen);
            const t = finishChecksum(onesComplementSum(p, ihl, p.length, pseudo));
            p[ihl + 16] = t >>> 8;
            p[ihl + 17] = t & 0xff;
          }
        }
      }
      parseAll(p, 0);
      parseAll(p.subarray(20), ipv4PseudoHeaderSum(src, dst, 6, p.length - 20));
    }),
    { numRuns: 1000 },
  );
});

test('checksum of pieces equals checksum of the whole when split at even offsets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, at) => {
      const split = (at % (bytes.length + 1)) & ~1;
      const whole = onesComplementSum(bytes);
      assert.equal(onesComplementSum(bytes, split, bytes.length, onesComplementSum(bytes, 0, split)), whole);
      assert.ok(whole >= 0 && whole <= 0xffff);
    }),
  );
});
