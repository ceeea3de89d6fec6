/** The congestion-control registry (src/tcp/cc/index.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONGESTION_CONTROL_NAMES,
  createCongestionControl,
  Cubic,
  isCongestionControlName,
  NewReno,
  type CongestionControlName,
} from '../../../src/tcp/cc/index.js';
import { RenoSlowStart } from '../../../src/tcp/congestion.js';
import { resolveConfig } from '../../../src/tcp/config.js';

test('registry: every listed name makes a controller of that name with the configured IW', () => {
  assert.deepEqual([...CONGESTION_CONTROL_NAMES], ['reno', 'newreno', 'cubic']);
  const config = resolveConfig({ initialWindowSegments: 4 });
  for (const name of CONGESTION_CONTROL_NAMES) {
    const cc = createCongestionControl(name, 1460, config);
    assert.equal(cc.name, name);
    assert.equal(cc.cwnd, 4 * 1460);
    assert.equal(cc.ssthresh, Infinity);
  }
  assert.ok(createCongestionControl('reno', 1460, config) instanceof RenoSlowStart);
  assert.ok(createCongestionControl('newreno', 1460, config) instanceof NewReno);
  assert.ok(createCongestionControl('cubic', 1460, config) instanceof Cubic);
});

test('registry: name check and unknown names', () => {
  for (const name of CONGESTION_CONTROL_NAMES) assert.ok(isCongestionControlName(name));
  assert.ok(!isCongestionControlName('bbr'));
  assert.ok(!isCongestionControlName('CUBIC'));
  assert.throws(() => createCongestionControl('bbr' as CongestionControlName, 1460, resolveConfig()), RangeError);
});
