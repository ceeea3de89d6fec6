/**
 * The TUN link's I/O modes against the kernel's TCP: for each configuration ('threadpool', 'epoll',
 * 'epoll' with offload, and offload with an odd MSS so merged payloads start at odd offsets), bulk data
 * kernel → synack and synack → kernel through a private network namespace, checked byte for byte
 * (SHA-256 on both ends), plus the offload counters that show the large-packet paths ran. Needs root
 * on Linux with /dev/net/tun, `ip` and python3; skipped otherwise. Nothing leaves the namespace.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { Stack, realRuntime } from '../../src/index.js';
import type { TcpHandle } from '../../src/stack/tcp-handle.js';
import { TunLink, type TunOpenOptions } from '../../src/link/tun/index.js';
import { fastSum } from '../../src/link/tun/tun-link.js';
import { onesComplementSum } from '../../src/wire/checksum.js';
import { interopSkipReason, onPath } from '../interop/env.js';
import { mustRun, run } from '../interop/harness.js';

const skipReason = (): string | undefined => interopSkipReason(['ip', 'python3']);

/**
 * The kernel's end, a Node program in the namespace. `send HOST PORT N`: connect, send N random bytes,
 * print their SHA-256. `recv HOST PORT`: accept one connection, print the SHA-256 and length of what
 * arrives. Prints `ready` once listening or connected.
 */
const KERNEL_PEER = `
const net = require('net'), crypto = require('crypto');
const [mode, host, port, n] = process.argv.slice(1);
const h = crypto.createHash('sha256');
if (mode === 'send') {
  const s = net.connect(+port, host, () => {
    console.log('ready');
    let left = +n;
    const pump = () => {
      while (left > 0) {
        const c = crypto.randomBytes(Math.min(left, 65536 + 7));
        left -= c.length;
        h.update(c);
        if (!s.write(c)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  s.resume();
  s.on('close', () => console.log(h.digest('hex')));
} else {
  const srv = net.createServer((s) => {
    srv.close();
    let len = 0;
    s.on('data', (d) => { h.update(d); len += d.length; });
    s.on('end', () => { console.log(h.digest('hex') + ' ' + len); s.end(); });
  });
  srv.listen(+port, host, () => console.log('ready'));
}
`;

/** The namespace's TCP InCsumErrors counter (segments its kernel dropped for a bad checksum). */
async function tcpInCsumErrors(ns: string): Promise<number> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });
  const [names, values] = out.split('\n').filter((l) => l.startsWith('Tcp:'));
  const i = names!.split(/\s+/).indexOf('InCsumErrors');
  return Number(values!.split(/\s+/)[i]);
}

/** TCP payload length of an IPv4 packet (0 for anything else). */
function tcpPayloadLength(p: Uint8Array): number {
  if (p.length < 40 || p[0] !== 0x45 || p[9] !== 6) return 0;
  return p.length - 20 - (p[32]! >> 4) * 4;
}

interface Peer {
  child: ChildProcess;
  ready: Promise<void>;
  /** The last line printed, once the program exits 0. */
  result: Promise<string>;
}

function startPeer(ns: string, args: string[]): Peer {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', KERNEL_PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim().split('\n').at(-1)!);
      else reject(new Error(`kernel peer exited ${code}: ${err.trim()}`));
    });
  });
  result.catch(() => undefined);
  return { child, ready, result };
}

test("fastSum (the link's checksum completion) equals onesComplementSum at every alignment and length", () => {
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let t = 0; t < 2000; t++) {
    const len = 1 + (next() % 70_000);
    const shift = next() % 8;
    const bytes = new Uint8Array(new ArrayBuffer(len + shift), shift, len);
    if (t % 5 === 0) bytes.fill(0xff);
    else for (let i = 0; i < len; i++) bytes[i] = next() >>> 24;
    const start = next() % Math.min(len, 80);
    const end = len - (next() % Math.min(len - start, 6));
    const a = fastSum(bytes, start, end);
    const b = onesComplementSum(bytes, start, end);
    // 0 and 0xffff are the two ones'-complement zeros.
    assert.ok(a === b || (a % 0xffff === 0 && b % 0xffff === 0), `len ${len} shift ${shift} [${start}, ${end}): ${a} vs ${b}`);
  }
});

const reason = skipReason();
if (reason !== undefined) console.log(`# TUN I/O tests skipped: ${reason}`);

const CONFIGS: Array<{ label: string; options: TunOpenOptions; offload: boolean; oddSegments?: boolean }> = [
  { label: "io 'threadpool'", options: { io: 'threadpool' }, offload: false },
  { label: "io 'epoll'", options: { io: 'epoll' }, offload: false },
  { label: 'offload', options: { offload: true }, offload: true },
  // MTU 1499: MSS 1459, 1447 bytes of data with timestamps — odd, so merged payloads start at odd offsets.
  { label: 'offload, MTU 1499 (odd segment size)', options: { offload: true, mtu: 1499 }, offload: true, oddSegments: true },
];
const BYTES = 8_000_000;
let nsCounter = 0;

