/**
 * Kernel clients → synack servers over a TUN device in a private network namespace: curl downloads
 * (1 kB … 100 MB) from Node's `http` on synack sockets, socat and nc uploads to a synack discard
 * server (counted and hashed) and through a synack echo server (read back and compared). Every case
 * checks exact lengths and SHA-256 digests. Skipped (with the reason) unless root on Linux with
 * /dev/net/tun and the tools of scripts/install-test-deps.sh.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FAMILIES, Interop, bracket, describeExit, familySkipReason, fileDigest, formatBytes, httpUrl, rate, seededSha256, waitFor, writeSeededFile } from './harness.js';
import { DiscardServer, EchoServer, seededHttpServer } from './synack-apps.js';

const TOOLS = ['curl', 'socat', 'nc', 'sha256sum', 'bash', 'ss'];
const HTTP_PORT = 8080;
const DISCARD_PORT = 9;
const ECHO_PORT = 7;

for (const family of FAMILIES) {
  const skip = familySkipReason(family, TOOLS);
  if (skip !== undefined) console.log(`# kernel-client interop (IPv${family}) skipped: ${skip}`);

  describe(`kernel clients → synack servers, IPv${family}`, { skip: skip ?? false, timeout: 600_000 }, () => {
    let it: Interop;
    let web: ReturnType<typeof seededHttpServer>;
    let discard: DiscardServer;
    let echo: EchoServer;
    const UPLOAD = 12_000_000;
    let uploadFile = '';
    let uploadSha = '';

    before(async () => {
      it = await Interop.open({ family, name: 'kclient', subnet: 1 });
      web = seededHttpServer(it.net, HTTP_PORT);
      discard = new DiscardServer(it.net, DISCARD_PORT);
      echo = new EchoServer(it.net, ECHO_PORT);
      uploadFile = path.join(it.tmp, 'upload');
      uploadSha = await writeSeededFile(uploadFile, UPLOAD, 0x5eed);
    });

    after(async () => {
      await it?.close();
    });

    const downloads: [number, number, number][] = [
      // bytes, seed, curl --max-time (s)
      [1_000, 11, 20],
      [1_000_000, 12, 30],
      [10_000_000, 13, 60],
      [100_000_000, 14, 180],
    ];
    for (const [bytes, seed, maxTime] of downloads) {
      test(`curl downloads ${formatBytes(bytes)} over HTTP from synack, byte-exact`, { timeout: (maxTime + 30) * 1000 }, async (t) => {
        const url = httpUrl(it.addr.stack, HTTP_PORT, `/seeded/${bytes}/${seed}`);
        // Body to sha256sum through a pipe (never held in memory); size and status to stderr.
        const r = await it.sh(`curl ${it.addr.flag} -g -sS --fail --max-time ${maxTime} -o - -w '%{stderr}curl: %{size_download} %{http_code}\\n' '${url}' | sha256sum`, {
          timeoutMs: (maxTime + 10) * 1000,
        });
        assert.equal(r.code, 0, `${describeExit('curl | sha256sum', r)}\n${it.describe()}`);
        const m = /curl: (\d+) (\d+)/.exec(r.stderr);
        assert.ok(m !== null, `no curl summary on stderr: ${r.stderr}`);
        assert.equal(m[2], '200', 'HTTP status');
        assert.equal(Number(m[1]), bytes, `curl received ${m[1]} of ${bytes} bytes\n${it.describe()}`);
        assert.equal(r.stdout.toString().split(/\s/)[0], seededSha256(bytes, seed), `SHA-256 of the body differs\n${it.describe()}`);
        assert.deepEqual(web.errors, [], 'errors on the synack http server');
        t.diagnostic(rate(bytes, r.ms) + ', including curl start-up');
      });
    }

    test('curl twice from one local port: synack closed first, and the second SYN reopens its TIME-WAIT (RFC 9293 §3.6.1)', { timeout: 30_000 }, async () => {
      const trace = it.trace((e) => e.type === 'state' && e.from === 'TIME-WAIT');
      try {
        const url = httpUrl(it.addr.stack, HTTP_PORT, '/seeded/1000/15');
        // Connection: close — synack's http server ends the connection first and keeps TIME-WAIT.
        const once = `curl ${it.addr.flag} -g -sS --fail --max-time 10 --local-port 47123 -H 'Connection: close' -o /dev/null '${url}'`;
        const first = await it.sh(once, { timeoutMs: 15_000 });
        assert.equal(first.code, 0, describeExit('curl', first));
        await waitFor('synack in TIME-WAIT', () => it.stack.connections().some((c) => c.state === 'TIME-WAIT' && c.remotePort === 47123), 5000);
        const second = await it.sh(once, { timeoutMs: 15_000 });
        assert.equal(second.code, 0, describeExit('curl', second));
        const reopened = trace.events.filter((e) => e.type === 'state' && /^RFC 9293 §3\.6\.1 \(MAY-2\)/.test(e.rule));
        assert.equal(reopened.length, 1, `TIME-WAIT left by: ${trace.events.map((e) => (e.type === 'state' ? e.rule : '')).join(' | ')}`);
      } finally {
        trace.stop();
      }
    });

    test(`socat uploads ${formatBytes(UPLOAD)} to a synack discard server`, { timeout: 90_000 }, async (t) => {
      const seen = discard.results.length;
      const r = await it.exec(['socat', '-u', `OPEN:${uploadFile},rdonly`, `${it.addr.socatTcp}:${bracket(it.addr.stack)}:${DISCARD_PORT}`], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${describeExit('socat', r)}\n${it.describe()}`);
      const got = await discard.next(seen, 30_000, () => it.describe());
      assert.equal(got.error, undefined, `discard connection failed: ${got.error}`);
      assert.equal(got.bytes, UPLOAD, `discard server received ${got.bytes} of ${UPLOAD} bytes\n${it.describe()}`);
      assert.equal(got.sha256, uploadSha, 'SHA-256 of the upload differs');
      t.diagnostic(rate(UPLOAD, r.ms));
    });

    test(`nc uploads ${formatBytes(UPLOAD)} to a synack discard server`, { timeout: 90_000 }, async (t) => {
      const seen = discard.results.length;
      // -N: shut down the socket's writing side at the end of the input (the server then sees EOF).
      const r = await it.sh(`nc ${it.addr.flag} -N ${it.addr.stack} ${DISCARD_PORT} < '${uploadFile}'`, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${describeExit('nc', r)}\n${it.describe()}`);
      const got = await discard.next(seen, 30_000, () => it.describe());
      assert.equal(got.error, undefined, `discard connection failed: ${got.error}`);
      assert.equal(got.bytes, UPLOAD, `discard server received ${got.bytes} of ${UPLOAD} bytes\n${it.describe()}`);
      assert.equal(got.sha256, uploadSha, 'SHA-256 of the upload differs');
      t.diagnostic(rate(UPLOAD, r.ms));
    });

    test(`socat sends ${formatBytes(UPLOAD)} through a synack echo server and reads it all back`, { timeout: 90_000 }, async (t) => {
      const out = path.join(it.tmp, 'echo-socat');
      // -t 60: after its input ends, socat waits (up to 60 s) for the echo to end rather than 0.5 s.
      const r = await it.sh(`socat -t 60 -b 65536 - ${it.addr.socatTcp}:${bracket(it.addr.stack)}:${ECHO_PORT} < '${uploadFile}' > '${out}'`, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${describeExit('socat', r)}\n${it.describe()}`);
      const got = await fileDigest(out);
      assert.equal(got.bytes, UPLOAD, `read back ${got.bytes} of ${UPLOAD} bytes\n${it.describe()}`);
      assert.equal(got.sha256, uploadSha, 'SHA-256 of the echo differs');
      assert.deepEqual(echo.errors, []);
      t.diagnostic(`${formatBytes(UPLOAD)} each way in ${r.ms.toFixed(0)} ms`);
    });

    test(`nc sends ${formatBytes(UPLOAD)} through a synack echo server and reads it all back`, { timeout: 90_000 }, async (t) => {
      const out = path.join(it.tmp, 'echo-nc');
      const r = await it.sh(`nc ${it.addr.flag} -N ${it.addr.stack} ${ECHO_PORT} < '${uploadFile}' > '${out}'`, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${describeExit('nc', r)}\n${it.describe()}`);
      const got = await fileDigest(out);
      assert.equal(got.bytes, UPLOAD, `read back ${got.bytes} of ${UPLOAD} bytes\n${it.describe()}`);
      assert.equal(got.sha256, uploadSha, 'SHA-256 of the echo differs');
      assert.deepEqual(echo.errors, []);
      t.diagnostic(`${formatBytes(UPLOAD)} each way in ${r.ms.toFixed(0)} ms`);
    });
  });
}
