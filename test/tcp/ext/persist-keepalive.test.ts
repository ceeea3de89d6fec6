/**
 * Timers of an idle or blocked connection: the persist timer and zero-window probes (RFC 9293
 * §3.8.6.1, RFC 1122 §4.2.2.17), keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6) and the user timeout
 * (RFC 9293 §3.8.3 / RFC 5482). Full config; RTO 300 ms after the handshake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../../src/tcp/connection.js';
import {
  OUR_WIN_FIELD,
  eventNames,
  expectNone,
  expectOut,
  extEstablished,
  ours,
  out,
  pattern,
  peerTs,
  pfeed,
} from './helpers.js';

/** Run every timer in order until `until` (inclusive); returns [time, segments sent] per firing. */
function runTimers(c: Connection, until: number): Array<[number, number]> {
  const fired: Array<[number, number]> = [];
  for (let t = c.pollTimeout(); t !== undefined && t <= until; t = c.pollTimeout()) {
    c.handleTimeout(t);
    fired.push([t, out(c, t).length]);
    if (c.state === 'CLOSED') break;
  }
  return fired;
}

// ─────────────────────────────── persist ───────────────────────────────

test('zero window: first probe at RTO, then doubling intervals capped at maxPersistInterval', () => {
  const { c, una, rcv } = extEstablished({ peer: { win: 0 }, config: { maxPersistInterval: 2000 } });
  assert.equal(c.snapshot().sndWnd, 0);
  c.send(pattern(100), 1000);
  expectNone(c, 1000, 'nothing may be sent into a zero window');
  assert.equal(c.snapshot().timers.persist, 1300);
  const probe = (t: number): object => ({ flags: 'ACK', seq: una - 1, ack: rcv, win: OUR_WIN_FIELD, options: ours(t, peerTs(100)) });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = c.pollTimeout()!;
    times.push(t);
    c.handleTimeout(t - 0.5);
    expectNone(c, t - 0.5);
    c.handleTimeout(t);
    // A probe <SEQ=SND.UNA−1><ACK=RCV.NXT>: the peer must answer with its window.
    expectOut(c, t, [probe(t) as never]);
  }
  // RTO 300, then 600, 1200, 2000 (cap), 2000.
  assert.deepStrictEqual(times, [1300, 1900, 3100, 5100, 7100]);
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(c.stats.retransmits, 0);
});

test('zero window: a probe answered with a zero window keeps the backoff; a window update stops probing', () => {
  const { c, una, rcv } = extEstablished({ peer: { win: 0 } });
  c.send(pattern(100), 1000);
  out(c, 1000);
  c.handleTimeout(1300);
  assert.equal(out(c, 1300).length, 1);
  pfeed(c, 1350, { flags: 'ACK', seq: rcv, ack: una, win: 0 });
  expectNone(c, 1350);
  assert.equal(c.snapshot().timers.persist, 1900);
  // The window opens (4000 << 2): the data goes at once, the persist timer is off.
  pfeed(c, 1500, { flags: 'ACK', seq: rcv, ack: una, win: 4000 });
  expectOut(c, 1500, [{ flags: 'ACK,PSH', seq: una, ack: rcv, win: OUR_WIN_FIELD, options: ours(1500, peerTs(1500)), data: pattern(100) }]);
  assert.equal(c.snapshot().timers.persist, undefined);
  assert.equal(c.snapshot().timers.retransmit, 1800);
});

// ─────────────────────────────── keepalive ───────────────────────────────

test('keep-alive is off by default: an idle connection has no timer', () => {
  const { c } = extEstablished();
  assert.equal(c.pollTimeout(), undefined);
});

test('keep-alive: probes at idle, idle + interval, …; after keepAliveProbes unanswered → ETIMEDOUT, CLOSED', () => {
  const { c, una, rcv } = extEstablished({ config: { keepAliveInterval: 100, keepAliveProbes: 3 } });
  c.setKeepAlive(true, 1000);
  // Last segment received at 100 (the SYN,ACK): the first probe is due at 1100.
  assert.equal(c.pollTimeout(), 1100);
  const probe = (t: number): object => ({ flags: 'ACK', seq: una - 1, ack: rcv, win: OUR_WIN_FIELD, options: ours(t, peerTs(100)) });
  for (const t of [1100, 1200, 1300]) {
    assert.equal(c.pollTimeout(), t);
    c.handleTimeout(t - 1);
    expectNone(c, t - 1);
    c.handleTimeout(t);
    expectOut(c, t, [probe(t) as never]);
  }
  assert.equal(c.stats.keepAlivesSent, 3);
  eventNames(c);
  assert.equal(c.pollTimeout(), 1400);
  c.handleTimeout(1399);
  assert.equal(c.state, 'ESTABLISHED');
  c.handleTimeout(1400);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['error:ETIMEDOUT', 'state:ESTABLISHED>CLOSED', 'closed']);
  assert.equal(c.pollTimeout(), undefined);
});

