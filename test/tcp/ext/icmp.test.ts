/**
 * ICMP errors reported to a connection by the stack: Destination Unreachable (RFC 1122 §4.2.3.9,
 * RFC 5461, RFC 5927) and Packet Too Big / Fragmentation Needed (RFC 1191 §6.4, RFC 8201 §5.4), with
 * the quoted sequence number validated first (RFC 5927 §4.1: SND.UNA ≤ SEG.SEQ < SND.NXT).
 * The state-machine cases use the plain RFC 9293 builders of ../helpers.ts; the Packet Too Big cases the
 * full config of ./helpers.ts (timestamps: SEG = 1448 data bytes per 1460-byte segment).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Connection } from '../../../src/tcp/connection.js';
import { tcpOptionsLength } from '../../../src/wire/tcp.js';
import { RST } from '../../../src/wire/types.js';
import {
  OUR_WIN,
  established,
  eventNames as plainEvents,
  expectNothing,
  expectSegments,
  feed,
  finWait1,
  listen,
  seg,
  synReceivedActive,
  synReceivedPassive,
  synSent,
  timeWait,
  type Expect,
} from '../helpers.js';
import { createModel, other, u32, type Cmd, type Side, type SideId, type World } from '../property-model.js';
import {
  ISS,
  MSS,
  OUR_WIN_FIELD,
  PEER_ISS,
  SEG,
  drainEvents,
  eventNames,
  expectNone,
  expectOut,
  extConnection,
  extEstablished,
  ours,
  out,
  pattern,
  peerSynOptions,
  peerTs,
  pfeed,
} from './helpers.js';

type Code = 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES';
const RULES: Record<Code, { hard: boolean; rule: string }> = {
  ECONNREFUSED: { hard: true, rule: 'ICMP port unreachable (code 3)' },
  EHOSTUNREACH: { hard: false, rule: 'ICMP host unreachable (code 1)' },
  ENETUNREACH: { hard: false, rule: 'ICMP net unreachable (code 0)' },
  EACCES: { hard: true, rule: 'ICMP communication administratively prohibited (code 13)' },
};

function unreachable(c: Connection, now: number, code: Code, seq: number): void {
  c.handleIcmpUnreachable(now, { code, seq: seq >>> 0, ...RULES[code] });
}

const SYN = { flags: 'SYN', seq: ISS, ack: 0, win: OUR_WIN, mss: MSS };

// ───────────────────────────── Destination Unreachable ─────────────────────────────

for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES'] as const) {
  test(`SYN-SENT + Destination Unreachable quoting our SYN (seq = ISS) → error ${code}, CLOSED, nothing sent`, () => {
    const { c } = synSent();
    unreachable(c, 50, code, ISS);
    expectNothing(c, 50);
    assert.equal(c.state, 'CLOSED');
    assert.deepStrictEqual(plainEvents(c), [`error:${code}`, 'state:SYN-SENT>CLOSED', 'closed']);
    assert.equal(c.pollTimeout(), undefined);
    assert.deepStrictEqual([c.stats.icmpErrors, c.stats.icmpIgnored], [1, 0]);
  });
}

test('SYN-SENT + Destination Unreachable with a quoted seq other than ISS → ignored; the SYN is resent on schedule', () => {
  const { c } = synSent();
  for (const seq of [ISS - 1, ISS + 1, ISS + 1000, (ISS + 0x80000000) >>> 0]) unreachable(c, 50, 'ECONNREFUSED', seq);
  unreachable(c, 60, 'EHOSTUNREACH', 0);
  expectNothing(c, 60);
  assert.equal(c.state, 'SYN-SENT');
  assert.deepStrictEqual(plainEvents(c), []);
  assert.deepStrictEqual([c.stats.icmpErrors, c.stats.icmpIgnored], [0, 5]);
  assert.equal(c.pollTimeout(), 1000);
  c.handleTimeout(1000);
  expectSegments(c, 1000, [SYN]);
});

test('SYN-RECEIVED (active, simultaneous open) + Destination Unreachable quoting our SYN,ACK → error, CLOSED', () => {
  const { c } = synReceivedActive();
  unreachable(c, 150, 'EHOSTUNREACH', ISS);
  expectNothing(c, 150);
  assert.deepStrictEqual(plainEvents(c), ['error:EHOSTUNREACH', 'state:SYN-RECEIVED>CLOSED', 'closed']);
});

test('SYN-RECEIVED (passive) + Destination Unreachable quoting our SYN,ACK → back to LISTEN quietly', () => {
  const { c } = synReceivedPassive();
  unreachable(c, 50, 'EHOSTUNREACH', ISS + 1); // not ISS: ignored
  assert.equal(c.state, 'SYN-RECEIVED');
  unreachable(c, 50, 'EHOSTUNREACH', ISS);
  expectNothing(c, 50);
  assert.equal(c.state, 'LISTEN');
  assert.deepStrictEqual(plainEvents(c), ['state:SYN-RECEIVED>LISTEN']);
  assert.equal(c.pollTimeout(), undefined);
});

test('ESTABLISHED + Destination Unreachable (even a hard one) → soft error: the connection survives, data flow continues', () => {
  const { c } = established();
  c.send(pattern(100), 200);
  expectSegments(c, 200, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(100) }]);
  unreachable(c, 210, 'ECONNREFUSED', 1001);
  unreachable(c, 220, 'EHOSTUNREACH', 1050);
  expectNothing(c, 220);
  assert.equal(c.state, 'ESTABLISHED');
  assert.deepStrictEqual(plainEvents(c), []);
  assert.deepStrictEqual([c.stats.icmpErrors, c.stats.icmpIgnored], [2, 0]);
  assert.equal(c.pollTimeout(), 500, 'the retransmission timer is untouched');
  feed(c, 300, { flags: 'ACK', seq: 5001, ack: 1101 });
  c.send(pattern(50, 100), 300);
  expectSegments(c, 300, [{ flags: 'ACK,PSH', seq: 1101, ack: 5001, win: OUR_WIN, data: pattern(50, 100) }]);
});

test('ESTABLISHED: Destination Unreachable quoting a sequence number not in flight → ignored (RFC 5927 §4.1)', () => {
  const { c } = established({ config: { dataRetries: 1 } });
  unreachable(c, 150, 'EHOSTUNREACH', 1001); // nothing in flight: SND.UNA = SND.NXT = 1001
  c.send(pattern(10), 200);
  expectSegments(c, 200, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) }]);
  unreachable(c, 210, 'EHOSTUNREACH', 1000); // below SND.UNA
  unreachable(c, 210, 'EHOSTUNREACH', 1011); // SND.NXT
  assert.deepStrictEqual([c.stats.icmpErrors, c.stats.icmpIgnored], [0, 3]);
  c.handleTimeout(500);
  expectSegments(c, 500, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) }]);
  plainEvents(c);
  c.handleTimeout(1100);
  assert.deepStrictEqual(plainEvents(c), ['error:ETIMEDOUT', 'state:ESTABLISHED>CLOSED', 'closed']);
});

test('ESTABLISHED + host unreachable, then retransmissions exhausted → the error is EHOSTUNREACH, not ETIMEDOUT', () => {
  const { c } = established({ config: { dataRetries: 2 } });
  const data = { flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) };
  c.send(pattern(10), 100);
  expectSegments(c, 100, [data]);
  unreachable(c, 150, 'EHOSTUNREACH', 1001);
  c.handleTimeout(400);
  expectSegments(c, 400, [data]);
  unreachable(c, 450, 'ENETUNREACH', 1001); // the last soft error is the one reported
  c.handleTimeout(1000);
  expectSegments(c, 1000, [data]);
  assert.equal(c.state, 'ESTABLISHED');
  assert.deepStrictEqual(plainEvents(c), []);
  c.handleTimeout(2200);
  expectNothing(c, 2200);
  assert.deepStrictEqual(plainEvents(c), ['error:ENETUNREACH', 'state:ESTABLISHED>CLOSED', 'closed']);
});

test('the soft error is forgotten once an ACK advances SND.UNA: a later timeout is ETIMEDOUT', () => {
  const { c } = established({ config: { dataRetries: 1 } });
  c.send(pattern(10), 100);
  expectSegments(c, 100, [{ flags: 'ACK,PSH', seq: 1001, ack: 5001, win: OUR_WIN, data: pattern(10) }]);
  unreachable(c, 150, 'EHOSTUNREACH', 1005);
  feed(c, 200, { flags: 'ACK', seq: 5001, ack: 1011 });
  c.send(pattern(10, 10), 200);
  expectSegments(c, 200, [{ flags: 'ACK,PSH', seq: 1011, ack: 5001, win: OUR_WIN, data: pattern(10, 10) }]);
  for (let t = c.pollTimeout(); t !== undefined && c.state !== 'CLOSED'; t = c.pollTimeout()) c.handleTimeout(t);
  assert.deepStrictEqual(plainEvents(c).filter((e) => e.startsWith('error')), ['error:ETIMEDOUT']);
});

test('the user timeout, too, reports the remembered soft error (as Linux)', () => {
  const { c } = established();
  c.setUserTimeout(250);
  c.send(pattern(10), 100);
  out(c, 100);
  unreachable(c, 120, 'EACCES', 1001);
  c.handleTimeout(349);
  assert.equal(c.state, 'ESTABLISHED');
  c.handleTimeout(350);
  assert.deepStrictEqual(plainEvents(c), ['error:EACCES', 'state:ESTABLISHED>CLOSED', 'closed']);
});

test('ICMP errors reaching a CLOSED, LISTEN or TIME-WAIT connection are ignored', () => {
  const { c } = established({ config: { dataRetries: 0 } });
  c.send(pattern(10), 100);
  out(c, 100);
  c.handleTimeout(400); // gives up: CLOSED with data still in flight
  assert.equal(c.state, 'CLOSED');
  drainEvents(c);
  unreachable(c, 500, 'ECONNREFUSED', 1001);
  c.handlePacketTooBig(500, { mss: 500, seq: 1001 });
  assert.deepStrictEqual(drainEvents(c), []);
  assert.deepStrictEqual([c.stats.icmpErrors, c.stats.pmtuUpdates, c.stats.icmpIgnored], [0, 0, 2]);

  const l = listen().c;
  unreachable(l, 10, 'ECONNREFUSED', 0);
  l.handlePacketTooBig(10, { mss: 500, seq: 0 });
  assert.deepStrictEqual([l.state, drainEvents(l), l.stats.icmpIgnored], ['LISTEN', [], 2]);

  const tw = timeWait().c;
  unreachable(tw, 500, 'ECONNREFUSED', 1002); // our FIN (1001) is acknowledged: nothing in flight
  unreachable(tw, 500, 'ECONNREFUSED', 1001);
  assert.deepStrictEqual([tw.state, drainEvents(tw), tw.stats.icmpIgnored], ['TIME-WAIT', [], 2]);
});

test('FIN-WAIT-1 + Destination Unreachable quoting our FIN → soft: the FIN is still resent, and the error reported on giving up', () => {
  const { c } = finWait1({ config: { dataRetries: 1 } });
  unreachable(c, 250, 'ECONNREFUSED', 1001);
  expectNothing(c, 250);
  assert.equal(c.state, 'FIN-WAIT-1');
  c.handleTimeout(500);
  expectSegments(c, 500, [{ flags: 'FIN,ACK', seq: 1001, ack: 5001, win: OUR_WIN }]);
  c.handleTimeout(1100);
  assert.deepStrictEqual(plainEvents(c), ['error:ECONNREFUSED', 'state:FIN-WAIT-1>CLOSED', 'closed']);
});

// ───────────────────────────── Packet Too Big ─────────────────────────────

/** Our data segment at t: seq, the bytes of the pattern from `off`, timestamps echoing the handshake. */
function data(t: number, seq: number, off: number, len: number, psh = false): Expect {
  return { flags: psh ? 'ACK,PSH' : 'ACK', seq, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(t, peerTs(100)), data: pattern(len, off) };
}

