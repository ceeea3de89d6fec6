import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv4PseudoHeaderSum } from '../../src/wire/checksum.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { IPPROTO_DSTOPTS, ipv6PseudoHeaderSum, parseIpv6, parseIpv6Address, writeIpv6Header } from '../../src/wire/ipv6.js';
import {
  buildIpv4Udp,
  buildIpv6Udp,
  parseIpv4Udp,
  parseIpv6Udp,
  parseUdp,
  writeUdp,
} from '../../src/wire/udp.js';
import { buildIpv4Tcp } from '../../src/wire/packet.js';
import type { DropReason, ParseResult, TcpSegment } from '../../src/wire/types.js';

/** Naive Internet checksum: 16-bit big-endian words, odd byte padded, carries folded at the end. */
function naiveChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

function v4Pseudo(src: number, dst: number, length: number): number[] {
  const be32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return [...be32(src), ...be32(dst), 0, 17, length >>> 8, length & 0xff];
}

function v6Pseudo(src: Uint8Array, dst: Uint8Array, length: number): number[] {
  return [...src, ...dst, 0, 0, length >>> 8, length & 0xff, 0, 0, 0, 17];
}

function rejects(r: ParseResult<unknown>, reason: DropReason): void {
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, reason, r.detail);
}

const A4 = 0xc0000201; // 192.0.2.1
const B4 = 0xc6336402; // 198.51.100.2
const A6 = parseIpv6Address('2001:db8::1')!;
const B6 = parseIpv6Address('fe80::1:2')!;
const DGRAM = { srcPort: 5353, dstPort: 53, payload: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x01]) };

/** The checksum field of the datagram at `p[off..]`, and a naive recomputation with the field zeroed. */
function checksums(p: Uint8Array, off: number, pseudo: number[]): [number, number] {
  const udp = [...p.subarray(off)];
  const sent = udp[6]! * 256 + udp[7]!;
  udp[6] = 0;
  udp[7] = 0;
  return [sent, naiveChecksum([...pseudo, ...udp])];
}

test('writeUdp over IPv4: layout and a naive known-answer checksum', () => {
  const p = buildIpv4Udp(A4, B4, DGRAM, 5);
  assert.equal(p.length, 20 + 8 + 5);
  assert.deepEqual([...p.subarray(20, 26)], [0x14, 0xe9, 0, 53, 0, 13]);
  const [sent, naive] = checksums(p, 20, v4Pseudo(A4, B4, 13));
  assert.equal(sent, naive);
  const ip = parseIpv4(p);
  assert.ok(ip.ok);
  assert.equal(ip.value.header.protocol, 17);
  assert.equal(ip.value.header.ttl, 5);
  const r = parseIpv4Udp(p);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.equal(r.value.udp.srcPort, 5353);
  assert.equal(r.value.udp.dstPort, 53);
  assert.equal(r.value.udp.checksum, sent);
  assert.deepEqual(r.value.udp.payload, DGRAM.payload);
  assert.equal(r.value.udp.payload.buffer, p.buffer, 'payload is a view, not a copy');
});

test('writeUdp over IPv6: layout and a naive known-answer checksum', () => {
  const p = buildIpv6Udp(A6, B6, DGRAM, 255);
  assert.equal(p.length, 40 + 13);
  const [sent, naive] = checksums(p, 40, v6Pseudo(A6, B6, 13));
  assert.equal(sent, naive);
  const r = parseIpv6Udp(p);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.equal(r.value.ip.hopLimit, 255);
  assert.deepEqual({ ...r.value.udp, payload: [...r.value.udp.payload] }, {
    srcPort: 5353,
    dstPort: 53,
    checksum: sent,
    payload: [...DGRAM.payload],
  });
});

test('a computed checksum of zero is sent as 0xffff and verifies', () => {
  // With a two-byte payload equal to the checksum of the datagram with a zero payload, the sum
  // of everything is 0xffff, so the computed checksum is 0.
  const probe = buildIpv4Udp(A4, B4, { srcPort: 1, dstPort: 2, payload: new Uint8Array(2) });
  const c = probe[26]! * 256 + probe[27]!;
  const p = buildIpv4Udp(A4, B4, { srcPort: 1, dstPort: 2, payload: new Uint8Array([c >>> 8, c & 0xff]) });
  assert.deepEqual([...p.subarray(26, 28)], [0xff, 0xff]);
  const r = parseIpv4Udp(p);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.equal(r.value.udp.checksum, 0xffff);
});

test('writeUdp at an offset, and range errors', () => {
  const buf = new Uint8Array(30);
  assert.equal(writeUdp(buf, 3, DGRAM, ipv4PseudoHeaderSum(A4, B4, 17, 0)), 13);
  const r = parseUdp(buf.subarray(3, 16), ipv4PseudoHeaderSum(A4, B4, 17, 13));
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.throws(() => writeUdp(buf, 20, DGRAM, 0), RangeError);
  assert.throws(() => writeUdp(buf, -1, DGRAM, 0), RangeError);
  const huge = { ...DGRAM, payload: new Uint8Array(0xffff - 7) };
  assert.throws(() => writeUdp(new Uint8Array(0x10000 + 8), 0, huge, 0), RangeError);
});

