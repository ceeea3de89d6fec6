/**
 * Data transfer in ESTABLISHED (RFC 9293 §3.10.2, §3.10.7.4 fifth to seventh steps): ACK processing,
 * piggybacking, events, urgent data, and sequence numbers across 2^32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OUR_WIN,
  drainEvents,
  established,
  establishedPassive,
  RTO_AFTER_HANDSHAKE,
  expectNothing,
  expectSegments,
  feed,
  pattern,
  recvAll,
  text,
} from './helpers.js';

test('ESTABLISHED: SEND → <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK,PSH> with the data, RTO armed', () => {
  const { c } = established();
  c.send(new TextEncoder().encode('hello'), 150);
  expectSegments(c, 150, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: 'hello' }]);
  const st = c.status();
  assert.deepStrictEqual({ sndUna: st.sndUna, sndNxt: st.sndNxt, sendQueue: st.sendQueue }, { sndUna: 1001, sndNxt: 1006, sendQueue: 5 });
  assert.equal(c.pollTimeout(), 450);
});

test('ESTABLISHED: a partial ACK frees that much of the send queue and restarts the timer; the full ACK drains', () => {
  const { c } = established();
  c.send(pattern(2000), 150);
  assert.equal(recvAll(c, 150).length, 2);
  drainEvents(c);
  feed(c, 250, { flags: 'ACK', seq: 5001, ack: 2461 });
  let st = c.status();
  assert.equal(st.sndUna, 2461);
  assert.equal(st.sendQueue, 540);
  assert.equal(st.timers.retransmit, 250 + st.rto, 'RFC 6298 §5.3: restarted');
  assert.deepStrictEqual(drainEvents(c).map((e) => e.type), ['writable']);
  feed(c, 260, { flags: 'ACK', seq: 5001, ack: 3001 });
  st = c.status();
  assert.equal(st.sendQueue, 0);
  assert.equal(st.timers.retransmit, undefined, 'RFC 6298 §5.2: stopped');
  assert.deepStrictEqual(drainEvents(c).map((e) => e.type), ['writable', 'drained']);
  expectNothing(c, 260);
});

test('ESTABLISHED: arriving data and our queued data → one segment carries both the data and the ACK', () => {
  const { c } = established();
  c.send(new TextEncoder().encode('reply'), 150);
  feed(c, 150, { flags: 'ACK,PSH', seq: 5001, ack: 1001, data: 'ask' });
  expectSegments(c, 150, [{ flags: 'ACK,PSH', seq: 1001, ack: 5004, win: OUR_WIN - 3, data: 'reply' }]);
});

test('ESTABLISHED: an ACK for our data that also carries data is processed both ways', () => {
  const { c } = established();
  c.send(new TextEncoder().encode('ping'), 150);
  recvAll(c, 150);
  feed(c, 250, { flags: 'ACK,PSH', seq: 5001, ack: 1005, data: 'pong' });
  expectSegments(c, 250, [{ flags: 'ACK', seq: 1005, ack: 5005, win: OUR_WIN - 4 }]);
  assert.equal(c.status().sndUna, 1005);
  assert.equal(text(c.receive()), 'pong');
});

test('ESTABLISHED: duplicate ACKs (SEG.ACK = SND.UNA, no data, same window, data outstanding) are counted, not answered', () => {
  const { c } = established();
  c.send(pattern(3000), 150);
  recvAll(c, 150);
  for (let i = 0; i < 2; i++) feed(c, 200 + i, { flags: 'ACK', seq: 5001, ack: 1001 });
  expectNothing(c, 210);
  assert.equal(c.stats.duplicateAcks, 2);
});

test('ESTABLISHED: the third duplicate ACK triggers fast retransmit of SND.UNA (RFC 5681 §3.2)', () => {
  const { c } = established();
  c.send(pattern(3000), 150);
  const sent = recvAll(c, 150);
  for (let i = 0; i < 3; i++) feed(c, 200 + i, { flags: 'ACK', seq: 5001, ack: 1001 });
  const out = recvAll(c, 210);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.seq, 1001);
  assert.deepEqual([...out[0]!.payload], [...sent[0]!.payload]);
  assert.equal(c.stats.fastRecoveries, 1);
  assert.equal(c.stats.retransmits, 1);
});

test('ESTABLISHED: a pure ACK of nothing new with nothing outstanding is not a duplicate ACK', () => {
  const { c } = established();
  feed(c, 200, { flags: 'ACK', seq: 5001, ack: 1001 });
  assert.equal(c.stats.duplicateAcks, 0);
  expectNothing(c, 200);
});

test('ESTABLISHED + URG: RCV.UP ← max(RCV.UP, SEG.SEQ+SEG.UP)', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK,URG', seq: 5001, ack: 1001, data: 'abc', urg: 3 });
  assert.equal(c.rcvUp, 5004);
  feed(c, 160, { flags: 'ACK,URG', seq: 5004, ack: 1001, data: 'd', urg: 0 });
  assert.equal(c.rcvUp, 5004, 'never moves back');
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 5005, win: OUR_WIN - 4 }]);
});

test('ESTABLISHED: events for arriving data — one readable until read', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: 'a' });
  feed(c, 151, { flags: 'ACK', seq: 5002, ack: 1001, data: 'b' });
  assert.deepStrictEqual(drainEvents(c).map((e) => e.type), ['readable']);
  assert.equal(text(c.receive()), 'ab');
});

test('ESTABLISHED near 2^32: data wraps the sequence space (ISS 0xFFFFFFF0)', () => {
  const { c } = established({ iss: 0xfffffff0, peerIss: 0xffffffff });
  const data = pattern(100);
  c.send(data, 150);
  expectSegments(c, 150, [{ flags: 'ACK,PSH', seq: 0xfffffff1, ack: 0, win: OUR_WIN, data }]);
  assert.equal(c.status().sndNxt, 0x55);
  feed(c, 200, { flags: 'ACK,PSH', seq: 0, ack: 0x55, data: 'x' });
  expectSegments(c, 200, [{ flags: 'ACK', seq: 0x55, ack: 1, win: OUR_WIN - 1 }]);
  const st = c.status();
  assert.equal(st.sndUna, 0x55);
  assert.equal(st.sendQueue, 0);
});

test('ESTABLISHED: a large write goes out in MSS-sized segments, PSH on the last', () => {
  const { c } = established();
  const data = pattern(4000);
  c.send(data, 150);
  expectSegments(c, 150, [
    { flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: data.subarray(0, 1460) },
    { flags: 'ACK', seq: 2461, ack: 5001, win: OUR_WIN, data: data.subarray(1460, 2920) },
    { flags: 'ACK,PSH', seq: 3921, ack: 5001, win: OUR_WIN, data: data.subarray(2920) },
  ]);
});

test('ESTABLISHED (passive open): same TCB shape; data flows with the RTO from the SYN,ACK sample', () => {
  const { c } = establishedPassive();
  const st = c.status();
  assert.deepStrictEqual(
    { passive: c.passive, sndUna: st.sndUna, sndNxt: st.sndNxt, rcvNxt: st.rcvNxt, sndWnd: st.sndWnd, rto: st.rto },
    { passive: true, sndUna: 1001, sndNxt: 1001, rcvNxt: 5001, sndWnd: 64000, rto: RTO_AFTER_HANDSHAKE },
  );
  c.send(new TextEncoder().encode('200 OK'), 150);
  expectSegments(c, 150, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: '200 OK' }]);
  assert.equal(c.pollTimeout(), 150 + RTO_AFTER_HANDSHAKE);
});
