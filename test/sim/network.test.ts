import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SimNetwork } from '../../src/index.js';

test('README example: Node http over synack sockets on a lossy, reordering SimNetwork', async () => {
  const net = new SimNetwork({ seed: 1 });
  const client = net.host('client');
  const server = net.host('server');
  net.connect(client, server, { latency: 20, loss: 0.01, reorder: 0.05 });
  const web = http.createServer((_req, res) => res.end('hello over synack\n'));
  server.net.createServer((socket) => web.emit('connection', socket)).listen(80);
  let body = '';
  let done = false;
  http.get({ createConnection: () => client.net.createConnection(80, server.address), path: '/' }, (res) => {
    res.on('data', (d: Buffer) => (body += d.toString()));
    res.on('end', () => (done = true));
  });
  await net.runUntil(() => done);
  assert.equal(body, 'hello over synack\n');
});

test('hosts get addresses per link; a forwarding host routes between two links', async () => {
  const net = new SimNetwork({ seed: 2 });
  const a = net.host('a');
  const r = net.host('r', { forwarding: true });
  const b = net.host('b');
  net.connect(a, r, { latency: 3 });
  net.connect(r, b, { latency: 4 });
  assert.equal(a.address, '10.0.0.1');
  assert.equal(b.address, '10.0.1.2');
  a.route('default', r);
  b.route('default', r);
  let echoed = '';
  b.net.createServer((s) => s.pipe(s)).listen(7);
  const s = a.net.connect(7, b.address);
  s.on('data', (d: Buffer) => (echoed += d.toString()));
  s.write('through a router');
  await net.runUntil(() => echoed === 'through a router');
  s.end();
  await net.settle();
  assert.equal(s.remoteAddress, '10.0.1.2');
});

test('same seed, same run: two identical SimNetworks produce identical traces', async () => {
  const run = async (seed: number): Promise<string[]> => {
    const net = new SimNetwork({ seed });
    const c = net.host('c');
    const s = net.host('s');
    net.connect(c, s, { latency: 5, jitter: 2, loss: 0.05, duplicate: 0.02, reorder: 0.05 });
    const log: string[] = [];
    for (const h of [c, s]) {
      h.stack.addTraceListener((ev) => {
        if (ev.type === 'send') log.push(`${ev.time} ${ev.stack} ${ev.segment.seq} ${ev.segment.ack} ${ev.segment.flags} ${ev.segment.payload.length}`);
      });
    }
    s.net.createServer((sock) => sock.pipe(sock)).listen(9);
    const sock = c.net.connect(9, s.address);
    let n = 0;
    sock.on('data', (d: Buffer) => (n += d.length));
    sock.end(Buffer.alloc(200_000, 7));
    await net.runUntil(() => n === 200_000);
    await net.settle();
    return log;
  };
  const x = await run(11);
  const y = await run(11);
  const z = await run(12);
  assert.deepEqual(x, y);
  assert.notDeepEqual(x, z);
});
