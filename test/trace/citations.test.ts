/**
 * Issue 5 §7: "trace events for every explanation point at a real RFC section that exists in
 * ../shared/rfc/". Every demo scenario, and simulated runs chosen to reach the other rules (loss
 * with SACK/RACK/TLP/RTO and without SACK, zero window, keep-alive and user timeouts, ICMP
 * unreachable and Packet Too Big, TIME-WAIT, RSTs and challenge ACKs, PAWS, …), are recorded with
 * recordTrace(); every `rule` of every event is checked against the RFC texts:
 *
 * - a rule starts with a citation `RFC N §S` of an RFC in the collection (../shared/rfc/rfcN.txt),
 *   and S is a section heading of that text (both the paginated and the v3 formats are parsed). An
 *   RFC without numbered sections (RFC 768, RFC 792) may be cited as `RFC N` alone; every other
 *   citation needs its section.
 * - every further `RFC N §S` naming an RFC of the collection resolves too, and so does a bare `§S`
 *   (read as a section of the RFC named last before it). RFCs outside the collection (5461, 8201,
 *   3522, 6928, 9406, …) may appear, but only after a primary citation from the collection.
 *
 * A static check reads every `RFC N §S` in src/ (comments included), so a typo in a rule that no
 * run reaches — `§3.10.7.4.` with a stray dot in a string, a section that does not exist — fails too.
 * The runs must see a broad set of rules, so the test cannot pass vacuously.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo, SCENARIOS } from '../../src/cli/demo-scenarios.js';
import { runTransfer } from '../../src/cli/transfer.js';
import { Simulation } from '../../src/link/sim/simulation.js';
import { SimNetwork } from '../../src/sim/network.js';
import { Stack } from '../../src/stack/stack.js';
import type { StackTraceEvent } from '../../src/stack/trace.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { recordTrace } from '../../src/trace/channels.js';
import { buildIpv4Icmp, icmpv4DestinationUnreachable, icmpv4PortUnreachable } from '../../src/wire/icmp.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { established, feed, newConnection, recvAll, synSent, PEER_ISS, ISS } from '../tcp/helpers.js';
import type { Connection } from '../../src/tcp/connection.js';

// ───────────────────────────── the RFC collection ─────────────────────────────

/** The project root: the first ancestor of this (compiled) file with package.json and src/. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'tcp'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`project root not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

const ROOT = projectRoot();
const RFC_DIR = path.join(ROOT, '..', 'shared', 'rfc');

/**
 * Section numbers of an RFC text: lines that start (after at most 12 spaces, and a BOM) with a
 * number like `3`, `3.10.7.4` or an appendix `A.2`, then a capitalised title — "3.10.7.4.  Other
 * States" (v3), "4.2.3.9  ICMP Messages" and "3.2.2 Internet Control Message Protocol" (RFC 1122),
 * "5.1  Congestion Control Issues" (RFC 2018), "3.1. TCP MSS Option" (RFC 1191), "2   The Limited
 * Transmit Algorithm" (RFC 3042). Table-of-contents lines (dot leaders and a page number) are
 * skipped; they repeat the headings anyway.
 */
function parseSections(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\uFEFF/, '').replace(/\r$/, '');
    if (/\.{4,}\s*\d+\s*$/.test(line) || /(\. ){3,}/.test(line)) continue;
    const m = /^( {0,12})((?:\d+|[A-Z])(?:\.\d+)*)(\.?)( +)[A-Z]/.exec(line);
    if (m === null) continue;
    const [, indent, num, dot, gap] = m as unknown as [string, string, string, string, string];
    // "1.  Title", "3.2.2 Title" (RFC 1122), or an undotted "2   Title" at the margin (RFC 3042) —
    // not the indented "    3  Destination Unreachable" of RFC 792's type lists.
    if (dot !== '' || num.includes('.') || (indent === '' && gap.length >= 2)) out.add(num);
  }
  return out;
}