test('zero checksum: "none" over IPv4, rejected over IPv6', () => {
  const p4 = buildIpv4Udp(A4, B4, DGRAM);
  p4[26] = 0;
  p4[27] = 0;
  const r4 = parseIpv4Udp(p4);
  assert.ok(r4.ok);
  assert.equal(r4.value.udp.checksum, 0);
  const p6 = buildIpv6Udp(A6, B6, DGRAM);
  p6[46] = 0;
  p6[47] = 0;
  rejects(parseIpv6Udp(p6), 'bad-checksum');
  const bare = p6.subarray(40);
  rejects(parseUdp(bare, undefined, true), 'bad-checksum');
  assert.ok(parseUdp(bare, undefined).ok);
});

test('parseUdp rejections', () => {
  const good = buildIpv4Udp(A4, B4, DGRAM).subarray(20);
  const pseudo = ipv4PseudoHeaderSum(A4, B4, 17, good.length);
  assert.ok(parseUdp(good, pseudo).ok);
  rejects(parseUdp(good.subarray(0, 7), pseudo), 'truncated');
  rejects(parseUdp(new Uint8Array(0), undefined), 'truncated');
  const short = good.slice();
  short[5] = 7; // Length 7 < 8
  rejects(parseUdp(short, undefined), 'bad-total-length');
  const long = good.slice();
  long[5] = 14; // Length beyond the bytes
  rejects(parseUdp(long, undefined), 'truncated');
  const less = good.slice();
  less[5] = 12; // Length below the bytes carried
  rejects(parseUdp(less, undefined), 'bad-total-length');
  const flipped = good.slice();
  flipped[9]! ^= 0x40;
  rejects(parseUdp(flipped, pseudo), 'bad-checksum');
  assert.ok(parseUdp(flipped, undefined).ok, 'no pseudo-sum, no verification');
  // Wrong addresses in the pseudo-header.
  rejects(parseUdp(good, ipv4PseudoHeaderSum(A4, B4 + 1, 17, good.length)), 'bad-checksum');
  rejects(parseIpv6Udp(buildIpv6Udp(A6, B6, DGRAM).subarray(0, 50)), 'truncated');
});

test('parseIpv4Udp / parseIpv6Udp reject other protocols; IPv6 finds UDP behind extension headers', () => {
  const seg: TcpSegment = {
    srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0),
  };
  rejects(parseIpv4Udp(buildIpv4Tcp(A4, B4, seg)), 'unsupported-protocol');
  rejects(parseIpv4Udp(new Uint8Array(3)), 'truncated');
  const plain = buildIpv6Udp(A6, B6, DGRAM);
  const udp = plain.subarray(40);
  const withExt = new Uint8Array(40 + 8 + udp.length);
  writeIpv6Header(withExt, 0, { src: A6, dst: B6, nextHeader: IPPROTO_DSTOPTS, payloadLength: 8 + udp.length });
  withExt.set([17, 0, 1, 4, 0, 0, 0, 0], 40); // Destination Options with a PadN option
  withExt.set(udp, 48);
  const r = parseIpv6Udp(withExt);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.deepEqual(r.value.udp.payload, DGRAM.payload);
  const icmp = withExt.slice();
  icmp[40] = 58;
  rejects(parseIpv6Udp(icmp), 'unsupported-protocol');
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.tuple(u16, u16).map(([hi, lo]) => hi * 0x10000 + lo);
const address6 = fc.uint8Array({ minLength: 16, maxLength: 16 });

function isResult(r: ParseResult<unknown>): boolean {
  return r.ok ? r.value !== undefined : typeof r.reason === 'string' && typeof r.detail === 'string';
}

test('UDP round trips over both IP versions', () => {
  fc.assert(
    fc.property(u32, u32, address6, address6, u16, u16, fc.uint8Array({ maxLength: 80 }), (s4, d4, s6, d6, sp, dp, pl) => {
      const d = { srcPort: sp, dstPort: dp, payload: pl };
      const r4 = parseIpv4Udp(buildIpv4Udp(s4, d4, d));
      assert.ok(r4.ok, r4.ok ? '' : r4.detail);
      assert.equal(r4.value.udp.srcPort, sp);
      assert.equal(r4.value.udp.dstPort, dp);
      assert.deepEqual(r4.value.udp.payload, pl);
      assert.notEqual(r4.value.udp.checksum, 0);
      const p6 = buildIpv6Udp(s6, d6, d);
      const r6 = parseIpv6Udp(p6);
      assert.ok(r6.ok, r6.ok ? '' : r6.detail);
      assert.deepEqual(r6.value.udp.payload, pl);
      const [sent, naive] = checksums(p6, 40, v6Pseudo(s6, d6, 8 + pl.length));
      assert.equal(sent, naive === 0 ? 0xffff : naive);
    }),
  );
});

test('random bytes never make the UDP parsers throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), u16, fc.boolean(), (bytes, pseudo, required) => {
      assert.ok(isResult(parseUdp(bytes, undefined, required)));
      assert.ok(isResult(parseUdp(bytes, pseudo, required)));
      assert.ok(isResult(parseIpv4Udp(bytes)));
      assert.ok(isResult(parseIpv6Udp(bytes)));
    }),
    { numRuns: 500 },
  );
  // Valid IPv6 headers in front of random UDP-ish bytes reach the UDP parser.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), (body) => {
      const p = new Uint8Array(40 + body.length);
      writeIpv6Header(p, 0, { src: A6, dst: B6, nextHeader: 17, payloadLength: body.length });
      p.set(body, 40);
      assert.ok(parseIpv6(p).ok);
      assert.ok(isResult(parseIpv6Udp(p)));
      assert.ok(isResult(parseUdp(body, ipv6PseudoHeaderSum(A6, B6, 17, body.length), true)));
    }),
    { numRuns: 300 },
  );
});
