import { PLAIN_RFC9293 } from '../../src/tcp/config.js';
/**
 * Connection termination (RFC 9293 §3.6): normal close (Figure 12), simultaneous close (Figure 13),
 * half-close in both directions, and FIN retransmission.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/tcp/connection.js';
import {
  OUR_WIN,
  canonical,
  closeWait,
  established,
  eventNames,
  expectNothing,
  expectSegments,
  expected,
  feed,
  finWait1,
  finWait2,
  lastAck,
  pattern,
  recvAll,
  text,
  type Expect,
} from './helpers.js';

const A_PORT = 49500;
const B_PORT = 80;
const fromA = (e: Omit<Expect, 'src' | 'dst'>): Expect => ({ ...e, src: A_PORT, dst: B_PORT });
const fromB = (e: Omit<Expect, 'src' | 'dst'>): Expect => ({ ...e, src: B_PORT, dst: A_PORT });

function one(c: Connection, now: number, e: Expect) {
  const out = recvAll(c, now);
  assert.deepStrictEqual(out.map(canonical), [expected(e)]);
  return out[0]!;
}

/** A (ISS 99) and B (ISS 299) in ESTABLISHED with A's SND.NXT = 100 and B's = 300, as in the figures. */
function establishedPair(): { a: Connection; b: Connection } {
  const a = new Connection({ localAddress: '10.0.0.1', localPort: A_PORT, remoteAddress: '10.0.0.2', remotePort: B_PORT, iss: 99, config: PLAIN_RFC9293 });
  const b = new Connection({ localAddress: '10.0.0.2', localPort: B_PORT, iss: 299, config: PLAIN_RFC9293 });
  b.open(0, 'passive');
  a.open(0, 'active');
  b.handleSegment(one(a, 0, fromA({ flags: 'SYN', seq: 99, ack: 0, win: OUR_WIN, mss: 1460 })), 10, { address: '10.0.0.1' });
  a.handleSegment(one(b, 10, fromB({ flags: 'SYN,ACK', seq: 299, ack: 100, win: OUR_WIN, mss: 1460 })), 20);
  b.handleSegment(one(a, 20, fromA({ flags: 'ACK', seq: 100, ack: 300, win: OUR_WIN })), 30);
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(b.state, 'ESTABLISHED');
  eventNames(a);
  eventNames(b);
  return { a, b };
}

test('RFC 9293 Figure 12: normal close sequence, both sides', () => {
  const { a, b } = establishedPair();
  // 2. (Close) A: FIN-WAIT-1 --> <SEQ=100><ACK=300><CTL=FIN,ACK> --> B: CLOSE-WAIT
  a.close(100);
  assert.equal(a.state, 'FIN-WAIT-1');
  b.handleSegment(one(a, 100, fromA({ flags: 'FIN,ACK', seq: 100, ack: 300, win: OUR_WIN })), 110);
  assert.equal(b.state, 'CLOSE-WAIT');
  // 3. A: FIN-WAIT-2 <-- <SEQ=300><ACK=101><CTL=ACK> <-- B: CLOSE-WAIT
  a.handleSegment(one(b, 110, fromB({ flags: 'ACK', seq: 300, ack: 101, win: OUR_WIN - 1 })), 120);
  assert.equal(a.state, 'FIN-WAIT-2');
  expectNothing(a, 120);
  // 4. (Close) A: TIME-WAIT <-- <SEQ=300><ACK=101><CTL=FIN,ACK> <-- B: LAST-ACK
  b.close(200);
  assert.equal(b.state, 'LAST-ACK');
  a.handleSegment(one(b, 200, fromB({ flags: 'FIN,ACK', seq: 300, ack: 101, win: OUR_WIN - 1 })), 210);
  assert.equal(a.state, 'TIME-WAIT');
  // 5. A: TIME-WAIT --> <SEQ=101><ACK=301><CTL=ACK> --> B: CLOSED
  b.handleSegment(one(a, 210, fromA({ flags: 'ACK', seq: 101, ack: 301, win: OUR_WIN - 1 })), 220);
  assert.equal(b.state, 'CLOSED');
  expectNothing(b, 220);
  assert.deepStrictEqual(eventNames(b), ['eof', 'state:ESTABLISHED>CLOSE-WAIT', 'state:CLOSE-WAIT>LAST-ACK', 'drained', 'state:LAST-ACK>CLOSED', 'closed']);
  // 6. (2 MSL) A: CLOSED
  assert.equal(a.pollTimeout(), 210 + 60_000);
  a.handleTimeout(210 + 60_000);
  assert.equal(a.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(a), [
    'state:ESTABLISHED>FIN-WAIT-1',
    'drained',
    'state:FIN-WAIT-1>FIN-WAIT-2',
    'eof',
    'state:FIN-WAIT-2>TIME-WAIT',
    'state:TIME-WAIT>CLOSED',
    'closed',
  ]);
});

