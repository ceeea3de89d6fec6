import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp, type IpAddress } from '../../src/stack/address.js';
import { UdpLayer, type UdpHost } from '../../src/stack/udp.js';
import { createDgram, DgramSocket, type Dgram, type RemoteInfo } from '../../src/socket/dgram.js';
import type { SystemError } from '../../src/socket/errors.js';

const ip = (s: string): IpAddress => parseIp(s)!;

interface Sent {
  src: IpAddress;
  dst: IpAddress;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/**
 * A UdpHost with fixed local addresses and a route to everything but `unreachable`. Sent datagrams
 * are recorded and, when the host is wired to a {@link Wire}, queued for delivery to their destination.
 */
class FakeHost implements UdpHost {
  readonly sent: Sent[] = [];
  readonly locals: IpAddress[];
  mtu = 1500;
  unreachable = new Set<string>();
  wire: Wire | undefined;

  constructor(locals: string[]) {
    this.locals = locals.map(ip);
  }
  randomBytes(n: number): Uint8Array {
    return new Uint8Array(n);
  }
  isLocalAddress(a: IpAddress): boolean {
    return this.locals.some((l) => l.text === a.text);
  }
  sourceFor(dst: IpAddress): IpAddress | undefined {
    if (this.unreachable.has(dst.text)) return undefined;
    return this.locals.find((l) => l.family === dst.family);
  }
  maxPayload(dst: IpAddress): number | undefined {
    if (this.unreachable.has(dst.text)) return undefined;
    return this.mtu - (dst.family === 4 ? 20 : 40) - 8;
  }
  sendDatagram(src: IpAddress, dst: IpAddress, srcPort: number, dstPort: number, payload: Uint8Array): boolean {
    if (this.unreachable.has(dst.text)) return false;
    const d = { src, dst, srcPort, dstPort, payload };
    this.sent.push(d);
    this.wire?.carry(d);
    return true;
  }
}

/**
 * Stacks wired back to back: a datagram is delivered to the layer owning its destination on the
 * next pump(); when nobody takes it, the sender's layer gets ECONNREFUSED (the ICMP Port Unreachable
 * the stack would send).
 */
class Wire {
  readonly #queue: Sent[] = [];
  readonly #nodes: Array<{ host: FakeHost; udp: UdpLayer }> = [];

  node(locals: string[]): { host: FakeHost; udp: UdpLayer; dgram: Dgram } {
    const host = new FakeHost(locals);
    host.wire = this;
    const udp = new UdpLayer(host);
    this.#nodes.push({ host, udp });
    return { host, udp, dgram: createDgram({ udp }) };
  }

  carry(d: Sent): void {
    this.#queue.push(d);
  }

  /** Deliver everything queued so far; returns how many datagrams moved. */
  pump(): number {
    const batch = this.#queue.splice(0);
    for (const d of batch) {
      const to = this.#nodes.find((n) => n.host.isLocalAddress(d.dst));
      if (to === undefined) continue;
      if (!to.udp.deliver(d.src, d.dst, d.srcPort, d.dstPort, d.payload)) {
        const from = this.#nodes.find((n) => n.host.isLocalAddress(d.src));
        from?.udp.deliverError(d.src, d.srcPort, d.dst, d.dstPort, 'ECONNREFUSED');
      }
    }
    return batch.length;
  }
}

/** Let every pending nextTick callback run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Alternate ticks and wire pumps until nothing moves. */
async function settle(wire: Wire): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await tick();
    if (wire.pump() === 0) {
      await tick();
      if (wire.pump() === 0) return;
    }
  }
  throw new Error('the wire never settled');
}

function single(locals: string[] = ['10.0.0.1', 'fd00::1']) {
  const host = new FakeHost(locals);
  const udp = new UdpLayer(host, { ephemeralPorts: [40000, 40099] });
  return { host, udp, dgram: createDgram({ udp }) };
}

function collectErrors(socket: DgramSocket): SystemError[] {
  const errors: SystemError[] = [];
  socket.on('error', (e: SystemError) => errors.push(e));
  return errors;
}

