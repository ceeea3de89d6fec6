import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_NONE,
  IPPROTO_ROUTING,
  buildIpv6Tcp,
  ipv6InPrefix,
  ipv6PseudoHeaderSum,
  ipv6ToString,
  parseIpv6,
  parseIpv6Address,
  parseIpv6Quote,
  parseIpv6Tcp,
  writeIpv6Header,
} from '../../src/wire/ipv6.js';
import { ACK, PSH, type DropReason, type ParseResult, type TcpSegment } from '../../src/wire/types.js';

/** Naive Internet checksum: 16-bit big-endian words, odd byte padded, carries folded at the end. */
function naiveChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** The RFC 8200 §8.1 pseudo-header laid out byte by byte. */
function pseudoHeader(src: Uint8Array, dst: Uint8Array, nh: number, length: number): number[] {
  return [...src, ...dst, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 0, 0, 0, nh];
}

function addr(text: string): Uint8Array {
  const a = parseIpv6Address(text);
  assert.ok(a, text);
  return a;
}

const A = addr('2001:db8::1');
const B = addr('2001:db8::2');

/** A packet with the given Next Header and payload bytes (extension headers included in `payload`). */
function packet(nextHeader: number, payload: number[], extra: Partial<Parameters<typeof writeIpv6Header>[2]> = {}) {
  const buf = new Uint8Array(40 + payload.length);
  writeIpv6Header(buf, 0, { src: A, dst: B, nextHeader, payloadLength: payload.length, ...extra });
  buf.set(payload, 40);
  return buf;
}

/** An extension header of (hdrExtLen + 1) × 8 bytes, filled with `fill` after the two fixed bytes. */
function ext(next: number, hdrExtLen: number, fill = 0): number[] {
  return [next, hdrExtLen, ...new Array<number>((hdrExtLen + 1) * 8 - 2).fill(fill)];
}

function fragment(next: number, offset: number, more: boolean, id: number): number[] {
  const field = offset | (more ? 1 : 0);
  return [next, 0, field >>> 8, field & 0xff, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff];
}

function rejects(r: ParseResult<unknown>, reason: DropReason): void {
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, reason, r.detail);
}

// ---------------------------------------------------------------------------------------------
// Addresses

