/**
 * LinkReceiveInfo.checksumVerified: a link that has computed or verified a packet's TCP checksum
 * itself (the TUN link completing a virtio-net NEEDS_CSUM packet) spares the stack verifying it
 * again; without the flag the stack verifies every TCP checksum.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/link/sim/simulation.js';
import type { LinkPort, LinkReceiveInfo } from '../../src/link/types.js';
import { Stack } from '../../src/stack/stack.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { buildIpv4Tcp } from '../../src/wire/packet.js';
import { SYN } from '../../src/wire/types.js';

class FakeLink implements LinkPort {
  readonly mtu = 1500;
  readonly sent: Uint8Array[] = [];
  receiver: ((packet: Uint8Array, info?: LinkReceiveInfo) => void) | undefined;
  send(packet: Uint8Array): void {
    this.sent.push(packet);
  }
  setReceiver(receiver: (packet: Uint8Array, info?: LinkReceiveInfo) => void): void {
    this.receiver = receiver;
  }
}

function setup() {
  const sim = new Simulation({ seed: 3 });
  const stack = new Stack({ name: 's', runtime: sim.runtime('s') });
  const link = new FakeLink();
  stack.addInterface({ link, addresses: ['10.7.0.2/24'] });
  return { stack, link };
}

/** A SYN from 10.7.0.1 to port 4444 of 10.7.0.2 (nothing listens: the stack answers RST), checksum broken. */
function badSyn(): Uint8Array {
  const src = parseIpv4Address('10.7.0.1')!;
  const dst = parseIpv4Address('10.7.0.2')!;
  const p = buildIpv4Tcp(src, dst, { srcPort: 5555, dstPort: 4444, seq: 1000, ack: 0, flags: SYN, window: 1000, urgent: 0, options: {}, payload: new Uint8Array(0) });
  p[20 + 16] ^= 0x5a; // TCP checksum
  return p;
}

test('without receive info the stack verifies the TCP checksum and drops a bad one', () => {
  const { stack, link } = setup();
  link.receiver!(badSyn());
  assert.equal(stack.counters.drops['bad-checksum'], 1);
  assert.equal(link.sent.length, 0);
  link.receiver!(badSyn(), {});
  assert.equal(stack.counters.drops['bad-checksum'], 2);
  assert.equal(link.sent.length, 0);
});

test('checksumVerified: the stack takes the link at its word and does not verify again', () => {
  const { stack, link } = setup();
  link.receiver!(badSyn(), { checksumVerified: true });
  assert.equal(stack.counters.drops['bad-checksum'] ?? 0, 0);
  assert.equal(link.sent.length, 1, 'the SYN was processed: RST to a closed port');
});
