import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ICMPV4_MAX_QUOTE,
  buildIpv4Icmp,
  icmpv4DestinationUnreachable,
  icmpv4EchoReply,
  icmpv4FragmentationNeeded,
  icmpv4PortUnreachable,
  icmpv4TimeExceeded,
  parseIcmpv4,
  parseIpv4Quote,
  serializeIcmpv4,
  type Icmpv4Message,
} from '../../src/wire/icmp.js';
import {
  ICMPV6_MAX_QUOTE,
  buildIpv6Icmpv6,
  icmpv6DestinationUnreachable,
  icmpv6EchoReply,
  icmpv6PacketTooBig,
  icmpv6PortUnreachable,
  icmpv6TimeExceeded,
  parseIcmpv6,
  parseIpv6Icmpv6,
  serializeIcmpv6,
  type Icmpv6Message,
} from '../../src/wire/icmpv6.js';
import { ipv6PseudoHeaderSum, parseIpv6, parseIpv6Address, parseIpv6Quote } from '../../src/wire/ipv6.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { buildIpv4Udp, buildIpv6Udp } from '../../src/wire/udp.js';
import type { DropReason, ParseResult } from '../../src/wire/types.js';

/** Naive Internet checksum: 16-bit big-endian words, odd byte padded, carries folded at the end. */
function naiveChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

function v6Pseudo(src: Uint8Array, dst: Uint8Array, length: number): number[] {
  return [...src, ...dst, 0, 0, length >>> 8, length & 0xff, 0, 0, 0, 58];
}

/** `msg` with its checksum (bytes 2–3) filled in naively, over `pseudo` + the message. */
function withChecksum(msg: number[], pseudo: number[] = []): Uint8Array {
  const c = naiveChecksum([...pseudo, ...msg.slice(0, 2), 0, 0, ...msg.slice(4)]);
  const out = Uint8Array.from(msg);
  out[2] = c >>> 8;
  out[3] = c & 0xff;
  return out;
}

function rejects(r: ParseResult<unknown>, reason: DropReason): void {
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, reason, r.detail);
}

const A4 = 0x0a000001;
const B4 = 0x0a000002;
const A6 = parseIpv6Address('2001:db8::a')!;
const B6 = parseIpv6Address('2001:db8::b')!;

// ---------------------------------------------------------------------------------------------
// ICMPv4

test('ICMPv4 echo request parses from hand-made bytes, and the reply echoes it', () => {
  const req = withChecksum([8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 0x61, 0x62, 0x63]);
  const r = parseIcmpv4(req);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.equal(r.value.kind, 'echo-request');
  if (r.value.kind !== 'echo-request') return;
  assert.equal(r.value.id, 0x1234);
  assert.equal(r.value.seq, 7);
  assert.deepEqual([...r.value.data], [0x61, 0x62, 0x63]);
  assert.equal(r.value.data.buffer, req.buffer, 'data is a view, not a copy');
  const reply = serializeIcmpv4(icmpv4EchoReply(r.value));
  // The reply differs only in type and checksum; check the checksum naively.
  assert.deepEqual([...reply], [...withChecksum([0, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 0x61, 0x62, 0x63])]);
  const p = buildIpv4Icmp(B4, A4, icmpv4EchoReply(r.value), 64);
  const ip = parseIpv4(p);
  assert.ok(ip.ok);
  assert.equal(ip.value.header.protocol, 1);
  assert.equal(ip.value.header.dontFragment, false);
  assert.deepEqual([...ip.value.payload], [...reply]);
});

