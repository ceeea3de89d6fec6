import { Simulation } from '../link/sim/simulation.js';
import type { SimLink } from '../link/sim/link.js';
import { Stack } from '../stack/stack.js';
import type { TcpHandle } from '../stack/tcp-handle.js';
import type { StackTraceEvent } from '../stack/trace.js';
import { parseIpv4Tcp, formatFlags } from '../wire/packet.js';
import { SYN, type TcpSegment } from '../wire/types.js';

/** One line of a demo's trace. */
export type DemoEvent =
  | { t: number; host: string; type: 'state'; from: string; to: string; rule: string }
  | {
      t: number;
      host: string;
      type: 'send' | 'recv' | 'lost';
      flags: string;
      seq: number;
      ack: number;
      len: number;
      win: number;
      /** seq relative to the sender's ISN (undefined when the sender never sent a SYN). */
      relSeq?: number;
      /** ack relative to the receiver's ISN. */
      relAck?: number;
      rule?: string;
    }
  | { t: number; host: string; type: 'error'; code: string };

/** What a scenario produces. */
export interface DemoRun {
  scenario: string;
  title: string;
  events: DemoEvent[];
}

export interface DemoOptions {
  seed?: number;
}

interface Setup {
  sim: Simulation;
  link: SimLink;
  client: Stack;
  server: Stack;
  events: DemoEvent[];
}

const CLIENT = 'client';
const SERVER = 'server';
const CLIENT_ADDR = '10.0.0.1';
const SERVER_ADDR = '10.0.0.2';
/** One-way latency of the demo link, so that segments visibly cross. */
const LATENCY = 10;

/** Two hosts, one 10 ms link, and a recorder of both stacks' traces and the link's losses. */
function setup(seed: number): Setup {
  const sim = new Simulation({ seed });
  const link = sim.link({ latency: LATENCY, label: 'demo' });
  const client = new Stack({ name: CLIENT, runtime: sim.runtime(CLIENT) });
  const server = new Stack({ name: SERVER, runtime: sim.runtime(SERVER) });
  client.addInterface({ link: link.a, addresses: [`${CLIENT_ADDR}/24`] });
  server.addInterface({ link: link.b, addresses: [`${SERVER_ADDR}/24`] });
  const events: DemoEvent[] = [];
  const isn = new Map<string, number>();
  const peer = (h: string): string => (h === CLIENT ? SERVER : CLIENT);
  const segmentEvent = (t: number, host: string, type: 'send' | 'recv' | 'lost', seg: TcpSegment, rule?: string): DemoEvent => {
    const sender = type === 'recv' ? peer(host) : host;
    const receiver = peer(sender);
    if (seg.flags & SYN && !isn.has(sender)) isn.set(sender, seg.seq);
    const sIsn = isn.get(sender);
    const rIsn = isn.get(receiver);
    return {
      t,
      host,
      type,
      flags: formatFlags(seg.flags),
      seq: seg.seq,
      ack: seg.ack,
      len: seg.payload.length,
      win: seg.window,
      ...(sIsn !== undefined ? { relSeq: (seg.seq - sIsn) >>> 0 } : {}),
      ...(rIsn !== undefined && seg.flags & 0x10 ? { relAck: (seg.ack - rIsn) >>> 0 } : {}),
      ...(rule !== undefined ? { rule } : {}),
    };
  };
  const record = (ev: StackTraceEvent): void => {
    if (ev.type === 'state') {
      events.push({ t: ev.time, host: ev.stack, type: 'state', from: ev.from, to: ev.to, rule: ev.rule });
    } else if (ev.type === 'send' || ev.type === 'recv') {
      events.push(segmentEvent(ev.time, ev.stack, ev.type, ev.segment, ev.rule));
    }
  };
  client.addTraceListener(record);
  server.addTraceListener(record);
  link.tap((ev) => {
    if (ev.kind !== 'drop') return;
    const p = parseIpv4Tcp(ev.packet);
    if (p.ok) events.push(segmentEvent(ev.time, ev.from === 'a' ? CLIENT : SERVER, 'lost', p.value.tcp));
  });
  return { sim, link, client, server, events };
}

/** Run the simulation until `pred` holds or nothing is left to happen. */
function runUntil(sim: Simulation, pred: () => boolean): void {
  while (!pred() && sim.step()) {
    /* step */
  }
}

