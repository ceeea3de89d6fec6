import { PLAIN_RFC9293 } from '../../src/tcp/config.js';
/**
 * SYN-RECEIVED, reached passively (LISTEN) or actively (simultaneous open, RFC 9293 Figure 7).
 * The generic per-kind matrix is in segment-arrives.test.ts; this file covers the handshake itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/tcp/connection.js';
import {
  OUR_WIN,
  canonical,
  eventNames,
  expectNothing,
  expectSegments,
  expected,
  feed,
  pattern,
  recvAll,
  synReceivedActive,
  synReceivedPassive,
  text,
  type Expect,
} from './helpers.js';

const A_PORT = 49500;
const B_PORT = 80;

function peerA(iss: number): Connection {
  return new Connection({ localAddress: '10.0.0.1', localPort: A_PORT, remoteAddress: '10.0.0.2', remotePort: B_PORT, iss, config: PLAIN_RFC9293 });
}

function peerB(iss: number): Connection {
  return new Connection({ localAddress: '10.0.0.2', localPort: B_PORT, remoteAddress: '10.0.0.1', remotePort: A_PORT, iss, config: PLAIN_RFC9293 });
}

const fromA = (e: Omit<Expect, 'src' | 'dst'>): Expect => ({ ...e, src: A_PORT, dst: B_PORT });
const fromB = (e: Omit<Expect, 'src' | 'dst'>): Expect => ({ ...e, src: B_PORT, dst: A_PORT });

function one(c: Connection, now: number, e: Expect) {
  const out = recvAll(c, now);
  assert.deepStrictEqual(out.map(canonical), [expected(e)]);
  return out[0]!;
}

test('RFC 9293 Figure 7: simultaneous open, both sides, four segments', () => {
  const a = peerA(100);
  const b = peerB(300);
  // 1. CLOSED / CLOSED
  assert.equal(a.state, 'CLOSED');
  assert.equal(b.state, 'CLOSED');
  // 2. A: SYN-SENT --> <SEQ=100><CTL=SYN> ...
  a.open(0, 'active');
  const synA = one(a, 0, fromA({ flags: 'SYN', seq: 100, ack: 0, win: OUR_WIN, mss: 1460 }));
  assert.equal(a.state, 'SYN-SENT');
  // 3. B sends <SEQ=300><CTL=SYN>; A: SYN-RECEIVED
  b.open(0, 'active');
  const synB = one(b, 0, fromB({ flags: 'SYN', seq: 300, ack: 0, win: OUR_WIN, mss: 1460 }));
  a.handleSegment(synB, 10);
  assert.equal(a.state, 'SYN-RECEIVED');
  // 4. ... <SEQ=100><CTL=SYN> --> B: SYN-RECEIVED
  b.handleSegment(synA, 10);
  assert.equal(b.state, 'SYN-RECEIVED');
  // 5. A: SYN-RECEIVED --> <SEQ=100><ACK=301><CTL=SYN,ACK> ...
  const synAckA = one(a, 10, fromA({ flags: 'SYN,ACK', seq: 100, ack: 301, win: OUR_WIN, mss: 1460 }));
  // 6. A: ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <-- B: SYN-RECEIVED
  const synAckB = one(b, 10, fromB({ flags: 'SYN,ACK', seq: 300, ack: 101, win: OUR_WIN, mss: 1460 }));
  a.handleSegment(synAckB, 20);
  assert.equal(a.state, 'ESTABLISHED');
  expectNothing(a, 20);
  // 7. ... <SEQ=100><ACK=301><CTL=SYN,ACK> --> B: ESTABLISHED
  b.handleSegment(synAckA, 20);
  assert.equal(b.state, 'ESTABLISHED');
  expectNothing(b, 20);
  for (const [c, una, rcv] of [
    [a, 101, 301],
    [b, 301, 101],
  ] as const) {
    const st = c.status();
    assert.deepStrictEqual({ sndUna: st.sndUna, sndNxt: st.sndNxt, rcvNxt: st.rcvNxt }, { sndUna: una, sndNxt: una, rcvNxt: rcv });
  }
  assert.deepStrictEqual(eventNames(a), [
    'state:CLOSED>SYN-SENT',
    'state:SYN-SENT>SYN-RECEIVED',
    'state:SYN-RECEIVED>ESTABLISHED',
    'established',
    'drained',
  ]);
  // Both can now exchange data.
  a.send(new TextEncoder().encode('ping'), 30);
  const d = one(a, 30, fromA({ flags: 'ACK,PSH', seq: 101, ack: 301, win: OUR_WIN, data: 'ping' }));
  b.handleSegment(d, 40);
  one(b, 40, fromB({ flags: 'ACK', seq: 301, ack: 105, win: OUR_WIN - 4 }));
  assert.equal(text(b.receive()), 'ping');
});

test('SYN-RECEIVED (active) + SYN,ACK whose SYN is the one already received → SYN trimmed, ESTABLISHED, nothing sent', () => {
  const { c } = synReceivedActive();
  feed(c, 150, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
  expectNothing(c, 150);
  assert.equal(c.state, 'ESTABLISHED');
  assert.deepStrictEqual(eventNames(c), ['state:SYN-RECEIVED>ESTABLISHED', 'established', 'drained']);
});

test('SYN-RECEIVED (active) + SYN,ACK with text → ESTABLISHED, text delivered and ACKed', () => {
  const { c } = synReceivedActive();
  feed(c, 150, { flags: 'SYN,ACK,PSH', seq: 5000, ack: 1001, mss: 1460, data: 'hi' });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 5003, win: OUR_WIN - 2 }]);
  assert.equal(text(c.receive()), 'hi');
});

test('SYN-RECEIVED (active) + SYN,ACK acknowledging nothing new (ACK=ISS) → RST <SEQ=ISS>', () => {
  const { c } = synReceivedActive();
  feed(c, 150, { flags: 'SYN,ACK', seq: 5000, ack: 1000, mss: 1460 });
  expectSegments(c, 150, [{ flags: 'RST', seq: 1000, ack: 0, win: 0 }]);
  assert.equal(c.state, 'SYN-RECEIVED');
});

test('SYN-RECEIVED (passive) + duplicate SYN (SEQ=IRS) → the SYN,ACK is resent as the acknowledgment', () => {
  const { c } = synReceivedPassive();
  feed(c, 300, { flags: 'SYN', seq: 5000, mss: 1460 });
  expectSegments(c, 300, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.state, 'SYN-RECEIVED');
  // Karn's rule: the handshake ACK after a resent SYN,ACK gives no RTT sample.
  feed(c, 400, { flags: 'ACK', seq: 5001, ack: 1001 });
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(c.status().srtt, undefined);
});

test('SYN-RECEIVED (passive) + ACK → ESTABLISHED with SND.WND, WL1, WL2 from that ACK', () => {
  const { c } = synReceivedPassive();
  feed(c, 100, { flags: 'ACK', seq: 5001, ack: 1001, win: 12345 });
  expectNothing(c, 100);
  const st = c.status();
  assert.equal(st.state, 'ESTABLISHED');
  assert.equal(st.sndWnd, 12345);
  assert.equal(st.srtt, 100, 'RTT sample from the SYN,ACK');
  assert.equal(st.timers.retransmit, undefined);
});

test('SYN-RECEIVED (passive): SYN,ACK retransmitted at exactly t+1000 with the same fields, then +2000', () => {
  const { c } = synReceivedPassive();
  const synAck: Expect = { flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 };
  assert.equal(c.pollTimeout(), 1000);
  c.handleTimeout(999);
  expectNothing(c, 999);
  c.handleTimeout(1000);
  expectSegments(c, 1000, [synAck]);
  assert.equal(c.pollTimeout(), 3000);
  c.handleTimeout(3000);
  expectSegments(c, 3000, [synAck]);
  assert.equal(c.pollTimeout(), 7000);
});

test('SYN-RECEIVED (passive): after synAckRetries retransmissions the embryonic connection is dropped quietly', () => {
  const { c } = synReceivedPassive({ config: { synAckRetries: 2 } });
  c.handleTimeout(1000);
  assert.equal(recvAll(c, 1000).length, 1);
  c.handleTimeout(3000);
  assert.equal(recvAll(c, 3000).length, 1);
  eventNames(c);
  c.handleTimeout(7000);
  expectNothing(c, 7000);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['state:SYN-RECEIVED>CLOSED', 'closed']);
});

test('SYN-RECEIVED (active): SYN,ACK retransmissions exhausted → ETIMEDOUT (synRetries)', () => {
  const { c } = synReceivedActive({ config: { synRetries: 1 } });
  c.handleTimeout(1000);
  expectSegments(c, 1000, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  c.handleTimeout(3000);
  expectNothing(c, 3000);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['error:ETIMEDOUT', 'state:SYN-RECEIVED>CLOSED', 'closed']);
});

test('SYN-RECEIVED: SEND is queued and goes out once ESTABLISHED', () => {
  const { c } = synReceivedPassive();
  assert.equal(c.send(new TextEncoder().encode('hello'), 50), 5);
  expectNothing(c, 50);
  feed(c, 100, { flags: 'ACK', seq: 5001, ack: 1001 });
  expectSegments(c, 100, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: 'hello' }]);
});

test('SYN-RECEIVED: CLOSE with nothing queued → FIN-WAIT-1, <SEQ=ISS+1><ACK=RCV.NXT><CTL=FIN,ACK>', () => {
  const { c } = synReceivedPassive();
  c.close(50);
  assert.equal(c.state, 'FIN-WAIT-1');
  expectSegments(c, 50, [{ flags: 'FIN,ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  feed(c, 100, { flags: 'ACK', seq: 5001, ack: 1002 });
  assert.equal(c.state, 'FIN-WAIT-2');
});

test('SYN-RECEIVED: CLOSE with data queued → held until ESTABLISHED, then data and FIN', () => {
  const { c } = synReceivedPassive();
  c.send(pattern(10), 50);
  c.close(50);
  assert.equal(c.state, 'SYN-RECEIVED');
  expectNothing(c, 50);
  feed(c, 100, { flags: 'ACK', seq: 5001, ack: 1001 });
  assert.equal(c.state, 'FIN-WAIT-1');
  expectSegments(c, 100, [{ flags: 'FIN,PSH,ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) }]);
});

test('SYN-RECEIVED: the peer\'s ACK + FIN together → ESTABLISHED then CLOSE-WAIT, ACK <SEQ=1001><ACK=5002>', () => {
  const { c } = synReceivedPassive();
  feed(c, 100, { flags: 'FIN,ACK', seq: 5001, ack: 1001 });
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5002, win: OUR_WIN - 1 }]);
  assert.equal(c.state, 'CLOSE-WAIT');
});

test('SYN-RECEIVED with text held from the SYN: CLOSE → FIN-WAIT-1; the ACK of our SYN releases the text', () => {
  const c = new Connection({ localAddress: '10.0.0.1', localPort: 49500, iss: 1000, config: PLAIN_RFC9293 });
  c.open(0, 'passive');
  c.handleSegment(
    { srcPort: 80, dstPort: 49500, seq: 5000, ack: 0, flags: 0x02, window: 64000, urgent: 0, options: { mss: 1460 }, payload: new TextEncoder().encode('early') },
    0,
    { address: '10.0.0.2' },
  );
  expectSegments(c, 0, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460, dst: 80 }]);
  c.close(10);
  assert.equal(c.state, 'FIN-WAIT-1');
  expectSegments(c, 10, [{ flags: 'FIN,ACK', seq: 1001, ack: 5001, win: OUR_WIN, dst: 80 }]);
  // The peer ACKs our SYN and FIN; it has sent 5 bytes after its SYN.
  feed(c, 100, { flags: 'ACK', seq: 5006, ack: 1002 });
  assert.equal(c.state, 'FIN-WAIT-2');
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1002, ack: 5006, win: OUR_WIN - 5, dst: 80 }]);
  assert.equal(text(c.receive()), 'early');
});
