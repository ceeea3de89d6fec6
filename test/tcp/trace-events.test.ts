/**
 * The engine's trace events (Connection.onTrace): timers set, re-armed, cancelled and fired;
 * congestion events (cwnd/ssthresh, loss-recovery entry and exit); segments the engine discards —
 * each with the RFC rule from the code that acted. Exact segments at explicit times, as in the
 * other engine tests (see helpers.ts for the conventions: RTO 300 after the handshake, MSS 1460).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/tcp/connection.js';
import type { ConnectionTraceEvent } from '../../src/tcp/events.js';
import {
  ISS,
  PEER_ISS,
  RTO_AFTER_HANDSHAKE,
  TIME_WAIT_MS,
  established,
  expectSegments,
  feed,
  newConnection,
  recvAll,
  synSent,
  timeWait,
} from './helpers.js';

/** Record a connection's trace events; `take()` returns those since the last call. */
function traced(c: Connection): { take: () => ConnectionTraceEvent[] } {
  let events: ConnectionTraceEvent[] = [];
  c.onTrace = (ev, conn) => {
    assert.equal(conn, c, 'the observer is handed the connection');
    events.push(ev);
  };
  return {
    take() {
      const out = events;
      events = [];
      return out;
    },
  };
}

/** Short forms: 'retransmit set 500', 'cc window 14600→1460 ∞→2920', 'drop paws'. */
function short(ev: ConnectionTraceEvent): string {
  switch (ev.type) {
    case 'timer':
      return `${ev.timer} ${ev.action} ${ev.at}${ev.previous !== undefined ? ` (was ${ev.previous})` : ''}`;
    case 'congestion': {
      const n = (x: number): string => (x === Infinity ? '∞' : `${x}`);
      return `cc ${ev.change} ${n(ev.prevCwnd)}→${n(ev.cwnd)} ${n(ev.prevSsthresh)}→${n(ev.ssthresh)}${ev.inRecovery ? ' recovering' : ''}`;
    }
    case 'drop':
      return `drop ${ev.reason}`;
  }
}

const shorts = (evs: ConnectionTraceEvent[]): string[] => evs.map(short);
const rules = (evs: ConnectionTraceEvent[]): string[] => evs.map((e) => e.rule);

test('RTO: timer set at T+RTO, fired at T+RTO, cwnd collapses to 1 SMSS, RTO recovery entered, then left at the ACK', () => {
  const { c } = established({ config: { congestionControl: 'reno' } });
  const tr = traced(c);
  c.send(new Uint8Array(100), 200);
  expectSegments(c, 200, [{ flags: 'PSH,ACK', seq: ISS + 1, ack: PEER_ISS + 1, win: 65535, data: new Uint8Array(100) }]);
  let evs = tr.take();
  assert.deepEqual(shorts(evs), [`retransmit set ${200 + RTO_AFTER_HANDSHAKE}`]);
  assert.deepEqual(rules(evs), ['RFC 6298 §5 (5.1) — data sent and the timer not running: start it, RTO from now']);

  assert.equal(c.pollTimeout(), 500);
  c.handleTimeout(500);
  evs = tr.take();
  assert.deepEqual(shorts(evs), [
    'retransmit fire 500',
    'cc recovery-enter 14600→14600 ∞→∞ recovering',
    'cc window 14600→1460 ∞→2920 recovering',
    'retransmit set 1100', // RFC 6298 §5.5: RTO doubled to 600
  ]);
  assert.deepEqual(rules(evs), [
    'RFC 6298 §5 (5.4) — the retransmission timer expired: retransmit the earliest unacknowledged segment',
    'RFC 6675 §5.1 / RFC 6298 §5 (5.4) — retransmission timeout: every segment not SACKed deemed lost, resend from SND.UNA',
    'RFC 5681 §3.1 — retransmission timeout: ssthresh = max(FlightSize/2, 2·SMSS) (eq. 4), cwnd = LW = 1 SMSS',
    'RFC 6298 §5 (5.5, 5.6) — after a timeout: RTO doubled, timer restarted',
  ]);
  const [rtx] = recvAll(c, 500);
  assert.equal(rtx?.seq, ISS + 1);
  assert.match(c.lastTransmitRule, /^RFC 9293 §3\.10\.8 \/ RFC 6298 §5 \(5\.4\) — after the retransmission timeout/);
  assert.deepEqual(shorts(tr.take()), [], 'the timer already runs: resending does not re-arm it');

  feed(c, 600, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 101 });
  evs = tr.take();
  assert.deepEqual(shorts(evs), ['retransmit cancel 1100', 'cc recovery-exit 1460→1460 2920→2920']);
  assert.deepEqual(rules(evs), [
    'RFC 6298 §5 (5.2) — all outstanding data acknowledged: turn off the retransmission timer',
    'RFC 6582 §3.2 / RFC 6675 §5.1 — the ACK covers what was outstanding at the timeout: RTO recovery ends',
  ]);
});

