/**
 * Out-of-order arrival (RFC 9293 §3.10.7.4: "Segments with higher beginning sequence numbers SHOULD be
 * held for later processing"; RFC 5681 §4.2: an out-of-order segment is ACKed at once).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OUR_WIN,
  drainEvents,
  established,
  expectNothing,
  expectSegments,
  feed,
  finWait2,
  text,
} from './helpers.js';

const dupAck = (win = OUR_WIN) => ({ flags: 'ACK', seq: 1001, ack: 5001, win });

test('segment beyond RCV.NXT → held (not delivered), immediate duplicate ACK <ACK=RCV.NXT>', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5006, ack: 1001, data: 'world' });
  expectSegments(c, 150, [dupAck()]);
  assert.equal(c.readableLength, 0);
  assert.equal(c.status().outOfOrder, 5);
  assert.equal(c.status().rcvNxt, 5001);
  assert.deepStrictEqual(drainEvents(c), []);
});

test('each further out-of-order segment gets another duplicate ACK', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5006, ack: 1001, data: 'world' });
  feed(c, 151, { flags: 'ACK', seq: 5020, ack: 1001, data: 'zz' });
  expectSegments(c, 151, [dupAck()]);
  feed(c, 152, { flags: 'ACK', seq: 5020, ack: 1001, data: 'zz' });
  expectSegments(c, 152, [dupAck()]);
  assert.equal(c.status().outOfOrder, 7);
});

test('the hole fills → everything contiguous delivered in order, one ACK for all', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5011, ack: 1001, data: 'KLMNO' });
  feed(c, 151, { flags: 'ACK', seq: 5006, ack: 1001, data: 'FGHIJ' });
  expectSegments(c, 151, [dupAck()]);
  feed(c, 152, { flags: 'ACK', seq: 5001, ack: 1001, data: 'ABCDE' });
  expectSegments(c, 152, [{ flags: 'ACK', seq: 1001, ack: 5016, win: OUR_WIN - 15 }]);
  assert.equal(text(c.receive()), 'ABCDEFGHIJKLMNO');
  assert.equal(c.status().outOfOrder, 0);
});

test('partial fill: delivered up to the next hole, ACK points at it', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5006, ack: 1001, data: 'FGHIJ' });
  feed(c, 150, { flags: 'ACK', seq: 5021, ack: 1001, data: 'UVWXY' });
  expectSegments(c, 150, [dupAck()]);
  feed(c, 151, { flags: 'ACK', seq: 5001, ack: 1001, data: 'ABCDE' });
  expectSegments(c, 151, [{ flags: 'ACK', seq: 1001, ack: 5011, win: OUR_WIN - 10 }]);
  assert.equal(text(c.receive()), 'ABCDEFGHIJ');
  assert.equal(c.status().outOfOrder, 5);
});

test('overlapping segments never deliver a byte twice (held piece overlapped from both sides)', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5006, ack: 1001, data: 'FGHIJ' }); // [5006, 5011)
  feed(c, 150, { flags: 'ACK', seq: 5009, ack: 1001, data: 'IJKLM' }); // overlaps the tail
  feed(c, 150, { flags: 'ACK', seq: 5004, ack: 1001, data: 'DEFG' }); // overlaps the head
  feed(c, 150, { flags: 'ACK', seq: 5006, ack: 1001, data: 'FGHIJ' }); // exact duplicate
  assert.equal(c.status().outOfOrder, 13 - 3, 'bytes 5004..5013 held once');
  feed(c, 151, { flags: 'ACK', seq: 5001, ack: 1001, data: 'ABCDEF' }); // overlaps held bytes too
  // Not polled in between: the duplicate ACKs and the ACK of the filled hole are one segment (MUST-58).
  expectSegments(c, 151, [{ flags: 'ACK', seq: 1001, ack: 5014, win: OUR_WIN - 13 }]);
  assert.equal(text(c.receive()), 'ABCDEFGHIJKLM');
});

test('a segment straddling RCV.NXT: only the new part is delivered', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: 'abc' });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 5004, win: OUR_WIN - 3 }]);
  feed(c, 160, { flags: 'ACK', seq: 5001, ack: 1001, data: 'abcdef' });
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 5007, win: OUR_WIN - 6 }]);
  assert.equal(text(c.receive()), 'abcdef');
});

test('a FIN arriving before the hole fills is processed only after it fills', () => {
  const { c } = established();
  feed(c, 150, { flags: 'FIN,ACK', seq: 5004, ack: 1001, data: 'def' });
  expectSegments(c, 150, [dupAck()]);
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(c.peerFinished, false);
  feed(c, 160, { flags: 'ACK', seq: 5001, ack: 1001, data: 'abc' });
  // RCV.NXT = 5008: six bytes and the FIN.
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 5008, win: OUR_WIN - 7 }]);
  assert.equal(c.state, 'CLOSE-WAIT');
  assert.equal(text(c.receive()), 'abcdef');
  assert.equal(c.peerFinished, true);
});

test('a bare FIN beyond a hole is held; the hole filling moves to CLOSE-WAIT', () => {
  const { c } = established();
  feed(c, 150, { flags: 'FIN,ACK', seq: 5004, ack: 1001 });
  expectSegments(c, 150, [dupAck()]);
  assert.equal(c.state, 'ESTABLISHED');
  feed(c, 160, { flags: 'ACK', seq: 5001, ack: 1001, data: 'abc' });
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 5005, win: OUR_WIN - 4 }]);
  assert.equal(c.state, 'CLOSE-WAIT');
});

test('FIN-WAIT-2: out-of-order data and FIN, then the hole → TIME-WAIT', () => {
  const { c } = finWait2();
  feed(c, 400, { flags: 'FIN,ACK', seq: 5003, ack: 1002, data: 'cd' });
  expectSegments(c, 400, [{ flags: 'ACK', seq: 1002, ack: 5001, win: OUR_WIN }]);
  assert.equal(c.state, 'FIN-WAIT-2');
  feed(c, 410, { flags: 'ACK', seq: 5001, ack: 1002, data: 'ab' });
  expectSegments(c, 410, [{ flags: 'ACK', seq: 1002, ack: 5006, win: OUR_WIN - 5 }]);
  assert.equal(c.state, 'TIME-WAIT');
  assert.equal(text(c.receive()), 'abcd');
});

test('out-of-order segments across 2^32: held and delivered in order', () => {
  const { c } = established({ peerIss: 0xfffffff0 });
  // RCV.NXT = 0xFFFFFFF1; bytes 0xFFFFFFF1..0xFFFFFFFF are 15, then 0x0..
  feed(c, 150, { flags: 'ACK', seq: 0x00000000, ack: 1001, data: 'after-wrap' });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 0xfffffff1, win: OUR_WIN }]);
  feed(c, 160, { flags: 'ACK', seq: 0xfffffff1, ack: 1001, data: 'fifteen-bytes!!' });
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 10, win: OUR_WIN - 25 }]);
  assert.equal(text(c.receive()), 'fifteen-bytes!!after-wrap');
});

test('an exact duplicate of delivered data is unacceptable → ACK, never delivered twice', () => {
  const { c } = established();
  feed(c, 150, { flags: 'ACK', seq: 5001, ack: 1001, data: 'once' });
  expectSegments(c, 150, [{ flags: 'ACK', seq: 1001, ack: 5005, win: OUR_WIN - 4 }]);
  assert.equal(text(c.receive()), 'once');
  feed(c, 160, { flags: 'ACK', seq: 5001, ack: 1001, data: 'once' });
  expectSegments(c, 160, [{ flags: 'ACK', seq: 1001, ack: 5005, win: OUR_WIN - 4 }]);
  assert.equal(c.readableLength, 0);
  expectNothing(c, 170);
});
