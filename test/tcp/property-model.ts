/**
 * The model shared by the property tests (./property.test.ts with the PLAIN_RFC9293 config and
 * ./ext/property-full.test.ts with the full default config): two Connections joined by a model channel
 * that drops, duplicates, reorders and delays segments as fast-check chooses, with explicit time and
 * timeouts. After every step:
 *   - SND.UNA ≤ SND.NXT (mod 2^32) at both ends;
 *   - what each application has read is a prefix of what the other wrote (no byte twice, none out of
 *     order, none invented);
 *   - no data byte beyond the right edge a receiver has advertised is ever accepted;
 *   - whatever ModelOptions.checkSegment checks on every segment put on the wire;
 *   - no connection fails (no reset, no timeout).
 * Then a lossless tail runs the clock until all data has arrived and both ends are CLOSED or TIME-WAIT.
 *
 * This file defines no tests (node's test runner loads it as an empty test file).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TcpConfig } from '../../src/tcp/config.js';
import { Connection } from '../../src/tcp/connection.js';
import type { Reassembler } from '../../src/tcp/reassembler.js';
import { seqGt, seqLe } from '../../src/tcp/seq.js';
import type { TcpState } from '../../src/tcp/state.js';
import { ACK, FIN, PSH, RST, SYN, type TcpSegment } from '../../src/wire/types.js';

export type SideId = 0 | 1;

export interface Side {
  id: SideId;
  c: Connection;
  addr: string;
  data: Uint8Array;
  written: number;
  read: number;
  closeCalled: boolean;
  /** Highest right edge (SEG.ACK + SEG.WND) this side has put on the wire. */
  edge: number | undefined;
  errors: string[];
}

export interface World {
  now: number;
  sides: [Side, Side];
  /** Segments in flight, addressed to a side. */
  channel: Array<{ to: SideId; seg: TcpSegment }>;
  steps: number;
}

export type Cmd =
  | { k: 'deliver'; i: number }
  | { k: 'drop'; i: number }
  | { k: 'dup'; i: number }
  | { k: 'tick'; dt: number }
  | { k: 'write'; side: SideId; n: number }
  | { k: 'read'; side: SideId; n: number }
  | { k: 'close'; side: SideId };

export interface Scenario {
  issA: number;
  issB: number;
  sizeA: number;
  sizeB: number;
  seed: number;
  mss: number;
  rcvBuf: number;
  sndBuf: number;
  cmds: Cmd[];
}

function bytesFrom(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const other = (id: SideId): SideId => (id === 0 ? 1 : 0);

function deliver(w: World, i: number): void {
  const [p] = w.channel.splice(i, 1);
  const to = w.sides[p!.to];
  const from = w.sides[other(p!.to)];
  // Duplicates must not share the payload either.
  to.c.handleSegment({ ...p!.seg, payload: p!.seg.payload.slice() }, w.now, { address: from.addr });
}

function runTimers(w: World): void {
  for (const s of w.sides) {
    const t = s.c.pollTimeout();
    if (t !== undefined && t <= w.now) s.c.handleTimeout(w.now);
  }
}

const WRITABLE: TcpState[] = ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT'];

function write(w: World, s: Side, n: number): void {
  if (s.closeCalled || s.written >= s.data.length || !WRITABLE.includes(s.c.state)) return;
  const chunk = s.data.subarray(s.written, Math.min(s.data.length, s.written + n));
  s.written += s.c.send(chunk, w.now);
}

function read(w: World, s: Side, n: number): void {
  if (s.c.readableLength === 0) return;
  const got = s.c.receive(n);
  const peer = w.sides[other(s.id)];
  assert.ok(s.read + got.length <= peer.written, `${s.id} read ${s.read + got.length} bytes, peer wrote ${peer.written}`);
  assert.deepStrictEqual(
    Buffer.from(got),
    Buffer.from(peer.data.subarray(s.read, s.read + got.length)),
    `side ${s.id}: bytes ${s.read}..${s.read + got.length} differ from what was sent`,
  );
  s.read += got.length;
}

function close(w: World, s: Side): void {
  if (s.closeCalled || s.written < s.data.length) return;
  const st = s.c.state;
  // A passive end may close while still in SYN-RECEIVED; the active end waits for ESTABLISHED.
  if (st === 'ESTABLISHED' || st === 'CLOSE-WAIT' || (st === 'SYN-RECEIVED' && s.c.passive)) {
    s.c.close(w.now);
    s.closeCalled = true;
  }
}

function checkInvariants(w: World): void {
  for (const s of w.sides) {
    const st = s.c.snapshot();
    assert.ok(seqLe(st.sndUna, st.sndNxt), `side ${s.id}: SND.UNA ${st.sndUna} > SND.NXT ${st.sndNxt}`);
    assert.deepStrictEqual(s.errors, [], `side ${s.id} failed`);
    if (st.state === 'CLOSED' || st.state === 'LISTEN' || st.state === 'SYN-SENT') continue;
    // Data accepted so far: in order up to RCV.NXT (less the FIN), and the out-of-order ranges.
    const dataEnd = (st.rcvNxt - (s.c.peerFinished ? 1 : 0)) >>> 0;
    const accepted = s.c.stats.bytesReceived;
    const ranges = (s.c as unknown as { reassembler: Reassembler }).reassembler.ranges();
    if (accepted > 0 || ranges.length > 0) {
      assert.ok(s.edge !== undefined, `side ${s.id} accepted data before advertising any window`);
      assert.ok(seqLe(dataEnd, s.edge), `side ${s.id}: accepted up to ${dataEnd}, beyond advertised edge ${s.edge}`);
      for (const r of ranges) assert.ok(seqLe(r.right, s.edge), `side ${s.id}: holds [${r.left}, ${r.right}) beyond edge ${s.edge}`);
    }
  }
}

export const FINAL: TcpState[] = ['CLOSED', 'TIME-WAIT'];

function finished(w: World): boolean {
  return w.sides.every((s) => s.read === w.sides[other(s.id)].data.length && FINAL.includes(s.c.state));
}

const side = fc.constantFrom<SideId>(0, 1);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('deliver' as const), i: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('drop' as const), i: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dup' as const), i: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('tick' as const), dt: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('write' as const), side, n: fc.integer({ min: 1, max: 5000 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('read' as const), side, n: fc.integer({ min: 1, max: 5000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), side }) },
);

