/**
 * RFC 9293 §3.6.1 (MAY-2) / RFC 1122 §4.2.2.13: a server that closed first sits in TIME-WAIT; a client
 * reconnecting from the same port with a higher sequence number reopens the connection at once (as
 * Linux allows), with an ISS above the old incarnation's SND.NXT. An old duplicate SYN (at or below
 * RCV.NXT) still gets the challenge ACK, and TIME-WAIT stays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpHandle } from '../../src/stack/tcp-handle.js';
import type { StackTraceEvent } from '../../src/stack/trace.js';
import { seqGt } from '../../src/tcp/seq.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { buildIpv4Tcp, parseIpv4Tcp } from '../../src/wire/packet.js';
import { ACK, RST, SYN } from '../../src/wire/types.js';

function world(config: object = {}) {
  const sim = new Simulation({ seed: 4 });
  const link = sim.link({ latency: 5, label: 'l' });
  const client = new Stack({ name: 'client', runtime: sim.runtime('client'), tcp: { ...config } });
  const server = new Stack({ name: 'server', runtime: sim.runtime('server'), tcp: { ...config } });
  client.addInterface({ link: link.a, addresses: ['10.0.0.1/24'] });
  const si = server.addInterface({ link: link.b, addresses: ['10.0.0.2/24'] });
  const accepted: TcpHandle[] = [];
  const l = server.listen({ port: 80 });
  l.onAcceptable = () => {
    let h: TcpHandle | undefined;
    while ((h = l.accept()) !== undefined) accepted.push(h);
  };
  const events: StackTraceEvent[] = [];
  server.addTraceListener((e) => events.push(e));
  const fromClient: number[] = [];
  link.tap((ev) => {
    if (ev.kind === 'send' && ev.from === 'a') {
      const p = parseIpv4Tcp(ev.packet);
      if (p.ok) fromClient.push(p.value.tcp.flags);
    }
  });
  return { sim, client, server, si, accepted, events, fromClient };
}

/** One exchange from `localPort`, closed by the server first: the server ends in TIME-WAIT. */
function serverClosesFirst(w: ReturnType<typeof world>, localPort: number): { serverSndNxt: number } {
  const c = w.client.connect({ remoteAddress: '10.0.0.2', remotePort: 80, localPort });
  w.sim.run({ until: w.sim.now + 50 });
  const s = w.accepted.at(-1)!;
  s.send(new TextEncoder().encode('hello'));
  s.close();
  w.sim.run({ until: w.sim.now + 50 });
  c.receive();
  c.close();
  w.sim.run({ until: w.sim.now + 50 });
  assert.equal(s.state, 'TIME-WAIT');
  assert.equal(c.state, 'CLOSED');
  return { serverSndNxt: s.connection.status().sndNxt };
}

for (const ts of [true, false]) {
  test(`a new SYN from the same port reopens the server's TIME-WAIT connection at once (timestamps ${ts ? 'on' : 'off'})`, () => {
    const w = world({ timestamps: ts });
    const { serverSndNxt } = serverClosesFirst(w, 40000);
    const before = w.accepted.length;
    const c2 = w.client.connect({ remoteAddress: '10.0.0.2', remotePort: 80, localPort: 40000 });
    w.sim.run({ until: w.sim.now + 50 });
    assert.equal(c2.state, 'ESTABLISHED');
    assert.equal(w.accepted.length, before + 1, 'the listener accepted the new incarnation');
    const s2 = w.accepted.at(-1)!;
    assert.ok(seqGt(s2.connection.status().iss, serverSndNxt), 'ISS above the old SND.NXT (RFC 9293 §3.6.1 (1))');
    assert.deepEqual(w.fromClient.filter((f) => f & RST), [], 'no RST, no retry');
    const reopen = w.events.find((e) => e.type === 'state' && e.from === 'TIME-WAIT' && e.to === 'CLOSED');
    assert.ok(reopen !== undefined && reopen.type === 'state' && /^RFC 9293 §3\.6\.1 \(MAY-2\)/.test(reopen.rule));
    // The new connection carries data both ways.
    c2.send(new TextEncoder().encode('again'));
    w.sim.run({ until: w.sim.now + 50 });
    assert.equal(new TextDecoder().decode(s2.receive()), 'again');
  });
}

test('an old duplicate SYN (at or below RCV.NXT) gets the challenge ACK, and TIME-WAIT stays', () => {
  const w = world({ timestamps: false });
  serverClosesFirst(w, 40001);
  const s = w.accepted.at(-1)!;
  const rcvNxt = s.connection.status().rcvNxt;
  const sent: number[] = [];
  w.events.length = 0;
  const syn = { srcPort: 40001, dstPort: 80, seq: (rcvNxt - 10) >>> 0, ack: 0, flags: SYN, window: 1000, urgent: 0, options: {}, payload: new Uint8Array(0) };
  w.server.receivePacket(buildIpv4Tcp(parseIpv4Address('10.0.0.1')!, parseIpv4Address('10.0.0.2')!, syn), w.si);
  for (const e of w.events) if (e.type === 'send') sent.push(e.segment.flags);
  assert.equal(s.state, 'TIME-WAIT');
  assert.deepEqual(sent, [ACK], 'a challenge ACK (RFC 5961 §4.2)');
});