interface Collection {
  /** RFC number → its section numbers. */
  sections: Map<number, Set<string>>;
}

let collection: Collection | undefined;

/** Loads ../shared/rfc (fails the calling test with a clear message when it is missing). */
function rfcs(): Collection {
  if (collection !== undefined) return collection;
  if (!fs.existsSync(RFC_DIR)) {
    assert.fail(
      `The RFC texts are missing: expected ${RFC_DIR} (../shared/rfc from the project root, see README). ` +
        'The citation test checks every trace rule against them; CI has them.',
    );
  }
  const sections = new Map<number, Set<string>>();
  for (const f of fs.readdirSync(RFC_DIR)) {
    const m = /^rfc(\d+)\.txt$/.exec(f);
    if (m !== null) sections.set(Number(m[1]), parseSections(fs.readFileSync(path.join(RFC_DIR, f), 'utf8')));
  }
  assert.ok(sections.size >= 10, `only ${sections.size} RFC texts in ${RFC_DIR}`);
  collection = { sections };
  return collection;
}

/** RFCs of the collection without numbered sections, which may be cited as `RFC N` alone. */
function unsectioned(c: Collection, n: number): boolean {
  return (c.sections.get(n)?.size ?? 0) === 0;
}

/** `RFC N`, optionally `§S` (S with a trailing dot captured separately, to catch typos). */
const CITATION = /RFC (\d+)(?: §([A-Z]?\d*(?:\.\d+)*)(\.(?!\d))?)?/g;
/** A `§S` not preceded by "RFC N ". */
const BARE_SECTION = /(?<!RFC \d+ )§([A-Z]?\d+(?:\.\d+)*)/g;

/** What is wrong with `rule`, if anything (undefined when it checks out). */
function checkRule(c: Collection, rule: string): string | undefined {
  const first = /^RFC (\d+)(?: §([A-Z]?\d+(?:\.\d+)*)(\.(?!\d))?)?(?=[ ;,)/—]|$)/.exec(rule);
  if (first === null) return 'does not start with "RFC N §S"';
  const n = Number(first[1]);
  if (!c.sections.has(n)) return `the first citation, RFC ${n}, is not in the collection (../shared/rfc)`;
  if (first[2] === undefined && !unsectioned(c, n)) return `RFC ${n} is cited without a section`;
  for (const m of rule.matchAll(CITATION)) {
    const rfc = Number(m[1]);
    const sec = m[2];
    if (!c.sections.has(rfc) || sec === undefined) continue;
    if (m[3] !== undefined) return `"RFC ${rfc} §${sec}." has a stray dot`;
    if (sec === '' || !c.sections.get(rfc)!.has(sec)) return `RFC ${rfc} has no section ${sec}`;
  }
  // A bare "§S" belongs to the RFC named last before it.
  for (const m of rule.matchAll(BARE_SECTION)) {
    const before = [...rule.slice(0, m.index).matchAll(/RFC (\d+)/g)].at(-1);
    const rfc = before !== undefined ? Number(before[1]) : n;
    if (c.sections.has(rfc) && !c.sections.get(rfc)!.has(m[1]!)) return `§${m[1]} (of RFC ${rfc}) does not exist`;
  }
  return undefined;
}

// ───────────────────────────── the runs ─────────────────────────────

/** Every rule seen, with one event that carried it (for failure messages). */
const seen = new Map<string, string>();

function collect(events: readonly StackTraceEvent[], where: string): void {
  for (const ev of events) {
    const rule = 'rule' in ev ? ev.rule : undefined;
    if (rule === undefined || rule === '') continue;
    if (!seen.has(rule)) seen.set(rule, `${where}: ${ev.type} at ${ev.time} on ${ev.stack}`);
  }
}

/** Runs `fn` with a recorder of every stack's trace events. */
async function recorded(where: string, fn: () => void | Promise<void>): Promise<StackTraceEvent[]> {
  const rec = recordTrace();
  try {
    await fn();
  } finally {
    rec.stop();
  }
  collect(rec.events, where);
  return rec.events;
}

