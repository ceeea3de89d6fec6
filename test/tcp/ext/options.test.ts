/**
 * SYN options and their negotiation: MSS (RFC 9293 §3.7.1), window scale (RFC 7323 §2), SACK-permitted
 * (RFC 2018 §2), timestamps (RFC 7323 §3); the scaling of windows after the SYNs (RFC 7323 §2.3) and
 * the data per segment once options ride on every segment (RFC 6691 §3, RFC 7323 §3.2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { windowShiftFor } from '../../../src/tcp/connection.js';
import { REMOTE, seg } from '../helpers.js';
import {
  ISS,
  MSS,
  OUR_WIN_FIELD,
  PEER_ISS,
  PEER_WIN_FIELD,
  SEG,
  expectNone,
  expectOut,
  extConnection,
  extEstablished,
  extListen,
  ours,
  out,
  pattern,
  peerSynOptions,
  peerTs,
  pfeed,
  tsOpt,
  type PeerOffer,
} from './helpers.js';

test('SYN carries MSS, window scale, SACK-permitted and timestamps; TSval = floor(now), TSecr 0', () => {
  const c = extConnection();
  c.open(1234.7, 'active');
  expectOut(c, 1234.7, [
    {
      flags: 'SYN',
      seq: ISS,
      ack: 0,
      win: 65535,
      options: { mss: MSS, windowScale: 7, sackPermitted: true, timestamp: { value: 1234, echo: 0 } },
    },
  ]);
});

test('offered shift = the smallest s with 65535·2^s ≥ receiveBufferSize, at most 14 (RFC 7323 §2.3)', () => {
  const cases: Array<[number, number]> = [
    [1000, 0],
    [65535, 0],
    [65536, 1],
    [131070, 1],
    [131071, 2],
    [262140, 2],
    [262141, 3],
    [4 * 1024 * 1024, 7],
    [65535 * 2 ** 14, 14],
    [2 ** 31, 14],
  ];
  for (const [buffer, shift] of cases) {
    assert.equal(windowShiftFor(buffer), shift, `windowShiftFor(${buffer})`);
    const c = extConnection({ config: { receiveBufferSize: buffer } });
    c.open(10, 'active');
    const [syn] = out(c, 10);
    assert.equal(syn!.options.windowScale, shift, `SYN offer for a ${buffer}-byte buffer`);
    // The SYN's own window is never scaled (RFC 7323 §2.2): the free buffer, at most 65535.
    assert.equal(syn!.window, Math.min(65535, buffer), `SYN window for a ${buffer}-byte buffer`);
  }
});

test('SYN,ACK echoes only the options the peer offered (RFC 7323 §1.3, RFC 2018 §2); MSS always', () => {
  const cases: Array<[string, PeerOffer, object]> = [
    ['MSS only', { wscale: null, sack: false, ts: false }, {}],
    ['window scale', { wscale: 3, sack: false, ts: false }, { windowScale: 7 }],
    ['SACK-permitted', { wscale: null, sack: true, ts: false }, { sackPermitted: true }],
    ['timestamps', { wscale: null, sack: false, ts: true }, { timestamp: { value: 500, echo: peerTs(500) } }],
    ['no MSS, all others', { mss: null }, { windowScale: 7, sackPermitted: true, timestamp: { value: 500, echo: peerTs(500) } }],
  ];
  for (const [name, offer, echoed] of cases) {
    const c = extListen();
    c.handleSegment(seg({ flags: 'SYN', seq: PEER_ISS, win: 20000, options: peerSynOptions(500, offer) }), 500, { address: REMOTE });
    expectOut(c, 500, [{ flags: 'SYN,ACK', seq: ISS, ack: PEER_ISS + 1, win: 65535, options: { mss: MSS, ...echoed } }], name);
    const st = c.snapshot();
    assert.equal(st.sackPermitted, offer.sack === true || offer.mss === null, `${name}: sackPermitted`);
    assert.equal(st.timestamps, offer.ts === true || offer.mss === null, `${name}: timestamps`);
    // Without an MSS option the peer's MSS is 536 (RFC 9293 §3.7.1).
    if (offer.mss === null) assert.equal(st.mss, 536);
  }
});

test('options disabled in the config are neither offered nor echoed, even when the peer offers them', () => {
  const config = { windowScaling: false, sack: false, timestamps: false };
  const c = extListen({ config });
  c.handleSegment(seg({ flags: 'SYN', seq: PEER_ISS, win: 20000, options: peerSynOptions(500) }), 500, { address: REMOTE });
  expectOut(c, 500, [{ flags: 'SYN,ACK', seq: ISS, ack: PEER_ISS + 1, win: 65535, options: { mss: MSS } }]);
  // Later segments: no TSopt, windows unscaled both ways (the peer's 16000 means 16000 bytes).
  c.handleSegment(seg({ flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, win: PEER_WIN_FIELD }), 600, { address: REMOTE });
  assert.equal(c.state, 'ESTABLISHED');
  const st = c.snapshot();
  assert.deepStrictEqual([st.sndWscale, st.rcvWscale, st.sackPermitted, st.timestamps, st.sndWnd], [0, 0, false, false, 16000]);
  c.send(pattern(10), 600);
  expectOut(c, 600, [{ flags: 'ACK,PSH', seq: ISS + 1, ack: PEER_ISS + 1, win: 65535, data: pattern(10) }]);
  const a = extConnection({ config });
  a.open(0, 'active');
  expectOut(a, 0, [{ flags: 'SYN', seq: ISS, ack: 0, win: 65535, options: { mss: MSS } }]);
});

test('window scaling needs both offers: the peer offers none → both shifts 0, our field = min(65535, free)', () => {
  const { c } = extEstablished({ peer: { wscale: null } });
  const st = c.snapshot();
  assert.deepStrictEqual([st.sndWscale, st.rcvWscale], [0, 0]);
  pfeed(c, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, win: 16000 });
  assert.equal(c.snapshot().sndWnd, 16000, 'the peer\'s window is not scaled');
  c.send(pattern(10), 300);
  expectOut(c, 300, [{ flags: 'ACK,PSH', seq: ISS + 1, ack: PEER_ISS + 1, win: 65535, options: ours(300, peerTs(200)), data: pattern(10) }]);
});

test('the SYN,ACK\'s window is not scaled; every later SEG.WND is shifted by Snd.Wind.Shift (RFC 7323 §2.3)', () => {
  const { c } = extEstablished({ peer: { win: 30000, wscale: 2 } });
  let st = c.snapshot();
  assert.equal(st.sndWscale, 2);
  assert.equal(st.sndWnd, 30000, 'SYN,ACK window taken as is');
  pfeed(c, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, win: 1000 });
  st = c.snapshot();
  assert.equal(st.sndWnd, 4000, '1000 << 2');
  // The sender honours the scaled window: 724 << 2 = 2896 bytes = two full segments.
  pfeed(c, 300, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, win: 724 });
  c.setNoDelay(true);
  c.send(pattern(10_000), 300);
  expectOut(c, 300, [
    { flags: 'ACK', seq: ISS + 1, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(300, peerTs(300)), data: pattern(SEG) },
    { flags: 'ACK', seq: ISS + 1 + SEG, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(300, peerTs(300)), data: pattern(10_000).subarray(SEG, 2 * SEG) },
  ]);
  expectNone(c, 300);
});

test('a shift above 14 is used as 14 (RFC 7323 §2.3)', () => {
  const { c } = extEstablished({ peer: { wscale: 15 } });
  assert.equal(c.snapshot().sndWscale, 14);
  pfeed(c, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, win: 1 });
  assert.equal(c.snapshot().sndWnd, 16384);
});

test('our window field: unscaled on SYN and SYN,ACK; afterwards ceil(RCV.WND / 2^Rcv.Wind.Shift)', () => {
  // Active open: SYN 65535 (checked above); the ACK completing the handshake carries 4 MiB >> 7.
  const c = extConnection();
  c.open(0, 'active');
  out(c, 0);
  c.handleSegment(seg({ flags: 'SYN,ACK', seq: PEER_ISS, ack: ISS + 1, win: 64000, options: peerSynOptions(100) }), 100, { address: REMOTE });
  expectOut(c, 100, [{ flags: 'ACK', seq: ISS + 1, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(100, peerTs(100)) }]);
  assert.equal(c.snapshot().rcvWscale, 7);
  // 1000 bytes arrive and stay unread: RCV.WND = 4 194 304 − 1000 = 4 193 304; /128 = 32760.19 → 32761.
  pfeed(c, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, data: pattern(1000) });
  expectNone(c, 200, 'delayed ACK');
  c.handleTimeout(240);
  expectOut(c, 240, [{ flags: 'ACK', seq: ISS + 1, ack: PEER_ISS + 1001, win: 32761, options: ours(240, peerTs(200)) }]);
  // RCV.WND is now what was advertised, rounded up: 32761·128 (RFC 7323 §2.4: within one unit of
  // the buffer's end the edge is rounded up, never retracted).
  assert.equal(c.snapshot().rcvWnd, 32761 * 128);

  // Passive open with a 100 000-byte buffer (shift 1): SYN,ACK 65535, then 100000 >> 1 = 50000.
  const p = extListen({ config: { receiveBufferSize: 100_000 } });
  p.handleSegment(seg({ flags: 'SYN', seq: PEER_ISS, win: 20000, options: peerSynOptions(0) }), 0, { address: REMOTE });
  expectOut(p, 0, [
    {
      flags: 'SYN,ACK',
      seq: ISS,
      ack: PEER_ISS + 1,
      win: 65535,
      options: { mss: MSS, windowScale: 1, sackPermitted: true, timestamp: { value: 0, echo: peerTs(0) } },
    },
  ]);
  pfeed(p, 100, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 1, tsEcr: 1 });
  assert.equal(p.state, 'ESTABLISHED');
  assert.equal(p.snapshot().sndWnd, 64000, 'the final ACK of the handshake is scaled');
  p.send(pattern(10), 100);
  expectOut(p, 100, [{ flags: 'ACK,PSH', seq: ISS + 1, ack: PEER_ISS + 1, win: 50000, options: ours(100, peerTs(100)), data: pattern(10) }]);
  // 3 bytes received: RCV.WND 99 997 → ceil(49 998.5) = 49 999, never below the edge already advertised.
  pfeed(p, 200, { flags: 'ACK', seq: PEER_ISS + 1, ack: ISS + 11, data: 'abc' });
  p.handleTimeout(240);
  expectOut(p, 240, [{ flags: 'ACK', seq: ISS + 11, ack: PEER_ISS + 4, win: 49999, options: ours(240, peerTs(200)) }]);
});

test('data per segment: MSS − 12 with timestamps (RFC 6691 §3); MSS without; the peer\'s smaller MSS', () => {
  const sizes = (peer: PeerOffer): number[] => {
    const { c } = extEstablished({ peer, config: { nagle: false } });
    c.send(pattern(5000), 200);
    return out(c, 200).map((s) => s.payload.length);
  };
  assert.deepStrictEqual(sizes({}), [1448, 1448, 1448, 656]);
  assert.deepStrictEqual(sizes({ ts: false }), [1460, 1460, 1460, 620]);
  assert.deepStrictEqual(sizes({ mss: 536 }), [524, 524, 524, 524, 524, 524, 524, 524, 524, 284]);
});

test('data per segment shrinks further while SACK blocks ride along (RFC 6691 §3: options + data ≤ MSS)', () => {
  const { c } = extEstablished({ config: { nagle: false } });
  // An out-of-order segment: we now hold [5101, 5201) and every segment carries one SACK block.
  pfeed(c, 200, { flags: 'ACK', seq: PEER_ISS + 101, ack: ISS + 1, data: pattern(100) });
  expectOut(c, 200, [{ flags: 'ACK', seq: ISS + 1, ack: PEER_ISS + 1, win: OUR_WIN_FIELD, options: ours(200, peerTs(100), [[5101, 5201]]) }]);
  c.send(pattern(3000), 300);
  const segs = out(c, 300);
  assert.deepStrictEqual(segs.map((s) => s.payload.length), [1436, 1436, 128]);
  for (const s of segs) assert.deepStrictEqual(s.options, tsOpt(300, peerTs(100), [[5101, 5201]]));
});
