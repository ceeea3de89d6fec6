/**
 * Resets: the CLOSED-state reply rules (RFC 9293 §3.10.7.1, resetForClosed), RSTs arriving in every
 * state (§3.10.7.2–§3.10.7.4 with RFC 5961 §3), and RFC 5961 §7 challenge-ACK throttling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/tcp/connection.js';
import { resetForClosed, segmentLength } from '../../src/tcp/reset.js';
import type { TcpState } from '../../src/tcp/state.js';
import {
  LPORT,
  RPORT,
  canonical,
  closeWait,
  closed,
  closing,
  drainEvents,
  established,
  expectNothing,
  expectSegments,
  expected,
  feed,
  finWait1,
  finWait2,
  lastAck,
  pattern,
  seg,
  synReceivedActive,
  synReceivedPassive,
  synSent,
  timeWait,
  type Built,
  type Expect,
  type SegSpec,
} from './helpers.js';

function lifecycle(c: Connection): string[] {
  return drainEvents(c)
    .filter((e) => e.type === 'state' || e.type === 'error' || e.type === 'closed')
    .map((e) => (e.type === 'state' ? `${e.from}>${e.to}` : e.type === 'error' ? `error:${e.code}` : e.type));
}

// ───────────── CLOSED (§3.10.7.1) ─────────────

interface ClosedCase {
  name: string;
  in: SegSpec;
  out: Expect | undefined;
}

const CLOSED_CASES: ClosedCase[] = [
  { name: 'SYN (ACK off) → <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>', in: { flags: 'SYN', seq: 5000, mss: 1460 }, out: { flags: 'RST,ACK', seq: 0, ack: 5001, win: 0 } },
  { name: 'text without ACK → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', in: { flags: 'PSH', seq: 7000, data: 'hello' }, out: { flags: 'RST,ACK', seq: 0, ack: 7005, win: 0 } },
  { name: 'SYN,FIN with 3 bytes (ACK off) → ACK=SEG.SEQ+5', in: { flags: 'SYN,FIN', seq: 7000, data: 'abc' }, out: { flags: 'RST,ACK', seq: 0, ack: 7005, win: 0 } },
  { name: 'FIN near 2^32 (ACK off) → ACK wraps to 0', in: { flags: 'FIN', seq: 0xffffffff }, out: { flags: 'RST,ACK', seq: 0, ack: 0, win: 0 } },
  { name: 'ACK on → <SEQ=SEG.ACK><CTL=RST>', in: { flags: 'ACK', seq: 7000, ack: 3000 }, out: { flags: 'RST', seq: 3000, ack: 0, win: 0 } },
  { name: 'SYN,ACK → <SEQ=SEG.ACK><CTL=RST>', in: { flags: 'SYN,ACK', seq: 7000, ack: 1001, mss: 1460 }, out: { flags: 'RST', seq: 1001, ack: 0, win: 0 } },
  { name: 'data with ACK → <SEQ=SEG.ACK><CTL=RST>', in: { flags: 'ACK,PSH', seq: 7000, ack: 0xfffffff0, data: 'x' }, out: { flags: 'RST', seq: 0xfffffff0, ack: 0, win: 0 } },
  { name: 'RST → nothing', in: { flags: 'RST', seq: 7000 }, out: undefined },
  { name: 'RST,ACK → nothing', in: { flags: 'RST,ACK', seq: 7000, ack: 1001 }, out: undefined },
];

for (const k of CLOSED_CASES) {
  test(`CLOSED (fresh TCB) + ${k.name}`, () => {
    const { c } = closed();
    feed(c, 0, k.in);
    expectSegments(c, 0, k.out ? [k.out] : []);
    assert.equal(c.state, 'CLOSED');
    assert.deepStrictEqual(drainEvents(c), []);
  });

  test(`resetForClosed: ${k.name}`, () => {
    const r = resetForClosed(seg(k.in));
    if (k.out === undefined) assert.equal(r, undefined);
    else assert.deepStrictEqual(canonical(r!), expected(k.out));
  });
}

test('CLOSED (deleted after ABORT) still answers a segment with a reset', () => {
  const { c } = established();
  c.abort(200);
  expectSegments(c, 200, [{ flags: 'RST', seq: 1001, ack: 0, win: 0 }]);
  feed(c, 300, { flags: 'ACK,PSH', seq: 5001, ack: 1001, data: 'late' });
  expectSegments(c, 300, [{ flags: 'RST', seq: 1001, ack: 0, win: 0 }]);
});

test('resetForClosed swaps the ports and carries no options or payload', () => {
  const r = resetForClosed(seg({ flags: 'SYN', seq: 1, src: 1234, dst: 80, data: 'abc', mss: 1460 }))!;
  assert.equal(r.srcPort, 80);
  assert.equal(r.dstPort, 1234);
  assert.deepStrictEqual(r.options, {});
  assert.equal(r.payload.length, 0);
  assert.equal(r.urgent, 0);
});

test('segmentLength counts SYN and FIN as one each', () => {
  assert.equal(segmentLength(seg({ flags: 'ACK', seq: 0, data: pattern(10) })), 10);
  assert.equal(segmentLength(seg({ flags: 'SYN', seq: 0 })), 1);
  assert.equal(segmentLength(seg({ flags: 'SYN,FIN', seq: 0, data: 'ab' })), 4);
});

// ───────────── SYN-SENT (§3.10.7.3 second step; LISTEN's RST rule is in listen.test.ts) ─────────────

test('SYN-SENT + RST without ACK → dropped, stays SYN-SENT', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'RST', seq: 0 });
  expectNothing(c, 50);
  assert.equal(c.state, 'SYN-SENT');
});

test('SYN-SENT + RST,ACK acknowledging our SYN → CLOSED, ECONNREFUSED', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'RST,ACK', seq: 0, ack: 1001 });
  expectNothing(c, 50);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(lifecycle(c), ['error:ECONNREFUSED', 'SYN-SENT>CLOSED', 'closed']);
  assert.equal(c.pollTimeout(), undefined);
});

test('SYN-SENT + RST,ACK with unacceptable ACK → dropped, no reset sent', () => {
  const { c } = synSent();
  feed(c, 50, { flags: 'RST,ACK', seq: 0, ack: 1000 });
  expectNothing(c, 50);
  assert.equal(c.state, 'SYN-SENT');
});

// ───────────── synchronized states and SYN-RECEIVED (§3.10.7.4 second step, RFC 5961 §3.2) ─────────────

interface RstCase {
  name: string;
  build: () => Built;
  state: TcpState;
  nxt: number;
  rcv: number;
  wnd: number;
  to: TcpState;
  events: string[];
}

const RST_CASES: RstCase[] = [
  { name: 'SYN-RECEIVED (passive)', build: synReceivedPassive, state: 'SYN-RECEIVED', nxt: 1001, rcv: 5001, wnd: 65535, to: 'LISTEN', events: ['SYN-RECEIVED>LISTEN'] },
  { name: 'SYN-RECEIVED (active)', build: synReceivedActive, state: 'SYN-RECEIVED', nxt: 1001, rcv: 5001, wnd: 65535, to: 'CLOSED', events: ['error:ECONNREFUSED', 'SYN-RECEIVED>CLOSED', 'closed'] },
  { name: 'ESTABLISHED', build: established, state: 'ESTABLISHED', nxt: 1001, rcv: 5001, wnd: 65535, to: 'CLOSED', events: ['error:ECONNRESET', 'ESTABLISHED>CLOSED', 'closed'] },
  { name: 'FIN-WAIT-1', build: finWait1, state: 'FIN-WAIT-1', nxt: 1002, rcv: 5001, wnd: 65535, to: 'CLOSED', events: ['error:ECONNRESET', 'FIN-WAIT-1>CLOSED', 'closed'] },
  { name: 'FIN-WAIT-2', build: finWait2, state: 'FIN-WAIT-2', nxt: 1002, rcv: 5001, wnd: 65535, to: 'CLOSED', events: ['error:ECONNRESET', 'FIN-WAIT-2>CLOSED', 'closed'] },
  { name: 'CLOSE-WAIT', build: closeWait, state: 'CLOSE-WAIT', nxt: 1001, rcv: 5002, wnd: 65534, to: 'CLOSED', events: ['error:ECONNRESET', 'CLOSE-WAIT>CLOSED', 'closed'] },
  { name: 'CLOSING', build: closing, state: 'CLOSING', nxt: 1002, rcv: 5002, wnd: 65534, to: 'CLOSED', events: ['CLOSING>CLOSED', 'closed'] },
  { name: 'LAST-ACK', build: lastAck, state: 'LAST-ACK', nxt: 1002, rcv: 5002, wnd: 65534, to: 'CLOSED', events: ['LAST-ACK>CLOSED', 'closed'] },
  { name: 'TIME-WAIT', build: timeWait, state: 'TIME-WAIT', nxt: 1002, rcv: 5002, wnd: 65534, to: 'CLOSED', events: ['TIME-WAIT>CLOSED', 'closed'] },
];

for (const k of RST_CASES) {
  const outcome = k.events.find((e) => e.startsWith('error:'))?.slice(6);
  test(`${k.name} + RST at RCV.NXT → ${k.to}${outcome ? `, ${outcome}` : ''}`, () => {
    const { c, t } = k.build();
    feed(c, t + 50, { flags: 'RST', seq: k.rcv });
    expectNothing(c, t + 50);
    assert.equal(c.state, k.to);
    assert.deepStrictEqual(lifecycle(c), k.events);
    assert.equal(c.pollTimeout(), undefined, 'all timers stopped');
  });

  test(`${k.name} + RST,ACK at RCV.NXT → ${k.to} (the ACK bit changes nothing)`, () => {
    const { c, t } = k.build();
    feed(c, t + 50, { flags: 'RST,ACK', seq: k.rcv, ack: k.nxt });
    expectNothing(c, t + 50);
    assert.equal(c.state, k.to);
  });

  test(`${k.name} + RST in window but not at RCV.NXT (RCV.NXT+1) → challenge ACK <SEQ=${k.nxt}><ACK=${k.rcv}>`, () => {
    const { c, t } = k.build();
    feed(c, t + 50, { flags: 'RST', seq: k.rcv + 1 });
    expectSegments(c, t + 50, [{ flags: 'ACK', seq: k.nxt, ack: k.rcv, win: k.wnd }]);
    assert.equal(c.state, k.state);
    assert.equal(c.stats.challengeAcks, 1);
  });

  test(`${k.name} + RST at the last sequence number of the window → challenge ACK`, () => {
    const { c, t } = k.build();
    feed(c, t + 50, { flags: 'RST', seq: k.rcv + k.wnd - 1 });
    expectSegments(c, t + 50, [{ flags: 'ACK', seq: k.nxt, ack: k.rcv, win: k.wnd }]);
    assert.equal(c.state, k.state);
  });

  test(`${k.name} + RST just beyond the window (RCV.NXT+RCV.WND) → silently dropped`, () => {
    const { c, t } = k.build();
    feed(c, t + 50, { flags: 'RST', seq: k.rcv + k.wnd });
    expectNothing(c, t + 50);
    assert.equal(c.state, k.state);
  });

  test(`${k.name} + RST below the window (RCV.NXT−1) → silently dropped`, () => {
    const { c, t } = k.build();
    feed(c, t + 50, { flags: 'RST', seq: k.rcv - 1 });
    expectNothing(c, t + 50);
    assert.equal(c.state, k.state);
  });
}

test('ESTABLISHED + RST at RCV.NXT flushes both queues; RECEIVE then fails', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK,PSH', seq: 5001, ack: 1001, data: 'unread' });
  c.send(pattern(3000), 150);
  const data = pattern(3000);
  expectSegments(c, 150, [
    { flags: 'ACK', seq: 1001, ack: 5007, win: 65529, data: data.subarray(0, 1460) },
    { flags: 'ACK', seq: 2461, ack: 5007, win: 65529, data: data.subarray(1460, 2920) },
    { flags: 'ACK,PSH', seq: 3921, ack: 5007, win: 65529, data: data.subarray(2920) },
  ]);
  feed(c, 200, { flags: 'RST', seq: 5007 });
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.snapshot().sendQueue, 0);
  assert.equal(c.snapshot().receiveQueue, 0);
  assert.throws(() => c.receive(), /connection does not exist/);
  assert.throws(() => c.send(pattern(1), 200), /connection does not exist/);
  expectNothing(c, 200);
  assert.equal(c.pollTimeout(), undefined);
});

test('ESTABLISHED with a zero receive window + RST at RCV.NXT → CLOSED (RSTs accepted at a zero window)', () => {
  const { c } = established({ config: { receiveBufferSize: 1000 } });
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: pattern(1000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 0 }]);
  feed(c, 200, { flags: 'RST', seq: 6001 });
  assert.equal(c.state, 'CLOSED');
});

test('ESTABLISHED with a zero receive window + RST at RCV.NXT+1 → dropped (not acceptable), no challenge', () => {
  const { c } = established({ config: { receiveBufferSize: 1000 } });
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: pattern(1000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 0 }]);
  feed(c, 200, { flags: 'RST', seq: 6002 });
  expectNothing(c, 200);
  assert.equal(c.state, 'ESTABLISHED');
});

// ───────────── RFC 5961 §7: challenge ACK throttling ─────────────

test('challenge ACKs are limited to challengeAckLimit per second; the next second allows more', () => {
  const { c } = established({ config: { challengeAckLimit: 3 } });
  const ack: Expect = { flags: 'ACK', seq: 1001, ack: 5001, win: 65535 };
  // Several challenges before a poll coalesce into one ACK.
  for (let i = 0; i < 5; i++) feed(c, 1000, { flags: 'RST', seq: 5002 + i });
  expectSegments(c, 1000, [ack]);
  // Polled one at a time: only the first 3 produce an ACK.
  const { c: d } = established({ config: { challengeAckLimit: 3 } });
  let sent = 0;
  for (let i = 0; i < 5; i++) {
    feed(d, 1000 + i * 100, { flags: 'RST', seq: 5002 + i });
    sent += expectSegmentsCount(d, 1000 + i * 100);
  }
  assert.equal(sent, 3, 'only 3 of 5 challenge ACKs within the second');
  assert.equal(d.stats.challengeAcks, 3);
  assert.equal(d.stats.challengeAcksSuppressed, 2);
  // 1000 ms after the first challenge ACK the budget is renewed.
  feed(d, 1999, { flags: 'RST', seq: 5002 });
  assert.equal(expectSegmentsCount(d, 1999), 0, 'still the same second at 1999');
  feed(d, 2000, { flags: 'RST', seq: 5002 });
  expectSegments(d, 2000, [ack]);
  assert.equal(d.state, 'ESTABLISHED');
});

test('the challenge-ACK budget is shared by RST, SYN and bad-ACK challenges', () => {
  const { c } = established({ config: { challengeAckLimit: 2 } });
  const ack: Expect = { flags: 'ACK', seq: 1001, ack: 5001, win: 65535 };
  feed(c, 500, { flags: 'RST', seq: 5002 });
  expectSegments(c, 500, [ack]);
  feed(c, 510, { flags: 'SYN', seq: 5100 });
  expectSegments(c, 510, [ack]);
  feed(c, 520, { flags: 'ACK', seq: 5001, ack: 9999 });
  expectNothing(c, 520);
  assert.equal(c.stats.challengeAcksSuppressed, 1);
});

test('ordinary ACKs for unacceptable segments are not throttled', () => {
  const { c } = established({ config: { challengeAckLimit: 1 } });
  for (let i = 0; i < 5; i++) {
    feed(c, 500, { flags: 'ACK', seq: 4990, ack: 1001, data: 'old' });
    expectSegments(c, 500, [{ flags: 'ACK', seq: 1001, ack: 5001, win: 65535 }]);
  }
});

function expectSegmentsCount(c: Connection, now: number): number {
  let n = 0;
  for (let s = c.pollTransmit(now); s !== undefined; s = c.pollTransmit(now)) {
    assert.deepStrictEqual(canonical(s), expected({ flags: 'ACK', seq: 1001, ack: 5001, win: 65535 }));
    n++;
  }
  return n;
}

test('the reset for a segment to a CLOSED TCB is addressed from the local port to the sender', () => {
  const { c } = closed();
  feed(c, 0, { flags: 'ACK', seq: 1, ack: 2 });
  const [r] = expectSegments(c, 0, [{ flags: 'RST', seq: 2, ack: 0, win: 0 }]);
  assert.equal(r!.srcPort, LPORT);
  assert.equal(r!.dstPort, RPORT);
});

test('lastTransmitRule names the rule behind each reply', () => {
  const { c } = established();
  feed(c, 200, { flags: 'RST', seq: 5002 });
  expectSegments(c, 200, [{ flags: 'ACK', seq: 1001, ack: 5001, win: 65535 }]);
  assert.match(c.lastTransmitRule, /RFC 5961 §3\.2/);
  const { c: d } = closed();
  feed(d, 0, { flags: 'SYN', seq: 1 });
  recvAllOne(d);
  assert.match(d.lastTransmitRule, /RFC 9293 §3\.10\.7\.1/);
  const { c: e } = timeWait();
  feed(e, 500, { flags: 'FIN,ACK', seq: 5001, ack: 1002 });
  recvAllOne(e);
  assert.match(e.lastTransmitRule, /TIME-WAIT/);
});

function recvAllOne(c: Connection): void {
  assert.ok(c.pollTransmit(0) !== undefined);
  assert.equal(c.pollTransmit(0), undefined);
}
