import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finishChecksum, onesComplementSum } from '../../src/wire/checksum.js';
import {
  ipv4InPrefix,
  ipv4PrefixMask,
  ipv4ToString,
  parseIpv4,
  parseIpv4Address,
  parseIpv4Prefix,
  writeIpv4Header,
} from '../../src/wire/ipv4.js';
import type { DropReason } from '../../src/wire/types.js';

const A = 0x0a000001; // 10.0.0.1
const B = 0x0a000002; // 10.0.0.2

function datagram(payload: number[], init: Partial<Parameters<typeof writeIpv4Header>[2]> = {}): Uint8Array {
  const buf = new Uint8Array(20 + payload.length);
  writeIpv4Header(buf, 0, { src: A, dst: B, protocol: 17, payloadLength: payload.length, ...init });
  buf.set(payload, 20);
  return buf;
}

/** Recomputes the header checksum after a test edits header bytes. */
function fixChecksum(p: Uint8Array, headerLength = (p[0]! & 0xf) * 4): void {
  p[10] = 0;
  p[11] = 0;
  const sum = finishChecksum(onesComplementSum(p, 0, headerLength));
  p[10] = sum >>> 8;
  p[11] = sum & 0xff;
}

function rejects(p: Uint8Array, reason: DropReason): void {
  const r = parseIpv4(p);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, reason, r.detail);
}

test('writeIpv4Header writes a valid header that parses back', () => {
  const p = datagram([1, 2, 3], { ttl: 7, tos: 0x10, id: 0xbeef });
  assert.deepEqual([...p.subarray(0, 10)], [0x45, 0x10, 0, 23, 0xbe, 0xef, 0x40, 0, 7, 17]);
  assert.equal(finishChecksum(onesComplementSum(p, 0, 20)), 0);
  const r = parseIpv4(p);
  assert.ok(r.ok);
  assert.deepEqual(r.value.header, {
    tos: 0x10,
    totalLength: 23,
    id: 0xbeef,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 7,
    protocol: 17,
    src: A,
    dst: B,
    headerLength: 20,
  });
  assert.deepEqual([...r.value.payload], [1, 2, 3]);
  assert.equal(r.value.payload.buffer, p.buffer, 'payload is a view, not a copy');
});

test('writeIpv4Header defaults and offset', () => {
  const buf = new Uint8Array(30);
  assert.equal(writeIpv4Header(buf, 10, { src: B, dst: A, protocol: 6, payloadLength: 0, dontFragment: false }), 20);
  const r = parseIpv4(buf.subarray(10));
  assert.ok(r.ok);
  assert.equal(r.value.header.ttl, 64);
  assert.equal(r.value.header.dontFragment, false);
  assert.equal(r.value.header.id, 0);
  assert.throws(() => writeIpv4Header(buf, 11, { src: A, dst: B, protocol: 6, payloadLength: 0 }), RangeError);
  assert.throws(() => writeIpv4Header(buf, 0, { src: A, dst: B, protocol: 6, payloadLength: 65516 }), RangeError);
});

test('link padding beyond total length is trimmed', () => {
  const p = new Uint8Array(60);
  p.set(datagram([9, 8, 7, 6]));
  const r = parseIpv4(p);
  assert.ok(r.ok);
  assert.deepEqual([...r.value.payload], [9, 8, 7, 6]);
});

test('IP options are skipped via IHL', () => {
  const p = new Uint8Array(28);
  p.set(datagram([0xaa, 0xbb]).subarray(0, 20));
  p[0] = 0x46; // IHL 6
  p[3] = 26;
  p.set([1, 1, 1, 0], 20); // NOP NOP NOP EOL
  p.set([0xaa, 0xbb], 24);
  fixChecksum(p);
  const r = parseIpv4(p);
  assert.ok(r.ok);
  assert.equal(r.value.header.headerLength, 24);
  assert.deepEqual([...r.value.payload], [0xaa, 0xbb]);
});

