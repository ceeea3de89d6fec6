import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProgressBar } from '../../src/cli/progress.js';
import {
  TransferUsageError,
  formatTransferSummary,
  parseTransferArgs,
  runTransfer,
  type TransferOptions,
  type TransferResult,
} from '../../src/cli/transfer.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const IMPAIRED = { loss: 0.02, reorder: 0.05, duplicate: 0.02, corrupt: 0.01 } as const;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The result as JSON, without the fields that depend on the machine (wall…). */
function deterministic(r: TransferResult): unknown {
  return JSON.parse(JSON.stringify(r, (key, value: unknown) => (key.startsWith('wall') ? undefined : value)));
}

function assertIntact(r: TransferResult, options: TransferOptions): void {
  assert.equal(r.ok, true, `not ok: ${r.errors.join('; ')}`);
  assert.equal(r.sha256Match, true);
  assert.deepEqual(r.errors, []);
  const expected = options.direction === 'both' ? ['up', 'down'] : [options.direction ?? 'up'];
  assert.deepEqual(Object.keys(r.directions).sort(), [...expected].sort());
  for (const name of expected) {
    const d = r.directions[name as 'up' | 'down']!;
    assert.equal(d.bytesSent, options.bytes);
    assert.equal(d.bytesReceived, options.bytes);
    assert.equal(d.sentSha256, d.receivedSha256);
    assert.match(d.sentSha256, /^[0-9a-f]{64}$/);
    assert.ok(d.goodputMbps !== null && d.goodputMbps > 0);
    assert.ok(d.transferSeconds !== null && d.transferSeconds <= r.simSeconds);
  }
  for (const e of [r.endpoints.client, r.endpoints.server]) {
    assert.equal(e.closed, true);
    assert.equal(e.hadError, false);
    assert.ok(e.state === 'CLOSED' || e.state === 'TIME-WAIT', e.state);
  }
  assert.equal(r.goodputMbps, Math.min(...Object.values(r.directions).map((d) => d.goodputMbps!)));
  for (const k of ['retransmits', 'rtoCount', 'fastRecoveries'] as const) assert.ok(Number.isInteger(r[k]) && r[k] >= 0);
}

for (const direction of ['up', 'down', 'both'] as const) {
  test(`transfer ${direction}: 200 kB lossless arrive intact, both ends closed`, async () => {
    const options = { bytes: 200_000, direction };
    const r = await runTransfer(options);
    assertIntact(r, options);
    assert.equal(r.retransmits, 0);
    assert.equal(r.rtoCount, 0);
    // Goodput is bytes × 8 over the time from connect() to the last byte read.
    const d = Object.values(r.directions)[0]!;
    assert.ok(Math.abs(d.goodputMbps! - (200_000 * 8) / d.transferSeconds! / 1e6) < 1e-9);
    // RTT 20 ms: at least the handshake's round trip plus the data's one-way trip.
    assert.ok(d.transferSeconds! >= 0.03);
  });

  test(`transfer ${direction}: 200 kB through loss 2%, reorder 5%, duplicate 2%, corrupt 1% each way`, async () => {
    const options = { bytes: 200_000, direction, ...IMPAIRED };
    const r = await runTransfer(options);
    assertIntact(r, options);
    const ab = r.link.aToB;
    const ba = r.link.bToA;
    assert.ok(ab.lost + ba.lost > 0 && ab.reordered + ba.reordered > 0 && ab.duplicated + ba.duplicated > 0, JSON.stringify(r.link));
  });
}

test('transfer: the same seed gives the same result, wall-clock fields aside; another seed another run', async () => {
  const options = { bytes: 150_000, direction: 'both' as const, jitter: 3, ...IMPAIRED, seed: 42 };
  const a = await runTransfer(options);
  const b = await runTransfer(options);
  assert.equal(a.ok, true);
  assert.deepEqual(deterministic(a), deterministic(b));
  const c = await runTransfer({ ...options, seed: 43 });
  assert.equal(c.ok, true);
  assert.notDeepEqual(deterministic(c), deterministic(a));
});

test('transfer: bandwidth, MTU and small writes are honoured', async () => {
  const r = await runTransfer({ bytes: 100_000, bandwidth: 8, mtu: 576, latency: 5, chunkSize: 1000, cc: 'newreno' });
  assert.equal(r.ok, true, r.errors.join('; '));
  // 100 kB at 8 Mbit/s cannot take less than 0.1 s.
  assert.ok(r.directions.up!.transferSeconds! >= 0.1);
  assert.ok(r.goodputMbps! < 8);
  assert.ok(r.endpoints.client.stats['segmentsSent']! > 100_000 / 536);
  assert.equal(r.link.aToB.tooBig, 0);
});

test('transfer: a dead link fails with ok false instead of hanging', async () => {
  const r = await runTransfer({ bytes: 1000, loss: 1 });
  assert.equal(r.ok, false);
  assert.equal(r.sha256Match, false);
  assert.ok(r.errors.some((e) => /ETIMEDOUT/.test(e)), r.errors.join('; '));
  assert.match(formatTransferSummary(r), /FAILED/);
});

