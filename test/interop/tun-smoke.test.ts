/**
 * Kernel interop smoke test: a synack Stack on a real Linux TUN device inside a private network
 * namespace, talking to the kernel's TCP via curl. Needs root on Linux with /dev/net/tun, `ip`, python3
 * and curl (scripts/install-test-deps.sh installs the last three); otherwise the suite is skipped with
 * the reason. No traffic leaves the namespace: the TUN device is moved into it before it is brought up.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Stack, realRuntime, createNet, type Runtime } from '../../src/index.js';
import { TunLink } from '../../src/link/tun/index.js';
import { interopSkipReason, onPath } from './env.js';

interface Exit {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Run a command asynchronously (the event loop keeps driving the stack meanwhile). */
function run(cmd: string, args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

async function mustRun(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
}

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

/** The real runtime, with unref'd timers so leftover TCP timers (e.g. TIME-WAIT) cannot hold the process. */
function unrefRuntime(): Runtime {
  const base = realRuntime();
  return {
    ...base,
    setTimer(at, callback) {
      const t = setTimeout(callback, Math.max(0, at - performance.now()));
      t.unref();
      return () => clearTimeout(t);
    },
  };
}

const reason = interopSkipReason();
if (reason !== undefined) console.log(`# tun interop tests skipped: ${reason}`);

let nsCounter = 0;

describe('kernel interop over a TUN device in a private netns', { skip: reason ?? false, timeout: 120_000 }, () => {
  const ns = `synack-test-${process.pid}-${nsCounter++}`;
  const SIZE = 1 << 20;
  const body = seededBytes(SIZE, 0x5eed);
  const bodyHash = createHash('sha256').update(body).digest('hex');
  let link: TunLink | undefined;
  let stack: Stack | undefined;
  let nsCreated = false;

  before(async () => {
    await mustRun('ip', ['netns', 'add', ns]);
    nsCreated = true;
    link = await TunLink.open({ netns: ns });
    await mustRun('ip', ['-n', ns, 'addr', 'add', '10.9.0.1/24', 'dev', link.name]);
    await mustRun('ip', ['-n', ns, 'link', 'set', link.name, 'up']);
    await mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    stack = new Stack({ name: 'synack-tun', runtime: unrefRuntime() });
    stack.addInterface({ link, addresses: ['10.9.0.2/24'] });
    const web = http.createServer((req, res) => {
      if (req.url === '/file') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
        res.end(body);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    createNet(stack)
      .createServer((socket) => web.emit('connection', socket))
      .listen(8080);
  });

  after(async () => {
    try {
      await link?.close();
    } finally {
      if (nsCreated) await mustRun('ip', ['netns', 'del', ns]);
    }
  });

  test('curl in the netns downloads 1 MB over HTTP from the synack stack', { timeout: 60_000 }, async (t) => {
    const t0 = performance.now();
    const r = await run('ip', ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '20', 'http://10.9.0.2:8080/file', '-o', '-']);
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, `curl exited ${r.code}: ${r.stderr}`);
    assert.equal(r.stdout.length, SIZE);
    assert.equal(createHash('sha256').update(r.stdout).digest('hex'), bodyHash);
    t.diagnostic(`1 MiB in ${ms.toFixed(0)} ms (${((SIZE * 8) / ms / 1000).toFixed(1)} Mbit/s, including curl start-up)`);
    t.diagnostic(`link counters ${JSON.stringify(link!.counters)}; stack drops ${JSON.stringify(stack!.counters.drops)}`);
  });

  test("the kernel's connect to a closed synack port is refused", { timeout: 30_000 }, async () => {
    const r = await run('ip', ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '10', 'http://10.9.0.2:8081/', '-o', '/dev/null']);
    assert.equal(r.code, 7, `expected curl exit 7 (connection refused), got ${r.code}: ${r.stderr}`);
    assert.ok(stack!.counters.resetsSent > 0);
  });

  test('ping in the netns is answered by the synack stack', { timeout: 30_000, skip: onPath('ping') ? false : 'ping is not installed' }, async () => {
    const r = await run('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.2', '-W', '5', '10.9.0.2']);
    assert.equal(r.code, 0, `ping failed: ${r.stdout} ${r.stderr}`);
    assert.ok(stack!.counters.echoReplies >= 3);
  });
});
