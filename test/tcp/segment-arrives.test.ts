/**
 * RFC 9293 §3.10.7.4 "Other States": every state from SYN-RECEIVED to TIME-WAIT × each kind of arriving
 * segment (acceptable, unacceptable below/above the window, SYN, bad ACK, old ACK, text, FIN), with the
 * exact reply and the state after. RST arrivals are in rst.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/tcp/connection.js';
import type { TcpState } from '../../src/tcp/state.js';
import {
  PEER_WIN,
  closeWait,
  closing,
  drainEvents,
  established,
  expectNothing,
  expectSegments,
  feed,
  finWait1,
  finWait2,
  lastAck,
  synReceivedActive,
  synReceivedPassive,
  text,
  timeWait,
  type Built,
  type Expect,
} from './helpers.js';

interface StateCase {
  name: string;
  state: TcpState;
  build: () => Built;
  una: number;
  nxt: number;
  rcv: number;
  wnd: number;
}

const STATES: StateCase[] = [
  { name: 'SYN-RECEIVED (passive)', state: 'SYN-RECEIVED', build: synReceivedPassive, una: 1000, nxt: 1001, rcv: 5001, wnd: 65535 },
  { name: 'SYN-RECEIVED (active)', state: 'SYN-RECEIVED', build: synReceivedActive, una: 1000, nxt: 1001, rcv: 5001, wnd: 65535 },
  { name: 'ESTABLISHED', state: 'ESTABLISHED', build: established, una: 1001, nxt: 1001, rcv: 5001, wnd: 65535 },
  { name: 'FIN-WAIT-1', state: 'FIN-WAIT-1', build: finWait1, una: 1001, nxt: 1002, rcv: 5001, wnd: 65535 },
  { name: 'FIN-WAIT-2', state: 'FIN-WAIT-2', build: finWait2, una: 1002, nxt: 1002, rcv: 5001, wnd: 65535 },
  // After the peer's FIN, RCV.NXT moved one past it but the right edge stayed (RFC 9293 §3.8.6.2.2).
  { name: 'CLOSE-WAIT', state: 'CLOSE-WAIT', build: closeWait, una: 1001, nxt: 1001, rcv: 5002, wnd: 65534 },
  { name: 'CLOSING', state: 'CLOSING', build: closing, una: 1001, nxt: 1002, rcv: 5002, wnd: 65534 },
  { name: 'LAST-ACK', state: 'LAST-ACK', build: lastAck, una: 1001, nxt: 1002, rcv: 5002, wnd: 65534 },
  { name: 'TIME-WAIT', state: 'TIME-WAIT', build: timeWait, una: 1002, nxt: 1002, rcv: 5002, wnd: 65534 },
];

const isSynRcvd = (s: StateCase): boolean => s.state === 'SYN-RECEIVED';

/** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with the current window. */
function ackOf(s: StateCase, rcv = s.rcv, wnd = s.wnd, nxt = s.nxt): Expect {
  return { flags: 'ACK', seq: nxt, ack: rcv, win: wnd };
}

/** Lifecycle events only (state changes, established, eof, error, closed). */
function lifecycle(c: Connection): string[] {
  return drainEvents(c)
    .filter((e) => e.type !== 'readable' && e.type !== 'writable' && e.type !== 'drained')
    .map((e) => (e.type === 'state' ? `${e.from}>${e.to}` : e.type === 'error' ? `error:${e.code}` : e.type));
}

function assertTcb(c: Connection, state: TcpState, una: number, nxt: number, rcv: number): void {
  const st = c.snapshot();
  assert.deepStrictEqual(
    { state: st.state, sndUna: st.sndUna, sndNxt: st.sndNxt, rcvNxt: st.rcvNxt },
    { state, sndUna: una, sndNxt: nxt, rcvNxt: rcv },
  );
}

for (const s of STATES) {
  test(`builder: ${s.name} has SND.UNA=${s.una} SND.NXT=${s.nxt} RCV.NXT=${s.rcv} RCV.WND=${s.wnd}`, () => {
    const { c } = s.build();
    assertTcb(c, s.state, s.una, s.nxt, s.rcv);
    assert.equal(c.snapshot().rcvWnd, s.wnd);
    assert.equal(c.snapshot().sndWnd, PEER_WIN);
  });
}