/** The engine's own rules, for runs that drive a Connection directly (no stack). */
function observeEngine(c: Connection, where: string): void {
  const add = (rule: string): void => {
    if (rule !== '' && !seen.has(rule)) seen.set(rule, `${where} (engine)`);
  };
  c.onTrace = (ev) => add(ev.rule);
  c.onStateChange = (_from, _to, rule) => add(rule);
  const poll = c.pollTransmit.bind(c);
  c.pollTransmit = (now: number) => {
    const s = poll(now);
    if (s !== undefined) add(c.lastTransmitRule);
    return s;
  };
}

/** Two stacks on one link (10.0.0.1 and 10.0.0.2), like the demos. */
function pair(seed: number, tcp: Partial<TcpConfig> = {}, latency = 10) {
  const sim = new Simulation({ seed });
  const link = sim.link({ latency, label: 'cite' });
  const a = new Stack({ name: 'a', runtime: sim.runtime('a'), tcp });
  const b = new Stack({ name: 'b', runtime: sim.runtime('b'), tcp });
  const ia = a.addInterface({ link: link.a, addresses: ['10.0.0.1/24'] });
  b.addInterface({ link: link.b, addresses: ['10.0.0.2/24'] });
  return { sim, link, a, b, ia };
}

const v4 = (s: string): number => parseIpv4Address(s)!;

/** A bulk transfer a → b of `size` bytes through a drop filter; b reads everything. */
function bulk(seed: number, tcp: Partial<TcpConfig>, size: number, drop: (n: number, from: 'a' | 'b') => boolean): void {
  const { sim, link, a, b } = pair(seed, tcp);
  let n = 0;
  link.setDropFilter((_p, from) => drop(++n, from as 'a' | 'b'));
  let got = 0;
  const l = b.listen({ port: 80 });
  l.onAcceptable = () => {
    const h = l.accept()!;
    h.setEventListener((ev) => {
      if (ev.type === 'readable') got += h.receive().length;
      if (ev.type === 'eof') h.close();
    });
  };
  const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
  const data = new Uint8Array(size).fill(1);
  let off = 0;
  const pump = (): void => {
    while (off < size) {
      const k = c.send(data.subarray(off));
      if (k === 0) return;
      off += k;
    }
    c.close();
  };
  c.setEventListener((ev) => {
    if (ev.type === 'established' || ev.type === 'writable') pump();
  });
  sim.run({ until: 600_000 });
  assert.equal(got, size, `bulk seed ${seed}: every byte arrives`);
}

