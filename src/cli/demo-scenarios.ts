import { Simulation } from '../link/sim/simulation.js';
import type { LinkEvent, SimLink } from '../link/sim/link.js';
import { Stack } from '../stack/stack.js';
import type { TcpHandle } from '../stack/tcp-handle.js';
import type { CongestionTraceEvent, StackTraceEvent, TimerTraceEvent } from '../stack/trace.js';
import { parseIpv4Tcp, formatFlags, buildIpv4Tcp } from '../wire/packet.js';
import { ipv4ToString, parseIpv4Address } from '../wire/ipv4.js';
import { ACK, RST, SYN, type TcpSegment } from '../wire/types.js';

/** One line of a demo's trace. */
export type DemoEvent =
  | {
      t: number;
      host: string;
      type: 'state';
      from: string;
      to: string;
      rule: string;
      /** The connection's remote endpoint ("address:port") when it is neither demo host — a spoofed source. */
      spoofed?: string;
    }
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
      /** SACK blocks carried (RFC 2018), as [left, right) relative to the receiver's ISN like relAck (absolute if unknown). */
      sack?: Array<[number, number]>;
      /**
       * For 'lost': why the segment never reached the receiver's TCP — the link's drop filter (the
       * scenario's words), or the receiving stack's drop reason ('syn-queue-full', …). A 'lost' event
       * always has the sender as `host` and the send time as `t`, whether the link or the receiver
       * dropped it.
       */
      reason?: string;
      /** The far endpoint ("address:port") when it is neither demo host: a spoofed source, or where a reply to it goes. */
      spoofed?: string;
      /** Forged by the scenario (an attacker on the client's side of the link), not sent by a stack. */
      forged?: boolean;
    }
  | { t: number; host: string; type: 'error'; code: string };

/**
 * What the TCP engines did besides segments and states, for `--trace` and `--json` (not drawn in
 * diagrams): a timer set, re-armed, cancelled or fired; a congestion event (cwnd/ssthresh change,
 * loss recovery entered or left); a segment the engine discarded. Each names its RFC rule.
 */
export type DemoDetail =
  | (TimerTraceEvent & { t: number; host: string })
  /** ssthresh is Infinity before the first congestion event (null in JSON). */
  | (CongestionTraceEvent & { t: number; host: string })
  | { t: number; host: string; type: 'drop'; reason: string; detail: string; rule: string };

/** A line of a demo's detailed trace: a {@link DemoEvent} or a {@link DemoDetail}. */
export type TimelineEvent = DemoEvent | DemoDetail;

/** What a scenario produces. */
export interface DemoRun {
  scenario: string;
  title: string;
  events: DemoEvent[];
  /**
   * With {@link DemoOptions.details}: `events` and the engines' {@link DemoDetail}s together, in
   * the order they happened.
   */
  timeline?: TimelineEvent[];
}

export interface DemoOptions {
  seed?: number;
  /** Also record the engines' timer, congestion and drop events, in {@link DemoRun.timeline}. */
  details?: boolean;
  /** Observe every packet on the demo's link (for captures); taps only observe, so the run is the same. */
  tap?: (ev: LinkEvent) => void;
}

type SegmentEvent = Extract<DemoEvent, { flags: string }>;

interface Setup {
  sim: Simulation;
  link: SimLink;
  client: Stack;
  server: Stack;
  events: DemoEvent[];
  /** events and engine details in order, when details are asked for. */
  timeline: TimelineEvent[] | undefined;
  /** Record a segment the scenario forged and puts on the wire from the client's side of the link. */
  inject: (seg: TcpSegment, src: string, dst: string) => void;
  /**
   * Turn the 'recv' event at `index` into a 'lost' event (the receiver dropped it): moved to just
   * after the matching 'send', with the sender as host and the send time.
   */
  markDropped: (index: number, reason: string) => void;
  /** Drop packets on the link: the filter returns why (shown as the 'lost' event's reason), or false to let it pass. */
  dropWhere: (filter: (packet: Uint8Array, from: 'a' | 'b') => string | false) => void;
}

interface SetupOptions {
  /** Most half-open connections per listener of the server's stack. */
  serverSynBacklog?: number;
  /** Record engine details in a timeline. */
  details?: boolean;
}

const CLIENT = 'client';
const SERVER = 'server';
const CLIENT_ADDR = '10.0.0.1';
const SERVER_ADDR = '10.0.0.2';
/** One-way latency of the demo link, so that segments visibly cross. */
const LATENCY = 10;