// ───────────── acceptable segment: <SEQ=RCV.NXT><ACK=SND.NXT><CTL=ACK> ─────────────

const ACCEPTABLE: Record<string, { to: TcpState; events: string[] }> = {
  'SYN-RECEIVED (passive)': { to: 'ESTABLISHED', events: ['SYN-RECEIVED>ESTABLISHED', 'established'] },
  'SYN-RECEIVED (active)': { to: 'ESTABLISHED', events: ['SYN-RECEIVED>ESTABLISHED', 'established'] },
  ESTABLISHED: { to: 'ESTABLISHED', events: [] },
  'FIN-WAIT-1': { to: 'FIN-WAIT-2', events: ['FIN-WAIT-1>FIN-WAIT-2'] },
  'FIN-WAIT-2': { to: 'FIN-WAIT-2', events: [] },
  'CLOSE-WAIT': { to: 'CLOSE-WAIT', events: [] },
  CLOSING: { to: 'TIME-WAIT', events: ['CLOSING>TIME-WAIT'] },
  'LAST-ACK': { to: 'CLOSED', events: ['LAST-ACK>CLOSED', 'closed'] },
  'TIME-WAIT': { to: 'TIME-WAIT', events: [] },
};

for (const s of STATES) {
  const r = ACCEPTABLE[s.name]!;
  test(`${s.name} + acceptable ACK <SEQ=RCV.NXT><ACK=SND.NXT> → ${r.to}, nothing sent`, () => {
    const { c, t } = s.build();
    const timeWaitBefore = c.snapshot().timers.timeWait;
    feed(c, t + 50, { flags: 'ACK', seq: s.rcv, ack: s.nxt });
    expectNothing(c, t + 50);
    assert.equal(c.state, r.to);
    assert.deepStrictEqual(lifecycle(c), r.events);
    if (r.to !== 'CLOSED') assert.equal(c.snapshot().sndUna, s.nxt);
    // TIME-WAIT: only a retransmitted FIN restarts the 2 MSL timer.
    if (s.state === 'TIME-WAIT') assert.equal(c.snapshot().timers.timeWait, timeWaitBefore);
  });
}

// ───────────── unacceptable segments (Table 6): ACK and drop ─────────────

for (const s of STATES) {
  test(`${s.name} + old duplicate below the window (SEQ=RCV.NXT−10, 10 bytes) → ACK <SEQ=${s.nxt}><ACK=${s.rcv}>, dropped`, () => {
    const { c, t } = s.build();
    feed(c, t + 50, { flags: 'ACK,PSH', seq: s.rcv - 10, ack: s.una, data: '0123456789' });
    expectSegments(c, t + 50, [ackOf(s)]);
    assertTcb(c, s.state, s.una, s.nxt, s.rcv);
    assert.equal(c.readableLength, 0);
    assert.deepStrictEqual(lifecycle(c), []);
  });

  test(`${s.name} + segment just beyond the window (SEQ=RCV.NXT+RCV.WND, 1 byte) → ACK, dropped`, () => {
    const { c, t } = s.build();
    feed(c, t + 50, { flags: 'ACK', seq: s.rcv + s.wnd, ack: s.una, data: 'x' });
    expectSegments(c, t + 50, [ackOf(s)]);
    assertTcb(c, s.state, s.una, s.nxt, s.rcv);
    assert.equal(c.snapshot().outOfOrder, 0);
    assert.deepStrictEqual(lifecycle(c), []);
  });

  test(`${s.name} + empty segment beyond the window (SEQ=RCV.NXT+RCV.WND+1) → ACK, dropped`, () => {
    const { c, t } = s.build();
    feed(c, t + 50, { flags: 'ACK', seq: s.rcv + s.wnd + 1, ack: s.nxt });
    expectSegments(c, t + 50, [ackOf(s)]);
    // The ACK field of an unacceptable segment is not processed.
    assertTcb(c, s.state, s.una, s.nxt, s.rcv);
  });

  test(`${s.name} + empty segment at the right edge (SEQ=RCV.NXT+RCV.WND) → accepted, its ACK processed, no reply (RFC 9293 A.2)`, () => {
    const { c, t } = s.build();
    feed(c, t + 50, { flags: 'ACK', seq: s.rcv + s.wnd, ack: s.nxt });
    expectNothing(c, t + 50);
    assert.equal(c.snapshot().sndUna, s.nxt);
    assert.equal(c.state, ACCEPTABLE[s.name]!.to);
  });
}