for (const config of CONFIGS) {
  describe(`TUN link, ${config.label}: bulk data both ways against the kernel`, { skip: reason ?? false, timeout: 120_000 }, () => {
    const ns = `synack-tunio-${process.pid}-${nsCounter++}`;
    let link: TunLink | undefined;
    let stack: Stack | undefined;
    let nsCreated = false;
    const peers: ChildProcess[] = [];
    /** TCP payload lengths of the packets the stack handed the link. */
    const sentPayloads = new Map<number, number>();

    before(async () => {
      await mustRun('ip', ['netns', 'add', ns]);
      nsCreated = true;
      link = await TunLink.open({ netns: ns, ...config.options });
      await mustRun('ip', ['-n', ns, 'addr', 'add', '10.203.0.1/24', 'dev', link.name]);
      await mustRun('ip', ['-n', ns, 'link', 'set', link.name, 'up']);
      await mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const send = link.send.bind(link);
      link.send = (p: Uint8Array): void => {
        const n = tcpPayloadLength(p);
        sentPayloads.set(n, (sentPayloads.get(n) ?? 0) + 1);
        send(p);
      };
      const tso = link.tcpOffload;
      if (tso !== undefined) {
        // The stack's TCP goes this way on an offloading link: count the wire segments the kernel cuts.
        const sendTcp = tso.sendTcp.bind(tso);
        tso.sendTcp = (headers: Uint8Array, payload: Uint8Array, size: number): void => {
          for (let off = 0; off < payload.length || off === 0; off += size) {
            const n = Math.min(size, payload.length - off);
            sentPayloads.set(n, (sentPayloads.get(n) ?? 0) + 1);
            if (payload.length === 0) break;
          }
          sendTcp(headers, payload, size);
        };
      }
      stack = new Stack({ name: 'synack-tunio', runtime: realRuntime({ unrefTimers: true }) });
      stack.addInterface({ link, addresses: ['10.203.0.2/24'] });
    });

    after(async () => {
      for (const p of peers) p.kill();
      try {
        await link?.close();
      } finally {
        if (nsCreated) await mustRun('ip', ['netns', 'del', ns]);
      }
    });

    test('the link reports its configuration', () => {
      assert.equal(link!.offload, config.offload);
      const wanted = config.options.io ?? 'epoll';
      assert.equal(link!.io, wanted);
    });

    test(`kernel → synack: ${BYTES} bytes arrive intact`, { timeout: 60_000 }, async () => {
      const listener = stack!.listen({ port: 5001 });
      const hash = createHash('sha256');
      let received = 0;
      const done = new Promise<void>((resolve, reject) => {
        listener.onAcceptable = () => {
          let h: TcpHandle | undefined;
          while ((h = listener.accept()) !== undefined) {
            const s = h;
            const drain = (): void => {
              while (s.readableLength > 0) {
                const d = s.receive();
                if (d.length === 0) break;
                hash.update(d);
                received += d.length;
              }
            };
            s.setEventListener((ev) => {
              if (ev.type === 'readable') drain();
              else if (ev.type === 'eof') {
                drain();
                s.close();
                resolve();
              } else if (ev.type === 'error') reject(new Error(`synack receiver: ${ev.code}`));
            });
          }
        };
      });
      const peer = startPeer(ns, ['send', '10.203.0.2', '5001', String(BYTES)]);
      peers.push(peer.child);
      await done;
      const sent = await peer.result;
      listener.close();
      assert.equal(received, BYTES);
      assert.equal(hash.digest('hex'), sent);
      if (config.offload) assert.ok(link!.counters.gsoPacketsIn > 0, `no unsegmented packets read: ${JSON.stringify(link!.counters)}`);
      assert.equal(link!.counters.readErrors, 0);
      assert.equal(link!.counters.writeErrors, 0);
    });

    test(`synack → kernel: ${BYTES} bytes arrive intact`, { timeout: 60_000 }, async () => {
      const peer = startPeer(ns, ['recv', '10.203.0.1', '5002']);
      peers.push(peer.child);
      await peer.ready;
      const hash = createHash('sha256');
      const c = stack!.connect({ remoteAddress: '10.203.0.1', remotePort: 5002 });
      let sent = 0;
      let carry: Uint8Array | undefined;
      let closing = false;
      const pump = (): void => {
        while (!closing) {
          if (carry === undefined) {
            if (sent >= BYTES) {
              closing = true;
              c.close();
              return;
            }
            // Odd-sized writes, so segment boundaries fall anywhere in a write.
            carry = randomBytes(Math.min(BYTES - sent, 40_001));
            hash.update(carry);
          }
          const n = c.send(carry);
          sent += n;
          if (n < carry.length) {
            carry = carry.subarray(n);
            return;
          }
          carry = undefined;
        }
      };
      const failed = new Promise<never>((_, reject) =>
        c.setEventListener((ev) => {
          if (ev.type === 'established' || ev.type === 'writable') pump();
          else if (ev.type === 'error') reject(new Error(`synack sender: ${ev.code}`));
        }),
      );
      const line = await Promise.race([peer.result, failed]);
      assert.equal(line, `${hash.digest('hex')} ${BYTES}`);
      if (config.offload) {
        // The engine's TSO: segments of several SMSS handed to the kernel to cut (virtio-net GSO).
        assert.ok(link!.counters.gsoPacketsOut > 0, `no GSO packets written: ${JSON.stringify(link!.counters)}`);
        assert.ok(link!.counters.segmentsMerged >= 2 * link!.counters.gsoPacketsOut);
      } else {
        assert.equal(link!.counters.gsoPacketsOut, 0);
      }
      assert.equal(link!.counters.writeErrors, 0);
      assert.equal(await tcpInCsumErrors(ns), 0, 'the kernel dropped segments for bad checksums');
      if (config.oddSegments) {
        const full = Math.max(...sentPayloads.keys());
        assert.equal(full % 2, 1, `full-sized segments carry ${full} bytes, expected an odd count`);
      }
    });

    if (config.offload) {
      test('a segment with a bad checksum makes the kernel drop the merged packet it is in (and TCP recovers)', { timeout: 60_000 }, async () => {
        const before = await tcpInCsumErrors(ns);
        const peer = startPeer(ns, ['recv', '10.203.0.1', '5003']);
        peers.push(peer.child);
        await peer.ready;
        const data = randomBytes(2_000_000);
        let corrupted = 0;
        // Without the stack's TSO (the kernel would complete a checksum over corrupted data and never
        // notice), so that segments go through send() and the link merges runs of them.
        const tso = Object.getOwnPropertyDescriptor(link!, 'tcpOffload')!;
        Object.defineProperty(link!, 'tcpOffload', { value: undefined, configurable: true });
        const mergedBefore = link!.counters.gsoPacketsOut;
        const send = link!.send;
        link!.send = (p: Uint8Array): void => {
          // The 200th full-sized data segment: flip a payload byte after the stack's checksum.
          if (tcpPayloadLength(p) > 1000 && ++corrupted === 200) {
            p = p.slice();
            p[p.length - 1]! ^= 0x5a;
          }
          send(p);
        };
        try {
          const c = stack!.connect({ remoteAddress: '10.203.0.1', remotePort: 5003 });
          let sent = 0;
          let closed = false;
          c.setEventListener((ev) => {
            if (closed || (ev.type !== 'established' && ev.type !== 'writable')) return;
            while (sent < data.length) {
              const n = c.send(data.subarray(sent));
              sent += n;
              if (n === 0) return;
            }
            closed = true;
            c.close();
          });
          const line = await peer.result;
          assert.equal(line, `${createHash('sha256').update(data).digest('hex')} ${data.length}`);
        } finally {
          link!.send = send;
          Object.defineProperty(link!, 'tcpOffload', tso);
        }
        assert.ok(corrupted >= 200);
        assert.equal((await tcpInCsumErrors(ns)) - before, 1, 'the kernel should have dropped exactly one packet for its checksum');
        assert.ok(link!.counters.gsoPacketsOut > mergedBefore, 'runs of segments were merged');
      });
    }
  });
}