/** What the stack's drop counters mean, after the counter's name in a 'lost' event's reason. */
const DROP_WORDS: Record<string, string> = {
  'syn-queue-full': ': the SYN queue is full of half-open connections, the SYN is dropped',
  'accept-queue-full': ': the accept queue is full, the segment is dropped',
};

const isDemoAddress = (a: string): boolean => a === CLIENT_ADDR || a === SERVER_ADDR;

/** Two hosts, one 10 ms link, and a recorder of both stacks' traces and the link's losses. */
function setup(seed: number, options: SetupOptions = {}): Setup {
  const sim = new Simulation({ seed });
  const link = sim.link({ latency: LATENCY, label: 'demo' });
  const client = new Stack({ name: CLIENT, runtime: sim.runtime(CLIENT) });
  const server = new Stack({
    name: SERVER,
    runtime: sim.runtime(SERVER),
    ...(options.serverSynBacklog !== undefined ? { synBacklog: options.serverSynBacklog } : {}),
  });
  client.addInterface({ link: link.a, addresses: [`${CLIENT_ADDR}/24`] });
  server.addInterface({ link: link.b, addresses: [`${SERVER_ADDR}/24`] });
  const events: DemoEvent[] = [];
  const timeline: TimelineEvent[] | undefined = options.details === true ? [] : undefined;
  const push = (ev: DemoEvent): void => {
    events.push(ev);
    timeline?.push(ev);
  };
  /** ISN of each sender, by "src:port>dst:port", learnt from its first SYN on that connection. */
  const isn = new Map<string, number>();
  const peer = (h: string): string => (h === CLIENT ? SERVER : CLIENT);
  const segmentEvent = (
    t: number,
    host: string,
    type: 'send' | 'recv' | 'lost',
    seg: TcpSegment,
    src: string,
    dst: string,
    rule?: string,
  ): SegmentEvent => {
    const sender = `${src}:${seg.srcPort}`;
    const receiver = `${dst}:${seg.dstPort}`;
    const forward = `${sender}>${receiver}`;
    if (seg.flags & SYN && !isn.has(forward)) isn.set(forward, seg.seq);
    const sIsn = isn.get(forward);
    const rIsn = isn.get(`${receiver}>${sender}`);
    const spoofed = !isDemoAddress(src) ? sender : !isDemoAddress(dst) ? receiver : undefined;
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
      ...(seg.options.sackBlocks !== undefined && seg.options.sackBlocks.length > 0
        ? { sack: seg.options.sackBlocks.map((b): [number, number] => (rIsn !== undefined ? [(b.left - rIsn) >>> 0, (b.right - rIsn) >>> 0] : [b.left, b.right])) }
        : {}),
      ...(spoofed !== undefined ? { spoofed } : {}),
    };
  };
  const markDropped = (index: number, reason: string): void => {
    const ev = events[index];
    if (ev === undefined || ev.type !== 'recv') return;
    const sender = peer(ev.host);
    events.splice(index, 1);
    let at = index;
    let t = ev.t;
    let send: DemoEvent | undefined;
    for (let i = index - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type === 'send' && e.host === sender && e.seq === ev.seq && e.ack === ev.ack && e.flags === ev.flags && e.len === ev.len) {
        at = i + 1;
        t = e.t;
        send = e;
        break;
      }
    }
    const { rule: _rule, ...fields } = ev;
    void _rule;
    const lost: DemoEvent = { ...fields, t, host: sender, type: 'lost', reason };
    events.splice(at, 0, lost);
    if (timeline !== undefined) {
      // The same move in the timeline: the 'recv' goes, the 'lost' follows its 'send'.
      const i = timeline.indexOf(ev);
      if (i >= 0) timeline.splice(i, 1);
      const j = send !== undefined ? timeline.indexOf(send) : -1;
      timeline.splice(j >= 0 ? j + 1 : Math.max(0, i), 0, lost);
    }
  };
  /** The last 'recv' recorded, so that a drop by the same stack at the same instant can be tied to it. */
  let lastRecv: { index: number; host: string; t: number } | undefined;
  const record = (ev: StackTraceEvent): void => {
    if (ev.type === 'timer' || ev.type === 'congestion') {
      const { time, stack, local: _local, remote: _remote, ...detail } = ev;
      timeline?.push({ t: time, host: stack, ...detail });
    } else if (ev.type === 'drop' && ev.local !== undefined) {
      // A segment the engine discarded after taking it in (outside the window, challenge ACK, …): it
      // reached the TCP, so the diagram keeps its arrow; the trace says why it was discarded.
      timeline?.push({ t: ev.time, host: ev.stack, type: 'drop', reason: ev.reason, detail: ev.detail, rule: ev.rule });
    } else if (ev.type === 'state') {
      const spoofed = ev.remote !== '*' && !isDemoAddress(ev.remote.slice(0, ev.remote.lastIndexOf(':'))) ? ev.remote : undefined;
      push({
        t: ev.time,
        host: ev.stack,
        type: 'state',
        from: ev.from,
        to: ev.to,
        rule: ev.rule,
        ...(spoofed !== undefined ? { spoofed } : {}),
      });
    } else if (ev.type === 'send' || ev.type === 'recv') {
      push(segmentEvent(ev.time, ev.stack, ev.type, ev.segment, ev.src, ev.dst, ev.rule));
      if (ev.type === 'recv') lastRecv = { index: events.length - 1, host: ev.stack, t: ev.time };
    } else if (ev.type === 'drop') {
      // A segment the stack took in (traced 'recv') and then discarded, e.g. with a full SYN queue.
      if (lastRecv !== undefined && lastRecv.index === events.length - 1 && lastRecv.host === ev.stack && lastRecv.t === ev.time) {
        markDropped(lastRecv.index, `${ev.reason}${DROP_WORDS[ev.reason] ?? ''}`);
      }
      lastRecv = undefined;
      timeline?.push({ t: ev.time, host: ev.stack, type: 'drop', reason: ev.reason, detail: ev.detail, rule: ev.rule });
    }
  };
  client.addTraceListener(record);
  server.addTraceListener(record);
  /** Why the drop filter dropped each packet, by link packet id. */
  const reasons = new Map<number, string>();
  const addressOf = { a: CLIENT_ADDR, b: SERVER_ADDR } as const;
  link.tap((ev) => {
    if (ev.kind === 'drop') {
      const p = parseIpv4Tcp(ev.packet);
      if (p.ok) {
        const { ip, tcp } = p.value;
        const host = ev.from === 'a' ? CLIENT : SERVER;
        const reason = reasons.get(ev.id);
        const lost = segmentEvent(ev.time, host, 'lost', tcp, ipv4ToString(ip.src), ipv4ToString(ip.dst));
        push(reason !== undefined ? { ...lost, reason } : lost);
      }
    } else if (ev.kind === 'deliver') {
      // Delivered to a host that does not own the destination address (a reply to a spoofed source):
      // nobody there answers, so the segment is as good as lost.
      const p = parseIpv4Tcp(ev.packet);
      if (!p.ok) return;
      const dst = ipv4ToString(p.value.ip.dst);
      const to = ev.from === 'a' ? 'b' : 'a';
      if (dst === addressOf[to]) return;
      const { ip, tcp } = p.value;
      const receiver = ev.from === 'a' ? SERVER : CLIENT;
      push(segmentEvent(ev.time, receiver, 'recv', tcp, ipv4ToString(ip.src), dst));
      lastRecv = undefined;
      markDropped(events.length - 1, `no host at ${dst}: a spoofed source never answers`);
    }
  });
  const dropWhere = (filter: (packet: Uint8Array, from: 'a' | 'b') => string | false): void => {
    link.setDropFilter((packet, from, id) => {
      const reason = filter(packet, from);
      if (reason === false) return false;
      reasons.set(id, reason);
      return true;
    });
  };
  const inject = (seg: TcpSegment, src: string, dst: string): void => {
    const srcAddr = parseIpv4Address(src)!;
    const dstAddr = parseIpv4Address(dst)!;
    push({ ...segmentEvent(sim.now, CLIENT, 'send', seg, src, dst), forged: true });
    link.a.send(buildIpv4Tcp(srcAddr, dstAddr, seg));
  };
  return { sim, link, client, server, events, timeline, inject, markDropped, dropWhere };
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
    if (ev.type === 'error') {
      const e: DemoEvent = { t: s.sim.now, host, type: 'error', code: ev.code };
      s.events.push(e);
      s.timeline?.push(e);
    }
  });
}