test('a second timeout for the same data is a backoff: no new recovery episode, ssthresh kept (NewReno)', () => {
  const { c } = established({ config: { congestionControl: 'newreno' } });
  const tr = traced(c);
  c.send(new Uint8Array(3000), 200);
  recvAll(c, 200);
  c.handleTimeout(500);
  recvAll(c, 500);
  tr.take();
  c.handleTimeout(1100);
  const evs = tr.take();
  assert.deepEqual(shorts(evs), ['retransmit fire 1100', 'retransmit set 2300']);
  // cwnd is 1 SMSS already and ssthresh is held: the window does not change, so no congestion event.
  assert.equal(c.snapshot().cwnd, 1460);
  assert.equal(c.snapshot().ssthresh, 2920);
});

test('fast recovery without SACK: the third duplicate ACK enters it (RFC 5681 §3.2), the full ACK ends it (RFC 6582 §3.2)', () => {
  const { c } = established({ config: { congestionControl: 'newreno' } });
  const tr = traced(c);
  c.send(new Uint8Array(5 * 1460), 200);
  assert.equal(recvAll(c, 200).length, 5);
  tr.take();
  for (let i = 0; i < 3; i++) feed(c, 300 + i, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1 });
  let evs = tr.take();
  assert.deepEqual(shorts(evs), ['cc recovery-enter 14600→14600 ∞→∞ recovering', 'cc window 14600→3650 ∞→3650 recovering']);
  assert.deepEqual(rules(evs), [
    'RFC 5681 §3.2 — third duplicate ACK: fast retransmit, enter fast recovery (RFC 6582 §3.2: recover = SND.NXT)',
    'RFC 5681 §3.2 — loss detected: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = ssthresh (RFC 6675 §5 step 4.2)',
  ]);
  const [rtx] = recvAll(c, 302);
  assert.equal(rtx?.seq, ISS + 1);
  assert.equal(c.lastTransmitRule, 'RFC 5681 §3.2 / RFC 6582 §3.2 — fast retransmit: resend the first unacknowledged segment (NewReno recovery)');
  tr.take();
  feed(c, 400, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1 + 5 * 1460 });
  evs = tr.take();
  // The RTO timer started with the first send (200 + 300) and was not restarted by the fast
  // retransmission (RFC 6298 §5.1: only when not running). FlightSize after the full ACK is 0:
  // cwnd = min(ssthresh, max(0, SMSS) + SMSS) = 2920.
  assert.deepEqual(shorts(evs), ['retransmit cancel 500', 'cc recovery-exit 3650→3650 3650→3650', 'cc window 3650→2920 3650→3650']);
  assert.deepEqual(rules(evs).slice(1), [
    'RFC 6582 §3.2 / RFC 6675 §5 — the cumulative ACK covers RecoveryPoint: fast recovery ends',
    'RFC 6582 §3.2 — full ACK ends fast recovery: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) (step 3, option 1)',
  ]);
});

