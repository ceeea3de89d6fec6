/**
 * Shared harness of the kernel interop tests: a private network namespace with a TUN device in it,
 * the kernel's address on the device, a synack {@link Stack} on the other end (optionally through a
 * link wrapper such as an impairing relay), `node:net`-compatible sockets on that stack, commands run
 * inside the namespace (one-shot or long-running, always killed), seeded data with SHA-256 digests,
 * and a teardown that always runs.
 *
 * Everything is parameterised by address family (`4 | 6`, addresses from {@link addressesFor}); only
 * the families in {@link FAMILIES} run. No traffic leaves the namespace: the device is moved into it
 * before it is brought up, and the namespace has nothing but `lo` and the device.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCipheriv, createHash } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import { Stack, createNet, realRuntime, type LinkPort, type Net, type Runtime, type Socket, type StackTraceEvent, type TcpConfig } from '../../src/index.js';
import { TunLink } from '../../src/link/tun/index.js';
import { interopSkipReason, onPath } from './env.js';

// ───────────────────────────── address families ─────────────────────────────

export type Family = 4 | 6;

/**
 * The families whose cases run: both by default; `SYNACK_INTEROP_FAMILIES=4` (or `6`) narrows it.
 * When the stack refuses an address family, that family's cases are skipped with the reason.
 */
export const FAMILIES: readonly Family[] = (process.env['SYNACK_INTEROP_FAMILIES'] ?? '4,6')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is '4' | '6' => s === '4' || s === '6')
  .map((s) => Number(s) as Family);

/** The addresses of one test network: synack's end and the kernel's end of the TUN device. */
export interface Addresses {
  family: Family;
  /** synack's address. */
  stack: string;
  /** The kernel's address on the device. */
  kernel: string;
  prefixLength: number;
  /** "addr/len" for `stack.addInterface`. */
  stackCidr: string;
  /** "addr/len" for `ip addr add`. */
  kernelCidr: string;
  /** socat's address type for this family. */
  socatTcp: 'TCP4' | 'TCP6';
  /** The family flag of `nc`, curl and ping (curl also needs `-g` for a bracketed IPv6 URL). */
  flag: '-4' | '-6';
}

/**
 * Addresses for test network number `subnet` (1–255): 10.77.subnet.2 (synack) and .1 (kernel) on a
 * /24, or fd00:5ac:0:subnet::2 and ::1 on a /64 (RFC 4193 unique-local; canonical RFC 5952 text).
 */
export function addressesFor(family: Family, subnet: number): Addresses {
  if (!Number.isInteger(subnet) || subnet < 1 || subnet > 255) throw new RangeError(`subnet must be 1–255, got ${subnet}`);
  if (family === 4) {
    const p = `10.77.${subnet}`;
    return { family, stack: `${p}.2`, kernel: `${p}.1`, prefixLength: 24, stackCidr: `${p}.2/24`, kernelCidr: `${p}.1/24`, socatTcp: 'TCP4', flag: '-4' };
  }
  const p = `fd00:5ac:0:${subnet.toString(16)}`;
  return { family, stack: `${p}::2`, kernel: `${p}::1`, prefixLength: 64, stackCidr: `${p}::2/64`, kernelCidr: `${p}::1/64`, socatTcp: 'TCP6', flag: '-6' };
}

/** An address as the host part of a URL or a socat address (`[v6]`). */
export function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** `http://host:port/path`. */
export function httpUrl(address: string, port: number, pathname: string): string {
  return `http://${bracket(address)}:${port}${pathname}`;
}

const DUMMY_LINK: LinkPort = { mtu: 1500, send: () => undefined, setReceiver: () => undefined };

/**
 * Why a family cannot run here, or undefined: the machine (see {@link interopSkipReason}), the tools
 * the tests need, and for IPv6 whether the stack accepts an IPv6 address at all.
 */
export function familySkipReason(family: Family, tools: readonly string[] = []): string | undefined {
  const machine = interopSkipReason();
  if (machine !== undefined) return machine;
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length > 0) return `missing commands: ${missing.join(', ')} (run scripts/install-test-deps.sh)`;
  if (family === 6) {
    try {
      new Stack({ runtime: realRuntime() }).addInterface({ link: DUMMY_LINK, addresses: [addressesFor(6, 1).stackCidr] });
    } catch (e) {
      return `the stack does not take IPv6 addresses yet (${(e as Error).message})`;
    }
  }
  return undefined;
}

