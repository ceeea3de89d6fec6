/**
 * The full-config property test (property-full.test.ts) with TSO on both sides: each connection may
 * hand out segments of up to 64 KiB (Connection.setSendOffload), which the model cuts into wire
 * segments of lastTransmitSegmentSize, as a TSO link does, before the channel drops, duplicates,
 * reorders and delays them. Same invariants: SND.UNA ≤ SND.NXT, what each application reads is a prefix
 * of what the other wrote, nothing accepted beyond an advertised edge, no connection fails, and the
 * lossless tail finishes every transfer. Plus: no wire segment carries more than the MSS allows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RST } from '../../../src/wire/types.js';
import { tcpOptionsLength } from '../../../src/wire/tcp.js';
import { createModel, u32 } from '../property-model.js';

const seen = { runs: 0, superSegments: 0, retransmits: 0, fastRecoveries: 0, rtoCount: 0 };

const { scenario, run } = createModel({
  baseConfig: {},
  rcvBufs: [2000, 65535, 262_144, 4 * 1024 * 1024],
  scaleWindow: true,
  sendOffload: 65_000,
  checkSegment: (s, seg) => {
    if (seg.flags & RST) return;
    // The cut pieces, like every segment, fit the effective send MSS with their options (RFC 6691 §3).
    assert.ok(seg.payload.length + tcpOptionsLength(seg.options) <= s.c.sndMss, `side ${s.id}: ${seg.payload.length} data + options > SMSS ${s.c.sndMss}`);
  },
  onTransmit: (s, seg) => {
    if (seg.payload.length > s.c.lastTransmitSegmentSize) seen.superSegments++;
  },
  afterRunSide: (_s, x) => {
    seen.retransmits += x.c.stats.retransmits;
    seen.fastRecoveries += x.c.stats.fastRecoveries;
    seen.rtoCount += x.c.stats.rtoCount;
  },
  afterRun: () => {
    seen.runs++;
  },
});

test('property (TSO): lossy, duplicating, reordering channel behind a segmenting link — exactly once, in order, both ends close', () => {
  fc.assert(
    fc.property(scenario(fc.tuple(u32, u32)), (s) => run(s)),
    { numRuns: 120 },
  );
  assert.ok(seen.runs >= 120 && seen.superSegments > 100 && seen.retransmits > 0 && seen.fastRecoveries > 0 && seen.rtoCount > 0, JSON.stringify(seen));
});
