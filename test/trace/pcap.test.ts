import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  LINKTYPE_RAW,
  PcapWriter,
  PcapngWriter,
  readPcap,
  readPcapng,
  type PacketTraceWriter,
} from '../../src/trace/index.js';
import { PcapFileWriter, readPcapFile, readPcapngFile } from '../../src/trace/pcap-file.js';
import { formatFlags, parseIpv4Tcp } from '../../src/wire/packet.js';
import { captureConversation, ipv6Conversation, tempDir, tshark, tsharkSkip } from './helpers.js';

const tmp = tempDir();
after(() => tmp.remove());

const u32le = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
const u16le = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint16(o, true);

test('classic pcap: exact header and record bytes, µs resolution', () => {
  const w = new PcapWriter();
  w.writePacket(Uint8Array.of(0x45, 1, 2), 1234.5678);
  const b = w.toBytes();
  assert.deepEqual(
    [...b.subarray(0, 24)],
    [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0],
  );
  assert.equal(b.length, 24 + 16 + 3);
  assert.equal(u32le(b, 24), 1); // seconds
  assert.equal(u32le(b, 28), 234568); // µs (rounded)
  assert.equal(u32le(b, 32), 3);
  assert.equal(u32le(b, 36), 3);
  assert.deepEqual([...b.subarray(40)], [0x45, 1, 2]);
  assert.equal(w.packetCount, 1);
  assert.equal(w.byteLength, b.length);
});

test('classic pcap: ns resolution, epoch offset with full precision, carries', () => {
  const epochMs = Date.UTC(2026, 0, 2, 3, 4, 5, 678); // 1767323045678
  const w = new PcapWriter({ resolution: 'ns', epochMs });
  w.writePacket(new Uint8Array(20), 1.234567891);
  w.writePacket(new Uint8Array(20), 321.9999999999); // 0.678 s + 0.322 s: carries into the next second
  w.writePacket(new Uint8Array(20), 0);
  const b = w.toBytes();
  assert.equal(u32le(b, 0), 0xa1b23c4d);
  const f = readPcap(b);
  assert.equal(f.resolution, 'ns');
  assert.deepEqual(
    f.packets.map((p) => [p.sec, p.nsec]),
    [
      [1767323045, 679_234_568],
      [1767323046, 0],
      [1767323045, 678_000_000],
    ],
  );
  assert.ok(Math.abs(f.packets[0]!.time - (epochMs + 1.234567891)) < 1e-3);
});

test('classic pcap: snaplen truncates; originalLength is kept', () => {
  const w = new PcapWriter({ snaplen: 8 });
  const p = Uint8Array.from({ length: 20 }, (_, i) => i);
  w.writePacket(p, 0);
  w.writePacket(p.subarray(0, 5), 0, { originalLength: 1500 });
  const f = readPcap(w.toBytes());
  assert.equal(f.snaplen, 8);
  assert.deepEqual([...f.packets[0]!.data], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(f.packets[0]!.originalLength, 20);
  assert.deepEqual([...f.packets[1]!.data], [0, 1, 2, 3, 4]);
  assert.equal(f.packets[1]!.originalLength, 1500);
});

test('onChunk: the header at construction, then one fresh chunk per packet; toBytes() is then unavailable', () => {
  for (const W of [PcapWriter, PcapngWriter]) {
    const chunks: Uint8Array[] = [];
    const w = new W({ onChunk: (c) => chunks.push(c) });
    const headerChunks = chunks.length;
    assert.ok(headerChunks >= 1);
    const p = Uint8Array.of(0x45, 0, 0, 4);
    w.writePacket(p, 5);
    p[0] = 0; // the writer copied it
    w.writePacket(p, 6);
    assert.equal(chunks.length, headerChunks + 2);
    assert.throws(() => w.toBytes());
    const all = Buffer.concat(chunks);
    const pkts = W === PcapWriter ? readPcap(all).packets : readPcapng(all).packets;
    assert.deepEqual(pkts.map((x) => [...x.data]), [[0x45, 0, 0, 4], [0, 0, 0, 4]]);
    assert.equal(w.byteLength, all.length);
  }
});

test('writers refuse bad times and options', () => {
  const w = new PcapWriter();
  assert.throws(() => w.writePacket(new Uint8Array(1), NaN), RangeError);
  assert.throws(() => w.writePacket(new Uint8Array(1), -1), RangeError);
  assert.throws(() => new PcapWriter({ snaplen: 0 }), RangeError);
  assert.throws(() => new PcapWriter({ resolution: 'ms' as never }), RangeError);
  const n = new PcapngWriter();
  assert.throws(() => n.writePacket(new Uint8Array(1), 0, { interfaceId: 1 }), RangeError);
  assert.throws(() => n.writePacket(new Uint8Array(1), 0, { direction: 'sideways' as never }), RangeError);
  assert.equal(w.packetCount + n.packetCount, 0);
});

test('readPcap reads big-endian µs files and rejects garbage and truncation', () => {
  const b = new Uint8Array(24 + 16 + 2);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xa1b2c3d4, false);
  v.setUint16(4, 2, false);
  v.setUint16(6, 4, false);
  v.setUint32(16, 65535, false);
  v.setUint32(20, LINKTYPE_RAW, false);
  v.setUint32(24, 10, false);
  v.setUint32(28, 500, false);
  v.setUint32(32, 2, false);
  v.setUint32(36, 2, false);
  b[40] = 0x60;
  b[41] = 7;
  const f = readPcap(b);
  assert.equal(f.bigEndian, true);
  assert.equal(f.linkType, 101);
  assert.deepEqual(f.packets.map((p) => [p.time, p.sec, p.nsec, [...p.data]]), [[10000.5, 10, 500_000, [0x60, 7]]]);
  assert.throws(() => readPcap(b.subarray(0, 41)), /truncated/);
  assert.throws(() => readPcap(new Uint8Array(24)), /not a pcap/);
});