export const u32 = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([h, l]) => h * 0x10000 + l);

export interface ModelOptions {
  /** Spread under the model's own settings (buffer sizes, retries, maxRto, maxPersistInterval). */
  baseConfig: Partial<TcpConfig>;
  /** The receive buffer sizes scenario() chooses from. */
  rcvBufs: readonly number[];
  /**
   * Whether the advertised edge scales the window field of non-SYN segments by the sender's
   * Rcv.Wind.Shift (RFC 7323 §2.3). When false the raw window field is used.
   */
  scaleWindow: boolean;
  /** Extra checks on every segment a side puts on the wire, before the model records its window. */
  checkSegment?: (s: Side, seg: TcpSegment) => void;
  /**
   * The network between the sides: called for every segment a side puts on the wire (after its window
   * is recorded); returning false drops it before it reaches the channel. It may feed the sender ICMP.
   */
  network?: (w: World, s: Side, seg: TcpSegment) => boolean;
  /** Extra checks at the end of run(), for each side after the model's own end-of-run assertions. */
  afterRunSide?: (s: Scenario, x: Side) => void;
  /** Called once at the end of every successful run(). */
  afterRun?: (s: Scenario, w: World) => void;
  /**
   * TSO: both connections may send segments of up to this many data bytes (Connection.setSendOffload);
   * the model's "link" then cuts each into wire segments of lastTransmitSegmentSize, as Linux's GSO
   * does (SEQ advanced, FIN and PSH on the last piece only), before they enter the channel.
   */
  sendOffload?: number;
  /** Sees every segment a connection returns from pollTransmit, before it is cut for the wire. */
  onTransmit?: (s: Side, seg: TcpSegment) => void;
}

/** A segment longer than `size` data bytes cut as a TSO link would (see ModelOptions.sendOffload). */
function cutForWire(seg: TcpSegment, size: number): TcpSegment[] {
  if (size <= 0 || seg.payload.length <= size) return [seg];
  const out: TcpSegment[] = [];
  for (let off = 0; off < seg.payload.length; off += size) {
    const last = off + size >= seg.payload.length;
    out.push({ ...seg, seq: (seg.seq + off) >>> 0, flags: last ? seg.flags : seg.flags & ~(FIN | PSH), payload: seg.payload.subarray(off, off + size) });
  }
  return out;
}

