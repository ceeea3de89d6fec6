import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from '../../wire/checksum.js';
import { tcpOffsetOf } from '../../wire/tso.js';
import type { LinkPort, LinkReceiveInfo, TcpSegmentationOffload } from '../types.js';

/**
 * Python program run with the `/dev/net/tun` descriptor as its fd 3. It issues TUNSETIFF
 * (`_IOW('T', 202, int)`) with IFF_TUN | IFF_NO_PI on that descriptor (the ioctl binds the shared open
 * file description, so the parent's descriptor is attached too), prints the kernel-assigned name and
 * exits. With a second argument `vnet` it also sets IFF_VNET_HDR and enables checksum and TCP
 * segmentation offload (TUNSETOFFLOAD, `_IOW('T', 208, unsigned int)`, with TUN_F_CSUM | TUN_F_TSO4 |
 * TUN_F_TSO6). Errors go to stderr as "errno strerror" with exit status 2. Kept inline (not a file under
 * scripts/) so the published package, which ships only dist/src, carries it.
 */
export const TUN_ATTACH_PY = [
  'import fcntl, struct, sys',
  'TUNSETIFF, TUNSETOFFLOAD = 0x400454ca, 0x400454d0',
  'IFF_TUN, IFF_NO_PI, IFF_VNET_HDR = 0x0001, 0x1000, 0x4000',
  "vnet = sys.argv[2:3] == ['vnet']",
  'try:',
  "    r = fcntl.ioctl(3, TUNSETIFF, struct.pack('16sH22x', sys.argv[1].encode(), IFF_TUN | IFF_NO_PI | (IFF_VNET_HDR if vnet else 0)))",
  '    if vnet:',
  '        fcntl.ioctl(3, TUNSETOFFLOAD, 0x01 | 0x02 | 0x04)',
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
   * How packets are read: `'epoll'` watches the descriptor on Node's event loop (non-blocking reads,
   * no thread pool; needs Node's `pipe_wrap` binding), `'threadpool'` keeps blocking `fs.read`s
   * outstanding on the libuv thread pool. `'auto'` (the default) is `'epoll'` when available.
   */
  io?: TunIoMode;
  /**
   * `'threadpool'` mode: reads kept outstanding on the libuv thread pool (1–4, default 2). Each one
   * occupies a pool thread while the link is idle (the pool has 4 threads unless UV_THREADPOOL_SIZE
   * says otherwise).
   */
  reads?: number;
  /**
   * `'threadpool'` mode: most packets waiting to be written before new ones are dropped (default 4096).
   * (`'epoll'` mode writes each packet at once, so nothing waits.)
   */
  writeQueueLimit?: number;
  /**
   * Segmentation and checksum offload through the virtio-net header (IFF_VNET_HDR, TUNSETOFFLOAD;
   * `'epoll'` mode only; default false). The kernel then hands the link TCP packets of up to 64 KiB
   * (its TSO, like a NIC's LRO/GRO) with checksums left for the link to complete, which the link does
   * before passing them on. Going out, the link offers the stack {@link TunLink.tcpOffload}: TCP
   * segments of up to 64 KiB with partial checksums, written as they are (NEEDS_CSUM, gso_type
   * TCPV4/TCPV6) for the kernel to cut to the MTU and complete; runs of consecutive full-sized
   * segments handed to `send()` are still merged into one such packet, their checksum derived from
   * the segments' own. The stack sees larger-than-MTU packets come in; the kernel's TCP sees what it
   * would see behind GRO. Captures on the device show the large packets, with partial checksums.
   */
  offload?: boolean;
  /** Python interpreter (default "python3"). */
  python?: string;
}

/** See {@link TunOpenOptions.io}. */
export type TunIoMode = 'auto' | 'epoll' | 'threadpool';

/** Counters of a {@link TunLink}. */
export interface TunCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** Packets read while no receiver was set. */
  dropsNoReceiver: number;
  /** Packets dropped because the write queue was full (or the kernel said EAGAIN) or the link closed. */
  dropsQueueFull: number;
  readErrors: number;
  writeErrors: number;
  /** `offload`: packets read that the kernel had not segmented (its TSO; counted in packetsIn too). */
  gsoPacketsIn: number;
  /** `offload`: packets written that merge two or more of the stack's segments (counted in packetsOut). */
  gsoPacketsOut: number;
  /** `offload`: the stack's segments that went out inside those merged packets. */
  segmentsMerged: number;
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