test('transfer arguments: parsed, with defaults left to runTransfer', () => {
  assert.deepEqual(parseTransferArgs(['--bytes', '200000']), { options: { bytes: 200_000 }, json: false });
  const p = parseTransferArgs([
    '--bytes=2M', '--latency', '25', '--jitter', '2', '--bandwidth', '100', '--mtu', '9000', '--loss', '0.01',
    '--reorder', '0', '--duplicate', '1', '--corrupt', '0.5', '--cc', 'cubic', '--direction', 'both', '--seed', '7', '--json',
  ]);
  assert.deepEqual(p, {
    json: true,
    options: {
      bytes: 2_000_000, latency: 25, jitter: 2, bandwidth: 100, mtu: 9000, loss: 0.01,
      reorder: 0, duplicate: 1, corrupt: 0.5, cc: 'cubic', direction: 'both', seed: 7,
    },
  });
  assert.equal(parseTransferArgs(['--bytes', '64Ki']).options.bytes, 65536);
  assert.equal(parseTransferArgs(['--bytes', '2e8']).options.bytes, 200_000_000);
});

test('transfer arguments: clear errors', () => {
  const bad: Array<[string[], RegExp]> = [
    [[], /--bytes N is required/],
    [['--bytes', '100', '--speed', '3'], /unknown option --speed/],
    [['--bytes', 'lots'], /--bytes needs a number, got 'lots'/],
    [['--bytes', '0'], /--bytes must be > 0/],
    [['--bytes', '-5'], /--bytes needs a number/],
    [['--bytes', '1.5'], /whole number/],
    [['--bytes', '100', '--latency', 'ten'], /--latency needs a number, got 'ten'/],
    [['--bytes', '100', '--latency', '-1'], /--latency must be >= 0/],
    [['--bytes', '100', '--loss', '1.5'], /--loss is a probability and must be within \[0, 1\], got 1.5/],
    [['--bytes', '100', '--corrupt', '-0.1'], /--corrupt is a probability/],
    [['--bytes', '100', '--bandwidth', '0'], /--bandwidth must be > 0/],
    [['--bytes', '100', '--mtu', '40'], /--mtu must be an integer from 68 to 65535/],
    [['--bytes', '100', '--cc', 'bbr'], /--cc must be one of cubic, newreno/],
    [['--bytes', '100', '--direction', 'sideways'], /--direction must be one of up, down, both/],
    [['--bytes', '100', '--seed', '1.5'], /--seed needs an integer/],
    [['--bytes'], /--bytes needs a value/],
    [['--bytes', '100', 'extra'], /unexpected argument 'extra'/],
    [['--bytes', '100', '--json=yes'], /--json takes no value/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseTransferArgs(args), (e: unknown) => e instanceof TransferUsageError && message.test(e.message), args.join(' '));
  }
});

test('synack transfer --json: the last line is one JSON object with the summary fields; exit 0', async () => {
  const { code, stdout, stderr } = await run(['transfer', '--bytes', '100000', '--json']);
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split('\n');
  const r = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
  assert.equal(r['ok'], true);
  assert.equal(r['bytes'], 100_000);
  assert.equal(r['sha256Match'], true);
  for (const k of ['simSeconds', 'goodputMbps', 'retransmits', 'rtoCount', 'fastRecoveries']) {
    assert.equal(typeof r[k], 'number', k);
  }
  assert.equal(stderr, '', 'no progress bar when stderr is not a TTY');
});

test('synack transfer: usage errors exit 2 with a message; failed transfers exit 1', async () => {
  const usage = await run(['transfer', '--bytes', '100', '--loss', '2']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--loss is a probability and must be within \[0, 1\]/);
  const failed = await run(['transfer', '--bytes', '1000', '--loss', '1']);
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /FAILED/);
});

test('progress bar: throttled redraws on a TTY, nothing otherwise', () => {
  let wall = 0;
  const writes: string[] = [];
  const tty = { isTTY: true, columns: 100, write: (s: string) => writes.push(s) };
  const bar = new ProgressBar({ stream: tty, total: 1000, now: () => wall });
  bar.update(0, 0);
  bar.update(100, 5); // same wall instant: skipped
  wall = 50;
  bar.update(200, 10); // 50 ms later: skipped
  wall = 100;
  bar.update(500, 1500);
  assert.equal(writes.length, 2);
  assert.match(writes[1]!, /^\r\x1b\[2Ktransfer \[#+\.+\]  50\.0%  sim 1\.50 s  wall 0\.10 s$/);
  bar.finish();
  assert.equal(writes[2], '\r\x1b[2K');

  const quiet: string[] = [];
  const off = new ProgressBar({ stream: { isTTY: false, write: (s: string) => quiet.push(s) }, total: 10 });
  off.update(5, 1);
  off.finish();
  assert.equal(off.enabled, false);
  assert.deepEqual(quiet, []);
});
