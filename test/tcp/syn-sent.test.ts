/** RFC 9293 §3.10.7.3: segments arriving in SYN-SENT (RST cases are in rst.test.ts too). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OUR_WIN,
  drainEvents,
  eventNames,
  expectNothing,
  expectSegments,
  feed,
  synSent,
  text,
} from './helpers.js';

test('active OPEN → <SEQ=ISS><CTL=SYN> with MSS option, SND.UNA=ISS, SND.NXT=ISS+1, RTO 1 s', () => {
  const { c } = synSent();
  const st = c.status();
  assert.deepStrictEqual(
    { state: st.state, iss: st.iss, sndUna: st.sndUna, sndNxt: st.sndNxt },
    { state: 'SYN-SENT', iss: 1000, sndUna: 1000, sndNxt: 1001 },
  );
  assert.equal(c.pollTimeout(), 1000);
});

for (const ack of [999, 1000, 1002, 0x80000000]) {
  test(`SYN-SENT + SYN,ACK with unacceptable ACK=${ack} (≤ ISS or > SND.NXT) → RST <SEQ=${ack}>, stays SYN-SENT`, () => {
    const { c } = synSent();
    feed(c, 50, { flags: 'SYN,ACK', seq: 5000, ack, mss: 1460 });
    expectSegments(c, 50, [{ flags: 'RST', seq: ack, ack: 0, win: 0 }]);
    assert.equal(c.state, 'SYN-SENT');
    assert.equal(c.status().rcvNxt, 0, 'the SYN was not processed');
    assert.deepStrictEqual(drainEvents(c), []);
  });
}

test('SYN-SENT + bare ACK with unacceptable ACK → RST <SEQ=SEG.ACK>', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'ACK', seq: 5001, ack: 4242 });
  expectSegments(c, 50, [{ flags: 'RST', seq: 4242, ack: 0, win: 0 }]);
  assert.equal(c.state, 'SYN-SENT');
});

test('SYN-SENT + RST,ACK with unacceptable ACK → dropped, no RST in reply', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'RST,ACK', seq: 0, ack: 999 });
  expectNothing(c, 50);
  assert.equal(c.state, 'SYN-SENT');
});

test('SYN-SENT + RST,ACK acknowledging our SYN → CLOSED, ECONNREFUSED, nothing sent', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'RST,ACK', seq: 0, ack: 1001 });
  expectNothing(c, 50);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['error:ECONNREFUSED', 'state:SYN-SENT>CLOSED', 'closed']);
});

test('SYN-SENT + RST without ACK → dropped (RFC 5961 §3: cannot be validated)', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'RST', seq: 5001 });
  expectNothing(c, 50);
  assert.equal(c.state, 'SYN-SENT');
  assert.equal(c.pollTimeout(), 1000, 'SYN retransmission still pending');
});

test('SYN-SENT + SYN,ACK → ESTABLISHED, ACK <SEQ=ISS+1><ACK=SEG.SEQ+1>', () => {
  const { c } = synSent();
  feed(c, 100, { flags: 'SYN,ACK', seq: 5000, ack: 1001, win: 29200, mss: 1400 });
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  assert.deepStrictEqual(
    eventNames(c).filter((e) => e !== 'drained'),
    ['state:SYN-SENT>ESTABLISHED', 'established'],
  );
  const st = c.status();
  assert.deepStrictEqual(
    { irs: st.irs, rcvNxt: st.rcvNxt, sndUna: st.sndUna, sndNxt: st.sndNxt, sndWnd: st.sndWnd, mss: st.mss },
    { irs: 5000, rcvNxt: 5001, sndUna: 1001, sndNxt: 1001, sndWnd: 29200, mss: 1400 },
  );
  assert.equal(st.timers.retransmit, undefined, 'nothing outstanding: retransmission timer off (RFC 6298 §5.2)');
  assert.equal(st.srtt, 100, 'RTT sample from the SYN (RFC 6298 §2.2)');
  assert.equal(st.rto, 300);
});

test('SYN-SENT + SYN,ACK with text → ESTABLISHED, text delivered, one ACK covers it', () => {
  const { c } = synSent();
  feed(c, 100, { flags: 'SYN,ACK,PSH', seq: 5000, ack: 1001, mss: 1460, data: 'hello' });
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5006, win: OUR_WIN - 5 }]);
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(text(c.receive()), 'hello');
});

test('SYN-SENT + SYN,ACK with text and FIN → CLOSE-WAIT, ACK covers text and FIN', () => {
  const { c } = synSent();
  feed(c, 100, { flags: 'SYN,ACK,FIN', seq: 5000, ack: 1001, mss: 1460, data: 'bye' });
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5005, win: OUR_WIN - 4 }]);
  assert.equal(c.state, 'CLOSE-WAIT');
  assert.equal(text(c.receive()), 'bye');
  assert.equal(c.peerFinished, true);
});

test('SYN-SENT + SYN,ACK with more text than our window → only the window is accepted', () => {
  const { c } = synSent({ config: { receiveBufferSize: 4 } });
  feed(c, 100, { flags: 'SYN,ACK,FIN', seq: 5000, ack: 1001, mss: 1460, data: 'abcdefgh' });
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5005, win: 0 }]);
  assert.equal(c.state, 'ESTABLISHED', 'the FIN beyond the window is not accepted');
  assert.equal(text(c.receive()), 'abcd');
});

test('SYN-SENT + SYN (no ACK) → SYN-RECEIVED, SYN,ACK <SEQ=ISS><ACK=SEG.SEQ+1> (simultaneous open)', () => {
  const { c } = synSent();
  feed(c, 100, { flags: 'SYN', seq: 5000, win: 29200, mss: 1400 });
  expectSegments(c, 100, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.state, 'SYN-RECEIVED');
  assert.equal(c.passive, false);
  const st = c.status();
  assert.deepStrictEqual(
    { sndUna: st.sndUna, sndNxt: st.sndNxt, rcvNxt: st.rcvNxt, sndWnd: st.sndWnd, mss: st.mss },
    { sndUna: 1000, sndNxt: 1001, rcvNxt: 5001, sndWnd: 29200, mss: 1400 },
  );
  // The SYN's retransmission timer keeps running (armed at t=0).
  assert.equal(c.pollTimeout(), 1000);
});

test('SYN-SENT + SYN with text → SYN-RECEIVED, text held until ESTABLISHED', () => {
  const { c } = synSent();
  feed(c, 100, { flags: 'SYN', seq: 5000, mss: 1460, data: 'early' });
  expectSegments(c, 100, [{ flags: 'SYN,ACK', seq: 1000, ack: 5001, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.readableLength, 0);
  feed(c, 200, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
  assert.equal(c.state, 'ESTABLISHED');
  expectSegments(c, 200, [{ flags: 'ACK', seq: 1001, ack: 5006, win: OUR_WIN - 5 }]);
  assert.equal(text(c.receive()), 'early');
});

test('SYN-SENT + bare ACK acknowledging our SYN (no SYN, no RST) → dropped', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'ACK', seq: 5001, ack: 1001 });
  expectNothing(c, 50);
  assert.equal(c.state, 'SYN-SENT');
  assert.equal(c.status().sndUna, 1000);
});

test('SYN-SENT + FIN or text without SYN/ACK/RST → dropped', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'FIN', seq: 5000 });
  feed(c, 60, { flags: 'PSH', seq: 5000, data: 'x' });
  expectNothing(c, 60);
  assert.equal(c.state, 'SYN-SENT');
});

test('SYN-SENT + SYN,ACK without MSS option → send MSS 536 (RFC 9293 §3.7.1)', () => {
  const { c } = synSent();
  feed(c, 100, { flags: 'SYN,ACK', seq: 5000, ack: 1001 });
  assert.equal(c.status().mss, 536);
});

test('SYN-SENT + SYN,ACK with a zero window → ESTABLISHED with SND.WND=0', () => {
  const { c } = synSent();
  feed(c, 100, { flags: 'SYN,ACK', seq: 5000, ack: 1001, win: 0, mss: 1460 });
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  assert.equal(c.status().sndWnd, 0);
});

test('SYN-SENT: data queued by SEND goes out after ESTABLISHED, the handshake ACK piggybacked on it', () => {
  const { c } = synSent();
  assert.equal(c.send(new TextEncoder().encode('GET /'), 10), 5);
  expectNothing(c, 10);
  feed(c, 100, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
  expectSegments(c, 100, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: 'GET /' }]);
  assert.equal(c.status().sndNxt, 1006);
});

test('SYN-SENT + SYN,ACK near 2^32: ISS 0xFFFFFFFF, peer ISS 0xFFFFFFFF', () => {
  const { c } = synSent({ iss: 0xffffffff });
  feed(c, 100, { flags: 'SYN,ACK', seq: 0xffffffff, ack: 0, mss: 1460 });
  expectSegments(c, 100, [{ flags: 'ACK', seq: 0, ack: 0, win: OUR_WIN }]);
  assert.equal(c.state, 'ESTABLISHED');
});
