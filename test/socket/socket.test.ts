import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from '../../src/socket/index.js';
import { ADDR_A, ADDR_B, collect, makePair, randomBytes, sha256 } from './helpers.js';

test('echo round trip, with addresses and byte counters', async () => {
  const { sim, netA, netB } = makePair();
  let serverSide: Socket | undefined;
  const server = netB.createServer((s) => {
    serverSide = s;
    s.pipe(s);
  });
  server.listen(7);
  const payload = randomBytes(300_000, 7);
  const c = netA.connect(7, ADDR_B);
  assert.equal(c.connecting, true);
  assert.equal(c.pending, true);
  assert.equal(c.readyState, 'opening');
  assert.equal(c.remoteAddress, undefined);
  const got = collect(c);
  let closed = false;
  c.on('connect', () => {
    assert.equal(c.connecting, false);
    assert.equal(c.pending, false);
    assert.equal(c.readyState, 'open');
    c.end(payload);
  });
  c.on('close', () => (closed = true));
  await sim.runUntil(() => closed);
  assert.equal(sha256(got.bytes()), sha256(payload));
  assert.equal(c.bytesWritten, payload.length);
  assert.equal(c.bytesRead, payload.length);
  assert.equal(serverSide!.bytesRead, payload.length);
  assert.equal(serverSide!.bytesWritten, payload.length);

  const local = c.address();
  assert.equal(local.address, ADDR_A);
  assert.equal(local.family, 'IPv4');
  assert.ok(typeof local.port === 'number' && local.port >= 49152);
  assert.equal(c.localAddress, ADDR_A);
  assert.equal(c.localPort, local.port);
  assert.equal(c.localFamily, 'IPv4');
  assert.equal(c.remoteAddress, ADDR_B);
  assert.equal(c.remotePort, 7);
  assert.equal(c.remoteFamily, 'IPv4');
  assert.equal(serverSide!.remoteAddress, ADDR_A);
  assert.equal(serverSide!.remotePort, local.port);
  assert.deepEqual(serverSide!.address(), { address: ADDR_B, family: 'IPv4', port: 7 });
  assert.equal(c.readyState, 'closed');
  assert.equal(c.destroyed, true);
});

test("event order: 'connect', 'ready', 'end', 'finish', 'close' on the client; 'end', 'finish', 'close' on the server", async () => {
  const { sim, netA, netB } = makePair();
  const serverLog: string[] = [];
  const server = netB.createServer((s) => {
    for (const ev of ['connect', 'ready', 'end', 'finish']) s.on(ev, () => serverLog.push(ev));
    s.on('close', (hadError: boolean) => serverLog.push(`close:${hadError}`));
    s.on('data', (d: Buffer) => serverLog.push(`data:${d.toString()}`));
    s.on('end', () => s.end('bye'));
  });
  server.listen(80);
  const clientLog: string[] = [];
  const c = netA.connect({ port: 80, host: ADDR_B }, () => clientLog.push('connect-cb'));
  for (const ev of ['connect', 'ready', 'end', 'finish']) c.on(ev, () => clientLog.push(ev));
  c.on('data', (d: Buffer) => clientLog.push(`data:${d.toString()}`));
  c.on('close', (hadError: boolean) => clientLog.push(`close:${hadError}`));
  c.on('connect', () => c.end('hi'));
  await sim.runUntil(() => clientLog.includes('close:false') && serverLog.includes('close:false'));
  assert.deepEqual(clientLog, ['connect-cb', 'connect', 'ready', 'finish', 'data:bye', 'end', 'close:false']);
  assert.deepEqual(serverLog, ['data:hi', 'end', 'finish', 'close:false']);
});

test('allowHalfOpen false (default): the peer ending makes the socket end its side too', async () => {
  const { sim, netA, netB } = makePair();
  let serverSide: Socket | undefined;
  let serverEnded = false;
  netB
    .createServer((s) => {
      serverSide = s;
      s.resume();
      s.on('end', () => (serverEnded = true));
    })
    .listen(80);
  const c = netA.connect(80, ADDR_B);
  const got = collect(c);
  let closed = false;
  c.on('close', () => (closed = true));
  c.on('connect', () => c.end());
  await sim.runUntil(() => serverEnded);
  // The automatic end() comes on the next tick after 'end'.
  await sim.runUntil(() => serverSide!.writableEnded);
  await sim.runUntil(() => closed);
  assert.equal(got.ended(), true);
  // Writing after the automatic end is EPIPE, like node:net's writeAfterFIN.
  let writeError: (Error & { code?: string }) | undefined;
  serverSide!.on('error', () => {});
  serverSide!.write('late', (err) => (writeError = err ?? undefined));
  await sim.runUntil(() => writeError !== undefined);
  assert.equal(writeError!.code, 'EPIPE');
});