/** What {@link TunLink} needs of Node's internal `pipe_wrap` binding. */
interface PipeHandle {
  open(fd: number): number;
  close(callback?: () => void): void;
}
interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}

let pipeBinding: PipeBinding | null | undefined;

/**
 * Node's `pipe_wrap` binding (what `net.Socket({ fd })` uses for pipes), or undefined where it is
 * missing (other runtimes, a future Node). `process.binding` is deprecated (DEP0111, a documentation
 * deprecation that warns only under `--pending-deprecation`) but has no public replacement: Node
 * refuses `net.Socket({ fd })` for a character device, and there is no public `uv_poll`.
 */
function pipeWrap(): PipeBinding | undefined {
  if (pipeBinding === undefined) {
    pipeBinding = null;
    try {
      const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
      const pw = typeof binding === 'function' ? (binding.call(process, 'pipe_wrap') as Partial<PipeBinding> | undefined) : undefined;
      if (typeof pw?.Pipe === 'function' && typeof pw.constants?.SOCKET === 'number') pipeBinding = pw as PipeBinding;
    } catch {
      /* not available */
    }
  }
  return pipeBinding ?? undefined;
}

/** The IP total length a packet declares (IPv4 total length, IPv6 40 + payload length), or 0. */
function declaredLength(p: Uint8Array): number {
  if (p.length < 4) return 0;
  const v = p[0]! >> 4;
  if (v === 4) return (p[2]! << 8) | p[3]!;
  if (v === 6 && p.length >= 6) return 40 + ((p[4]! << 8) | p[5]!);
  return 0;
}

// ───────────────────────────── virtio-net header (offload) ─────────────────────────────

/** struct virtio_net_hdr: flags u8, gso_type u8, hdr_len, gso_size, csum_start, csum_offset (u16, native order). */
const VNET_HDR_LEN = 10;
const VNET_F_NEEDS_CSUM = 1;
const VNET_GSO_NONE = 0;
const VNET_GSO_TCPV4 = 1;
const VNET_GSO_TCPV6 = 4;
/** Offset of the checksum field in the TCP header (virtio-net csum_offset). */
const TCP_CHECKSUM_OFFSET = 16;

/** A segment handed over through {@link TunLink.tcpOffload}, written at the end of the turn. */
interface OffloadedSegment {
  headers: Uint8Array;
  payload: Uint8Array;
  segmentSize: number;
}
const NATIVE_LE = os.endianness() === 'LE';
/** The header of a packet written as it is (no GSO, checksum already complete). */
const VNET_PLAIN = new Uint8Array(VNET_HDR_LEN);
/**
 * 'epoll' mode: after a packet that libuv read, at most this many more packets and bytes are read
 * with `readSync` before other events get their turn. 512 covers a full queue of the default device
 * (txqueuelen 500); the byte bound keeps a turn to a few milliseconds with offload's 64 KiB packets.
 */
const MAX_DRAIN_PACKETS = 512;
const MAX_DRAIN_BYTES = 2 * 1024 * 1024;
/** At most this many segments go into one merged packet. */
const MAX_MERGED_SEGMENTS = 64;
const TCP_ACK = 0x10;
/** Passed with a packet whose TCP checksum the link has just computed (see {@link LinkReceiveInfo}). */
const CHECKSUM_VERIFIED: LinkReceiveInfo = Object.freeze({ checksumVerified: true });
const TCP_PSH = 0x08;

/**
 * A read buffer of `size` uninitialised bytes, as a plain Uint8Array (not a Buffer: slicing a Buffer
 * goes through its species constructor, which is slow). With `vnet`, it starts 2 bytes into its
 * memory, so that behind the 10-byte virtio-net header the IP packet is 4-byte aligned.
 */
function readBufferOf(size: number, vnet: boolean): Uint8Array {
  const pad = vnet ? 2 : 0;
  const b = Buffer.allocUnsafeSlow(size + pad);
  return new Uint8Array(b.buffer, b.byteOffset + pad, size);
}

/**
 * {@link onesComplementSum} of `bytes[start..end)` (kept for callers of the link's former fast path;
 * `onesComplementSum` itself now sums long ranges as aligned native 32-bit words).
 */
