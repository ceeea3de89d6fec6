/**
 * synack clients → kernel servers over a TUN device in a private network namespace: Node's `http.get`
 * on a synack socket (`createConnection`, as `synack get` does it) fetches files from
 * `python3 -m http.server` in the namespace, and a synack socket uploads 100 MB to a kernel-side
 * Python sink that reports the length and SHA-256 of what it read. Skipped (with the reason) unless
 * root on Linux with /dev/net/tun, ip and python3.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FAMILIES, Interop, closed, connect, digestUntilEnd, familySkipReason, rate, seededStream, seededSha256, withTimeout, writeSeededFile, type Background } from './harness.js';
import { py } from './kernel-programs.js';
import type { Socket } from '../../src/index.js';

const TOOLS = ['ss'];
const HTTP_PORT = 8000;
const SINK_PORT = 9000;

for (const family of FAMILIES) {
  const skip = familySkipReason(family, TOOLS);
  if (skip !== undefined) console.log(`# synack-client interop (IPv${family}) skipped: ${skip}`);

  describe(`synack clients → kernel servers, IPv${family}`, { skip: skip ?? false, timeout: 600_000 }, () => {
    let it: Interop;
    let www = '';
    let httpd: Background;
    const files = new Map<string, { bytes: number; sha256: string }>();

    before(async () => {
      it = await Interop.open({ family, name: 'sclient', subnet: 2 });
      www = path.join(it.tmp, 'www');
      fs.mkdirSync(www);
      for (const [name, bytes, seed] of [
        ['1M', 1_000_000, 21],
        ['100M', 100_000_000, 22],
      ] as const) {
        files.set(name, { bytes, sha256: await writeSeededFile(path.join(www, name), bytes, seed) });
      }
      httpd = it.start('python3 -m http.server', ['python3', '-u', '-m', 'http.server', String(HTTP_PORT), '--bind', it.addr.kernel, '--directory', www]);
      await it.waitForKernelListener(HTTP_PORT);
    });

    after(async () => {
      await it?.close();
    });

    /** GET a path from the kernel's http.server with Node's http client on a synack socket. */
    function get(pathname: string): Promise<{ status: number; bytes: number; sha256: string; socket: Socket }> {
      return new Promise((resolve, reject) => {
        let socket: Socket | undefined;
        const req = http.get(
          {
            host: it.addr.kernel,
            port: HTTP_PORT,
            path: pathname,
            headers: { connection: 'close' },
            createConnection: () => {
              socket = it.net.createConnection(HTTP_PORT, it.addr.kernel);
              void closed(socket);
              return socket as unknown as Duplex;
            },
          },
          (res) => {
            digestUntilEnd(res).then((d) => resolve({ status: res.statusCode ?? 0, ...d, socket: socket! }), reject);
            res.on('aborted', () => reject(new Error('response aborted before its end')));
          },
        );
        req.on('error', reject);
      });
    }

    for (const name of ['1M', '100M']) {
      test(`http.get on a synack socket downloads ${name === '1M' ? '1 MB' : '100 MB'} from python3 http.server, byte-exact`, { timeout: 180_000 }, async (t) => {
        const want = files.get(name)!;
        const t0 = performance.now();
        const got = await withTimeout(get(`/${name}`), 150_000, `GET /${name}`, () => `${it.describe()}\n${httpd.describe()}`);
        const ms = performance.now() - t0;
        assert.equal(got.status, 200);
        assert.equal(got.bytes, want.bytes, `received ${got.bytes} of ${want.bytes} bytes\n${it.describe()}`);
        assert.equal(got.sha256, want.sha256, 'SHA-256 of the body differs');
        // http.server closes after the response (HTTP/1.0): the connection must close cleanly.
        assert.equal(await withTimeout(closed(got.socket), 10_000, 'the socket to close', () => it.describe()), false, 'the socket closed with an error');
        t.diagnostic(rate(want.bytes, ms));
      });
    }

    test('a synack socket uploads 100 MB to a kernel sink that hashes it', { timeout: 180_000 }, async (t) => {
      const BYTES = 100_000_000;
      const SEED = 23;
      const sink = it.start('python sink', py('sink', it.addr.kernel, SINK_PORT, family));
      await sink.event('listening', 10_000);
      const t0 = performance.now();
      const socket = await connect(it.net, SINK_PORT, it.addr.kernel);
      const socketClosed = closed(socket);
      socket.resume(); // nothing comes back but the FIN
      await withTimeout(pipeline(seededStream(BYTES, SEED), socket), 150_000, 'writing 100 MB', () => it.describe());
      const done = await sink.event('done', 60_000, undefined, () => it.describe());
      const ms = performance.now() - t0;
      assert.equal(done['bytes'], BYTES, `the kernel sink read ${String(done['bytes'])} of ${BYTES} bytes\n${it.describe()}`);
      assert.equal(done['sha256'], seededSha256(BYTES, SEED), 'SHA-256 at the kernel sink differs');
      assert.equal(await withTimeout(socketClosed, 10_000, 'the socket to close', () => it.describe()), false, 'socket closed with an error');
      t.diagnostic(rate(BYTES, ms));
    });
  });
}