// ───────────── SYN (RFC 9293 §3.10.7.4 fourth step, RFC 5961 §4.2) ─────────────

for (const s of STATES) {
  const passive = s.name === 'SYN-RECEIVED (passive)';
  test(
    passive
      ? `${s.name} + SYN in window → back to LISTEN, nothing sent`
      : `${s.name} + SYN in window → challenge ACK <SEQ=${s.nxt}><ACK=${s.rcv}>, dropped`,
    () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'SYN', seq: s.rcv + 100, mss: 1460 });
      if (passive) {
        expectNothing(c, t + 50);
        assert.equal(c.state, 'LISTEN');
        assert.deepStrictEqual(lifecycle(c), ['SYN-RECEIVED>LISTEN']);
        // The peer was not given in the passive OPEN: it is forgotten again.
        assert.equal(c.remoteAddress, '');
        assert.equal(c.remotePort, 0);
        assert.equal(c.pollTimeout(), undefined, 'SYN,ACK retransmission timer stopped');
      } else {
        expectSegments(c, t + 50, [ackOf(s)]);
        assertTcb(c, s.state, s.una, s.nxt, s.rcv);
        assert.deepStrictEqual(lifecycle(c), []);
        assert.equal(c.stats.challengeAcks, 1);
      }
    },
  );

  if (!isSynRcvd(s)) {
    test(`${s.name} + SYN,ACK below the window (the peer's old SYN,ACK) → ACK, dropped`, () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'SYN,ACK', seq: 5000, ack: 1001, mss: 1460 });
      expectSegments(c, t + 50, [ackOf(s)]);
      assertTcb(c, s.state, s.una, s.nxt, s.rcv);
    });
  }
}

// ───────────── ACK field (fifth step; RFC 5961 §5) ─────────────

for (const s of STATES) {
  const bad = s.nxt + 1;
  test(
    isSynRcvd(s)
      ? `${s.name} + ACK > SND.NXT → RST <SEQ=SEG.ACK>, stays SYN-RECEIVED`
      : `${s.name} + ACK > SND.NXT → ACK <SEQ=${s.nxt}><ACK=${s.rcv}>, dropped`,
    () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'ACK', seq: s.rcv, ack: bad, data: isSynRcvd(s) ? '' : 'abc' });
      if (isSynRcvd(s)) expectSegments(c, t + 50, [{ flags: 'RST', seq: bad, ack: 0, win: 0 }]);
      else expectSegments(c, t + 50, [ackOf(s)]);
      assertTcb(c, s.state, s.una, s.nxt, s.rcv);
      assert.equal(c.readableLength, 0, 'text of a segment with a bad ACK is not processed');
      assert.deepStrictEqual(lifecycle(c), []);
    },
  );

  const old = s.una - 1;
  test(
    isSynRcvd(s)
      ? `${s.name} + ACK = SND.UNA−1 (not acceptable) → RST <SEQ=${old}>`
      : `${s.name} + old ACK (SND.UNA−1, within MAX.SND.WND) → ignored, nothing sent`,
    () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'ACK', seq: s.rcv, ack: old });
      if (isSynRcvd(s)) expectSegments(c, t + 50, [{ flags: 'RST', seq: old, ack: 0, win: 0 }]);
      else expectNothing(c, t + 50);
      assertTcb(c, s.state, s.una, s.nxt, s.rcv);
      assert.deepStrictEqual(lifecycle(c), []);
    },
  );

  const ancient = (s.una - PEER_WIN - 1) >>> 0;
  test(
    isSynRcvd(s)
      ? `${s.name} + ACK below SND.UNA−MAX.SND.WND → RST <SEQ=SEG.ACK>`
      : `${s.name} + ACK below SND.UNA−MAX.SND.WND → challenge ACK, dropped`,
    () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'ACK', seq: s.rcv, ack: ancient, data: isSynRcvd(s) ? '' : 'abc' });
      if (isSynRcvd(s)) {
        expectSegments(c, t + 50, [{ flags: 'RST', seq: ancient, ack: 0, win: 0 }]);
      } else {
        expectSegments(c, t + 50, [ackOf(s)]);
        assert.equal(c.stats.challengeAcks, 1);
      }
      assertTcb(c, s.state, s.una, s.nxt, s.rcv);
      assert.equal(c.readableLength, 0);
    },
  );

  if (!isSynRcvd(s)) {
    test(`${s.name} + segment without ACK bit → dropped silently`, () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'PSH', seq: s.rcv, data: 'abc' });
      expectNothing(c, t + 50);
      assertTcb(c, s.state, s.una, s.nxt, s.rcv);
      assert.equal(c.readableLength, 0);
    });
  }
}