// ───────────────────────────── seeded data ─────────────────────────────

const CHUNK = 64 * 1024;

/**
 * `total` pseudo-random bytes determined by `seed`, in chunks of at most 64 KiB: the AES-128-CTR
 * keystream under a key derived from the seed (fast, and never more than one chunk in memory).
 */
export function* seededChunks(total: number, seed: number, chunkSize = CHUNK): Generator<Buffer> {
  const key = createHash('sha256').update(`synack-interop-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunkSize);
  for (let left = total; left > 0; left -= chunkSize) {
    yield cipher.update(left >= chunkSize ? zeros : zeros.subarray(0, left));
  }
}

/** The seeded bytes as a stream (backpressure respected: chunks are made as they are read). */
export function seededStream(total: number, seed: number): Readable {
  return Readable.from(seededChunks(total, seed), { objectMode: false });
}

/** The seeded bytes in one buffer (for small sizes). */
export function seededBuffer(total: number, seed: number): Buffer {
  return Buffer.concat([...seededChunks(total, seed)], total);
}

const digestCache = new Map<string, string>();

/** SHA-256 (hex) of the seeded bytes, computed once per (total, seed). */
export function seededSha256(total: number, seed: number): string {
  const key = `${total}/${seed}`;
  let d = digestCache.get(key);
  if (d === undefined) {
    const h = createHash('sha256');
    for (const c of seededChunks(total, seed)) h.update(c);
    d = h.digest('hex');
    digestCache.set(key, d);
  }
  return d;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Write the seeded bytes to `file`; resolves with their SHA-256. */
export async function writeSeededFile(file: string, total: number, seed: number): Promise<string> {
  const h = createHash('sha256');
  const fd = await fs.promises.open(file, 'w');
  try {
    for (const c of seededChunks(total, seed, 1 << 20)) {
      h.update(c);
      await fd.write(c);
    }
  } finally {
    await fd.close();
  }
  const d = h.digest('hex');
  digestCache.set(`${total}/${seed}`, d);
  return d;
}

/** SHA-256 and length of a file (streamed). */
export async function fileDigest(file: string): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { bytes, sha256: h.digest('hex') };
}

/** Human-readable size: 1000 → "1 kB", 10_000_000 → "10 MB". */
export function formatBytes(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** "x MB in y ms (z Mbit/s)". */
export function rate(bytes: number, ms: number): string {
  return `${formatBytes(bytes)} in ${ms.toFixed(0)} ms (${((bytes * 8) / ms / 1000).toFixed(1)} Mbit/s)`;
}

// ───────────────────────────── time ─────────────────────────────


/**
 * Poll `cond` (every `intervalMs`) until it holds; throws after `timeoutMs` with `what` and whatever
 * `detail()` says. Waiting for a condition, never for a fixed time.
 */
export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, detail?: () => string, intervalMs = 10): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail !== undefined ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `p`, or a rejection naming `what` after `ms` (the timer is cleared either way). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string, detail?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}${detail !== undefined ? `\n${detail()}` : ''}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// ───────────────────────────── processes ─────────────────────────────

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** Killed because it ran past its time limit. */
  timedOut: boolean;
  ms: number;
}

/** Process groups started by this process and not yet reaped, killed on exit whatever happens. */
const liveGroups = new Set<number>();
/** Namespaces created and not yet deleted, deleted on exit whatever happens. */
const liveNamespaces = new Set<string>();

process.once('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const ns of liveNamespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
});

function killGroup(proc: ChildProcess): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Run a command to completion (asynchronously: the event loop keeps driving the stack meanwhile), in
 * its own process group, which is killed with SIGKILL after `timeoutMs`. `input` is written to stdin.
 */
export function run(cmd: string, args: readonly string[], options: { timeoutMs?: number; input?: string | Buffer } = {}): Promise<Exit> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) liveGroups.add(child.pid);
    const out: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // The leader is gone; make sure nothing else of its group lingers (e.g. the left side of a pipe).
      killGroup(child);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr, timedOut, ms: performance.now() - t0 });
    });
  });
}

/** A one-line description of an exit for assertion messages. */
export function describeExit(what: string, r: Exit): string {
  const how = r.timedOut ? `timed out after ${r.ms.toFixed(0)} ms` : r.signal !== null ? `was killed by ${r.signal}` : `exited ${r.code}`;
  const out = r.stdout.length > 0 && r.stdout.length < 2000 ? `\nstdout: ${r.stdout.toString().trim()}` : '';
  return `${what} ${how}${out}${r.stderr.trim() !== '' ? `\nstderr: ${r.stderr.trim().slice(-2000)}` : ''}`;
}

/** Run a short command (15 s at most) and throw, with its output, unless it exits 0. */
export async function mustRun(cmd: string, args: readonly string[]): Promise<void> {
  const r = await run(cmd, args, { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(describeExit(`${cmd} ${args.join(' ')}`, r));
}

/** A JSON line printed by one of the kernel-side programs (see kernel-programs.ts). */
export type KernelEvent = { event: string } & Record<string, unknown>;

/**
 * A long-running process (usually in the namespace): output collected, stdout parsed into JSON
 * events when it prints them, killed (its whole process group) by {@link Background.kill} or at
 * teardown.
 */
export class Background {
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly events: KernelEvent[] = [];
  #stdout = '';
  #stderr = '';
  #lineBuf = '';
  #gone = false;

  constructor(
    readonly what: string,
    cmd: string,
    args: readonly string[],
  ) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    if (this.proc.pid !== undefined) liveGroups.add(this.proc.pid);
    this.proc.stdin!.on('error', () => undefined);
    this.proc.stdout!.on('data', (d: Buffer) => {
      const s = d.toString();
      this.#stdout += s;
      this.#lineBuf += s;
      let nl: number;
      while ((nl = this.#lineBuf.indexOf('\n')) >= 0) {
        const line = this.#lineBuf.slice(0, nl).trim();
        this.#lineBuf = this.#lineBuf.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            this.events.push(JSON.parse(line) as KernelEvent);
          } catch {
            /* not an event */
          }
        }
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.#gone = true;
        killGroup(this.proc);
        if (this.proc.pid !== undefined) liveGroups.delete(this.proc.pid);
        resolve({ code, signal });
      };
      this.proc.on('close', done);
      this.proc.on('error', () => done(null, null));
    });
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get gone(): boolean {
    return this.#gone;
  }

  /** Output so far, for failure messages. */
  describe(): string {
    return `${this.what}${this.#gone ? ` (exited ${this.proc.exitCode ?? this.proc.signalCode})` : ''}\n  stdout: ${this.#stdout.trim().slice(-1500)}\n  stderr: ${this.#stderr.trim().slice(-1500)}`;
  }

  /** Write a line to its stdin. */
  send(line: string): void {
    this.proc.stdin!.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Wait for the first event named `name` (satisfying `pred`), failing early if the process exits first. */
  async event(name: string, timeoutMs: number, pred: (e: KernelEvent) => boolean = () => true, detail?: () => string): Promise<KernelEvent> {
    const find = (): KernelEvent | undefined => this.events.find((e) => e.event === name && pred(e));
    await waitFor(
      `event '${name}' from ${this.what}`,
      () => find() !== undefined || this.#gone,
      timeoutMs,
      () => this.describe() + (detail !== undefined ? `\n${detail()}` : ''),
    );
    // One more look: the final lines may arrive together with the exit.
    const e = find();
    if (e === undefined) {
      await this.exited;
      const late = find();
      if (late !== undefined) return late;
      throw new Error(`${this.what} exited before event '${name}'\n${this.describe()}${detail !== undefined ? `\n${detail()}` : ''}`);
    }
    return e;
  }

  /** Wait for it to exit on its own. */
  async exit(timeoutMs: number, detail?: () => string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return withTimeout(this.exited, timeoutMs, `${this.what} to exit`, () => this.describe() + (detail !== undefined ? `\n${detail()}` : ''));
  }

  /** SIGKILL the whole process group and wait (bounded) for the exit. */
  async kill(): Promise<void> {
    if (this.#gone) return;
    killGroup(this.proc);
    await withTimeout(this.exited, 5000, `${this.what} to die after SIGKILL`).catch(() => undefined);
  }
}

// ───────────────────────────── the test network ─────────────────────────────

/** How {@link Interop.open} builds the network. */
export interface InteropOptions {
  family: Family;
  /** A short name for the namespace (letters, digits, dashes). */
  name: string;
  /** Test network number (1–255), see {@link addressesFor}. */
  subnet: number;
  /** Device MTU (default 1500). */
  mtu?: number;
  /**
   * Open the TUN with `offload` (virtio-net GSO/GRO and checksum offload; the stack then uses TSO).
   * Default: off, or on for every test when SYNACK_TEST_OFFLOAD=1 (the device capture test then fails:
   * on the device, offloaded packets carry partial checksums, as on any offloading NIC).
   */
  offload?: boolean;
  /**
   * Put something between the TUN device and the stack (an impairing relay, a gate). It gets the
   * device's LinkPort and the stack's runtime and returns the LinkPort the stack's interface uses.
   */
  wrapLink?: (tun: LinkPort, runtime: Runtime) => LinkPort;
  /** TCP defaults of the stack. */
  tcp?: Partial<TcpConfig>;
}

let nsSerial = 0;

/**
 * One test network: namespace, TUN device, kernel address, synack stack and its `net` API. Build it
 * with {@link Interop.open} in `before`, and call {@link Interop.close} in `after` (it is also safe to
 * call on a half-built one, and runs every step even if one fails).
 */
export class Interop {
  readonly ns: string;
  readonly addr: Addresses;
  readonly family: Family;
  readonly runtime: Runtime;
  tun: TunLink | undefined;
  /** What the stack's interface sends to and receives from (the device, or a wrapper around it). */
  port: LinkPort | undefined;
  stack!: Stack;
  net!: Net;
  /** A private temporary directory, removed at teardown. */
  readonly tmp: string;
  readonly #children = new Set<Background>();
  #closed = false;

  private constructor(readonly options: InteropOptions) {
    this.family = options.family;
    this.addr = addressesFor(options.family, options.subnet);
    this.ns = `synack-${options.name}-v${options.family}-${process.pid}-${nsSerial++}`;
    this.runtime = realRuntime({ unrefTimers: true });
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `synack-${options.name}-`));
  }

  /** Create the namespace, the device in it, the kernel's address and the stack. */
  static async open(options: InteropOptions): Promise<Interop> {
    const it = new Interop(options);
    try {
      await it.#setUp();
    } catch (e) {
      await it.close().catch(() => undefined);
      throw e;
    }
    return it;
  }

  async #setUp(): Promise<void> {
    const { ns, addr } = this;
    await mustRun('ip', ['netns', 'add', ns]);
    liveNamespaces.add(ns);
    await mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    if (this.family === 4) {
      // No IPv6 chatter (router solicitations, MLD) on an IPv4-only test network.
      await mustRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    this.tun = await TunLink.open({ netns: ns, offload: this.options.offload ?? process.env.SYNACK_TEST_OFFLOAD === '1', ...(this.options.mtu !== undefined ? { mtu: this.options.mtu } : {}) });
    this.port = this.options.wrapLink !== undefined ? this.options.wrapLink(this.tun, this.runtime) : this.tun;
    this.stack = new Stack({ name: 'synack', runtime: this.runtime, ...(this.options.tcp !== undefined ? { tcp: this.options.tcp } : {}) });
    this.stack.addInterface({ name: this.tun.name, link: this.port, addresses: [addr.stackCidr] });
    this.net = createNet(this.stack);
    // Duplicate address detection would keep the kernel's IPv6 address tentative (unusable) for a while.
    await mustRun('ip', ['-n', ns, 'addr', 'add', addr.kernelCidr, 'dev', this.tun.name, ...(this.family === 6 ? ['nodad'] : [])]);
    await mustRun('ip', ['-n', ns, 'link', 'set', this.tun.name, 'up']);
  }

  /** The device's name inside the namespace. */
  get dev(): string {
    return this.tun!.name;
  }

  /** Run a command inside the namespace to completion. */
  exec(args: readonly string[], options: { timeoutMs?: number; input?: string | Buffer } = {}): Promise<Exit> {
    return run('ip', ['netns', 'exec', this.ns, ...args], options);
  }

  /** Run a bash script inside the namespace (`set -o pipefail` on). */
  sh(script: string, options: { timeoutMs?: number; input?: string | Buffer } = {}): Promise<Exit> {
    return this.exec(['bash', '-c', `set -o pipefail\n${script}`], options);
  }

  /** Start a long-running command inside the namespace; it is killed at teardown at the latest. */
  start(what: string, args: readonly string[]): Background {
    const b = new Background(what, 'ip', ['netns', 'exec', this.ns, ...args]);
    this.#children.add(b);
    void b.exited.then(() => this.#children.delete(b));
    return b;
  }

  /** Poll `ss` in the namespace until a kernel socket listens on TCP `port`. */
  async waitForKernelListener(port: number, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const r = await this.exec(['ss', '-Htln', `sport = :${port}`], { timeoutMs: 5000 });
      if (r.code === 0 && r.stdout.toString().trim() !== '') return;
      if (performance.now() > deadline) throw new Error(`no kernel listener on port ${port} after ${timeoutMs} ms: ${describeExit('ss', r)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Stack, link and connection state for failure messages: link counters, stack counters (drops by
   * reason) and each connection's state, queues and loss-recovery counters.
   */
  describe(): string {
    const lines: string[] = [];
    if (this.tun !== undefined) lines.push(`tun ${this.tun.name} counters ${JSON.stringify(this.tun.counters)}${this.tun.lastError ? ` lastError ${this.tun.lastError.message}` : ''}`);
    const port = this.port as (LinkPort & { counters?: unknown; stats?: unknown }) | undefined;
    if (port !== undefined && port !== this.tun) {
      const c = port.stats ?? port.counters;
      if (c !== undefined) lines.push(`link wrapper ${port.constructor.name} ${JSON.stringify(c)}`);
    }
    if (this.stack !== undefined) {
      lines.push(`stack counters ${JSON.stringify(this.stack.counters)}`);
      const conns = this.stack.connections();
      lines.push(`${conns.length} connection(s)${conns.length > 8 ? ' (first 8)' : ''}:`);
      for (const c of conns.slice(0, 8)) {
        lines.push(
          `  ${c.localAddress}:${c.localPort} ↔ ${c.remoteAddress}:${c.remotePort} ${c.state} sndUna=${c.sndUna} sndNxt=${c.sndNxt} sndWnd=${c.sndWnd} rcvWnd=${c.rcvWnd} sendQ=${c.sendQueue} recvQ=${c.receiveQueue} ooo=${c.outOfOrder} cwnd=${c.cwnd} rto=${c.rto} retrans=${c.stats.retransmits} rtos=${c.stats.rtoCount} timers=${JSON.stringify(c.timers)}`,
        );
      }
    }
    return lines.join('\n');
  }

  /** Record the stack's trace events (until the returned function is called). */
  trace(filter: (e: StackTraceEvent) => boolean = () => true): { events: StackTraceEvent[]; stop: () => void } {
    const events: StackTraceEvent[] = [];
    const stop = this.stack.addTraceListener((e) => {
      if (filter(e)) events.push(e);
    });
    return { events, stop };
  }

  /**
   * Tear everything down, each step even if an earlier one failed: kill the processes started here,
   * close the stack and the link wrapper, close the device, kill whatever else still runs in the
   * namespace, delete it, remove the temp dir.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: unknown[] = [];
    const step = async (f: () => Promise<void> | void): Promise<void> => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    await step(async () => {
      await Promise.all([...this.#children].map((c) => c.kill()));
    });
    await step(() => {
      // Stack.close() (where the stack has it) aborts what is left and cancels the stack's timer; the
      // runtime's timers are unref'd anyway, so sockets' own timers cannot hold the process either.
      (this.stack as (Stack & { close?: () => void }) | undefined)?.close?.();
    });
    await step(() => {
      const port = this.port as (LinkPort & { close?: () => void }) | undefined;
      if (port !== undefined && port !== this.tun) port.close?.();
    });
    await step(async () => {
      if (this.tun !== undefined) await withTimeout(this.tun.close(), 10_000, `closing ${this.tun.name}`);
    });
    if (liveNamespaces.has(this.ns)) {
      await step(async () => {
        // Anything still running in the namespace was started by this test (a child of a child).
        const r = await run('ip', ['netns', 'pids', this.ns], { timeoutMs: 5000 });
        for (const pid of r.stdout.toString().split(/\s+/).filter((s) => /^\d+$/.test(s))) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      });
      await step(async () => {
        await mustRun('ip', ['netns', 'del', this.ns]);
        liveNamespaces.delete(this.ns);
      });
    }
    await step(() => fs.rmSync(this.tmp, { recursive: true, force: true }));
    if (errors.length > 0) throw errors[0];
  }
}

// ───────────────────────────── synack-side helpers ─────────────────────────────

/** Connect a synack socket; resolves once established, rejects with the socket's error. */
export function connect(net: Net, port: number, host: string, options: { allowHalfOpen?: boolean } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ port, host, ...(options.allowHalfOpen !== undefined ? { allowHalfOpen: options.allowHalfOpen } : {}) });
    const onError = (e: Error): void => reject(e);
    s.once('error', onError);
    void closed(s);
    s.once('connect', () => {
      s.removeListener('error', onError);
      resolve(s);
    });
  });
}

/** Everything a readable delivers until 'end': byte count and SHA-256 (rejects on 'error'). */
export function digestUntilEnd(readable: Readable | Socket): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    readable.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
    });
    readable.once('end', () => resolve({ bytes, sha256: h.digest('hex') }));
    readable.once('error', reject);
  });
}

const closePromises = new WeakMap<Socket, Promise<boolean>>();

/**
 * Resolves on the socket's 'close' event with its hadError flag. Call it as soon as the socket exists
 * (e.g. in the connection listener; {@link connect} does): the promise is remembered, so asking again
 * later still sees a 'close' that has already happened.
 */
export function closed(socket: Socket): Promise<boolean> {
  let p = closePromises.get(socket);
  if (p === undefined) {
    if (socket.destroyed) return Promise.reject(new Error("closed(socket) asked after the socket was destroyed: call it when the socket is created"));
    p = new Promise((resolve) => socket.once('close', (hadError: boolean) => resolve(hadError)));
    closePromises.set(socket, p);
  }
  return p;
}

// ───────────────────────────── a gate between the device and the stack ─────────────────────────────

/** TCP flag bits. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Ports and flags of a TCP packet (IPv4 or IPv6 without extension headers), or undefined. */
export function tcpInfo(packet: Uint8Array): { srcPort: number; dstPort: number; flags: number; payload: number } | undefined {
  const version = packet[0]! >> 4;
  let off: number;
  let end: number;
  if (version === 4) {
    if (packet[9] !== 6) return undefined;
    off = (packet[0]! & 0x0f) * 4;
    end = (packet[2]! << 8) | packet[3]!;
  } else if (version === 6) {
    if (packet[6] !== 6) return undefined;
    off = 40;
    end = 40 + ((packet[4]! << 8) | packet[5]!);
  } else {
    return undefined;
  }
  if (packet.length < off + 20) return undefined;
  const dataOff = (packet[off + 12]! >> 4) * 4;
  return {
    srcPort: (packet[off]! << 8) | packet[off + 1]!,
    dstPort: (packet[off + 2]! << 8) | packet[off + 3]!,
    flags: packet[off + 13]!,
    payload: end - off - dataOff,
  };
}

/**
 * A pass-through link wrapper that can hold the packets travelling from the device to the stack:
 * {@link hold} queues them, {@link release} delivers them in order. Used to make events cross on the
 * wire in a chosen order (e.g. both FINs in flight at once).
 */
export class GateLink implements LinkPort {
  readonly held: Uint8Array[] = [];
  #holding = false;
  #receiver: ((packet: Uint8Array) => void) | undefined;

  constructor(private readonly inner: LinkPort) {
    inner.setReceiver((p) => {
      if (this.#holding) this.held.push(p);
      else this.#receiver?.(p);
    });
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  send(packet: Uint8Array): void {
    this.inner.send(packet);
  }

  setReceiver(receiver: (packet: Uint8Array) => void): void {
    this.#receiver = receiver;
  }

  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const p of this.held.splice(0)) this.#receiver?.(p);
  }
}