test('keep-alive: an answer resets the count; the next probe is a full idle time after it', () => {
  const { c, una, rcv } = extEstablished({ config: { keepAliveInterval: 100, keepAliveProbes: 3 } });
  c.setKeepAlive(true, 1000);
  c.handleTimeout(1100);
  assert.equal(out(c, 1100).length, 1);
  c.handleTimeout(1200);
  assert.equal(out(c, 1200).length, 1);
  // The peer answers the second probe.
  pfeed(c, 1250, { flags: 'ACK', seq: rcv, ack: una });
  expectNone(c, 1250);
  assert.equal(c.pollTimeout(), 2250);
  assert.deepStrictEqual(runTimers(c, 2550), [
    [2250, 1],
    [2350, 1],
    [2450, 1],
    [2550, 0],
  ]);
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.stats.keepAlivesSent, 5);
});

test('keep-alive: no probes while data is outstanding; setKeepAlive(false) turns them off', () => {
  const { c, una, rcv } = extEstablished({ config: { keepAliveInterval: 100, keepAliveProbes: 3, rack: false } });
  c.setKeepAlive(true, 1000);
  c.send(pattern(100), 500);
  out(c, 500);
  assert.equal(c.pollTimeout(), 800, 'the RTO, not a keep-alive');
  pfeed(c, 600, { flags: 'ACK', seq: rcv, ack: una + 100 });
  assert.equal(c.pollTimeout(), 1600, 'idle again: 1000 ms after the last segment received');
  c.setKeepAlive(false);
  assert.equal(c.pollTimeout(), undefined);
});

// ─────────────────────────────── user timeout ───────────────────────────────

test('user timeout: ETIMEDOUT exactly userTimeout ms after data was sent and not acknowledged', () => {
  const { c } = extEstablished();
  c.setUserTimeout(5000);
  c.send(pattern(100), 1000);
  out(c, 1000);
  // A tail loss probe at 1300 (the PTO, cut to the RTO time), RTOs at 1600, 2200, 3400, 5800 — then
  // the user timeout at 1000 + 5000, before the RTO at 10600.
  assert.deepStrictEqual(runTimers(c, 20_000), [
    [1300, 1],
    [1600, 1],
    [2200, 1],
    [3400, 1],
    [5800, 1],
    [6000, 0],
  ]);
  assert.equal(c.state, 'CLOSED');
  const ev = eventNames(c);
  assert.ok(ev.includes('error:ETIMEDOUT'), ev.join(' '));
});

test('user timeout: an ACK of new data restarts the clock (config.userTimeout)', () => {
  const { c, una, rcv } = extEstablished({ config: { userTimeout: 2000, nagle: false } });
  c.send(pattern(200), 1000);
  out(c, 1000);
  c.send(pattern(200), 1500);
  out(c, 1500);
  // At 2500 the first 200 bytes are acknowledged: the rest has been unacknowledged since then.
  runTimers(c, 2499);
  pfeed(c, 2500, { flags: 'ACK', seq: rcv, ack: una + 200, tsEcr: 1000 });
  runTimers(c, 4499);
  assert.equal(c.state, 'ESTABLISHED', 'not at 3000 (1000 + 2000)');
  c.handleTimeout(4500);
  assert.equal(c.state, 'CLOSED');
  assert.ok(eventNames(c).includes('error:ETIMEDOUT'));
});

test('user timeout: nothing happens on an idle connection, whatever the time', () => {
  const { c } = extEstablished({ config: { userTimeout: 1000 } });
  assert.equal(c.pollTimeout(), undefined);
  c.handleTimeout(1_000_000);
  assert.equal(c.state, 'ESTABLISHED');
});
