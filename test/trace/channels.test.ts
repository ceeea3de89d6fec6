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
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import { buildIpv4Tcp } from '../../src/wire/packet.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { RST } from '../../src/wire/types.js';

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

/** Two stacks on a 10 ms link; the server echoes nothing and reads everything. */
function twoStacks(seed: number): { sim: Simulation; link: ReturnType<Simulation['link']>; a: Stack; b: Stack } {
  const sim = new Simulation({ seed });
  const link = sim.link({ latency: 10, label: 'ch' });
  const a = new Stack({ name: 'ch-a', runtime: sim.runtime('a') });
  const b = new Stack({ name: 'ch-b', runtime: sim.runtime('b') });
  a.addInterface({ link: link.a, addresses: ['10.0.0.1/24'] });
  b.addInterface({ link: link.b, addresses: ['10.0.0.2/24'] });
  const l = b.listen({ port: 80 });
  l.onAcceptable = () => {
    const h = l.accept()!;
    h.setEventListener((ev) => ev.type === 'readable' && void h.receive());
  };
  return { sim, link, a, b };
}

test('synack:timer, synack:congestion and engine drops on synack:drop: the 4-tuple, the time and the rule', () => {
  const timers: StackTraceEvent[] = [];
  const cc: StackTraceEvent[] = [];
  const drops: StackTraceEvent[] = [];
  const onTimer = (m: unknown): void => void timers.push(m as StackTraceEvent);
  const onCc = (m: unknown): void => void cc.push(m as StackTraceEvent);
  const onDrop = (m: unknown): void => void drops.push(m as StackTraceEvent);
  dc.subscribe('synack:timer', onTimer);
  dc.subscribe('synack:congestion', onCc);
  dc.subscribe('synack:drop', onDrop);
  try {
    const { sim, link, a } = twoStacks(3);
    // Without RACK-TLP, so that the retransmission timer, not a tail loss probe, answers the loss.
    const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80, localPort: 40000, tcp: { rack: false } });
    sim.run({ until: 100 });
    // The data is lost: the retransmission timer (RTO from the handshake's RTT sample) fires.
    link.setDropFilter((_p, from) => from === 'a');
    c.send(new Uint8Array(1000));
    const sentAt = sim.now;
    const rto = c.status().rto;
    sim.run({ until: sentAt + rto });
    link.setDropFilter(() => false);
    sim.run({ until: sentAt + 5000 });

    const set = timers.find((e) => e.type === 'timer' && e.stack === 'ch-a' && e.timer === 'retransmit' && e.action === 'set' && e.time === sentAt);
    assert.ok(set?.type === 'timer');
    assert.equal(set.at, sentAt + rto);
    assert.equal(set.local, '10.0.0.1:40000');
    assert.equal(set.remote, '10.0.0.2:80');
    const fired = timers.find((e) => e.type === 'timer' && e.stack === 'ch-a' && e.timer === 'retransmit' && e.action === 'fire');
    assert.ok(fired?.type === 'timer');
    assert.equal(fired.time, sentAt + rto, 'fired at its deadline');
    assert.equal(fired.at, sentAt + rto);
    assert.match(fired.rule, /^RFC 6298 §5 \(5\.4\)/);
    const changes = cc.filter((e) => e.type === 'congestion' && e.stack === 'ch-a' && e.time === sentAt + rto).map((e) => (e.type === 'congestion' ? e.change : ''));
    assert.deepEqual(changes, ['recovery-enter', 'window']);
    const win = cc.find((e) => e.type === 'congestion' && e.change === 'window' && e.time === sentAt + rto);
    assert.ok(win?.type === 'congestion');
    // 1 SMSS: the controller counts data bytes per segment, the MSS less the timestamps option (RFC 6691 §3).
    assert.equal(win.cwnd, c.status().mss - 12, 'cwnd = 1 SMSS');
    assert.match(win.rule, /^RFC 9438 §4\.8 — timeout/, 'CUBIC, the default controller, names its rule');
    assert.ok(cc.some((e) => e.type === 'congestion' && e.change === 'recovery-exit' && e.stack === 'ch-a'));
    assert.deepEqual(drops.filter((e) => e.type === 'drop' && e.rule !== undefined), [], 'nothing was discarded by either engine');
  } finally {
    dc.unsubscribe('synack:timer', onTimer);
    dc.unsubscribe('synack:congestion', onCc);
    dc.unsubscribe('synack:drop', onDrop);
  }
});

test('the engine is handed its tracer only while someone listens (trace listener or channel subscriber)', () => {
  const { sim, a } = twoStacks(4);
  const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  sim.run({ until: 100 });
  assert.equal(c.connection.onTrace, undefined, 'nobody listens: no tracer, the engine builds nothing');
  const seen: StackTraceEvent[] = [];
  const off = a.addTraceListener((e) => seen.push(e));
  c.send(new Uint8Array(10));
  assert.notEqual(c.connection.onTrace, undefined);
  assert.ok(seen.some((e) => e.type === 'timer' && e.timer === 'retransmit' && e.action === 'set'));
  off();
  sim.run({ until: 200 });
  assert.equal(c.connection.onTrace, undefined, 'unset again at the next entry after the last listener left');
  const fn = (): void => {};
  dc.subscribe('synack:state', fn);
  try {
    c.send(new Uint8Array(10));
    assert.equal(c.connection.onTrace, undefined, 'a synack:state subscriber gets nothing from the engine: no tracer');
  } finally {
    dc.unsubscribe('synack:state', fn);
  }
  dc.subscribe('synack:congestion', fn);
  try {
    c.send(new Uint8Array(10));
    assert.notEqual(c.connection.onTrace, undefined, 'a channel subscriber counts');
  } finally {
    dc.unsubscribe('synack:congestion', fn);
  }
  sim.run({ until: 300 });
  assert.equal(c.connection.onTrace, undefined);
});

test('recordTrace collects timer, congestion and engine drop events too; CHANNEL_NAMES lists their channels', () => {
  assert.deepEqual([...CHANNEL_NAMES], ['synack:segment', 'synack:state', 'synack:drop', 'synack:timer', 'synack:congestion']);
  const rec = recordTrace({ stack: 'ch-b' });
  const { sim, a, b } = twoStacks(5);
  const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80, localPort: 40001 });
  sim.run({ until: 100 });
  // A blind RST in the server's window but not at RCV.NXT: a challenge ACK (RFC 5961 §3.2).
  const st = c.status();
  const rst = buildIpv4Tcp(parseIpv4Address('10.0.0.1')!, parseIpv4Address('10.0.0.2')!, {
    srcPort: 40001,
    dstPort: 80,
    seq: (st.sndNxt + 100) >>> 0,
    ack: 0,
    flags: RST,
    window: 0,
    urgent: 0,
    options: {},
    payload: new Uint8Array(0),
  });
  b.receivePacket(rst, b.interfaces[0]!);
  sim.run({ until: 61_000 });
  rec.stop();
  const types = new Set(rec.events.map((e) => e.type));
  assert.ok(types.has('timer') && types.has('congestion') && types.has('drop'), [...types].join());
  const drop = rec.events.find((e) => e.type === 'drop');
  assert.ok(drop?.type === 'drop');
  assert.equal(drop.reason, 'rst-challenge');
  assert.equal(drop.local, '10.0.0.2:80');
  assert.equal(drop.remote, '10.0.0.1:40001');
  assert.equal(drop.rule, 'RFC 5961 §3.2 — RST in window but not at RCV.NXT → challenge ACK');
  assert.match(drop.detail, /^RST seq=\d+ ack=0 len=0 from 10\.0\.0\.1:40001$/);
});