test("bind: 'listening' and the callback come a tick later; address() before that is getsockname EBADF", async () => {
  const { dgram, udp } = single();
  const s = dgram.createSocket('udp4');
  const order: string[] = [];
  assert.throws(() => s.address(), { code: 'EBADF', errno: -9, syscall: 'getsockname', message: 'getsockname EBADF' });
  s.on('listening', () => order.push('listening'));
  assert.equal(s.bind(5353, () => order.push('callback')), s);
  assert.deepEqual(order, []);
  assert.throws(() => s.address(), { code: 'EBADF' });
  assert.throws(() => s.bind(1), { code: 'ERR_SOCKET_ALREADY_BOUND', message: 'Socket is already bound' });
  await tick();
  assert.deepEqual(order, ['listening', 'callback']);
  assert.deepEqual(s.address(), { address: '0.0.0.0', family: 'IPv4', port: 5353 });
  assert.equal(s.listenerCount('listening'), 1, 'the bind callback was a one-time listener');
  assert.equal(udp.endpoints().length, 1);

  const s6 = dgram.createSocket({ type: 'udp6' });
  s6.bind({ address: 'fd00::1' });
  await tick();
  assert.deepEqual(s6.address(), { address: 'fd00::1', family: 'IPv6', port: 40000 });
  const mapped = dgram.createSocket('udp6');
  mapped.bind(0, '::ffff:10.0.0.1');
  await tick();
  assert.deepEqual(mapped.address(), { address: '::ffff:10.0.0.1', family: 'IPv6', port: 40001 });
  assert.equal(dgram.createSocket('udp6').bind().type, 'udp6');
  await tick();
});