async function runEverything(): Promise<void> {
  // Every demo, several seeds.
  for (const name of Object.keys(SCENARIOS)) {
    for (const seed of [1, 2, 3]) await recorded(`demo ${name} seed ${seed}`, () => void runDemo(name, { seed, details: true }));
  }
  // Bulk transfers through loss, reordering and duplication: SACK, RACK, TLP, RTO, D-SACK, undo.
  for (const cc of ['cubic', 'newreno'] as const) {
    for (const seed of [1, 2]) {
      await recorded(`transfer ${cc} seed ${seed}`, async () => {
        await runTransfer({ bytes: 300_000, cc, seed, loss: 0.03, reorder: 0.05, duplicate: 0.02, direction: 'both' });
      });
    }
  }
  // Without SACK and timestamps: duplicate ACKs, NewReno partial ACKs; then a blackout for RTOs.
  for (const cc of ['newreno', 'reno'] as const) {
    await recorded(`bulk no-SACK ${cc}`, () =>
      bulk(5, { sack: false, timestamps: false, rack: false, congestionControl: cc }, 200_000, (n, from) => from === 'a' && (n === 30 || n === 33 || n === 36 || (n >= 120 && n < 140))),
    );
  }
  // With SACK: a lost retransmission and a long blackout (RTO with SACK, RFC 6675 §5.1).
  await recorded('bulk SACK blackout', () => bulk(6, {}, 200_000, (n, from) => from === 'a' && (n === 25 || (n >= 60 && n < 90))));
  // Idle restart: send, wait longer than the RTO, send again.
  await recorded('idle restart', () => {
    const { sim, a, b } = pair(7);
    const l = b.listen({ port: 80 });
    l.onAcceptable = () => {
      const h = l.accept()!;
      h.setEventListener((ev) => ev.type === 'readable' && void h.receive());
    };
    const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
    c.setEventListener((ev) => {
      if (ev.type === 'established') {
        c.send(new Uint8Array(100_000));
        sim.after(5_000, () => c.send(new Uint8Array(100_000)));
      }
    });
    sim.run({ until: 20_000 });
  });
  // User timeout: the peer vanishes while data is outstanding.
  await recorded('user timeout', () => {
    const { sim, link, a, b } = pair(8);
    b.listen({ port: 80 });
    const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
    c.setUserTimeout(3_000);
    sim.run({ until: 100 });
    link.setDropFilter(() => true);
    c.send(new Uint8Array(2000));
    sim.run({ until: 60_000 });
    assert.equal(c.state, 'CLOSED');
  });
  // ICMP: port unreachable during a connect; a soft error then a timeout (reported instead of ETIMEDOUT).
  await recorded('icmp unreachable', () => {
    const { sim, link, a, ia } = pair(9);
    const fromA: Uint8Array[] = [];
    link.tap((ev) => ev.kind === 'send' && ev.from === 'a' && void fromA.push(ev.packet.slice()));
    link.setDropFilter(() => true);
    const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
    sim.run({ until: 5 });
    a.receivePacket(buildIpv4Icmp(v4('10.0.0.2'), v4('10.0.0.1'), icmpv4PortUnreachable(fromA[0]!)), ia);
    assert.equal(c.state, 'CLOSED');
  });
  await recorded('icmp soft error, then timeout', () => {
    const { sim, link, a, b, ia } = pair(10, { dataRetries: 3 });
    b.listen({ port: 80 });
    const fromA: Uint8Array[] = [];
    link.tap((ev) => ev.kind === 'send' && ev.from === 'a' && void fromA.push(ev.packet.slice()));
    const c = a.connect({ remoteAddress: '10.0.0.2', remotePort: 80 });
    sim.run({ until: 100 });
    link.setDropFilter(() => true);
    c.send(new Uint8Array(500));
    sim.run({ until: 150 });
    a.receivePacket(buildIpv4Icmp(v4('10.0.0.2'), v4('10.0.0.1'), icmpv4DestinationUnreachable(1, fromA.at(-1)!)), ia);
    sim.run({ until: 600_000 });
    assert.equal(c.state, 'CLOSED');
  });
  // Packet Too Big from a router with a smaller next hop (RFC 1191, RFC 8201): resend smaller, cwnd unchanged.
  for (const family of [4, 6] as const) {
    await recorded(`path MTU IPv${family}`, async () => {
      const net = new SimNetwork({ seed: 21 + family });
      const a = net.host(`p${family}a`);
      const r = net.host(`p${family}r1`, { forwarding: true });
      const r2 = net.host(`p${family}r2`, { forwarding: true });
      const b = net.host(`p${family}b`);
      net.connect(a, r, { latency: 2, ipv6: true });
      net.connect(r, r2, { latency: 2, ipv6: true, mtu: family === 4 ? 1000 : 1280 });
      net.connect(r2, b, { latency: 2, ipv6: true });
      for (const d of ['default', 'default6']) {
        a.route(d, r);
        b.route(d, r2);
      }
      r.route(family === 4 ? '10.0.2.0/24' : 'fd00:0:0:2::/64', r2);
      r2.route(family === 4 ? '10.0.0.0/24' : 'fd00::/64', r);
      let received = 0;
      b.net.createServer((s) => s.on('data', (d: Buffer) => (received += d.length))).listen(9);
      const sock = a.net.connect(9, family === 4 ? b.address : b.address6, () => sock.end(Buffer.alloc(50_000, 3)));
      await net.runUntil(() => received === 50_000, { timeout: 60_000 });
    });
  }
  // The engine's drop rules and answers, segment by segment.
  engineCases();
}