test('allowHalfOpen true: client end()s, server keeps writing, client reads it all, then server end()s', async () => {
  const { sim, netA, netB } = makePair();
  const serverLog: string[] = [];
  const chunks = [randomBytes(50_000, 1), randomBytes(70_000, 2), randomBytes(10, 3)];
  netB
    .createServer({ allowHalfOpen: true }, (s) => {
      s.resume();
      s.on('end', () => {
        serverLog.push(`end:${s.readyState}`);
        // Keep writing over virtual time, after the peer's FIN.
        let i = 0;
        const next = (): void => {
          if (i < chunks.length) {
            s.write(chunks[i++]!);
            sim.after(50, next);
          } else {
            serverLog.push('server-end');
            s.end();
          }
        };
        next();
      });
      s.on('close', () => serverLog.push('close'));
    })
    .listen(80);
  const c = netA.connect(80, ADDR_B);
  const got = collect(c);
  let closed = false;
  const states: string[] = [];
  c.on('connect', () => {
    c.end('request');
    c.on('finish', () => states.push(c.readyState));
  });
  c.on('close', () => (closed = true));
  await sim.runUntil(() => closed && serverLog.includes('close'));
  assert.deepEqual(states, ['readOnly']);
  assert.deepEqual(serverLog, ['end:writeOnly', 'server-end', 'close']);
  assert.equal(sha256(got.bytes()), sha256(chunks));
});

test('writes before the handshake completes are held and sent once connected', async () => {
  const { sim, netA, netB } = makePair();
  let received = '';
  let serverDone = false;
  netB
    .createServer((s) => {
      s.setEncoding('utf8');
      s.on('data', (d: string) => (received += d));
      s.on('end', () => (serverDone = true));
    })
    .listen(80);
  const c = new Socket({ stack: netA.stack });
  c.connect(80, ADDR_B);
  assert.equal(c.write('one,'), true);
  c.write('two,');
  c.end('three');
  await sim.runUntil(() => serverDone);
  assert.equal(received, 'one,two,three');
});

test('setEncoding, pause/resume and pauseOnConnect keep data intact', async () => {
  const { sim, netA, netB } = makePair();
  let serverSide: Socket | undefined;
  netB
    .createServer({ pauseOnConnect: true }, (s) => {
      serverSide = s;
    })
    .listen(80);
  const c = netA.connect(80, ADDR_B);
  c.end('héllo wörld');
  await sim.runUntil(() => serverSide !== undefined);
  await sim.advance(1000);
  assert.equal(serverSide!.bytesRead, 0, 'paused on connect: nothing read yet');
  serverSide!.setEncoding('utf8');
  let text = '';
  let ended = false;
  serverSide!.on('data', (d: string) => (text += d));
  serverSide!.on('end', () => (ended = true));
  serverSide!.resume();
  await sim.runUntil(() => ended);
  assert.equal(text, 'héllo wörld');
});

test('setNoDelay/setKeepAlive/ref/unref are accepted and chainable', async () => {
  const { sim, netA, netB } = makePair();
  netB.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 }, (s) => {
    assert.equal(s.noDelay, true);
    assert.equal(s.keepAlive, true);
    assert.equal(s.keepAliveInitialDelay, 1000);
    s.destroy();
  }).listen(80);
  const c = netA.connect({ port: 80, host: ADDR_B, noDelay: true });
  assert.equal(c.noDelay, true);
  assert.equal(c.setNoDelay(false).setKeepAlive(true, 500).ref().unref(), c);
  assert.equal(c.noDelay, false);
  assert.equal(c.keepAlive, true);
  c.setNoDelay();
  assert.equal(c.noDelay, true);
  c.on('error', () => {});
  let closed = false;
  c.on('close', () => (closed = true));
  await sim.runUntil(() => closed);
});

