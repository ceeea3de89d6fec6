/**
 * `synack serve` and `synack get` as child processes on real TUN devices, each in a private network
 * namespace created here: curl in the namespace downloads 5 MB from `serve --http`, then SIGINT must
 * end it with status 0 within the shutdown bound; `get` downloads 2 MB from a kernel-side
 * `python3 -m http.server`. Needs root on Linux with /dev/net/tun, ip, python3 and curl; otherwise
 * skipped with the reason. The devices are moved into the namespaces before they come up, so no
 * traffic leaves them.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { interopSkipReason } from './env.js';
import { mustRun, run } from './harness.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** `n` deterministic pseudo-random bytes (xorshift32 from `seed`). */
function seededBytes(n: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(n / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, n);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A child whose output is collected; `exited` resolves once it is gone. */
interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(cmd: string, args: string[]): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
    proc.on('error', () => resolve({ code: null, signal: null }));
  });
  return { proc, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitFor(what: string, cond: () => boolean, child: Child, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let gone = false;
  void child.exited.then(() => (gone = true));
  while (!cond()) {
    if (gone) throw new Error(`child exited before ${what}: ${child.stderr()}`);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `p`, or 'timeout' after `ms` (the timer is cleared, so it cannot hold the test process). */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function killChild(child: Child | undefined): Promise<void> {
  if (child === undefined || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGKILL');
  await within(child.exited, 2000);
}

const reason = interopSkipReason();
if (reason !== undefined) console.log(`# synack serve/get CLI interop tests skipped: ${reason}`);

const tag = `${process.pid % 100000}`;
/** Unique, ≤ 15 bytes. */
const tunName = (n: number): string => `sk${n}-${tag}`;

describe('synack serve / get on TUN devices in private netns', { skip: reason ?? false, timeout: 120_000 }, () => {
  const namespaces: string[] = [];
  const children: Child[] = [];
  let tmp = '';

  async function newNamespace(suffix: string): Promise<string> {
    const ns = `synack-cli-${process.pid}-${suffix}`;
    await mustRun('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    return ns;
  }

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synack-cli-'));
  });

  after(async () => {
    for (const c of children) await killChild(c);
    for (const ns of namespaces) await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('serve --http: curl downloads 5 MB intact; SIGINT exits 0 within the bound', { timeout: 60_000 }, async (t) => {
    const ns = await newNamespace('serve');
    const dir = path.join(tmp, 'www');
    fs.mkdirSync(dir);
    const body = seededBytes(5 * 1024 * 1024, 0xc11);
    fs.writeFileSync(path.join(dir, 'file'), body);
    const tun = tunName(1);
    const server = start(process.execPath, [MAIN, 'serve', '--tun', tun, '--netns', ns, '--ip', '10.9.1.2/24', '--peer', '10.9.1.1', '--http', dir]);
    children.push(server);
    await waitFor('the ready line', () => server.stdout().includes('synack serving'), server, 15_000);
    assert.match(server.stdout(), /^synack serving http on 10\.9\.1\.2:80 via tun \S+ \(kernel side 10\.9\.1\.1, netns \S+\)\n$/);

    const t0 = performance.now();
    const r = await run('ip', ['netns', 'exec', ns, 'curl', '-sS', '--fail', '--max-time', '30', 'http://10.9.1.2/file', '-o', '-'], { timeoutMs: 40_000 });
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, `curl exited ${r.code}: ${r.stderr}`);
    assert.equal(r.stdout.length, body.length);
    assert.equal(sha256(r.stdout), sha256(body));
    t.diagnostic(`5 MiB in ${ms.toFixed(0)} ms, including curl start-up`);

    const missing = await run('ip', ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.9.1.2/nope'], { timeoutMs: 20_000 });
    assert.equal(missing.stdout.toString(), '404');
    const escape = await run('ip', ['netns', 'exec', ns, 'curl', '-sS', '--path-as-is', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.9.1.2/../../../etc/passwd'], { timeoutMs: 20_000 });
    assert.equal(escape.stdout.toString(), '404');

    const s0 = performance.now();
    server.proc.kill('SIGINT');
    const exit = await within(server.exited, 10_000);
    const shutdownMs = performance.now() - s0;
    assert.notEqual(exit, 'timeout', `serve did not exit within 10 s of SIGINT; stderr: ${server.stderr()}`);
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    assert.ok(shutdownMs < 7000, `shutdown took ${shutdownMs.toFixed(0)} ms (bound 5 s + device removal)`);
    const links = await run('ip', ['-n', ns, '-o', 'link', 'show']);
    assert.ok(!links.stdout.toString().includes(tun), 'the TUN device is gone after exit');
  });

  test('get: downloads 2 MB from a kernel-side python3 http.server intact', { timeout: 60_000 }, async () => {
    const ns = await newNamespace('get');
    const dir = path.join(tmp, 'pub');
    fs.mkdirSync(dir);
    const body = seededBytes(2 * 1024 * 1024, 0x9e7);
    fs.writeFileSync(path.join(dir, 'file'), body);
    // 10.9.2.1 only exists once `get` has brought its device up: let the server bind it beforehand.
    await mustRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
    const py = start('ip', ['netns', 'exec', ns, 'python3', '-u', '-m', 'http.server', '8000', '--bind', '10.9.2.1', '--directory', dir]);
    children.push(py);
    await waitFor('python3 http.server', () => py.stdout().includes('Serving HTTP'), py, 15_000);

    const out = path.join(tmp, 'out');
    const args = ['get', '--tun', tunName(2), '--netns', ns, '--ip', '10.9.2.2/24', '--peer', '10.9.2.1'];
    const r = await run(process.execPath, [MAIN, ...args, 'http://10.9.2.1:8000/file', '-o', out], { timeoutMs: 40_000 });
    assert.equal(r.code, 0, `get exited ${r.code}: ${r.stderr}`);
    const got = fs.readFileSync(out);
    assert.equal(got.length, body.length);
    assert.equal(sha256(got), sha256(body));

    const notFound = await run(process.execPath, [MAIN, ...args, 'http://10.9.2.1:8000/nope'], { timeoutMs: 40_000 });
    assert.equal(notFound.code, 1);
    assert.match(notFound.stderr, /HTTP 404/);
  });

  test('serve, dual stack: curl -4 and curl -6 download the same 3 MB intact; ping and ping -6 are answered', { timeout: 60_000 }, async () => {
    const ns = await newNamespace('dual');
    const dir = path.join(tmp, 'dual');
    fs.mkdirSync(dir);
    const body = seededBytes(3 * 1024 * 1024, 0xd0a1);
    fs.writeFileSync(path.join(dir, 'file'), body);
    const server = start(process.execPath, [
      MAIN, 'serve', '--tun', tunName(3), '--netns', ns, '--ip', '10.9.3.2/24,fd00:9:3::2/64', '--peer', '10.9.3.1,fd00:9:3::1', '--http', dir,
    ]);
    children.push(server);
    await waitFor('the ready line', () => server.stdout().includes('synack serving'), server, 15_000);
    assert.match(server.stdout(), /^synack serving http on 10\.9\.3\.2:80 and \[fd00:9:3::2\]:80 via tun \S+ \(kernel side 10\.9\.3\.1 and fd00:9:3::1, netns \S+\)\n$/);
    for (const url of ['http://10.9.3.2/file', 'http://[fd00:9:3::2]/file']) {
      const r = await run('ip', ['netns', 'exec', ns, 'curl', '-sS', '--fail', '--max-time', '30', '-g', url, '-o', '-'], { timeoutMs: 40_000 });
      assert.equal(r.code, 0, `curl ${url} exited ${r.code}: ${r.stderr}`);
      assert.equal(sha256(r.stdout), sha256(body), url);
    }
    for (const [flag, addr] of [['-4', '10.9.3.2'], ['-6', 'fd00:9:3::2']] as const) {
      const p = await run('ip', ['netns', 'exec', ns, 'ping', flag, '-c', '2', '-i', '0.2', '-W', '5', addr], { timeoutMs: 20_000 });
      assert.equal(p.code, 0, `ping ${flag} ${addr}: ${p.stdout.toString()} ${p.stderr}`);
    }
    server.proc.kill('SIGINT');
    assert.deepEqual(await within(server.exited, 10_000), { code: 0, signal: null }, server.stderr());
  });

  test('get over IPv6: downloads 2 MB from a kernel-side python3 http.server on [fd00:9:4::1] intact', { timeout: 60_000 }, async () => {
    const ns = await newNamespace('get6');
    const dir = path.join(tmp, 'pub6');
    fs.mkdirSync(dir);
    const body = seededBytes(2 * 1024 * 1024, 0x6e7);
    fs.writeFileSync(path.join(dir, 'file'), body);
    await mustRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.ip_nonlocal_bind=1']);
    const py = start('ip', ['netns', 'exec', ns, 'python3', '-u', '-m', 'http.server', '8000', '--bind', 'fd00:9:4::1', '--directory', dir]);
    children.push(py);
    await waitFor('python3 http.server', () => py.stdout().includes('Serving HTTP'), py, 15_000);
    const out = path.join(tmp, 'out6');
    const args = ['get', '--tun', tunName(4), '--netns', ns, '--ip', 'fd00:9:4::2/64', '--peer', 'fd00:9:4::1'];
    const r = await run(process.execPath, [MAIN, ...args, 'http://[fd00:9:4::1]:8000/file', '-o', out], { timeoutMs: 40_000 });
    assert.equal(r.code, 0, `get exited ${r.code}: ${r.stderr}`);
    assert.equal(sha256(fs.readFileSync(out)), sha256(body));
  });

  test('bad address options are refused with a clear message and status 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--ip', 'fd00::2/64', '--peer', '10.0.0.1'], /not of the family/],
      [['--ip', '10.0.0.2/24,10.0.1.2/24', '--peer', '10.0.0.1,10.0.1.1'], /one IPv4 and one IPv6/],
      [['--ip', 'fd00::2/64', '--peer', 'fd01::1'], /is not in fd00::2\/64/],
      [['--ip', '10.0.0.2/24,fd00::2/64', '--peer', '10.0.0.1'], /--peer has 1/],
    ];
    for (const [opts, re] of cases) {
      const r = await run(process.execPath, [MAIN, 'serve', '--tun', tunName(5), ...opts, '--echo']);
      assert.equal(r.code, 2, opts.join(' '));
      assert.match(r.stderr, re);
    }
  });
});
