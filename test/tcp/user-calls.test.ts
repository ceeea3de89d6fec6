/** User calls per state (RFC 9293 §3.10.1–§3.10.6): OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpCallError } from '../../src/tcp/errors.js';
import type { TcpState } from '../../src/tcp/state.js';
import {
  OUR_WIN,
  closeWait,
  closed,
  closing,
  drainEvents,
  established,
  eventNames,
  expectNothing,
  expectSegments,
  feed,
  finWait1,
  finWait2,
  lastAck,
  listen,
  newConnection,
  pattern,
  synReceivedActive,
  synReceivedPassive,
  synSent,
  text,
  timeWait,
  type Built,
} from './helpers.js';

interface S {
  name: string;
  state: TcpState;
  build: () => Built;
  nxt: number;
  rcv: number;
  wnd: number;
}

/** Every state a TCB can be in (CLOSED is a fresh, unopened TCB). */
const ALL: S[] = [
  { name: 'CLOSED', state: 'CLOSED', build: closed, nxt: 0, rcv: 0, wnd: 0 },
  { name: 'LISTEN', state: 'LISTEN', build: () => listen(), nxt: 0, rcv: 0, wnd: 0 },
  { name: 'SYN-SENT', state: 'SYN-SENT', build: synSent, nxt: 1001, rcv: 0, wnd: 0 },
  { name: 'SYN-RECEIVED (passive)', state: 'SYN-RECEIVED', build: synReceivedPassive, nxt: 1001, rcv: 5001, wnd: OUR_WIN },
  { name: 'SYN-RECEIVED (active)', state: 'SYN-RECEIVED', build: synReceivedActive, nxt: 1001, rcv: 5001, wnd: OUR_WIN },
  { name: 'ESTABLISHED', state: 'ESTABLISHED', build: established, nxt: 1001, rcv: 5001, wnd: OUR_WIN },
  { name: 'FIN-WAIT-1', state: 'FIN-WAIT-1', build: finWait1, nxt: 1002, rcv: 5001, wnd: OUR_WIN },
  { name: 'FIN-WAIT-2', state: 'FIN-WAIT-2', build: finWait2, nxt: 1002, rcv: 5001, wnd: OUR_WIN },
  { name: 'CLOSE-WAIT', state: 'CLOSE-WAIT', build: closeWait, nxt: 1001, rcv: 5002, wnd: OUR_WIN - 1 },
  { name: 'CLOSING', state: 'CLOSING', build: closing, nxt: 1002, rcv: 5002, wnd: OUR_WIN - 1 },
  { name: 'LAST-ACK', state: 'LAST-ACK', build: lastAck, nxt: 1002, rcv: 5002, wnd: OUR_WIN - 1 },
  { name: 'TIME-WAIT', state: 'TIME-WAIT', build: timeWait, nxt: 1002, rcv: 5002, wnd: OUR_WIN - 1 },
];

function throwsCall(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof TcpCallError && e.code === code);
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

// ───────────── OPEN (§3.10.1) ─────────────

test('OPEN active in CLOSED without a remote socket → "remote socket unspecified", stays CLOSED', () => {
  const c = newConnection({}, { remoteAddress: undefined, remotePort: undefined });
  throwsCall(() => c.open(0, 'active'), 'remote socket unspecified');
  assert.equal(c.state, 'CLOSED');
  expectNothing(c, 0);
});

test('OPEN passive in CLOSED → LISTEN, nothing sent', () => {
  const c = newConnection();
  c.open(0, 'passive');
  assert.equal(c.state, 'LISTEN');
  expectNothing(c, 0);
  assert.deepStrictEqual(eventNames(c), ['state:CLOSED>LISTEN']);
});

test('OPEN active in LISTEN with the remote specified → passive becomes active: SYN, SYN-SENT', () => {
  const { c } = listen({}, 'specified');
  c.open(10, 'active');
  assert.equal(c.state, 'SYN-SENT');
  assert.equal(c.passive, false);
  expectSegments(c, 10, [{ flags: 'SYN', seq: 1000, ack: 0, win: OUR_WIN, mss: 1460 }]);
  assert.equal(c.pollTimeout(), 1010);
});