/** ESTABLISHED (full config) with four full-sized segments (4 × 1448 bytes) in flight, sent at 1000. */
function fourInFlight(): { c: Connection; una: number } {
  const { c, una } = extEstablished();
  c.send(pattern(4 * SEG), 1000);
  expectOut(c, 1000, [data(1000, una, 0, SEG), data(1000, una + SEG, SEG, SEG), data(1000, una + 2 * SEG, 2 * SEG, SEG), data(1000, una + 3 * SEG, 3 * SEG, SEG, true)]);
  return { c, una };
}

test('Packet Too Big with full-sized segments in flight → all resent at once, split to the new MSS; cwnd and ssthresh unchanged', () => {
  const { c, una } = fourInFlight();
  const before = c.snapshot();
  // A router's MTU is 1040: 1000 bytes of TCP payload, 988 of data beside the timestamps.
  c.handlePacketTooBig(1010, { mss: 1000, seq: una + SEG });
  const small = 1000 - 12;
  const rest = SEG - small;
  const exp = [];
  for (let i = 0; i < 4; i++) {
    exp.push(data(1010, una + i * SEG, i * SEG, small));
    exp.push(data(1010, una + i * SEG + small, i * SEG + small, rest, i === 3));
  }
  expectOut(c, 1010, exp);
  const after = c.snapshot();
  assert.equal(after.mss, 1000);
  assert.equal(c.rcvMss, MSS, 'the MSS we advertise is unaffected');
  assert.deepStrictEqual([after.cwnd, after.ssthresh, after.inRecovery], [before.cwnd, before.ssthresh, false]);
  assert.deepStrictEqual(
    [c.stats.retransmits, c.stats.fastRecoveries, c.stats.rtoCount, c.stats.rackLosses, c.stats.pmtuUpdates],
    [8, 0, 0, 0, 1],
  );
  // The rest of the burst's Packet Too Big messages say nothing new (RFC 1191 §6.4): no more retransmissions.
  c.handlePacketTooBig(1011, { mss: 1000, seq: una + 2 * SEG });
  c.handlePacketTooBig(1011, { mss: 1000, seq: una + 3 * SEG });
  expectNone(c, 1011);
  assert.equal(c.stats.pmtuUpdates, 1);
  // The first original had got through after all: its ACK echoes the original TSval. Not an Eifel
  // detection (RFC 3522): there was no congestion response to undo.
  pfeed(c, 1100, { flags: 'ACK', seq: PEER_ISS + 1, ack: una + SEG, tsEcr: 1000 });
  expectNone(c, 1100);
  assert.deepStrictEqual([c.stats.spuriousRetransmits, c.snapshot().ssthresh], [0, before.ssthresh]);
  // Everything arrives; new data uses the new MSS.
  pfeed(c, 1110, { flags: 'ACK', seq: PEER_ISS + 1, ack: una + 4 * SEG });
  assert.deepStrictEqual([c.snapshot().sndUna, c.state, c.stats.spuriousRetransmits], [una + 4 * SEG, 'ESTABLISHED', 0]);
  c.send(pattern(3 * small, 4 * SEG), 1110);
  const base = una + 4 * SEG;
  expectOut(c, 1110, [
    data(1110, base, 4 * SEG, small),
    data(1110, base + small, 4 * SEG + small, small),
    data(1110, base + 2 * small, 4 * SEG + 2 * small, small, true),
  ].map((e) => ({ ...e, options: ours(1110, peerTs(1110)) })));
});

