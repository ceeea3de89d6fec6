/**
 * The demo scenarios and `synack demo`.
 *
 * The sequence diagrams of the scenarios for seed 1 are compared with the stored renderings in
 * test/cli/golden/<scenario>.txt (and <scenario>.ascii.txt for --ascii). After an intended change of
 * the diagrams, regenerate them (then review the diff) with
 *
 *     SYNACK_UPDATE_GOLDEN=1 node --test <outDir>/test/cli/demo.test.js
 *
 * which rewrites every golden file (creating those of new scenarios) instead of comparing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, runDemo, type DemoEvent } from '../../src/cli/demo-scenarios.js';
import { formatDemo, formatDiagram } from '../../src/cli/demo-format.js';
import { readPcap } from '../../src/trace/pcap.js';
import { parseIpv4Tcp, formatFlags } from '../../src/wire/packet.js';

type Seg = Extract<DemoEvent, { flags: string }>;

const sends = (events: DemoEvent[]): Seg[] => events.filter((e): e is Seg => e.type === 'send');
const states = (events: DemoEvent[], host: string): string[] => {
  const out: string[] = [];
  for (const e of events) {
    if (e.type !== 'state' || e.host !== host) continue;
    if (out.length === 0) out.push(e.from);
    out.push(e.to);
  }
  return out;
};
const u32 = (n: number): number => n >>> 0;

test('handshake: exactly the three segments of RFC 9293 Figure 6 with its arithmetic', () => {
  const { events } = runDemo('handshake');
  const segs = sends(events);
  assert.deepEqual(
    segs.map((s) => `${s.host} ${s.flags}`),
    ['client SYN', 'server SYN,ACK', 'client ACK'],
  );
  const [syn, synAck, ack] = segs as [Seg, Seg, Seg];
  const x = syn.seq;
  const y = synAck.seq;
  assert.equal(synAck.ack, u32(x + 1)); // SYN,ACK seq=y ack=x+1
  assert.equal(ack.seq, u32(x + 1)); // ACK seq=x+1 ack=y+1
  assert.equal(ack.ack, u32(y + 1));
  assert.deepEqual(states(events, 'client'), ['CLOSED', 'SYN-SENT', 'ESTABLISHED']);
  assert.deepEqual(states(events, 'server'), ['CLOSED', 'LISTEN', 'SYN-RECEIVED', 'ESTABLISHED']);
});

test('close: the four segments of Figure 12; TIME-WAIT lasts 2×MSL = 60 s', () => {
  const { events } = runDemo('close');
  const segs = sends(events).slice(3);
  assert.deepEqual(
    segs.map((s) => `${s.host} ${s.flags}`),
    ['client FIN,ACK', 'server ACK', 'server FIN,ACK', 'client ACK'],
  );
  const [fin1, ack1, fin2, ack2] = segs as [Seg, Seg, Seg, Seg];
  assert.equal(ack1.ack, u32(fin1.seq + 1));
  assert.equal(fin2.ack, u32(fin1.seq + 1));
  assert.equal(ack2.ack, u32(fin2.seq + 1));
  assert.deepEqual(states(events, 'client'), ['CLOSED', 'SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
  assert.deepEqual(states(events, 'server'), ['CLOSED', 'LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  const tw = events.filter((e) => e.type === 'state' && e.host === 'client' && (e.to === 'TIME-WAIT' || e.from === 'TIME-WAIT'));
  assert.equal(tw.length, 2);
  assert.equal(tw[1]!.t - tw[0]!.t, 60_000);
});

test('simultaneous-open: the four segments of Figure 7, both ends SYN-SENT → SYN-RECEIVED → ESTABLISHED', () => {
  const { events } = runDemo('simultaneous-open');
  const segs = sends(events);
  assert.deepEqual(segs.map((s) => s.flags).sort(), ['SYN', 'SYN', 'SYN,ACK', 'SYN,ACK']);
  const c = segs.filter((s) => s.host === 'client');
  const s = segs.filter((x) => x.host === 'server');
  assert.equal(c[1]!.seq, c[0]!.seq); // the SYN,ACK repeats the SYN's sequence number
  assert.equal(c[1]!.ack, u32(s[0]!.seq + 1));
  assert.equal(s[1]!.ack, u32(c[0]!.seq + 1));
  for (const host of ['client', 'server']) {
    assert.deepEqual(states(events, host), ['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
  }
});

test('simultaneous-close: the four segments of Figure 13, both ends FIN-WAIT-1 → CLOSING → TIME-WAIT → CLOSED', () => {
  const { events } = runDemo('simultaneous-close');
  const segs = sends(events).slice(3);
  assert.deepEqual(segs.map((s) => s.flags).sort(), ['ACK', 'ACK', 'FIN,ACK', 'FIN,ACK']);
  for (const host of ['client', 'server']) {
    assert.deepEqual(states(events, host).slice(-4), ['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED']);
  }
});

test('half-close: the server sends after the client FIN; the client ACKs it in FIN-WAIT-2', () => {
  const { events } = runDemo('half-close');
  const data = sends(events).find((s) => s.host === 'server' && s.len > 0)!;
  assert.ok(data);
  const i = events.indexOf(data);
  const clientAck = events.slice(i).find((e) => e.type === 'send' && e.host === 'client') as Seg;
  assert.equal(clientAck.ack, u32(data.seq + data.len));
  const clientStateAtAck = states(events.slice(0, events.indexOf(clientAck)), 'client').at(-1);
  assert.equal(clientStateAtAck, 'FIN-WAIT-2');
  assert.deepEqual(states(events, 'server').slice(-4), ['ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  assert.deepEqual(states(events, 'client').slice(-4), ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
});

test('refused: RST,ACK with seq 0 and ack x+1 (RFC 9293 §3.10.7.1), ECONNREFUSED', () => {
  const { events } = runDemo('refused');
  const [syn, rst] = sends(events) as [Seg, Seg];
  assert.equal(syn.flags, 'SYN');
  assert.equal(rst.flags, 'RST,ACK');
  assert.equal(rst.seq, 0);
  assert.equal(rst.ack, u32(syn.seq + 1));
  assert.ok(events.some((e) => e.type === 'error' && e.code === 'ECONNREFUSED'));
  assert.deepEqual(states(events, 'client'), ['CLOSED', 'SYN-SENT', 'CLOSED']);
});

test('lost-syn: the resent SYN has the same seq, one RTO (1 s) later', () => {
  const { events } = runDemo('lost-syn');
  const syns = sends(events).filter((s) => s.flags === 'SYN');
  assert.equal(syns.length, 2);
  assert.equal(syns[1]!.seq, syns[0]!.seq);
  assert.equal(syns[1]!.t - syns[0]!.t, 1000);
  assert.ok(events.some((e) => e.type === 'lost' && e.flags === 'SYN'));
  assert.deepEqual(states(events, 'client'), ['CLOSED', 'SYN-SENT', 'ESTABLISHED']);
});

test('same seed, same run; another seed changes the ISNs', () => {
  const a = JSON.stringify(runDemo('close', { seed: 5 }).events);
  const b = JSON.stringify(runDemo('close', { seed: 5 }).events);
  const c = JSON.stringify(runDemo('close', { seed: 6 }).events);
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('synack demo handshake --json prints the required JSON lines', () => {
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const out = execFileSync(process.execPath, [main, 'demo', 'handshake', '--json'], { encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.some((l) => l.type === 'state' && l.host === 'client' && l.from === 'CLOSED' && l.to === 'SYN-SENT'));
  const syn = lines.find((l) => l.type === 'send' && l.flags === 'SYN')!;
  for (const k of ['t', 'host', 'seq', 'ack', 'len', 'win']) assert.ok(k in syn, `send line has ${k}`);
  assert.ok(lines.some((l) => l.type === 'recv' && l.host === 'server' && l.flags === 'SYN'));
});

test('synack rejects unknown scenarios and options with a message', () => {
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  assert.throws(() => execFileSync(process.execPath, [main, 'demo', 'nope'], { stdio: 'pipe' }), /unknown scenario/);
  assert.throws(() => execFileSync(process.execPath, [main, 'demo', 'handshake', '--bogus'], { stdio: 'pipe' }), /unknown option/);
});

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const synack = (...args: string[]): string => execFileSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** test/cli/golden in the source tree: the first ancestor of this (compiled) file holding test/cli/demo.test.ts. */
function goldenDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'test', 'cli', 'demo.test.ts'))) return path.join(dir, 'test', 'cli', 'golden');
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the source tree (test/cli/demo.test.ts)');
    dir = up;
  }
}
const UPDATE = process.env.SYNACK_UPDATE_GOLDEN === '1';
/** The scenarios that existed when the diagrams were introduced: each must have its golden file. */
const CORE = ['handshake', 'close', 'half-close', 'simultaneous-open', 'simultaneous-close', 'refused', 'lost-syn'];
/** Scenarios also checked with --ascii. */
const ASCII_GOLDEN = ['lost-syn'];