export function createModel(opts: ModelOptions) {
  function makeWorld(s: Scenario): World {
    const config = {
      ...opts.baseConfig,
      receiveBufferSize: s.rcvBuf,
      sendBufferSize: s.sndBuf,
      // The random phase may lose many segments in a row: only the lossless tail must finish the job.
      synRetries: 100,
      synAckRetries: 100,
      dataRetries: 100,
      maxRto: 4000,
      maxPersistInterval: 4000,
    };
    const a = new Connection({
      localAddress: '10.0.0.1',
      localPort: 49500,
      remoteAddress: '10.0.0.2',
      remotePort: 80,
      iss: s.issA,
      mss: s.mss,
      config,
    });
    const b = new Connection({ localAddress: '10.0.0.2', localPort: 80, iss: s.issB, mss: s.mss, config });
    if (opts.sendOffload !== undefined) {
      a.setSendOffload(opts.sendOffload);
      b.setSendOffload(opts.sendOffload);
    }
    b.open(0, 'passive');
    a.open(0, 'active');
    const side = (id: SideId, c: Connection, addr: string, data: Uint8Array): Side => ({
      id,
      c,
      addr,
      data,
      written: 0,
      read: 0,
      closeCalled: false,
      edge: undefined,
      errors: [],
    });
    const w: World = {
      now: 0,
      sides: [side(0, a, '10.0.0.1', bytesFrom(s.seed, s.sizeA)), side(1, b, '10.0.0.2', bytesFrom(s.seed ^ 0x5a5a5a5a, s.sizeB))],
      channel: [],
      steps: 0,
    };
    pump(w);
    return w;
  }

  /** Move every segment the connections want to send into the channel; drain their events. */
  function pump(w: World): void {
    for (const s of w.sides) {
      for (let out = s.c.pollTransmit(w.now); out !== undefined; out = s.c.pollTransmit(w.now)) {
       opts.onTransmit?.(s, out);
       for (const seg of cutForWire(out, s.c.lastTransmitSegmentSize)) {
        opts.checkSegment?.(s, seg);
        if (seg.flags & ACK && !(seg.flags & RST)) {
          // RFC 7323 §2.3 (when opts.scaleWindow): the window field of a non-SYN segment is scaled by the
          // sender's Rcv.Wind.Shift; otherwise the raw window field is taken as is.
          const wnd = opts.scaleWindow && !(seg.flags & SYN) ? seg.window * 2 ** s.c.rcvWscale : seg.window;
          const right = (seg.ack + wnd) >>> 0;
          if (s.edge === undefined || seqGt(right, s.edge)) s.edge = right;
        }
        if (opts.network !== undefined && !opts.network(w, s, seg)) continue;
        // Copy the payload: the wire does not share memory with the sender.
        w.channel.push({ to: other(s.id), seg: { ...seg, options: { ...seg.options }, payload: seg.payload.slice() } });
       }
      }
      for (let ev = s.c.pollEvent(); ev !== undefined; ev = s.c.pollEvent()) {
        if (ev.type === 'error') s.errors.push(`${ev.code} (${ev.rule})`);
      }
    }
  }

  function step(w: World, cmd: Cmd): void {
    w.steps++;
    switch (cmd.k) {
      case 'deliver':
        if (w.channel.length > 0) deliver(w, cmd.i % w.channel.length);
        break;
      case 'drop':
        if (w.channel.length > 0) w.channel.splice(cmd.i % w.channel.length, 1);
        break;
      case 'dup':
        if (w.channel.length > 0 && w.channel.length < 200) w.channel.push(w.channel[cmd.i % w.channel.length]!);
        break;
      case 'tick':
        w.now += cmd.dt;
        runTimers(w);
        break;
      case 'write':
        write(w, w.sides[cmd.side], cmd.n);
        break;
      case 'read':
        read(w, w.sides[cmd.side], cmd.n);
        break;
      case 'close':
        close(w, w.sides[cmd.side]);
        break;
    }
    pump(w);
    checkInvariants(w);
  }

  /** Lossless channel, applications that write, read and close as soon as they can; time jumps to timers. */
  function tail(w: World): void {
    for (let i = 0; i < 100_000; i++) {
      for (const s of w.sides) {
        write(w, s, Infinity);
        read(w, s, Infinity);
        close(w, s);
      }
      pump(w);
      checkInvariants(w);
      if (w.channel.length > 0) {
        deliver(w, 0);
        pump(w);
        checkInvariants(w);
        continue;
      }
      if (finished(w)) return;
      const timers = w.sides
        .filter((s) => !FINAL.includes(s.c.state))
        .map((s) => s.c.pollTimeout())
        .filter((t): t is number => t !== undefined);
      if (timers.length === 0) break;
      w.now = Math.max(w.now, Math.min(...timers));
      runTimers(w);
      pump(w);
      checkInvariants(w);
    }
    const desc = w.sides.map((s) => `side ${s.id}: ${s.c.state}, read ${s.read}/${w.sides[other(s.id)].data.length}`).join('; ');
    assert.fail(`the connection did not finish: ${desc}`);
  }

  function scenario(iss: fc.Arbitrary<[number, number]>): fc.Arbitrary<Scenario> {
    return fc.record({
      issA: iss.map(([a]) => a),
      issB: iss.map(([, b]) => b),
      sizeA: fc.integer({ min: 0, max: 20_000 }),
      sizeB: fc.integer({ min: 0, max: 8_000 }),
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
      mss: fc.constantFrom(100, 536, 1460),
      rcvBuf: fc.constantFrom(...opts.rcvBufs),
      sndBuf: fc.constantFrom(1000, 10_000, 262_144),
      cmds: fc.array(cmd, { minLength: 50, maxLength: 400 }),
    });
  }

  function run(s: Scenario): void {
    const w = makeWorld(s);
    checkInvariants(w);
    for (const c of s.cmds) step(w, c);
    tail(w);
    for (const x of w.sides) {
      assert.equal(x.read, w.sides[other(x.id)].data.length);
      assert.ok(FINAL.includes(x.c.state), `side ${x.id} ended in ${x.c.state}`);
      opts.afterRunSide?.(s, x);
    }
    opts.afterRun?.(s, w);
  }

  return { makeWorld, pump, step, tail, scenario, run };
}
