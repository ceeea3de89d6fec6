/**
 * Opening a connection: the SYN we send, the MSS option both ways (RFC 9293 §3.7.1, RFC 6691), the
 * ISS source, and the initial congestion window that depends on the negotiated MSS (RFC 5681 §3.1,
 * RFC 6928 §2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc6528Isn } from '../../src/tcp/isn.js';
import type { TcpSegment } from '../../src/wire/types.js';
import {
  OUR_WIN,
  established,
  expectSegments,
  feed,
  newConnection,
  pattern,
  recvAll,
  synSent,
} from './helpers.js';

const sizes = (segs: TcpSegment[]): number[] => segs.map((s) => s.payload.length);

test('our SYN carries the MSS option we can receive (default 1460)', () => {
  synSent(); // asserts <SEQ=1000><CTL=SYN> win 65535 mss 1460
});

test('our SYN advertises the configured mss, independent of pathMss', () => {
  const c = newConnection({ mss: 1200, pathMss: 900 });
  c.open(0, 'active');
  expectSegments(c, 0, [{ flags: 'SYN', seq: 1000, ack: 0, win: OUR_WIN, mss: 1200 }]);
});

test('the SYN,ACK of a passive open carries our MSS option too', () => {
  const c = newConnection({ mss: 8960 }, { remoteAddress: undefined, remotePort: undefined });
  c.open(0, 'passive');
  feed(c, 0, { flags: 'SYN', seq: 5000, mss: 1460 });
  expectSegments(c, 0, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 8960 }]);
});

test('peer MSS option absent → 536-byte segments (RFC 9293 §3.7.1)', () => {
  const { c } = established({ peerMss: null });
  assert.equal(c.status().mss, 536);
  const data = pattern(2000);
  c.send(data, 200);
  expectSegments(c, 200, [
    { flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: data.subarray(0, 536) },
    { flags: 'ACK', seq: 1537, ack: 5001, win: OUR_WIN, data: data.subarray(536, 1072) },
    { flags: 'ACK', seq: 2073, ack: 5001, win: OUR_WIN, data: data.subarray(1072, 1608) },
    { flags: 'ACK,PSH', seq: 2609, ack: 5001, win: OUR_WIN, data: data.subarray(1608) },
  ]);
});

test('send segments never exceed the peer\'s MSS (peer 500, path 1460)', () => {
  const { c } = established({ peerMss: 500 });
  c.send(pattern(1200), 200);
  assert.deepStrictEqual(sizes(recvAll(c, 200)), [500, 500, 200]);
});

test('send segments never exceed pathMss (peer 1460, path 1000)', () => {
  const { c } = established({ pathMss: 1000 });
  assert.equal(c.status().mss, 1000);
  c.send(pattern(2500), 200);
  assert.deepStrictEqual(sizes(recvAll(c, 200)), [1000, 1000, 500]);
});

test('a peer MSS larger than ours does not raise our send MSS above pathMss', () => {
  const { c } = established({ peerMss: 9000 });
  assert.equal(c.status().mss, 1460);
});

test('initial window: 10 segments of 1460 (RFC 6928 §2: min(10·MSS, max(2·MSS, 14600)))', () => {
  const { c } = established({ peerWin: 65535 });
  c.send(pattern(30_000), 200);
  const out = recvAll(c, 200);
  assert.deepStrictEqual(sizes(out), Array(10).fill(1460));
});

test('initial window follows the negotiated SMSS: peer MSS 536 → 10 segments of 536, not 14600 bytes', () => {
  const { c } = established({ peerWin: 65535, peerMss: 536 });
  c.send(pattern(30_000), 200);
  const out = recvAll(c, 200);
  assert.deepStrictEqual(sizes(out), Array(10).fill(536));
  assert.equal(c.status().cwnd, 5360);
});

test('after a lost SYN the initial window is one full-sized segment (RFC 5681 §3.1)', () => {
  const { c } = synSent();
  c.handleTimeout(1000);
  recvAll(c, 1000);
  feed(c, 1100, { flags: 'SYN,ACK', seq: 5000, ack: 1001, win: 65535, mss: 1460 });
  recvAll(c, 1100);
  c.send(pattern(5000), 1200);
  assert.deepStrictEqual(sizes(recvAll(c, 1200)), [1460]);
  assert.equal(c.status().cwnd, 1460);
});

test('ISS from an RFC 6528 key when no fixed ISS is given', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const c = newConnection({}, { iss: undefined, isnKey: key });
  c.open(1234, 'active');
  const [syn] = recvAll(c, 1234);
  const want = rfc6528Isn(key, { localAddress: '10.0.0.1', localPort: 49500, remoteAddress: '10.0.0.2', remotePort: 80 }, 1234);
  assert.equal(syn!.seq, want);
  assert.equal(c.status().iss, want);
});

test('a fixed ISS wins over the key', () => {
  const c = newConnection({ iss: 42 }, { isnKey: new Uint8Array(16) });
  c.open(0, 'active');
  assert.equal(recvAll(c, 0)[0]!.seq, 42);
});