test('ICMPv4 round trips every typed kind and raw others', () => {
  const offending = buildIpv4Udp(A4, B4, { srcPort: 1000, dstPort: 33434, payload: new Uint8Array(20) });
  const messages: Icmpv4Message[] = [
    { kind: 'echo-request', code: 0, id: 1, seq: 2, data: new Uint8Array([1]) },
    { kind: 'echo-reply', code: 0, id: 0xffff, seq: 0, data: new Uint8Array(0) },
    icmpv4PortUnreachable(offending),
    icmpv4DestinationUnreachable(1, offending),
    icmpv4FragmentationNeeded(offending, 1400),
    icmpv4TimeExceeded(0, offending),
    { kind: 'other', type: 13, code: 0, body: new Uint8Array([0, 1, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) },
  ];
  for (const m of messages) {
    const bytes = serializeIcmpv4(m);
    const c = bytes[2]! * 256 + bytes[3]!;
    assert.equal(c, naiveChecksum([...bytes.subarray(0, 2), 0, 0, ...bytes.subarray(4)]), m.kind);
    const r = parseIcmpv4(bytes);
    assert.ok(r.ok, r.ok ? '' : r.detail);
    assert.deepEqual(r.value, m);
  }
  const d = icmpv4DestinationUnreachable(4, offending);
  assert.deepEqual(d, { kind: 'fragmentation-needed', mtu: 0, original: offending });
});

test('ICMPv4 Fragmentation Needed carries the next-hop MTU in bytes 6–7 (RFC 1191 §4)', () => {
  const quote = [...buildIpv4Udp(A4, B4, { srcPort: 1, dstPort: 2, payload: new Uint8Array(0) })];
  // Bytes: type 3 code 4, checksum, unused 0x0000, MTU 0x05d4 (1492), the quote.
  const fixed = withChecksum([3, 4, 0, 0, 0, 0, 0x05, 0xd4, ...quote]);
  const r = parseIcmpv4(fixed);
  assert.ok(r.ok);
  assert.deepEqual(r.value, { kind: 'fragmentation-needed', mtu: 1492, original: Uint8Array.from(quote) });
});

test('ICMPv4 errors quote the header and at least 8 bytes, at most 548, without link padding', () => {
  const small = buildIpv4Udp(A4, B4, { srcPort: 4242, dstPort: 9, payload: new Uint8Array([1, 2, 3]) });
  const padded = new Uint8Array(64);
  padded.set(small);
  const m = icmpv4PortUnreachable(padded);
  assert.equal(m.original.length, small.length);
  assert.equal(m.original.buffer, padded.buffer, 'the quote is a view');
  const q = parseIpv4Quote(m.original);
  assert.ok(q.ok);
  assert.equal(q.value.header.src, A4);
  assert.equal(q.value.header.protocol, 17);
  assert.deepEqual([...q.value.payload.subarray(0, 4)], [0x10, 0x92, 0, 9]);

  const big = buildIpv4Udp(A4, B4, { srcPort: 4242, dstPort: 9, payload: new Uint8Array(1400) });
  const b = icmpv4PortUnreachable(big);
  assert.equal(b.original.length, ICMPV4_MAX_QUOTE);
  const whole = buildIpv4Icmp(B4, A4, b);
  assert.equal(whole.length, 576);
  const back = parseIpv4(whole);
  assert.ok(back.ok);
  const msg = parseIcmpv4(back.value.payload);
  assert.ok(msg.ok);
  assert.equal(msg.value.kind, 'destination-unreachable');
  if (msg.value.kind !== 'destination-unreachable') return;
  const quoted = parseIpv4Quote(msg.value.original);
  assert.ok(quoted.ok, quoted.ok ? '' : quoted.detail);
  assert.equal(quoted.value.header.totalLength, big.length);
  assert.equal(quoted.value.payload.length, ICMPV4_MAX_QUOTE - 20);
  rejects(parseIpv4(msg.value.original), 'truncated'); // the strict parser would refuse the quote
});

test('ICMPv4 rejections', () => {
  rejects(parseIcmpv4(new Uint8Array(7)), 'truncated');
  const req = withChecksum([8, 0, 0, 0, 0, 1, 0, 1, 9]);
  assert.ok(parseIcmpv4(req).ok);
  const bad = req.slice();
  bad[8]! ^= 1;
  rejects(parseIcmpv4(bad), 'bad-checksum');
  assert.ok(parseIcmpv4(bad, false).ok);
  const ip = [...buildIpv4Udp(A4, B4, { srcPort: 1, dstPort: 2, payload: new Uint8Array(8) })];
  rejects(parseIpv4Quote(Uint8Array.from(ip.slice(0, 19))), 'truncated');
  rejects(parseIpv4Quote(Uint8Array.from([0x65, ...ip.slice(1)])), 'bad-ip-version');
  rejects(parseIpv4Quote(Uint8Array.from([0x44, ...ip.slice(1)])), 'bad-header-length');
  rejects(parseIpv4Quote(Uint8Array.from([0x4f, ...ip.slice(1)])), 'truncated');
  rejects(parseIpv4Quote(Uint8Array.from([...ip.slice(0, 2), 0, 19, ...ip.slice(4)])), 'bad-total-length');
});

// ---------------------------------------------------------------------------------------------
// ICMPv6

test('ICMPv6 echo request from hand-made bytes with a naive pseudo-header checksum', () => {
  const msg = [128, 0, 0, 0, 0xab, 0xcd, 0x00, 0x01, 0x70, 0x69, 0x6e, 0x67, 0x21];
  const bytes = withChecksum(msg, v6Pseudo(A6, B6, msg.length));
  const r = parseIcmpv6(bytes, ipv6PseudoHeaderSum(A6, B6, 58, bytes.length));
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.deepEqual(r.value, { kind: 'echo-request', code: 0, id: 0xabcd, seq: 1, data: bytes.subarray(8) });
  // The same bytes fail against other addresses: the checksum covers the pseudo-header.
  rejects(parseIcmpv6(bytes, ipv6PseudoHeaderSum(B6, B6, 58, bytes.length)), 'bad-checksum');
  if (r.value.kind !== 'echo-request') return;
  const reply = serializeIcmpv6(icmpv6EchoReply(r.value), B6, A6);
  const replyMsg = [129, ...msg.slice(1)];
  assert.deepEqual([...reply], [...withChecksum(replyMsg, v6Pseudo(B6, A6, msg.length))]);
  const p = buildIpv6Icmpv6(B6, A6, icmpv6EchoReply(r.value), 255);
  const back = parseIpv6Icmpv6(p);
  assert.ok(back.ok, back.ok ? '' : back.detail);
  assert.equal(back.value.ip.hopLimit, 255);
  assert.equal(back.value.icmp.kind, 'echo-reply');
});

test('ICMPv6 round trips every typed kind and raw others', () => {
  const offending = buildIpv6Udp(A6, B6, { srcPort: 546, dstPort: 547, payload: new Uint8Array(30) });
  const messages: Icmpv6Message[] = [
    { kind: 'echo-request', code: 0, id: 7, seq: 65535, data: new Uint8Array([1, 2, 3]) },
    { kind: 'echo-reply', code: 0, id: 0, seq: 0, data: new Uint8Array(0) },
    icmpv6PortUnreachable(offending),
    icmpv6DestinationUnreachable(0, offending),
    icmpv6PacketTooBig(offending, 0xfffffffe),
    icmpv6TimeExceeded(1, offending),
    { kind: 'other', type: 135, code: 0, body: new Uint8Array(20) }, // Neighbor Solicitation
    { kind: 'other', type: 200, code: 9, body: new Uint8Array(0) },
  ];
  for (const m of messages) {
    const bytes = serializeIcmpv6(m, A6, B6);
    const c = bytes[2]! * 256 + bytes[3]!;
    const naive = naiveChecksum([...v6Pseudo(A6, B6, bytes.length), ...bytes.subarray(0, 2), 0, 0, ...bytes.subarray(4)]);
    assert.equal(c, naive, m.kind);
    const r = parseIcmpv6(bytes, ipv6PseudoHeaderSum(A6, B6, 58, bytes.length));
    assert.ok(r.ok, r.ok ? '' : r.detail);
    assert.deepEqual(r.value, m);
  }
  const ptb = serializeIcmpv6(icmpv6PacketTooBig(offending, 1280), A6, B6);
  assert.deepEqual([...ptb.subarray(0, 2)], [2, 0]);
  assert.deepEqual([...ptb.subarray(4, 8)], [0, 0, 5, 0]);
});

test('ICMPv6 errors quote as much as fits in 1280 bytes, and the quote parses lazily', () => {
  const big = buildIpv6Udp(A6, B6, { srcPort: 40000, dstPort: 53, payload: new Uint8Array(1400) });
  const m = icmpv6PortUnreachable(big);
  assert.equal(m.original.length, ICMPV6_MAX_QUOTE);
  assert.equal(m.original.buffer, big.buffer, 'the quote is a view');
  const p = buildIpv6Icmpv6(B6, A6, m);
  assert.equal(p.length, 1280);
  const back = parseIpv6Icmpv6(p);
  assert.ok(back.ok, back.ok ? '' : back.detail);
  assert.equal(back.value.icmp.kind, 'destination-unreachable');
  if (back.value.icmp.kind !== 'destination-unreachable') return;
  assert.equal(back.value.icmp.code, 4);
  const q = parseIpv6Quote(back.value.icmp.original);
  assert.ok(q.ok, q.ok ? '' : q.detail);
  assert.equal(q.value.protocol, 17);
  assert.deepEqual([...q.value.payload.subarray(0, 4)], [0x9c, 0x40, 0, 53]);
  assert.deepEqual(q.value.header.src, A6);

  const small = buildIpv6Udp(A6, B6, { srcPort: 1, dstPort: 2, payload: new Uint8Array(3) });
  const padded = new Uint8Array(small.length + 10);
  padded.set(small);
  assert.equal(icmpv6TimeExceeded(0, padded).original.length, small.length);
});

test('ICMPv6 rejections', () => {
  const sum = (n: number) => ipv6PseudoHeaderSum(A6, B6, 58, n);
  rejects(parseIcmpv6(new Uint8Array(3), undefined), 'truncated');
  for (const type of [1, 2, 3, 128, 129]) {
    const msg = withChecksum([type, 0, 0, 0, 0, 0, 0], v6Pseudo(A6, B6, 7));
    rejects(parseIcmpv6(msg, sum(7)), 'truncated');
  }
  const ns = withChecksum([135, 0, 0, 0], v6Pseudo(A6, B6, 4));
  const r = parseIcmpv6(ns, sum(4));
  assert.ok(r.ok);
  assert.deepEqual(r.value, { kind: 'other', type: 135, code: 0, body: new Uint8Array(0) });
  const bad = ns.slice();
  bad[1] = 1;
  rejects(parseIcmpv6(bad, sum(4)), 'bad-checksum');
  assert.ok(parseIcmpv6(bad, undefined).ok);
  const udp = buildIpv6Udp(A6, B6, { srcPort: 1, dstPort: 2, payload: new Uint8Array(0) });
  rejects(parseIpv6Icmpv6(udp), 'unsupported-protocol');
  rejects(parseIpv6Icmpv6(udp.subarray(0, 30)), 'truncated');
  const echo = buildIpv6Icmpv6(A6, B6, { kind: 'echo-request', code: 0, id: 1, seq: 1, data: new Uint8Array(4) });
  const corrupt = echo.slice();
  corrupt[echo.length - 1] = 1;
  rejects(parseIpv6Icmpv6(corrupt), 'bad-checksum');
  assert.ok(parseIpv6(corrupt).ok);
});

// ---------------------------------------------------------------------------------------------
// Properties

const u16 = fc.integer({ min: 0, max: 0xffff });

function isResult(r: ParseResult<unknown>): boolean {
  return r.ok ? r.value !== undefined : typeof r.reason === 'string' && typeof r.detail === 'string';
}

test('random bytes never make the ICMP parsers throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), u16, fc.boolean(), (bytes, pseudo, verify) => {
      assert.ok(isResult(parseIcmpv4(bytes, verify)));
      assert.ok(isResult(parseIpv4Quote(bytes)));
      assert.ok(isResult(parseIcmpv6(bytes, undefined)));
      assert.ok(isResult(parseIcmpv6(bytes, pseudo)));
      assert.ok(isResult(parseIpv6Icmpv6(bytes)));
      // Whatever parses (checksum unverified) re-serialises to a message of the same length.
      const r4 = parseIcmpv4(bytes, false);
      if (r4.ok) assert.equal(serializeIcmpv4(r4.value).length, bytes.length);
      const r6 = parseIcmpv6(bytes, undefined);
      if (r6.ok) assert.equal(serializeIcmpv6(r6.value, A6, B6).length, bytes.length);
    }),
    { numRuns: 500 },
  );
});

test('valid ICMP messages with random contents round-trip byte for byte', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 4, maxLength: 60 }), (type, code, body) => {
      const v4 = withChecksum([type, code, 0, 0, ...body]);
      const r4 = parseIcmpv4(v4);
      assert.ok(r4.ok, r4.ok ? '' : r4.detail);
      // Unused fields of typed errors are written as zero, so compare after re-parsing.
      assert.deepEqual(parseIcmpv4(serializeIcmpv4(r4.value)), r4);
      const v6 = withChecksum([type, code, 0, 0, ...body], v6Pseudo(A6, B6, body.length + 4));
      const r6 = parseIcmpv6(v6, ipv6PseudoHeaderSum(A6, B6, 58, v6.length));
      assert.ok(r6.ok, r6.ok ? '' : r6.detail);
      const again = serializeIcmpv6(r6.value, A6, B6);
      assert.deepEqual(parseIcmpv6(again, ipv6PseudoHeaderSum(A6, B6, 58, again.length)), r6);
    }),
    { numRuns: 300 },
  );
});