test('per-ACK growth is traced as growth, leaving slow start as a window change', () => {
  const { c } = established({ config: { congestionControl: 'newreno' } });
  const tr = traced(c);
  // A fast-recovery episode leaves cwnd (2920) below ssthresh (3650), as in the test above.
  c.send(new Uint8Array(5 * 1460), 200);
  recvAll(c, 200);
  for (let i = 0; i < 3; i++) feed(c, 300 + i, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1 });
  recvAll(c, 302);
  feed(c, 400, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1 + 5 * 1460 });
  assert.deepEqual([c.snapshot().cwnd, c.snapshot().ssthresh], [2920, 3650]);
  tr.take();
  // Then every segment is acknowledged on its own, for six rounds.
  c.send(new Uint8Array(60 * 1460), 400);
  let t = 400;
  for (let round = 0; round < 6; round++) {
    const segs = recvAll(c, t);
    t += 100;
    for (const s of segs) feed(c, t, { flags: 'ACK', seq: PEER_ISS + 1, ack: s.seq + s.payload.length });
  }
  const cc = tr.take().filter((e) => e.type === 'congestion');
  // The first ACK grows cwnd by min(N, L) = 1460 (RFC 3465 L = 2·SMSS) past ssthresh: slow start
  // ends ('window'). Every later increase in congestion avoidance is a 'growth' event, in order.
  assert.deepEqual(shorts(cc.slice(0, 1)), ['cc window 2920→4380 3650→3650']);
  assert.equal(cc[0]!.rule, 'RFC 5681 §3.1 — cwnd reached ssthresh: slow start ends, congestion avoidance (+1 SMSS per RTT)');
  const growth = cc.slice(1);
  assert.ok(growth.length > 0 && growth.every((e) => e.type === 'congestion' && e.change === 'growth'), shorts(growth).join('\n'));
  let last = 4380;
  for (const e of growth) {
    assert.ok(e.type === 'congestion' && e.prevCwnd === last && e.cwnd > last, `growth from ${last}: ${JSON.stringify(e)}`);
    last = e.cwnd;
  }
  assert.equal(last, c.snapshot().cwnd, 'the events follow cwnd to its value now');
});

test('delayed ACK: set on in-order text, fired at its deadline; cancelled when an ACK goes out first', () => {
  const { c } = established({ config: { ackDelay: 200 } });
  const tr = traced(c);
  feed(c, 200, { flags: 'PSH,ACK', seq: PEER_ISS + 1, ack: ISS + 1, data: 'hello' });
  assert.deepEqual(recvAll(c, 200), []);
  let evs = tr.take();
  assert.deepEqual(shorts(evs), ['delayed-ack set 400']);
  assert.match(evs[0]!.rule, /^RFC 1122 §4\.2\.3\.2 — in-order text: delay the ACK/);
  c.handleTimeout(400);
  evs = tr.take();
  assert.deepEqual(shorts(evs), ['delayed-ack fire 400']);
  assert.equal(evs[0]!.rule, 'RFC 1122 §4.2.3.2 / RFC 5681 §4.2 — delayed-ACK timer expired: acknowledge');
  expectSegments(c, 400, [{ flags: 'ACK', seq: ISS + 1, ack: PEER_ISS + 6, win: 65530 }]);

  feed(c, 500, { flags: 'PSH,ACK', seq: PEER_ISS + 6, ack: ISS + 1, data: 'again' });
  c.send(new TextEncoder().encode('reply'), 510);
  recvAll(c, 510);
  evs = tr.take().filter((e) => e.type === 'timer' && e.timer === 'delayed-ack');
  assert.deepEqual(shorts(evs), ['delayed-ack set 700', 'delayed-ack cancel 700']);
  assert.match(evs[1]!.rule, /an ACK went out \(piggybacked or immediate\)/);
});

test('TIME-WAIT: 2 MSL set on entry, restarted by a retransmitted FIN, fired at the end', () => {
  const { c } = finWait2ToTimeWait();
  const tr = traced(c);
  feed(c, 1000, { flags: 'FIN,ACK', seq: PEER_ISS + 1, ack: ISS + 2 });
  recvAll(c, 1000);
  let evs = tr.take();
  assert.deepEqual(shorts(evs), [`time-wait rearm ${1000 + TIME_WAIT_MS} (was ${400 + TIME_WAIT_MS})`]);
  assert.equal(evs[0]!.rule, 'RFC 9293 §3.10.7.4 — TIME-WAIT: the FIN came again, restart the 2 MSL timeout');
  c.handleTimeout(1000 + TIME_WAIT_MS);
  evs = tr.take();
  assert.deepEqual(shorts(evs), [`time-wait fire ${1000 + TIME_WAIT_MS}`]);
  assert.equal(evs[0]!.rule, 'RFC 9293 §3.10.8 — TIME-WAIT timeout (2×MSL): delete TCB, CLOSED');
  assert.equal(c.state, 'CLOSED');

  // Entering TIME-WAIT starts the timer and stops the others.
  const { c: d } = established();
  const tr2 = traced(d);
  d.close(200);
  recvAll(d, 200);
  feed(d, 300, { flags: 'FIN,ACK', seq: PEER_ISS + 1, ack: ISS + 2 });
  recvAll(d, 300);
  assert.deepEqual(shorts(tr2.take()), ['retransmit set 500', 'retransmit cancel 500', `time-wait set ${300 + TIME_WAIT_MS}`]);
});

function finWait2ToTimeWait(): { c: Connection } {
  const { c } = timeWait();
  return { c };
}