/** Segments fed straight to a Connection: the discards and answers no simulated run produces reliably. */
function engineCases(): void {
  const ts = { timestamps: true, windowScaling: false };
  // PAWS (RFC 7323 §5.3) and a missing timestamp (RFC 7323 §3.2).
  {
    const c = newConnection({ config: ts });
    c.open(0, 'active');
    recvAll(c, 0);
    observeEngine(c, 'paws');
    feed(c, 100, { flags: 'SYN,ACK', seq: PEER_ISS, ack: ISS + 1, options: { mss: 1460, timestamp: { value: 1000, echo: 0 } } });
    recvAll(c, 100);
    feed(c, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, data: 'x', options: { timestamp: { value: 900, echo: 0 } } });
    feed(c, 210, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, data: 'x' });
    recvAll(c, 210);
  }
  const { c } = established();
  observeEngine(c, 'established');
  const t = 200;
  feed(c, t, { flags: 'SYN', seq: PEER_ISS + 1 }); // RFC 5961 §4.2
  feed(c, t + 1, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 500 }); // ACK of unsent data
  feed(c, t + 2, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS - 100_000 }); // too old
  feed(c, t + 3, { flags: '', seq: PEER_ISS + 1, data: 'x' }); // no ACK bit
  feed(c, t + 4, { flags: 'RST', seq: PEER_ISS + 100 }); // in window, not RCV.NXT
  feed(c, t + 5, { flags: 'ACK', seq: PEER_ISS + 1_000_000, ack: ISS + 1, data: 'x' }); // outside the window
  recvAll(c, t + 5);
  // SYN-SENT: an unacceptable ACK, a RST without an acceptable ACK, neither SYN nor RST.
  {
    const { c: s } = synSent();
    observeEngine(s, 'syn-sent');
    feed(s, 10, { flags: 'ACK', seq: PEER_ISS, ack: ISS + 50 });
    feed(s, 11, { flags: 'RST', seq: PEER_ISS });
    feed(s, 12, { flags: '', seq: PEER_ISS, data: 'x' });
    recvAll(s, 12);
  }
}

// ───────────────────────────── the tests ─────────────────────────────

test('section headings are parsed from both RFC formats', () => {
  const c = rfcs();
  assert.ok(c.sections.get(9293)!.has('3.10.7.4'), 'RFC 9293 (v3): 3.10.7.4.  Other States');
  assert.ok(c.sections.get(9293)!.has('A.2'), 'RFC 9293 appendix A.2');
  assert.ok(c.sections.get(1122)!.has('4.2.3.9'), 'RFC 1122 (paginated, indented): 4.2.3.9  ICMP Messages');
  assert.ok(c.sections.get(2018)!.has('5.1'), 'RFC 2018: "5.1  Congestion Control Issues"');
  assert.ok(c.sections.get(1191)!.has('6.4'), 'RFC 1191: "6.4. TCP layer actions"');
  assert.ok(c.sections.get(8985)!.has('7.4.1'));
  assert.ok(!c.sections.get(6298)!.has('5.4'), 'RFC 6298 numbers the steps of §5, not sections');
  assert.ok(!c.sections.get(9293)!.has('3.10.7.5'));
  assert.ok(unsectioned(c, 768) && unsectioned(c, 792), 'RFC 768 and RFC 792 have no numbered sections');
  // The checker itself.
  assert.equal(checkRule(c, 'RFC 9293 §3.10.7.4 — ok'), undefined);
  assert.match(checkRule(c, 'RFC 9293 §3.10.7.4. — stray dot') ?? '', /stray dot/);
  assert.match(checkRule(c, 'RFC 6298 §5.4 — not a heading') ?? '', /no section 5\.4/);
  assert.match(checkRule(c, 'RFC 5461 — outside the collection first') ?? '', /not in the collection/);
  assert.match(checkRule(c, 'RFC 5681 — no section') ?? '', /without a section/);
  assert.equal(checkRule(c, 'RFC 792 — ICMP, no sections'), undefined);
  assert.equal(checkRule(c, 'RFC 1122 §4.2.3.9 / RFC 5461 — secondary outside the collection'), undefined);
  assert.match(checkRule(c, 'RFC 9438 §4.10 / RFC 5681 §3.1 — then (§4.9.9)') ?? '', /§4\.9\.9 \(of RFC 5681\)/);
  assert.match(checkRule(c, 'no citation') ?? '', /does not start/);
});

