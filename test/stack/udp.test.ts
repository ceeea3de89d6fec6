import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp, type IpAddress } from '../../src/stack/address.js';
import { StackError } from '../../src/stack/errors.js';
import { UdpLayer, type UdpHost, type UdpIcmpErrorCode, type UdpLayerOptions } from '../../src/stack/udp.js';

const ip = (s: string): IpAddress => parseIp(s)!;

interface Sent {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A UdpHost with fixed local addresses, a route to everything but `unreachable`, and a record of what was sent. */
class FakeHost implements UdpHost {
  readonly sent: Sent[] = [];
  readonly locals: IpAddress[];
  mtu = 1500;
  unreachable = new Set<string>();
  /** Make sendDatagram fail although a route was found (a route vanishing in between). */
  failSend = false;
  randomCalls = 0;
  random: number[] = [0, 0];

  constructor(locals: string[] = ['10.0.0.1', '10.0.0.3', 'fd00::1']) {
    this.locals = locals.map(ip);
  }
  randomBytes(n: number): Uint8Array {
    this.randomCalls++;
    return Uint8Array.from({ length: n }, (_, i) => this.random[i] ?? 0);
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
    if (this.failSend || this.unreachable.has(dst.text)) return false;
    this.sent.push({ src: src.text, dst: dst.text, srcPort, dstPort, payload });
    return true;
  }
}

function setup(options?: UdpLayerOptions, locals?: string[]) {
  const host = new FakeHost(locals);
  const udp = new UdpLayer(host, options);
  return { host, udp };
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof StackError && e.code === code);
}