test('OPEN active in LISTEN without a remote socket → "remote socket unspecified", stays LISTEN', () => {
  const { c } = listen({}, 'unspecified');
  throwsCall(() => c.open(10, 'active'), 'remote socket unspecified');
  assert.equal(c.state, 'LISTEN');
});

test('OPEN passive in LISTEN → "connection already exists"', () => {
  const { c } = listen();
  throwsCall(() => c.open(10, 'passive'), 'connection already exists');
});

for (const s of ALL.filter((x) => x.state !== 'CLOSED' && x.state !== 'LISTEN')) {
  for (const mode of ['active', 'passive'] as const) {
    test(`OPEN ${mode} in ${s.name} → "connection already exists", nothing changes`, () => {
      const { c, t } = s.build();
      throwsCall(() => c.open(t + 1, mode), 'connection already exists');
      assert.equal(c.state, s.state);
      expectNothing(c, t + 1);
    });
  }
}

test('OPEN on a deleted TCB is refused (a Connection is one incarnation)', () => {
  const { c } = synSent();
  c.close(10);
  assert.equal(c.state, 'CLOSED');
  assert.throws(() => c.open(20, 'active'), TcpCallError);
});

test('OPEN without an isnKey or fixed ISS is a programming error', () => {
  const c = newConnection({}, { iss: undefined });
  assert.throws(() => c.open(0, 'active'), /isnKey/);
});

// ───────────── SEND (§3.10.2) ─────────────

test('SEND in CLOSED → "connection does not exist"', () => {
  const { c } = closed();
  throwsCall(() => c.send(bytes('x'), 0), 'connection does not exist');
});

test('SEND in LISTEN with the remote specified → active: SYN sent, data queued for ESTABLISHED', () => {
  const { c } = listen({}, 'specified');
  assert.equal(c.send(bytes('hello'), 10), 5);
  assert.equal(c.state, 'SYN-SENT');
  expectSegments(c, 10, [{ flags: 'SYN', seq: 1000, ack: 0, win: OUR_WIN, mss: 1460 }]);
  feed(c, 110, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
  expectSegments(c, 110, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: 'hello' }]);
});

test('SEND in LISTEN without a remote socket → "remote socket unspecified"', () => {
  const { c } = listen({}, 'unspecified');
  throwsCall(() => c.send(bytes('x'), 10), 'remote socket unspecified');
  assert.equal(c.state, 'LISTEN');
});

for (const s of ALL.filter((x) => x.state === 'SYN-SENT' || x.state === 'SYN-RECEIVED')) {
  test(`SEND in ${s.name} → queued, nothing sent before ESTABLISHED`, () => {
    const { c, t } = s.build();
    assert.equal(c.send(bytes('queued'), t + 1), 6);
    expectNothing(c, t + 1);
    assert.equal(c.sendQueueLength, 6);
    assert.equal(c.status().sndNxt, 1001);
  });
}

for (const s of ALL.filter((x) => x.state === 'ESTABLISHED' || x.state === 'CLOSE-WAIT')) {
  test(`SEND in ${s.name} → segmentized with a piggybacked ACK <SEQ=${s.nxt}><ACK=${s.rcv}>`, () => {
    const { c, t } = s.build();
    assert.equal(c.send(bytes('data'), t + 1), 4);
    expectSegments(c, t + 1, [{ flags: 'ACK,PSH', seq: s.nxt, ack: s.rcv, win: s.wnd, data: 'data' }]);
  });
}

for (const s of ALL.filter((x) => ['FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'].includes(x.state))) {
  test(`SEND in ${s.name} → "connection closing", not serviced`, () => {
    const { c, t } = s.build();
    throwsCall(() => c.send(bytes('late'), t + 1), 'connection closing');
    expectNothing(c, t + 1);
    assert.equal(c.sendQueueLength, 0);
  });
}

