/**
 * Dual stack: TCP over IPv6 (RFC 8200 pseudo-header checksum, MSS from the IPv6 MTU, extension
 * headers skipped), ICMPv6 Echo, wildcard listeners of both families, and Stack.close().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpHandle } from '../../src/stack/tcp-handle.js';
import { SimNetwork } from '../../src/sim/network.js';
import {
  IPPROTO_DSTOPTS,
  IPPROTO_HOPOPTS,
  buildIpv6Tcp,
  parseIpv6,
  parseIpv6Address,
  parseIpv6Tcp,
} from '../../src/wire/ipv6.js';
import { buildIpv6Icmpv6, parseIpv6Icmpv6 } from '../../src/wire/icmpv6.js';
import { parseIpv4Tcp } from '../../src/wire/packet.js';
import { ACK, RST, SYN, type TcpSegment } from '../../src/wire/types.js';

const A6 = 'fd00::1';
const B6 = 'fd00::2';

function pair() {
  const sim = new Simulation({ seed: 6 });
  const link = sim.link({ latency: 1, label: 'ab' });
  const a = new Stack({ name: 'a', runtime: sim.runtime('a') });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b') });
  const ia = a.addInterface({ link: link.a, addresses: ['10.0.0.1/24', `${A6}/64`] });
  const ib = b.addInterface({ link: link.b, addresses: ['10.0.0.2/24', `${B6}/64`] });
  const fromB: Uint8Array[] = [];
  const fromA: Uint8Array[] = [];
  link.tap((ev) => {
    if (ev.kind !== 'send') return;
    (ev.from === 'b' ? fromB : fromA).push(ev.packet.slice());
  });
  return { sim, link, a, b, ia, ib, fromA, fromB };
}

function acceptAll(listener: ReturnType<Stack['listen']>): TcpHandle[] {
  const accepted: TcpHandle[] = [];
  listener.onAcceptable = () => {
    let h: TcpHandle | undefined;
    while ((h = listener.accept()) !== undefined) accepted.push(h);
  };
  return accepted;
}

function seg(fields: Partial<TcpSegment>): TcpSegment {
  return { srcPort: 40000, dstPort: 80, seq: 1000, ack: 0, flags: SYN, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0), ...fields };
}

const v6 = (s: string): Uint8Array => parseIpv6Address(s)!;

test('TCP over IPv6: handshake, data both ways, every packet carries a valid IPv6 pseudo-header checksum', () => {
  const { sim, a, b, fromA, fromB } = pair();
  const accepted = acceptAll(b.listen({ port: 80 }));
  const c = a.connect({ remoteAddress: B6, remotePort: 80 });
  sim.run({ until: 100 });
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(accepted.length, 1);
  const s = accepted[0]!;
  assert.equal(s.remoteAddressString, A6);
  assert.equal(s.localAddress, B6);
  const msg = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
  c.send(msg);
  s.send(new TextEncoder().encode('pong'));
  sim.run({ until: 2000 });
  const got = s.receive();
  assert.deepEqual(got, msg);
  assert.equal(new TextDecoder().decode(c.receive()), 'pong');
  for (const p of [...fromA, ...fromB]) {
    assert.equal(p[0]! >>> 4, 6, 'only IPv6 on the wire');
    const parsed = parseIpv6Tcp(p);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  }
  // RFC 9293 §3.7.1 / RFC 8200 §5: MSS = 1500 − 40 (IPv6) − 20 (TCP).
  const syn = parseIpv6Tcp(fromA[0]!);
  assert.ok(syn.ok && syn.value.tcp.flags === SYN);
  assert.equal(syn.value.tcp.options.mss, 1440);
  const synAck = parseIpv6Tcp(fromB[0]!);
  assert.ok(synAck.ok && synAck.value.tcp.flags === (SYN | ACK));
  assert.equal(synAck.value.tcp.options.mss, 1440);
  assert.equal(c.status().mss, 1440);
});

test('the same hosts still speak IPv4 (dual stack), with MSS 1460', () => {
  const { sim, a, b, fromA } = pair();
  const accepted = acceptAll(b.listen({ port: 80 }));
  const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  sim.run({ until: 100 });
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(accepted[0]!.remoteAddressString, '10.0.0.1');
  const syn = parseIpv4Tcp(fromA[0]!);
  assert.ok(syn.ok);
  assert.equal(syn.value.tcp.options.mss, 1460);
});

test('a listener on 0.0.0.0 takes IPv4 only: an IPv6 SYN to its port is answered with RST,ACK', () => {
  const { sim, a, b, fromB } = pair();
  acceptAll(b.listen({ port: 80, address: '0.0.0.0' }));
  let err: string | undefined;
  const c = a.connect({ remoteAddress: B6, remotePort: 80 });
  c.setEventListener((ev) => {
    if (ev.type === 'error') err = ev.code;
  });
  sim.run({ until: 100 });
  assert.equal(err, 'ECONNREFUSED');
  const rst = parseIpv6Tcp(fromB[0]!);
  assert.ok(rst.ok);
  assert.equal(rst.value.tcp.flags, RST | ACK);
  const c4 = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  sim.run({ until: 200 });
  assert.equal(c4.state, 'ESTABLISHED');
});

test('a listener on one IPv6 address takes that address only; "::0" is the "::" wildcard', () => {
  const { b } = pair();
  const l = b.listen({ port: 81, address: 'fd00:0::2' });
  assert.equal(l.address, B6, 'canonical text');
  const w = b.listen({ port: 82, address: '::0' });
  assert.equal(w.address, '::');
  assert.throws(() => b.listen({ port: 82 }), /EADDRINUSE/);
  assert.throws(() => b.listen({ port: 83, address: 'fd00::9' }), /EADDRNOTAVAIL/);
});

test('extension headers (Hop-by-Hop, Destination Options) before TCP are skipped: the SYN is answered', () => {
  const { sim, b, ib, fromB } = pair();
  acceptAll(b.listen({ port: 80 }));
  const plain = buildIpv6Tcp(v6(A6), v6(B6), seg({}));
  // Insert an 8-byte Hop-by-Hop header (PadN) and an 8-byte Destination Options header.
  const ext = new Uint8Array([IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0, /* dst opts: */ 6, 0, 1, 4, 0, 0, 0, 0]);
  const p = new Uint8Array(plain.length + ext.length);
  p.set(plain.subarray(0, 40));
  p.set(ext, 40);
  p.set(plain.subarray(40), 56);
  p[6] = IPPROTO_HOPOPTS;
  p[4] = ((plain.length - 40 + 16) >> 8) & 0xff;
  p[5] = (plain.length - 40 + 16) & 0xff;
  assert.ok(parseIpv6(p).ok);
  b.receivePacket(p, ib);
  sim.run({ until: 10 });
  const out = parseIpv6Tcp(fromB[0]!);
  assert.ok(out.ok);
  assert.equal(out.value.tcp.flags, SYN | ACK);
  assert.equal(out.value.tcp.ack, 1001);
});