export function fastSum(bytes: Uint8Array, start: number, end: number): number {
  return onesComplementSum(bytes, start, end);
}

/**
 * Whether `p` is an IP packet whose TCP header starts at `start`, right after the IP header: IPv4
 * (protocol 6, header length `start`, not a fragment, total length = the packet) or IPv6 (next
 * header 6, `start` 40, payload length = the rest of the packet).
 */
function isTcpAt(p: Uint8Array, start: number): boolean {
  const v = p[0]! >> 4;
  if (v === 4) {
    return (p[0]! & 0xf) * 4 === start && p[9] === 6 && (be16(p, 6) & 0x3fff) === 0 && be16(p, 2) === p.length;
  }
  return v === 6 && start === 40 && p[6] === 6 && 40 + be16(p, 4) === p.length;
}

function getU16(b: Uint8Array, at: number, le: boolean): number {
  return le ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
}

function putU16(b: Uint8Array, at: number, v: number, le: boolean): void {
  if (le) {
    b[at] = v & 0xff;
    b[at + 1] = v >>> 8;
  } else {
    b[at] = v >>> 8;
    b[at + 1] = v & 0xff;
  }
}

const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/**
 * Length of the TCP payload of `p` if it is an IPv4 packet (no IP options, not a fragment) carrying a
 * TCP segment with data and flags ACK or ACK|PSH only — the kind of packet that can be merged — else -1.
 */
function mergeablePayload(p: Uint8Array): number {
  if (p.length < 41 || p[0] !== 0x45 || p[9] !== 6 || (be16(p, 6) & 0x3fff) !== 0 || be16(p, 2) !== p.length) return -1;
  const flags = p[33]!;
  if (flags !== TCP_ACK && flags !== (TCP_ACK | TCP_PSH)) return -1;
  const thl = (p[32]! >> 4) * 4;
  if (thl < 20) return -1;
  const n = p.length - 20 - thl;
  return n > 0 ? n : -1;
}

/** Whether `b` continues the run that `a` (first) and `last` (previous) form: same flow and headers, next in sequence. */
function continues(a: Uint8Array, last: Uint8Array, lastPayload: number, b: Uint8Array): boolean {
  // IPv4: TOS, flags (DF), TTL, protocol, addresses.
  if (b[1] !== a[1] || b[6] !== a[6] || b[8] !== a[8]) return false;
  for (let i = 12; i < 20; i++) if (b[i] !== a[i]) return false;
  // TCP: ports, ACK, data offset, window, urgent pointer and options equal; SEQ follows on.
  const hl = 20 + (a[32]! >> 4) * 4;
  if (b[32] !== a[32]) return false;
  for (let i = 20; i < 24; i++) if (b[i] !== a[i]) return false;
  for (let i = 28; i < 32; i++) if (b[i] !== a[i]) return false;
  for (let i = 34; i < 36; i++) if (b[i] !== a[i]) return false;
  for (let i = 38; i < hl; i++) if (b[i] !== a[i]) return false;
  return be32(b, 24) === ((be32(last, 24) + lastPayload) >>> 0);
}

