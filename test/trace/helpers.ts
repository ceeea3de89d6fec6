import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Simulation } from '../../src/link/sim/simulation.js';
import { Stack } from '../../src/stack/stack.js';
import { createNet } from '../../src/socket/net.js';
import { CaptureLink, type CaptureDirection } from '../../src/link/capture.js';
import type { PacketTraceWriter } from '../../src/trace/pcap.js';
import { ACK, FIN, PSH, SYN, type TcpSegment } from '../../src/wire/types.js';
import { buildIpv6Tcp, parseIpv6Address } from '../../src/wire/ipv6.js';
import { Prng } from '../../src/util/prng.js';

/** Why tshark tests are skipped, or false when tshark is usable. */
export const tsharkSkip: string | false = (() => {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) return `tshark not found on PATH (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install it (apt-get install tshark) to run these checks`;
  if (r.status !== 0) return `tshark --version exited with status ${r.status}`;
  return false;
})();
if (tsharkSkip !== false) console.log(`skipping tshark checks: ${tsharkSkip}`);

/** Runs tshark with `args`; returns stdout (throws on a non-zero exit). stderr (e.g. the root warning) is ignored. */
export function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A fresh temporary directory, and a function removing it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synack-trace-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A packet as seen by a capture hook (copied). */
export interface Seen {
  data: Uint8Array;
  direction: CaptureDirection;
  time: number;
}

/**
 * A real TCP conversation on the simulated network, captured at the client's interface: the client
 * connects to an echo server, sends `bytes` of seeded data with end(), reads the echo and closes. Runs
 * on virtual time until both sides are done (TIME-WAIT included).
 */
export async function captureConversation(options: {
  seed?: number;
  bytes?: number;
  writers?: PacketTraceWriter[];
  comment?: (packet: Uint8Array, direction: CaptureDirection, time: number) => string | undefined;
  latency?: number;
}): Promise<{ seen: Seen[]; wireSent: Uint8Array[]; echoed: Uint8Array; sent: Uint8Array; capture: CaptureLink }> {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const wire = sim.link({ label: 'wire', latency: options.latency ?? 5 });
  const crt = sim.runtime('client');
  const srt = sim.runtime('server');
  const seen: Seen[] = [];
  const writers = options.writers ?? [];
  const capture = new CaptureLink(wire.a, {
    clock: crt,
    hook: (data, direction, time) => {
      seen.push({ data: data.slice(), direction, time });
      for (const w of writers) {
        const comment = options.comment?.(data, direction, time);
        w.writePacket(data, time, { direction, ...(comment !== undefined ? { comment } : {}) });
      }
    },
  });
  // What the wire itself saw leaving and arriving at end a, for cross-checking the tap.
  const wireSent: Uint8Array[] = [];
  wire.tap((ev) => {
    if ((ev.kind === 'send' && ev.from === 'a') || (ev.kind === 'deliver' && ev.from === 'b')) wireSent.push(ev.packet.slice());
  });
  const client = new Stack({ name: 'client', runtime: crt });
  const server = new Stack({ name: 'server', runtime: srt });
  client.addInterface({ link: capture, addresses: ['10.0.0.1/24'] });
  server.addInterface({ link: wire.b, addresses: ['10.0.0.2/24'] });
  createNet(server).createServer((s) => s.pipe(s)).listen(7);
  const sent = new Prng(options.seed ?? 1).bytes(options.bytes ?? 20_000);
  const chunks: Buffer[] = [];
  let closed = false;
  const sock = createNet(client).connect(7, '10.0.0.2');
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.on('close', () => (closed = true));
  sock.end(Buffer.from(sent));
  await sim.runUntil(() => closed);
  await sim.settle();
  return { seen, wireSent, echoed: new Uint8Array(Buffer.concat(chunks)), sent, capture };
}

function seg(fields: Partial<TcpSegment>): TcpSegment {
  return { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0), ...fields };
}

/** A complete, well-formed IPv6 TCP conversation (handshake, 100 bytes each way, close), with times in ms. */
export function ipv6Conversation(): Array<{ data: Uint8Array; time: number; direction: CaptureDirection }> {
  const c = parseIpv6Address('2001:db8::1')!;
  const s = parseIpv6Address('2001:db8::2')!;
  const cp = 50000;
  const sp = 80;
  const ci = 1000;
  const si = 5000;
  const req = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'.padEnd(100, ' '));
  const res = new Uint8Array(100).fill(0x61);
  const out = (t: number, x: Partial<TcpSegment>) => ({ data: buildIpv6Tcp(c, s, seg({ srcPort: cp, dstPort: sp, ...x })), time: t, direction: 'out' as const });
  const inn = (t: number, x: Partial<TcpSegment>) => ({ data: buildIpv6Tcp(s, c, seg({ srcPort: sp, dstPort: cp, ...x })), time: t, direction: 'in' as const });
  return [
    out(0, { seq: ci, flags: SYN, options: { mss: 1440, sackPermitted: true, windowScale: 7 } }),
    inn(10.5, { seq: si, ack: ci + 1, flags: SYN | ACK, options: { mss: 1440, sackPermitted: true, windowScale: 7 } }),
    out(10.6, { seq: ci + 1, ack: si + 1, flags: ACK, window: 512 }),
    out(10.7, { seq: ci + 1, ack: si + 1, flags: PSH | ACK, window: 512, payload: req }),
    inn(21.2, { seq: si + 1, ack: ci + 101, flags: PSH | ACK, window: 512, payload: res }),
    inn(21.3, { seq: si + 101, ack: ci + 101, flags: FIN | ACK, window: 512 }),
    out(21.4, { seq: ci + 101, ack: si + 102, flags: FIN | ACK, window: 512 }),
    inn(31.9, { seq: si + 102, ack: ci + 102, flags: ACK, window: 512 }),
  ];
}