test('RFC 4291 §2.2 text forms parse', () => {
  const cases: Array<[string, string]> = [
    ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
    ['2001:DB8:0:0:8:800:200C:417A', '2001:db8::8:800:200c:417a'],
    ['2001:DB8::8:800:200C:417A', '2001:db8::8:800:200c:417a'],
    ['FF01:0:0:0:0:0:0:101', 'ff01::101'],
    ['FF01::101', 'ff01::101'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::', '::'],
    ['0:0:0:0:0:0:13.1.68.3', '::d01:4403'],
    ['::13.1.68.3', '::d01:4403'],
    ['0:0:0:0:0:FFFF:129.144.52.38', '::ffff:129.144.52.38'],
    ['::FFFF:129.144.52.38', '::ffff:129.144.52.38'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1::1.2.3.4', '1::102:304'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['fe80::', 'fe80::'],
    ['0001:002:03:4::', '1:2:3:4::'],
  ];
  for (const [input, canonical] of cases) assert.equal(ipv6ToString(addr(input)), canonical, input);
  assert.deepEqual([...addr('::ffff:1.2.3.4')], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual([...addr('1:203::')], [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test('RFC 5952 canonical output', () => {
  const cases: Array<[string, string]> = [
    ['2001:0db8::0001', '2001:db8::1'], // §4.1 leading zeros
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], // §4.2.1 longest possible
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 a single 0 is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 the first of equal runs
    ['2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:AAAA', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa'], // §4.3
    ['0:0:1:0:0:0:0:1', '0:0:1::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1'],
  ];
  for (const [input, canonical] of cases) assert.equal(ipv6ToString(addr(input)), canonical, input);
});

test('bad address text is undefined', () => {
  const bad = [
    '', ':', ':::', '::::', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '::g',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1::2:3:4:5:6:7:8', ':1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:',
    ':1::', '1::2:', ' ::1', '::1 ', 'fe80::1%eth0', '2001:db8::/32', '::1.2.3', '::1.2.3.256', '::01.2.3.4',
    '1.2.3.4::', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:1.2.3.4', '1.2.3.4', '::-1', '::+1',
    '::0x1', '1:2:3:4:5:6:7:8:1.2.3.4',
  ];
  for (const text of bad) assert.equal(parseIpv6Address(text), undefined, JSON.stringify(text));
});

test('text round trips: random addresses, and random strings never throw', () => {
  // Bias towards zero groups so compression is exercised.
  const group = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      const bytes = new Uint8Array(16);
      groups.forEach((g, i) => {
        bytes[2 * i] = g >>> 8;
        bytes[2 * i + 1] = g & 0xff;
      });
      const text = ipv6ToString(bytes);
      assert.deepEqual(parseIpv6Address(text), bytes, text);
      assert.equal(text, text.toLowerCase());
      assert.ok(!text.includes(':::'));
      // The uncompressed form parses to the same address.
      assert.deepEqual(parseIpv6Address(groups.map((g) => g.toString(16)).join(':')), bytes);
    }),
  );
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%/ g'), maxLength: 50 }), (s) => {
      const a = parseIpv6Address(s);
      if (a !== undefined) {
        assert.equal(a.length, 16);
        assert.deepEqual(parseIpv6Address(ipv6ToString(a)), a);
      }
    }),
  );
});

test('ipv6InPrefix', () => {
  const p = addr('2001:db8:abcd:1200::');
  assert.ok(ipv6InPrefix(addr('2001:db8:abcd:12ff::1'), p, 56));
  assert.ok(!ipv6InPrefix(addr('2001:db8:abcd:1300::1'), p, 56));
  assert.ok(ipv6InPrefix(addr('2001:db8:abcd:1200::1'), p, 55));
  assert.ok(ipv6InPrefix(addr('2001:db8:abcd:13ff::1'), p, 55));
  assert.ok(!ipv6InPrefix(addr('2001:db8:abcd:1400::'), p, 55));
  assert.ok(ipv6InPrefix(addr('ffff::'), p, 0));
  assert.ok(ipv6InPrefix(A, A, 128));
  assert.ok(!ipv6InPrefix(A, B, 128));
  assert.ok(!ipv6InPrefix(A, B, 127));
  assert.ok(ipv6InPrefix(addr('2001:db8::3'), B, 127));
  assert.ok(ipv6InPrefix(A, B, 126));
  assert.ok(!ipv6InPrefix(addr('fe80::1'), addr('fe80::'), 128));
  assert.ok(ipv6InPrefix(addr('fe80::1'), addr('fe80::'), 10));
  assert.ok(ipv6InPrefix(addr('febf::1'), addr('fe80::'), 10));
  assert.ok(!ipv6InPrefix(addr('fec0::1'), addr('fe80::'), 10));
});

// ---------------------------------------------------------------------------------------------
// Packets

test('writeIpv6Header writes a header that parses back, with views not copies', () => {
  const p = packet(17, [1, 2, 3], { trafficClass: 0xab, flowLabel: 0xfedcb, hopLimit: 7 });
  assert.deepEqual([...p.subarray(0, 8)], [0x6a, 0xbf, 0xed, 0xcb, 0, 3, 17, 7]);
  const r = parseIpv6(p);
  assert.ok(r.ok);
  assert.deepEqual(r.value.header, {
    trafficClass: 0xab,
    flowLabel: 0xfedcb,
    payloadLength: 3,
    nextHeader: 17,
    hopLimit: 7,
    src: A,
    dst: B,
  });
  assert.equal(r.value.protocol, 17);
  assert.equal(r.value.fragment, undefined);
  assert.deepEqual([...r.value.payload], [1, 2, 3]);
  assert.equal(r.value.payload.buffer, p.buffer, 'payload is a view, not a copy');
  assert.equal(r.value.header.src.buffer, p.buffer, 'addresses are views, not copies');
});

test('writeIpv6Header defaults, offset and range errors', () => {
  const buf = new Uint8Array(50);
  assert.equal(writeIpv6Header(buf, 10, { src: A, dst: B, nextHeader: 59, payloadLength: 0 }), 40);
  const r = parseIpv6(buf.subarray(10));
  assert.ok(r.ok);
  assert.equal(r.value.header.hopLimit, 64);
  assert.equal(r.value.header.trafficClass, 0);
  assert.equal(r.value.header.flowLabel, 0);
  const init = { src: A, dst: B, nextHeader: 6, payloadLength: 0 };
  assert.throws(() => writeIpv6Header(buf, 11, init), RangeError);
  assert.throws(() => writeIpv6Header(buf, -1, init), RangeError);
  assert.throws(() => writeIpv6Header(buf, 0, { ...init, payloadLength: 65536 }), RangeError);
  assert.throws(() => writeIpv6Header(buf, 0, { ...init, payloadLength: -1 }), RangeError);
  assert.throws(() => writeIpv6Header(buf, 0, { ...init, src: new Uint8Array(4) }), RangeError);
});

test('link padding beyond the payload length is trimmed', () => {
  const p = new Uint8Array(100);
  p.set(packet(17, [9, 8, 7]));
  const r = parseIpv6(p);
  assert.ok(r.ok);
  assert.deepEqual([...r.value.payload], [9, 8, 7]);
});

test('rejections: truncated, bad version, payload length beyond the packet', () => {
  rejects(parseIpv6(new Uint8Array(0)), 'truncated');
  rejects(parseIpv6(packet(17, []).subarray(0, 39)), 'truncated');
  const v4 = packet(17, [1]);
  v4[0] = 0x45;
  rejects(parseIpv6(v4), 'bad-ip-version');
  rejects(parseIpv6(packet(17, [1, 2, 3]).subarray(0, 42)), 'truncated');
  const p = packet(17, [1, 2, 3]);
  p[5] = 4;
  rejects(parseIpv6(p), 'truncated');
});

test('extension header chains are skipped by their lengths', () => {
  const tcp = [0xaa, 0xbb, 0xcc];
  const chain = [
    ...ext(IPPROTO_ROUTING, 0, 0x11), // Hop-by-Hop, 8 bytes
    ...ext(IPPROTO_FRAGMENT, 1, 0x22), // Routing, 16 bytes
    ...fragment(IPPROTO_DSTOPTS, 0, false, 0xdeadbeef), // atomic fragment
    ...ext(6, 2, 0x33), // Destination Options, 24 bytes
    ...tcp,
  ];
  const p = packet(IPPROTO_HOPOPTS, chain);
  const r = parseIpv6(p);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.equal(r.value.header.nextHeader, IPPROTO_HOPOPTS);
  assert.equal(r.value.header.payloadLength, chain.length);
  assert.equal(r.value.protocol, 6);
  assert.deepEqual([...r.value.payload], tcp);
  assert.equal(r.value.payload.byteOffset, 40 + 8 + 16 + 8 + 24);
  assert.deepEqual(r.value.fragment, { offset: 0, more: false, id: 0xdeadbeef });

  // Destination Options may appear twice (before Routing and before the upper layer, RFC 8200 §4.1).
  const twice = parseIpv6(packet(IPPROTO_DSTOPTS, [...ext(IPPROTO_ROUTING, 0), ...ext(IPPROTO_DSTOPTS, 0), ...ext(17, 0), 5]));
  assert.ok(twice.ok);
  assert.equal(twice.value.protocol, 17);
  assert.deepEqual([...twice.value.payload], [5]);

  // An extension header that exactly fills the payload leaves an empty upper-layer payload.
  const exact = parseIpv6(packet(IPPROTO_DSTOPTS, ext(58, 0)));
  assert.ok(exact.ok);
  assert.equal(exact.value.protocol, 58);
  assert.equal(exact.value.payload.length, 0);
});

test('No Next Header means an empty payload; following bytes are ignored', () => {
  const r = parseIpv6(packet(IPPROTO_NONE, [1, 2, 3, 4]));
  assert.ok(r.ok);
  assert.equal(r.value.protocol, IPPROTO_NONE);
  assert.equal(r.value.payload.length, 0);
  const after = parseIpv6(packet(IPPROTO_HOPOPTS, [...ext(IPPROTO_NONE, 0), 9, 9]));
  assert.ok(after.ok);
  assert.equal(after.value.protocol, IPPROTO_NONE);
  assert.equal(after.value.payload.length, 0);
});

test('rejections: extension headers running past the end', () => {
  for (const nh of [IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS]) {
    rejects(parseIpv6(packet(nh, [])), 'bad-header-length');
    rejects(parseIpv6(packet(nh, [6])), 'bad-header-length');
    rejects(parseIpv6(packet(nh, ext(6, 1).slice(0, 15))), 'bad-header-length');
    rejects(parseIpv6(packet(nh, [6, 1, 0, 0, 0, 0, 0, 0])), 'bad-header-length'); // claims 16, has 8
  }
  rejects(parseIpv6(packet(IPPROTO_FRAGMENT, fragment(6, 0, false, 1).slice(0, 7))), 'bad-header-length');
  rejects(parseIpv6(packet(IPPROTO_DSTOPTS, [...ext(IPPROTO_ROUTING, 0), 43, 0, 0])), 'bad-header-length');
  // The chain is bounded by the Payload Length, not by the bytes after it.
  const padded = new Uint8Array(200);
  padded.set(packet(IPPROTO_DSTOPTS, [6, 1, 0, 0, 0, 0, 0, 0]));
  rejects(parseIpv6(padded), 'bad-header-length');
});

test('rejections: real fragments and misplaced Hop-by-Hop', () => {
  rejects(parseIpv6(packet(IPPROTO_FRAGMENT, [...fragment(17, 0, true, 7), 1, 2])), 'fragmented');
  rejects(parseIpv6(packet(IPPROTO_FRAGMENT, [...fragment(17, 1232, false, 7), 1, 2])), 'fragmented');
  rejects(parseIpv6(packet(IPPROTO_HOPOPTS, [...ext(IPPROTO_FRAGMENT, 0), ...fragment(17, 8, true, 7)])), 'fragmented');
  rejects(parseIpv6(packet(IPPROTO_DSTOPTS, [...ext(IPPROTO_HOPOPTS, 0), ...ext(17, 0)])), 'bad-extension-header');
  rejects(parseIpv6(packet(IPPROTO_HOPOPTS, [...ext(IPPROTO_HOPOPTS, 0), ...ext(17, 0)])), 'bad-extension-header');
});

test('parseIpv6Quote accepts a cut-short packet', () => {
  const full = packet(IPPROTO_DSTOPTS, [...ext(17, 0), 0x12, 0x34, 0x00, 0x35, ...new Array<number>(100).fill(7)]);
  rejects(parseIpv6(full.subarray(0, 56)), 'truncated');
  const q = parseIpv6Quote(full.subarray(0, 56));
  assert.ok(q.ok);
  assert.equal(q.value.protocol, 17);
  assert.deepEqual([...q.value.payload], [0x12, 0x34, 0x00, 0x35, 7, 7, 7, 7]);
  rejects(parseIpv6Quote(full.subarray(0, 39)), 'truncated');
  rejects(parseIpv6Quote(full.subarray(0, 44)), 'bad-header-length');
  const v4 = full.slice(0, 60);
  v4[0] = 0x45;
  rejects(parseIpv6Quote(v4), 'bad-ip-version');
});

// ---------------------------------------------------------------------------------------------
// Pseudo-header and TCP

test('ipv6PseudoHeaderSum agrees with a naive checksum of the laid-out pseudo-header', () => {
  const data = [1, 2, 3, 4, 5];
  for (const length of [0, 5, 0xffff, 0x12345, 0xffffffff]) {
    const naive = naiveChecksum([...pseudoHeader(A, B, 17, length), ...data, 0]);
    const ours = (~onesSum(data, ipv6PseudoHeaderSum(A, B, 17, length))) & 0xffff;
    assert.equal(ours, naive, `length ${length}`);
  }
});

/** Ones'-complement sum of `data` on top of `initial`, naively. */
function onesSum(data: number[], initial: number): number {
  let sum = initial;
  for (let i = 0; i < data.length; i += 2) sum += data[i]! * 256 + (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

const SEG: TcpSegment = {
  srcPort: 443,
  dstPort: 50000,
  seq: 0x01020304,
  ack: 0xfffffff0,
  flags: ACK | PSH,
  window: 65535,
  urgent: 0,
  options: { timestamp: { value: 1, echo: 2 } },
  payload: new Uint8Array([104, 101, 108, 108, 111]),
};

test('buildIpv6Tcp / parseIpv6Tcp round trip with an independently checked checksum', () => {
  const p = buildIpv6Tcp(A, B, SEG, 33);
  const tcpLength = p.length - 40;
  assert.deepEqual([...p.subarray(4, 8)], [0, tcpLength, 6, 33]);
  // Recompute the TCP checksum naively with the checksum field zeroed.
  const tcp = [...p.subarray(40)];
  const sent = tcp[16]! * 256 + tcp[17]!;
  tcp[16] = 0;
  tcp[17] = 0;
  assert.equal(sent, naiveChecksum([...pseudoHeader(A, B, 6, tcpLength), ...tcp]));
  const r = parseIpv6Tcp(p);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.equal(r.value.ip.hopLimit, 33);
  assert.deepEqual(r.value.tcp, SEG);
  assert.equal(r.value.tcp.payload.buffer, p.buffer);

  const bad = p.slice();
  bad[bad.length - 1]! ^= 1;
  rejects(parseIpv6Tcp(bad), 'bad-checksum');
  // The checksum covers the addresses.
  const moved = p.slice();
  moved[39]! ^= 1;
  rejects(parseIpv6Tcp(moved), 'bad-checksum');
  rejects(parseIpv6Tcp(packet(17, [0, 0, 0, 0, 0, 0, 0, 0])), 'unsupported-protocol');
  rejects(parseIpv6Tcp(p.subarray(0, 20)), 'truncated');
});

test('parseIpv6Tcp finds TCP behind extension headers', () => {
  const plain = buildIpv6Tcp(A, B, SEG);
  const tcp = [...plain.subarray(40)];
  const p = packet(IPPROTO_HOPOPTS, [...ext(IPPROTO_DSTOPTS, 0, 1), ...ext(6, 1, 2), ...tcp]);
  const r = parseIpv6Tcp(p);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.deepEqual(r.value.tcp, SEG);
});

// ---------------------------------------------------------------------------------------------
// Properties

const u8 = fc.integer({ min: 0, max: 0xff });
const nextHeaders = fc.constantFrom(0, 6, 17, 43, 44, 58, 59, 60, 255);

function isResult(r: ParseResult<unknown>): boolean {
  return r.ok ? r.value !== undefined : typeof r.reason === 'string' && typeof r.detail === 'string';
}

test('random bytes never make the IPv6 parsers throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      assert.ok(isResult(parseIpv6(bytes)));
      assert.ok(isResult(parseIpv6Quote(bytes)));
      assert.ok(isResult(parseIpv6Tcp(bytes)));
    }),
    { numRuns: 500 },
  );
});