test('simultaneous close: both sides end() at once, both close without errors', async () => {
  const { sim, a, b, netA, netB } = makePair();
  const log: string[] = [];
  netB
    .createServer((s) => {
      s.resume();
      s.end('from server');
      s.on('error', (e) => log.push(`server-error:${e.message}`));
      s.on('close', (hadError: boolean) => log.push(`server-close:${hadError}`));
    })
    .listen(80);
  const c = netA.connect(80, ADDR_B);
  let got = '';
  c.setEncoding('utf8');
  c.on('data', (d: string) => (got += d));
  c.on('connect', () => c.end('from client'));
  c.on('error', (e) => log.push(`client-error:${e.message}`));
  c.on('close', (hadError: boolean) => log.push(`client-close:${hadError}`));
  await sim.runUntil(() => log.length === 2);
  assert.deepEqual(log.sort(), ['client-close:false', 'server-close:false']);
  assert.equal(got, 'from server');
  await sim.settle();
  assert.equal(a.connectionCount + b.connectionCount, 0);
  assert.equal(a.counters.resetsSent + b.counters.resetsSent, 0);
});

test('end() and destroy() while still connecting', async () => {
  const { sim, netA, netB } = makePair();
  let text = '';
  let serverEnded = false;
  netB
    .createServer((s) => {
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('end', () => (serverEnded = true));
    })
    .listen(80);
  // end() before the handshake: the FIN waits for 'connect', after the data.
  const c1 = netA.connect(80, ADDR_B);
  c1.end('early');
  c1.resume();
  await sim.runUntil(() => serverEnded);
  assert.equal(text, 'early');

  // destroy() before the handshake: no 'connect', 'close' without error, writes fail.
  const c2 = netA.connect(80, ADDR_B);
  const events: string[] = [];
  c2.on('connect', () => events.push('connect'));
  c2.on('close', (hadError: boolean) => events.push(`close:${hadError}`));
  let writeErr: (Error & { code?: string }) | undefined | null = null;
  c2.write('never', (e) => (writeErr = e));
  c2.destroy();
  await sim.runUntil(() => events.length > 0 && writeErr !== null);
  await sim.advance(100);
  assert.deepEqual(events, ['close:false']);
  assert.equal(writeErr!.code, 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION');
});

test('new Socket({ handle }) wraps a connection whose data and FIN arrived before it was taken', async () => {
  const { sim, b, netA } = makePair();
  const listener = b.listen({ port: 80 });
  const c = netA.connect(80, ADDR_B, () => c.end('sent before accept'));
  c.resume();
  await sim.advance(100);
  const h = listener.accept()!;
  assert.equal(h.state, 'CLOSE-WAIT');
  const s = new Socket({ handle: h });
  assert.equal(s.connecting, false);
  assert.equal(s.remoteAddress, ADDR_A);
  let text = '';
  let closed = false;
  s.setEncoding('utf8');
  s.on('data', (d: string) => (text += d));
  s.on('close', () => (closed = true));
  await sim.runUntil(() => closed && c.destroyed);
  assert.equal(text, 'sent before accept');
});

test('net.connect({ timeout }) sets the idle timeout; createConnection is the same function', async () => {
  const { sim, netA, netB } = makePair();
  netB.createServer((s) => s.resume()).listen(80);
  assert.equal(netA.connect, netA.createConnection);
  const c = netA.connect({ port: 80, host: ADDR_B, timeout: 2000 });
  let firedAt = -1;
  c.on('timeout', () => {
    firedAt = sim.now;
    c.destroy();
  });
  await sim.runUntil(() => firedAt >= 0);
  assert.equal(c.timeout, 2000);
  assert.equal(firedAt, 2010, 'two seconds after the handshake (the last activity)');
});

test('connect({ localAddress, localPort }) binds the local end', async () => {
  const { sim, netA, netB } = makePair();
  let peerPort: number | undefined;
  netB
    .createServer((s) => {
      peerPort = s.remotePort;
      s.destroy();
    })
    .listen(80);
  const c = netA.connect({ port: 80, host: ADDR_B, localAddress: ADDR_A, localPort: 40000 });
  c.on('error', () => {});
  await sim.runUntil(() => peerPort !== undefined);
  assert.equal(peerPort, 40000);
  assert.equal(c.localPort, 40000);
  assert.equal(c.localAddress, ADDR_A);
});

test('isIP / isIPv4 / isIPv6 like node:net', async () => {
  const { netA } = makePair();
  const net = await import('node:net');
  for (const input of ['10.0.0.1', '255.255.255.255', '256.1.1.1', '1.2.3', '01.2.3.4', '::1', 'fe80::1%eth0', '::ffff:1.2.3.4', 'example.com', '', '1:2:3:4:5:6:7:8', '1::2::3']) {
    assert.equal(netA.isIP(input), net.isIP(input), input);
    assert.equal(netA.isIPv4(input), net.isIPv4(input), input);
    assert.equal(netA.isIPv6(input), net.isIPv6(input), input);
  }
});
