/**
 * The TUN link with `offload` against the kernel, both families: synack's TSO (segments of up to
 * 64 KiB cut by the kernel's GSO, checksums completed by it) under curl downloading 100 MB, and the
 * kernel's GSO packets coming in under socat and echo uploads, all byte-exact. Skipped (with the
 * reason) unless root on Linux with /dev/net/tun and the tools.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FAMILIES, Interop, bracket, describeExit, familySkipReason, fileDigest, formatBytes, httpUrl, rate, seededSha256, writeSeededFile } from './harness.js';
import { DiscardServer, EchoServer, seededHttpServer } from './synack-apps.js';

const TOOLS = ['curl', 'socat', 'sha256sum', 'bash', 'ss'];
const HTTP_PORT = 8080;
const DISCARD_PORT = 9;
const ECHO_PORT = 7;
const UPLOAD = 30_000_000;

for (const family of FAMILIES) {
  const skip = familySkipReason(family, TOOLS);
  if (skip !== undefined) console.log(`# offload interop (IPv${family}) skipped: ${skip}`);

  describe(`TUN offload (TSO/GSO) against the kernel, IPv${family}`, { skip: skip ?? false, timeout: 600_000 }, () => {
    let it: Interop;
    let web: ReturnType<typeof seededHttpServer>;
    let discard: DiscardServer;
    let uploadFile = '';
    let uploadSha = '';

    before(async () => {
      it = await Interop.open({ family, name: 'offload', subnet: 8, offload: true });
      web = seededHttpServer(it.net, HTTP_PORT);
      discard = new DiscardServer(it.net, DISCARD_PORT);
      new EchoServer(it.net, ECHO_PORT);
      uploadFile = path.join(it.tmp, 'upload');
      uploadSha = await writeSeededFile(uploadFile, UPLOAD, 0x0ff1);
    });

    after(async () => {
      await it?.close();
    });

    test('curl downloads 100 MB from synack: segments of several SMSS went to the kernel to cut', { timeout: 210_000 }, async (t) => {
      const bytes = 100_000_000;
      const seed = 41;
      const url = httpUrl(it.addr.stack, HTTP_PORT, `/seeded/${bytes}/${seed}`);
      const r = await it.sh(`curl ${it.addr.flag} -g -sS --fail --max-time 180 -o - -w '%{stderr}curl: %{size_download} %{http_code}\\n' '${url}' | sha256sum`, { timeoutMs: 190_000 });
      assert.equal(r.code, 0, `${describeExit('curl | sha256sum', r)}\n${it.describe()}`);
      const m = /curl: (\d+) (\d+)/.exec(r.stderr);
      assert.ok(m !== null && m[2] === '200' && Number(m[1]) === bytes, `curl: ${r.stderr}\n${it.describe()}`);
      assert.equal(r.stdout.toString().split(/\s/)[0], seededSha256(bytes, seed), 'SHA-256 of the body differs');
      assert.deepEqual(web.errors, []);
      const c = it.tun!.counters;
      assert.ok(c.gsoPacketsOut > 0 && c.segmentsMerged > 2 * c.gsoPacketsOut, `no TSO: ${JSON.stringify(c)}`);
      assert.equal(c.writeErrors, 0);
      t.diagnostic(`${rate(bytes, r.ms)}; ${c.gsoPacketsOut} GSO packets carried ${c.segmentsMerged} segments`);
    });

    test(`socat uploads ${formatBytes(UPLOAD)} to a synack discard server: the kernel's GSO packets come in whole`, { timeout: 90_000 }, async (t) => {
      const seen = discard.results.length;
      const before = it.tun!.counters.gsoPacketsIn;
      const r = await it.exec(['socat', '-u', `OPEN:${uploadFile},rdonly`, `${it.addr.socatTcp}:${bracket(it.addr.stack)}:${DISCARD_PORT}`], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${describeExit('socat', r)}\n${it.describe()}`);
      const got = await discard.next(seen, 30_000, () => it.describe());
      assert.equal(got.error, undefined);
      assert.equal(got.bytes, UPLOAD);
      assert.equal(got.sha256, uploadSha, 'SHA-256 of the upload differs');
      assert.ok(it.tun!.counters.gsoPacketsIn > before, 'no GSO packets read');
      t.diagnostic(rate(UPLOAD, r.ms));
    });

    test(`socat sends ${formatBytes(UPLOAD)} through a synack echo server and reads it all back`, { timeout: 90_000 }, async () => {
      const out = path.join(it.tmp, 'echo');
      const r = await it.sh(`socat -t 60 -b 65536 - ${it.addr.socatTcp}:${bracket(it.addr.stack)}:${ECHO_PORT} < '${uploadFile}' > '${out}'`, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${describeExit('socat', r)}\n${it.describe()}`);
      const got = await fileDigest(out);
      assert.equal(got.bytes, UPLOAD);
      assert.equal(got.sha256, uploadSha, 'SHA-256 of the echo differs');
    });
  });
}