test('RFC 9293 Figure 13: simultaneous close sequence, both sides (FIN-WAIT-1 → CLOSING → TIME-WAIT)', () => {
  const { a, b } = establishedPair();
  // 2. (Close) both: FIN-WAIT-1; the FINs cross.
  a.close(100);
  b.close(100);
  const finA = one(a, 100, fromA({ flags: 'FIN,ACK', seq: 100, ack: 300, win: OUR_WIN }));
  const finB = one(b, 100, fromB({ flags: 'FIN,ACK', seq: 300, ack: 100, win: OUR_WIN }));
  assert.equal(a.state, 'FIN-WAIT-1');
  assert.equal(b.state, 'FIN-WAIT-1');
  // 3. A: CLOSING --> <SEQ=101><ACK=301><CTL=ACK> ... ; B: CLOSING <-- <SEQ=301><ACK=101><CTL=ACK>
  a.handleSegment(finB, 110);
  b.handleSegment(finA, 110);
  assert.equal(a.state, 'CLOSING');
  assert.equal(b.state, 'CLOSING');
  const ackA = one(a, 110, fromA({ flags: 'ACK', seq: 101, ack: 301, win: OUR_WIN - 1 }));
  const ackB = one(b, 110, fromB({ flags: 'ACK', seq: 301, ack: 101, win: OUR_WIN - 1 }));
  // 4. both: TIME-WAIT, (2 MSL), CLOSED
  a.handleSegment(ackB, 120);
  b.handleSegment(ackA, 120);
  assert.equal(a.state, 'TIME-WAIT');
  assert.equal(b.state, 'TIME-WAIT');
  expectNothing(a, 120);
  expectNothing(b, 120);
  for (const c of [a, b]) {
    assert.equal(c.pollTimeout(), 60_120);
    c.handleTimeout(60_119);
    assert.equal(c.state, 'TIME-WAIT');
    c.handleTimeout(60_120);
    assert.equal(c.state, 'CLOSED');
  }
  assert.deepStrictEqual(
    eventNames(a).filter((e) => e.startsWith('state:')),
    ['state:ESTABLISHED>FIN-WAIT-1', 'state:FIN-WAIT-1>CLOSING', 'state:CLOSING>TIME-WAIT', 'state:TIME-WAIT>CLOSED'],
  );
});

test('half-close: FIN-WAIT-2 still accepts and ACKs the peer\'s data, then its FIN → TIME-WAIT', () => {
  const { c } = finWait2();
  feed(c, 400, { flags: 'ACK,PSH', seq: 5001, ack: 1002, data: 'more data' });
  expectSegments(c, 400, [{ flags: 'ACK', seq: 1002, ack: 5010, win: OUR_WIN - 9 }]);
  assert.equal(c.state, 'FIN-WAIT-2');
  feed(c, 500, { flags: 'ACK,PSH', seq: 5010, ack: 1002, data: '!' });
  expectSegments(c, 500, [{ flags: 'ACK', seq: 1002, ack: 5011, win: OUR_WIN - 10 }]);
  assert.equal(text(c.receive()), 'more data!');
  feed(c, 600, { flags: 'FIN,ACK', seq: 5011, ack: 1002 });
  // Reading freed the buffer but by less than min(RCV.BUFF/2, MSS): the right edge stays put.
  expectSegments(c, 600, [{ flags: 'ACK', seq: 1002, ack: 5012, win: OUR_WIN - 11 }]);
  assert.equal(c.state, 'TIME-WAIT');
});

