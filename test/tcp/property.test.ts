/**
 * Property tests: two Connections joined by a model channel that drops, duplicates, reorders and
 * delays segments as fast-check chooses, with explicit time and timeouts. Random data flows both ways,
 * then both ends close. After every step:
 *   - SND.UNA ≤ SND.NXT (mod 2^32) at both ends;
 *   - what each application has read is a prefix of what the other wrote (no byte twice, none out of
 *     order, none invented);
 *   - no data byte beyond the right edge a receiver has advertised is ever accepted;
 *   - no connection fails (no reset, no timeout).
 * Then a lossless tail runs the clock until all data has arrived and both ends are CLOSED or TIME-WAIT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PLAIN_RFC9293 } from '../../src/tcp/config.js';
import { createModel, u32, type Cmd } from './property-model.js';

const { makeWorld, tail, scenario, run } = createModel({
  baseConfig: PLAIN_RFC9293,
  rcvBufs: [500, 2000, 8000, 65535],
  scaleWindow: false,
});

test('property: lossy, duplicating, reordering channel — data arrives exactly once, in order, and both ends close', () => {
  fc.assert(
    fc.property(scenario(fc.tuple(u32, u32)), (s) => run(s)),
    { numRuns: 300 },
  );
});

test('property: the same near the 2^32 wraparound (ISS = 0xFFFFFF00)', () => {
  fc.assert(
    fc.property(scenario(fc.constant<[number, number]>([0xffffff00, 0xffffff00])), (s) => run(s)),
    { numRuns: 200 },
  );
});

test('property: a perfect channel needs no retransmission', () => {
  fc.assert(
    fc.property(
      fc.record({ sizeA: fc.integer({ min: 0, max: 50_000 }), sizeB: fc.integer({ min: 0, max: 50_000 }), seed: fc.nat() }),
      ({ sizeA, sizeB, seed }) => {
        const w = makeWorld({ issA: 0xfffff000, issB: 7, sizeA, sizeB, seed, mss: 1460, rcvBuf: 65535, sndBuf: 262_144, cmds: [] });
        tail(w);
        for (const x of w.sides) assert.equal(x.c.stats.retransmits, 0);
      },
    ),
    { numRuns: 30 },
  );
});

/**
 * Found by the first property: both ends had filled each other's window (their SND.NXT at the other's
 * RCV.NXT+RCV.WND) while earlier segments were lost, so each end's pure ACKs were "unacceptable" to
 * the other and every one was answered by another — an ACK war that never let the clock advance
 * (RFC 9293 Appendix A.2).
 */
test('regression: full windows on both sides with losses — no ACK war', () => {
  run({
    issA: 0,
    issB: 0,
    sizeA: 749,
    sizeB: 750,
    seed: 1,
    mss: 536,
    rcvBuf: 500,
    sndBuf: 1000,
    cmds: [
      { k: 'deliver', i: 0 }, { k: 'tick', dt: 1000 }, { k: 'deliver', i: 0 }, { k: 'deliver', i: 0 },
      { k: 'drop', i: 0 }, { k: 'deliver', i: 43 }, { k: 'write', side: 1, n: 500 },
      { k: 'read', side: 0, n: 1 }, { k: 'deliver', i: 0 }, { k: 'tick', dt: 1 }, { k: 'deliver', i: 0 },
      { k: 'dup', i: 0 }, { k: 'write', side: 0, n: 250 }, { k: 'read', side: 0, n: 1 }, { k: 'tick', dt: 1 },
      { k: 'deliver', i: 0 }, { k: 'drop', i: 0 }, { k: 'write', side: 1, n: 1 },
      { k: 'read', side: 0, n: 251 }, { k: 'drop', i: 46 }, { k: 'deliver', i: 0 }, { k: 'tick', dt: 20 },
      { k: 'read', side: 0, n: 1 }, { k: 'read', side: 0, n: 1 }, { k: 'deliver', i: 667 },
      { k: 'tick', dt: 2978 }, { k: 'read', side: 0, n: 1 }, { k: 'deliver', i: 363 }, { k: 'deliver', i: 0 },
      { k: 'read', side: 0, n: 1 }, { k: 'deliver', i: 0 }, { k: 'drop', i: 0 }, { k: 'tick', dt: 1 },
      { k: 'deliver', i: 0 }, { k: 'read', side: 1, n: 250 }, { k: 'write', side: 0, n: 1 },
      { k: 'dup', i: 0 }, { k: 'write', side: 0, n: 250 }, { k: 'read', side: 0, n: 1 },
      { k: 'write', side: 1, n: 1 }, { k: 'deliver', i: 453 }, { k: 'deliver', i: 0 }, { k: 'close', side: 0 },
      { k: 'deliver', i: 0 }, { k: 'read', side: 0, n: 1 }, { k: 'write', side: 0, n: 1 },
      { k: 'drop', i: 938 }, { k: 'read', side: 0, n: 1 }, { k: 'write', side: 0, n: 1 },
      { k: 'write', side: 0, n: 1 }, { k: 'deliver', i: 0 }, { k: 'deliver', i: 0 },
    ] as Cmd[],
  });
});
