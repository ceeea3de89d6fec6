/**
 * Delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2) and Nagle's algorithm (RFC 9293 §3.7.4, RFC 1122
 * §4.2.3.4), with the full default config (ackDelay 40 ms, Nagle on). Windows: our 4 MiB buffer at
 * shift 7, so with `n` bytes received and unread the field is ceil((4 194 304 − n) / 128).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/tcp/connection.js';
import {
  ISS,
  OUR_WIN_FIELD,
  PEER_ISS,
  SEG,
  expectNone,
  expectOut,
  extEstablished,
  internals,
  ours,
  out,
  pattern,
  peerTs,
  pfeed,
} from './helpers.js';

const BUF = 4 * 1024 * 1024;
/** Our window field with `unread` bytes in the receive buffer, while the edge is the handshake's. */
const win = (unread: number): number => Math.ceil((BUF - unread) / 128);

function data(c: Connection, t: number, seq: number, n: number, flags = 'ACK'): void {
  pfeed(c, t, { flags, seq, ack: ISS + 1, data: pattern(n) });
}

test('delayed ACK: one full-sized segment is acknowledged exactly 40 ms later', () => {
  const { c, rcv } = extEstablished();
  data(c, 1000, rcv, SEG);
  expectNone(c, 1000);
  assert.equal(internals(c).delAckAt, 1040);
  assert.equal(c.pollTimeout(), 1040);
  c.handleTimeout(1039.9);
  expectNone(c, 1039.9);
  c.handleTimeout(1040);
  expectOut(c, 1040, [{ flags: 'ACK', seq: ISS + 1, ack: rcv + SEG, win: win(SEG), options: ours(1040, peerTs(1000)) }]);
  assert.equal(c.stats.delayedAcks, 1);
  assert.equal(c.pollTimeout(), undefined, 'nothing else pending');
});

test('delayed ACK: the timer runs from the first unacknowledged segment, not the last', () => {
  const { c, rcv } = extEstablished();
  data(c, 1000, rcv, 100);
  data(c, 1030, rcv + 100, 100);
  expectNone(c, 1030);
  assert.equal(c.pollTimeout(), 1040);
  c.handleTimeout(1040);
  // TSecr: the earliest unacknowledged segment's TSval (RFC 7323 §4.3 (A)).
  expectOut(c, 1040, [{ flags: 'ACK', seq: ISS + 1, ack: rcv + 200, win: win(200), options: ours(1040, peerTs(1000)) }]);
});

test('delayed ACK: the second full-sized segment is acknowledged at once (RFC 5681 §4.2)', () => {
  const { c, rcv } = extEstablished();
  data(c, 1000, rcv, SEG);
  expectNone(c, 1000);
  data(c, 1010, rcv + SEG, SEG);
  expectOut(c, 1010, [{ flags: 'ACK', seq: ISS + 1, ack: rcv + 2 * SEG, win: win(2 * SEG), options: ours(1010, peerTs(1000)) }]);
  assert.equal(internals(c).delAckAt, undefined, 'timer stopped');
  assert.equal(c.stats.delayedAcks, 0);
  // Then again: one more is delayed, the next one goes at once.
  data(c, 1020, rcv + 2 * SEG, SEG);
  expectNone(c, 1020);
  data(c, 1021, rcv + 3 * SEG, SEG);
  assert.equal(out(c, 1021).length, 1);
});

test('immediate ACK for an out-of-order segment, for the segment that fills the hole, and for a FIN', () => {
  const { c, rcv } = extEstablished();
  data(c, 1000, rcv + SEG, SEG);
  expectOut(c, 1000, [{ flags: 'ACK', seq: ISS + 1, ack: rcv, win: OUR_WIN_FIELD, options: ours(1000, peerTs(100), [[rcv + SEG, rcv + 2 * SEG]]) }]);
  // The hole fills: immediate, even though only this segment is new in order.
  data(c, 1010, rcv, SEG);
  expectOut(c, 1010, [{ flags: 'ACK', seq: ISS + 1, ack: rcv + 2 * SEG, win: win(2 * SEG), options: ours(1010, peerTs(1010)) }]);
  // A small in-order segment is delayed; the FIN that follows is acknowledged at once with it.
  data(c, 1020, rcv + 2 * SEG, 10);
  expectNone(c, 1020);
  pfeed(c, 1025, { flags: 'FIN,ACK', seq: rcv + 2 * SEG + 10, ack: ISS + 1 });
  expectOut(c, 1025, [{ flags: 'ACK', seq: ISS + 1, ack: rcv + 2 * SEG + 11, win: win(2 * SEG + 10), options: ours(1025, peerTs(1020)) }]);
  assert.equal(c.state, 'CLOSE-WAIT');
  assert.equal(c.stats.delayedAcks, 0);
});