test('half-close: FIN-WAIT-1 accepts data before our FIN is ACKed', () => {
  const { c } = finWait1();
  feed(c, 300, { flags: 'ACK,PSH', seq: 5001, ack: 1001, data: 'abc' });
  expectSegments(c, 300, [{ flags: 'ACK', seq: 1002, ack: 5004, win: OUR_WIN - 3 }]);
  assert.equal(c.state, 'FIN-WAIT-1');
  assert.equal(text(c.receive()), 'abc');
});

test('half-close: CLOSE-WAIT can still SEND; the data goes out with the ACK of the peer\'s FIN', () => {
  const { c } = closeWait();
  assert.equal(c.send(new TextEncoder().encode('response'), 300), 8);
  expectSegments(c, 300, [{ flags: 'ACK,PSH', seq: 1001, ack: 5002, win: OUR_WIN - 1, data: 'response' }]);
  feed(c, 400, { flags: 'ACK', seq: 5002, ack: 1009 });
  expectNothing(c, 400);
  c.close(500);
  assert.equal(c.state, 'LAST-ACK');
  expectSegments(c, 500, [{ flags: 'FIN,ACK', seq: 1009, ack: 5002, win: OUR_WIN - 1 }]);
  feed(c, 600, { flags: 'ACK', seq: 5002, ack: 1010 });
  assert.equal(c.state, 'CLOSED');
});

test('CLOSE-WAIT: CLOSE with data still queued → FIN follows the data, on the last segment', () => {
  const { c } = closeWait();
  c.send(pattern(2000), 300);
  c.close(300);
  assert.equal(c.state, 'LAST-ACK');
  expectSegments(c, 300, [
    { flags: 'ACK', seq: 1001, ack: 5002, win: OUR_WIN - 1, data: pattern(2000).subarray(0, 1460) },
    { flags: 'FIN,PSH,ACK', seq: 2461, ack: 5002, win: OUR_WIN - 1, data: pattern(2000).subarray(1460) },
  ]);
  assert.equal(c.status().sndNxt, 3002);
});

test('ESTABLISHED: CLOSE with data queued → FIN-WAIT-1 at once, FIN after the data', () => {
  const { c } = established();
  c.send(pattern(100), 200);
  c.close(200);
  assert.equal(c.state, 'FIN-WAIT-1');
  expectSegments(c, 200, [{ flags: 'FIN,PSH,ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(100) }]);
  // An ACK of the data only keeps FIN-WAIT-1; the ACK of the FIN moves on.
  feed(c, 300, { flags: 'ACK', seq: 5001, ack: 1101 });
  assert.equal(c.state, 'FIN-WAIT-1');
  feed(c, 310, { flags: 'ACK', seq: 5001, ack: 1102 });
  assert.equal(c.state, 'FIN-WAIT-2');
});

test('FIN-WAIT-1: the FIN is retransmitted on RTO with the same sequence number', () => {
  const { c } = finWait1();
  // FIN sent at t=200 with RTO 300 (SRTT 100, RTTVAR 50).
  assert.equal(c.pollTimeout(), 500);
  c.handleTimeout(500);
  expectSegments(c, 500, [{ flags: 'FIN,ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  assert.equal(c.pollTimeout(), 1100, 'backed off: 2 × 300');
  assert.equal(c.state, 'FIN-WAIT-1');
});

test('LAST-ACK: the FIN is retransmitted on RTO; the ACK of it → CLOSED', () => {
  const { c } = lastAck();
  assert.equal(c.pollTimeout(), 600);
  c.handleTimeout(600);
  expectSegments(c, 600, [{ flags: 'FIN,ACK', seq: 1001, ack: 5002, win: OUR_WIN - 1 }]);
  feed(c, 700, { flags: 'ACK', seq: 5002, ack: 1002 });
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.pollTimeout(), undefined);
});

test('FIN-WAIT-1/FIN-WAIT-2: a second CLOSE is "ok" and emits no second FIN', () => {
  const { c } = finWait1();
  c.close(250);
  expectNothing(c, 250);
  const { c: d } = finWait2();
  d.close(350);
  expectNothing(d, 350);
  assert.equal(d.state, 'FIN-WAIT-2');
});

test('FIN-WAIT-2 has no timer of its own (no retransmission outstanding)', () => {
  const { c } = finWait2();
  assert.equal(c.pollTimeout(), undefined);
});
