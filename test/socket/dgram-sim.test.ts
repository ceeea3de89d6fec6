/**
 * UDP through real stacks on the simulated network, both families: request/response, ICMP port
 * unreachable for a closed port (RFC 1122 §4.1.3.1) turned into ECONNREFUSED on a connected socket,
 * EMSGSIZE above the path MTU, and UDP checksums on the wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork } from '../../src/sim/network.js';
import type { SystemError } from '../../src/socket/errors.js';
import type { RemoteInfo } from '../../src/socket/dgram.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6, ipv6PseudoHeaderSum } from '../../src/wire/ipv6.js';
import { parseUdp } from '../../src/wire/udp.js';
import { ipv4PseudoHeaderSum } from '../../src/wire/checksum.js';
import { IPPROTO_UDP } from '../../src/wire/types.js';
import { parseIcmpv4 } from '../../src/wire/icmp.js';

function setup(seed: number) {
  const net = new SimNetwork({ seed });
  const client = net.host('client');
  const server = net.host('server');
  const link = net.connect(client, server, { latency: 3, ipv6: true });
  return { net, client, server, link };
}

for (const family of [4, 6] as const) {
  test(`udp${family}: a DNS-like request and response between two stacks, checksums valid on the wire`, async () => {
    const { net, client, server, link } = setup(40 + family);
    const udpChecked: boolean[] = [];
    link.tap((ev) => {
      if (ev.kind !== 'send') return;
      if (family === 4) {
        const ip = parseIpv4(ev.packet);
        if (ip.ok && ip.value.header.protocol === IPPROTO_UDP) {
          const h = ip.value.header;
          udpChecked.push(parseUdp(ip.value.payload, ipv4PseudoHeaderSum(h.src, h.dst, IPPROTO_UDP, ip.value.payload.length)).ok);
        }
      } else {
        const ip = parseIpv6(ev.packet);
        if (ip.ok && ip.value.protocol === IPPROTO_UDP) {
          const h = ip.value.header;
          udpChecked.push(parseUdp(ip.value.payload, ipv6PseudoHeaderSum(h.src, h.dst, IPPROTO_UDP, ip.value.payload.length), true).ok);
        }
      }
    });
    const srv = server.dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    srv.on('message', (msg: Buffer, rinfo: RemoteInfo) => srv.send(Buffer.concat([Buffer.from('answer:'), msg]), rinfo.port, rinfo.address));
    srv.bind(53);
    const to = family === 4 ? server.address : server.address6;
    const cli = client.dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    let reply: { msg: string; rinfo: RemoteInfo } | undefined;
    cli.on('message', (msg: Buffer, rinfo: RemoteInfo) => (reply = { msg: msg.toString(), rinfo }));
    cli.send('example.org?', 53, to);
    await net.runUntil(() => reply !== undefined);
    assert.equal(reply!.msg, 'answer:example.org?');
    assert.deepEqual(
      { address: reply!.rinfo.address, family: reply!.rinfo.family, port: reply!.rinfo.port },
      { address: to, family: family === 4 ? 'IPv4' : 'IPv6', port: 53 },
    );
    assert.deepEqual(udpChecked, [true, true]);
    cli.close();
    srv.close();
  });

  test(`udp${family}: a closed port answers ICMP port unreachable; a connected socket sees ECONNREFUSED`, async () => {
    const { net, client, server } = setup(50 + family);
    const to = family === 4 ? server.address : server.address6;
    const cli = client.dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    let err: SystemError | undefined;
    cli.on('error', (e: SystemError) => (err = e));
    let connected = false;
    cli.connect(9999, to, () => {
      connected = true;
      cli.send('anyone?');
    });
    await net.runUntil(() => err !== undefined);
    assert.ok(connected);
    assert.equal(err!.code, 'ECONNREFUSED');
    assert.equal(server.stack.counters.icmpErrorsOut, 1);
    assert.equal(server.stack.counters.drops['udp-port-closed'], 1);
    assert.equal(client.stack.counters.icmpErrorsIn, 1);
    cli.close();
  });
}

test('the ICMP port unreachable quotes the offending datagram (RFC 792 / RFC 1122 §3.2.2)', async () => {
  const { net, client, server, link } = setup(60);
  let quoteOk = false;
  link.tap((ev) => {
    if (ev.kind !== 'send' || ev.from !== 'b') return;
    const ip = parseIpv4(ev.packet);
    if (!ip.ok || ip.value.header.protocol !== 1) return;
    const m = parseIcmpv4(ip.value.payload);
    if (m.ok && m.value.kind === 'destination-unreachable' && m.value.code === 3) {
      const inner = parseIpv4(m.value.original);
      quoteOk = inner.ok && inner.value.header.protocol === IPPROTO_UDP && new TextDecoder().decode(inner.value.payload.subarray(8)) === 'ping';
    }
  });
  const cli = client.dgram.createSocket('udp4');
  cli.send('ping', 7777, server.address);
  await net.settle();
  assert.ok(quoteOk);
  cli.close();
});

test('a datagram larger than the path MTU allows fails with EMSGSIZE (no IP fragmentation)', async () => {
  const { net, client, server } = setup(61);
  const cli = client.dgram.createSocket('udp4');
  let err: (Error & { code?: string }) | null | undefined;
  cli.send(Buffer.alloc(1500 - 28 + 1), 53, server.address, (e) => (err = e));
  await net.runUntil(() => err !== undefined);
  assert.equal(err?.code, 'EMSGSIZE');
  let ok: Error | null | undefined;
  cli.send(Buffer.alloc(1500 - 28), 53, server.address, (e) => (ok = e));
  await net.runUntil(() => ok !== undefined);
  assert.equal(ok, null);
  cli.close();
});
