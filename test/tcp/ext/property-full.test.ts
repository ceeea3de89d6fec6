/**
 * The property test of ../property.test.ts with the FULL default config: window scaling, timestamps
 * (PAWS), SACK with RFC 6675 recovery, RACK-TLP, delayed ACKs, Nagle and CUBIC. Two Connections are
 * joined by a model channel that drops, duplicates, reorders and delays segments as fast-check
 * chooses, with explicit time and timeouts. After every step:
 *   - SND.UNA ≤ SND.NXT (mod 2^32) at both ends;
 *   - what each application has read is a prefix of what the other wrote;
 *   - no data byte beyond the right edge a receiver has advertised (SEG.ACK + SEG.WND << Rcv.Wind.Shift)
 *     is ever accepted;
 *   - once timestamps are negotiated every non-RST segment carries TSopt (RFC 7323 §3.2), and SACK
 *     blocks appear only when SACK was negotiated (RFC 2018 §2);
 *   - no connection fails (no reset, no timeout).
 * Then a lossless tail runs the clock until all data has arrived and both ends are CLOSED or TIME-WAIT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { windowShiftFor } from '../../../src/tcp/connection.js';
import { RST } from '../../../src/wire/types.js';
import { createModel, u32 } from '../property-model.js';

/** What the random runs exercised, summed over both sides of every run (checked by the last test). */
const exercised = {
  runs: 0,
  fastRecoveries: 0,
  rtoCount: 0,
  rackLosses: 0,
  tailLossProbes: 0,
  pawsDrops: 0,
  dsacksReceived: 0,
  sackBlocksReceived: 0,
  delayedAcks: 0,
};

const { makeWorld, tail, scenario, run } = createModel({
  baseConfig: {},
  rcvBufs: [500, 2000, 8000, 65535, 262_144, 4 * 1024 * 1024],
  // RFC 7323 §2.3: the window field of a non-SYN segment is scaled by the sender's Rcv.Wind.Shift.
  scaleWindow: true,
  checkSegment: (s, seg) => {
    if (s.c.tsOk && !(seg.flags & RST)) {
      assert.ok(seg.options.timestamp !== undefined, `side ${s.id}: segment without TSopt after negotiation`);
    }
    if (!s.c.sackOk) assert.equal(seg.options.sackBlocks, undefined, `side ${s.id}: SACK blocks without SACK-permitted`);
  },
  afterRunSide: (s, x) => {
    // Both ends offer everything: once synchronized, everything is in use.
    if (x.c.stats.segmentsReceived > 1) {
      assert.deepStrictEqual([x.c.tsOk, x.c.sackOk, x.c.rcvWscale], [true, true, windowShiftFor(s.rcvBuf)], `side ${x.id} negotiated`);
    }
    for (const k of Object.keys(exercised) as Array<keyof typeof exercised>) {
      if (k !== 'runs') exercised[k] += x.c.stats[k];
    }
  },
  afterRun: () => {
    exercised.runs++;
  },
});

test('property (full config): lossy, duplicating, reordering channel — data arrives exactly once, in order, and both ends close', () => {
  fc.assert(
    fc.property(scenario(fc.tuple(u32, u32)), (s) => run(s)),
    { numRuns: 120 },
  );
});

test('property (full config): the same near the 2^32 wraparound (ISS = 0xFFFFFF00)', () => {
  fc.assert(
    fc.property(scenario(fc.constant<[number, number]>([0xffffff00, 0xffffff00])), (s) => run(s)),
    { numRuns: 60 },
  );
});

test('property (full config): a perfect channel needs no retransmission', () => {
  fc.assert(
    fc.property(
      fc.record({ sizeA: fc.integer({ min: 0, max: 50_000 }), sizeB: fc.integer({ min: 0, max: 50_000 }), seed: fc.nat() }),
      ({ sizeA, sizeB, seed }) => {
        const w = makeWorld({ issA: 0xfffff000, issB: 7, sizeA, sizeB, seed, mss: 1460, rcvBuf: 65535, sndBuf: 262_144, cmds: [] });
        tail(w);
        for (const x of w.sides) assert.equal(x.c.stats.retransmits, 0);
      },
    ),
    { numRuns: 20 },
  );
});

test('property (full config): the random runs exercised SACK recovery, RACK, TLP, RTO, PAWS, D-SACK and delayed ACKs', () => {
  assert.ok(exercised.runs >= 180, `runs: ${exercised.runs}`);
  for (const [k, v] of Object.entries(exercised)) assert.ok(v > 0, `${k} never happened: ${JSON.stringify(exercised)}`);
});
