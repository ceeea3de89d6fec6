/** RFC 9293 §3.10.7.2: segments arriving in LISTEN. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OUR_WIN,
  drainEvents,
  eventNames,
  expectNothing,
  expectSegments,
  feed,
  listen,
  pattern,
  text,
} from './helpers.js';

test('LISTEN + RST → ignored, nothing sent, stays LISTEN', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'RST', seq: 5000 });
  expectNothing(c, 10);
  assert.equal(c.state, 'LISTEN');
  assert.equal(c.remoteAddress, '', 'remote still unspecified');
});

test('LISTEN + RST,ACK → ignored (a reset is never answered)', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'RST,ACK', seq: 5000, ack: 1001 });
  expectNothing(c, 10);
  assert.equal(c.state, 'LISTEN');
});

test('LISTEN + ACK → RST <SEQ=SEG.ACK><CTL=RST>, stays LISTEN', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'ACK', seq: 5001, ack: 777 });
  expectSegments(c, 10, [{ flags: 'RST', seq: 777, ack: 0, win: 0 }]);
  assert.equal(c.state, 'LISTEN');
  assert.deepStrictEqual(drainEvents(c), []);
});

test('LISTEN + text with ACK → RST <SEQ=SEG.ACK>, text dropped', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'ACK,PSH', seq: 5001, ack: 0xfffffffe, data: 'hello' });
  expectSegments(c, 10, [{ flags: 'RST', seq: 0xfffffffe, ack: 0, win: 0 }]);
  assert.equal(c.state, 'LISTEN');
  assert.equal(c.readableLength, 0);
});

test('LISTEN + SYN,ACK → RST <SEQ=SEG.ACK> (the ACK check comes before the SYN check)', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'SYN,ACK', seq: 5000, ack: 1234, mss: 1460 });
  expectSegments(c, 10, [{ flags: 'RST', seq: 1234, ack: 0, win: 0 }]);
  assert.equal(c.state, 'LISTEN');
});

test('LISTEN + SYN → SYN,ACK <SEQ=ISS><ACK=SEG.SEQ+1> with MSS option, SYN-RECEIVED', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'SYN', seq: 5000, win: 29200, mss: 1400 });
  expectSegments(c, 10, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.state, 'SYN-RECEIVED');
  assert.equal(c.passive, true);
  assert.deepStrictEqual(eventNames(c), ['state:LISTEN>SYN-RECEIVED']);
  const st = c.status();
  assert.deepStrictEqual(
    { irs: st.irs, rcvNxt: st.rcvNxt, iss: st.iss, sndUna: st.sndUna, sndNxt: st.sndNxt, sndWnd: st.sndWnd, mss: st.mss },
    { irs: 5000, rcvNxt: 5001, iss: 1000, sndUna: 1000, sndNxt: 1001, sndWnd: 29200, mss: 1400 },
  );
  // The SYN,ACK is on the retransmission queue: initial RTO of 1 s (RFC 6298 §2.1).
  assert.equal(c.pollTimeout(), 1010);
});

test('LISTEN with unspecified remote + SYN → remote socket filled in from the SYN', () => {
  const { c } = listen({}, 'unspecified');
  assert.equal(c.remoteAddress, '');
  assert.equal(c.remotePort, 0);
  c.handleSegment(
    { srcPort: 4321, dstPort: 49500, seq: 5000, ack: 0, flags: 0x02, window: 1000, urgent: 0, options: {}, payload: new Uint8Array(0) },
    10,
    { address: '192.0.2.7' },
  );
  assert.equal(c.remoteAddress, '192.0.2.7');
  assert.equal(c.remotePort, 4321);
  expectSegments(c, 10, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460, dst: 4321 }]);
});

test('LISTEN with the remote socket specified keeps it', () => {
  const { c } = listen({}, 'specified');
  feed(c, 10, { flags: 'SYN', seq: 5000 });
  assert.equal(c.remoteAddress, '10.0.0.2');
  assert.equal(c.remotePort, 80);
});

test('LISTEN + SYN without MSS option → send MSS 536 (RFC 9293 §3.7.1)', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'SYN', seq: 5000 });
  assert.equal(c.status().mss, 536);
});

test('LISTEN + SYN with text → SYN,ACK acknowledges only the SYN; text held until ESTABLISHED, then ACKed', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'SYN', seq: 5000, mss: 1460, data: 'hello' });
  expectSegments(c, 10, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.readableLength, 0, 'not delivered in SYN-RECEIVED');
  assert.equal(c.receive().length, 0);
  drainEvents(c);
  // The peer's handshake ACK (it has sent 5 bytes after its SYN: SEQ=5006).
  feed(c, 110, { flags: 'ACK', seq: 5006, ack: 1001 });
  assert.equal(c.state, 'ESTABLISHED');
  expectSegments(c, 110, [{ flags: 'ACK', seq: 1001, ack: 5006, win: OUR_WIN - 5 }]);
  assert.equal(text(c.receive()), 'hello');
  assert.deepStrictEqual(eventNames(c), ['state:SYN-RECEIVED>ESTABLISHED', 'established', 'readable', 'drained']);
});

test('LISTEN + SYN with text, then the peer retransmits that text with more → every byte delivered once', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'SYN', seq: 5000, mss: 1460, data: 'hello' });
  expectSegments(c, 10, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  // The peer did not know whether the SYN's text was kept: it sends it again with more.
  feed(c, 110, { flags: 'ACK,PSH', seq: 5001, ack: 1001, data: 'hello world' });
  assert.equal(c.state, 'ESTABLISHED');
  expectSegments(c, 110, [{ flags: 'ACK', seq: 1001, ack: 5012, win: OUR_WIN - 11 }]);
  assert.equal(text(c.receive()), 'hello world');
  assert.equal(c.status().outOfOrder, 0);
});

test('LISTEN + SYN with text and FIN → both held; on ESTABLISHED the text is delivered and the FIN processed', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'SYN,FIN', seq: 5000, mss: 1460, data: 'bye' });
  expectSegments(c, 10, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.state, 'SYN-RECEIVED');
  drainEvents(c);
  feed(c, 110, { flags: 'ACK', seq: 5005, ack: 1001 });
  expectSegments(c, 110, [{ flags: 'ACK', seq: 1001, ack: 5005, win: OUR_WIN - 4 }]);
  assert.equal(c.state, 'CLOSE-WAIT');
  assert.equal(text(c.receive()), 'bye');
  assert.equal(c.peerFinished, true);
});

test('LISTEN + SYN with more text than the receive buffer → only what fits is held', () => {
  const { c } = listen({ config: { receiveBufferSize: 100 } });
  feed(c, 10, { flags: 'SYN', seq: 5000, mss: 1460, data: pattern(150) });
  expectSegments(c, 10, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: 100, mss: 1460 }]);
  // The peer's ACK at SEQ=5151 lies beyond our window [5001, 5101): unacceptable (Table 6).
  feed(c, 110, { flags: 'ACK', seq: 5151, ack: 1001 });
  expectSegments(c, 110, [{ flags: 'ACK', seq: 1001, ack: 5001, win: 100 }]);
  assert.equal(c.state, 'SYN-RECEIVED');
  // It goes back to what we acknowledged and resends from there: the held 100 bytes are delivered.
  feed(c, 120, { flags: 'ACK', seq: 5001, ack: 1001 });
  assert.equal(c.state, 'ESTABLISHED');
  expectSegments(c, 120, [{ flags: 'ACK', seq: 1001, ack: 5101, win: 0 }]);
  assert.deepStrictEqual(c.receive(), pattern(100));
});

test('LISTEN + FIN (no SYN, no ACK) → dropped silently', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'FIN', seq: 5000 });
  expectNothing(c, 10);
  assert.equal(c.state, 'LISTEN');
});

test('LISTEN + text without any control bit → dropped silently', () => {
  const { c } = listen();
  feed(c, 10, { flags: 'PSH', seq: 5000, data: 'abc' });
  expectNothing(c, 10);
  assert.equal(c.state, 'LISTEN');
  assert.equal(c.readableLength, 0);
});

test('LISTEN has no timers and sends nothing by itself', () => {
  const { c } = listen();
  assert.equal(c.pollTimeout(), undefined);
  expectNothing(c, 1_000_000);
});

test('SYN-RECEIVED (passive) + RST → LISTEN, then a new SYN is answered afresh', () => {
  const { c } = listen();
  feed(c, 0, { flags: 'SYN', seq: 5000, mss: 1460 });
  expectSegments(c, 0, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  feed(c, 50, { flags: 'RST', seq: 5001 });
  assert.equal(c.state, 'LISTEN');
  expectNothing(c, 50);
  feed(c, 100, { flags: 'SYN', seq: 9000, mss: 1200 });
  expectSegments(c, 100, [{ flags: 'SYN,ACK', seq: 1000, ack: 9001, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.status().mss, 1200);
  assert.equal(c.pollTimeout(), 1100);
});

test('SYN-RECEIVED (passive) after SYN,ACK retransmissions + RST → LISTEN; the next SYN,ACK starts with the initial RTO', () => {
  const { c } = listen();
  feed(c, 0, { flags: 'SYN', seq: 5000, mss: 1460 });
  expectSegments(c, 0, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  c.handleTimeout(1000);
  expectSegments(c, 1000, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  c.handleTimeout(3000);
  expectSegments(c, 3000, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  feed(c, 3500, { flags: 'RST', seq: 5001 });
  assert.equal(c.state, 'LISTEN');
  feed(c, 4000, { flags: 'SYN', seq: 9000, mss: 1460 });
  expectSegments(c, 4000, [{ flags: 'SYN,ACK', seq: 1000, ack: 9001, win: OUR_WIN, mss: 1460 }]);
  // A new embryonic connection: RTO back to 1 s (RFC 6298 §2.1), not the backed-off 4 s.
  assert.equal(c.pollTimeout(), 5000);
  // …and the full synAckRetries budget (5) is available again.
  let t = 5000;
  for (let i = 0; i < 5; i++) {
    c.handleTimeout(t);
    expectSegments(c, t, [{ flags: 'SYN,ACK', seq: 1000, ack: 9001, win: OUR_WIN, mss: 1460 }], `retransmission ${i + 1}`);
    t = c.pollTimeout()!;
  }
  // The handshake completes: the RTT sample of a retransmitted SYN,ACK is not taken (Karn).
  feed(c, t - 10, { flags: 'ACK', seq: 9001, ack: 1001 });
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(c.status().srtt, undefined);
});

test('SYN-RECEIVED (passive) with the remote specified + RST → LISTEN keeps the specified remote socket', () => {
  const { c } = listen({}, 'specified');
  feed(c, 0, { flags: 'SYN', seq: 5000 });
  feed(c, 50, { flags: 'RST', seq: 5001 });
  assert.equal(c.state, 'LISTEN');
  assert.equal(c.remoteAddress, '10.0.0.2');
  assert.equal(c.remotePort, 80);
});
