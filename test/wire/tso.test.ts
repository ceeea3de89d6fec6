/**
 * src/wire/tso.ts: headers with a partial (pseudo-header) TCP checksum, and the software segmenter
 * that turns an offloaded segment into wire packets as Linux's GSO does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finishChecksum, onesComplementSum } from '../../src/wire/checksum.js';
import { parseIpv4Address } from '../../src/wire/ipv4.js';
import { buildIpv6Tcp, parseIpv6Address, parseIpv6Tcp } from '../../src/wire/ipv6.js';
import { buildIpv4Tcp, parseIpv4Tcp } from '../../src/wire/packet.js';
import { buildIpv4TcpHeaders, buildIpv6TcpHeaders, segmentTcpOffload, tcpOffsetOf } from '../../src/wire/tso.js';
import { ACK, CWR, FIN, PSH, type TcpSegment } from '../../src/wire/types.js';

const S4 = parseIpv4Address('10.0.0.1')!;
const D4 = parseIpv4Address('10.0.0.2')!;
const S6 = parseIpv6Address('fd00::1')!;
const D6 = parseIpv6Address('fd00::2')!;

function seg(payload: Uint8Array, flags = ACK | PSH): TcpSegment {
  return {
    srcPort: 40000,
    dstPort: 80,
    seq: 0xfffff000, // wraps inside the segment
    ack: 12345,
    flags,
    window: 512,
    urgent: 0,
    options: { timestamp: { value: 7, echo: 9 }, sackBlocks: [{ left: 100, right: 200 }] },
    payload,
  };
}

const payloadOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

test('partial checksum: completing it over header and data gives the full checksum (IPv4, IPv6, odd lengths)', () => {
  for (const n of [0, 1, 1447, 5000]) {
    const s = seg(payloadOf(n));
    for (const [headers, full] of [
      [buildIpv4TcpHeaders(S4, D4, s), buildIpv4Tcp(S4, D4, s)],
      [buildIpv6TcpHeaders(S6, D6, s), buildIpv6Tcp(S6, D6, s)],
    ] as const) {
      const at = tcpOffsetOf(headers);
      const whole = new Uint8Array(headers.length + n);
      whole.set(headers);
      whole.set(s.payload, headers.length);
      const done = finishChecksum(onesComplementSum(whole, at));
      whole[at + 16] = done >>> 8;
      whole[at + 17] = done & 0xff;
      assert.deepStrictEqual(whole, full, `${n} bytes, IPv${headers[0]! >> 4}`);
    }
  }
});

test('segmenting a payload that fits gives exactly the packet buildIpv4Tcp / buildIpv6Tcp make', () => {
  const s = seg(payloadOf(1000), ACK | PSH | FIN);
  assert.deepStrictEqual(segmentTcpOffload(buildIpv4TcpHeaders(S4, D4, s), s.payload, 1400), [buildIpv4Tcp(S4, D4, s)]);
  assert.deepStrictEqual(segmentTcpOffload(buildIpv6TcpHeaders(S6, D6, s), s.payload, 1400), [buildIpv6Tcp(S6, D6, s)]);
  const empty = seg(new Uint8Array(0), ACK);
  assert.deepStrictEqual(segmentTcpOffload(buildIpv4TcpHeaders(S4, D4, empty), empty.payload, 1400), [buildIpv4Tcp(S4, D4, empty)]);
});

test('segmenting 3.5 segments: SEQ advances (and wraps), FIN and PSH only on the last, CWR only on the first, valid checksums', () => {
  const size = 1400;
  const data = payloadOf(3 * size + 700);
  const s = seg(data, ACK | PSH | FIN | CWR);
  for (const v of [4, 6] as const) {
    const headers = v === 4 ? buildIpv4TcpHeaders(S4, D4, s) : buildIpv6TcpHeaders(S6, D6, s);
    const packets = segmentTcpOffload(headers, data, size);
    assert.equal(packets.length, 4);
    packets.forEach((p, k) => {
      const parsed = v === 4 ? parseIpv4Tcp(p) : parseIpv6Tcp(p);
      assert.ok(parsed.ok, parsed.ok ? '' : `${parsed.reason}: ${parsed.detail}`);
      const t = parsed.value.tcp;
      assert.equal(t.seq, (s.seq + k * size) >>> 0);
      assert.deepStrictEqual(t.payload, data.subarray(k * size, Math.min(data.length, (k + 1) * size)));
      const last = k === 3;
      assert.equal(t.flags, ACK | (last ? PSH | FIN : 0) | (k === 0 ? CWR : 0), `flags of piece ${k}`);
      assert.deepStrictEqual(t.options, s.options, 'options copied to every piece');
      if (v === 4 && parsed.ok && 'ip' in parsed.value) assert.equal((parsed.value.ip as { id: number }).id, k, 'IPv4 ID per piece');
      // The same bytes as building the piece directly (IPv4: but for the ID).
      const direct = { ...s, seq: t.seq, flags: t.flags, payload: t.payload };
      const built = v === 4 ? buildIpv4Tcp(S4, D4, direct) : buildIpv6Tcp(S6, D6, direct);
      if (v === 6) assert.deepStrictEqual(p, built);
      else assert.deepStrictEqual(p.subarray(20), built.subarray(20));
    });
  }
});