/** Compares `actual` with golden file `file` (or rewrites it when updating). */
function golden(file: string, actual: string): void {
  const p = path.join(goldenDir(), file);
  if (UPDATE) {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, actual + '\n');
    return;
  }
  assert.ok(fs.existsSync(p), `${p} is missing; create it with SYNACK_UPDATE_GOLDEN=1 (see the top of this file)`);
  assert.equal(actual + '\n', fs.readFileSync(p, 'utf8'), `${file} differs; if intended, regenerate with SYNACK_UPDATE_GOLDEN=1`);
}

test('diagrams: every scenario for seed 1 matches its stored rendering', (t) => {
  for (const name of CORE) assert.ok(name in SCENARIOS, `scenario ${name} exists`);
  for (const name of Object.keys(SCENARIOS)) {
    const file = `${name}.txt`;
    if (!CORE.includes(name) && !UPDATE && !fs.existsSync(path.join(goldenDir(), file))) {
      t.diagnostic(`no golden diagram for ${name} yet (SYNACK_UPDATE_GOLDEN=1 creates it)`);
      continue;
    }
    const text = formatDiagram(runDemo(name, { seed: 1 }));
    for (const line of text.split('\n')) assert.ok([...line].length <= 80, `${name}: over 80 columns: ${line}`);
    golden(file, text);
  }
  for (const name of ASCII_GOLDEN) golden(`${name}.ascii.txt`, formatDiagram(runDemo(name, { seed: 1 }), { ascii: true }));
});