test('every rule of every trace event cites a section that exists in ../shared/rfc', async (t) => {
  const c = rfcs();
  await runEverything();
  t.diagnostic(`${seen.size} distinct rules seen`);
  const bad: string[] = [];
  for (const [rule, where] of seen) {
    const why = checkRule(c, rule);
    if (why !== undefined) bad.push(`${why}: "${rule}" (${where})`);
  }
  assert.deepEqual(bad, [], `${bad.length} of ${seen.size} rules do not resolve`);

  // Not vacuous: a broad set of rules, including the ones each part of the issue names.
  assert.ok(seen.size >= 100, `only ${seen.size} distinct rules seen`);
  const cited = (re: RegExp, what: string): void => assert.ok([...seen.keys()].some((r) => re.test(r)), `no rule ${what} (${re})`);
  cited(/^RFC 6675 §5 — SACK/, 'entering recovery by SACK');
  cited(/^RFC 8985 §6\.2 — RACK/, 'entering recovery by RACK');
  cited(/^RFC 5681 §3\.2 — third duplicate ACK/, 'entering recovery by duplicate ACKs');
  cited(/^RFC 6675 §5\.1 \/ RFC 6298 §5 \(5\.4\)/, 'entering RTO recovery');
  cited(/^RFC 6582 §3\.2 \/ RFC 6675 §5 — the cumulative ACK covers RecoveryPoint/, 'leaving fast recovery');
  cited(/^RFC 6298 §5 \(5\.4\) — the retransmission timer expired/, 'the RTO firing');
  cited(/^RFC 8985 §7\.3 — probe timeout expired/, 'the TLP firing');
  cited(/^RFC 8985 §6\.2 — the reorder timer expired/, 'the RACK reorder timer firing');
  cited(/^RFC 9438 §4\.6/, 'CUBIC multiplicative decrease');
  cited(/^RFC 5681 §3\.2 — loss detected/, 'the Reno loss response');
  cited(/^RFC 5681 §3\.1 — retransmission timeout: ssthresh/, 'the RTO collapse to 1 SMSS');
  cited(/^RFC 6582 §3\.2 — full ACK ends fast recovery/, 'NewReno deflation');
  cited(/^RFC 5681 §4\.1/, 'the idle restart');
  cited(/^RFC 1191 §6\.4 \/ RFC 8201 §5\.4 — path MTU lowered/, 'Packet Too Big');
  cited(/^RFC 8200 §5 \/ RFC 8201 §5\.4 — path MTU lowered/, 'Packet Too Big over IPv6');
  cited(/^RFC 9293 §3\.8\.6\.1 — persist timer expired/, 'the persist timer');
  cited(/^RFC 9293 §3\.8\.4 — keep-alive timer expired/, 'keep-alive');
  cited(/^RFC 9293 §3\.8\.4 \/ RFC 1122 §4\.2\.3\.6 — keep-alive probes unanswered/, 'keep-alive timeout');
  cited(/^RFC 9293 §3\.10\.8 USER TIMEOUT/, 'the user timeout');
  cited(/^RFC 9293 §3\.10\.8 — TIME-WAIT timeout/, 'TIME-WAIT expiry');
  cited(/^RFC 9293 §3\.10\.7\.4 — TIME-WAIT: the FIN came again/, 'TIME-WAIT restart');
  cited(/^RFC 1122 §4\.2\.3\.2 — in-order text: delay the ACK/, 'the delayed ACK');
  cited(/^RFC 5961 §3\.2 — RST in window/, 'the RST challenge ACK');
  cited(/^RFC 5961 §4\.2 — SYN in a synchronized state/, 'the SYN challenge ACK');
  cited(/^RFC 7323 §5\.3 R1 — PAWS/, 'PAWS');
  cited(/^RFC 9293 §3\.10\.7\.4 \/ RFC 5961 §5 — ACK of something not yet sent/, 'an ACK of unsent data');
  cited(/^RFC 1122 §4\.2\.3\.9 \/ RFC 5461/, 'an ICMP error during a connect');
  cited(/; RFC 1122 §4\.2\.3\.9 — report the last ICMP soft error/, 'a soft error reported at the timeout');
  // The stack's own drops carry rules too (src/stack/drop-rules.ts).
  cited(/^RFC 4987 §2\.2 — the SYN queue/, 'a SYN dropped by the full SYN queue');
});

