import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from '../../src/wire/checksum.js';
import {
  parseTcp,
  serializeTcp,
  tcpOptionsLength,
  tcpSackBlocksThatFit,
  tcpSegmentLength,
  writeTcp,
  writeTcpSegment,
} from '../../src/wire/tcp.js';
import { ACK, PSH, SYN, type DropReason, type TcpOptions, type TcpSegment } from '../../src/wire/types.js';

const A = 0x0a000001;
const B = 0x0a000002;

function segment(options: TcpOptions = {}, payload: number[] = []): TcpSegment {
  return {
    srcPort: 54321,
    dstPort: 80,
    seq: 0xfffffff0,
    ack: 0x80000001,
    flags: ACK | PSH,
    window: 65535,
    urgent: 0,
    options,
    payload: Uint8Array.from(payload),
  };
}

function roundTrip(seg: TcpSegment): TcpSegment {
  const bytes = serializeTcp(seg, A, B);
  assert.equal(bytes.length, tcpSegmentLength(seg));
  assert.equal((bytes[12]! >>> 4) * 4, 20 + tcpOptionsLength(seg.options));
  const r = parseTcp(bytes, ipv4PseudoHeaderSum(A, B, 6, bytes.length));
  assert.ok(r.ok, r.ok ? '' : r.detail);
  return r.value;
}

/** A raw header (checksum left zero) followed by the given option bytes, padded by the caller. */
function rawWithOptions(options: number[], payload: number[] = []): Uint8Array {
  assert.equal(options.length % 4, 0);
  const b = new Uint8Array(20 + options.length + payload.length);
  b[12] = ((20 + options.length) / 4) << 4;
  b.set(options, 20);
  b.set(payload, 20 + options.length);
  return b;
}

function rejects(bytes: Uint8Array, reason: DropReason, pseudo?: number): void {
  const r = parseTcp(bytes, pseudo);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, reason, r.detail);
}

test('header fields round-trip, including u32 extremes and payload', () => {
  const seg = segment({}, [1, 2, 3, 4, 5]);
  seg.flags = 0xff;
  seg.urgent = 0x1234;
  assert.deepEqual(roundTrip(seg), seg);
});

test('each option round-trips alone', () => {
  const cases: TcpOptions[] = [
    { mss: 1460 },
    { mss: 0 },
    { mss: 65535 },
    { windowScale: 7 },
    { windowScale: 14 },
    { sackPermitted: true },
    { timestamp: { value: 0xdeadbeef, echo: 0 } },
    { timestamp: { value: 0, echo: 0xffffffff } },
    { sackBlocks: [{ left: 1, right: 2 }] },
    {
      sackBlocks: [
        { left: 10, right: 20 },
        { left: 30, right: 40 },
        { left: 0xfffffff0, right: 5 },
        { left: 100, right: 200 },
      ],
    },
  ];
  for (const options of cases) assert.deepEqual(roundTrip(segment(options, [7])).options, options);
});

test('all options together round-trip (SACK blocks limited to 2)', () => {
  const options: TcpOptions = {
    mss: 1460,
    windowScale: 7,
    sackPermitted: true,
    timestamp: { value: 1, echo: 2 },
    sackBlocks: [
      { left: 1, right: 2 },
      { left: 3, right: 4 },
    ],
  };
  assert.equal(tcpOptionsLength(options), 40);
  assert.deepEqual(roundTrip(segment(options)).options, options);
});