test('Packet Too Big: only segments larger than the new MSS are resent; SACKed ones are not', () => {
  const { c, una } = extEstablished();
  c.send(pattern(SEG + 500), 1000);
  c.setNoDelay(true);
  expectOut(c, 1000, [data(1000, una, 0, SEG), data(1000, una + SEG, SEG, 500, true)]);
  c.send(pattern(SEG, SEG + 500), 1001);
  expectOut(c, 1001, [{ ...data(1001, una + SEG + 500, SEG + 500, SEG, true), options: ours(1001, peerTs(100)) }]);
  // The third segment (full-sized) got through before the path changed and was SACKed.
  pfeed(c, 1050, { flags: 'ACK', seq: PEER_ISS + 1, ack: una, sack: [[una + SEG + 500, una + 2 * SEG + 500]] });
  expectNone(c, 1050);
  c.handlePacketTooBig(1060, { mss: 600, seq: una });
  // 588 data bytes per segment: the first segment goes in three pieces; the 500-byte one is small enough.
  expectOut(c, 1060, [0, 588, 1176].map((off) => ({ ...data(1060, una + off, off, Math.min(588, SEG - off)), options: ours(1060, peerTs(1050)) })));
  assert.deepStrictEqual([c.stats.retransmits, c.stats.fastRecoveries], [3, 0]);
});

