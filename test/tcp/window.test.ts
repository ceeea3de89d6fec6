/**
 * Flow control (RFC 9293 §3.8.6): the sender never exceeds the peer's window, probes a zero window
 * (§3.8.6.1), avoids silly windows (§3.8.6.2.1); the receiver advertises its free buffer, never moves
 * the right edge left, and sends window updates per §3.8.6.2.2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/tcp/connection.js';
import { seqDiff } from '../../src/tcp/seq.js';
import {
  OUR_WIN,
  established,
  expectNothing,
  expectSegments,
  feed,
  pattern,
  recvAll,
} from './helpers.js';

test('sender: never sends more than the peer\'s window (1000 bytes) even with more queued', () => {
  const { c } = established({ peerWin: 1000 });
  const data = pattern(5000);
  c.send(data, 100);
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: data.subarray(0, 1000) }]);
  expectNothing(c, 100);
  // The window slides with the ACK: exactly 1000 more.
  feed(c, 200, { flags: 'ACK', seq: 5001, ack: 2001, win: 1000 });
  expectSegments(c, 200, [{ flags: 'ACK', seq: 2001, ack: 5001, win: OUR_WIN, data: data.subarray(1000, 2000) }]);
});

test('sender: an ACK that acknowledges data but shrinks the window limits what follows', () => {
  const { c } = established();
  const data = pattern(3000);
  c.send(data, 100);
  assert.equal(recvAll(c, 100).length, 3);
  c.send(pattern(3000, 3000), 150);
  feed(c, 200, { flags: 'ACK', seq: 5001, ack: 4001, win: 1460 });
  expectSegments(c, 200, [{ flags: 'ACK', seq: 4001, ack: 5001, win: OUR_WIN, data: pattern(3000, 3000).subarray(0, 1460) }]);
  expectNothing(c, 200);
});

test('sender SWS avoidance (§3.8.6.2.1): a usable window below min(MSS, Max(SND.WND)/2) is not used while data is in flight', () => {
  const { c } = established({ peerWin: 2000 });
  const data = pattern(5000);
  c.send(data, 100);
  // 1460 fits; 540 more would be silly (< 2000/2) with 1460 unacknowledged.
  expectSegments(c, 100, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: data.subarray(0, 1460) }]);
  feed(c, 200, { flags: 'ACK', seq: 5001, ack: 2461, win: 2000 });
  expectSegments(c, 200, [{ flags: 'ACK', seq: 2461, ack: 5001, win: OUR_WIN, data: data.subarray(1460, 2920) }]);
});

test('sender: the final short segment is sent when it empties the queue and nothing is in flight', () => {
  const { c } = established({ peerWin: 2000 });
  c.send(pattern(100), 100);
  expectSegments(c, 100, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(100) }]);
});

test('zero window: nothing sent; persist probe at RTO, then exponential backoff (RFC 1122 §4.2.2.17)', () => {
  const { c } = established({ peerWin: 0 });
  c.send(pattern(100), 100);
  expectNothing(c, 100);
  // RTO is 300: first probe at 400, then +600, +1200.
  assert.equal(c.pollTimeout(), 400);
  assert.equal(c.snapshot().timers.persist, 400);
  const probe = { flags: 'ACK', seq: 1000, ack: 5001, win: OUR_WIN };
  c.handleTimeout(400);
  expectSegments(c, 400, [probe]);
  assert.equal(c.pollTimeout(), 1000);
  c.handleTimeout(1000);
  expectSegments(c, 1000, [probe]);
  assert.equal(c.pollTimeout(), 2200);
  // The probe is answered: still zero. The probing goes on, the connection stays open (MUST-37).
  feed(c, 1050, { flags: 'ACK', seq: 5001, ack: 1001, win: 0 });
  expectNothing(c, 1050);
  c.handleTimeout(2200);
  expectSegments(c, 2200, [probe]);
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(c.status().sndNxt, 1001, 'no data was pushed into the zero window');
});

test('zero window: the persist backoff is capped at config.maxPersistInterval', () => {
  const { c } = established({ peerWin: 0, config: { maxPersistInterval: 1000 } });
  c.send(pattern(1), 100);
  expectNothing(c, 100);
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = c.pollTimeout()!;
    times.push(t);
    c.handleTimeout(t);
    recvAll(c, t);
  }
  assert.deepStrictEqual(times, [400, 1000, 2000, 3000]);
});

test('zero window: a window update reopens sending and stops the persist timer', () => {
  const { c } = established({ peerWin: 0 });
  const data = pattern(100);
  c.send(data, 100);
  expectNothing(c, 100);
  c.handleTimeout(400);
  expectSegments(c, 400, [{ flags: 'ACK', seq: 1000, ack: 5001, win: OUR_WIN }]);
  feed(c, 450, { flags: 'ACK', seq: 5001, ack: 1001, win: 50 });
  expectSegments(c, 450, [{ flags: 'ACK', seq: 1001, ack: 5001, win: OUR_WIN, data: data.subarray(0, 50) }]);
  assert.equal(c.snapshot().timers.persist, undefined);
  assert.equal(c.snapshot().timers.retransmit, 750);
  feed(c, 500, { flags: 'ACK', seq: 5001, ack: 1051, win: 1000 });
  expectSegments(c, 500, [{ flags: 'ACK,PSH', seq: 1051, ack: 5001, win: OUR_WIN, data: data.subarray(50) }]);
});

test('window update is ignored from a segment older than SND.WL1 (§3.10.7.4 fifth step)', () => {
  const { c } = established();
  // The peer sends 6 bytes with a window of 1000: WL1 = 5001, then 3 more at 5007 with window 1000.
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, win: 1000, data: 'abcdef' });
  feed(c, 160, { flags: 'ACK', seq: 5007, ack: 1001, win: 1000, data: 'ghi' });
  recvAll(c, 160);
  assert.equal(c.status().sndWnd, 1000);
  // A delayed copy of the first segment with more bytes (its tail is new) and an old, larger window.
  feed(c, 170, { flags: 'ACK', seq: 5001, ack: 1001, win: 64000, data: 'abcdefghijk' });
  expectSegments(c, 170, [{ flags: 'ACK', seq: 1001, ack: 5012, win: OUR_WIN - 11 }]);
  assert.equal(c.status().sndWnd, 1000, 'SEG.SEQ < SND.WL1: window not taken');
});

test('window update is taken from a pure ACK with the same SEQ/ACK (SND.WL1 = SEG.SEQ, SND.WL2 =< SEG.ACK)', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, win: 777 });
  expectNothing(c, 150);
  assert.equal(c.status().sndWnd, 777);
});

test('receiver: advertised window = free buffer; it shrinks as data is buffered unread', () => {
  const { c } = established({ config: { receiveBufferSize: 4000 } });
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: pattern(1000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 3000 }]);
  feed(c, 160, { flags: 'ACK', seq: 6001, ack: 1001, data: pattern(1000) });
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 7001, win: 2000 }]);
  assert.equal(c.status().rcvWnd, 2000);
});

test('receiver: window update ACK only once the app has read ≥ min(RCV.BUFF/2, MSS) (§3.8.6.2.2)', () => {
  const { c } = established({ config: { receiveBufferSize: 4000 } });
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: pattern(3000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 8001, win: 1000 }]);
  // 1000 bytes read: the right edge could move 1000 < min(2000, 1460) — no update.
  assert.equal(c.receive(1000).length, 1000);
  expectNothing(c, 200);
  // 500 more: 1500 ≥ 1460 — a window update with the whole free space.
  assert.equal(c.receive(500).length, 500);
  expectSegments(c, 210, [{ flags: 'ACK', seq: 1001, ack: 8001, win: 2500 }]);
});

test('receiver: zero window → data dropped and ACKed with window 0; reading reopens it with an update', () => {
  const { c } = established({ config: { receiveBufferSize: 1000 } });
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: pattern(1000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 0 }]);
  feed(c, 160, { flags: 'ACK', seq: 6001, ack: 1001, data: 'x' });
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 0 }]);
  assert.equal(c.readableLength, 1000);
  // A zero-window probe (SEQ=RCV.NXT−1) also gets the ACK with window 0.
  feed(c, 170, { flags: 'ACK', seq: 6000, ack: 1001 });
  expectSegments(c, 170, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 0 }]);
  assert.deepStrictEqual(c.receive(), pattern(1000));
  expectSegments(c, 180, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 1000 }]);
});

test('receiver: with a zero window a valid ACK at RCV.NXT is still processed', () => {
  const { c } = established({ config: { receiveBufferSize: 1000 } });
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: pattern(1000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 0 }]);
  c.send(pattern(10), 160);
  expectSegments(c, 160, [{ flags: 'ACK,PSH', seq: 1001, ack: 6001, win: 0, data: pattern(10) }]);
  feed(c, 170, { flags: 'ACK', seq: 6001, ack: 1011, win: 5000 });
  expectNothing(c, 170);
  const st = c.status();
  assert.equal(st.sndUna, 1011);
  assert.equal(st.sndWnd, 5000);
});

test('receiver: a segment that overruns the window is trimmed to it; the rest is not accepted', () => {
  const { c } = established({ config: { receiveBufferSize: 1000 } });
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: pattern(1500) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 6001, win: 0 }]);
  assert.deepStrictEqual(c.receive(), pattern(1000));
});

function rightEdges(c: Connection, now: number): number[] {
  return recvAll(c, now).map((s) => s.ack + s.window);
}

test('receiver: the right edge (ACK + WND) never moves left, whatever arrives and is read', () => {
  const { c } = established({ config: { receiveBufferSize: 3000 } });
  const edges: number[] = [5001 + 3000];
  let seq = 5001;
  const steps: Array<{ len: number; read: number }> = [
    { len: 700, read: 0 },
    { len: 700, read: 100 },
    { len: 1000, read: 0 },
    { len: 600, read: 2000 },
    { len: 1460, read: 50 },
    { len: 10, read: 3000 },
  ];
  let t = 150;
  for (const s of steps) {
    const room = c.status().rcvWnd;
    const len = Math.min(s.len, room);
    if (len > 0) {
      feed(c, t, { flags: 'ACK', seq, ack: 1001, data: pattern(len) });
      seq += len;
    }
    edges.push(...rightEdges(c, t));
    if (s.read > 0) c.receive(s.read);
    edges.push(...rightEdges(c, t));
    t += 10;
  }
  for (let i = 1; i < edges.length; i++) assert.ok(seqDiff(edges[i]!, edges[i - 1]!) >= 0, `edge moved left at ${i}: ${edges.join(',')}`);
});

test('sender: a FIN is sent only inside the peer\'s window — data filling the window goes first, the FIN after the ACK', () => {
  const { c } = established({ peerWin: 100 });
  c.send(pattern(100), 150);
  c.close(150);
  assert.equal(c.state, 'FIN-WAIT-1');
  // SEQ 1101 would be the FIN's, one past the window [1001, 1101).
  expectSegments(c, 150, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(100) }]);
  feed(c, 200, { flags: 'ACK', seq: 5001, ack: 1101, win: 100 });
  expectSegments(c, 200, [{ flags: 'FIN,ACK', seq: 1101, ack: 5001, win: OUR_WIN }]);
  feed(c, 250, { flags: 'ACK', seq: 5001, ack: 1102, win: 100 });
  assert.equal(c.state, 'FIN-WAIT-2');
});

test('sender: CLOSE into a zero window → no FIN; persist probes until the window opens, then the FIN', () => {
  const { c } = established({ peerWin: 0 });
  c.close(150);
  expectNothing(c, 150);
  assert.equal(c.pollTimeout(), 450, 'persist timer at RTO');
  c.handleTimeout(450);
  expectSegments(c, 450, [{ flags: 'ACK', seq: 1000, ack: 5001, win: OUR_WIN }]);
  feed(c, 500, { flags: 'ACK', seq: 5001, ack: 1001, win: 10 });
  expectSegments(c, 500, [{ flags: 'FIN,ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  assert.equal(c.snapshot().timers.persist, undefined);
  assert.equal(c.snapshot().timers.retransmit, 800);
});

test('receiver: no window update once the peer\'s FIN is in (CLOSE-WAIT): no more data can come', () => {
  const { c } = established({ config: { receiveBufferSize: 4000 } });
  feed(c, 150, { flags: 'FIN,ACK', seq: 5001, ack: 1001, data: pattern(3000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 8002, win: 999 }]);
  assert.equal(c.state, 'CLOSE-WAIT');
  assert.equal(c.receive(3000).length, 3000);
  expectNothing(c, 200);
});

test('receiver: no window update in TIME-WAIT — it would reach a closed peer, whose RST would end TIME-WAIT (RFC 1337)', () => {
  const { c } = established({ config: { receiveBufferSize: 4000 } });
  c.close(140);
  expectSegments(c, 140, [{ flags: 'FIN,ACK', seq: 1001, ack: 5001, win: 4000 }]);
  feed(c, 150, { flags: 'FIN,ACK', seq: 5001, ack: 1002, data: pattern(3000) });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1002, ack: 8002, win: 999 }]);
  assert.equal(c.state, 'TIME-WAIT');
  assert.equal(c.receive(3000).length, 3000);
  expectNothing(c, 200);
});