/**
 * A Linux TUN device as a {@link LinkPort}: IP packets in and out (IFF_NO_PI), no native addon. See
 * src/link/tun/README.md for how the device is attached and for the two ways of driving it:
 *
 * - `'epoll'` (the default where Node's `pipe_wrap` binding exists): the descriptor is made
 *   non-blocking and watched by the event loop like a pipe; when it is readable, libuv reads a packet
 *   straight into one reusable buffer and the link then takes whatever else is queued with
 *   non-blocking `readSync`s (up to 512 packets); each packet is written with one synchronous
 *   `write(2)` as the stack sends it. No thread pool, no queue.
 * - `'threadpool'`: blocking `fs.read`s kept outstanding on the libuv thread pool; writes queued, one
 *   packet per `fs.write`, one write in flight.
 *
 * With `offload` (see {@link TunOpenOptions.offload}) packets carry a virtio-net header, TCP packets
 * come in unsegmented, and runs of segments go out merged.
 *
 * Call {@link close} to release the device (the process will not exit while the link is open).
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
    gsoPacketsIn: 0,
    gsoPacketsOut: 0,
    segmentsMerged: 0,
  };
  /** The last read or write error, if any. */
  lastError: Error | undefined;
  /** How this link reads and writes (see {@link TunOpenOptions.io}). */
  readonly io: 'epoll' | 'threadpool';

  private receiver: ((packet: Uint8Array, info?: LinkReceiveInfo) => void) | undefined;
  private closing: Promise<void> | undefined;
  /** 'epoll': the descriptor was closed (by {@link close}, or by a read error): write nothing more to it. */
  private fdClosed = false;
  // 'epoll' mode
  private socket: net.Socket | undefined;
  private readBuffer: Uint8Array;
  // offload: packets sent during this turn of the event loop, written (merged) at its end
  private pending: Array<Uint8Array | OffloadedSegment> = [];
  /**
   * With `offload`: the stack hands over TCP segments of up to 64 KiB with partial checksums, and the
   * kernel cuts them to the MTU and completes the checksums (virtio-net GSO and NEEDS_CSUM), as for a
   * virtual machine's network card.
   */
  readonly tcpOffload?: TcpSegmentationOffload;
  private flushQueued = false;
  private readonly flushPending = (): void => this.flush();
  private readonly vnetHeader = new Uint8Array(VNET_HDR_LEN);
  // 'threadpool' mode
  private readonly writeQueue: Uint8Array[] = [];
  private writing = false;
  private outstandingReads = 0;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly fd: number,
    /** Kernel name of the device. */
    readonly name: string,
    /** Namespace the device lives in (undefined: this process's). */
    readonly netns: string | undefined,
    readonly mtu: number,
    /** Pipe handle already opened on `fd` ('epoll' mode), or undefined ('threadpool' mode). */
    handle: PipeHandle | undefined,
    reads: number,
    private readonly writeQueueLimit: number,
    /** Whether packets carry a virtio-net header (see {@link TunOpenOptions.offload}). */
    readonly offload: boolean,
  ) {
    // Without offload the kernel never hands a TUN reader a packet larger than the device MTU, and a
    // buffer of exactly that size lets libuv keep reading while packets fill it (it stops at the
    // first short read).
    this.readBuffer = readBufferOf(offload ? VNET_HDR_LEN + MAX_PACKET : Math.min(mtu, MAX_PACKET), offload);
    this.io = handle !== undefined ? 'epoll' : 'threadpool';
    if (offload) {
      this.tcpOffload = {
        maxPacket: 0xffff,
        sendTcp: (headers, payload, segmentSize) => this.queue({ headers, payload, segmentSize }),
      };
    }
    if (handle !== undefined) {
      const options = {
        handle,
        onread: { buffer: () => this.readBuffer, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
      };
      const socket = new net.Socket(options as unknown as net.SocketConstructorOpts);
      socket.on('error', (err: Error) => {
        // The device went away (EBADFD after it was deleted, e.g. with its namespace): net.Socket
        // closes the descriptor.
        this.counters.readErrors++;
        this.lastError = err;
      });
      socket.on('close', () => (this.fdClosed = true));
      this.socket = socket;
    } else {
      for (let i = 0; i < reads; i++) this.read(Buffer.allocUnsafe(MAX_PACKET));
    }
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
    const io = options.io ?? 'auto';
    if (io !== 'auto' && io !== 'epoll' && io !== 'threadpool') throw new TunError('EINVAL', `bad io mode ${JSON.stringify(io)}`);
    const offload = options.offload ?? false;
    if ((io === 'epoll' || offload) && pipeWrap() === undefined) {
      throw new TunError('ENOTSUP', `${offload ? 'offload needs' : "io 'epoll' needs"} Node's pipe_wrap binding (process.binding), which this runtime lacks`);
    }
    if (offload && io === 'threadpool') throw new TunError('ENOTSUP', "offload needs io 'epoll'");
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
        r = await run(python, ['-c', TUN_ATTACH_PY, name, ...(offload ? ['vnet'] : [])], fd);
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
      let handle: PipeHandle | undefined;
      const pw = io === 'threadpool' ? undefined : pipeWrap();
      if (pw !== undefined) {
        // uv_pipe_open: makes the descriptor non-blocking and registers it with the loop's epoll set.
        const h = new pw.Pipe(pw.constants.SOCKET);
        const err = h.open(fd);
        if (err !== 0) throw new TunError('EIO', `cannot watch the TUN descriptor on the event loop (uv_pipe_open: ${err}); io: 'threadpool' avoids this`);
        handle = h;
      }
      return new TunLink(fd, ifname, options.netns, options.mtu ?? 1500, handle, reads, options.writeQueueLimit ?? 4096, offload);
    } catch (e) {
      closeQuietly(fd); // a non-persistent TUN disappears with its last descriptor
      throw e;
    }
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  setReceiver(receiver: (packet: Uint8Array, info?: LinkReceiveInfo) => void): void {
    this.receiver = receiver;
  }

  send(packet: Uint8Array): void {
    if (this.socket !== undefined) {
      if (this.closing !== undefined || this.fdClosed) {
        this.counters.dropsQueueFull++;
        return;
      }
      if (this.offload) {
        this.queue(packet);
        return;
      }
      // One packet per write(2). A TUN write never blocks and never writes part of a packet: the
      // kernel takes the packet (running its receive path in this call) or refuses it.
      try {
        fs.writeSync(this.fd, packet);
        this.wrote(packet.length);
      } catch (e) {
        this.writeFailed(e);
      }
      return;
    }
    if (this.closing !== undefined || this.writeQueue.length >= this.writeQueueLimit) {
      this.counters.dropsQueueFull++;
      return;
    }
    this.writeQueue.push(packet);
    if (!this.writing) this.writeNext();
  }

  /** offload: write at the end of this turn, so that a burst of segments can go out as one packet. */
  private queue(p: Uint8Array | OffloadedSegment): void {
    if (this.closing !== undefined || this.fdClosed) {
      this.counters.dropsQueueFull++;
      return;
    }
    this.pending.push(p);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushPending);
    }
  }

  /**
   * Stop reading and close the descriptor, which deletes a non-persistent device. In 'threadpool' mode
   * the device is deleted first (that wakes the reads blocked in the kernel), and queued writes are
   * dropped. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing === undefined && this.pending.length > 0) this.flush(); // sent before close(): write it
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const socket = this.socket;
    if (socket !== undefined) {
      if (socket.closed) return;
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy(); // closes the pipe handle, and with it the descriptor
      });
      return;
    }
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

  private wrote(bytes: number): void {
    this.counters.packetsOut++;
    this.counters.bytesOut += bytes;
  }

  private writeFailed(e: unknown): void {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') this.counters.dropsQueueFull++;
    else this.counters.writeErrors++;
    this.lastError = e as Error;
  }

  /** 'epoll' mode: libuv read `n` bytes (one packet) into `buf` (= {@link readBuffer}). */
  private onRead(n: number, buf: Uint8Array): void {
    if (this.closing !== undefined) return;
    this.take(n, buf);
    // libuv reads again by itself only after a read that filled the buffer (it takes a short read for
    // "no more data"); otherwise take what else is queued now, rather than one packet per loop turn.
    if (n < buf.length) this.drain();
  }

  /** 'epoll' mode: take what is queued, with non-blocking reads (up to {@link MAX_DRAIN_PACKETS}). */
  private drain(): void {
    let bytes = 0;
    for (let k = 0; k < MAX_DRAIN_PACKETS && bytes < MAX_DRAIN_BYTES && this.closing === undefined && !this.fdClosed; k++) {
      const buf = this.readBuffer;
      let n: number;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0; // EAGAIN ends every drain: no need to pay for its stack trace
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch {
        return; // EAGAIN: nothing queued; any other error reaches libuv's next read too, and is counted there
      } finally {
        Error.stackTraceLimit = limit;
      }
      if (n <= 0) return;
      bytes += n;
      this.take(n, buf);
    }
  }

  /** One packet of `n` bytes read into `buf`. */
  private take(n: number, buf: Uint8Array): void {
    if (n === buf.length && n < VNET_HDR_LEN + MAX_PACKET && declaredLength(this.offload ? buf.subarray(VNET_HDR_LEN) : buf) > n) {
      // The kernel truncates what does not fit. Only possible if the device's MTU was raised above
      // this link's: drop the packet, and read into full-size buffers from now on.
      this.counters.readErrors++;
      this.lastError = new TunError('EMSGSIZE', `a packet was truncated to ${n} bytes (the device MTU was raised above the link's ${this.mtu}?)`);
      this.readBuffer = readBufferOf(VNET_HDR_LEN + MAX_PACKET, this.offload);
      return;
    }
    if (!this.offload) {
      // A real copy: the stack keeps payload views, and libuv reuses buf for the next read.
      this.deliver(buf.slice(0, n), n);
      return;
    }
    if (n < VNET_HDR_LEN) {
      this.counters.readErrors++;
      return;
    }
    let packet: Uint8Array;
    if (n >= buf.length >>> 1) {
      // A large (unsegmented) packet: hand this buffer over instead of copying it, and read the next
      // packet into a fresh one (a copy would allocate as much). Only for packets that fill at least
      // half of it, so that the stack's payload views never pin much more memory than they use.
      packet = buf.subarray(VNET_HDR_LEN, n);
      this.readBuffer = readBufferOf(buf.length, true);
    } else {
      packet = buf.slice(VNET_HDR_LEN, n);
    }
    let info: LinkReceiveInfo | undefined;
    if (buf[0]! & VNET_F_NEEDS_CSUM) {
      // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; sum from csum_start to the end.
      const start = getU16(buf, 6, NATIVE_LE);
      const offset = getU16(buf, 8, NATIVE_LE);
      const at = start + offset;
      if (start < packet.length && at + 2 <= packet.length) {
        const c = finishChecksum(onesComplementSum(packet, start, packet.length));
        packet[at] = (c || 0xffff) >>> 8; // RFC 768/1624: never put 0 for a computed checksum
        packet[at + 1] = (c || 0xffff) & 0xff;
        // The TCP checksum is now right by construction: spare the stack verifying it again, when
        // the sum covered exactly the TCP segment that follows the IP header.
        if (offset === 16 && isTcpAt(packet, start)) info = CHECKSUM_VERIFIED;
      }
    }
    if (buf[1] !== VNET_GSO_NONE) this.counters.gsoPacketsIn++;
    this.deliver(packet, packet.length, info);
  }

  private deliver(packet: Uint8Array, n: number, info?: LinkReceiveInfo): void {
    this.counters.packetsIn++;
    this.counters.bytesIn += n;
    if (this.receiver === undefined) this.counters.dropsNoReceiver++;
    else if (info === undefined) this.receiver(packet);
    else this.receiver(packet, info);
  }

  /** offload: write what was sent this turn, merging runs of consecutive segments of one connection. */
  private flush(): void {
    this.flushQueued = false;
    const q = this.pending;
    this.pending = [];
    for (let i = 0; i < q.length; ) {
      const a = q[i]!;
      if (!(a instanceof Uint8Array)) {
        if (this.fdClosed) this.counters.dropsQueueFull++;
        else this.writeOffloaded(a);
        i++;
        continue;
      }
      let j = i + 1;
      const gsoSize = mergeablePayload(a);
      if (gsoSize > 0 && a[33] === TCP_ACK) {
        let last = a;
        let lastPayload = gsoSize;
        let total = a.length;
        while (j < q.length && j - i < MAX_MERGED_SEGMENTS && lastPayload === gsoSize && last[33] === TCP_ACK) {
          const b = q[j]!;
          if (!(b instanceof Uint8Array)) break;
          const n = mergeablePayload(b);
          if (n < 0 || n > gsoSize || total + n > 0xffff || !continues(a, last, lastPayload, b)) break;
          total += n;
          last = b;
          lastPayload = n;
          j++;
        }
      }
      if (this.fdClosed) {
        this.counters.dropsQueueFull += j - i;
      } else if (j - i === 1) {
        this.writeVnet(VNET_PLAIN, a);
      } else {
        this.writeMerged(q, i, j, gsoSize);
      }
      i = j;
    }
  }

  /**
   * One segment from {@link tcpOffload}: its TCP checksum left for the kernel to complete (NEEDS_CSUM:
   * from csum_start, stored at csum_offset) and, when longer than `segmentSize`, cut by the kernel's GSO.
   */
  private writeOffloaded(s: OffloadedSegment): void {
    const { headers, payload, segmentSize } = s;
    const gso = payload.length > segmentSize;
    const h = this.vnetHeader;
    h[0] = VNET_F_NEEDS_CSUM;
    h[1] = gso ? (headers[0]! >> 4 === 4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6) : VNET_GSO_NONE;
    putU16(h, 2, headers.length, NATIVE_LE);
    putU16(h, 4, gso ? segmentSize : 0, NATIVE_LE);
    putU16(h, 6, tcpOffsetOf(headers), NATIVE_LE);
    putU16(h, 8, TCP_CHECKSUM_OFFSET, NATIVE_LE);
    try {
      fs.writevSync(this.fd, payload.length > 0 ? [h, headers, payload] : [h, headers]);
      this.wrote(headers.length + payload.length);
      if (gso) {
        this.counters.gsoPacketsOut++;
        this.counters.segmentsMerged += Math.ceil(payload.length / segmentSize);
      }
    } catch (e) {
      this.writeFailed(e);
    }
  }

  private writeVnet(header: Uint8Array, packet: Uint8Array): void {
    try {
      fs.writevSync(this.fd, [header, packet]);
      this.wrote(packet.length);
    } catch (e) {
      this.writeFailed(e);
    }
  }

  /**
   * Write q[i..j) (IPv4 TCP segments that {@link continues} chains) as one packet for the kernel to
   * take as `j - i` segments of `gsoSize` bytes: one `writev(2)` of the virtio-net header, the first
   * segment's headers (adjusted) and every segment's payload, so the payloads are not copied. The TCP
   * checksum is derived from the segments' own (each one's data sum is what its checksum leaves after
   * the pseudo-header and header), so a segment the stack got wrong still makes the kernel drop the
   * packet.
   */
  private writeMerged(queue: Array<Uint8Array | OffloadedSegment>, i: number, j: number, gsoSize: number): void {
    const q = queue as Uint8Array[]; // q[i..j) are packets (flush checked)
    const a = q[i]!;
    const hl = 20 + (a[32]! >> 4) * 4;
    const src = be32(a, 12);
    const dst = be32(a, 16);
    const iov: Uint8Array[] = [this.vnetHeader, a.slice(0, hl)];
    const header = iov[1]!;
    let total = hl;
    let dataSum = 0;
    for (let k = i; k < j; k++) {
      const p = q[k]!;
      iov.push(p.subarray(hl));
      // Σ(pseudo-header, segment incl. its checksum) ≡ 0, so Σdata ≡ −pseudo − Σheader (mod 0xffff).
      const pseudo = ipv4PseudoHeaderSum(src, dst, 6, p.length - 20);
      let d = (0xffff - pseudo + (0xffff - onesComplementSum(p, 20, hl))) % 0xffff;
      // Data that starts at an odd offset adds with its bytes swapped (RFC 1071 §2(B)).
      if ((total - hl) & 1) d = ((d & 0xff) << 8) | (d >>> 8);
      dataSum += d;
      total += p.length - hl;
    }
    header[2] = total >>> 8;
    header[3] = total & 0xff;
    header[10] = 0;
    header[11] = 0;
    const ipSum = finishChecksum(onesComplementSum(header, 0, 20));
    header[10] = ipSum >>> 8;
    header[11] = ipSum & 0xff;
    header[33] = q[j - 1]![33]!; // PSH of the last segment, as the kernel's own segmentation would keep it
    header[36] = 0;
    header[37] = 0;
    const tcpSum = finishChecksum(ipv4PseudoHeaderSum(src, dst, 6, total - 20) + onesComplementSum(header, 20, hl) + dataSum);
    header[36] = tcpSum >>> 8;
    header[37] = tcpSum & 0xff;
    const h = this.vnetHeader;
    h[0] = 0;
    h[1] = VNET_GSO_TCPV4;
    putU16(h, 2, hl, NATIVE_LE);
    putU16(h, 4, gsoSize, NATIVE_LE);
    putU16(h, 6, 0, NATIVE_LE);
    putU16(h, 8, 0, NATIVE_LE);
    try {
      fs.writevSync(this.fd, iov);
      this.wrote(total);
      this.counters.gsoPacketsOut++;
      this.counters.segmentsMerged += j - i;
    } catch (e) {
      this.writeFailed(e);
    }
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
      this.deliver(packet, n);
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
        this.wrote(packet.length);
      }
      this.writeNext();
    });
  }
}