test('Packet Too Big quoting a sequence number outside [SND.UNA, SND.NXT) → ignored', () => {
  const { c, una } = fourInFlight();
  const before = c.snapshot();
  for (const seq of [una - 1, una + 4 * SEG, una + 100_000, una - 100_000]) c.handlePacketTooBig(1010, { mss: 500, seq: seq >>> 0 });
  expectNone(c, 1010);
  assert.deepStrictEqual([c.snapshot().mss, c.stats.pmtuUpdates, c.stats.icmpIgnored, c.stats.retransmits], [before.mss, 0, 4, 0]);
});

test('Packet Too Big for an MSS no smaller than the current one → ignored', () => {
  const { c, una } = fourInFlight();
  for (const mss of [MSS, MSS + 1, 9000]) c.handlePacketTooBig(1010, { mss, seq: una });
  expectNone(c, 1010);
  assert.deepStrictEqual([c.snapshot().mss, c.stats.pmtuUpdates, c.stats.retransmits], [MSS, 0, 0]);
});

test('Packet Too Big below the floor: the path MSS stops at 48 (Linux tcp_min_snd_mss)', () => {
  const { c, una } = extEstablished();
  c.send(pattern(100), 1000);
  expectOut(c, 1000, [data(1000, una, 0, 100, true)]);
  c.handlePacketTooBig(1010, { mss: 8, seq: una });
  assert.equal(c.snapshot().mss, 48);
  // 36 data bytes beside the 12 bytes of timestamps.
  expectOut(c, 1010, [data(1010, una, 0, 36), data(1010, una + 36, 36, 36), data(1010, una + 72, 72, 28, true)]);
});

