/**
 * Timestamps (RFC 7323 §3–§5): the TSval clock, which TSval is echoed (§4.3), PAWS (§5.3, §5.5), the
 * drop of segments without TSopt (§3.2), RTT measurement from TSecr (§4.1 with RFC 6298 §2), and
 * spurious-retransmission detection from TSecr (RFC 3522, Eifel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../../src/tcp/connection.js';
import { LOCAL, LPORT, REMOTE, RPORT, seg } from '../helpers.js';
import {
  ISS,
  OUR_WIN_FIELD,
  PEER_ISS,
  SEG,
  eventNames,
  expectNone,
  expectOut,
  extConnection,
  extEstablished,
  internals,
  ours,
  out,
  pattern,
  peerSynOptions,
  peerTs,
  pfeed,
} from './helpers.js';

const ACKED = { flags: 'ACK', seq: ISS + 1, win: OUR_WIN_FIELD };

/** RFC 6298 §2.3 with alpha = 1/8, beta = 1/4, K = 4, G = 1 ms; returns [SRTT, RTTVAR, RTO]. */
function rfc6298(srtt: number, rttvar: number, r: number, minRto = 200): [number, number, number] {
  const v = 0.75 * rttvar + 0.25 * Math.abs(srtt - r);
  const s = 0.875 * srtt + 0.125 * r;
  return [s, v, Math.max(minRto, s + Math.max(1, 4 * v))];
}

function rtt(c: Connection): [number | undefined, number, number] {
  const st = c.snapshot();
  return [st.srtt, st.rttvar, st.rto];
}

test('TSval = floor(now) + offset on every segment; TSecr = TS.Recent', () => {
  const { c } = extEstablished();
  c.send(pattern(10), 250.9);
  expectOut(c, 250.9, [{ ...ACKED, flags: 'ACK,PSH', ack: PEER_ISS + 1, options: ours(250, peerTs(100)), data: pattern(10) }]);
  // With an isnKey the clock gets a per-connection offset (RFC 7323 §5.4): it still ticks once per ms.
  const k = new Connection({
    localAddress: LOCAL,
    localPort: LPORT,
    remoteAddress: REMOTE,
    remotePort: RPORT,
    isnKey: new Uint8Array(16).fill(7),
  });
  k.open(0, 'active');
  const first = out(k, 0)[0]!.options.timestamp!;
  k.handleTimeout(1000);
  const again = out(k, 1000)[0]!.options.timestamp!;
  assert.notEqual(first.value, 0, 'offset applied');
  assert.equal((again.value - first.value) >>> 0, 1000);
  assert.deepStrictEqual([first.echo, again.echo], [0, 0], 'TSecr is 0 while no ACK is sent');
});

test('§4.3 (A): with delayed ACKs the TSval of the earliest unacknowledged segment is echoed', () => {
  const { c, rcv } = extEstablished();
  pfeed(c, 200, { flags: 'ACK', seq: rcv, ack: ISS + 1, data: pattern(100), tsVal: 80_001 });
  pfeed(c, 210, { flags: 'ACK', seq: rcv + 100, ack: ISS + 1, data: pattern(100), tsVal: 80_002 });
  pfeed(c, 220, { flags: 'ACK', seq: rcv + 200, ack: ISS + 1, data: pattern(100), tsVal: 80_003 });
  expectNone(c, 220);
  assert.equal(internals(c).tsRecent, 80_001);
  c.handleTimeout(240);
  // 300 bytes unread: the window field is ceil((4 194 304 − 300) / 128) = 32766.
  expectOut(c, 240, [{ ...ACKED, ack: rcv + 300, win: 32766, options: ours(240, 80_001) }]);
  // Last.ACK.sent is now RCV.NXT: the next in-order segment's TSval is taken.
  assert.equal(internals(c).lastAckSent, rcv + 300);
  pfeed(c, 300, { flags: 'ACK', seq: rcv + 300, ack: ISS + 1, data: pattern(100), tsVal: 80_004 });
  assert.equal(internals(c).tsRecent, 80_004);
});

test('§4.3 (B), (C): out of order, the TSval of the last segment that advanced RCV.NXT; a filled hole, its own', () => {
  // The RFC's second example (every segment acknowledged): A, C, B, E, D of 100 bytes.
  const { c, rcv } = extEstablished({ config: { ackDelay: 0 } });
  const x = (i: number): number => 80_000 + i;
  const at = (i: number): number => rcv + 100 * (i - 1); // A = 1, B = 2, …
  const steps: Array<[number, number, number, Array<[number, number]> | undefined]> = [
    // [segment, ACK we send, TSecr, SACK blocks] — TSecr 1, 1, 2, 2, 4 as in the RFC.
    [1, at(2), x(1), undefined],
    [3, at(2), x(1), [[at(3), at(4)]]],
    [2, at(4), x(2), undefined],
    [5, at(4), x(2), [[at(5), at(6)]]],
    [4, at(6), x(4), undefined],
  ];
  let t = 200;
  for (const [i, ack, echo, sack] of steps) {
    pfeed(c, t, { flags: 'ACK', seq: at(i), ack: ISS + 1, data: pattern(100), tsVal: x(i) });
    const segs = out(c, t);
    assert.equal(segs.length, 1, `one ACK for segment ${i}`);
    assert.deepStrictEqual([segs[0]!.ack, segs[0]!.options], [ack, ours(t, echo, sack)], `ACK for segment ${i}`);
    t += 10;
  }
});

