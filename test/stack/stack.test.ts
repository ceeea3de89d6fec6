import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack, type StackOptions } from '../../src/stack/stack.js';
import type { TcpHandle } from '../../src/stack/tcp-handle.js';
import type { Runtime } from '../../src/stack/runtime.js';
import { buildIpv4Tcp, parseIpv4Tcp } from '../../src/wire/packet.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { ACK, RST, SYN, type TcpSegment } from '../../src/wire/types.js';
import { buildIpv4Icmp, parseIcmpv4 } from '../../src/wire/icmp.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function pair(opts: { a?: Partial<StackOptions>; b?: Partial<StackOptions>; latency?: number } = {}) {
  const sim = new Simulation({ seed: 3 });
  const link = sim.link({ latency: opts.latency ?? 1, label: 'ab' });
  const a = new Stack({ name: 'a', runtime: sim.runtime('a'), ...opts.a });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b'), ...opts.b });
  const ia = a.addInterface({ link: link.a, addresses: [`${A}/24`] });
  const ib = b.addInterface({ link: link.b, addresses: [`${B}/24`] });
  const sent: TcpSegment[] = [];
  link.tap((ev) => {
    if (ev.kind === 'send' && ev.from === 'b') {
      const p = parseIpv4Tcp(ev.packet);
      if (p.ok) sent.push(p.value.tcp);
    }
  });
  return { sim, link, a, b, ia, ib, sentByB: sent };
}

function seg(fields: Partial<TcpSegment>): TcpSegment {
  return {
    srcPort: 40000,
    dstPort: 80,
    seq: 1000,
    ack: 0,
    flags: SYN,
    window: 65535,
    urgent: 0,
    options: {},
    payload: new Uint8Array(0),
    ...fields,
  };
}

const addr = (s: string): number => parseIpv4Address(s)!;

function acceptAll(listener: ReturnType<Stack['listen']>): TcpHandle[] {
  const accepted: TcpHandle[] = [];
  listener.onAcceptable = () => {
    let h: TcpHandle | undefined;
    while ((h = listener.accept()) !== undefined) accepted.push(h);
  };
  return accepted;
}

test('no TCB: a SYN is answered <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, an ACK with <SEQ=SEG.ACK><CTL=RST>, a RST with nothing', () => {
  const { sim, b, ib, sentByB } = pair();
  b.receivePacket(buildIpv4Tcp(addr(A), addr(B), seg({ flags: SYN, seq: 1000 })), ib);
  b.receivePacket(buildIpv4Tcp(addr(A), addr(B), seg({ flags: ACK, seq: 5, ack: 777 })), ib);
  b.receivePacket(buildIpv4Tcp(addr(A), addr(B), seg({ flags: RST, seq: 5 })), ib);
  sim.run();
  assert.equal(sentByB.length, 2);
  assert.deepEqual([sentByB[0]!.flags, sentByB[0]!.seq, sentByB[0]!.ack], [RST | ACK, 0, 1001]);
  assert.deepEqual([sentByB[1]!.flags, sentByB[1]!.seq], [RST, 777]);
  assert.equal(b.counters.resetsSent, 2);
});

test('LISTEN: an ACK to a listening port is answered with a RST; a RST is ignored', () => {
  const { sim, b, ib, sentByB } = pair();
  b.listen({ port: 80 });
  b.receivePacket(buildIpv4Tcp(addr(A), addr(B), seg({ flags: ACK, seq: 5, ack: 4242 })), ib);
  b.receivePacket(buildIpv4Tcp(addr(A), addr(B), seg({ flags: RST, seq: 5 })), ib);
  sim.run();
  assert.equal(sentByB.length, 1);
  assert.deepEqual([sentByB[0]!.flags, sentByB[0]!.seq], [RST, 4242]);
  assert.equal(b.connectionCount, 0);
});

test('malformed packets are counted by reason, never thrown, and change nothing', () => {
  const { sim, a, b, ib, sentByB } = pair();
  const accepted = acceptAll(b.listen({ port: 80 }));
  const c = a.connect({ remoteAddress: B, remotePort: 80 });
  sim.run();
  assert.equal(c.state, 'ESTABLISHED');
  const view = (): string => JSON.stringify(b.connections().map(({ stats: _s, ...rest }) => rest));
  const before = view();
  const sentBefore = sentByB.length;
  const good = buildIpv4Tcp(addr(A), addr(B), seg({ srcPort: c.localPort, flags: ACK | RST, seq: c.connection.sndNxt }));
  let prng = 12345;
  const rnd = (): number => (prng = (prng * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 2000; i++) {
    let p: Uint8Array;
    const kind = i % 4;
    if (kind === 0) p = good.subarray(0, Math.floor(rnd() * good.length)); // truncated
    else if (kind === 1) {
      p = good.slice();
      p[20 + Math.floor(rnd() * (p.length - 20))]! ^= 1 << Math.floor(rnd() * 8); // bit flip: bad checksum
    } else if (kind === 2) {
      p = new Uint8Array(Math.floor(rnd() * 80));
      for (let j = 0; j < p.length; j++) p[j] = Math.floor(rnd() * 256);
    } else {
      p = good.slice();
      const offsets = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]; // anything but the valid 5
      p[32] = (offsets[Math.floor(rnd() * offsets.length)]! << 4) | (p[32]! & 0x0f);
    }
    assert.doesNotThrow(() => b.receivePacket(p, ib));
  }
  sim.run();
  assert.equal(view(), before);
  assert.equal(sentByB.length, sentBefore);
  assert.equal(accepted[0]!.state, 'ESTABLISHED');
  const drops = b.counters.drops;
  assert.ok((drops['truncated'] ?? 0) > 0, 'truncated counted');
  assert.ok((drops['bad-checksum'] ?? 0) > 0, 'bad checksum counted');
});