test('Packet Too Big in SYN-SENT lowers the MSS used after the handshake', () => {
  const c = extConnection();
  c.open(0, 'active');
  out(c, 0);
  c.handlePacketTooBig(10, { mss: 1200, seq: ISS + 1 }); // not the SYN's
  assert.equal(c.stats.icmpIgnored, 1);
  c.handlePacketTooBig(10, { mss: 1200, seq: ISS });
  expectNone(c, 10);
  assert.equal(c.stats.pmtuUpdates, 1);
  c.handleSegment(seg({ flags: 'SYN,ACK', seq: PEER_ISS, ack: ISS + 1, win: 65535, options: peerSynOptions(100) }), 100);
  out(c, 100);
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(c.snapshot().mss, 1200, 'min(the peer\'s 1460, the path\'s 1200)');
  eventNames(c);
  c.send(pattern(2 * 1188), 200);
  assert.deepStrictEqual(out(c, 200).map((s) => s.payload.length), [1188, 1188], '1200 − 12 bytes of timestamps');
});

test('Packet Too Big in SYN-SENT: a resent SYN still advertises our own MSS (RFC 1191 §3.1)', () => {
  const c = extConnection();
  c.open(0, 'active');
  const [syn] = out(c, 0);
  c.handlePacketTooBig(10, { mss: 500, seq: ISS });
  c.handleTimeout(1000);
  const [again] = out(c, 1000);
  assert.equal(syn!.options.mss, MSS);
  assert.equal(again!.options.mss, MSS);
  assert.deepStrictEqual([again!.seq, c.state], [ISS, 'SYN-SENT']);
});

