/**
 * ICMP errors reaching connections through the stack: Destination Unreachable ends a connect with
 * ECONNREFUSED / EHOSTUNREACH (RFC 1122 §4.2.3.9, RFC 5461), quotes that do not match are ignored
 * (RFC 5927 §4.1), and Path MTU Discovery through a router with a smaller next hop (RFC 1191,
 * RFC 8201): the router answers Fragmentation Needed / Packet Too Big and the sender resends smaller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpHandle } from '../../src/stack/tcp-handle.js';
import { SimNetwork } from '../../src/sim/network.js';
import { buildIpv4Icmp, icmpv4DestinationUnreachable, icmpv4PortUnreachable } from '../../src/wire/icmp.js';
import { buildIpv6Icmpv6, icmpv6DestinationUnreachable, parseIpv6Icmpv6 } from '../../src/wire/icmpv6.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { parseIpv6Address } from '../../src/wire/ipv6.js';

function pair() {
  const sim = new Simulation({ seed: 9 });
  const link = sim.link({ latency: 1, label: 'ab' });
  const a = new Stack({ name: 'a', runtime: sim.runtime('a') });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b') });
  const ia = a.addInterface({ link: link.a, addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  b.addInterface({ link: link.b, addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  const fromA: Uint8Array[] = [];
  link.tap((ev) => {
    if (ev.kind === 'send' && ev.from === 'a') fromA.push(ev.packet.slice());
  });
  return { sim, link, a, b, ia, fromA };
}

function errors(h: TcpHandle): string[] {
  const out: string[] = [];
  h.setEventListener((ev) => {
    if (ev.type === 'error') out.push(ev.code);
  });
  return out;
}

const v4 = (s: string): number => parseIpv4Address(s)!;
const v6 = (s: string): Uint8Array => parseIpv6Address(s)!;

test('ICMP port unreachable quoting our SYN ends the connect with ECONNREFUSED (hard error)', () => {
  const { sim, link, a, ia, fromA } = pair();
  link.setDropFilter(() => true); // the SYN never arrives; a router answers instead
  const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  const errs = errors(c);
  sim.run({ until: 5 });
  const syn = fromA[0]!;
  a.receivePacket(buildIpv4Icmp(v4('10.0.0.2'), v4('10.0.0.1'), icmpv4PortUnreachable(syn)), ia);
  assert.deepEqual(errs, ['ECONNREFUSED']);
  assert.equal(c.state, 'CLOSED');
  assert.equal(a.counters.icmpErrorsIn, 1);
});

test('ICMPv6 address unreachable during connect ends it with EHOSTUNREACH', () => {
  const { sim, link, a, ia, fromA } = pair();
  link.setDropFilter(() => true);
  const c = a.connect({ remoteAddress: 'fd00::2', remotePort: 80 });
  const errs = errors(c);
  sim.run({ until: 5 });
  a.receivePacket(buildIpv6Icmpv6(v6('fd00::2'), v6('fd00::1'), icmpv6DestinationUnreachable(3, fromA[0]!)), ia);
  assert.deepEqual(errs, ['EHOSTUNREACH']);
  assert.equal(c.state, 'CLOSED');
});

test('an ICMP error whose quoted sequence number is not ours is ignored (RFC 5927 §4.1)', () => {
  const { sim, link, a, ia, fromA } = pair();
  link.setDropFilter(() => true);
  const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  const errs = errors(c);
  sim.run({ until: 5 });
  const forged = fromA[0]!.slice();
  forged[24] = forged[24]! ^ 0x80; // the quoted TCP sequence number's top byte
  a.receivePacket(buildIpv4Icmp(v4('10.0.0.2'), v4('10.0.0.1'), icmpv4PortUnreachable(forged)), ia);
  assert.deepEqual(errs, []);
  assert.equal(c.state, 'SYN-SENT');
});

test('an ICMP error for no connection is dropped and counted', () => {
  const { sim, a, b, ia, fromA } = pair();
  b.listen({ port: 80 });
  a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  sim.run({ until: 5 });
  const syn = fromA[0]!.slice();
  syn[20] = 0x12; // another source port
  a.receivePacket(buildIpv4Icmp(v4('10.0.0.2'), v4('10.0.0.1'), icmpv4PortUnreachable(syn)), ia);
  assert.equal(a.counters.drops['icmp-no-connection'], 1);
});

test('a soft error (host unreachable) on an established connection does not abort it (RFC 1122 §4.2.3.9)', () => {
  const { sim, a, b, ia } = pair();
  const l = b.listen({ port: 80 });
  const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  const errs = errors(c);
  sim.run({ until: 50 });
  assert.equal(c.state, 'ESTABLISHED');
  c.send(new Uint8Array(1000).fill(7));
  // Quote the data segment in flight (its sequence number lies in SND.UNA..SND.NXT).
  const quoted = buildQuoteSource(c);
  a.receivePacket(buildIpv4Icmp(v4('10.0.0.2'), v4('10.0.0.1'), icmpv4DestinationUnreachable(1, quoted)), ia);
  sim.run({ until: 200 });
  assert.deepEqual(errs, []);
  assert.equal(c.state, 'ESTABLISHED');
  const s = l.accept()!;
  assert.equal(s.receive().length, 1000);
});

/** An IPv4 packet that looks like the connection's next data segment (seq = SND.UNA), for quoting. */
function buildQuoteSource(c: TcpHandle): Uint8Array {
  const st = c.status();
  const p = new Uint8Array(48);
  p[0] = 0x45;
  p[2] = 0;
  p[3] = 48;
  p[8] = 64;
  p[9] = 6;
  p.set([10, 0, 0, 1], 12);
  p.set([10, 0, 0, 2], 16);
  p[20] = st.localPort >> 8;
  p[21] = st.localPort & 0xff;
  p[22] = st.remotePort >> 8;
  p[23] = st.remotePort & 0xff;
  new DataView(p.buffer).setUint32(24, st.sndUna);
  p[32] = 0x50;
  p[33] = 0x10;
  return p;
}

