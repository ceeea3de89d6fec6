import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { LinkPort } from '../types.js';

/**
 * Python program run with the `/dev/net/tun` descriptor as its fd 3. It issues TUNSETIFF
 * (`_IOW('T', 202, int)`) with IFF_TUN | IFF_NO_PI on that descriptor (the ioctl binds the shared open
 * file description, so the parent's descriptor is attached too), prints the kernel-assigned name and
 * exits. Errors go to stderr as "errno strerror" with exit status 2. Kept inline (not a file under
 * scripts/) so the published package, which ships only dist/src, carries it.
 */
export const TUN_ATTACH_PY = [
  'import fcntl, struct, sys',
  'TUNSETIFF = 0x400454ca',
  'IFF_TUN, IFF_NO_PI = 0x0001, 0x1000',
  'try:',
  "    r = fcntl.ioctl(3, TUNSETIFF, struct.pack('16sH22x', sys.argv[1].encode(), IFF_TUN | IFF_NO_PI))",
  'except OSError as e:',
  "    sys.stderr.write('%d %s' % (e.errno, e.strerror))",
  '    sys.exit(2)',
  "print(r[:16].split(b'\\0', 1)[0].decode())",
].join('\n');

/** Options of {@link TunLink.open}. */
export interface TunOpenOptions {
  /** Interface name or pattern ("tun%d" by default; at most 15 bytes). */
  name?: string;
  /**
   * Network namespace (as named by `ip netns`) to put the device in. It is created in this process's
   * namespace (the kernel binds a TUN to the namespace of whoever opened /dev/net/tun) and then moved.
   */
  netns?: string;
  /** Device MTU; the kernel default (1500) when omitted. */
  mtu?: number;
  /**
   * Reads kept outstanding on the libuv thread pool (1–4, default 2). Each one occupies a pool thread
   * while the link is idle (the pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise).
   */
  reads?: number;
  /** Most packets waiting to be written before new ones are dropped (default 4096). */
  writeQueueLimit?: number;
  /** Python interpreter (default "python3"). */
  python?: string;
}

/** Counters of a {@link TunLink}. */
export interface TunCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** Packets read while no receiver was set. */
  dropsNoReceiver: number;
  /** Packets dropped because the write queue was full or the link closed. */
  dropsQueueFull: number;
  readErrors: number;
  writeErrors: number;
}

/** Error opening or driving a TUN device; `code` is a Node-style error code. */
export class TunError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TunError';
  }
}

