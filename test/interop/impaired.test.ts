/**
 * Transfers against the kernel's TCP through seeded userspace impairments: the stack's interface is
 * an `ImpairedLink` (src/link/impair) around the TUN device, dropping 2 %, reordering 2 % and
 * duplicating 1 % of the packets in each direction (the kernel has no netem). Both stacks must repair
 * everything: every transfer is byte-exact (length and SHA-256), in both directions. Skipped (with
 * the reason) unless root on Linux with /dev/net/tun and the tools of scripts/install-test-deps.sh.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Socket } from '../../src/index.js';
import { ImpairedLink, type ImpairCounters, type Impairments } from '../../src/link/impair/index.js';
import {
  FAMILIES,
  Interop,
  bracket,
  closed,
  connect,
  describeExit,
  digestUntilEnd,
  familySkipReason,
  fileDigest,
  formatBytes,
  httpUrl,
  rate,
  seededSha256,
  seededStream,
  withTimeout,
  writeSeededFile,
  type Background,
} from './harness.js';
import { py } from './kernel-programs.js';
import { DiscardServer, EchoServer, seededHttpServer } from './synack-apps.js';

const IMPAIRMENTS: Impairments = { loss: 0.02, reorder: 0.02, duplicate: 0.01 };
const SEED = 20_251;
const TOOLS = ['curl', 'socat', 'sha256sum', 'bash', 'ss'];
const HTTP_PORT = 8080;
const DISCARD_PORT = 9;
const ECHO_PORT = 7;
const KERNEL_HTTP_PORT = 8000;
const SINK_PORT = 9000;
/** Bytes per transfer. */
const BYTES = 20_000_000;
/** The big one (synack → kernel). */
const BIG = 100_000_000;