/** Walks pcapng blocks, checking the framing; returns [type, length] pairs. */
function blocks(b: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let o = 0;
  while (o < b.length) {
    const len = u32le(b, o + 4);
    assert.equal(len % 4, 0);
    assert.equal(u32le(b, o + len - 4), len, 'trailing length');
    out.push([u32le(b, o), len]);
    o += len;
  }
  assert.equal(o, b.length);
  return out;
}

test('pcapng: SHB, IDB with if_tsresol, EPBs with comments (every padding) and directions', () => {
  const w = new PcapngWriter({ resolution: 'ns', interfaceName: 'eth0', comment: 'a test capture', epochMs: 1_000_000 });
  const comments = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'RFC 9293 §3.10.7.4 — ACK'];
  comments.forEach((c, i) => w.writePacket(new Uint8Array(i + 1).fill(i), i * 1.5, { comment: c, direction: i % 2 ? 'in' : 'out' }));
  w.writePacket(Uint8Array.of(0x45), 100);
  const b = w.toBytes();
  const bl = blocks(b);
  assert.deepEqual(bl.map(([t]) => t), [0x0a0d0d0a, 1, ...Array(8).fill(6)]);
  // SHB: byte-order magic, version 1.0, section length -1.
  assert.equal(u32le(b, 8), 0x1a2b3c4d);
  assert.deepEqual([u16le(b, 12), u16le(b, 14)], [1, 0]);
  assert.equal(new DataView(b.buffer).getBigInt64(16, true), -1n);
  // The last EPB has no options at all: 32 bytes + 1 byte of data padded to 4.
  assert.equal(bl[bl.length - 1]![1], 36);
  const f = readPcapng(b);
  assert.deepEqual(f.comments, ['a test capture']);
  assert.equal(f.application, 'synack');
  assert.deepEqual(f.interfaces, [{ linkType: 101, snaplen: 65535, name: 'eth0', unitsPerSec: 1e9 }]);
  assert.equal(f.packets.length, 8);
  f.packets.slice(0, 7).forEach((p, i) => {
    assert.deepEqual([...p.data], Array(i + 1).fill(i));
    assert.deepEqual(p.comments, comments[i] === '' ? [] : [comments[i]]);
    assert.equal(p.direction, i % 2 ? 'in' : 'out');
    assert.equal(p.sec, 1000);
    assert.equal(p.nsec, i * 1_500_000);
  });
  assert.equal(f.packets[7]!.direction, undefined);
  assert.equal(f.packets[7]!.time, 1_000_100);
});

test('pcapng: more interfaces, µs resolution, snaplen per interface', () => {
  const w = new PcapngWriter({ interfaceName: 'client' });
  const id = w.addInterface({ name: 'server', snaplen: 4 });
  assert.equal(id, 1);
  w.writePacket(Uint8Array.of(1, 2, 3, 4, 5, 6), 2.0015, { interfaceId: 1 });
  w.writePacket(Uint8Array.of(1, 2, 3, 4, 5, 6), 3, { interfaceId: 0 });
  const f = readPcapng(w.toBytes());
  assert.deepEqual(f.interfaces.map((i) => [i.name, i.snaplen, i.unitsPerSec]), [['client', 65535, 1e6], ['server', 4, 1e6]]);
  assert.deepEqual(f.packets.map((p) => [p.interfaceId, p.data.length, p.originalLength, p.nsec]), [[1, 4, 6, 2_002_000], [0, 6, 6, 3_000_000]]);
});