const MAX_PACKET = 65536;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], extraFd?: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe'];
    if (extraFd !== undefined) stdio.push(extraFd);
    const child = spawn(cmd, args, { stdio });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ip(args: string[]): Promise<void> {
  let r: RunResult;
  try {
    r = await run('ip', args);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TunError('ENOENT', 'the `ip` command (iproute2) is not installed');
    throw e;
  }
  if (r.code !== 0) throw new TunError('EIP', `ip ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}

/**
 * A Linux TUN device as a {@link LinkPort}: IP packets in and out (IFF_NO_PI), no native addon. See
 * src/link/tun/README.md for how the device is attached. Reads are event-driven `fs.read`s on the thread
 * pool; writes are queued, one packet per `fs.write`, one write in flight. Call {@link close} to release
 * the pool threads held by blocked reads (the process will not exit while the link is open).
 */
export class TunLink implements LinkPort {
  readonly counters: TunCounters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    dropsNoReceiver: 0,
    dropsQueueFull: 0,
    readErrors: 0,
    writeErrors: 0,
  };
  /** The last read or write error, if any. */
  lastError: Error | undefined;

  private receiver: ((packet: Uint8Array) => void) | undefined;
  private readonly writeQueue: Uint8Array[] = [];
  private writing = false;
  private outstandingReads = 0;
  private closing: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly fd: number,
    /** Kernel name of the device. */
    readonly name: string,
    /** Namespace the device lives in (undefined: this process's). */
    readonly netns: string | undefined,
    readonly mtu: number,
    reads: number,
    private readonly writeQueueLimit: number,
  ) {
    for (let i = 0; i < reads; i++) this.read(Buffer.allocUnsafe(MAX_PACKET));
  }

  /** Create a TUN device (IFF_TUN | IFF_NO_PI), optionally move it into `netns`, and start reading. */
  static async open(options: TunOpenOptions = {}): Promise<TunLink> {
    if (process.platform !== 'linux') throw new TunError('ENOTSUP', `TUN devices need Linux (this is ${process.platform})`);
    const name = options.name ?? 'tun%d';
    if (Buffer.byteLength(name) > 15 || !/^[A-Za-z0-9_.%-]+$/.test(name)) throw new TunError('EINVAL', `bad interface name ${JSON.stringify(name)}`);
    const reads = options.reads ?? 2;
    if (!Number.isInteger(reads) || reads < 1 || reads > 4) throw new TunError('EINVAL', 'reads must be 1–4');
    if (options.mtu !== undefined && (!Number.isInteger(options.mtu) || options.mtu < 68 || options.mtu > MAX_PACKET - 1)) {
      throw new TunError('EINVAL', `bad mtu ${options.mtu}`);
    }
    if (!fs.existsSync('/dev/net/tun')) throw new TunError('ENOENT', '/dev/net/tun does not exist (load the tun module, or give the container the device)');
    let fd: number;
    try {
      fd = fs.openSync('/dev/net/tun', 'r+');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'EACCES' || code === 'EPERM') throw new TunError('EPERM', 'cannot open /dev/net/tun: run as root (or with CAP_NET_ADMIN and access to the device)');
      throw new TunError(code, `cannot open /dev/net/tun: ${(e as Error).message}`);
    }
    try {
      const python = options.python ?? 'python3';
      let r: RunResult;
      try {
        r = await run(python, ['-c', TUN_ATTACH_PY, name], fd);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TunError('ENOENT', `${python} is not installed (needed to issue the TUNSETIFF ioctl)`);
        throw e;
      }
      if (r.code !== 0) {
        const errno = Number(/^(\d+) /.exec(r.stderr)?.[1]);
        if (errno === 1) throw new TunError('EPERM', `TUNSETIFF refused (EPERM): CAP_NET_ADMIN is needed to create ${name}`);
        if (errno === 16) throw new TunError('EBUSY', `TUNSETIFF: interface ${name} exists and is busy`);
        throw new TunError('EIO', `TUNSETIFF failed: ${r.stderr.trim() || `${python} exited ${r.code}`}`);
      }
      const ifname = r.stdout.trim();
      if (ifname === '') throw new TunError('EIO', 'TUNSETIFF helper printed no interface name');
      if (options.mtu !== undefined) await ip(['link', 'set', 'dev', ifname, 'mtu', String(options.mtu)]);
      if (options.netns !== undefined) await ip(['link', 'set', 'dev', ifname, 'netns', options.netns]);
      return new TunLink(fd, ifname, options.netns, options.mtu ?? 1500, reads, options.writeQueueLimit ?? 4096);
    } catch (e) {
      closeQuietly(fd); // a non-persistent TUN disappears with its last descriptor
      throw e;
    }
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  setReceiver(receiver: (packet: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  send(packet: Uint8Array): void {
    if (this.closing !== undefined || this.writeQueue.length >= this.writeQueueLimit) {
      this.counters.dropsQueueFull++;
      return;
    }
    this.writeQueue.push(packet);
    if (!this.writing) this.writeNext();
  }

  /**
   * Delete the device (which wakes the reads blocked in the kernel), wait for them and for the write
   * in flight, and close the descriptor. Queued writes are dropped. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.counters.dropsQueueFull += this.writeQueue.length;
    this.writeQueue.length = 0;
    if (this.outstandingReads > 0) {
      // A read blocked in tun_ring_recv holds the file open, so closing the fd alone would not wake it;
      // unregistering the device does. Failure means it is already gone (e.g. its namespace was deleted).
      const args = this.netns === undefined ? [] : ['-n', this.netns];
      await ip([...args, 'link', 'del', 'dev', this.name]).catch(() => undefined);
    }
    await new Promise<void>((resolve) => {
      if (this.outstandingReads === 0 && !this.writing) resolve();
      else this.idleWaiters.push(resolve);
    });
    fs.closeSync(this.fd);
  }

  private checkIdle(): void {
    if (this.closing !== undefined && this.outstandingReads === 0 && !this.writing) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private read(buf: Buffer): void {
    this.outstandingReads++;
    fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
      this.outstandingReads--;
      if (this.closing !== undefined) return this.checkIdle();
      if (err) {
        if (err.code === 'EAGAIN' || err.code === 'EINTR') return this.read(buf);
        // The device went away (EFAULT/EBADFD after unregistering): stop this read loop.
        this.counters.readErrors++;
        this.lastError = err;
        return;
      }
      // A real copy (Buffer#slice would be a view): the stack keeps payload views, and buf is reused at once.
      const packet = Uint8Array.prototype.slice.call(buf, 0, n);
      this.read(buf);
      this.counters.packetsIn++;
      this.counters.bytesIn += n;
      if (this.receiver === undefined) this.counters.dropsNoReceiver++;
      else this.receiver(packet);
    });
  }

  private writeNext(): void {
    const packet = this.writeQueue.shift();
    if (packet === undefined) {
      this.writing = false;
      return this.checkIdle();
    }
    this.writing = true;
    fs.write(this.fd, packet, 0, packet.length, null, (err) => {
      if (err) {
        this.counters.writeErrors++;
        this.lastError = err;
      } else {
        this.counters.packetsOut++;
        this.counters.bytesOut += packet.length;
      }
      this.writeNext();
    });
  }
}
