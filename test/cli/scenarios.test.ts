import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo, SCENARIOS, type DemoEvent, type DemoRun } from '../../src/cli/demo-scenarios.js';

type Seg = Extract<DemoEvent, { flags: string }>;
type State = Extract<DemoEvent, { type: 'state' }>;

const segs = (events: DemoEvent[], type?: Seg['type'], host?: string): Seg[] =>
  events.filter((e): e is Seg => 'flags' in e && (type === undefined || e.type === type) && (host === undefined || e.host === host));
const statesOf = (events: DemoEvent[], host: string): State[] =>
  events.filter((e): e is State => e.type === 'state' && e.host === host && e.spoofed === undefined);
const lastState = (events: DemoEvent[], host: string): string | undefined => statesOf(events, host).at(-1)?.to;
const u32 = (n: number): number => n >>> 0;

/** The fixture lives in the source tree; the compiled test may run from dist/ or any other outDir. */
function fixture(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'test', 'cli', 'fixtures', name);
    if (fs.existsSync(candidate) && fs.existsSync(path.join(dir, 'package.json'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`fixture ${name} not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

const OLD = ['handshake', 'close', 'half-close', 'simultaneous-open', 'simultaneous-close', 'refused', 'lost-syn'];
const NEW = ['time-wait', 'lost-data', 'zero-window', 'keepalive', 'syn-flood', 'rst'];

test('the foundation scenarios are unchanged, event for event (golden JSON taken before the new scenarios)', () => {
  const golden = JSON.parse(fs.readFileSync(fixture('demo-scenarios-golden.json'), 'utf8')) as Record<string, DemoRun>;
  for (const seed of [1, 7]) {
    for (const name of OLD) {
      const want = golden[`${name}@${seed}`];
      assert.ok(want, `${name}@${seed} in the fixture`);
      assert.deepEqual(JSON.parse(JSON.stringify(runDemo(name, { seed }))), want, `${name} seed ${seed}`);
    }
  }
});

test('every scenario is listed, titled, and deterministic for a seed', () => {
  assert.deepEqual(Object.keys(SCENARIOS), [...OLD, ...NEW]);
  for (const name of NEW) {
    const a = runDemo(name, { seed: 3 });
    assert.ok(a.title.length > 20, `${name} has a title`);
    assert.deepEqual(runDemo(name, { seed: 3 }), a, `${name}: same seed, same events`);
    assert.ok(a.events.length <= 60, `${name}: ${a.events.length} events, a readable diagram`);
    for (const host of ['client', 'server']) assert.ok(a.events.some((e) => e.host === host), `${name}: events for the ${host}`);
    // Events are in time order, and a 'lost' event follows the 'send' of the same segment.
    for (let i = 1; i < a.events.length; i++) assert.ok(a.events[i]!.t >= a.events[i - 1]!.t, `${name}: event ${i} in time order`);
    for (const [i, e] of a.events.entries()) {
      if (e.type !== 'lost') continue;
      const send = a.events[i - 1];
      assert.ok(send?.type === 'send' && send.host === e.host && send.seq === e.seq && send.flags === e.flags && send.t === e.t, `${name}: lost event ${i} follows its send`);
      assert.ok(e.reason, `${name}: lost event ${i} says why`);
    }
  }
  assert.notDeepEqual(runDemo('syn-flood', { seed: 3 }).events, runDemo('syn-flood', { seed: 4 }).events);
});

const SEEDS = [1, 2, 7];

test('time-wait: the last ACK is lost, the FIN comes twice, TIME-WAIT ACKs it again and restarts 2×MSL', () => {
  for (const seed of SEEDS) {
    const { events } = runDemo('time-wait', { seed });
    const fins = segs(events, 'recv', 'client').filter((e) => e.flags.includes('FIN'));
    assert.equal(fins.length, 2, 'the server FIN arrives twice');
    assert.equal(fins[0]!.seq, fins[1]!.seq, 'the second is a retransmission');
    const lost = segs(events, 'lost');
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.host, 'client');
    assert.equal(lost[0]!.flags, 'ACK');
    assert.equal(lost[0]!.ack, u32(fins[0]!.seq + 1), 'the lost segment is the ACK of the FIN');
    const acks = segs(events, 'send', 'client').filter((e) => e.flags === 'ACK' && e.ack === u32(fins[0]!.seq + 1));
    assert.equal(acks.length, 2, 'the FIN is acknowledged twice');
    assert.match(acks[1]!.rule!, /TIME-WAIT: retransmitted FIN → ACK it, restart 2 MSL timer/);
    assert.ok(acks[1]!.t > fins[0]!.t, 'the second ACK answers the second FIN');
    // The client was in TIME-WAIT when it answered, and stays there 2×MSL from that answer.
    const tw = statesOf(events, 'client').filter((e) => e.to === 'TIME-WAIT' || e.from === 'TIME-WAIT');
    assert.equal(tw.length, 2);
    assert.ok(tw[0]!.t < acks[1]!.t && acks[1]!.t < tw[1]!.t);
    assert.equal(tw[1]!.t - acks[1]!.t, 60_000, '2×MSL restarted by the second FIN');
    assert.equal(lastState(events, 'client'), 'CLOSED');
    assert.equal(lastState(events, 'server'), 'CLOSED');
    assert.deepEqual(statesOf(events, 'server').slice(-2).map((e) => e.to), ['LAST-ACK', 'CLOSED']);
    assert.ok(!events.some((e) => e.type === 'error'));
  }
});

test('lost-data: two segments lost, SACK reports them, fast retransmit under RFC 6675/8985 rules, every byte delivered', () => {
  for (const seed of SEEDS) {
    const { events } = runDemo('lost-data', { seed });
    const lost = segs(events, 'lost');
    assert.equal(lost.length, 2);
    const data = segs(events, 'send', 'client').filter((e) => e.len > 0);
    const rtx = data.filter((e) => lost.some((l) => l.seq === e.seq) && e.rule !== lost.find((l) => l.seq === e.seq)!.rule);
    const retransmissions = data.filter((e, i) => data.findIndex((d) => d.seq === e.seq) !== i);
    assert.equal(retransmissions.length, 2, 'each lost segment is resent once');
    assert.deepEqual(retransmissions.map((e) => e.seq).sort(), lost.map((e) => e.seq).sort());
    assert.ok(rtx.length >= 2);
    for (const r of retransmissions) assert.match(r.rule!, /RFC 6675|RFC 8985/);
    // Fast, not after a timeout: within a couple of round trips of the loss.
    for (const r of retransmissions) assert.ok(r.t - lost[0]!.t < 100, `retransmitted at ${r.t}`);
    // The receiver's duplicate ACKs carry SACK blocks above the holes.
    const sacks = segs(events, 'send', 'server').filter((e) => e.sack !== undefined);
    assert.ok(sacks.length >= 3);
    const total = data.filter((e, i) => data.findIndex((d) => d.seq === e.seq) === i).reduce((n, e) => n + e.len, 0);
    assert.equal(total, 8 * 1448);
    const lastAck = segs(events, 'recv', 'client').at(-1)!;
    assert.equal(lastAck.relAck, total + 1, 'everything acknowledged');
    assert.ok(!events.some((e) => e.type === 'error'));
  }
});

test('zero-window: the window closes, persist probes back off, the transfer completes when the reader resumes', () => {
  for (const seed of SEEDS) {
    const { events } = runDemo('zero-window', { seed });
    const zero = segs(events, 'recv', 'client').filter((e) => e.win === 0);
    assert.ok(zero.length >= 1, 'window 0 seen by the sender');
    const probes = segs(events, 'send', 'client').filter((e) => /persist timer fired, send window probe/.test(e.rule ?? ''));
    assert.ok(probes.length >= 3, `${probes.length} probes`);
    const gaps = probes.slice(1).map((p, i) => p.t - probes[i]!.t);
    for (let i = 1; i < gaps.length; i++) assert.equal(gaps[i], 2 * gaps[i - 1]!, 'the probe interval doubles');
    for (const p of probes) assert.equal(p.len, 0);
    // Each probe is answered, still with a zero window, until the reader resumes.
    const answers = segs(events, 'send', 'server').filter((e) => probes.some((p) => e.t === p.t + 10));
    assert.equal(answers.length, probes.length);
    for (const a of answers) assert.equal(a.win, 0);
    const update = segs(events, 'send', 'server').find((e) => e.t > probes.at(-1)!.t && e.win > 0);
    assert.ok(update, 'a window update after the reader resumes');
    const data = segs(events, 'send', 'client').filter((e) => e.len > 0);
    assert.equal(data.reduce((n, e) => n + e.len, 0), 8192);
    assert.ok(data.some((e) => e.t > update.t), 'data flows again after the update');
    assert.equal(segs(events, 'recv', 'client').at(-1)!.relAck, 8193);
  }
});

test('keepalive: probes answered while the peer is there, then unanswered until ETIMEDOUT', () => {
  for (const seed of SEEDS) {
    const { events } = runDemo('keepalive', { seed });
    const probes = segs(events, 'send', 'client').filter((e) => /keep-alive/.test(e.rule ?? ''));
    assert.equal(probes.length, 5);
    for (const p of probes) {
      assert.equal(p.len, 0);
      assert.equal(p.relSeq, 0, 'SEG.SEQ = SND.NXT − 1');
    }
    const lost = segs(events, 'lost');
    const answered = probes.filter((p) => !lost.some((l) => l.t === p.t));
    assert.equal(answered.length, 2);
    for (const p of answered) assert.ok(segs(events, 'send', 'server').some((a) => a.t === p.t + 10 && a.flags === 'ACK'));
    assert.equal(lost.length, 3);
    assert.ok(lost.every((l) => l.host === 'client'));
    assert.deepEqual(lost.slice(1).map((l, i) => l.t - lost[i]!.t), [1000, 1000]);
    const err = events.filter((e) => e.type === 'error');
    assert.deepEqual(err.map((e) => `${e.host} ${e.type === 'error' ? e.code : ''}`), ['client ETIMEDOUT']);
    assert.equal(err[0]!.t - lost.at(-1)!.t, 1000);
    assert.equal(lastState(events, 'client'), 'CLOSED');
    assert.match(statesOf(events, 'client').at(-1)!.rule, /keep-alive probes unanswered/);
  }
});

test('syn-flood: spoofed SYNs fill the SYN queue, the real SYN is dropped (syn-queue-full) until the half-open entries expire', () => {
  for (const seed of SEEDS) {
    const run = runDemo('syn-flood', { seed });
    const { events } = run;
    assert.match(run.title, /SYN cookies/);
    assert.match(run.title, /RFC 4987/);
    const forged = segs(events, 'send', 'client').filter((e) => e.forged);
    assert.equal(forged.length, 4);
    assert.equal(new Set(forged.map((e) => e.spoofed)).size, 4, 'four different spoofed sources');
    for (const f of forged) assert.ok(f.flags === 'SYN' && f.spoofed && !f.spoofed.startsWith('10.0.0.1:') && !f.spoofed.startsWith('10.0.0.2:'));
    // The server answers each with SYN,ACKs nobody acknowledges.
    const synAcks = segs(events, 'send', 'server').filter((e) => e.spoofed !== undefined);
    assert.equal(synAcks.length, 8, 'a SYN,ACK and one retransmission per spoofed SYN');
    assert.equal(segs(events, 'lost').filter((e) => e.spoofed !== undefined).length, 8);
    // The legitimate client's SYNs are dropped by the full queue, twice, then one gets through.
    const real = segs(events, 'send', 'client').filter((e) => e.flags === 'SYN' && !e.forged);
    assert.equal(real.length, 3);
    assert.equal(new Set(real.map((e) => e.seq)).size, 1, 'the same SYN, resent');
    const dropped = segs(events, 'lost', 'client').filter((e) => e.flags === 'SYN');
    assert.equal(dropped.length, 2);
    for (const d of dropped) assert.match(d.reason!, /^syn-queue-full/);
    const expired = events.filter((e) => e.type === 'state' && e.spoofed !== undefined && e.to === 'CLOSED');
    assert.equal(expired.length, 4);
    assert.ok(expired.every((e) => e.t < real[2]!.t + 10), 'the third SYN arrives after the half-open entries expired');
    assert.equal(lastState(events, 'client'), 'ESTABLISHED');
    assert.equal(lastState(events, 'server'), 'ESTABLISHED');
    assert.ok(real[2]!.t - real[0]!.t >= 3000, 'the client waited seconds to connect');
  }
});

test('rst: challenge ACK for an in-window blind RST, an out-of-window one dropped, ABORT gives the peer ECONNRESET', () => {
  for (const seed of SEEDS) {
    const { events } = runDemo('rst', { seed });
    const forged = segs(events, 'send', 'client').filter((e) => e.forged);
    assert.equal(forged.length, 2);
    for (const f of forged) assert.equal(f.flags, 'RST');
    const [inWindow, outside] = forged as [Seg, Seg];
    assert.equal(inWindow.relSeq, 1001, 'inside the window, not at RCV.NXT');
    const challenge = segs(events, 'send', 'server').find((e) => /RFC 5961 §3\.2/.test(e.rule ?? ''));
    assert.ok(challenge, 'a challenge ACK');
    assert.equal(challenge.t, inWindow.t + 10);
    assert.equal(challenge.flags, 'ACK');
    assert.equal(challenge.relAck, 1, 'it carries RCV.NXT');
    const lost = segs(events, 'lost');
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.seq, outside.seq);
    assert.match(lost[0]!.reason!, /outside the receive window/);
    assert.ok(!segs(events, 'send', 'server').some((e) => e.t === outside.t + 10), 'no answer to the out-of-window RST');
    // The server survived both, and only the real ABORT resets it.
    const serverStates = statesOf(events, 'server');
    assert.deepEqual(serverStates.map((e) => e.to), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSED']);
    const abort = segs(events, 'send', 'client').filter((e) => !e.forged && e.flags.includes('RST'));
    assert.equal(abort.length, 1);
    assert.match(abort[0]!.rule!, /ABORT/);
    assert.ok(serverStates.at(-1)!.t === abort[0]!.t + 10);
    const errors = events.filter((e): e is Extract<DemoEvent, { type: 'error' }> => e.type === 'error');
    assert.deepEqual(errors.map((e) => `${e.host} ${e.code}`), ['server ECONNRESET']);
    assert.equal(lastState(events, 'client'), 'CLOSED');
  }
});