test('an IPv6 segment with a bad checksum is dropped and counted', () => {
  const { sim, b, ib, fromB } = pair();
  acceptAll(b.listen({ port: 80 }));
  const p = buildIpv6Tcp(v6(A6), v6(B6), seg({}));
  p[p.length - 1] ^= 0xff; // the SYN carries options; flip a byte of them
  b.receivePacket(p, ib);
  sim.run({ until: 10 });
  assert.equal(fromB.length, 0);
  assert.equal(b.counters.drops['bad-checksum'], 1);
});

test('ICMPv6 Echo Request is answered with an Echo Reply (RFC 4443 §4.2): ping -6', () => {
  const { sim, b, ib, fromB } = pair();
  const data = new TextEncoder().encode('abcdefgh');
  b.receivePacket(buildIpv6Icmpv6(v6(A6), v6(B6), { kind: 'echo-request', code: 0, id: 77, seq: 3, data }), ib);
  sim.run({ until: 10 });
  const r = parseIpv6Icmpv6(fromB[0]!);
  assert.ok(r.ok, 'checksum verified');
  assert.equal(r.value.icmp.kind, 'echo-reply');
  if (r.value.icmp.kind !== 'echo-reply') return;
  assert.equal(r.value.icmp.id, 77);
  assert.equal(r.value.icmp.seq, 3);
  assert.deepEqual(r.value.icmp.data, data);
  assert.equal(b.counters.echoReplies, 1);
  // Neighbour Discovery and router messages are not answered on a point-to-point link.
  b.receivePacket(buildIpv6Icmpv6(v6(A6), v6(B6), { kind: 'other', type: 133, code: 0, body: new Uint8Array(4) }), ib);
  sim.run({ until: 20 });
  assert.equal(fromB.length, 1);
  assert.equal(b.counters.drops['icmp-unhandled'], 1);
});

test('node:net sockets over IPv6 on a simulated dual-stack network: echo, families, addresses', async () => {
  const net = new SimNetwork({ seed: 11 });
  const client = net.host('client');
  const server = net.host('server');
  net.connect(client, server, { latency: 5, ipv6: true });
  assert.equal(server.address6, 'fd00::2');
  const srv = server.net.createServer((s) => s.pipe(s)).listen(7);
  let echoed = '';
  let info: { remoteFamily?: string; localAddress?: string } = {};
  const sock = client.net.connect(7, server.address6, () => {
    info = { remoteFamily: sock.remoteFamily, localAddress: sock.localAddress };
    sock.end('hello over IPv6');
  });
  sock.on('data', (d: Buffer) => (echoed += d.toString()));
  let closed = false;
  sock.on('close', () => (closed = true));
  await net.runUntil(() => closed);
  assert.equal(echoed, 'hello over IPv6');
  assert.deepEqual(info, { remoteFamily: 'IPv6', localAddress: 'fd00::1' });
  assert.deepEqual(srv.address(), { address: '::', family: 'IPv6', port: 7 });
  srv.close();
});

test('Stack.close(): connections are reset, listeners stop, the timer is cancelled, later input is dropped', () => {
  const { sim, a, b, fromB } = pair();
  const accepted = acceptAll(b.listen({ port: 80 }));
  const c = a.connect({ remoteAddress: B6, remotePort: 80 });
  sim.run({ until: 100 });
  assert.equal(accepted.length, 1);
  const before = fromB.length;
  b.close();
  assert.equal(b.isClosed, true);
  assert.equal(b.connectionCount, 0);
  const rst = parseIpv6Tcp(fromB[before]!);
  assert.ok(rst.ok && rst.value.tcp.flags & RST, 'the open connection was reset');
  sim.run({ until: 200 });
  assert.equal(c.state, 'CLOSED', 'the peer saw the RST');
  assert.throws(() => b.listen({ port: 81 }), /ESHUTDOWN/);
  assert.throws(() => b.connect({ remoteAddress: A6, remotePort: 1 }), /ESHUTDOWN/);
  const n = fromB.length;
  a.connect({ remoteAddress: B6, remotePort: 80 });
  sim.run({ until: 300 });
  assert.equal(fromB.length, n, 'a closed stack answers nothing');
  assert.ok((b.counters.drops['stack-closed'] ?? 0) >= 1);
});