// ───────────────────────────── property: random path MTU drops during transfers ─────────────────────────────

/** Per direction: the path MSS a router enforces (bytes of TCP options + data), with a seeded PRNG. */
interface Path {
  limit: [number, number];
  rand: () => number;
  tail: boolean;
  ptbSent: number;
}
let path: Path;

const LIMITS = [100, 200, 536, 1000] as const;

const model = createModel({
  baseConfig: {},
  rcvBufs: [2000, 65535, 262_144],
  scaleWindow: true,
  network: (w: World, s: Side, sg) => {
    const size = tcpOptionsLength(sg.options) + sg.payload.length;
    // The engine never sends more than its current send MSS.
    assert.ok(size <= s.c.sndMss || sg.flags & RST, `side ${s.id}: ${size}-byte segment with SMSS ${s.c.sndMss}`);
    if (size <= path.limit[s.id]) return true;
    // The router drops it and (unless its ICMP is lost, never in the lossless tail) says why.
    if (path.tail || path.rand() < 0.7) {
      path.ptbSent++;
      s.c.handlePacketTooBig(w.now, { mss: path.limit[s.id], seq: sg.seq });
    }
    return false;
  },
});

type PtbCmd = Cmd | { k: 'mtu'; side: SideId; limit: number } | { k: 'bogus'; side: SideId; off: number };

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

test('property: random Packet Too Big events during a lossy two-way transfer — every byte arrives exactly once, nobody fails', () => {
  const extra: fc.Arbitrary<PtbCmd> = fc.oneof(
    fc.record({ k: fc.constant('mtu' as const), side: fc.constantFrom<SideId>(0, 1), limit: fc.constantFrom(...LIMITS) }),
    fc.record({ k: fc.constant('bogus' as const), side: fc.constantFrom<SideId>(0, 1), off: fc.integer({ min: 0, max: 0x7fffffff }) }),
  );
  // Path MSSs of 100 or more (the 48-byte floor has its own test above). The model's lossless tail
  // takes no time, so RTTs are 0 and RACK's reordering window is 0: this once made every ACK deem the
  // retransmissions sent in the same millisecond lost again (transfers were capped at 8 kB to avoid
  // it); RACK now orders transmissions by send order (rack.ts sentAfter).
  const small = model.scenario(fc.tuple(u32, u32));
  const scenarios = small.chain((s) =>
    fc.record({ s: fc.constant(s), extras: fc.array(fc.tuple(fc.nat(s.cmds.length), extra), { minLength: 1, maxLength: 8 }) }),
  );
  let ptbs = 0;
  fc.assert(
    fc.property(scenarios, ({ s, extras }) => {
      path = { limit: [Infinity, Infinity], rand: xorshift(s.seed), tail: false, ptbSent: 0 };
      const cmds: PtbCmd[] = [...s.cmds];
      for (const [at, e] of [...extras].sort((a, b) => b[0] - a[0])) cmds.splice(at, 0, e);
      const w = model.makeWorld(s);
      for (const cmd of cmds) {
        if (cmd.k === 'mtu') {
          path.limit[cmd.side] = Math.min(path.limit[cmd.side], cmd.limit);
        } else if (cmd.k === 'bogus') {
          // A forged message quoting a sequence number not in flight changes nothing (RFC 5927 §4.1).
          const c = w.sides[cmd.side].c;
          const st = c.snapshot();
          const flight = (st.sndNxt - st.sndUna) >>> 0;
          c.handlePacketTooBig(w.now, { mss: 48, seq: (st.sndNxt + (cmd.off % (0x80000000 - flight))) >>> 0 });
          assert.equal(c.snapshot().mss, st.mss);
        } else {
          model.step(w, cmd);
        }
      }
      path.tail = true;
      model.tail(w);
      for (const x of w.sides) assert.equal(x.read, w.sides[other(x.id)].data.length);
      ptbs += path.ptbSent;
    }),
    { numRuns: 150 },
  );
  assert.ok(ptbs > 0, 'some Packet Too Big messages were sent');
});
