/** Retransmission (RFC 9293 §3.10.8, RFC 6298): SYN and data timers, backoff, Karn, give-up limits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OUR_WIN,
  established,
  eventNames,
  expectNothing,
  expectSegments,
  feed,
  pattern,
  synSent,
  type Expect,
} from './helpers.js';

const SYN: Expect = { flags: 'SYN', seq: 1000, ack: 0, win: OUR_WIN, mss: 1460 };

test('SYN resent at exactly t+1000 with the same sequence number, not before', () => {
  const { c } = synSent();
  assert.equal(c.pollTimeout(), 1000);
  c.handleTimeout(999);
  expectNothing(c, 999);
  c.handleTimeout(1000);
  expectSegments(c, 1000, [SYN]);
  assert.equal(c.state, 'SYN-SENT');
  assert.equal(c.status().sndNxt, 1001);
});

test('SYN backoff: resent at +1000, then +2000, then +4000 (RFC 6298 §5.5)', () => {
  const { c } = synSent();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = c.pollTimeout()!;
    times.push(t);
    c.handleTimeout(t);
    expectSegments(c, t, [SYN]);
  }
  assert.deepStrictEqual(times, [1000, 3000, 7000]);
  assert.equal(c.pollTimeout(), 15_000);
});

test('SYN: ETIMEDOUT after config.synRetries retransmissions', () => {
  const { c } = synSent({ config: { synRetries: 2 } });
  c.handleTimeout(1000);
  expectSegments(c, 1000, [SYN]);
  c.handleTimeout(3000);
  expectSegments(c, 3000, [SYN]);
  eventNames(c);
  c.handleTimeout(7000);
  expectNothing(c, 7000);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['error:ETIMEDOUT', 'state:SYN-SENT>CLOSED', 'closed']);
  assert.equal(c.pollTimeout(), undefined);
});

test('SYN: with the default 6 retries the connection gives up at 127 s (1+2+4+8+16+32+64)', () => {
  const { c } = synSent();
  const sent: number[] = [];
  for (let t = c.pollTimeout(); t !== undefined; t = c.pollTimeout()) {
    c.handleTimeout(t);
    if (c.pollTransmit(t) !== undefined) sent.push(t);
  }
  assert.deepStrictEqual(sent, [1000, 3000, 7000, 15_000, 31_000, 63_000]);
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.stats.rtoCount, 7);
});

test('RTO after a SYN retransmission is re-initialised to 3 s once ESTABLISHED (RFC 6298 §5.7)', () => {
  const { c } = synSent();
  c.handleTimeout(1000);
  expectSegments(c, 1000, [SYN]);
  feed(c, 1100, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
  expectSegments(c, 1100, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  const st = c.status();
  assert.equal(st.srtt, undefined, 'Karn: no sample from the retransmitted SYN');
  assert.equal(st.rto, 3000);
  c.send(pattern(10), 1200);
  expectSegments(c, 1200, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) }]);
  assert.equal(c.pollTimeout(), 4200);
});

test('data RTO is clamped to minRto (200 ms) after a small RTT sample', () => {
  const { c } = synSent();
  feed(c, 10, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
  expectSegments(c, 10, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  const st = c.status();
  assert.equal(st.srtt, 10);
  assert.equal(st.rttvar, 5);
  assert.equal(st.rto, 200, 'SRTT + 4·RTTVAR = 30 → clamped to 200');
  c.send(pattern(100), 20);
  const seg: Expect = { flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(100) };
  expectSegments(c, 20, [seg]);
  assert.equal(c.pollTimeout(), 220);
  c.handleTimeout(219);
  expectNothing(c, 219);
  c.handleTimeout(220);
  expectSegments(c, 220, [seg]);
  assert.equal(c.pollTimeout(), 620, 'backed off to 400');
});

test('config.minRto changes the clamp', () => {
  const { c } = synSent({ config: { minRto: 1000 } });
  feed(c, 10, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
  assert.equal(c.status().rto, 1000);
});

test('RTO update from a second sample (RFC 6298 §2.3): RTTVAR ← ¾·RTTVAR + ¼·|SRTT−R|, SRTT ← ⅞·SRTT + ⅛·R', () => {
  const { c } = established(); // SRTT 100, RTTVAR 50
  c.send(pattern(10), 100);
  expectSegments(c, 100, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) }]);
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1011 });
  const st = c.status();
  assert.equal(st.rttvar, 50);
  assert.equal(st.srtt, 93.75);
  assert.equal(st.rto, 293.75);
  assert.equal(st.timers.retransmit, undefined, 'all data acknowledged: timer off (§5.2)');
});

test("Karn's rule: the ACK of a retransmitted segment gives no RTT sample; backed-off RTO kept until a valid sample", () => {
  const { c } = established();
  c.send(pattern(10), 100);
  const seg: Expect = { flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) };
  expectSegments(c, 100, [seg]);
  c.handleTimeout(400);
  expectSegments(c, 400, [seg]);
  feed(c, 450, { flags: 'ACK', seq: 5001, ack: 1011 });
  let st = c.status();
  assert.equal(st.srtt, 100, 'unchanged');
  assert.equal(st.rto, 600, 'backed-off value kept');
  // The next new segment is timed and uses the backed-off RTO.
  c.send(pattern(10, 10), 500);
  expectSegments(c, 500, [{ flags: 'ACK,PSH', seq: 1011, ack: 5001, win: OUR_WIN, data: pattern(10, 10) }]);
  assert.equal(c.pollTimeout(), 1100);
  feed(c, 600, { flags: 'ACK', seq: 5001, ack: 1021 });
  st = c.status();
  assert.equal(st.srtt, 100, '⅞·100 + ⅛·100');
  assert.equal(st.rttvar, 37.5);
  assert.equal(st.rto, 250, 'a valid sample clears the backoff');
});

test('data retransmission restarts from SND.UNA, one segment (cwnd = 1 SMSS), then go-back-N as ACKs arrive', () => {
  const { c } = established();
  const data = pattern(4380);
  c.send(data, 100);
  const segs: Expect[] = [
    { flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: data.subarray(0, 1460) },
    { flags: 'ACK', seq: 2461, ack: 5001, win: OUR_WIN, data: data.subarray(1460, 2920) },
    { flags: 'ACK,PSH', seq: 3921, ack: 5001, win: OUR_WIN, data: data.subarray(2920) },
  ];
  expectSegments(c, 100, segs);
  // The first segment is ACKed (RTT sample 100: RTO stays 100 + 4·37.5 = 250); the timer restarts (§5.3).
  feed(c, 200, { flags: 'ACK', seq: 5001, ack: 2461 });
  assert.equal(c.pollTimeout(), 450);
  c.handleTimeout(450);
  expectSegments(c, 450, [segs[1]!]);
  assert.equal(c.status().cwnd, 1460);
  assert.equal(c.status().ssthresh, 2920);
  assert.equal(c.pollTimeout(), 950);
  feed(c, 500, { flags: 'ACK', seq: 5001, ack: 3921 });
  expectSegments(c, 500, [segs[2]!]);
  feed(c, 550, { flags: 'ACK', seq: 5001, ack: 5381 });
  expectNothing(c, 550);
  assert.equal(c.pollTimeout(), undefined);
  assert.equal(c.stats.retransmits, 2);
});

test('data: ETIMEDOUT after config.dataRetries retransmissions, no RST sent', () => {
  const { c } = established({ config: { dataRetries: 2 } });
  c.send(pattern(10), 100);
  const seg: Expect = { flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) };
  expectSegments(c, 100, [seg]);
  c.handleTimeout(400);
  expectSegments(c, 400, [seg]);
  c.handleTimeout(1000);
  expectSegments(c, 1000, [seg]);
  assert.equal(c.pollTimeout(), 2200);
  eventNames(c);
  c.handleTimeout(2200);
  expectNothing(c, 2200);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['error:ETIMEDOUT', 'state:ESTABLISHED>CLOSED', 'closed']);
});

test('data: an ACK of new data resets the retry count', () => {
  const { c } = established({ config: { dataRetries: 1 } });
  c.send(pattern(20), 100);
  expectSegments(c, 100, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(20) }]);
  c.handleTimeout(400);
  expectSegments(c, 400, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(20) }]);
  feed(c, 450, { flags: 'ACK', seq: 5001, ack: 1011 }); // half of it
  const t = c.pollTimeout()!;
  c.handleTimeout(t);
  assert.equal(c.state, 'ESTABLISHED', 'one more retransmission is allowed after progress');
  expectSegments(c, t, [{ flags: 'ACK,PSH', seq: 1011, ack: 5001, win: OUR_WIN, data: pattern(20).subarray(10) }]);
});

test('RTO backoff is capped at config.maxRto', () => {
  const { c } = synSent({ config: { maxRto: 5000, synRetries: 10 } });
  const gaps: number[] = [];
  let prev = 0;
  for (let i = 0; i < 6; i++) {
    const t = c.pollTimeout()!;
    gaps.push(t - prev);
    prev = t;
    c.handleTimeout(t);
    c.pollTransmit(t);
  }
  assert.deepStrictEqual(gaps, [1000, 2000, 4000, 5000, 5000, 5000]);
});

test('handleTimeout before the deadline does nothing', () => {
  const { c } = established();
  c.send(pattern(10), 100);
  c.pollTransmit(100);
  c.handleTimeout(399);
  expectNothing(c, 399);
  assert.equal(c.stats.rtoCount, 0);
});
