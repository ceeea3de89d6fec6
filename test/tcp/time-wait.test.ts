/** TIME-WAIT (RFC 9293 §3.10.7.4, §3.10.8; RFC 1337). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TIME_WAIT_MS,
  closing,
  eventNames,
  expectNothing,
  expectSegments,
  feed,
  timeWait,
} from './helpers.js';

const ACK_FIN = { flags: 'ACK', seq: 1002, ack: 5002, win: 65534 } as const;

test('TIME-WAIT: 2×MSL (60 s by default) expiry → CLOSED exactly at t+60000, not before', () => {
  const { c, t } = timeWait();
  assert.equal(c.pollTimeout(), t + TIME_WAIT_MS);
  c.handleTimeout(t + TIME_WAIT_MS - 1);
  assert.equal(c.state, 'TIME-WAIT');
  assert.deepStrictEqual(eventNames(c), []);
  c.handleTimeout(t + TIME_WAIT_MS);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['state:TIME-WAIT>CLOSED', 'closed']);
  assert.equal(c.pollTimeout(), undefined);
  expectNothing(c, t + TIME_WAIT_MS);
});

test('TIME-WAIT: the duration follows config.msl (2 × msl)', () => {
  const { c, t } = timeWait({ config: { msl: 1000 } });
  assert.equal(c.pollTimeout(), t + 2000);
  c.handleTimeout(t + 2000);
  assert.equal(c.state, 'CLOSED');
});

test('TIME-WAIT + retransmitted FIN → ACK, 2 MSL timer restarted (expiry moves)', () => {
  const { c, t } = timeWait();
  feed(c, t + 30_000, { flags: 'FIN,ACK', seq: 5001, ack: 1002 });
  expectSegments(c, t + 30_000, [ACK_FIN]);
  assert.equal(c.pollTimeout(), t + 30_000 + TIME_WAIT_MS);
  c.handleTimeout(t + TIME_WAIT_MS);
  assert.equal(c.state, 'TIME-WAIT', 'the original expiry no longer ends it');
  c.handleTimeout(t + 30_000 + TIME_WAIT_MS - 1);
  assert.equal(c.state, 'TIME-WAIT');
  c.handleTimeout(t + 30_000 + TIME_WAIT_MS);
  assert.equal(c.state, 'CLOSED');
});

test('TIME-WAIT + retransmitted FIN with its data → ACK, timer restarted', () => {
  const { c, t } = timeWait();
  feed(c, t + 1000, { flags: 'FIN,ACK,PSH', seq: 4998, ack: 1002, data: 'end' });
  expectSegments(c, t + 1000, [ACK_FIN]);
  assert.equal(c.pollTimeout(), t + 1000 + TIME_WAIT_MS);
});

test('TIME-WAIT + RST at RCV.NXT → CLOSED (rfc1337 off, the default)', () => {
  const { c, t } = timeWait();
  feed(c, t + 100, { flags: 'RST', seq: 5002 });
  expectNothing(c, t + 100);
  assert.equal(c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(c), ['state:TIME-WAIT>CLOSED', 'closed']);
});

test('TIME-WAIT + RST at RCV.NXT with rfc1337: true → ignored, stays TIME-WAIT, timer unchanged', () => {
  const { c, t } = timeWait({ config: { rfc1337: true } });
  feed(c, t + 100, { flags: 'RST', seq: 5002 });
  expectNothing(c, t + 100);
  assert.equal(c.state, 'TIME-WAIT');
  assert.equal(c.pollTimeout(), t + TIME_WAIT_MS);
  assert.deepStrictEqual(eventNames(c), []);
  c.handleTimeout(t + TIME_WAIT_MS);
  assert.equal(c.state, 'CLOSED');
});

test('TIME-WAIT + RST,ACK at RCV.NXT with rfc1337: true → ignored', () => {
  const { c, t } = timeWait({ config: { rfc1337: true } });
  feed(c, t + 100, { flags: 'RST,ACK', seq: 5002, ack: 1002 });
  expectNothing(c, t + 100);
  assert.equal(c.state, 'TIME-WAIT');
});

test('TIME-WAIT + ACK that acknowledges nothing new → ignored, timer not restarted', () => {
  const { c, t } = timeWait();
  feed(c, t + 100, { flags: 'ACK', seq: 5002, ack: 1002 });
  expectNothing(c, t + 100);
  assert.equal(c.pollTimeout(), t + TIME_WAIT_MS);
});

test('TIME-WAIT + SYN → challenge ACK (RFC 5961 §4.2; no timestamps, so no early reuse)', () => {
  const { c, t } = timeWait();
  feed(c, t + 100, { flags: 'SYN', seq: 90_000, mss: 1460 });
  expectSegments(c, t + 100, [ACK_FIN]);
  assert.equal(c.state, 'TIME-WAIT');
  assert.equal(c.pollTimeout(), t + TIME_WAIT_MS);
});

test('TIME-WAIT turns off the other timers and sends nothing on its own', () => {
  const { c, t } = timeWait();
  const st = c.snapshot();
  assert.deepStrictEqual(st.timers, { timeWait: t + TIME_WAIT_MS });
  expectNothing(c, t + 10_000);
});

test('TIME-WAIT reached from CLOSING starts the timer at the ACK of our FIN', () => {
  const { c, t } = closing();
  feed(c, t + 100, { flags: 'ACK', seq: 5002, ack: 1002 });
  assert.equal(c.state, 'TIME-WAIT');
  assert.deepStrictEqual(c.snapshot().timers, { timeWait: t + 100 + TIME_WAIT_MS });
});

test('TIME-WAIT: ABORT deletes the TCB without sending anything', () => {
  const { c, t } = timeWait();
  c.abort(t + 1);
  expectNothing(c, t + 1);
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.pollTimeout(), undefined);
});