test('persist: set when the peer closes its window with data queued, fired with backoff, cancelled when it opens', () => {
  const { c } = established({ peerWin: 1000 });
  const tr = traced(c);
  c.send(new Uint8Array(3000), 200);
  assert.equal(recvAll(c, 200).length, 1);
  feed(c, 300, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1001, win: 0 });
  assert.deepEqual(recvAll(c, 300), []);
  let evs = tr.take();
  // The ACK at 300 times the segment sent at 200: SRTT 100, RTTVAR 37.5, RTO 250 (RFC 6298 §2).
  assert.deepEqual(shorts(evs), ['retransmit set 500', 'retransmit cancel 500', 'persist set 550']);
  assert.equal(evs[2]!.rule, 'RFC 9293 §3.8.6.1 — zero window with data to send: start the persist timer (RFC 1122 §4.2.2.17)');
  c.handleTimeout(550);
  const [probe] = recvAll(c, 550);
  assert.equal(probe?.seq, ISS + 1000, 'the probe: SND.UNA − 1');
  evs = tr.take();
  assert.deepEqual(shorts(evs), ['persist fire 550', 'persist set 1050']);
  assert.deepEqual(rules(evs), [
    'RFC 9293 §3.8.6.1 — persist timer expired: send a zero-window probe',
    'RFC 1122 §4.2.2.17 — window still closed: probe again, interval doubled',
  ]);
  feed(c, 700, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1001, win: 4000 });
  recvAll(c, 700);
  evs = tr.take();
  assert.deepEqual(shorts(evs).slice(0, 1), ['persist cancel 1050']);
  assert.equal(evs[0]!.rule, 'RFC 9293 §3.8.6.1 — the window opened: stop probing');
});

test('keep-alive and user timeout: derived deadlines traced when polled, fired with their rules', () => {
  const { c } = established({ config: { keepAlive: true, keepAliveIdle: 1000, keepAliveInterval: 500, keepAliveProbes: 1 } });
  const tr = traced(c);
  assert.equal(c.pollTimeout(), 1100);
  assert.deepEqual(shorts(tr.take()), ['keepalive set 1100']);
  c.handleTimeout(1100);
  recvAll(c, 1100);
  let evs = tr.take();
  assert.deepEqual(shorts(evs), ['keepalive fire 1100']);
  assert.equal(evs[0]!.rule, 'RFC 9293 §3.8.4 — keep-alive timer expired: send a probe (RFC 1122 §4.2.3.6)');
  assert.equal(c.pollTimeout(), 1600);
  assert.deepEqual(shorts(tr.take()), ['keepalive set 1600']);
  c.handleTimeout(1600);
  evs = tr.take();
  assert.deepEqual(shorts(evs).slice(0, 1), ['keepalive fire 1600']);
  assert.equal(evs[0]!.rule, 'RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6 — keep-alive probes unanswered: abort');
  assert.equal(c.state, 'CLOSED');

  const { c: u } = established();
  u.setUserTimeout(5000);
  const tu = traced(u);
  u.send(new Uint8Array(10), 200);
  recvAll(u, 200);
  u.pollTimeout();
  assert.deepEqual(shorts(tu.take()), ['retransmit set 500', 'user-timeout set 5200']);
  u.handleTimeout(5200);
  evs = tu.take().filter((e) => e.type === 'timer' && e.timer === 'user-timeout');
  assert.deepEqual(shorts(evs), ['user-timeout fire 5200']);
  assert.equal(evs[0]!.rule, 'RFC 9293 §3.10.8 USER TIMEOUT / RFC 5482 — data unacknowledged for the user timeout: abort');
});