test('a real conversation captured through a CaptureLink: pcap and pcapng hold exactly what crossed the link', async () => {
  const pcapUs = new PcapWriter();
  const pcapNs = new PcapWriter({ resolution: 'ns' });
  const ng = new PcapngWriter({ resolution: 'ns', interfaceName: 'client' });
  const { seen, wireSent, echoed, sent } = await captureConversation({ writers: [pcapUs, pcapNs, ng], comment: (_p, d) => d });
  assert.deepEqual(echoed, sent);
  assert.ok(seen.length > 20);
  assert.ok(seen.some((s) => s.direction === 'in') && seen.some((s) => s.direction === 'out'));
  // The tap saw what the wire carried, in the same order.
  assert.deepEqual(seen.map((s) => s.data), wireSent);
  for (const w of [pcapUs, pcapNs]) {
    const f = readPcap(w.toBytes());
    assert.equal(f.linkType, LINKTYPE_RAW);
    assert.equal(f.packets.length, seen.length);
    f.packets.forEach((p, i) => {
      assert.deepEqual(p.data, seen[i]!.data);
      assert.equal(p.originalLength, seen[i]!.data.length);
      assert.ok(Math.abs(p.time - seen[i]!.time) < 1e-3);
    });
  }
  const g = readPcapng(ng.toBytes());
  assert.equal(g.packets.length, seen.length);
  g.packets.forEach((p, i) => {
    assert.deepEqual(p.data, seen[i]!.data);
    assert.equal(p.direction, seen[i]!.direction);
    assert.deepEqual(p.comments, [seen[i]!.direction]);
  });
});

test('PcapFileWriter writes the same bytes as the in-memory writers, buffered or not', async () => {
  const mem = new PcapWriter({ epochMs: 1e12 });
  const memNg = new PcapngWriter({ epochMs: 1e12 });
  const files = [
    new PcapFileWriter(path.join(tmp.dir, 'buf.pcap'), { epochMs: 1e12 }),
    new PcapFileWriter(path.join(tmp.dir, 'unbuf.pcap'), { epochMs: 1e12, bufferSize: 0 }),
    new PcapFileWriter(path.join(tmp.dir, 'x.pcapng'), { epochMs: 1e12, bufferSize: 1000 }),
  ];
  assert.deepEqual(files.map((f) => f.format), ['pcap', 'pcap', 'pcapng']);
  const writers: PacketTraceWriter[] = [mem, memNg, ...files];
  const { seen } = await captureConversation({ seed: 2, bytes: 5000, writers });
  for (const f of files) f.close();
  files[0]!.close(); // idempotent
  assert.throws(() => files[0]!.writePacket(new Uint8Array(1), 0), /closed/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(files[0]!.path)), mem.toBytes());
  assert.deepEqual(new Uint8Array(fs.readFileSync(files[1]!.path)), mem.toBytes());
  assert.deepEqual(new Uint8Array(fs.readFileSync(files[2]!.path)), memNg.toBytes());
  assert.equal(readPcapFile(files[0]!.path).packets.length, seen.length);
  assert.equal(readPcapngFile(files[2]!.path).packets.length, seen.length);
});

// ---- tshark: Wireshark's own dissectors must accept the files ----

const CHECKSUMS = ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];