test('ackDelay 0: every segment is acknowledged at once', () => {
  const { c, rcv } = extEstablished({ config: { ackDelay: 0 } });
  data(c, 1000, rcv, 100);
  expectOut(c, 1000, [{ flags: 'ACK', seq: ISS + 1, ack: rcv + 100, win: win(100), options: ours(1000, peerTs(1000)) }]);
  data(c, 1001, rcv + 100, 100);
  // The first ACK rounded the edge up to RCV.NXT + 32768·128, 100 bytes past the buffer (within one
  // unit). Rounding up again would go 200 bytes past, more than one unit: the field is rounded down
  // to 32767 and the edge the peer sees retracts by 28 bytes (RFC 7323 §2.4, Appendix F).
  expectOut(c, 1001, [{ flags: 'ACK', seq: ISS + 1, ack: rcv + 200, win: 32767, options: ours(1001, peerTs(1001)) }]);
  assert.equal(internals(c).delAckAt, undefined);
});

test('a delayed ACK rides on outgoing data; the timer is then cancelled', () => {
  const { c, rcv } = extEstablished();
  data(c, 1000, rcv, 100);
  c.send(pattern(10), 1020);
  expectOut(c, 1020, [{ flags: 'ACK,PSH', seq: ISS + 1, ack: rcv + 100, win: win(100), options: ours(1020, peerTs(1000)), data: pattern(10) }]);
  assert.equal(internals(c).delAckAt, undefined);
  c.handleTimeout(1040);
  expectNone(c, 1040);
  assert.equal(c.stats.delayedAcks, 0);
});

test('Nagle: a small write goes at once when nothing is outstanding; later small writes wait for the ACK', () => {
  const { c, una } = extEstablished();
  c.send(pattern(100), 1000);
  expectOut(c, 1000, [{ flags: 'ACK,PSH', seq: una, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1000, peerTs(100)), data: pattern(100) }]);
  c.send(pattern(100, 100), 1010);
  expectNone(c, 1010);
  c.send(pattern(100, 200), 1020);
  expectNone(c, 1020);
  // The ACK of the first segment releases both writes, coalesced into one segment.
  pfeed(c, 1100, { flags: 'ACK', seq: PEER_ISS + 1, ack: una + 100 });
  expectOut(c, 1100, [{ flags: 'ACK,PSH', seq: una + 100, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1100, peerTs(1100)), data: pattern(200, 100) }]);
});

test('Nagle: a full-sized segment is never held; only the short tail waits', () => {
  const { c, una } = extEstablished();
  c.send(pattern(100), 1000);
  out(c, 1000);
  c.send(pattern(2000, 100), 1010);
  expectOut(c, 1010, [{ flags: 'ACK', seq: una + 100, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1010, peerTs(100)), data: pattern(SEG, 100) }]);
  expectNone(c, 1010);
  assert.equal(c.snapshot().sendQueue, 2100);
  pfeed(c, 1100, { flags: 'ACK', seq: PEER_ISS + 1, ack: una + 100 + SEG });
  expectOut(c, 1100, [{ flags: 'ACK,PSH', seq: una + 100 + SEG, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1100, peerTs(1100)), data: pattern(2000 - SEG, 100 + SEG) }]);
});

test('setNoDelay(true) sends a held small segment at once, and later small writes too', () => {
  const { c, una } = extEstablished();
  c.send(pattern(100), 1000);
  out(c, 1000);
  c.send(pattern(100, 100), 1010);
  expectNone(c, 1010);
  c.setNoDelay(true);
  expectOut(c, 1011, [{ flags: 'ACK,PSH', seq: una + 100, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1011, peerTs(100)), data: pattern(100, 100) }]);
  c.send(pattern(100, 200), 1020);
  expectOut(c, 1020, [{ flags: 'ACK,PSH', seq: una + 200, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1020, peerTs(100)), data: pattern(100, 200) }]);
  // And back on: held again.
  c.setNoDelay(false);
  c.send(pattern(100, 300), 1030);
  expectNone(c, 1030);
});

test('Nagle: CLOSE does not wait — the held tail goes out with the FIN', () => {
  const { c, una } = extEstablished();
  c.send(pattern(100), 1000);
  out(c, 1000);
  c.send(pattern(50, 100), 1010);
  expectNone(c, 1010);
  c.close(1020);
  expectOut(c, 1020, [{ flags: 'FIN,PSH,ACK', seq: una + 100, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(1020, peerTs(100)), data: pattern(50, 100) }]);
});

test('PSH marks the last segment of a write (RFC 9293 §3.9.1.2)', () => {
  const { c, una } = extEstablished({ config: { nagle: false } });
  const d = pattern(3000);
  c.send(d, 1000);
  const o = ours(1000, peerTs(100));
  expectOut(c, 1000, [
    { flags: 'ACK', seq: una, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: o, data: d.subarray(0, SEG) },
    { flags: 'ACK', seq: una + SEG, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: o, data: d.subarray(SEG, 2 * SEG) },
    { flags: 'ACK,PSH', seq: una + 2 * SEG, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: o, data: d.subarray(2 * SEG) },
  ]);
});