test('SYN options use the Linux layout', () => {
  const ts = { value: 0x01020304, echo: 0 };
  const opts: TcpOptions = { mss: 1460, sackPermitted: true, timestamp: ts, windowScale: 7 };
  const bytes = serializeTcp({ ...segment(opts), flags: SYN }, A, B);
  assert.deepEqual(
    [...bytes.subarray(20)],
    [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7],
  );
  const noTs = serializeTcp(segment({ mss: 536, sackPermitted: true, windowScale: 0 }), A, B);
  assert.deepEqual([...noTs.subarray(20)], [2, 4, 0x02, 0x18, 1, 1, 4, 2, 1, 3, 3, 0]);
  const tsOnly = serializeTcp(segment({ timestamp: { value: 5, echo: 6 } }), A, B);
  assert.deepEqual([...tsOnly.subarray(20)], [1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6]);
  const sack = serializeTcp(segment({ sackBlocks: [{ left: 1, right: 2 }] }), A, B);
  assert.deepEqual([...sack.subarray(20)], [1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
});

test('sackPermitted: false and empty sackBlocks write nothing', () => {
  assert.equal(tcpOptionsLength({ sackPermitted: false, sackBlocks: [] }), 0);
  assert.deepEqual(roundTrip(segment({ sackPermitted: false, sackBlocks: [] })).options, {});
});

test('SACK blocks that do not fit in 40 bytes are dropped from the end', () => {
  const five = Array.from({ length: 5 }, (_, i) => ({ left: i * 10, right: i * 10 + 5 }));
  const ts = { value: 9, echo: 8 };
  assert.equal(tcpSackBlocksThatFit({ sackBlocks: five }), 4);
  assert.equal(tcpSackBlocksThatFit({ sackBlocks: five, timestamp: ts }), 3);
  assert.equal(tcpSackBlocksThatFit({ sackBlocks: five, timestamp: ts, windowScale: 2 }), 2);
  assert.equal(tcpSackBlocksThatFit({ sackBlocks: five, timestamp: ts, windowScale: 2, mss: 1 }), 2);
  assert.equal(tcpSackBlocksThatFit({ sackBlocks: five, sackPermitted: true, windowScale: 2, mss: 1 }), 3);
  assert.equal(tcpSackBlocksThatFit({ sackBlocks: five.slice(0, 1), timestamp: ts }), 1);
  const parsed = roundTrip(segment({ sackBlocks: five, timestamp: ts })).options;
  assert.deepEqual(parsed, { sackBlocks: five.slice(0, 3), timestamp: ts });
  const all: TcpOptions = { sackBlocks: five, timestamp: ts, windowScale: 2, mss: 1, sackPermitted: true };
  for (const o of [{ sackBlocks: five }, all]) {
    assert.ok(tcpOptionsLength(o) <= 40 && tcpOptionsLength(o) % 4 === 0);
  }
});

test('unknown options are skipped by length; EOL ends parsing; NOPs ignored', () => {
  const unknown = rawWithOptions([30, 6, 9, 9, 9, 9, 2, 4, 0x05, 0xb4, 1, 1]);
  const r = parseTcp(unknown, undefined);
  assert.ok(r.ok);
  assert.deepEqual(r.value.options, { mss: 1460 });
  // After EOL the rest is padding, even if it looks like a broken option.
  const eol = rawWithOptions([3, 3, 5, 0, 2, 3, 0xff, 0xff]);
  const r2 = parseTcp(eol, undefined);
  assert.ok(r2.ok);
  assert.deepEqual(r2.value.options, { windowScale: 5 });
});

test('repeated SACK options accumulate blocks; other repeats keep the last', () => {
  const bytes = rawWithOptions([
    5, 10, 0, 0, 0, 1, 0, 0, 0, 2,
    5, 10, 0, 0, 0, 3, 0, 0, 0, 4,
    3, 3, 1, 3, 3, 2, 0, 0,
  ]);
  const r = parseTcp(bytes, undefined);
  assert.ok(r.ok);
  assert.deepEqual(r.value.options, {
    sackBlocks: [
      { left: 1, right: 2 },
      { left: 3, right: 4 },
    ],
    windowScale: 2,
  });
});

test('window scale above 14 is kept raw (RFC 7323 §2.3: the engine clamps)', () => {
  const r = parseTcp(rawWithOptions([3, 3, 200, 0]), undefined);
  assert.ok(r.ok);
  assert.equal(r.value.options.windowScale, 200);
});

test('payload is a view into the input', () => {
  const bytes = serializeTcp(segment({ mss: 1 }, [5, 6, 7]), A, B);
  const r = parseTcp(bytes, undefined);
  assert.ok(r.ok);
  assert.equal(r.value.payload.buffer, bytes.buffer);
  assert.equal(r.value.payload.byteOffset, 24);
  assert.deepEqual([...r.value.payload], [5, 6, 7]);
});

test('rejection: truncated', () => {
  rejects(new Uint8Array(0), 'truncated');
  rejects(new Uint8Array(19), 'truncated');
});

test('rejection: bad-header-length', () => {
  const b = rawWithOptions([]);
  b[12] = 4 << 4;
  rejects(b, 'bad-header-length');
  const c = rawWithOptions([1, 1, 1, 1]);
  rejects(c.subarray(0, 23), 'bad-header-length'); // data offset 6 but only 23 bytes
});

test('rejection: bad-checksum, including odd-length segments', () => {
  for (const payload of [[], [1], [1, 2, 3]]) {
    const bytes = serializeTcp(segment({ mss: 1460 }, payload), A, B);
    const pseudo = ipv4PseudoHeaderSum(A, B, 6, bytes.length);
    assert.equal(finishChecksum(onesComplementSum(bytes, 0, bytes.length, pseudo)), 0);
    assert.ok(parseTcp(bytes, pseudo).ok);
    bytes[bytes.length - 1]! ^= 0x01;
    rejects(bytes, 'bad-checksum', pseudo);
    bytes[bytes.length - 1]! ^= 0x01;
    rejects(bytes, 'bad-checksum', ipv4PseudoHeaderSum(A, 0x0a000003, 6, bytes.length)); // wrong address
  }
});

test('rejection: bad-option-length', () => {
  const cases: number[][] = [
    [2, 3, 5, 0], // MSS length 3
    [2, 5, 0, 0, 0, 1, 1, 1], // MSS length 5
    [3, 4, 7, 0], // window scale length 4
    [4, 3, 0, 0], // SACK-permitted length 3
    [8, 8, 0, 0, 0, 0, 0, 0], // timestamps length 8
    [5, 2, 0, 0], // SACK with no blocks
    [5, 6, 0, 0, 0, 1, 0, 0], // SACK length not 2 + 8n
    [30, 1, 0, 0], // length < 2
    [30, 0, 0, 0], // length 0 would loop forever
    [30, 9, 0, 0], // runs past the header
    [1, 1, 1, 2], // kind with no length byte
  ];
  for (const opts of cases) rejects(rawWithOptions(opts), 'bad-option-length');
});

test('writeTcpSegment works at an offset and with a generic pseudo sum', () => {
  const seg = segment({ windowScale: 3 }, [1, 2, 3]);
  const buf = new Uint8Array(100).fill(0xee);
  const n = writeTcpSegment(buf, 7, seg, ipv4PseudoHeaderSum(A, B, 6, 0));
  assert.equal(n, tcpSegmentLength(seg));
  assert.deepEqual(buf.subarray(7, 7 + n), serializeTcp(seg, A, B));
  assert.equal(buf[6], 0xee);
  assert.equal(buf[7 + n], 0xee);
  assert.equal(writeTcp(buf, 50, seg, A, B), n);
  assert.throws(() => writeTcp(buf, 80, seg, A, B), RangeError);
});

test('writing a segment whose payload is already in place works', () => {
  const seg = segment({}, [9, 9, 9]);
  const buf = new Uint8Array(23);
  buf.set(seg.payload, 20);
  writeTcp(buf, 0, { ...seg, payload: buf.subarray(20) }, A, B);
  assert.deepEqual(buf, serializeTcp(seg, A, B));
});