test('SYN-RECEIVED (passive) + segment without ACK bit → dropped silently', () => {
  const { c } = synReceivedPassive();
  feed(c, 50, { flags: 'PSH', seq: 5001, data: 'abc' });
  expectNothing(c, 50);
  assertTcb(c, 'SYN-RECEIVED', 1000, 1001, 5001);
});

// ───────────── text at RCV.NXT (seventh step) ─────────────

const TEXT: Record<string, { accepted: boolean; to: TcpState }> = {
  'SYN-RECEIVED (passive)': { accepted: true, to: 'ESTABLISHED' },
  'SYN-RECEIVED (active)': { accepted: true, to: 'ESTABLISHED' },
  ESTABLISHED: { accepted: true, to: 'ESTABLISHED' },
  'FIN-WAIT-1': { accepted: true, to: 'FIN-WAIT-1' },
  'FIN-WAIT-2': { accepted: true, to: 'FIN-WAIT-2' },
  'CLOSE-WAIT': { accepted: false, to: 'CLOSE-WAIT' },
  CLOSING: { accepted: false, to: 'CLOSING' },
  'LAST-ACK': { accepted: false, to: 'LAST-ACK' },
  'TIME-WAIT': { accepted: false, to: 'TIME-WAIT' },
};

for (const s of STATES) {
  const r = TEXT[s.name]!;
  // In SYN-RECEIVED the ACK must acknowledge our SYN; elsewhere it acknowledges nothing new.
  const ack = isSynRcvd(s) ? s.nxt : s.una;
  test(
    r.accepted
      ? `${s.name} + text at RCV.NXT → delivered, ACK <SEQ=${s.nxt}><ACK=${s.rcv + 5}>${r.to !== s.state ? `, ${r.to}` : ''}`
      : `${s.name} + text at RCV.NXT (after the peer's FIN) → ignored, nothing sent`,
    () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'ACK,PSH', seq: s.rcv, ack, data: 'hello' });
      if (r.accepted) {
        expectSegments(c, t + 50, [ackOf(s, s.rcv + 5, s.wnd - 5)]);
        assert.equal(text(c.receive()), 'hello');
        assertTcb(c, r.to, ack, s.nxt, s.rcv + 5);
      } else {
        expectNothing(c, t + 50);
        assert.equal(c.readableLength, 0);
        assertTcb(c, r.to, s.una, s.nxt, s.rcv);
      }
    },
  );
}

// ───────────── FIN (eighth step) ─────────────

interface FinCase {
  /** The FIN arrives at RCV.NXT (a new FIN) or at RCV.NXT−1 (a retransmission of the one processed). */
  seq: 'new' | 'retransmitted';
  to: TcpState;
  events: string[];
}

const FINS: Record<string, FinCase> = {
  'SYN-RECEIVED (passive)': { seq: 'new', to: 'CLOSE-WAIT', events: ['SYN-RECEIVED>ESTABLISHED', 'established', 'eof', 'ESTABLISHED>CLOSE-WAIT'] },
  'SYN-RECEIVED (active)': { seq: 'new', to: 'CLOSE-WAIT', events: ['SYN-RECEIVED>ESTABLISHED', 'established', 'eof', 'ESTABLISHED>CLOSE-WAIT'] },
  ESTABLISHED: { seq: 'new', to: 'CLOSE-WAIT', events: ['eof', 'ESTABLISHED>CLOSE-WAIT'] },
  'FIN-WAIT-1': { seq: 'new', to: 'CLOSING', events: ['eof', 'FIN-WAIT-1>CLOSING'] },
  'FIN-WAIT-2': { seq: 'new', to: 'TIME-WAIT', events: ['eof', 'FIN-WAIT-2>TIME-WAIT'] },
  'CLOSE-WAIT': { seq: 'retransmitted', to: 'CLOSE-WAIT', events: [] },
  CLOSING: { seq: 'retransmitted', to: 'CLOSING', events: [] },
  'LAST-ACK': { seq: 'retransmitted', to: 'LAST-ACK', events: [] },
  'TIME-WAIT': { seq: 'retransmitted', to: 'TIME-WAIT', events: [] },
};