test('bind errors are emitted like Node: EADDRINUSE, EADDRNOTAVAIL, EINVAL for the wrong family, ENOTFOUND; the socket may bind again', async () => {
  const { dgram } = single();
  dgram.createSocket('udp4').bind(53, '10.0.0.1');
  const s = dgram.createSocket('udp4');
  const errors = collectErrors(s);
  let called = false;
  s.bind(53, '10.0.0.1', () => (called = true));
  await tick();
  assert.equal(errors.length, 1);
  const e = errors[0]!;
  assert.equal(e.message, 'bind EADDRINUSE 10.0.0.1:53');
  assert.deepEqual([e.code, e.errno, e.syscall, e.address, e.port], ['EADDRINUSE', -98, 'bind', '10.0.0.1', 53]);
  assert.equal(called, false);
  assert.equal(s.listenerCount('listening'), 0, 'the bind callback was removed');
  s.bind(54, '10.0.0.1', () => (called = true));
  await tick();
  assert.equal(called, true);

  const t = dgram.createSocket('udp4');
  const tErrors = collectErrors(t);
  t.bind(0, '10.9.9.9');
  await tick();
  assert.equal(tErrors[0]!.message, 'bind EADDRNOTAVAIL 10.9.9.9');
  assert.equal(tErrors[0]!.errno, -99);
  assert.equal(tErrors[0]!.port, undefined, 'no port for port 0, as in Node');
  t.bind(0, '::1');
  await tick();
  assert.equal(tErrors[1]!.message, 'bind EINVAL ::1');
  t.bind(0, 'dns.example');
  await tick();
  assert.deepEqual([tErrors[2]!.code, tErrors[2]!.syscall, tErrors[2]!.message], ['ENOTFOUND', 'getaddrinfo', 'getaddrinfo ENOTFOUND dns.example']);
  assert.equal((tErrors[2] as SystemError & { hostname: string }).hostname, 'dns.example');

  const u6 = dgram.createSocket('udp6');
  const u6Errors = collectErrors(u6);
  u6.bind(0, '10.0.0.1'); // a dotted quad is not an IPv6 address (uv_ip6_addr)
  await tick();
  assert.equal(u6Errors[0]!.message, 'bind EINVAL 10.0.0.1');

  assert.throws(() => s.bind(1), { code: 'ERR_SOCKET_ALREADY_BOUND' });
  assert.throws(() => dgram.createSocket('udp4').bind(70000), { code: 'ERR_SOCKET_BAD_PORT' });
  assert.throws(() => dgram.createSocket('udp4').bind({ fd: 3 }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => dgram.createSocket('tcp' as 'udp4'), { code: 'ERR_SOCKET_BAD_TYPE', name: 'TypeError' });
  assert.throws(() => dgram.createSocket({} as { type: 'udp4' }), { code: 'ERR_SOCKET_BAD_TYPE' });
  assert.throws(() => new DgramSocket({ type: 'udp5' as 'udp4', stack: dgram.stack }), { code: 'ERR_SOCKET_BAD_TYPE' });
});

test('send: implicit bind first, then the datagram; callback (null, bytes) after listening; all message forms', async () => {
  const { dgram, host } = single();
  const s = dgram.createSocket('udp4');
  const order: string[] = [];
  s.on('listening', () => order.push('listening'));
  s.send('hello', 53, '10.0.0.2', (err, n) => order.push(`sent ${String(err)} ${n}`));
  s.send(Buffer.from('0123456789'), 2, 3, 53, '10.0.0.2');
  s.send([Buffer.from('ab'), 'cd', new Uint8Array([0x65])], 54, '10.0.0.2', (err, n) => order.push(`list ${String(err)} ${n}`));
  s.send(new DataView(new Uint8Array([0x66, 0x67]).buffer), 55, '10.0.0.2');
  s.send([], 56, '10.0.0.2', (err, n) => order.push(`empty ${String(err)} ${n}`));
  assert.deepEqual(order, []);
  assert.equal(host.sent.length, 0);
  await tick();
  assert.deepEqual(order, ['listening', 'sent null 5', 'list null 5', 'empty null 0']);
  const port = s.address().port;
  assert.deepEqual(
    host.sent.map((d) => [d.src.text, d.srcPort, d.dst.text, d.dstPort, Buffer.from(d.payload).toString()]),
    [
      ['10.0.0.1', port, '10.0.0.2', 53, 'hello'],
      ['10.0.0.1', port, '10.0.0.2', 53, '234'],
      ['10.0.0.1', port, '10.0.0.2', 54, 'abcde'],
      ['10.0.0.1', port, '10.0.0.2', 55, 'fg'],
      ['10.0.0.1', port, '10.0.0.2', 56, ''],
    ],
  );
  assert.deepEqual(s.address(), { address: '0.0.0.0', family: 'IPv4', port });

  // Once bound, the callback still comes a tick later (after the "lookup"; as in Node, the buffer is
  // read then, not at the call); once it has, the buffer is the user's again.
  const buf = Buffer.from('xyz');
  let done = false;
  s.send(buf, 0, 3, 57, '10.0.0.2', () => (done = true));
  assert.equal(done, false);
  await tick();
  assert.equal(done, true);
  buf.fill(0);
  assert.equal(Buffer.from(host.sent[5]!.payload).toString(), 'xyz');

  // Misuse throws synchronously, as in Node.
  assert.throws(() => s.send('x'), { code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be > 0 and < 65536. Received type undefined (undefined).' });
  assert.throws(() => s.send('x', 0, '10.0.0.2'), { code: 'ERR_SOCKET_BAD_PORT' });
  assert.throws(() => s.send(123 as unknown as string, 53, '10.0.0.2'), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
  assert.throws(() => s.send([{}] as unknown as string[], 53, '10.0.0.2'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => s.send('x', 53, 5 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => s.send(Buffer.from('abc'), 1, 5, 53, '10.0.0.2'), { code: 'ERR_BUFFER_OUT_OF_BOUNDS', message: '"length" is outside of buffer bounds' });
  assert.throws(() => s.send(Buffer.from('abc'), 4, 0, 53, '10.0.0.2'), { code: 'ERR_BUFFER_OUT_OF_BOUNDS' });
});

test('send failures: to the callback (EMSGSIZE, ENETUNREACH, EINVAL, ENOTFOUND); without one only lookup errors are emitted', async () => {
  const { dgram, host } = single();
  host.unreachable.add('192.0.2.1');
  host.unreachable.add('127.0.0.1');
  const s = dgram.createSocket('udp4');
  const errors = collectErrors(s);
  const results: Array<[string | undefined, number | undefined, number | undefined, string | undefined]> = [];
  const cb = (err: Error | null, n?: number) => {
    const e = err as SystemError | null;
    results.push([e?.message, e?.errno, n, e?.syscall]);
  };
  s.send(Buffer.alloc(1473), 53, '10.0.0.2', cb);
  s.send(Buffer.alloc(1472), 53, '10.0.0.2', cb);
  s.send('x', 53, '192.0.2.1', cb);
  s.send('x', 53, '::1', cb);
  s.send('x', 53, '224.0.0.251', cb);
  s.send('x', 53, 'nowhere.example', cb);
  s.send(Buffer.alloc(1473), 53, '10.0.0.2'); // silent, as in Node
  s.send('x', 53, 'nowhere.example'); // a lookup failure without a callback is an 'error'
  await tick();
  assert.deepEqual(results, [
    ['send EMSGSIZE 10.0.0.2:53', -90, undefined, 'send'],
    [undefined, undefined, 1472, undefined],
    ['send ENETUNREACH 192.0.2.1:53', -101, undefined, 'send'],
    ['send EINVAL ::1:53', -22, undefined, 'send'],
    ['send EINVAL 224.0.0.251:53', -22, undefined, 'send'],
    ['getaddrinfo ENOTFOUND nowhere.example', 0, undefined, 'getaddrinfo'],
  ]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'ENOTFOUND');
  assert.equal(host.sent.length, 1);
  // A send with no address goes to localhost, as in Node (and there is none here).
  s.send('x', 53, cb);
  await tick();
  assert.equal(results[6]![0], 'send ENETUNREACH 127.0.0.1:53');
});

test("'message': a Buffer and rinfo; a 'udp6' socket on '::' sees IPv4 senders as IPv4-mapped", async () => {
  const { dgram, udp } = single();
  const got: Array<[string, RemoteInfo]> = [];
  const s4 = dgram.createSocket('udp4', (msg, rinfo) => got.push([msg.toString(), rinfo]));
  s4.bind(53);
  const s6 = dgram.createSocket('udp6');
  s6.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    assert.ok(Buffer.isBuffer(msg));
    got.push([msg.toString(), rinfo]);
  });
  s6.bind(54);
  await tick();
  assert.equal(udp.deliver(ip('192.0.2.1'), ip('10.0.0.1'), 1111, 53, new TextEncoder().encode('four')), true);
  assert.equal(udp.deliver(ip('192.0.2.1'), ip('10.0.0.1'), 1111, 54, new TextEncoder().encode('mapped')), true);
  assert.equal(udp.deliver(ip('2001:db8::1'), ip('fd00::1'), 2222, 54, new TextEncoder().encode('six')), true);
  assert.equal(udp.deliver(ip('2001:db8::1'), ip('fd00::1'), 2222, 53, new TextEncoder().encode('none')), false);
  assert.deepEqual(got, [
    ['four', { address: '192.0.2.1', family: 'IPv4', port: 1111, size: 4 }],
    ['mapped', { address: '::ffff:192.0.2.1', family: 'IPv6', port: 1111, size: 6 }],
    ['six', { address: '2001:db8::1', family: 'IPv6', port: 2222, size: 3 }],
  ]);
  const only6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  only6.bind(55);
  await tick();
  assert.equal(udp.deliver(ip('192.0.2.1'), ip('10.0.0.1'), 1111, 55, new Uint8Array(1)), false);
  // A 'udp6' socket sends to IPv4 through a mapped address, not a dotted quad.
  const results: string[] = [];
  s6.send('a', 9, '::ffff:10.0.0.2', (err, n) => results.push(`${String(err?.message)} ${n}`));
  s6.send('a', 9, '10.0.0.2', (err, n) => results.push(`${String(err?.message)} ${n}`));
  await tick();
  assert.deepEqual(results, ['undefined 1', 'send EINVAL 10.0.0.2:9 undefined']);
});

test('connect: async, remoteAddress(), filtering by peer, connected send forms, ICMP errors as recvmsg errors, disconnect', async () => {
  const { dgram, udp, host } = single();
  const s = dgram.createSocket('udp4');
  const errors = collectErrors(s);
  const order: string[] = [];
  s.on('connect', () => order.push('connect event'));
  assert.throws(() => s.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED', message: 'Not connected' });
  assert.throws(() => s.disconnect(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
  assert.equal(s.connect(53, '10.0.0.2', (err) => order.push(`callback ${String(err)}`)), undefined);
  assert.throws(() => s.connect(53, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED', message: 'Already connected' });
  assert.throws(() => s.send('x'), { code: 'ERR_SOCKET_BAD_PORT' }, 'not connected yet: a port is required, as in Node');
  assert.deepEqual(order, []);
  await tick();
  assert.deepEqual(order, ['connect event', 'callback undefined']);
  const port = s.address().port;
  assert.deepEqual(s.address(), { address: '10.0.0.1', family: 'IPv4', port });
  assert.deepEqual(s.remoteAddress(), { address: '10.0.0.2', family: 'IPv4', port: 53 });

  const sent: string[] = [];
  s.send('q1', (err, n) => sent.push(`${String(err)} ${n}`));
  s.send('abcdef', 1, 2, (err, n) => sent.push(`${String(err)} ${n}`));
  s.send('q3');
  assert.throws(() => s.send('x', 0, 1, 53, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' });
  await tick();
  assert.deepEqual(sent, ['null 2', 'null 2']);
  assert.deepEqual(
    host.sent.map((d) => `${Buffer.from(d.payload).toString()}>${d.dst.text}:${d.dstPort}`),
    ['q1>10.0.0.2:53', 'bc>10.0.0.2:53', 'q3>10.0.0.2:53'],
  );

  const msgs: string[] = [];
  s.on('message', (m: Buffer) => msgs.push(m.toString()));
  assert.equal(udp.deliver(ip('10.0.0.2'), ip('10.0.0.1'), 53, port, new TextEncoder().encode('answer')), true);
  assert.equal(udp.deliver(ip('10.0.0.3'), ip('10.0.0.1'), 53, port, new TextEncoder().encode('spoof')), false);
  assert.deepEqual(msgs, ['answer']);

  assert.equal(udp.deliverError(ip('10.0.0.1'), port, ip('10.0.0.2'), 53, 'ECONNREFUSED'), true);
  assert.equal(errors.length, 0, 'emitted a tick later');
  await tick();
  assert.equal(errors.length, 1);
  assert.deepEqual([errors[0]!.message, errors[0]!.code, errors[0]!.errno, errors[0]!.syscall], ['recvmsg ECONNREFUSED', 'ECONNREFUSED', -111, 'recvmsg']);
  udp.deliverError(ip('10.0.0.1'), port, ip('10.0.0.2'), 53, 'EMSGSIZE');
  await tick();
  assert.deepEqual([errors[1]!.message, errors[1]!.errno], ['recvmsg EMSGSIZE', -90]);

  s.disconnect();
  assert.throws(() => s.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
  // As on Linux, disconnecting returns the wildcard address and releases the ephemeral port.
  assert.deepEqual(s.address(), { address: '0.0.0.0', family: 'IPv4', port: 0 });
  assert.equal(udp.deliverError(ip('10.0.0.1'), port, ip('10.0.0.2'), 53, 'ECONNREFUSED'), false);
  let n: number | undefined;
  s.send('again', 53, '10.0.0.2', (_e, bytes) => (n = bytes));
  await tick();
  assert.equal(n, 5);
  assert.notEqual(s.address().port, 0);
  assert.equal(errors.length, 2);
});

test('connect failures go to the callback, or to error without one; connect of a udp6 socket to IPv4', async () => {
  const { dgram, host } = single();
  host.unreachable.add('192.0.2.1');
  host.unreachable.add('127.0.0.1');
  const s = dgram.createSocket('udp4');
  const errors = collectErrors(s);
  let cbErr: SystemError | undefined;
  s.connect(53, '192.0.2.1', (err) => (cbErr = err as SystemError));
  await tick();
  await tick();
  assert.equal(cbErr?.message, 'connect ENETUNREACH 192.0.2.1:53');
  assert.equal(cbErr?.syscall, 'connect');
  assert.equal(s.listenerCount('connect'), 0);
  assert.equal(errors.length, 0);
  assert.throws(() => s.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
  s.connect(53, 'fd00::2');
  await tick();
  await tick();
  assert.equal(errors[0]?.message, 'connect EINVAL fd00::2:53');
  assert.throws(() => s.connect(0, '10.0.0.2'), { code: 'ERR_SOCKET_BAD_PORT' });

  const s6 = dgram.createSocket('udp6');
  let connected = false;
  s6.connect(53, '::ffff:10.0.0.2', () => (connected = true));
  await tick();
  assert.equal(connected, true);
  assert.deepEqual(s6.remoteAddress(), { address: '::ffff:10.0.0.2', family: 'IPv6', port: 53 });
  assert.deepEqual(s6.address().address, '::ffff:10.0.0.1');
  const defaultHost = dgram.createSocket('udp4');
  const dErrors = collectErrors(defaultHost);
  defaultHost.connect(53); // localhost: 127.0.0.1, not routable on this host
  await tick();
  await tick();
  assert.equal(dErrors[0]?.message, 'connect ENETUNREACH 127.0.0.1:53');
});

test("close: 'close' a tick later (callback too), port released, second close and later calls throw Not running", async () => {
  const { dgram, udp } = single();
  const s = dgram.createSocket('udp4');
  s.bind(53);
  await tick();
  const order: string[] = [];
  s.on('close', () => order.push('event'));
  assert.equal(
    s.close(() => order.push('callback')),
    s,
  );
  assert.equal(udp.endpoints().length, 0);
  assert.deepEqual(order, []);
  await tick();
  assert.deepEqual(order, ['event', 'callback']);
  const notRunning = { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING', message: 'Not running' };
  assert.throws(() => s.close(), notRunning);
  assert.throws(() => s.send('x', 53, '10.0.0.2'), notRunning);
  assert.throws(() => s.address(), notRunning);
  assert.throws(() => s.bind(54), notRunning);
  assert.throws(() => s.connect(54, '10.0.0.2'), notRunning);
  assert.equal(udp.deliver(ip('192.0.2.1'), ip('10.0.0.1'), 1, 53, new Uint8Array(1)), false);
  assert.equal(s.ref(), s);
  assert.equal(s.unref(), s);

  // bind() then close() at once: no 'listening', nothing bound.
  const t = dgram.createSocket('udp4');
  const events: string[] = [];
  t.on('listening', () => events.push('listening'));
  t.on('close', () => events.push('close'));
  t.bind(60);
  t.close();
  await tick();
  assert.deepEqual(events, ['close']);
  assert.equal(udp.endpoints().length, 0);
});

test('close() while an implicit bind is pending waits for it, as in Node (the queued send is then dropped)', async () => {
  const { dgram, host, udp } = single();
  const s = dgram.createSocket('udp4');
  const events: string[] = [];
  s.on('listening', () => events.push('listening'));
  s.on('close', () => events.push('close'));
  s.send('x', 9, '10.0.0.2', () => events.push('sent'));
  s.close(() => events.push('close callback'));
  await tick();
  assert.deepEqual(events, ['listening', 'close', 'close callback']);
  assert.equal(host.sent.length, 0);
  assert.equal(udp.endpoints().length, 0);

  // A failed implicit bind drops the queue.
  const t = dgram.createSocket('udp4');
  const errors = collectErrors(t);
  for (let p = 40000; p <= 40099; p++) udp.bind({ family: 4, port: p }); // no ephemeral port left
  let sent = false;
  t.send('x', 9, '10.0.0.2', () => (sent = true));
  await tick();
  assert.equal(errors[0]?.code, 'EADDRNOTAVAIL');
  assert.equal(sent, false);
});

test('an AbortSignal closes the socket', async () => {
  const { dgram, udp } = single();
  const ac = new AbortController();
  const s = dgram.createSocket({ type: 'udp4', signal: ac.signal });
  let closed = false;
  s.on('close', () => (closed = true));
  s.bind(53);
  await tick();
  ac.abort();
  await tick();
  assert.equal(closed, true);
  assert.equal(udp.endpoints().length, 0);
  const pre = AbortSignal.abort();
  const t = dgram.createSocket({ type: 'udp4', signal: pre });
  assert.throws(() => t.bind(1), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
});

test('reuseAddr lets two sockets share a port; the exact address wins', async () => {
  const { dgram, udp } = single();
  const got: string[] = [];
  const any = dgram.createSocket({ type: 'udp4', reuseAddr: true }, () => got.push('any'));
  const exact = dgram.createSocket({ type: 'udp4', reuseAddr: true }, () => got.push('exact'));
  any.bind(53);
  exact.bind(53, '10.0.0.1');
  const plain = dgram.createSocket('udp4');
  const errors = collectErrors(plain);
  plain.bind(53);
  await tick();
  assert.equal(errors[0]?.code, 'EADDRINUSE');
  udp.deliver(ip('192.0.2.1'), ip('10.0.0.1'), 1, 53, new Uint8Array(1));
  assert.deepEqual(got, ['exact']);
});

/** A toy DNS: a 2-byte id, then a name; the answer is the id, then "name=address". */
function query(id: number, name: string): Buffer {
  const b = Buffer.alloc(2 + name.length);
  b.writeUInt16BE(id, 0);
  b.write(name, 2);
  return b;
}

test('end to end: a DNS-like server and clients on two layers wired back to back, with port unreachable', async () => {
  const wire = new Wire();
  const client = wire.node(['10.0.0.1', 'fd00::1']);
  const server = wire.node(['10.0.0.2', 'fd00::2']);
  const zone: Record<string, string> = { 'a.example': '192.0.2.10', 'b.example': '192.0.2.11' };

  // A dual-stack server socket answering every query to its sender.
  const dns = server.dgram.createSocket('udp6');
  const seen: RemoteInfo[] = [];
  dns.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    seen.push(rinfo);
    const name = msg.subarray(2).toString();
    const answer = Buffer.concat([msg.subarray(0, 2), Buffer.from(`${name}=${zone[name] ?? 'NXDOMAIN'}`)]);
    dns.send(answer, rinfo.port, rinfo.address);
  });
  dns.bind(53);
  await settle(wire);

  // A connected IPv4 resolver.
  const resolver = client.dgram.createSocket('udp4');
  const answers: string[] = [];
  resolver.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    answers.push(`${msg.readUInt16BE(0)} ${msg.subarray(2).toString()} from ${rinfo.address}:${rinfo.port}`);
  });
  resolver.connect(53, '10.0.0.2', () => {
    resolver.send(query(1, 'a.example'));
    resolver.send(query(2, 'nope.example'));
  });
  // An unconnected IPv6 client.
  const v6 = client.dgram.createSocket('udp6');
  v6.on('message', (msg: Buffer, rinfo: RemoteInfo) => answers.push(`${msg.readUInt16BE(0)} ${msg.subarray(2).toString()} from ${rinfo.address}:${rinfo.port}`));
  v6.send(query(3, 'b.example'), 53, 'fd00::2');
  await settle(wire);
  assert.deepEqual(answers.sort(), [
    '1 a.example=192.0.2.10 from 10.0.0.2:53',
    '2 nope.example=NXDOMAIN from 10.0.0.2:53',
    '3 b.example=192.0.2.11 from fd00::2:53',
  ]);
  assert.deepEqual(
    seen.map((r) => `${r.family} ${r.address}`).sort(),
    ['IPv6 ::ffff:10.0.0.1', 'IPv6 ::ffff:10.0.0.1', 'IPv6 fd00::1'],
  );
  assert.equal(seen.find((r) => r.address === '::ffff:10.0.0.1')!.port, resolver.address().port);

  // Port unreachable: the connected resolver learns ECONNREFUSED; an unconnected socket does not.
  const errors = collectErrors(resolver);
  const lost = collectErrors(v6);
  dns.close();
  await settle(wire);
  resolver.send(query(4, 'a.example'));
  v6.send(query(5, 'a.example'), 53, 'fd00::2');
  await settle(wire);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, 'recvmsg ECONNREFUSED');
  assert.equal(lost.length, 0);
  assert.equal(server.udp.counters.noPorts, 2);
  assert.equal(client.udp.counters.errorsReported, 1);
  assert.equal(client.udp.counters.errorsIgnored, 1);
  resolver.close();
  v6.close();
  await settle(wire);
  assert.equal(client.udp.endpoints().length, 0);
});
