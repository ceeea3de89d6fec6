/**
 * Trace events on node:diagnostics_channel: `synack:segment`, `synack:state` and `synack:drop`, from
 * every stack, each state change and sent segment with the RFC rule behind it; the recorder; and
 * nothing published while nobody subscribes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import { SimNetwork } from '../../src/sim/network.js';
import { CHANNEL_NAMES, channelsActive, recordTrace, segmentChannel } from '../../src/trace/channels.js';
import type { StackTraceEvent } from '../../src/stack/trace.js';

async function handshakeAndClose(seed: number): Promise<SimNetwork> {
  const net = new SimNetwork({ seed });
  const a = net.host('chan-a');
  const b = net.host('chan-b');
  net.connect(a, b, { latency: 5 });
  b.net.createServer((s) => s.end()).listen(80);
  const s = a.net.connect(80, b.address);
  s.resume();
  let closed = false;
  s.on('close', () => (closed = true));
  await net.runUntil(() => closed);
  await net.settle();
  return net;
}

test('diagnostics_channel subscribers see segments, state changes and drops, with RFC rules', async () => {
  const seen: Record<string, StackTraceEvent[]> = {};
  const fns = CHANNEL_NAMES.map((name) => {
    const fn = (m: unknown): void => void (seen[name] ??= []).push(m as StackTraceEvent);
    dc.subscribe(name, fn);
    return [name, fn] as const;
  });
  try {
    assert.equal(channelsActive(), true);
    const net = await handshakeAndClose(3);
    const segs = seen['synack:segment'] ?? [];
    const first = segs.find((e) => e.type === 'send');
    assert.ok(first !== undefined && first.type === 'send');
    assert.equal(first.stack, 'chan-a');
    assert.equal(first.segment.flags, 0x02, 'the first segment is the SYN');
    assert.match(first.rule ?? '', /^RFC 9293 §3\.10\.1/);
    assert.ok(segs.some((e) => e.type === 'recv' && e.stack === 'chan-b'));
    const states = (seen['synack:state'] ?? []).filter((e) => e.type === 'state');
    const path = states.filter((e) => e.type === 'state' && e.stack === 'chan-a').map((e) => (e.type === 'state' ? e.to : ''));
    assert.deepEqual(path.slice(0, 2), ['SYN-SENT', 'ESTABLISHED']);
    assert.ok(states.every((e) => e.type === 'state' && /^RFC \d+ §/.test(e.rule)), 'every state change cites an RFC section');
    // A drop: a packet for nobody's address.
    const b = net.hosts[1]!;
    b.stack.receivePacket(new Uint8Array(10), b.stack.interfaces[0]!);
    const drops = seen['synack:drop'] ?? [];
    assert.ok(drops.some((e) => e.type === 'drop' && e.stack === 'chan-b' && e.reason === 'truncated'));
  } finally {
    for (const [name, fn] of fns) dc.unsubscribe(name, fn);
  }
  assert.equal(channelsActive(), false);
});

test('recordTrace collects one stack\'s events until stopped', async () => {
  const rec = recordTrace({ stack: 'chan-b' });
  await handshakeAndClose(4);
  rec.stop();
  assert.ok(rec.events.length > 0);
  assert.ok(rec.events.every((e) => e.stack === 'chan-b'));
  assert.ok(rec.events.some((e) => e.type === 'state' && e.to === 'LISTEN'));
  const n = rec.events.length;
  await handshakeAndClose(5);
  assert.equal(rec.events.length, n, 'nothing recorded after stop()');
  assert.equal(segmentChannel.hasSubscribers, false);
});