for (const s of STATES) {
  const r = FINS[s.name]!;
  const ack = isSynRcvd(s) ? s.nxt : s.una;
  if (r.seq === 'new') {
    test(`${s.name} + FIN at RCV.NXT → ${r.to}, ACK <SEQ=${s.nxt}><ACK=${s.rcv + 1}>`, () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'FIN,ACK', seq: s.rcv, ack });
      // The FIN moves RCV.NXT by one while the right edge stays: the window shrinks by one.
      expectSegments(c, t + 50, [ackOf(s, s.rcv + 1, s.wnd - 1)]);
      assert.deepStrictEqual(lifecycle(c), r.events);
      assertTcb(c, r.to, ack, s.nxt, s.rcv + 1);
      assert.equal(c.peerFinished, true);
      if (r.to === 'TIME-WAIT') assert.equal(c.snapshot().timers.timeWait, t + 50 + 60_000);
    });
  } else {
    test(`${s.name} + retransmitted FIN (SEQ=RCV.NXT−1) → ACK <SEQ=${s.nxt}><ACK=${s.rcv}>, stays ${r.to}`, () => {
      const { c, t } = s.build();
      feed(c, t + 50, { flags: 'FIN,ACK', seq: s.rcv - 1, ack: s.una });
      expectSegments(c, t + 50, [ackOf(s)]);
      assert.deepStrictEqual(lifecycle(c), r.events);
      assertTcb(c, r.to, s.una, s.nxt, s.rcv);
      if (r.to === 'TIME-WAIT') assert.equal(c.snapshot().timers.timeWait, t + 50 + 60_000, '2 MSL restarted');
    });
  }
}

test('FIN-WAIT-1 + FIN that also ACKs our FIN → TIME-WAIT directly, ACK <SEQ=1002><ACK=5002>', () => {
  const { c } = finWait1();
  feed(c, 300, { flags: 'FIN,ACK', seq: 5001, ack: 1002 });
  expectSegments(c, 300, [{ flags: 'ACK', seq: 1002, ack: 5002, win: 65534 }]);
  assert.deepStrictEqual(lifecycle(c), ['FIN-WAIT-1>FIN-WAIT-2', 'eof', 'FIN-WAIT-2>TIME-WAIT']);
  assert.equal(c.snapshot().timers.timeWait, 60_300);
  assert.equal(c.snapshot().timers.retransmit, undefined, 'other timers off');
});

test('LAST-ACK + ACK that does not cover our FIN → ignored, stays LAST-ACK', () => {
  const { c, t } = lastAck();
  feed(c, t + 50, { flags: 'ACK', seq: 5002, ack: 1001 });
  expectNothing(c, t + 50);
  assert.equal(c.state, 'LAST-ACK');
});

test('CLOSING + ACK that does not cover our FIN → ignored, stays CLOSING', () => {
  const { c, t } = closing();
  feed(c, t + 50, { flags: 'ACK', seq: 5002, ack: 1001 });
  expectNothing(c, t + 50);
  assert.equal(c.state, 'CLOSING');
});

test('ESTABLISHED + FIN with text → text delivered before EOF, one ACK covers both', () => {
  const { c } = established();
  feed(c, 200, { flags: 'FIN,ACK,PSH', seq: 5001, ack: 1001, data: 'bye' });
  expectSegments(c, 200, [{ flags: 'ACK', seq: 1001, ack: 5005, win: 65531 }]);
  assert.equal(c.state, 'CLOSE-WAIT');
  assert.deepStrictEqual(
    drainEvents(c).map((e) => e.type),
    ['readable', 'eof', 'state'],
  );
  assert.equal(text(c.receive()), 'bye');
  assert.throws(() => c.receive(), /connection closing/);
});