for (const family of FAMILIES) {
  const skip = familySkipReason(family, TOOLS);
  if (skip !== undefined) console.log(`# impaired interop (IPv${family}) skipped: ${skip}`);

  describe(`through 2 % loss, 2 % reordering, 1 % duplication each way, IPv${family}`, { skip: skip ?? false, timeout: 900_000 }, () => {
    let it: Interop;
    let link: ImpairedLink;
    let web: ReturnType<typeof seededHttpServer>;
    let discard: DiscardServer;
    let httpd: Background;
    let www = '';
    let upload = '';
    let uploadSha = '';
    let kernelFileSha = '';

    before(async () => {
      it = await Interop.open({
        family,
        name: 'impair',
        subnet: 6,
        wrapLink: (tun, runtime) => (link = new ImpairedLink(tun, { seed: SEED, runtime, toStack: IMPAIRMENTS, toLink: IMPAIRMENTS })),
      });
      web = seededHttpServer(it.net, HTTP_PORT);
      discard = new DiscardServer(it.net, DISCARD_PORT);
      new EchoServer(it.net, ECHO_PORT);
      upload = path.join(it.tmp, 'upload');
      uploadSha = await writeSeededFile(upload, BYTES, 61);
      www = path.join(it.tmp, 'www');
      fs.mkdirSync(www);
      kernelFileSha = await writeSeededFile(path.join(www, 'file'), BYTES, 62);
      httpd = it.start('python3 -m http.server', ['python3', '-u', '-m', 'http.server', String(KERNEL_HTTP_PORT), '--bind', it.addr.kernel, '--directory', www]);
      await it.waitForKernelListener(KERNEL_HTTP_PORT);
    });

    after(async () => {
      await it?.close(); // closes the ImpairedLink too
    });

    /** Run `body`, then check that both directions were really impaired meanwhile; returns a summary. */
    async function impaired(body: () => Promise<void>): Promise<string> {
      const before = { toStack: { ...link.stats.toStack }, toLink: { ...link.stats.toLink } };
      await body();
      const parts: string[] = [];
      for (const dir of ['toLink', 'toStack'] as const) {
        const d = (k: keyof ImpairCounters): number => link.stats[dir][k] - before[dir][k];
        parts.push(`${dir}: ${d('received')} packets, ${d('dropped')} dropped, ${d('reordered')} reordered, ${d('duplicated')} duplicated`);
        if (d('received') >= 2000) {
          assert.ok(d('dropped') > 0 && d('reordered') > 0 && d('duplicated') > 0, `the ${dir} direction was not impaired: ${parts.at(-1)}`);
        }
      }
      return parts.join('; ');
    }

    test(`curl downloads ${formatBytes(BYTES)} from synack's http server, byte-exact`, { timeout: 300_000 }, async (t) => {
      let ms = 0;
      const summary = await impaired(async () => {
        const url = httpUrl(it.addr.stack, HTTP_PORT, `/seeded/${BYTES}/63`);
        const r = await it.sh(`curl ${it.addr.flag} -g -sS --fail --max-time 240 -o - -w '%{stderr}curl: %{size_download} %{http_code}\\n' '${url}' | sha256sum`, { timeoutMs: 250_000 });
        ms = r.ms;
        assert.equal(r.code, 0, `${describeExit('curl | sha256sum', r)}\n${it.describe()}`);
        assert.match(r.stderr, new RegExp(`curl: ${BYTES} 200`), `curl's size and status\n${it.describe()}`);
        assert.equal(r.stdout.toString().split(/\s/)[0], seededSha256(BYTES, 63), `SHA-256 of the body differs\n${it.describe()}`);
        assert.deepEqual(web.errors, []);
      });
      t.diagnostic(`${rate(BYTES, ms)}; ${summary}`);
    });

    test(`socat uploads ${formatBytes(BYTES)} to a synack discard server, byte-exact`, { timeout: 300_000 }, async (t) => {
      let ms = 0;
      const summary = await impaired(async () => {
        const seen = discard.results.length;
        const r = await it.exec(['socat', '-u', `OPEN:${upload},rdonly`, `${it.addr.socatTcp}:${bracket(it.addr.stack)}:${DISCARD_PORT}`], { timeoutMs: 240_000 });
        ms = r.ms;
        assert.equal(r.code, 0, `${describeExit('socat', r)}\n${it.describe()}`);
        const got = await discard.next(seen, 60_000, () => it.describe());
        assert.equal(got.error, undefined, `discard connection failed: ${got.error}`);
        assert.equal(got.bytes, BYTES, `received ${got.bytes} of ${BYTES} bytes\n${it.describe()}`);
        assert.equal(got.sha256, uploadSha, 'SHA-256 of the upload differs');
      });
      t.diagnostic(`${rate(BYTES, ms)}; ${summary}`);
    });

    test(`socat sends ${formatBytes(BYTES)} through a synack echo server (both directions at once), byte-exact`, { timeout: 300_000 }, async (t) => {
      let ms = 0;
      const summary = await impaired(async () => {
        const out = path.join(it.tmp, 'echo');
        const r = await it.sh(`socat -t 120 -b 65536 - ${it.addr.socatTcp}:${bracket(it.addr.stack)}:${ECHO_PORT} < '${upload}' > '${out}'`, { timeoutMs: 240_000 });
        ms = r.ms;
        assert.equal(r.code, 0, `${describeExit('socat', r)}\n${it.describe()}`);
        const got = await fileDigest(out);
        assert.equal(got.bytes, BYTES, `read back ${got.bytes} of ${BYTES} bytes\n${it.describe()}`);
        assert.equal(got.sha256, uploadSha, 'SHA-256 of the echo differs');
      });
      t.diagnostic(`${formatBytes(BYTES)} each way in ${ms.toFixed(0)} ms; ${summary}`);
    });

    test(`http.get on a synack socket downloads ${formatBytes(BYTES)} from python3 http.server, byte-exact`, { timeout: 300_000 }, async (t) => {
      const t0 = performance.now();
      const summary = await impaired(async () => {
        const got = await withTimeout(
          new Promise<{ status: number; bytes: number; sha256: string; socket: Socket }>((resolve, reject) => {
            let socket: Socket | undefined;
            const req = http.get(
              {
                host: it.addr.kernel,
                port: KERNEL_HTTP_PORT,
                path: '/file',
                headers: { connection: 'close' },
                createConnection: () => {
                  socket = it.net.createConnection(KERNEL_HTTP_PORT, it.addr.kernel);
                  void closed(socket);
                  return socket as unknown as Duplex;
                },
              },
              (res) => digestUntilEnd(res).then((d) => resolve({ status: res.statusCode ?? 0, ...d, socket: socket! }), reject),
            );
            req.on('error', reject);
          }),
          240_000,
          'GET /file',
          () => `${it.describe()}\n${httpd.describe()}`,
        );
        assert.equal(got.status, 200);
        assert.equal(got.bytes, BYTES, `received ${got.bytes} of ${BYTES} bytes\n${it.describe()}`);
        assert.equal(got.sha256, kernelFileSha, 'SHA-256 of the body differs');
        assert.equal(await withTimeout(closed(got.socket), 30_000, 'the socket to close', () => it.describe()), false);
      });
      t.diagnostic(`${rate(BYTES, performance.now() - t0)}; ${summary}`);
    });

    test(`a synack socket uploads ${formatBytes(BIG)} to a kernel sink, byte-exact`, { timeout: 600_000 }, async (t) => {
      const t0 = performance.now();
      const summary = await impaired(async () => {
        const sink = it.start('python sink', py('sink', it.addr.kernel, SINK_PORT, family));
        await sink.event('listening', 10_000);
        const socket = await connect(it.net, SINK_PORT, it.addr.kernel);
        socket.resume();
        await withTimeout(pipeline(seededStream(BIG, 64), socket), 500_000, `writing ${formatBytes(BIG)}`, () => it.describe());
        const done = await sink.event('done', 60_000, undefined, () => it.describe());
        assert.equal(done['bytes'], BIG, `the kernel sink read ${String(done['bytes'])} of ${BIG} bytes\n${it.describe()}`);
        assert.equal(done['sha256'], seededSha256(BIG, 64), 'SHA-256 at the kernel sink differs');
        assert.equal(await withTimeout(closed(socket), 30_000, 'the socket to close', () => it.describe()), false);
      });
      t.diagnostic(`${rate(BIG, performance.now() - t0)}; ${summary}`);
    });
  });
}