test('PAWS (§5.3 R1): SEG.TSval < TS.Recent → ACK sent, segment dropped, stats.pawsDrops', () => {
  const { c, rcv } = extEstablished(); // TS.Recent = 70100 from the SYN,ACK
  pfeed(c, 200, { flags: 'ACK', seq: rcv, ack: ISS + 1, data: 'old', tsVal: peerTs(100) - 1 });
  expectOut(c, 200, [{ ...ACKED, ack: rcv, options: ours(200, peerTs(100)) }]);
  assert.equal(c.stats.pawsDrops, 1);
  assert.equal(c.readableLength, 0);
  assert.equal(c.snapshot().rcvNxt, rcv);
  // Equal is not older: accepted (and ACKed after the delay).
  pfeed(c, 300, { flags: 'ACK', seq: rcv, ack: ISS + 1, data: 'new', tsVal: peerTs(100) });
  assert.equal(c.readableLength, 3);
  c.handleTimeout(340);
  expectOut(c, 340, [{ ...ACKED, ack: rcv + 3, options: ours(340, peerTs(100)) }]);
  assert.equal(c.stats.pawsDrops, 1);
});

test('PAWS compares timestamps modulo 2^32: a TSval that wrapped past 0 is newer', () => {
  const c = extConnection();
  c.open(0, 'active');
  out(c, 0);
  const synAck = peerSynOptions(100);
  synAck.timestamp = { value: 0xffffff00, echo: 0 };
  c.handleSegment(seg({ flags: 'SYN,ACK', seq: PEER_ISS, ack: ISS + 1, win: 64000, options: synAck }), 100, { address: REMOTE });
  out(c, 100);
  pfeed(c, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, data: 'x', tsVal: 0x10 });
  assert.equal(c.stats.pawsDrops, 0);
  assert.equal(internals(c).tsRecent, 0x10);
  pfeed(c, 300, { flags: 'ACK', seq: PEER_ISS + 2, ack: ISS + 1, data: 'y', tsVal: 0xffffff80 });
  assert.equal(c.stats.pawsDrops, 1, '0xffffff80 is older than 0x10');
});

test('PAWS does not apply to RST (§5.3 R1), nor is a RST without TSopt dropped (§3.2)', () => {
  const a = extEstablished();
  pfeed(a.c, 200, { flags: 'RST', seq: a.rcv, tsVal: 1 });
  assert.equal(a.c.state, 'CLOSED');
  assert.deepStrictEqual(eventNames(a.c), ['error:ECONNRESET', 'state:ESTABLISHED>CLOSED', 'closed']);
  const b = extEstablished();
  pfeed(b.c, 200, { flags: 'RST', seq: b.rcv, tsVal: null });
  assert.equal(b.c.state, 'CLOSED');
  assert.equal(b.c.stats.pawsDrops, 0);
});

test('§5.5: after 24 days idle TS.Recent is invalid: an older TSval is accepted and becomes TS.Recent', () => {
  const { c, rcv } = extEstablished();
  const day = 24 * 3600 * 1000;
  // Just under 24 days: still PAWS-dropped.
  const t1 = 100 + 24 * day - 1;
  pfeed(c, t1, { flags: 'ACK', seq: rcv, ack: ISS + 1, data: 'a', tsVal: 5 });
  assert.equal(c.stats.pawsDrops, 1);
  out(c, t1);
  // 24 days since TS.Recent was set: accepted, and R3 takes its TSval.
  const t2 = 100 + 24 * day;
  pfeed(c, t2, { flags: 'ACK', seq: rcv, ack: ISS + 1, data: 'a', tsVal: 5 });
  assert.equal(c.stats.pawsDrops, 1);
  assert.equal(c.readableLength, 1);
  assert.equal(internals(c).tsRecent, 5);
  c.handleTimeout(t2 + 40);
  expectOut(c, t2 + 40, [{ ...ACKED, ack: rcv + 1, options: ours(t2 + 40, 5) }]);
  // From now on PAWS protects against TSvals older than 5.
  pfeed(c, t2 + 100, { flags: 'ACK', seq: rcv + 1, ack: ISS + 1, data: 'b', tsVal: 4 });
  assert.equal(c.stats.pawsDrops, 2);
});

test('§3.2: once negotiated, a non-RST segment without TSopt is silently dropped', () => {
  const { c, rcv } = extEstablished();
  c.send(pattern(100), 200);
  out(c, 200);
  const dropped = c.stats.droppedSegments;
  pfeed(c, 250, { flags: 'ACK', seq: rcv, ack: ISS + 101, data: 'abc', tsVal: null });
  expectNone(c, 250, 'no ACK in reply');
  assert.equal(c.stats.droppedSegments, dropped + 1);
  assert.equal(c.readableLength, 0);
  assert.equal(c.snapshot().sndUna, ISS + 1, 'its ACK field was not processed either');
});