describe('TUN link: a packet larger than the link MTU (device MTU raised behind its back)', { skip: reason ?? (onPath('ping') ? false : 'ping is not installed'), timeout: 60_000 }, () => {
  const ns = `synack-tunio-${process.pid}-mtu`;
  let link: TunLink | undefined;
  let stack: Stack | undefined;
  let nsCreated = false;

  before(async () => {
    await mustRun('ip', ['netns', 'add', ns]);
    nsCreated = true;
    link = await TunLink.open({ netns: ns, io: 'epoll' });
    await mustRun('ip', ['-n', ns, 'addr', 'add', '10.203.1.1/24', 'dev', link.name]);
    await mustRun('ip', ['-n', ns, 'link', 'set', link.name, 'mtu', '4000', 'up']);
    stack = new Stack({ name: 'synack-tunio', runtime: realRuntime({ unrefTimers: true }) });
    stack.addInterface({ link, addresses: ['10.203.1.2/24'] });
  });

  after(async () => {
    try {
      await link?.close();
    } finally {
      if (nsCreated) await mustRun('ip', ['netns', 'del', ns]);
    }
  });

  test('is counted as a read error (EMSGSIZE), and later large packets are read whole', async () => {
    const r = await run('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.2', '-W', '5', '-s', '3000', '10.203.1.2']);
    assert.equal(link!.counters.readErrors, 1);
    assert.equal((link!.lastError as { code?: string } | undefined)?.code, 'EMSGSIZE');
    assert.equal(r.code, 0, `ping got no reply: ${r.stderr}`);
    assert.ok(stack!.counters.echoReplies >= 2);
  });
});