for (const family of [4, 6] as const) {
  test(`Path MTU discovery over IPv${family}: a router with a ${family === 4 ? 1000 : 1280}-byte next hop says so, the sender resends smaller, every byte arrives`, async () => {
    // a —1500— r1 —small— r2 —1500— b: both ends advertise MSS for 1500, only the path is narrower.
    const net = new SimNetwork({ seed: 21 + family });
    const a = net.host('a');
    const r = net.host('r1', { forwarding: true });
    const r2 = net.host('r2', { forwarding: true });
    const b = net.host('b');
    const small = family === 4 ? 1000 : 1280;
    net.connect(a, r, { latency: 2, ipv6: true });
    net.connect(r, r2, { latency: 2, ipv6: true, mtu: small });
    net.connect(r2, b, { latency: 2, ipv6: true });
    for (const d of ['default', 'default6']) {
      a.route(d, r);
      b.route(d, r2);
    }
    r.route(family === 4 ? '10.0.2.0/24' : 'fd00:0:0:2::/64', r2);
    r2.route(family === 4 ? '10.0.0.0/24' : 'fd00::/64', r);
    const to = family === 4 ? b.address : b.address6;
    let received = 0;
    const hash = { sum: 0 };
    b.net
      .createServer((s) => {
        s.on('data', (d: Buffer) => {
          for (const x of d) hash.sum = (hash.sum * 31 + x) >>> 0;
          received += d.length;
        });
      })
      .listen(9);
    const size = 300_000;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 13 + (i >> 8)) & 0xff;
    let expect = 0;
    for (const x of data) expect = (expect * 31 + x) >>> 0;
    const sock = a.net.connect(9, to, () => sock.end(data));
    let errored: Error | undefined;
    sock.on('error', (e) => (errored = e));
    await net.runUntil(() => received === size || errored !== undefined, { timeout: 120_000 });
    assert.equal(errored, undefined);
    assert.equal(received, size);
    assert.equal(hash.sum, expect, 'byte-exact');
    assert.ok(r.stack.counters.icmpErrorsOut >= 1, 'the router sent Fragmentation Needed / Packet Too Big');
    assert.ok(a.stack.counters.icmpErrorsIn >= 1);
    const learnt = a.stack.pathMtu.list().find((e) => e.destination === to);
    assert.equal(learnt?.mtu, small);
    // A new connection starts with the learnt MTU: its first data segment fits the small hop.
    let tooBig = 0;
    net.links[0]!.tap((ev) => {
      if (ev.kind === 'send' && ev.from === 'a' && ev.packet.length > small) tooBig++;
    });
    const before = r.stack.counters.icmpErrorsOut;
    let n2 = 0;
    b.net.createServer((s) => s.on('data', (d: Buffer) => (n2 += d.length))).listen(10);
    const s2 = a.net.connect(10, to, () => s2.end(Buffer.alloc(50_000, 1)));
    await net.runUntil(() => n2 === 50_000, { timeout: 60_000 });
    assert.equal(r.stack.counters.icmpErrorsOut, before, 'no new ICMP: the cached path MTU was used');
    assert.equal(tooBig, 0, 'no packet larger than the path MTU left a');
  });
}

test('an ICMPv6 error is checksummed and parsed the same way the stack sends its own (sanity)', () => {
  const { a, ia } = pair();
  const m = buildIpv6Icmpv6(v6('fd00::2'), v6('fd00::1'), icmpv6DestinationUnreachable(4, new Uint8Array(48)));
  assert.ok(parseIpv6Icmpv6(m).ok);
  a.receivePacket(m, ia);
  assert.equal(a.counters.drops['icmp-bad-quote'], 1, 'a quote that is not an IPv6 packet is rejected');
});