test('accept queue bounded by the backlog: the overflowing handshake completes only after accept() makes room', () => {
  const { sim, a, b } = pair();
  const listener = b.listen({ port: 80, backlog: 2 });
  const clients = [0, 1, 2].map(() => a.connect({ remoteAddress: B, remotePort: 80 }));
  sim.run({ until: 500 });
  // As on Linux: the third client's handshake-completing ACK is dropped while the queue is full; the
  // client believes it is connected, the server still holds it half-open.
  assert.equal(listener.acceptQueueLength, 2);
  assert.equal(listener.synQueueLength, 1);
  assert.deepEqual(clients.map((c) => c.state), ['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED']);
  assert.equal(b.counters.drops['accept-queue-full'], 1);
  // A new SYN is refused outright while the queue is full.
  const fourth = a.connect({ remoteAddress: B, remotePort: 80 });
  sim.run({ until: 600 });
  assert.equal(fourth.state, 'SYN-SENT');
  assert.ok(listener.accept());
  sim.run({ until: 3000 }); // the SYN,ACK is retransmitted at its RTO; the client's ACK now completes it
  assert.equal(listener.synQueueLength, 0);
  assert.equal(listener.acceptQueueLength, 2);
  assert.ok(listener.accept());
  sim.run({ until: 6000 }); // the fourth client's retransmitted SYN now finds room
  assert.equal(fourth.state, 'ESTABLISHED');
});

test('SYN queue bounded: half-open connections beyond synBacklog are dropped', () => {
  const { sim, b, ib } = pair({ b: { synBacklog: 3 } });
  const listener = b.listen({ port: 80 });
  for (let i = 0; i < 5; i++) {
    b.receivePacket(buildIpv4Tcp(addr(A), addr(B), seg({ srcPort: 30000 + i, flags: SYN, seq: i * 1000 })), ib);
  }
  assert.equal(listener.synQueueLength, 3);
  assert.equal(b.counters.drops['syn-queue-full'], 2);
  sim.run(); // SYN,ACKs go unanswered: the embryonic connections are dropped after their retries
  assert.equal(listener.synQueueLength, 0);
  assert.equal(b.connectionCount, 0);
});

test('ephemeral ports never reuse a 4-tuple still in TIME-WAIT', () => {
  const { sim, a, b } = pair({ a: { ephemeralPorts: [50000, 50001] } });
  const accepted = acceptAll(b.listen({ port: 80 }));
  const first = a.connect({ remoteAddress: B, remotePort: 80 });
  sim.run({ until: 100 });
  first.close();
  accepted[0]!.close();
  sim.run({ until: 200 });
  assert.equal(first.state, 'TIME-WAIT');
  const second = a.connect({ remoteAddress: B, remotePort: 80 });
  assert.notEqual(second.localPort, first.localPort);
  assert.throws(() => a.connect({ remoteAddress: B, remotePort: 80 }), { code: 'EADDRNOTAVAIL' });
  sim.run({ until: 200 + 60_000 });
  assert.equal(first.state, 'CLOSED');
  const third = a.connect({ remoteAddress: B, remotePort: 80 });
  assert.equal(third.localPort, first.localPort);
});

test('one timer for the whole stack, however many connections', () => {
  const sim = new Simulation({ seed: 9 });
  const link = sim.link({ latency: 5, label: 'l' });
  let pending = 0;
  let maxPending = 0;
  const counting = (rt: Runtime): Runtime => ({
    now: () => rt.now(),
    randomBytes: (n) => rt.randomBytes(n),
    setTimer(at, cb) {
      pending++;
      maxPending = Math.max(maxPending, pending);
      let live = true;
      const cancel = rt.setTimer(at, () => {
        live = false;
        pending--;
        cb();
      });
      return () => {
        if (live) {
          live = false;
          pending--;
          cancel();
        }
      };
    },
  });
  const a = new Stack({ name: 'a', runtime: counting(sim.runtime('a')) });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b') });
  a.addInterface({ link: link.a, addresses: [`${A}/24`] });
  b.addInterface({ link: link.b, addresses: [`${B}/24`] });
  link.configure({ loss: 1 }); // nothing gets through: every connection keeps its RTO armed
  for (let i = 0; i < 50; i++) a.connect({ remoteAddress: B, remotePort: 80 });
  assert.equal(a.connectionCount, 50);
  assert.equal(maxPending, 1);
  sim.run({ until: 10_000 });
  assert.equal(maxPending, 1);
});

