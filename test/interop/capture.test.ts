/**
 * What synack puts on the wire, checked by Wireshark: dumpcap captures the TUN device inside the
 * private namespace while curl downloads from synack and synack uploads to a kernel sink; tshark then
 * verifies every IPv4 and TCP checksum and finds no malformed packet, and the capture must hold the
 * expected connections, flags and payload. Skipped (with the reason) without tshark/dumpcap, or
 * unless root on Linux with /dev/net/tun, ip and python3.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FAMILIES, Interop, closed, connect, describeExit, familySkipReason, httpUrl, seededSha256, seededStream, waitFor, withTimeout, type Background } from './harness.js';
import { py } from './kernel-programs.js';
import { seededHttpServer } from './synack-apps.js';

const TOOLS = ['tshark', 'dumpcap', 'curl', 'sha256sum', 'bash', 'ping', 'ss'];
const HTTP_PORT = 8080;
const SINK_PORT = 9000;
const BYTES = 2_000_000;
const CANARY_PORT = 7357;

/** An address as bytes (IPv4 dotted quad or IPv6 text). */
function addressBytes(a: string): number[] {
  if (!a.includes(':')) return a.split('.').map(Number);
  const [head, tail] = a.split('::') as [string, string | undefined];
  const words = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const h = words(head);
  const t = words(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

function sum16(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * A bare ACK from synack's address to the kernel's, CANARY_PORT → CANARY_PORT, whose TCP checksum is
 * deliberately wrong (the IPv4 header checksum is right): the capture check must flag it, which shows
 * that it would flag a real one.
 */
function canaryPacket(src: string, dst: string): Uint8Array {
  const s = addressBytes(src);
  const d = addressBytes(dst);
  const tcp = [CANARY_PORT >> 8, CANARY_PORT & 0xff, CANARY_PORT >> 8, CANARY_PORT & 0xff, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0];
  const pseudo = [...s, ...d, 0, 6, 0, tcp.length];
  const good = ~sum16([...pseudo, ...tcp]) & 0xffff;
  const bad = good ^ 0x5555;
  tcp[16] = bad >> 8;
  tcp[17] = bad & 0xff;
  if (s.length === 4) {
    const ip = [0x45, 0, 0, 20 + tcp.length, 0, 0, 0x40, 0, 64, 6, 0, 0, ...s, ...d];
    const ck = ~sum16(ip) & 0xffff;
    ip[10] = ck >> 8;
    ip[11] = ck & 0xff;
    return Uint8Array.from([...ip, ...tcp]);
  }
  return Uint8Array.from([0x60, 0, 0, 0, 0, tcp.length, 6, 64, ...s, ...d, ...tcp]);
}

for (const family of FAMILIES) {
  const skip = familySkipReason(family, TOOLS);
  if (skip !== undefined) console.log(`# capture interop (IPv${family}) skipped: ${skip}`);

  describe(`wire capture of synack traffic checked by tshark, IPv${family}`, { skip: skip ?? false, timeout: 120_000 }, () => {
    let it: Interop;
    let pcap = '';
    let dumpcap: Background | undefined;

    before(async () => {
      it = await Interop.open({ family, name: 'cap', subnet: 5 });
      seededHttpServer(it.net, HTTP_PORT);
      pcap = path.join(it.tmp, 'capture.pcapng');
    });

    after(async () => {
      await it?.close();
    });

    test('a capture of a download and an upload has only good checksums, no malformed packets, and the expected segments', { timeout: 90_000 }, async (t) => {
      const cap = it.start('dumpcap', ['dumpcap', '-i', it.dev, '-w', pcap]);
      dumpcap = cap;
      await waitFor('dumpcap to start capturing', () => cap.stderr.includes('Capturing on') || cap.gone, 15_000, () => cap.describe());
      assert.ok(!cap.gone, `dumpcap exited: ${cap.describe()}`);
      const atStart = { ...it.tun!.counters };
      /** The last packet count dumpcap printed (it updates it on stderr as it writes). */
      const dumpcapCount = (): number => Number([...cap.stderr.matchAll(/Packets(?: captured)?: (\d+)/g)].at(-1)?.[1] ?? 0);
      // Make sure the capture is really running before the traffic we check: ping synack until
      // dumpcap reports captured packets.
      for (let i = 0; i < 20 && dumpcapCount() === 0; i++) {
        await it.exec(['ping', it.addr.flag, '-c', '1', '-W', '2', it.addr.stack], { timeoutMs: 5000 });
        await waitFor('a packet count from dumpcap', () => dumpcapCount() > 0, 1000).catch(() => undefined);
      }
      assert.ok(dumpcapCount() > 0, `dumpcap captures nothing: ${cap.describe()}`);
      // Packets that crossed the device before the capture was really on (or not yet counted).
      const early = it.tun!.counters.packetsIn + it.tun!.counters.packetsOut - atStart.packetsIn - atStart.packetsOut - dumpcapCount();
      const countersBefore = { ...it.tun!.counters };
      const mark = (what: string): void => t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms: ${what}`);
      const t0 = performance.now();

      // The canary: one packet with a bad TCP checksum, which the check below must find. Sent before
      // the transfers, so that the capture has certainly taken it by the end (dumpcap reports its
      // count in blocks, so a last packet may still be in flight when the capture is stopped).
      it.tun!.send(canaryPacket(it.addr.stack, it.addr.kernel));

      // Kernel client → synack server: curl downloads.
      const url = httpUrl(it.addr.stack, HTTP_PORT, `/seeded/${BYTES}/51`);
      const r = await it.sh(`curl ${it.addr.flag} -g -sS --fail --max-time 30 -o - '${url}' | sha256sum`, { timeoutMs: 40_000 });
      assert.equal(r.code, 0, describeExit('curl', r));
      assert.equal(r.stdout.toString().split(/\s/)[0], seededSha256(BYTES, 51));

      mark('download done');
      // synack client → kernel server: an upload.
      const sink = it.start('python sink', py('sink', it.addr.kernel, SINK_PORT, family));
      await sink.event('listening', 10_000);
      const socket = await connect(it.net, SINK_PORT, it.addr.kernel);
      socket.resume();
      await pipeline(seededStream(BYTES, 52), socket);
      const done = await sink.event('done', 30_000, undefined, () => it.describe());
      assert.equal(done['sha256'], seededSha256(BYTES, 52));
      await withTimeout(closed(socket), 10_000, 'the upload socket to close', () => it.describe());
      // The last ACKs of the close: wait until the link has written everything synack sent.
      const sent = it.stack.counters.packetsOut;
      await waitFor('the link to write every packet', () => it.tun!.counters.packetsOut + it.tun!.counters.dropsQueueFull >= sent, 5000);

      mark('upload done');
      // dumpcap gets packets from the kernel in blocks: wait until it has written every packet that
      // crossed the device since it started, then stop it cleanly (SIGINT: it finishes the file).
      const moved = (): number => it.tun!.counters.packetsIn + it.tun!.counters.packetsOut - atStart.packetsIn - atStart.packetsOut;
      await waitFor('dumpcap to write every packet', () => dumpcapCount() >= moved() - early, 10_000, () => `dumpcap ${dumpcapCount()}, link ${moved()} (${early} before the capture)\n${cap.describe()}`);
      // Stop the capture cleanly (SIGINT: dumpcap finishes the file).
      cap.proc.kill('SIGINT');
      await cap.exit(15_000);
      dumpcap = undefined;
      const drops = /received\/dropped on interface [^:]*: (\d+)\/(\d+)/.exec(cap.stderr);
      t.diagnostic(`dumpcap: ${drops !== null ? `${drops[1]} received, ${drops[2]} dropped` : cap.stderr.trim().split('\n').at(-1)}`);

      mark('capture stopped');
      // 1. No bad checksum (IPv4 header, TCP with pseudo-header) on what synack sent, and nothing
      // malformed at all. (The kernel's own segments are not judged: Linux may write a zero TCP
      // checksum as 0xFFFF, the other ones'-complement zero, which tshark reports as "Bad".)
      const fromSynack = `${family === 4 ? 'ip' : 'ipv6'}.src == ${it.addr.stack}`;
      const bad = await it.exec(
        [
          'tshark',
          '-r',
          pcap,
          '-o',
          'tcp.check_checksum:TRUE',
          '-o',
          'ip.check_checksum:TRUE',
          '-Y',
          `(${fromSynack} && (tcp.checksum.status == "Bad" || ip.checksum.status == "Bad")) || _ws.malformed || (${fromSynack} && _ws.expert.severity == "error")`,
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(bad.code, 0, describeExit('tshark', bad));
      const badLines = bad.stdout.toString().trim().split('\n').filter((l) => l !== '');
      const isCanary = (l: string): boolean => l.includes(`${CANARY_PORT} → ${CANARY_PORT}`);
      assert.equal(badLines.filter(isCanary).length, 1, `the check did not flag the canary packet with a bad checksum:\n${bad.stdout.toString()}`);
      assert.deepEqual(badLines.filter((l) => !isCanary(l)), [], 'tshark found bad or malformed packets');

      mark('checksums checked');
      // 2. The capture holds the two connections, complete: handshakes, payload, FINs.
      const fields = await it.exec(
        ['tshark', '-r', pcap, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y', 'tcp', '-T', 'fields', '-E', 'separator=,', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags', '-e', 'tcp.len', '-e', 'tcp.checksum.status', '-e', 'ip.checksum.status', '-e', family === 4 ? 'ip.src' : 'ipv6.src'],
        { timeoutMs: 60_000 },
      );
      assert.equal(fields.code, 0, describeExit('tshark -T fields', fields));
      const rows = fields.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => l.split(','))
        .map(([sp, dp, fl, len, st, ipst, src]) => ({ sp: Number(sp), dp: Number(dp), flags: Number(fl), len: Number(len), status: st, ipStatus: ipst, src }));
      const canary = rows.filter((x) => x.sp === CANARY_PORT);
      assert.equal(canary.length, 1, 'the canary is in the capture');
      assert.equal(canary[0]!.status, '0', 'tshark sees the bad checksum of the canary');
      rows.splice(rows.indexOf(canary[0]!), 1);
      // Checksum status: 0 bad, 1 good, 2 unverified. Every segment synack sent must be verified good.
      const ours = rows.filter((x) => x.src === it.addr.stack);
      const good = ours.filter((x) => x.status === '1' && (family === 6 || x.ipStatus === '1'));
      t.diagnostic(`${rows.length} TCP segments captured, ${ours.length} from synack, ${good.length} of them with verified good checksums`);
      assert.ok(ours.length > 0, 'synack segments are in the capture');
      assert.equal(good.length, ours.length, `every checksum verified good; others: ${JSON.stringify(ours.filter((x) => !good.includes(x)).slice(0, 5))}`);
      const download = rows.filter((x) => x.sp === HTTP_PORT || x.dp === HTTP_PORT);
      const upload = rows.filter((x) => x.sp === SINK_PORT || x.dp === SINK_PORT);
      const SYN = 0x02;
      const FIN = 0x01;
      const ACK = 0x10;
      const RSTF = 0x04;
      for (const [name, segs, fromSynackPort] of [
        ['download (kernel client → synack server)', download, (x: (typeof rows)[0]) => x.sp === HTTP_PORT],
        ['upload (synack client → kernel server)', upload, (x: (typeof rows)[0]) => x.dp === SINK_PORT],
      ] as const) {
        const synOnly = segs.filter((x) => (x.flags & (SYN | ACK)) === SYN).length;
        const synAck = segs.filter((x) => (x.flags & (SYN | ACK)) === (SYN | ACK)).length;
        const fins = segs.filter((x) => x.flags & FIN);
        const rsts = segs.filter((x) => x.flags & RSTF).length;
        assert.ok(synOnly >= 1 && synAck >= 1, `${name}: handshake in the capture (SYN ${synOnly}, SYN-ACK ${synAck})`);
        assert.ok(
          fins.some(fromSynackPort) && fins.some((x) => !fromSynackPort(x)),
          `${name}: a FIN each way; the connection's last segments:\n${segs
            .slice(-8)
            .map((x) => JSON.stringify(x))
            .join('\n')}`,
        );
        assert.equal(rsts, 0, `${name}: no RST`);
        const payloadFromSynack = segs.filter(fromSynackPort).reduce((a, x) => a + x.len, 0);
        assert.ok(payloadFromSynack >= BYTES, `${name}: ${payloadFromSynack} payload bytes from synack in the capture, expected ≥ ${BYTES}`);
      }
      // Every packet synack wrote (and the kernel wrote to it) during the transfers is in the capture.
      const wrote = it.tun!.counters.packetsOut - countersBefore.packetsOut;
      const read = it.tun!.counters.packetsIn - countersBefore.packetsIn;
      const captured = download.length + upload.length;
      t.diagnostic(`link: synack wrote ${wrote} packets and read ${read} during the transfers; capture: ${captured} TCP segments of the two connections`);
      if (drops !== null && drops[2] === '0') {
        assert.ok(captured >= wrote + read - 2, `capture holds ${captured} segments, the link moved ${wrote + read}`);
      }
    });

    after(async () => {
      await dumpcap?.kill();
    });
  });
}