/** Records what each endpoint receives. */
function recorder() {
  const got: Array<{ who: string; data: string; from: string; port: number; to: string }> = [];
  const listen = (who: string) => (payload: Uint8Array, src: IpAddress, srcPort: number, dst: IpAddress) =>
    got.push({ who, data: Buffer.from(payload).toString(), from: src.text, port: srcPort, to: dst.text });
  return { got, listen };
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test('bind: defaults to the family wildcard and an ephemeral port, sequential from a random start drawn lazily', () => {
  const { host, udp } = setup({ ephemeralPorts: [40000, 40009] });
  host.random = [0, 3];
  assert.equal(host.randomCalls, 0, 'no randomness drawn before the first ephemeral port');
  const a = udp.bind({ family: 4 });
  assert.equal(a.localAddress.text, '0.0.0.0');
  assert.equal(a.localPort, 40003); // 40000 + (0x0003 % 10)
  const b = udp.bind({ family: 6 });
  assert.equal(b.localAddress.text, '::');
  assert.equal(b.localPort, 40004);
  udp.bind({ family: 4, port: 40005 }); // taken by the user: skipped
  assert.equal(udp.bind({ family: 4 }).localPort, 40006);
  assert.equal(host.randomCalls, 1);
  assert.equal(udp.endpoints().length, 4);
});

test('ephemeral ports wrap around the range and run out with EADDRNOTAVAIL; closing frees one', () => {
  const { host, udp } = setup({ ephemeralPorts: [50000, 50002] });
  host.random = [0, 2];
  const ports = [udp.bind({ family: 4 }), udp.bind({ family: 4 }), udp.bind({ family: 6 })].map((e) => e.localPort);
  assert.deepEqual(ports, [50002, 50000, 50001]);
  throwsCode(() => udp.bind({ family: 4 }), 'EADDRNOTAVAIL');
  udp.endpoints()[1]!.close();
  assert.equal(udp.bind({ family: 4 }).localPort, 50000);
});

test('bind errors: EINVAL for bad ports, addresses and family mismatches; EADDRNOTAVAIL for foreign addresses', () => {
  const { udp } = setup();
  throwsCode(() => udp.bind({ family: 4, port: 70000 }), 'EINVAL');
  throwsCode(() => udp.bind({ family: 4, port: -1 }), 'EINVAL');
  throwsCode(() => udp.bind({ family: 4, port: 1.5 }), 'EINVAL');
  throwsCode(() => udp.bind({ family: 4, address: 'not an address' }), 'EINVAL');
  throwsCode(() => udp.bind({ family: 4, address: 'fd00::1' }), 'EINVAL');
  throwsCode(() => udp.bind({ family: 6, address: '10.0.0.1', ipv6Only: true }), 'EINVAL');
  throwsCode(() => udp.bind({ family: 4, address: '10.0.0.99' }), 'EADDRNOTAVAIL');
  throwsCode(() => udp.bind({ family: 6, address: 'fd00::99' }), 'EADDRNOTAVAIL');
  // A family-6 endpoint may bind an IPv4 address, written mapped or not.
  const e = udp.bind({ family: 6, address: '::ffff:10.0.0.1', port: 53 });
  assert.equal(e.localAddress.family, 4);
  assert.equal(e.localAddress.text, '10.0.0.1');
  assert.equal(udp.endpoints().length, 1);
});

test('EADDRINUSE when bindings of a port overlap, unless every one sets reuseAddr', () => {
  const { udp } = setup();
  const any4 = udp.bind({ family: 4, port: 53 });
  throwsCode(() => udp.bind({ family: 4, port: 53 }), 'EADDRINUSE');
  throwsCode(() => udp.bind({ family: 4, port: 53, address: '10.0.0.1' }), 'EADDRINUSE');
  throwsCode(() => udp.bind({ family: 6, port: 53 }), 'EADDRINUSE'); // '::' covers IPv4 too
  throwsCode(() => udp.bind({ family: 6, port: 53, address: '::ffff:10.0.0.3' }), 'EADDRINUSE');
  // No overlap: IPv6-only wildcard, a specific IPv6 address.
  udp.bind({ family: 6, port: 53, ipv6Only: true });
  any4.close();
  udp.bind({ family: 6, port: 54, address: 'fd00::1' });
  udp.bind({ family: 4, port: 54 });
  // Specific addresses: distinct ones coexist, the same one conflicts.
  udp.bind({ family: 4, port: 55, address: '10.0.0.1' });
  udp.bind({ family: 4, port: 55, address: '10.0.0.3' });
  throwsCode(() => udp.bind({ family: 4, port: 55, address: '10.0.0.1' }), 'EADDRINUSE');
  throwsCode(() => udp.bind({ family: 4, port: 55 }), 'EADDRINUSE');
  // reuseAddr must be set on both sides.
  udp.bind({ family: 4, port: 56, reuseAddr: true });
  udp.bind({ family: 4, port: 56, reuseAddr: true, address: '10.0.0.1' });
  udp.bind({ family: 4, port: 56, reuseAddr: true });
  throwsCode(() => udp.bind({ family: 4, port: 56, address: '10.0.0.3' }), 'EADDRINUSE');
  udp.bind({ family: 4, port: 57 });
  throwsCode(() => udp.bind({ family: 4, port: 57, reuseAddr: true }), 'EADDRINUSE');
});

test('demultiplexing: connected peer > exact address > wildcard; IPv4 prefers a family-4 wildcard to `::`; ties go to the latest bind', () => {
  const { udp } = setup();
  const { got, listen } = recorder();
  const dual = udp.bind({ family: 6, port: 53, reuseAddr: true });
  dual.onMessage = listen('dual');
  const any4 = udp.bind({ family: 4, port: 53, reuseAddr: true });
  any4.onMessage = listen('any4');
  const exact = udp.bind({ family: 4, port: 53, address: '10.0.0.1', reuseAddr: true });
  exact.onMessage = listen('exact');
  const peer = udp.bind({ family: 4, port: 53, reuseAddr: true });
  peer.onMessage = listen('peer');
  peer.connect('192.0.2.7', 5353);

  const from = ip('192.0.2.7');
  assert.equal(udp.deliver(from, ip('10.0.0.1'), 5353, 53, bytes('1')), true);
  assert.equal(udp.deliver(from, ip('10.0.0.1'), 4000, 53, bytes('2')), true);
  assert.equal(udp.deliver(from, ip('10.0.0.3'), 4000, 53, bytes('3')), true);
  assert.equal(udp.deliver(ip('fd00::9'), ip('fd00::1'), 4000, 53, bytes('4')), true);
  any4.close();
  assert.equal(udp.deliver(from, ip('10.0.0.3'), 4000, 53, bytes('5')), true);
  // A later identical binding wins over an earlier one.
  const exact2 = udp.bind({ family: 4, port: 53, address: '10.0.0.1', reuseAddr: true });
  exact2.onMessage = listen('exact2');
  assert.equal(udp.deliver(from, ip('10.0.0.1'), 4000, 53, bytes('6')), true);
  assert.deepEqual(
    got.map((g) => `${g.data}:${g.who}`),
    ['1:peer', '2:exact', '3:any4', '4:dual', '5:dual', '6:exact2'],
  );
  assert.deepEqual(got[3], { who: 'dual', data: '4', from: 'fd00::9', port: 4000, to: 'fd00::1' });
  assert.equal(udp.lookup(from, ip('10.0.0.1'), 5353, 53), peer);
  assert.equal(udp.counters.datagramsIn, 6);
});

test('wildcard families: 0.0.0.0 takes IPv4 only, `::` both (IPv4 with its IPv4 source), `::` ipv6Only IPv6 only', () => {
  const { udp } = setup();
  const { got, listen } = recorder();
  udp.bind({ family: 4, port: 1000 }).onMessage = listen('v4');
  udp.bind({ family: 6, port: 2000 }).onMessage = listen('dual');
  udp.bind({ family: 6, port: 3000, ipv6Only: true }).onMessage = listen('v6only');
  const v4src = ip('192.0.2.1');
  const v6src = ip('2001:db8::1');
  assert.equal(udp.deliver(v4src, ip('10.0.0.1'), 9, 1000, bytes('a')), true);
  assert.equal(udp.deliver(v6src, ip('fd00::1'), 9, 1000, bytes('b')), false);
  assert.equal(udp.deliver(v4src, ip('10.0.0.1'), 9, 2000, bytes('c')), true);
  assert.equal(udp.deliver(v6src, ip('fd00::1'), 9, 2000, bytes('d')), true);
  assert.equal(udp.deliver(v4src, ip('10.0.0.1'), 9, 3000, bytes('e')), false);
  assert.equal(udp.deliver(v6src, ip('fd00::1'), 9, 3000, bytes('f')), true);
  assert.deepEqual(
    got.map((g) => `${g.who}:${g.data}:${g.from}`),
    ['v4:a:192.0.2.1', 'dual:c:192.0.2.1', 'dual:d:2001:db8::1', 'v6only:f:2001:db8::1'],
  );
});

test('port unreachable: deliver() is false for a port nobody holds, or held only for another address or peer', () => {
  const { udp } = setup();
  const from = ip('192.0.2.1');
  assert.equal(udp.deliver(from, ip('10.0.0.1'), 1234, 53, bytes('x')), false);
  udp.bind({ family: 4, port: 53, address: '10.0.0.3' });
  assert.equal(udp.deliver(from, ip('10.0.0.1'), 1234, 53, bytes('x')), false);
  const c = udp.bind({ family: 4, port: 54 });
  c.connect('192.0.2.2', 53);
  assert.equal(udp.deliver(from, ip('10.0.0.1'), 53, 54, bytes('x')), false, 'not the connected peer');
  assert.equal(udp.deliver(ip('192.0.2.2'), ip('10.0.0.1'), 53, 54, bytes('x')), true);
  assert.equal(udp.deliver(from, ip('10.0.0.1'), 1234, 0, bytes('x')), false, 'port 0');
  assert.equal(udp.counters.noPorts, 4);
  assert.equal(udp.counters.datagramsIn, 1);
  // A datagram for an endpoint without a listener is still taken (and dropped by it).
  assert.equal(udp.deliver(from, ip('10.0.0.3'), 1, 53, bytes('x')), true);
});

test('send: source from the route for wildcard binds, the bound address otherwise; arrays concatenated; payload copied', () => {
  const { host, udp } = setup();
  const any = udp.bind({ family: 6, port: 7 });
  const chunk = bytes('abc');
  assert.equal(any.send([chunk, bytes('de')], '192.0.2.9', 99), 5);
  assert.equal(any.send(chunk, ip('2001:db8::2'), 98), 3);
  chunk[0] = 0x7a;
  const exact = udp.bind({ family: 4, port: 8, address: '10.0.0.3' });
  assert.equal(exact.send(new Uint8Array(0), '192.0.2.9', 97), 0);
  assert.deepEqual(
    host.sent.map((s) => [s.src, s.srcPort, s.dst, s.dstPort, Buffer.from(s.payload).toString()]),
    [
      ['10.0.0.1', 7, '192.0.2.9', 99, 'abcde'],
      ['fd00::1', 7, '2001:db8::2', 98, 'abc'],
      ['10.0.0.3', 8, '192.0.2.9', 97, ''],
    ],
  );
  assert.equal(udp.counters.datagramsOut, 3);
});

test('send errors: EMSGSIZE beyond the route MTU or the IP length field, ENETUNREACH, EINVAL, EDESTADDRREQ', () => {
  const { host, udp } = setup();
  const e4 = udp.bind({ family: 4 });
  const e6 = udp.bind({ family: 6, address: 'fd00::1' });
  assert.equal(e4.send(new Uint8Array(1472), '192.0.2.1', 9), 1472);
  throwsCode(() => e4.send(new Uint8Array(1473), '192.0.2.1', 9), 'EMSGSIZE');
  throwsCode(() => e4.send([new Uint8Array(1000), new Uint8Array(473)], '192.0.2.1', 9), 'EMSGSIZE');
  assert.equal(e6.send(new Uint8Array(1452), '2001:db8::1', 9), 1452);
  throwsCode(() => e6.send(new Uint8Array(1453), '2001:db8::1', 9), 'EMSGSIZE');
  assert.equal(e4.maxPayload('192.0.2.1'), 1472);
  assert.equal(e6.maxPayload(ip('2001:db8::1')), 1452);
  assert.equal(e4.maxPayload(), undefined, 'not connected');
  host.mtu = 100_000; // even on a huge MTU, the IP length fields bound a datagram
  assert.equal(e4.maxPayload('192.0.2.1'), 65507);
  assert.equal(e4.send(new Uint8Array(65507), '192.0.2.1', 9), 65507);
  throwsCode(() => e4.send(new Uint8Array(65508), '192.0.2.1', 9), 'EMSGSIZE');
  assert.equal(e6.send(new Uint8Array(65527), '2001:db8::1', 9), 65527);
  throwsCode(() => e6.send(new Uint8Array(65528), '2001:db8::1', 9), 'EMSGSIZE');
  host.mtu = 1500;

  host.unreachable.add('192.0.2.66');
  throwsCode(() => e4.send(bytes('x'), '192.0.2.66', 9), 'ENETUNREACH');
  host.failSend = true;
  throwsCode(() => e4.send(bytes('x'), '192.0.2.1', 9), 'ENETUNREACH');
  host.failSend = false;

  throwsCode(() => e4.send(bytes('x'), '192.0.2.1', 0), 'EINVAL');
  throwsCode(() => e4.send(bytes('x'), '192.0.2.1', 65536), 'EINVAL');
  throwsCode(() => e4.send(bytes('x'), '192.0.2.1'), 'EINVAL');
  throwsCode(() => e4.send(bytes('x'), '2001:db8::1', 9), 'EINVAL'); // family 4 → IPv6
  throwsCode(() => e6.send(bytes('x'), '192.0.2.1', 9), 'EINVAL'); // bound to an IPv6 address → IPv4
  throwsCode(() => udp.bind({ family: 6, ipv6Only: true }).send(bytes('x'), '::ffff:192.0.2.1', 9), 'EINVAL');
  for (const dst of ['255.255.255.255', '224.0.0.251', '0.0.0.0']) throwsCode(() => e4.send(bytes('x'), dst, 9), 'EINVAL');
  for (const dst of ['ff02::fb', '::']) throwsCode(() => e6.send(bytes('x'), dst, 9), 'EINVAL');
  throwsCode(() => e4.send(bytes('x')), 'EDESTADDRREQ');
  e4.close();
  throwsCode(() => e4.send(bytes('x'), '192.0.2.1', 9), 'EINVAL');
  assert.equal(e4.closed, true);
  assert.equal(udp.counters.datagramsOut, 4);
});

test('connect: fixes the peer and the source address; disconnect restores the bind and releases an ephemeral port', () => {
  const { host, udp } = setup({ ephemeralPorts: [40000, 40009] });
  const e = udp.bind({ family: 6 });
  const port = e.localPort;
  e.connect('::ffff:192.0.2.5', 53);
  assert.equal(e.connected, true);
  assert.equal(e.localAddress.text, '10.0.0.1');
  assert.equal(e.remoteAddress!.text, '192.0.2.5');
  assert.equal(e.remotePort, 53);
  e.send(bytes('q'));
  e.send(bytes('r'), '192.0.2.6', 54); // sendto on a connected socket, as Linux allows
  assert.deepEqual(
    host.sent.map((s) => `${s.src}:${s.srcPort}>${s.dst}:${s.dstPort}`),
    [`10.0.0.1:${port}>192.0.2.5:53`, `10.0.0.1:${port}>192.0.2.6:54`],
  );
  // Reconnecting to another peer re-derives the source address from the bound wildcard.
  e.connect('2001:db8::5', 53);
  assert.equal(e.localAddress.text, 'fd00::1');

  e.disconnect();
  assert.equal(e.connected, false);
  assert.equal(e.localAddress.text, '::');
  assert.equal(e.localPort, 0, 'an ephemeral port is released, as Linux does');
  assert.equal(udp.endpoints().length, 0);
  throwsCode(() => e.send(bytes('x')), 'EDESTADDRREQ');
  e.send(bytes('s'), '192.0.2.5', 53);
  assert.notEqual(e.localPort, 0, 'a new port is bound by the next send');
  assert.deepEqual(udp.endpoints(), [e]);

  const fixed = udp.bind({ family: 4, port: 5000, address: '10.0.0.3' });
  fixed.connect('192.0.2.5', 53);
  assert.equal(fixed.localAddress.text, '10.0.0.3');
  fixed.disconnect();
  assert.equal(fixed.localPort, 5000, 'a port chosen by the user stays');
  assert.equal(fixed.localAddress.text, '10.0.0.3');

  host.unreachable.add('192.0.2.66');
  throwsCode(() => fixed.connect('192.0.2.66', 53), 'ENETUNREACH'); // a route is needed even with a bound address
  const wild = udp.bind({ family: 4 });
  throwsCode(() => wild.connect('192.0.2.66', 53), 'ENETUNREACH');
  throwsCode(() => wild.connect('192.0.2.1', 0), 'EINVAL');
  throwsCode(() => wild.connect('224.0.0.1', 53), 'EINVAL');
  throwsCode(() => wild.connect('2001:db8::1', 53), 'EINVAL');
  assert.equal(wild.connected, false);
});

test('deliverError: reported to the connected endpoint that sent the datagram, ignored otherwise', () => {
  const { udp } = setup();
  const errors: string[] = [];
  const connected = udp.bind({ family: 4, port: 6000 });
  connected.connect('192.0.2.5', 53);
  connected.onError = (code, addr, port) => errors.push(`connected ${code} ${addr.text}:${port}`);
  const unconnected = udp.bind({ family: 4, port: 6001 });
  unconnected.onError = (code) => errors.push(`unconnected ${code}`);

  const codes: UdpIcmpErrorCode[] = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EMSGSIZE'];
  for (const code of codes) assert.equal(udp.deliverError(ip('10.0.0.1'), 6000, ip('192.0.2.5'), 53, code), true);
  assert.equal(udp.deliverError(ip('10.0.0.1'), 6000, ip('192.0.2.5'), 54, 'ECONNREFUSED'), false, 'another peer port');
  assert.equal(udp.deliverError(ip('10.0.0.1'), 6001, ip('192.0.2.5'), 53, 'ECONNREFUSED'), false, 'unconnected');
  assert.equal(udp.deliverError(ip('10.0.0.1'), 6002, ip('192.0.2.5'), 53, 'ECONNREFUSED'), false, 'no endpoint');
  assert.deepEqual(errors, codes.map((c) => `connected ${c} 192.0.2.5:53`));
  assert.equal(udp.counters.errorsReported, 4);
  assert.equal(udp.counters.errorsIgnored, 3);
  connected.close();
  assert.equal(udp.deliverError(ip('10.0.0.1'), 6000, ip('192.0.2.5'), 53, 'ECONNREFUSED'), false);
});

test('close is idempotent and frees the binding; a closed endpoint refuses connect and disconnect', () => {
  const { udp } = setup();
  const e = udp.bind({ family: 4, port: 53 });
  e.close();
  e.close();
  assert.equal(udp.endpoints().length, 0);
  assert.equal(udp.deliver(ip('192.0.2.1'), ip('10.0.0.1'), 1, 53, bytes('x')), false);
  udp.bind({ family: 4, port: 53 });
  throwsCode(() => e.connect('192.0.2.1', 53), 'EINVAL');
  throwsCode(() => e.disconnect(), 'EINVAL');
});

test('the constructor rejects a bad ephemeral range', () => {
  throwsCode(() => new UdpLayer(new FakeHost(), { ephemeralPorts: [50000, 40000] }), 'EINVAL');
  throwsCode(() => new UdpLayer(new FakeHost(), { ephemeralPorts: [0, 40000] }), 'EINVAL');
});