test('synack demo draws the diagram by default; --trace prints the line trace; --ascii and --absolute', () => {
  assert.equal(synack('demo', 'handshake'), formatDiagram(runDemo('handshake')) + '\n');
  assert.equal(synack('demo', 'close', '--trace', '--explain'), formatDemo(runDemo('close', { details: true }), { explain: true }) + '\n');
  assert.equal(synack('demo', 'lost-syn', '--ascii'), formatDiagram(runDemo('lost-syn'), { ascii: true }) + '\n');
  const abs = synack('demo', 'handshake', '--absolute', '--seed', '3');
  const syn = sends(runDemo('handshake', { seed: 3 }).events)[0]!;
  assert.ok(abs.includes(`SYN seq=${syn.seq} len=0`), abs);
  const explained = synack('demo', 'handshake', '--explain');
  assert.match(explained, /↳ client sends SYN: RFC 9293 §3\.10\.1/);
  assert.throws(() => synack('demo', 'handshake', '--json', '--trace'), /exclusive/);
  assert.throws(() => synack('demo', 'handshake', '--svg'), /needs a file name/);
});

test('synack demo simultaneous-close --svg --pcap: an SVG with both CLOSING states, a pcap of its segments', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synack-demo-'));
  try {
    const svg = path.join(dir, 'x.svg');
    const pcap = path.join(dir, 'x.pcap');
    const out = synack('demo', 'simultaneous-close', '--svg', svg, '--pcap', pcap);
    assert.equal(out, formatDiagram(runDemo('simultaneous-close')) + '\n', 'stdout still the diagram');
    const doc = fs.readFileSync(svg, 'utf8');
    assert.match(doc, /^<\?xml /);
    assert.equal(doc.match(/class="state"[^>]*>CLOSING</g)?.length, 2);

    const run = runDemo('simultaneous-close');
    const file = readPcap(fs.readFileSync(pcap));
    const segs = file.packets.map((p) => {
      const r = parseIpv4Tcp(p.data);
      assert.ok(r.ok, 'every packet is IPv4/TCP');
      return `${formatFlags(r.value.tcp.flags)} ${r.value.tcp.seq} ${r.value.tcp.ack}`;
    });
    assert.deepEqual(segs, sends(run.events).map((s) => `${s.flags} ${s.seq} ${s.ack}`));
    assert.deepEqual(file.packets.map((p) => Math.round(p.time)), sends(run.events).map((s) => s.t), 'timestamps = virtual send times');

    if (spawnSync('tshark', ['--version']).status !== 0) return; // tshark not installed: readPcap only
    const fields = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'tcp.flags.str', '-e', '_ws.expert.severity'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = fields.trim().split('\n');
    assert.equal(lines.length, 7);
    assert.equal(lines.filter((l) => /F/.test(l.split('\t')[0]!)).length, 2, 'two FIN segments');
    const expert = execFileSync('tshark', ['-r', pcap, '-q', '-z', 'expert,error'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.doesNotMatch(expert, /Errors \(\d+\)|Malformed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('synack demo lost-syn --pcap: the lost SYN and its retransmission, as tshark sees them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synack-demo-'));
  try {
    const pcap = path.join(dir, 'lost.pcapng');
    synack('demo', 'lost-syn', '--pcap', pcap, '--json');
    const bytes = fs.readFileSync(pcap);
    assert.equal(bytes.readUInt32LE(0), 0x0a0d0d0a, '.pcapng gives pcapng');
    if (spawnSync('tshark', ['--version']).status !== 0) return;
    const out = execFileSync('tshark', ['-r', pcap, '-Y', 'tcp.analysis.retransmission'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal(out.trim().split('\n').length, 1, out);
    assert.match(out, /SYN/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('synack demo --trace/--json: timers that fired, congestion events, engine drops; --verbose adds every timer change', () => {
  const trace = synack('demo', 'lost-data', '--trace', '--explain');
  assert.equal(trace, formatDemo(runDemo('lost-data', { details: true }), { explain: true }) + '\n');
  // The retransmission and what led to it, each with its rule (issue 5: RFC 6675/5681/8985 at the retransmission).
  assert.match(trace, /client {2}cc {4}recovery entered .*\n {23}↳ RFC 6675 §5 — SACK: .*RFC 5681 §3\.2/);
  assert.match(trace, /client {2}cc {4}window {2}cwnd \d+ → \d+ {2}ssthresh ∞ → \d+ {2}\(cubic\)\n {23}↳ RFC 9438 §4\.6/);
  assert.match(trace, /↳ RFC 6675 §5 \(C\.1\) — fast recovery: .*RFC 8985 §6\.2 RACK/);
  assert.match(trace, /client {2}cc {4}recovery ended .*\n {23}↳ RFC 6582 §3\.2 \/ RFC 6675 §5/);
  assert.doesNotMatch(trace, /timer \S+ (set|re-armed|cancelled)/, 'only timers that fired, without --verbose');
  const zero = synack('demo', 'zero-window', '--trace');
  assert.match(zero, /client {2}timer persist fired/);
  assert.match(zero, /server {2}drop {2}outside-window {2}ACK seq=\d+ ack=\d+ len=0 from 10\.0\.0\.1:\d+/, 'the window probe is not acceptable: answered, then dropped');

  const json = (args: string[]): Array<Record<string, unknown>> =>
    synack('demo', 'keepalive', '--json', ...args)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const plain = json([]);
  const verbose = json(['--verbose']);
  const timers = (evs: Array<Record<string, unknown>>): unknown[] => evs.filter((e) => e.type === 'timer').map((e) => e.action);
  assert.ok(timers(plain).length >= 4 && timers(plain).every((a) => a === 'fire'), 'keep-alive probes fired');
  assert.ok(timers(verbose).includes('set') && timers(verbose).includes('cancel'));
  assert.equal(verbose.length - plain.length, timers(verbose).length - timers(plain).length, '--verbose adds timer events only');
  const fire = plain.find((e) => e.type === 'timer')!;
  assert.deepEqual(Object.keys(fire), ['t', 'host', 'type', 'timer', 'action', 'at', 'rule']);
  assert.equal(fire.timer, 'keepalive');
  assert.equal(fire.t, fire.at, 'fired at its deadline');
  const iw = plain.find((e) => e.type === 'congestion')!;
  assert.equal(iw.ssthresh, null, 'an infinite ssthresh is null in JSON');
  assert.throws(() => synack('demo', 'handshake', '--verbose'), /--verbose goes with --trace or --json/);
});