test('routes: a router forwards between two subnets; no route gives ENETUNREACH', () => {
  const sim = new Simulation({ seed: 4 });
  const l1 = sim.link({ latency: 2, label: 'l1' });
  const l2 = sim.link({ latency: 3, label: 'l2' });
  const a = new Stack({ name: 'a', runtime: sim.runtime('a') });
  const r = new Stack({ name: 'r', runtime: sim.runtime('r'), forwarding: true });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b') });
  a.addInterface({ name: 'eth0', link: l1.a, addresses: ['10.1.0.1/24'] });
  r.addInterface({ name: 'eth0', link: l1.b, addresses: ['10.1.0.254/24'] });
  r.addInterface({ name: 'eth1', link: l2.a, addresses: ['10.2.0.254/24'] });
  b.addInterface({ name: 'eth0', link: l2.b, addresses: ['10.2.0.1/24'] });
  assert.throws(() => a.connect({ remoteAddress: '10.2.0.1', remotePort: 80 }), { code: 'ENETUNREACH' });
  a.addRoute({ destination: 'default', interface: 'eth0', gateway: '10.1.0.254' });
  b.addRoute({ destination: '10.1.0.0/16', interface: 'eth0' });
  const accepted = acceptAll(b.listen({ port: 80 }));
  const c = a.connect({ remoteAddress: '10.2.0.1', remotePort: 80 });
  const got: Uint8Array[] = [];
  sim.run({ until: 100 });
  assert.equal(c.state, 'ESTABLISHED');
  accepted[0]!.setEventListener((ev) => {
    if (ev.type === 'readable') got.push(accepted[0]!.receive());
  });
  c.send(new TextEncoder().encode('via the router'));
  sim.run({ until: 200 });
  assert.equal(new TextDecoder().decode(Buffer.concat(got)), 'via the router');
  assert.equal(accepted[0]!.remoteAddressString, '10.1.0.1');
});

test('demultiplexing by 4-tuple keeps concurrent connections apart', () => {
  const { sim, a, b } = pair();
  const accepted = acceptAll(b.listen({ port: 80 }));
  const clients = Array.from({ length: 20 }, () => a.connect({ remoteAddress: B, remotePort: 80 }));
  sim.run({ until: 100 });
  assert.equal(accepted.length, 20);
  const received = new Map<TcpHandle, string>();
  for (const h of accepted) {
    received.set(h, '');
    h.setEventListener((ev) => {
      if (ev.type === 'readable') received.set(h, received.get(h)! + new TextDecoder().decode(h.receive()));
    });
  }
  clients.forEach((c, i) => c.send(new TextEncoder().encode(`client ${i} from port ${c.localPort}`)));
  sim.run({ until: 300 });
  for (const h of accepted) assert.equal(received.get(h), `client ${clients.findIndex((c) => c.localPort === h.remotePort)} from port ${h.remotePort}`);
});

test('listen errors: EADDRINUSE for a port already listening, EADDRNOTAVAIL for a foreign address', () => {
  const { b } = pair();
  b.listen({ port: 80 });
  assert.throws(() => b.listen({ port: 80 }), { code: 'EADDRINUSE' });
  assert.throws(() => b.listen({ port: 81, address: '192.0.2.1' }), { code: 'EADDRNOTAVAIL' });
});

test('ICMP Echo Request is answered with an Echo Reply carrying the same id, seq and data (RFC 1122 §3.2.2.6)', () => {
  const { sim, link, b, ib } = pair();
  const replies: Uint8Array[] = [];
  link.tap((ev) => {
    if (ev.kind === 'send' && ev.from === 'b') replies.push(ev.packet.slice());
  });
  const data = new TextEncoder().encode('ping payload');
  b.receivePacket(buildIpv4Icmp(addr(A), addr(B), { kind: 'echo-request', code: 0, id: 0x1234, seq: 7, data }), ib);
  sim.run();
  assert.equal(replies.length, 1);
  const ip = parseIpv4(replies[0]!);
  assert.ok(ip.ok);
  assert.equal(ip.value.header.src, addr(B));
  assert.equal(ip.value.header.dst, addr(A));
  const icmp = parseIcmpv4(ip.value.payload);
  assert.ok(icmp.ok && icmp.value.kind === 'echo-reply');
  if (icmp.ok && icmp.value.kind === 'echo-reply') {
    assert.equal(icmp.value.id, 0x1234);
    assert.equal(icmp.value.seq, 7);
    assert.deepEqual([...icmp.value.data], [...data]);
  }
  assert.equal(b.counters.echoReplies, 1);
});