test('SEND after CLOSE in SYN-RECEIVED (CLOSE queued behind data) → "connection closing"', () => {
  const { c } = synReceivedPassive();
  c.send(bytes('abc'), 10);
  c.close(10);
  assert.equal(c.state, 'SYN-RECEIVED');
  throwsCall(() => c.send(bytes('more'), 20), 'connection closing');
  assert.equal(c.sendQueueLength, 3);
});

test('SEND beyond the send buffer accepts only what fits and returns that count', () => {
  const { c } = established({ config: { sendBufferSize: 1000 }, peerWin: 0 });
  assert.equal(c.send(pattern(700), 150), 700);
  assert.equal(c.send(pattern(700), 150), 300);
  assert.equal(c.send(pattern(1), 150), 0);
  assert.equal(c.sendSpace, 0);
});

test('SEND with URGENT → URG set, urgent pointer to the octet after the urgent data (§3.8.5)', () => {
  const { c } = established();
  c.send(bytes('abc'), 150, { urgent: true });
  expectSegments(c, 150, [{ flags: 'ACK,PSH,URG', seq: 1001, ack: 5001, win: OUR_WIN, data: 'abc', urg: 3 }]);
});

// ───────────── RECEIVE (§3.10.3) ─────────────

test('RECEIVE in CLOSED → "connection does not exist"', () => {
  const { c } = closed();
  throwsCall(() => c.receive(), 'connection does not exist');
});

for (const s of ALL.filter((x) => ['LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2'].includes(x.state))) {
  test(`RECEIVE in ${s.name} with nothing buffered → empty (the request waits)`, () => {
    const { c } = s.build();
    assert.equal(c.receive().length, 0);
  });
}

for (const s of ALL.filter((x) => ['CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'].includes(x.state))) {
  test(`RECEIVE in ${s.name} with nothing buffered → "connection closing"`, () => {
    const { c } = s.build();
    throwsCall(() => c.receive(), 'connection closing');
  });
}

test('RECEIVE in CLOSE-WAIT with text on hand → the text, then "connection closing"', () => {
  const { c } = established();
  feed(c, 150, { flags: 'FIN,ACK,PSH', seq: 5001, ack: 1001, data: 'last words' });
  assert.equal(c.state, 'CLOSE-WAIT');
  assert.equal(text(c.receive(5)), 'last ');
  assert.equal(text(c.receive()), 'words');
  throwsCall(() => c.receive(), 'connection closing');
});

test('RECEIVE with a maximum takes at most that many bytes, in order', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: 'abcdef' });
  feed(c, 151, { flags: 'ACK', seq: 5007, ack: 1001, data: 'ghij' });
  assert.equal(text(c.receive(4)), 'abcd');
  assert.equal(text(c.receive(4)), 'efgh');
  assert.equal(text(c.receive(4)), 'ij');
  assert.equal(c.receive(4).length, 0);
});

// ───────────── CLOSE (§3.10.4) ─────────────

test('CLOSE in CLOSED → "connection does not exist"', () => {
  const { c } = closed();
  throwsCall(() => c.close(0), 'connection does not exist');
});

test('CLOSE in LISTEN → CLOSED, nothing sent', () => {
  const { c } = listen();
  c.close(10);
  assert.equal(c.state, 'CLOSED');
  expectNothing(c, 10);
  assert.deepStrictEqual(eventNames(c), ['state:LISTEN>CLOSED', 'closed']);
});

test('CLOSE in SYN-SENT → TCB deleted, no segment, SYN timer stopped', () => {
  const { c } = synSent();
  c.send(bytes('never'), 5);
  c.close(10);
  assert.equal(c.state, 'CLOSED');
  expectNothing(c, 10);
  assert.equal(c.pollTimeout(), undefined);
  c.handleTimeout(1000);
  expectNothing(c, 1000);
});