test('valid fixed headers over random extension chains never throw, and stay in bounds', () => {
  // Random payloads whose bytes are mostly small, so Hdr Ext Len values often fit and chains get deep.
  const chainByte = fc.oneof(nextHeaders, fc.integer({ min: 0, max: 3 }), u8);
  fc.assert(
    fc.property(nextHeaders, fc.array(chainByte, { maxLength: 200 }), fc.nat(300), (nh, payload, cut) => {
      const p = packet(nh, payload);
      for (const bytes of [p, p.subarray(0, Math.min(p.length, cut))]) {
        const r = parseIpv6(bytes);
        assert.ok(isResult(r));
        if (r.ok) {
          const start = r.value.payload.byteOffset;
          assert.ok(start >= 40 && start + r.value.payload.length === 40 + payload.length);
        }
        assert.ok(isResult(parseIpv6Quote(bytes)));
        assert.ok(isResult(parseIpv6Tcp(bytes)));
      }
    }),
    { numRuns: 500 },
  );
});

test('buildIpv6Tcp round-trips random segments and addresses', () => {
  const address = fc.uint8Array({ minLength: 16, maxLength: 16 });
  fc.assert(
    fc.property(address, address, fc.uint8Array({ maxLength: 64 }), u8, (src, dst, payload, hop) => {
      const seg = { ...SEG, payload };
      const r = parseIpv6Tcp(buildIpv6Tcp(src, dst, seg, hop));
      assert.ok(r.ok, r.ok ? '' : r.detail);
      assert.deepEqual(r.value.tcp, seg);
      assert.deepEqual(r.value.ip.src, src);
      assert.equal(r.value.ip.hopLimit, hop);
    }),
  );
});