test('drops: each discarded segment with its reason and rule, the segment as it arrived', () => {
  const { c } = established();
  const tr = traced(c);
  const cases: Array<[string, Parameters<typeof feed>[2], string]> = [
    ['syn-challenge', { flags: 'SYN', seq: PEER_ISS + 1 }, 'RFC 5961 §4.2 — SYN in a synchronized state → challenge ACK'],
    ['ack-not-yet-sent', { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 500 }, 'RFC 9293 §3.10.7.4 / RFC 5961 §5 — ACK of something not yet sent (SEG.ACK > SND.NXT) → send ACK, drop'],
    ['no-ack', { flags: '', seq: PEER_ISS + 1, data: 'x' }, 'RFC 9293 §3.10.7.4 — fifth check: the ACK bit is off, drop the segment'],
    ['rst-challenge', { flags: 'RST', seq: PEER_ISS + 100 }, 'RFC 5961 §3.2 — RST in window but not at RCV.NXT → challenge ACK'],
    ['outside-window', { flags: 'ACK', seq: PEER_ISS + 1_000_000, ack: ISS + 1, data: 'x' }, 'RFC 9293 §3.10.7.4 — unacceptable segment → send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop'],
    ['rst-outside-window', { flags: 'RST', seq: PEER_ISS + 1_000_000 }, 'RFC 9293 §3.10.7.4 — RST not in the receive window: silently dropped (RFC 5961 §3.2)'],
  ];
  let t = 200;
  for (const [reason, spec, rule] of cases) {
    feed(c, t, spec);
    const evs = tr.take();
    assert.equal(evs.length, 1, reason);
    const ev = evs[0]!;
    assert.ok(ev.type === 'drop');
    assert.equal(ev.reason, reason);
    assert.equal(ev.rule, rule);
    assert.equal(ev.segment.seq, spec.seq >>> 0);
    if (rule.includes('send ACK') || rule.includes('challenge ACK')) {
      const [ack] = recvAll(c, t);
      assert.equal(c.lastTransmitRule, rule, `${reason}: the answer cites the same rule`);
      assert.equal(ack?.flags, 0x10);
    }
    t += 1000; // past the challenge-ACK rate limit's second
  }
  assert.equal(c.state, 'ESTABLISHED');

  // PAWS (RFC 7323 §5.3) after timestamps were negotiated.
  const p = newConnection({ config: { timestamps: true } });
  p.open(0, 'active');
  recvAll(p, 0);
  feed(p, 100, { flags: 'SYN,ACK', seq: PEER_ISS, ack: ISS + 1, options: { mss: 1460, timestamp: { value: 1000, echo: 0 } } });
  recvAll(p, 100);
  const tp = traced(p);
  feed(p, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, data: 'x', options: { timestamp: { value: 900, echo: 0 } } });
  feed(p, 210, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, data: 'x' });
  assert.deepEqual(shorts(tp.take()), ['drop paws', 'drop no-timestamp']);
});

test('Packet Too Big: the window is reported unchanged, with the rule that says so', () => {
  const { c } = established({ config: { congestionControl: 'reno' } });
  c.send(new Uint8Array(3000), 200);
  recvAll(c, 200);
  const tr = traced(c);
  c.handlePacketTooBig(250, { mss: 1000, seq: ISS + 1 });
  const evs = tr.take();
  assert.deepEqual(shorts(evs), ['cc window 14600→14600 ∞→∞']);
  assert.equal(evs[0]!.rule, 'RFC 1191 §6.4 / RFC 8201 §5.4 — path MTU lowered: resend at the new MSS, cwnd and ssthresh unchanged');
});

test('nothing is reported, and nothing built, while onTrace is unset', () => {
  const { c } = established();
  assert.equal(c.onTrace, undefined);
  c.send(new Uint8Array(100), 200);
  recvAll(c, 200);
  c.handleTimeout(500);
  recvAll(c, 500);
  // Turned on later: changes from then on are reported against the current deadlines; the RTO
  // recovery began unobserved, so its end is not reported either.
  const tr = traced(c);
  feed(c, 600, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 101 });
  assert.deepEqual(shorts(tr.take()), ['retransmit cancel 1100']);
});

test('a lost SYN: the timeout changes the window (reported), but no recovery episode; the SYN exchange then sets IW = 1 SMSS', () => {
  const { c } = synSent({ config: { congestionControl: 'reno' } });
  const tr = traced(c);
  c.handleTimeout(1000);
  recvAll(c, 1000);
  // Before the SYN exchange SMSS is 536 (RFC 9293 §3.7.1 default); the controller was made with the path's 1460.
  assert.deepEqual(shorts(tr.take()), ['retransmit fire 1000', 'cc window 14600→536 ∞→1072', 'retransmit set 3000']);
  feed(c, 1100, { flags: 'SYN,ACK', seq: PEER_ISS, ack: ISS + 1, mss: 1460 });
  recvAll(c, 1100);
  const evs = tr.take();
  assert.deepEqual(shorts(evs), ['cc window 536→1460 1072→∞', 'retransmit cancel 3000']);
  assert.equal(evs[0]!.rule, 'RFC 5681 §3.1 — the SYN was retransmitted: the initial window is one segment');
  feed(c, 1200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1 });
  assert.deepEqual(shorts(tr.take()), [], 'no recovery-exit for the SYN');
});
