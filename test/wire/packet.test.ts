import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finishChecksum, onesComplementSum } from '../../src/wire/checksum.js';
import { writeIpv4Header } from '../../src/wire/ipv4.js';
import { buildIpv4Tcp, formatFlags, parseIpv4Tcp } from '../../src/wire/packet.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, type TcpSegment } from '../../src/wire/types.js';
import * as wire from '../../src/wire/index.js';

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
}

/** Textbook RFC 1071 checksum over plain arrays, independent of src/wire/checksum.ts. */
function naiveChecksum(bytes: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += bytes[i]! * 256 + (i + 1 < bytes.length ? bytes[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * A Linux-style SYN 10.0.0.1:54321 → 10.0.0.2:80 (MSS 1460, SACKOK, TS 0x01020304/0, WS 7), with
 * checksums 26ba (IP) and f7d8 (TCP) computed by a separate Python script.
 */
const SYN_PACKET = hex(`
  4500 003c 0000 4000 4006 26ba 0a00 0001 0a00 0002
  d431 0050 1234 5678 0000 0000 a002 faf0 f7d8 0000
  0204 05b4 0402 080a 0102 0304 0000 0000 0103 0307`);

const SYN_SEGMENT: TcpSegment = {
  srcPort: 54321,
  dstPort: 80,
  seq: 0x12345678,
  ack: 0,
  flags: SYN,
  window: 64240,
  urgent: 0,
  options: { mss: 1460, sackPermitted: true, timestamp: { value: 0x01020304, echo: 0 }, windowScale: 7 },
  payload: new Uint8Array(0),
};

test('the captured SYN checksums agree with a naive implementation', () => {
  const ipHeader = SYN_PACKET.slice(0, 20);
  ipHeader[10] = ipHeader[11] = 0;
  assert.equal(naiveChecksum(ipHeader), 0x26ba);
  const tcp = SYN_PACKET.slice(20);
  tcp[16] = tcp[17] = 0;
  const pseudo = [10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, tcp.length];
  assert.equal(naiveChecksum([...pseudo, ...tcp]), 0xf7d8);
});

test('parseIpv4Tcp decodes the captured SYN', () => {
  const r = parseIpv4Tcp(SYN_PACKET);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  assert.deepEqual(r.value.tcp, SYN_SEGMENT);
  assert.equal(r.value.ip.src, 0x0a000001);
  assert.equal(r.value.ip.dst, 0x0a000002);
  assert.equal(r.value.ip.ttl, 64);
  assert.equal(r.value.ip.dontFragment, true);
});

test('buildIpv4Tcp reproduces the captured SYN byte for byte', () => {
  assert.deepEqual(buildIpv4Tcp(0x0a000001, 0x0a000002, SYN_SEGMENT), SYN_PACKET);
});

test('odd-length payload (PSH,ACK "hello") checksum matches the independent value', () => {
  const seg: TcpSegment = {
    srcPort: 80,
    dstPort: 54321,
    seq: 1000,
    ack: 0x12345679,
    flags: PSH | ACK,
    window: 502,
    urgent: 0,
    options: {},
    payload: new TextEncoder().encode('hello'),
  };
  const p = buildIpv4Tcp(0x0a000002, 0x0a000001, seg, 255);
  assert.equal(p.length, 45);
  assert.equal((p[36]! << 8) | p[37]!, 0x14e6);
  assert.equal(p[8], 255);
  const r = parseIpv4Tcp(p);
  assert.ok(r.ok);
  assert.deepEqual(r.value.tcp, seg);
});

test('parseIpv4Tcp passes through IP rejections', () => {
  const r = parseIpv4Tcp(SYN_PACKET.subarray(0, 30));
  assert.ok(!r.ok);
  assert.equal(r.reason, 'truncated');
});

test('parseIpv4Tcp: unsupported-protocol for non-TCP', () => {
  const p = new Uint8Array(28);
  writeIpv4Header(p, 0, { src: 1, dst: 2, protocol: 17, payloadLength: 8 });
  const r = parseIpv4Tcp(p);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'unsupported-protocol');
});

test('parseIpv4Tcp: bad-checksum when the TCP part is corrupted or addresses differ', () => {
  const corrupt = SYN_PACKET.slice();
  corrupt[25] ^= 0x40; // sequence number
  const r = parseIpv4Tcp(corrupt);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'bad-checksum');
  // Changing the destination (and fixing only the IP checksum) breaks the pseudo-header sum.
  const moved = SYN_PACKET.slice();
  moved[19] = 3;
  moved[10] = moved[11] = 0;
  const sum = finishChecksum(onesComplementSum(moved, 0, 20));
  moved[10] = sum >>> 8;
  moved[11] = sum & 0xff;
  const r2 = parseIpv4Tcp(moved);
  assert.ok(!r2.ok);
  assert.equal(r2.reason, 'bad-checksum');
});

test('parseIpv4Tcp: TCP-level rejections surface', () => {
  const p = buildIpv4Tcp(1, 2, { ...SYN_SEGMENT, options: {} });
  const short = new Uint8Array(30);
  writeIpv4Header(short, 0, { src: 1, dst: 2, protocol: 6, payloadLength: 10 });
  const r = parseIpv4Tcp(short);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'truncated');
  assert.ok(parseIpv4Tcp(p).ok);
});

test('formatFlags uses the order SYN,FIN,RST,PSH,ACK,URG,ECE,CWR', () => {
  assert.equal(formatFlags(SYN | ACK), 'SYN,ACK');
  assert.equal(formatFlags(FIN | ACK), 'FIN,ACK');
  assert.equal(formatFlags(RST | ACK), 'RST,ACK');
  assert.equal(formatFlags(PSH | ACK), 'PSH,ACK');
  assert.equal(formatFlags(SYN), 'SYN');
  assert.equal(formatFlags(0), '');
  assert.equal(formatFlags(0xff), 'SYN,FIN,RST,PSH,ACK,URG,ECE,CWR');
  assert.equal(formatFlags(CWR | ECE | URG), 'URG,ECE,CWR');
});

test('index re-exports the wire API', () => {
  for (const name of [
    'onesComplementSum', 'finishChecksum', 'ipv4PseudoHeaderSum', 'parseIpv4', 'writeIpv4Header',
    'ipv4ToString', 'parseIpv4Address', 'ipv4InPrefix', 'parseTcp', 'tcpOptionsLength', 'writeTcp',
    'writeTcpSegment', 'serializeTcp', 'parseIpv4Tcp', 'buildIpv4Tcp', 'formatFlags', 'SYN', 'IPPROTO_TCP',
  ]) {
    assert.equal(typeof (wire as Record<string, unknown>)[name] === 'undefined', false, name);
  }
});
