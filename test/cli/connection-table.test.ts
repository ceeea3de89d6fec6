/**
 * The `ss -tni`-style connection table of `synack serve --status`: listeners and connections with
 * queues and addresses (both families), TCP_INFO-like details, timers as time left, JSON lines; and
 * the serve flags that ask for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork } from '../../src/sim/network.js';
import { connectionTableJson, formatConnectionTable } from '../../src/cli/connection-table.js';
import { parseServeArgs, TunUsageError } from '../../src/cli/serve.js';

test('the table lists listeners and connections of both families with ss-like details', async () => {
  const net = new SimNetwork({ seed: 5 });
  const client = net.host('client');
  const server = net.host('server');
  net.connect(client, server, { latency: 5, ipv6: true });
  server.net.createServer((s) => s.pause()).listen(80);
  const v4 = client.net.connect(80, server.address, () => v4.write(Buffer.alloc(3000, 1)));
  const v6 = client.net.connect(80, server.address6);
  await net.runUntil(() => server.stack.connections().filter((c) => c.state === 'ESTABLISHED').length === 2 && server.stack.connections().some((c) => c.stats.bytesReceived === 3000));
  const text = formatConnectionTable(server.stack.listenerList(), server.stack.connections(), server.stack.runtime.now());
  const lines = text.split('\n');
  assert.match(lines[0]!, /^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port$/);
  assert.match(lines[1]!, /^LISTEN\s+0\s+511\s+\[::\]:80\s+\[::\]:\*$/);
  const est4 = lines.findIndex((l) => /^ESTABLISHED\s+\d+\s+0\s+10\.0\.0\.2:80\s+10\.0\.0\.1:\d+$/.test(l));
  assert.ok(est4 > 0, text);
  assert.match(lines[est4 + 1]!, /^\t cubic wscale:7,7 rto:\S+ rtt:\S+ mss:1460 cwnd:\d+ .*bytes_received:3000 .*sack ts/);
  assert.ok(lines.some((l) => /^ESTABLISHED\s+0\s+0\s+\[fd00::2\]:80\s+\[fd00::1\]:\d+$/.test(l)), text);
  for (const l of lines) assert.ok(l.replace('\t', '        ').length <= 400);
  const json = connectionTableJson(server.stack.listenerList(), server.stack.connections()).split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(json[0], { kind: 'listener', address: '::', port: 80, backlog: 511, synQueue: 0, acceptQueue: 0 });
  assert.equal(json.filter((o) => o.kind === 'connection').length, 2);
  v4.destroy();
  v6.destroy();
});

test('a pending timer is shown with the time left', async () => {
  const net = new SimNetwork({ seed: 6 });
  const client = net.host('client');
  const server = net.host('server');
  net.connect(client, server, { latency: 5 });
  net.links[0]!.setDropFilter(() => true); // the SYN is lost: the retransmission timer runs
  client.net.connect(80, server.address).on('error', () => undefined);
  await net.runUntil(() => client.stack.connections().length === 1);
  const text = formatConnectionTable([], client.stack.connections(), client.stack.runtime.now());
  assert.match(text, /^SYN-SENT/m);
  assert.match(text, /timer:\(retransmit,1000ms\)/);
});

test('serve --status [--json] is parsed; --json alone is refused', () => {
  const base = ['--tun', 't0', '--ip', '10.9.0.2/24', '--peer', '10.9.0.1', '--echo'];
  assert.equal(parseServeArgs(base).status, undefined);
  const a = parseServeArgs([...base, '--status', '--json']);
  assert.equal(a.status, true);
  assert.equal(a.json, true);
  assert.throws(() => parseServeArgs([...base, '--json']), TunUsageError);
});