test('rejection: truncated', () => {
  rejects(new Uint8Array(0), 'truncated');
  rejects(datagram([]).subarray(0, 19), 'truncated');
  const withOpts = datagram([1, 2, 3, 4]);
  withOpts[0] = 0x46;
  withOpts[3] = 24;
  fixChecksum(withOpts);
  rejects(withOpts.subarray(0, 22), 'truncated'); // shorter than IHL*4
  rejects(datagram([1, 2, 3]).subarray(0, 22), 'truncated'); // shorter than total length
});

test('rejection: bad-ip-version', () => {
  const p = datagram([]);
  p[0] = 0x65;
  fixChecksum(p, 20);
  rejects(p, 'bad-ip-version');
});

test('rejection: bad-header-length', () => {
  const p = datagram([]);
  p[0] = 0x44;
  rejects(p, 'bad-header-length');
});

test('rejection: bad-total-length', () => {
  const p = datagram([1, 2]);
  p[3] = 19;
  fixChecksum(p);
  rejects(p, 'bad-total-length');
});

test('rejection: bad-ip-checksum', () => {
  const p = datagram([1, 2]);
  p[8] ^= 1; // ttl changed without fixing the checksum
  rejects(p, 'bad-ip-checksum');
});

test('rejection: fragmented (MF set, or non-zero offset)', () => {
  const mf = datagram([1, 2, 3, 4, 5, 6, 7, 8]);
  mf[6] = 0x20;
  fixChecksum(mf);
  rejects(mf, 'fragmented');
  const later = datagram([1, 2, 3, 4, 5, 6, 7, 8]);
  later[6] = 0x00;
  later[7] = 0x01; // offset 8 bytes
  fixChecksum(later);
  rejects(later, 'fragmented');
});

test('address formatting and strict parsing', () => {
  assert.equal(ipv4ToString(0xc0a80001), '192.168.0.1');
  assert.equal(ipv4ToString(0xffffffff), '255.255.255.255');
  assert.equal(ipv4ToString(0), '0.0.0.0');
  assert.equal(parseIpv4Address('192.168.0.1'), 0xc0a80001);
  assert.equal(parseIpv4Address('255.255.255.255'), 0xffffffff);
  assert.equal(parseIpv4Address('0.0.0.0'), 0);
  const bads = ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '1..3.4', '0x1.2.3.4'];
  for (const bad of [...bads, '1.2.3.-4', '1e2.0.0.1']) {
    assert.equal(parseIpv4Address(bad), undefined, JSON.stringify(bad));
  }
});

test('prefix helpers', () => {
  assert.equal(ipv4PrefixMask(0), 0);
  assert.equal(ipv4PrefixMask(8), 0xff000000);
  assert.equal(ipv4PrefixMask(24), 0xffffff00);
  assert.equal(ipv4PrefixMask(32), 0xffffffff);
  assert.equal(ipv4InPrefix(0x0a0102ff, 0x0a000000, 8), true);
  assert.equal(ipv4InPrefix(0x0b000001, 0x0a000000, 8), false);
  assert.equal(ipv4InPrefix(0xc0a80001, 0, 0), true);
  assert.equal(ipv4InPrefix(0xc0a80001, 0xc0a80001, 32), true);
  assert.equal(ipv4InPrefix(0xc0a80002, 0xc0a80001, 32), false);
  assert.equal(ipv4InPrefix(0x80000000, 0x00000000, 1), false);
  assert.deepEqual(parseIpv4Prefix('10.0.0.0/8'), { addr: 0x0a000000, prefixLen: 8 });
  assert.deepEqual(parseIpv4Prefix('0.0.0.0/0'), { addr: 0, prefixLen: 0 });
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0/8', '10.0.0.0/8/8']) {
    assert.equal(parseIpv4Prefix(bad), undefined, bad);
  }
});