test('RTT samples feed RFC 6298 exactly (§2.2, §2.3); fresh data is timed from its own send time', () => {
  // RFC 7323 §4.1 RTTM: a TSecr sample MAY be used when SND.UNA advances. The engine, like Linux,
  // prefers a Karn-valid sample from the newest never-retransmitted segment acknowledged, and uses
  // TSecr when only retransmitted data is acknowledged (next test).
  const { c } = extEstablished({ config: { nagle: false } });
  assert.deepStrictEqual(rtt(c), [100, 50, 300], 'handshake: first sample 100 → SRTT 100, RTTVAR 50');
  c.send(pattern(1000), 1000);
  out(c, 1000);
  pfeed(c, 1080, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1001, tsEcr: 1000 });
  let exp = rfc6298(100, 50, 80);
  assert.deepStrictEqual(exp, [97.5, 42.5, 267.5]);
  assert.deepStrictEqual(rtt(c), exp);
  // Two segments, at 2000 and 2030; one ACK at 2100 for both, echoing the first one's TSval (§4.3 A):
  // the sample is that of the newest segment acknowledged, 70.
  c.send(pattern(SEG), 2000);
  out(c, 2000);
  c.send(pattern(SEG), 2030);
  out(c, 2030);
  pfeed(c, 2100, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1001 + 2 * SEG, tsEcr: 2000 });
  exp = rfc6298(exp[0], exp[1], 70);
  assert.deepStrictEqual(rtt(c), exp);
  assert.equal(internals(c).minRtt, 70);
  // An ACK that does not advance SND.UNA gives no sample (RTTM rule, §4.1).
  pfeed(c, 2500, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1001 + 2 * SEG, tsEcr: 2030 });
  assert.deepStrictEqual(rtt(c), exp);
});

test('RTT from TSecr also for a retransmitted segment (no Karn ambiguity with timestamps)', () => {
  const { c } = extEstablished({ config: { rack: false } }); // an RTO, not a tail loss probe
  c.send(pattern(100), 1000);
  out(c, 1000);
  c.handleTimeout(1300);
  const [rtx] = out(c, 1300);
  assert.equal(rtx!.seq, ISS + 1);
  assert.equal(rtx!.options.timestamp!.value, 1300);
  assert.equal(c.snapshot().rto, 600, 'backed off');
  pfeed(c, 1350, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 101, tsEcr: 1300 });
  assert.deepStrictEqual(rtt(c), rfc6298(100, 50, 50));
  assert.equal(c.stats.spuriousRetransmits, 0, 'the echo is the retransmission\'s: not spurious');
});

test('spurious RTO (RFC 3522): TSecr older than the retransmission\'s TSval → undo, no go-back-N', () => {
  const { c } = extEstablished({ config: { rack: false } });
  c.send(pattern(3 * SEG), 1000);
  assert.equal(out(c, 1000).length, 3);
  const before = c.snapshot();
  assert.deepStrictEqual([before.cwnd, before.ssthresh], [14480, Infinity]);
  c.handleTimeout(1300);
  expectOut(c, 1300, [{ ...ACKED, ack: PEER_ISS + 1, options: ours(1300, peerTs(100)), data: pattern(SEG) }]);
  let st = c.snapshot();
  assert.equal(st.cwnd, SEG, 'RTO: cwnd = 1 SMSS');
  assert.equal(st.ssthresh, Math.floor(3 * SEG * 0.7), 'CUBIC: ssthresh = FlightSize·β');
  // The ACK for the first segment echoes the ORIGINAL transmission (TSval 1000): it was only delayed.
  pfeed(c, 1310, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1 + SEG, tsEcr: 1000 });
  st = c.snapshot();
  assert.equal(c.stats.spuriousRetransmits, 1);
  assert.equal(st.ssthresh, Infinity, 'ssthresh restored');
  assert.equal(st.cwnd, 14480, "cwnd restored to its value before the RTO");
  // The other two segments are not resent: they are in flight, not lost.
  expectNone(c, 1310);
  assert.equal(st.pipe, 2 * SEG);
  assert.equal(c.stats.retransmits, 1);
});

test('a genuine RTO: the ACK echoes the retransmission → no undo', () => {
  const { c } = extEstablished({ config: { rack: false } });
  c.send(pattern(3 * SEG), 1000);
  out(c, 1000);
  c.handleTimeout(1300);
  out(c, 1300);
  pfeed(c, 1400, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1 + SEG, tsEcr: 1300 });
  assert.equal(c.stats.spuriousRetransmits, 0);
  const st = c.snapshot();
  assert.equal(st.ssthresh, Math.floor(3 * SEG * 0.7));
  // Slow start after the RTO: cwnd 2 SMSS, the remaining two segments go again (RFC 6675 §5.1).
  assert.equal(st.cwnd, 2 * SEG);
  const again = out(c, 1400);
  assert.deepStrictEqual(again.map((s) => s.seq), [ISS + 1 + SEG, ISS + 1 + 2 * SEG]);
});
