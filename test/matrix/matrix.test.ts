/**
 * The impairment matrix (issue: "loss 0–30 %, reordering, duplication, corruption, jitter, asymmetric
 * bandwidth, both directions at once — where every run ends byte-exact with both ends CLOSED").
 *
 * Each case is one connection between two stacks on one simulated link: both ends send seeded
 * pseudo-random data at the same time (0–300 KB each way), read everything, then close (one side
 * first, or both at once); the harness runs the virtual clock until nothing is left and checks that
 * every byte arrived intact and in order, both ends reached CLOSED (TIME-WAIT included) without an
 * error, every corrupted packet was dropped and counted, and the stacks hold no connection. See
 * `harness.ts` for the checks and `cases.ts` for the parameter space.
 *
 * Retry limits: all cases run with synRetries / synAckRetries / dataRetries = 60 (Linux: 6 / 5 / 15)
 * so that none can fail by exhausting its retries by pure chance. At 30 % loss in both directions a
 * round trip fails with probability ≈ 0.51, so Linux's 15 data retries run out ≈ 2·10⁻⁵ of the time
 * per loss episode, and burst loss (a per-packet Gilbert–Elliott chain, which backoff does not
 * outlast) makes 30 retries run out too: it happened twice in 10,000 runs. With 60, and bursts bounded
 * as in `cases.ts`, the worst case is ≈ 2·10⁻⁹. Details in `harness.ts`.
 *
 * The table is deterministic: hand-picked edge cases, then {@link RANDOM_CASES} cases drawn by seed
 * (1, 2, …) from the parameter space. The 10,000-case run is `npm run test:matrix` (other seeds).
 * To replay a failing case: `node dist/test/matrix/run-many.js --replay '<json from the message>'`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EDGE_CASES, describeCase, randomCase } from './cases.js';
import { runCase, type CaseParams } from './harness.js';

/** Random cases in `npm test`, sized for ~20 s of wall time for this file on a 2-core machine (~14 ms a case). */
const RANDOM_CASES = 1400;

/**
 * Cases known to fail because of an engine bug, by name (`edge N` or `random N`): kept in the table as
 * `todo` so the suite stays green, each with a reason.
 */
const KNOWN_FAILURES: Readonly<Record<string, string>> = {};

const table: Array<{ id: string; params: CaseParams }> = [
  ...EDGE_CASES.map((params, i) => ({ id: `edge ${i + 1}`, params })),
  ...Array.from({ length: RANDOM_CASES }, (_, i) => ({ id: `random ${i + 1}`, params: randomCase(i + 1) })),
];

for (const { id, params } of table) {
  const todo = KNOWN_FAILURES[id];
  test(`${id}: ${describeCase(params)}`, todo !== undefined ? { todo } : {}, () => {
    const r = runCase(params);
    assert.ok(r.ok, `${r.failures.join('\n')}\nreplay: node dist/test/matrix/run-many.js --replay '${JSON.stringify(params)}'`);
  });
}