/** Accept every connection of `server` on `port`, calling `onAccept` with it. */
function serve(s: Setup, port: number, onAccept: (h: TcpHandle) => void): void {
  const listener = s.server.listen({ port });
  listener.onAcceptable = () => {
    let h: TcpHandle | undefined;
    while ((h = listener.accept()) !== undefined) onAccept(h);
  };
}

function recordErrors(s: Setup, host: string, h: TcpHandle): void {
  h.setEventListener((ev) => {
    if (ev.type === 'error') s.events.push({ t: s.sim.now, host, type: 'error', code: ev.code });
  });
}

const both = (a: TcpHandle, b: () => TcpHandle | undefined, state: string): boolean =>
  a.state === state && b()?.state === state;

type Scenario = { title: string; run: (s: Setup) => void };

const encoder = new TextEncoder();

/** Every demo scenario, by name. */
export const SCENARIOS: Record<string, Scenario> = {
  handshake: {
    title: 'Three-way handshake (RFC 9293 §3.5, Figure 6)',
    run(s) {
      let accepted: TcpHandle | undefined;
      serve(s, 80, (h) => (accepted = h));
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      runUntil(s.sim, () => both(c, () => accepted, 'ESTABLISHED'));
    },
  },
  close: {
    title: 'Normal close, four segments (RFC 9293 §3.6, Figure 12), TIME-WAIT for 2×MSL',
    run(s) {
      serve(s, 80, (h) =>
        h.setEventListener((ev) => {
          if (ev.type === 'eof') h.close(); // the server closes as soon as the client has
        }),
      );
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      c.setEventListener((ev) => {
        if (ev.type === 'established') s.sim.after(100, () => c.close());
      });
      s.sim.run();
    },
  },
  'half-close': {
    title: 'Half-close: the client closes first, the server keeps sending (RFC 9293 §3.6)',
    run(s) {
      serve(s, 80, (h) =>
        h.setEventListener((ev) => {
          if (ev.type === 'eof') {
            h.send(encoder.encode('data after your FIN\n'));
            s.sim.after(100, () => h.close());
          }
        }),
      );
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      c.setEventListener((ev) => {
        if (ev.type === 'established') s.sim.after(100, () => c.close());
        if (ev.type === 'readable') c.receive();
      });
      s.sim.run();
    },
  },
  'simultaneous-open': {
    title: 'Simultaneous open: both ends send SYN (RFC 9293 §3.5, Figure 7)',
    run(s) {
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 6000, localPort: 5000 });
      const d = s.server.connect({ remoteAddress: CLIENT_ADDR, remotePort: 5000, localPort: 6000 });
      runUntil(s.sim, () => both(c, () => d, 'ESTABLISHED'));
    },
  },
  'simultaneous-close': {
    title: 'Simultaneous close: both ends send FIN (RFC 9293 §3.6, Figure 13)',
    run(s) {
      let accepted: TcpHandle | undefined;
      serve(s, 80, (h) => (accepted = h));
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      runUntil(s.sim, () => both(c, () => accepted, 'ESTABLISHED'));
      s.sim.after(100, () => {
        c.close();
        accepted!.close();
      });
      s.sim.run();
    },
  },
  refused: {
    title: 'Connection refused: a SYN to a closed port is answered by RST (RFC 9293 §3.10.7.1)',
    run(s) {
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 81 });
      recordErrors(s, CLIENT, c);
      s.sim.run();
    },
  },
  'lost-syn': {
    title: 'Lost SYN: resent after the initial RTO of 1 s, same sequence number (RFC 6298 §2.1, §5)',
    run(s) {
      let dropped = false;
      s.link.setDropFilter((packet, from) => {
        if (dropped || from !== 'a') return false;
        const p = parseIpv4Tcp(packet);
        return (dropped = p.ok && (p.value.tcp.flags & SYN) !== 0);
      });
      let accepted: TcpHandle | undefined;
      serve(s, 80, (h) => (accepted = h));
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      runUntil(s.sim, () => both(c, () => accepted, 'ESTABLISHED'));
    },
  },
};

/** Run one scenario on a fresh simulated network. */
export function runDemo(name: string, options: DemoOptions = {}): DemoRun {
  const scenario = SCENARIOS[name];
  if (scenario === undefined) throw new Error(`unknown scenario ${name}; try one of: ${Object.keys(SCENARIOS).join(', ')}`);
  const s = setup(options.seed ?? 1);
  scenario.run(s);
  return { scenario: name, title: scenario.title, events: s.events };
}