test('lost-data: the rules at the retransmission name RFC 6675, RFC 5681 and RFC 8985', () => {
  const run = runDemo('lost-data', { details: true });
  const timeline = run.timeline!;
  const first = timeline.findIndex((e) => e.type === 'send' && e.host === 'client' && /RFC 6675 §5 \(C\.1\)/.test(e.rule ?? ''));
  assert.ok(first > 0, 'a fast retransmission');
  const at = timeline[first]!.t;
  const rules = timeline.filter((e) => e.t === at && e.host === 'client' && 'rule' in e).map((e) => ('rule' in e ? e.rule ?? '' : '')).join('\n');
  for (const rfc of ['RFC 6675', 'RFC 5681', 'RFC 8985']) assert.ok(rules.includes(rfc), `${rfc} among:\n${rules}`);
  // The retransmitted segment's own rule names all three (what `demo lost-data --explain` prints at its arrow).
  const own = timeline[first]!.type === 'send' ? (timeline[first] as { rule?: string }).rule ?? '' : '';
  for (const rfc of ['RFC 6675', 'RFC 5681', 'RFC 8985']) assert.ok(own.includes(rfc), `${rfc} in the retransmission's rule: ${own}`);
});

// ───────────────────────────── the static check ─────────────────────────────

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('every "RFC N §S" in src/ naming an RFC of the collection resolves (comments included)', () => {
  const c = rfcs();
  const src = path.join(ROOT, 'src');
  assert.ok(fs.existsSync(src), `${src} (the static check reads the TypeScript sources)`);
  const bad: string[] = [];
  let checked = 0;
  for (const file of sourceFiles(src)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(CITATION)) {
        const rfc = Number(m[1]);
        const sec = m[2];
        if (!c.sections.has(rfc) || sec === undefined) continue;
        checked++;
        const where = `${path.relative(ROOT, file)}:${i + 1}`;
        if (sec === '' || !c.sections.get(rfc)!.has(sec)) bad.push(`${where}: RFC ${rfc} has no section ${sec}`);
        // In a comment a dot after the section may end the sentence; in code (a rule string) it is a typo.
        const comment = /^\s*(\*|\/\/|\/\*)/.test(line) || line.lastIndexOf('//', m.index) >= 0;
        if (m[3] !== undefined && !comment) bad.push(`${where}: "RFC ${rfc} §${sec}." has a stray dot`);
      }
    });
  }
  assert.ok(checked > 300, `only ${checked} citations found in src/`);
  assert.deepEqual(bad, [], bad.join('\n'));
});
