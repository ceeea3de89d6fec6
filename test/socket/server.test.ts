import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket, SystemError } from '../../src/socket/index.js';
import { Server } from '../../src/socket/index.js';
import { ADDR_A, ADDR_B, makePair } from './helpers.js';

test("listen: 'listening' is asynchronous; address(), listening, ephemeral port 0", async () => {
  const { sim, netB } = makePair();
  const server = netB.createServer();
  assert.equal(server.listening, false);
  assert.equal(server.address(), null);
  let listened = false;
  server.listen(0, () => (listened = true));
  assert.equal(listened, false, 'not synchronous');
  assert.equal(server.listening, true);
  await sim.runUntil(() => listened);
  const a = server.address()!;
  assert.equal(a.address, '::');
  assert.equal(a.family, 'IPv6');
  assert.ok(a.port >= 49152);

  const s2 = netB.createServer();
  let l2 = false;
  s2.listen({ port: 8080, host: ADDR_B, backlog: 10 }, () => (l2 = true));
  await sim.runUntil(() => l2);
  assert.deepEqual(s2.address(), { address: ADDR_B, family: 'IPv4', port: 8080 });
  assert.throws(() => s2.listen(8081), { code: 'ERR_SERVER_ALREADY_LISTEN' });
});

test('EADDRINUSE on a second listen of the same port, as an asynchronous error', async () => {
  const { sim, netB } = makePair();
  netB.createServer().listen(80);
  const second = netB.createServer();
  let err: SystemError | undefined;
  let listening = false;
  second.on('error', (e: SystemError) => (err = e));
  second.on('listening', () => (listening = true));
  second.listen(80);
  assert.equal(err, undefined);
  await sim.runUntil(() => err !== undefined);
  assert.equal(err!.code, 'EADDRINUSE');
  assert.equal(err!.errno, -98);
  assert.equal(err!.syscall, 'listen');
  assert.equal(err!.port, 80);
  assert.equal(err!.message, 'listen EADDRINUSE: address already in use :::80');
  assert.equal(listening, false);
  assert.equal(second.listening, false);

  // An address that is not the stack's own.
  const third = netB.createServer();
  let err3: SystemError | undefined;
  third.on('error', (e: SystemError) => (err3 = e));
  third.listen(81, ADDR_A);
  await sim.runUntil(() => err3 !== undefined);
  assert.equal(err3!.code, 'EADDRNOTAVAIL');
});

test("close(): stops accepting at once, 'close' only after existing connections close", async () => {
  const { sim, netA, netB } = makePair();
  const accepted: Socket[] = [];
  const server = netB.createServer((s) => {
    accepted.push(s);
    s.resume();
  });
  server.listen(80);
  const c1 = netA.connect(80, ADDR_B);
  c1.resume();
  await sim.runUntil(() => accepted.length === 1);
  let count = -1;
  server.getConnections((err, n) => {
    assert.equal(err, null);
    count = n;
  });
  await sim.runUntil(() => count >= 0);
  assert.equal(count, 1);

  let closeEvent = false;
  let closeCb: Error | undefined | null = null;
  server.on('close', () => (closeEvent = true));
  server.close((err) => (closeCb = err));
  assert.equal(server.listening, false);
  assert.equal(server.address(), null);

  // New connections are refused now.
  const c2 = netA.connect(80, ADDR_B);
  let c2err: SystemError | undefined;
  c2.on('error', (e: SystemError) => (c2err = e));
  await sim.runUntil(() => c2err !== undefined);
  assert.equal(c2err!.code, 'ECONNREFUSED');
  await sim.advance(1000);
  assert.equal(closeEvent, false, "'close' waits for the open connection");

  // The existing connection still works, then closes.
  let echoed = false;
  accepted[0]!.on('data', () => accepted[0]!.end('done'));
  c1.on('data', () => (echoed = true));
  c1.write('ping');
  await sim.runUntil(() => echoed);
  c1.end();
  await sim.runUntil(() => closeEvent);
  assert.equal(closeCb, undefined);
  assert.equal(c1.destroyed, true);
});

test('close() when not listening: ERR_SERVER_NOT_RUNNING to the callback', async () => {
  const { sim, netB } = makePair();
  const server = netB.createServer();
  let err: (Error & { code?: string }) | undefined;
  server.close((e) => (err = e));
  await sim.runUntil(() => err !== undefined);
  assert.equal(err!.code, 'ERR_SERVER_NOT_RUNNING');
});

test("maxConnections: extra connections are dropped with a 'drop' event", async () => {
  const { sim, netA, netB } = makePair();
  const server = netB.createServer((s) => s.resume());
  server.maxConnections = 1;
  const drops: Array<{ remoteAddress: string; localPort: number }> = [];
  server.on('drop', (d) => drops.push(d));
  server.listen(80);
  const c1 = netA.connect(80, ADDR_B);
  c1.on('error', () => {});
  await sim.runUntil(() => c1.readyState === 'open');
  await sim.advance(50);
  const c2 = netA.connect(80, ADDR_B);
  let c2ended = false;
  c2.resume();
  c2.on('end', () => (c2ended = true));
  await sim.runUntil(() => c2ended);
  assert.equal(drops.length, 1);
  assert.equal(drops[0]!.remoteAddress, ADDR_A);
  assert.equal(drops[0]!.localPort, 80);
});

test('new Server requires a stack; createServer(options, listener) passes options to sockets', async () => {
  assert.throws(() => new Server(undefined as never), TypeError);
  const { sim, netA, netB } = makePair();
  let half: boolean | undefined;
  netB.createServer({ allowHalfOpen: true }, (s) => {
    half = s.allowHalfOpen;
    s.destroy();
  }).listen(80);
  const c = netA.connect(80, ADDR_B);
  c.on('error', () => {});
  await sim.runUntil(() => half !== undefined);
  assert.equal(half, true);
});
