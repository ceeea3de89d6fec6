/**
 * Packets the stack drops before any connection sees them are traced with the rule behind the drop
 * (src/stack/drop-rules.ts), like the engine's own drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import type { StackTraceEvent } from '../../src/stack/trace.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { buildIpv4Tcp } from '../../src/wire/packet.js';
import { SYN } from '../../src/wire/types.js';

function setup(): { stack: Stack; inject: (p: Uint8Array) => void; drops: Array<Extract<StackTraceEvent, { type: 'drop' }>> } {
  const sim = new Simulation({ seed: 3 });
  const link = sim.link({ label: 'l' });
  const stack = new Stack({ name: 's', runtime: sim.runtime('s') });
  const iface = stack.addInterface({ link: link.a, addresses: ['10.0.0.1/24'] });
  const drops: Array<Extract<StackTraceEvent, { type: 'drop' }>> = [];
  stack.addTraceListener((ev) => {
    if (ev.type === 'drop') drops.push(ev);
  });
  return { stack, inject: (p) => stack.receivePacket(p, iface), drops };
}

const syn = (dstPort: number) => ({ srcPort: 40000, dstPort, seq: 1, ack: 0, flags: SYN, window: 1000, urgent: 0, options: {}, payload: new Uint8Array(0) });
const A = parseIpv4Address('10.0.0.2')!;
const B = parseIpv4Address('10.0.0.1')!;

test('stack drops carry their rule: bad TCP checksum, unknown protocol, not for us, bad IP checksum, port 0', () => {
  const { inject, drops } = setup();
  const badSum = buildIpv4Tcp(A, B, syn(80));
  badSum[badSum.length - 1]! ^= 0xff; // last byte of the TCP header: the checksum no longer matches
  inject(badSum);
  const proto = buildIpv4Tcp(A, B, syn(80));
  proto[9] = 200; // protocol 200, header checksum fixed below
  proto[10] = proto[11] = 0;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (proto[i]! << 8) | proto[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  proto[10] = (~sum >>> 8) & 0xff;
  proto[11] = ~sum & 0xff;
  inject(proto);
  inject(buildIpv4Tcp(A, parseIpv4Address('10.0.0.9')!, syn(80)));
  const badIp = buildIpv4Tcp(A, B, syn(80));
  badIp[10]! ^= 0x01;
  inject(badIp);
  inject(buildIpv4Tcp(A, B, syn(0)));
  assert.deepStrictEqual(
    drops.map((d) => [d.reason, d.rule.slice(0, d.rule.indexOf(' — '))]),
    [
      ['bad-checksum', 'RFC 9293 §3.1'],
      ['unsupported-protocol', 'RFC 1122 §3.2.2.1'],
      ['not-for-us', 'RFC 1122 §3.2.1.3'],
      ['bad-ip-checksum', 'RFC 1122 §3.2.1.2'],
      ['bad-port', 'RFC 9293 §3.1'],
    ],
  );
  for (const d of drops) assert.match(d.rule, /^RFC \d+ §[\d.]+ — \S/);
});

test('a full SYN queue drops the SYN with RFC 4987 §2.2', () => {
  const { stack, inject, drops } = setup();
  stack.listen({ port: 80, backlog: 1 });
  for (let i = 0; i < 300; i++) inject(buildIpv4Tcp(A, B, { ...syn(80), srcPort: 1000 + i }));
  const full = drops.filter((d) => d.reason === 'syn-queue-full');
  assert.ok(full.length > 0, `reasons: ${[...new Set(drops.map((d) => d.reason))].join(', ')}`);
  assert.match(full[0]!.rule, /^RFC 4987 §2\.2 — the SYN queue/);
});