const both = (a: TcpHandle, b: () => TcpHandle | undefined, state: string): boolean =>
  a.state === state && b()?.state === state;

type Scenario = { title: string; run: (s: Setup) => void; setup?: SetupOptions };

const encoder = new TextEncoder();

/** `n` bytes of a recognisable pattern. */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x61 + (i % 26);
  return out;
}

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
    title: 'Lost SYN: resent after the initial RTO of 1 s, same sequence number (RFC 6298 §2, §5)',
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
  'time-wait': {
    title: 'TIME-WAIT: the last ACK is lost, the FIN comes again and TIME-WAIT answers it and restarts 2×MSL (RFC 9293 §3.6, §3.10.7.4) — why 2×MSL exists',
    run(s) {
      let c: TcpHandle | undefined;
      let dropped = false;
      s.dropWhere((packet, from) => {
        // The client's ACK of the server's FIN: the first segment the client sends once in TIME-WAIT.
        if (dropped || from !== 'a' || c?.state !== 'TIME-WAIT') return false;
        const p = parseIpv4Tcp(packet);
        if (!p.ok || p.value.tcp.flags !== ACK) return false;
        dropped = true;
        return 'the last ACK of the close is lost on the way';
      });
      serve(s, 80, (h) =>
        h.setEventListener((ev) => {
          if (ev.type === 'eof') h.close();
        }),
      );
      c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      const client = c;
      client.setEventListener((ev) => {
        if (ev.type === 'established') s.sim.after(100, () => client.close());
      });
      s.sim.run(); // until both are CLOSED: 2×MSL after the second FIN
    },
  },
  'lost-data': {
    title: 'Lost data: two of eight segments lost; SACK shows the holes, fast retransmit repairs both in one round trip (RFC 2018, RFC 6675, RFC 8985)',
    run(s) {
      const total = 8 * 1448;
      const firstSent = new Set<number>();
      s.dropWhere((packet, from) => {
        if (from !== 'a') return false;
        const p = parseIpv4Tcp(packet);
        if (!p.ok || p.value.tcp.payload.length === 0 || firstSent.has(p.value.tcp.seq)) return false;
        firstSent.add(p.value.tcp.seq);
        const n = firstSent.size;
        return n === 3 || n === 6 ? `data segment ${n} of 8 lost on the way` : false;
      });
      let received = 0;
      serve(s, 80, (h) =>
        h.setEventListener((ev) => {
          if (ev.type === 'readable') received += h.receive().length;
        }),
      );
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      c.setEventListener((ev) => {
        if (ev.type === 'established') c.send(pattern(total));
      });
      runUntil(s.sim, () => received === total && c.status().sndUna === c.status().sndNxt);
    },
  },
  'zero-window': {
    title: 'Zero window: the reader stops, the window closes, persist-timer probes back off until the reader resumes (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17)',
    run(s) {
      const total = 8192;
      let received = 0;
      let reading = false;
      const listener = s.server.listen({ port: 80, tcp: { receiveBufferSize: 4096 } });
      listener.onAcceptable = () => {
        const h = listener.accept();
        if (h === undefined) return;
        const drain = (): void => {
          if (reading) received += h.receive().length;
        };
        h.setEventListener((ev) => {
          if (ev.type === 'readable') drain();
        });
        // The application is busy for 3 s, then reads everything.
        s.sim.after(3000, () => {
          reading = true;
          drain();
        });
      };
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      c.setEventListener((ev) => {
        if (ev.type === 'established') c.send(pattern(total));
      });
      runUntil(s.sim, () => received === total && c.status().sndUna === c.status().sndNxt);
    },
  },
  keepalive: {
    title: 'Keep-alive: probes on an idle connection are answered; then the peer vanishes and unanswered probes end in ETIMEDOUT (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6)',
    run(s) {
      serve(s, 80, () => {});
      // Idle 2 s before the first probe, then 1 s between unanswered probes, 3 of them (Linux: 7200 s, 75 s, 9).
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80, tcp: { keepAliveInterval: 1000, keepAliveProbes: 3 } });
      recordErrors(s, CLIENT, c);
      c.setKeepAlive(true, 2000);
      // At 5 s the server is unplugged: nothing reaches it or comes from it any more.
      s.sim.after(5000, () => s.dropWhere(() => 'the server is unplugged: nothing gets through'));
      runUntil(s.sim, () => c.state === 'CLOSED');
    },
  },
  'syn-flood': {
    title: 'SYN flood: spoofed SYNs fill the SYN queue (backlog 4); a real client\'s SYNs are dropped until the half-open entries expire — SYN cookies are the fix (RFC 4987)',
    setup: { serverSynBacklog: 4 },
    run(s) {
      const BACKLOG = 4;
      const rng = s.sim.random('syn-flood');
      let accepted: TcpHandle | undefined;
      // One SYN,ACK retransmission (Linux tcp_synack_retries, default 5): half-open entries expire after 3 s.
      const listener = s.server.listen({ port: 80, tcp: { synAckRetries: 1 } });
      listener.onAcceptable = () => (accepted = listener.accept() ?? accepted);
      // The attacker, on the client's side of the link, forges SYNs from unused addresses of the subnet.
      const used = new Set<number>();
      for (let i = 0; i < BACKLOG; i++) {
        let host: number;
        do host = rng.int(3, 255);
        while (used.has(host));
        used.add(host);
        const src = `10.0.0.${host}`;
        const seg: TcpSegment = {
          srcPort: rng.int(1024, 65536),
          dstPort: 80,
          seq: rng.int(0, 2 ** 32),
          ack: 0,
          flags: SYN,
          window: 65535,
          urgent: 0,
          options: { mss: 1460 },
          payload: new Uint8Array(0),
        };
        s.sim.after(25 * i, () => s.inject(seg, src, SERVER_ADDR)); // one at a time, so the diagram stays legible
      }
      let c: TcpHandle | undefined;
      s.sim.after(100, () => {
        c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
        recordErrors(s, CLIENT, c);
      });
      runUntil(s.sim, () => c !== undefined && (c.state === 'CLOSED' || both(c, () => accepted, 'ESTABLISHED')));
    },
  },
  rst: {
    title: 'RST: blind RSTs — in the window but not at RCV.NXT → challenge ACK (RFC 5961 §3.2), outside the window → dropped; then ABORT → RST, the peer gets ECONNRESET (RFC 9293 §3.10.7.4, §3.10.5)',
    run(s) {
      let accepted: TcpHandle | undefined;
      serve(s, 80, (h) => {
        accepted = h;
        recordErrors(s, SERVER, h);
      });
      const c = s.client.connect({ remoteAddress: SERVER_ADDR, remotePort: 80 });
      recordErrors(s, CLIENT, c);
      runUntil(s.sim, () => both(c, () => accepted, 'ESTABLISHED'));
      const server = accepted!;
      // Segments the engine discards without a trace are shown as dropped: watch the server's input.
      const iface = s.server.interfaces[0]!;
      s.link.b.setReceiver((packet) => {
        const before = server.status().stats.droppedSegments;
        const n = s.events.length;
        s.server.receivePacket(packet, iface);
        const last = s.events[s.events.length - 1];
        if (s.events.length === n + 1 && last?.type === 'recv' && last.flags.includes('RST') && server.status().stats.droppedSegments > before) {
          s.markDropped(s.events.length - 1, 'RST outside the receive window: silently dropped (RFC 9293 §3.10.7.4, RFC 5961 §3)');
        }
      });
      // An off-path attacker who guessed the 4-tuple, but not RCV.NXT exactly.
      const blindRst = (offset: number): void => {
        const st = server.status();
        s.inject(
          {
            srcPort: c.localPort,
            dstPort: 80,
            seq: (st.rcvNxt + offset) >>> 0,
            ack: 0,
            flags: RST,
            window: 0,
            urgent: 0,
            options: {},
            payload: new Uint8Array(0),
          },
          CLIENT_ADDR,
          SERVER_ADDR,
        );
      };
      s.sim.after(100, () => blindRst(1000)); // inside the window
      s.sim.after(200, () => blindRst(0x40000000)); // far outside it
      s.sim.after(300, () => c.abort());
      s.sim.run();
    },
  },
};

/** Run one scenario on a fresh simulated network. */
export function runDemo(name: string, options: DemoOptions = {}): DemoRun {
  const scenario = SCENARIOS[name];
  if (scenario === undefined) throw new Error(`unknown scenario ${name}; try one of: ${Object.keys(SCENARIOS).join(', ')}`);
  const s = setup(options.seed ?? 1, { ...scenario.setup, ...(options.details === true ? { details: true } : {}) });
  if (options.tap !== undefined) s.sim.tap(options.tap);
  scenario.run(s);
  return { scenario: name, title: scenario.title, events: s.events, ...(s.timeline !== undefined ? { timeline: s.timeline } : {}) };
}
