/**
 * Kernel interop smoke test: a synack Stack on a real Linux TUN device inside a private network
 * namespace, talking to the kernel's TCP via curl (and answering ping). Needs root on Linux with
 * /dev/net/tun, `ip`, python3 and curl (scripts/install-test-deps.sh installs them); otherwise the suite
 * is skipped with the reason. No traffic leaves the namespace: the TUN device is moved into it before
 * it is brought up. The network is built by harness.ts, one per address family in FAMILIES.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { FAMILIES, Interop, describeExit, familySkipReason, httpUrl, rate, seededBuffer, sha256 } from './harness.js';
import { onPath } from './env.js';

for (const family of FAMILIES) {
  const reason = familySkipReason(family, ['curl']);
  if (reason !== undefined) console.log(`# tun interop tests (IPv${family}) skipped: ${reason}`);

  describe(`kernel interop over a TUN device in a private netns, IPv${family}`, { skip: reason ?? false, timeout: 120_000 }, () => {
    const SIZE = 1 << 20;
    const body = seededBuffer(SIZE, 0x5eed);
    const bodyHash = sha256(body);
    let it: Interop;

    before(async () => {
      it = await Interop.open({ family, name: 'smoke', subnet: 7 });
      const web = http.createServer((req, res) => {
        if (req.url === '/file') {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
          res.end(body);
        } else {
          res.writeHead(404);
          res.end();
        }
      });
      it.net.createServer((socket) => web.emit('connection', socket)).listen(8080);
    });

    after(async () => {
      await it?.close();
    });

    test('curl in the netns downloads 1 MB over HTTP from the synack stack', { timeout: 60_000 }, async (t) => {
      const r = await it.exec(['curl', it.addr.flag, '-g', '-sS', '--max-time', '20', httpUrl(it.addr.stack, 8080, '/file'), '-o', '-'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, describeExit('curl', r));
      assert.equal(r.stdout.length, SIZE);
      assert.equal(sha256(r.stdout), bodyHash);
      t.diagnostic(`${rate(SIZE, r.ms)}, including curl start-up`);
      t.diagnostic(`link counters ${JSON.stringify(it.tun!.counters)}; stack drops ${JSON.stringify(it.stack.counters.drops)}`);
    });

    test("the kernel's connect to a closed synack port is refused", { timeout: 30_000 }, async () => {
      const resets = it.stack.counters.resetsSent;
      const r = await it.exec(['curl', it.addr.flag, '-g', '-sS', '--max-time', '10', httpUrl(it.addr.stack, 8081, '/'), '-o', '/dev/null'], { timeoutMs: 20_000 });
      assert.equal(r.code, 7, `expected curl exit 7 (connection refused): ${describeExit('curl', r)}`);
      assert.ok(it.stack.counters.resetsSent > resets);
    });

    test('ping in the netns is answered by the synack stack', { timeout: 30_000, skip: onPath('ping') ? false : 'ping is not installed' }, async () => {
      const replies = it.stack.counters.echoReplies;
      const r = await it.exec(['ping', it.addr.flag, '-c', '3', '-i', '0.2', '-W', '5', it.addr.stack], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, describeExit('ping', r));
      assert.ok(it.stack.counters.echoReplies >= replies + 3);
    });
  });
}