/** Asserts tshark reads `file` as `count` well-formed packets with valid checksums and no expert errors or warnings. */
function assertCleanInTshark(file: string, count: number, opts: { allowWarnings?: boolean } = {}): string {
  const summary = tshark(['-r', file, ...CHECKSUMS]);
  const lines = summary.trim().split('\n');
  assert.equal(lines.length, count, summary);
  assert.doesNotMatch(summary, /CHECKSUM INCORRECT|Malformed|Bogus|Unknown/i, summary);
  const expert = tshark(['-r', file, ...CHECKSUMS, '-z', 'expert', '-q']);
  assert.doesNotMatch(expert, /^Errors \(/m, expert);
  assert.doesNotMatch(expert, /Malformed|Bad checksum/i, expert);
  if (opts.allowWarnings !== true) assert.doesNotMatch(expert, /^Warns \(/m, expert);
  return summary;
}

test('tshark: the IPv4 conversation in pcap (µs, ns) and pcapng dissects cleanly', { skip: tsharkSkip }, async () => {
  const epochMs = Date.UTC(2026, 4, 17, 12, 0, 0);
  const files = {
    us: new PcapFileWriter(path.join(tmp.dir, 'v4-us.pcap'), { epochMs }),
    ns: new PcapFileWriter(path.join(tmp.dir, 'v4-ns.pcap'), { epochMs, resolution: 'ns' }),
    ng: new PcapFileWriter(path.join(tmp.dir, 'v4.pcapng'), { epochMs, resolution: 'ns', interfaceName: 'client' }),
  };
  const { seen } = await captureConversation({
    seed: 5,
    bytes: 30_000,
    writers: Object.values(files),
    comment: (p) => {
      const x = parseIpv4Tcp(p);
      return x.ok ? `flags ${formatFlags(x.value.tcp.flags)}` : undefined;
    },
  });
  for (const f of Object.values(files)) f.close();
  for (const f of Object.values(files)) {
    const summary = assertCleanInTshark(f.path, seen.length);
    assert.match(summary, /10\.0\.0\.1 → 10\.0\.0\.2 +TCP .*\[SYN\]/);
  }
  // Timestamps, directions and comments as tshark reads them.
  const fields = tshark(['-r', files.ng.path, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.time_epoch', '-e', 'frame.packet_flags_direction', '-e', 'frame.comment', '-e', 'ip.src', '-e', 'tcp.len']);
  const rows = fields.trim().split('\n').map((l) => l.split('|'));
  assert.equal(rows.length, seen.length);
  rows.forEach(([epoch, dir, comment, src], i) => {
    const s = seen[i]!;
    const expected = (epochMs + s.time) / 1000;
    assert.ok(Math.abs(Number(epoch) - expected) < 1e-6, `${epoch} vs ${expected}`);
    assert.equal(Number(dir), s.direction === 'in' ? 1 : 2);
    assert.match(comment!, /^flags (SYN|ACK|FIN|PSH|RST)/);
    assert.equal(src, s.direction === 'out' ? '10.0.0.1' : '10.0.0.2');
  });
  const usEpochs = tshark(['-r', files.us.path, '-T', 'fields', '-e', 'frame.time_epoch']).trim().split('\n').map(Number);
  usEpochs.forEach((e, i) => assert.ok(Math.abs(e - (epochMs + seen[i]!.time) / 1000) < 1e-6));
  // Total payload bytes seen in each direction = the data sent and echoed.
  const lens = tshark(['-r', files.us.path, '-T', 'fields', '-e', 'ip.src', '-e', 'tcp.len']).trim().split('\n').map((l) => l.split('\t'));
  const sum = (src: string): number => lens.filter(([s]) => s === src).reduce((a, [, n]) => a + Number(n), 0);
  assert.equal(sum('10.0.0.1'), 30_000);
  assert.equal(sum('10.0.0.2'), 30_000);
});

test('tshark: an IPv6 conversation built with buildIpv6Tcp dissects cleanly in pcap and pcapng', { skip: tsharkSkip }, () => {
  const conv = ipv6Conversation();
  const pcap = new PcapFileWriter(path.join(tmp.dir, 'v6.pcap'), { resolution: 'ns' });
  const ng = new PcapFileWriter(path.join(tmp.dir, 'v6.pcapng'));
  for (const p of conv) {
    pcap.writePacket(p.data, p.time);
    ng.writePacket(p.data, p.time, { direction: p.direction, comment: `${p.direction} packet` });
  }
  pcap.close();
  ng.close();
  for (const file of [pcap.path, ng.path]) {
    const summary = assertCleanInTshark(file, conv.length);
    assert.match(summary, /2001:db8::1 → 2001:db8::2 +TCP .*\[SYN\]/);
    assert.match(summary, /2001:db8::2 → 2001:db8::1 +TCP .*\[SYN, ACK\]/);
    assert.match(summary, /\[FIN, ACK\]/);
  }
  const rel = tshark(['-r', pcap.path, '-T', 'fields', '-e', 'ipv6.src', '-e', 'tcp.seq', '-e', 'tcp.ack', '-e', 'tcp.len']).trim().split('\n');
  assert.deepEqual(rel, [
    '2001:db8::1\t0\t0\t0',
    '2001:db8::2\t0\t1\t0',
    '2001:db8::1\t1\t1\t0',
    '2001:db8::1\t1\t1\t100',
    '2001:db8::2\t1\t101\t100',
    '2001:db8::2\t101\t101\t0',
    '2001:db8::1\t101\t102\t0',
    '2001:db8::2\t102\t102\t0',
  ]);
  const read = readPcap(new Uint8Array(fs.readFileSync(pcap.path)));
  assert.deepEqual(read.packets.map((p) => p.data), conv.map((p) => p.data));
  assert.deepEqual(read.packets.map((p) => p.time), conv.map((p) => p.time));
});

test('tshark: the checks catch a corrupted checksum (control)', { skip: tsharkSkip }, () => {
  const conv = ipv6Conversation();
  const w = new PcapWriter();
  for (const p of conv) w.writePacket(p.data, p.time);
  const bytes = w.toBytes();
  const file = path.join(tmp.dir, 'bad.pcap');
  const f = readPcap(bytes);
  const d = f.packets[3]!.data; // the request: flip a payload bit, leaving the checksum stale
  d[d.length - 1]! ^= 1;
  fs.writeFileSync(file, bytes);
  assert.throws(() => assertCleanInTshark(file, conv.length), /CHECKSUM INCORRECT|Errors/);
});