test('CLOSE in ESTABLISHED → FIN-WAIT-1, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>', () => {
  const { c } = established();
  c.close(200);
  assert.equal(c.state, 'FIN-WAIT-1');
  expectSegments(c, 200, [{ flags: 'FIN,ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  assert.equal(c.status().sndNxt, 1002);
  assert.equal(c.pollTimeout(), 500);
});

test('CLOSE in CLOSE-WAIT → LAST-ACK, FIN', () => {
  const { c } = closeWait();
  c.close(300);
  assert.equal(c.state, 'LAST-ACK');
  expectSegments(c, 300, [{ flags: 'FIN,ACK', seq: 1001, ack: 5002, win: OUR_WIN - 1 }]);
});

for (const s of ALL.filter((x) => ['CLOSING', 'LAST-ACK', 'TIME-WAIT'].includes(x.state))) {
  test(`CLOSE in ${s.name} → "connection closing"`, () => {
    const { c, t } = s.build();
    throwsCall(() => c.close(t + 1), 'connection closing');
    assert.equal(c.state, s.state);
    expectNothing(c, t + 1);
  });
}

// ───────────── ABORT (§3.10.5) ─────────────

test('ABORT in CLOSED → "connection does not exist"', () => {
  const { c } = closed();
  throwsCall(() => c.abort(0), 'connection does not exist');
});

for (const s of ALL.filter((x) => ['LISTEN', 'SYN-SENT'].includes(x.state))) {
  test(`ABORT in ${s.name} → CLOSED, no segment`, () => {
    const { c, t } = s.build();
    c.abort(t + 1);
    assert.equal(c.state, 'CLOSED');
    expectNothing(c, t + 1);
    assert.equal(c.pollTimeout(), undefined);
  });
}

for (const s of ALL.filter((x) => ['SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT'].includes(x.state))) {
  test(`ABORT in ${s.name} → RST <SEQ=SND.NXT=${s.nxt}><CTL=RST>, CLOSED`, () => {
    const { c, t } = s.build();
    c.abort(t + 1);
    expectSegments(c, t + 1, [{ flags: 'RST', seq: s.nxt, ack: 0, win: 0 }]);
    assert.equal(c.state, 'CLOSED');
    assert.equal(c.pollTimeout(), undefined);
    assert.deepStrictEqual(eventNames(c), [`state:${s.state}>CLOSED`, 'closed']);
  });
}

for (const s of ALL.filter((x) => ['CLOSING', 'LAST-ACK', 'TIME-WAIT'].includes(x.state))) {
  test(`ABORT in ${s.name} → "ok", CLOSED, no segment`, () => {
    const { c, t } = s.build();
    c.abort(t + 1);
    assert.equal(c.state, 'CLOSED');
    expectNothing(c, t + 1);
  });
}

test('ABORT in ESTABLISHED flushes queued and unacknowledged data: only the RST goes out', () => {
  const { c } = established({ peerWin: 1000 });
  c.send(pattern(3000), 150);
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(3000).subarray(0, 1000) }]);
  feed(c, 160, { flags: 'ACK', seq: 5001, ack: 1001, data: 'unread' });
  c.abort(170);
  expectSegments(c, 170, [{ flags: 'RST', seq: 2001, ack: 0, win: 0 }]);
  assert.equal(c.snapshot().sendQueue, 0);
  assert.equal(c.snapshot().receiveQueue, 0);
});

// ───────────── STATUS (§3.10.6) ─────────────

test('STATUS in CLOSED → "connection does not exist" (snapshot() still works)', () => {
  const { c } = closed();
  throwsCall(() => c.status(), 'connection does not exist');
  assert.equal(c.snapshot().state, 'CLOSED');
});

for (const s of ALL.filter((x) => x.state !== 'CLOSED')) {
  test(`STATUS in ${s.name} → state = ${s.state} and the TCB`, () => {
    const { c } = s.build();
    const st = c.status();
    assert.equal(st.state, s.state);
    assert.equal(st.localAddress, '10.0.0.1');
    assert.equal(st.localPort, 49500);
    if (s.state !== 'LISTEN') {
      assert.equal(st.remoteAddress, '10.0.0.2');
      assert.equal(st.remotePort, 80);
      assert.equal(st.iss, 1000);
      assert.equal(st.sndNxt, s.nxt);
    }
    if (s.rcv !== 0) assert.equal(st.rcvNxt, s.rcv);
    drainEvents(c);
  });
}
