import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket, SystemError } from '../../src/socket/index.js';
import { ADDR_B, makePair } from './helpers.js';

function watch(s: Socket): { error: () => SystemError | undefined; closed: () => boolean; hadError: () => boolean | undefined; log: string[] } {
  let error: SystemError | undefined;
  let closed = false;
  let hadError: boolean | undefined;
  const log: string[] = [];
  s.on('error', (e: SystemError) => {
    error = e;
    log.push(`error:${e.code}`);
  });
  s.on('close', (h: boolean) => {
    closed = true;
    hadError = h;
    log.push('close');
  });
  return { error: () => error, closed: () => closed, hadError: () => hadError, log };
}

test('ECONNREFUSED when nothing listens (the peer stack answers RST)', async () => {
  const { sim, netA } = makePair();
  const c = netA.connect(81, ADDR_B);
  const w = watch(c);
  let connected = false;
  c.on('connect', () => (connected = true));
  await sim.runUntil(() => w.closed());
  assert.equal(connected, false);
  const e = w.error()!;
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'ECONNREFUSED');
  assert.equal(e.errno, -111);
  assert.equal(e.syscall, 'connect');
  assert.equal(e.address, ADDR_B);
  assert.equal(e.port, 81);
  assert.equal(e.message, 'connect ECONNREFUSED 10.0.0.2:81');
  assert.equal(w.hadError(), true);
  assert.deepEqual(w.log, ['error:ECONNREFUSED', 'close']);
  assert.ok(sim.now <= 20, 'refused after one round trip');
});

test('ECONNRESET when the peer destroy()s an open connection', async () => {
  const { sim, netA, netB } = makePair();
  netB
    .createServer((s) => {
      s.once('data', () => s.destroy());
    })
    .listen(80);
  const c = netA.connect(80, ADDR_B, () => c.write('x'));
  const w = watch(c);
  await sim.runUntil(() => w.closed());
  const e = w.error()!;
  assert.equal(e.code, 'ECONNRESET');
  assert.equal(e.syscall, 'read');
  assert.equal(e.errno, -104);
  assert.equal(e.message, 'read ECONNRESET');
  assert.equal(w.hadError(), true);
  assert.deepEqual(w.log, ['error:ECONNRESET', 'close']);
});

test('resetAndDestroy() resets even after end(); destroy() after end() closes gracefully', async () => {
  const { sim, netA, netB } = makePair();
  const outcomes: string[] = [];
  let n = 0;
  netB
    .createServer((s) => {
      const which = n++;
      s.resume();
      s.once('data', () => {
        s.end('bye');
        if (which === 0) s.resetAndDestroy();
        else s.destroy();
      });
    })
    .listen(80);
  for (let i = 0; i < 2; i++) {
    const c = netA.connect(80, ADDR_B, () => c.write('x'));
    let data = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (data += d));
    c.on('error', (e: SystemError) => outcomes.push(`${i}:error:${e.code}`));
    c.on('end', () => outcomes.push(`${i}:end:${data}`));
    c.on('close', () => outcomes.push(`${i}:close`));
    await sim.runUntil(() => outcomes.includes(`${i}:close`));
  }
  assert.deepEqual(outcomes, ['0:error:ECONNRESET', '0:close', '1:end:bye', '1:close']);
});

test('ETIMEDOUT when the link drops every SYN (synRetries: 2, virtual minutes are free)', async () => {
  const { sim, netA } = makePair({ link: { loss: 1 }, tcp: { synRetries: 2 } });
  const c = netA.connect(80, ADDR_B);
  const w = watch(c);
  await sim.runUntil(() => w.closed());
  const e = w.error()!;
  assert.equal(e.code, 'ETIMEDOUT');
  assert.equal(e.syscall, 'connect');
  assert.equal(e.message, 'connect ETIMEDOUT 10.0.0.2:80');
  // Initial RTO 1 s, doubled: SYN at 0, 1 s, 3 s; give up at 7 s.
  assert.ok(sim.now >= 7000 && sim.now < 8000, `gave up at ${sim.now}`);
});

test('ETIMEDOUT on an established connection when the link goes dead (read ETIMEDOUT)', async () => {
  const { sim, link, netA, netB } = makePair({ tcp: { dataRetries: 3 } });
  netB.createServer((s) => s.resume()).listen(80);
  const c = netA.connect(80, ADDR_B);
  const w = watch(c);
  let connected = false;
  c.on('connect', () => (connected = true));
  await sim.runUntil(() => connected);
  link.configure({ loss: 1 });
  c.write('into the void');
  await sim.runUntil(() => w.closed());
  assert.equal(w.error()!.code, 'ETIMEDOUT');
  assert.equal(w.error()!.message, 'read ETIMEDOUT');
});

test('ENETUNREACH from the stack is emitted asynchronously as an error', async () => {
  const { sim, netA } = makePair();
  const c = netA.connect(80, '192.168.7.7');
  const w = watch(c);
  assert.equal(w.error(), undefined, 'not synchronous');
  await sim.runUntil(() => w.closed());
  assert.equal(w.error()!.code, 'ENETUNREACH');
  assert.equal(w.error()!.syscall, 'connect');
  assert.equal(w.error()!.message, 'connect ENETUNREACH 192.168.7.7:80');
});

test('host names other than addresses fail like a failed lookup (there is no DNS)', async () => {
  const { sim, netA } = makePair();
  const c = netA.connect(80, 'example.com');
  c.write('queued');
  const w = watch(c);
  await sim.runUntil(() => w.closed());
  assert.equal(w.error()!.code, 'ENOTFOUND');
  assert.equal(w.error()!.syscall, 'getaddrinfo');
});

test('invalid ports throw synchronously, like node:net', () => {
  const { netA } = makePair();
  assert.throws(() => netA.connect(70000, ADDR_B), { code: 'ERR_SOCKET_BAD_PORT' });
  assert.throws(() => netA.connect(-1, ADDR_B), { code: 'ERR_SOCKET_BAD_PORT' });
});

test('write after end() is ERR_STREAM_WRITE_AFTER_END', async () => {
  const { sim, netA, netB } = makePair();
  netB.createServer((s) => s.resume()).listen(80);
  const c = netA.connect(80, ADDR_B);
  c.end();
  let err: (Error & { code?: string }) | undefined;
  c.on('error', (e) => (err = e));
  c.write('late');
  await sim.runUntil(() => err !== undefined);
  assert.equal(err!.code, 'ERR_STREAM_WRITE_AFTER_END');
});
