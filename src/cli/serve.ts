/**
 * `synack serve`: a synack stack on a real Linux TUN device, with an echo, discard or static-file HTTP
 * server on it. Also holds what `synack get` shares with it: the TUN options (`--tun`, `--ip`,
 * `--peer`, `--netns`), their parsing, and {@link openTunStack}, which creates the device, configures
 * the kernel's end and puts a {@link Stack} on it. IPv4, IPv6, or both.
 *
 * @module
 */

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Stack, bracket } from '../stack/stack.js';
import { inPrefix, parseIp } from '../stack/address.js';
import { realRuntime } from '../stack/runtime.js';
import { TunLink } from '../link/tun/tun-link.js';
import { createNet } from '../socket/net.js';
import type { Socket } from '../socket/socket.js';
import { connectionTableJson, formatConnectionTable } from './connection-table.js';

/** A bad command line; the message says what is wrong. */
export class TunUsageError extends Error {
  override name = 'TunUsageError';
}

/** One address pair on the device: synack's address and the kernel's, in one prefix. */
export interface TunAddressPair {
  /** The stack's address (canonical text). */
  ip: string;
  prefixLength: number;
  /** The kernel's address on the device (same prefix, same family). */
  peer: string;
  family: 4 | 6;
}

/** The link options `serve` and `get` share. */
export interface TunStackOptions {
  /** TUN device name (created, or attached if a persistent one exists). */
  tun: string;
  /** The first address pair's stack address (see {@link addresses} for all). */
  ip: string;
  prefixLength: number;
  /** The first address pair's kernel address. */
  peer: string;
  /** Every address pair: one per family at most (`--ip 10.9.0.2/24,fd00::2/64`). */
  addresses: TunAddressPair[];
  /** Existing network namespace for the device (`ip netns` name). */
  netns?: string;
  /** Open the device with offload (TunLink `offload: true`): TSO/GRO and checksum offload. */
  offload?: boolean;
}

export const TUN_OPTIONS_USAGE = `--tun NAME --ip ADDR/PREFIX --peer ADDR [--netns NS] [--offload]`;

const TUN_OPTIONS_HELP = `      --tun NAME       TUN device to create (or attach to, if a persistent one exists)
      --ip A/P         synack's address and prefix length: 10.9.0.2/24, fd00::2/64, or one of
                       each, comma-separated, for dual stack (10.9.0.2/24,fd00::2/64)
      --peer ADDR      the kernel's address on the device (same subnet; one per --ip address,
                       in the same order); set with \`ip addr\`
      --netns NS       move the device into this existing namespace and configure it there
      --offload        segmentation and checksum offload (virtio-net header): TCP segments of
                       up to 64 KiB each way, about 10x the throughput; captures on the device
                       then show large packets with partial checksums, as with any offloading NIC
      Needs Linux, root (CAP_NET_ADMIN), /dev/net/tun, python3 and ip.`;

export const SERVE_USAGE = `serve ${TUN_OPTIONS_USAGE} [--port N] (--echo | --discard | --http DIR) [--status [--json]]
      Run a synack stack on a TUN device with a server on it: echo (port 7), discard (port 9) or
      static files from DIR over HTTP (port 80; GET/HEAD). Ctrl-C closes connections and exits.
      --status prints a connection table like \`ss -tni\` to stderr every 5 s (--json: one JSON
      object per listener and connection); SIGUSR1 prints it at any time.
${TUN_OPTIONS_HELP}`;

/** Raw command line: `--name value` / `--name=value`, boolean flags, `-o FILE`, positionals. */
export interface RawArgs {
  values: Map<string, string>;
  booleans: Set<string>;
  positional: string[];
}

/** Parse `argv` with the given value-taking and boolean option names (`-o` maps to `output`). */
export function parseRaw(argv: readonly string[], valueFlags: readonly string[], booleanFlags: readonly string[]): RawArgs {
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let name: string;
    let inline: string | undefined;
    if (a === '-o' && valueFlags.includes('output')) {
      name = 'output';
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) inline = a.slice(eq + 1);
    } else if (a.startsWith('-') && a !== '-') {
      throw new TunUsageError(`unknown option ${a}`);
    } else {
      positional.push(a);
      continue;
    }
    if (booleanFlags.includes(name)) {
      if (inline !== undefined) throw new TunUsageError(`--${name} takes no value`);
      booleans.add(name);
      continue;
    }
    if (!valueFlags.includes(name)) throw new TunUsageError(`unknown option ${a.startsWith('--') ? `--${name}` : a}`);
    let value: string;
    if (inline !== undefined) value = inline;
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) value = argv[++i]!;
    else throw new TunUsageError(`${name === 'output' ? '-o' : `--${name}`} needs a value`);
    if (values.has(name)) throw new TunUsageError(`--${name} given twice`);
    values.set(name, value);
  }
  return { values, booleans, positional };
}

/** Check an IPv4 or IPv6 literal; returns its canonical text and family. */
export function requireIp(text: string, what: string): { text: string; family: 4 | 6 } {
  const a = parseIp(text);
  if (a === undefined || text.startsWith('[')) throw new TunUsageError(`${what} needs an IPv4 or IPv6 address, got '${text}'`);
  return { text: a.text, family: a.family };
}

function parsePair(ipText: string, peerText: string): TunAddressPair {
  const slash = ipText.indexOf('/');
  if (slash < 0) throw new TunUsageError(`--ip needs ADDR/PREFIX (e.g. 10.9.0.2/24 or fd00::2/64), got '${ipText}'`);
  const ip = requireIp(ipText.slice(0, slash), '--ip');
  const prefixText = ipText.slice(slash + 1);
  const prefixLength = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  const max = ip.family === 4 ? 30 : 126;
  if (!(prefixLength >= 1 && prefixLength <= max)) throw new TunUsageError(`--ip prefix length must be 1–${max}, got '${prefixText}'`);
  const peer = requireIp(peerText, '--peer');
  if (peer.family !== ip.family) throw new TunUsageError(`--peer ${peerText} is not of the family of --ip ${ipText}`);
  if (!inPrefix(parseIp(peer.text)!, parseIp(ip.text)!, prefixLength)) throw new TunUsageError(`--peer ${peer.text} is not in ${ip.text}/${prefixLength}`);
  if (peer.text === ip.text) throw new TunUsageError('--peer must differ from --ip');
  return { ip: ip.text, prefixLength, peer: peer.text, family: ip.family };
}

/** The `--tun`, `--ip`, `--peer`, `--netns` options. */
export const TUN_VALUE_FLAGS = ['tun', 'ip', 'peer', 'netns'] as const;
/** The shared boolean option: `--offload`. */
export const TUN_BOOLEAN_FLAGS = ['offload'] as const;

/** Validate the shared link options (`booleans`: the boolean flags given, for `--offload`). */
export function parseTunOptions(values: Map<string, string>, booleans: ReadonlySet<string> = new Set()): TunStackOptions {
  const tun = values.get('tun');
  if (tun === undefined) throw new TunUsageError('--tun NAME is required');
  if (Buffer.byteLength(tun) > 15 || !/^[A-Za-z0-9_.-]+$/.test(tun)) throw new TunUsageError(`--tun: bad interface name '${tun}' (at most 15 of A-Z a-z 0-9 _ . -)`);
  const ipText = values.get('ip');
  if (ipText === undefined) throw new TunUsageError('--ip ADDR/PREFIX is required');
  const peerText = values.get('peer');
  if (peerText === undefined) throw new TunUsageError('--peer ADDR is required (the kernel side of the device)');
  const ips = ipText.split(',');
  const peers = peerText.split(',');
  if (ips.length !== peers.length) throw new TunUsageError(`--ip has ${ips.length} address(es) but --peer has ${peers.length}`);
  const addresses = ips.map((ip, i) => parsePair(ip, peers[i]!));
  if (addresses.length > 2 || (addresses.length === 2 && addresses[0]!.family === addresses[1]!.family)) {
    throw new TunUsageError('--ip takes one address, or one IPv4 and one IPv6 address');
  }
  const netns = values.get('netns');
  if (netns !== undefined && !/^[A-Za-z0-9_.-]+$/.test(netns)) throw new TunUsageError(`--netns: bad namespace name '${netns}'`);
  const first = addresses[0]!;
  return {
    tun,
    ip: first.ip,
    prefixLength: first.prefixLength,
    peer: first.peer,
    addresses,
    ...(netns !== undefined ? { netns } : {}),
    ...(booleans.has('offload') ? { offload: true } : {}),
  };
}


function runCommand(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function ipCommand(netns: string | undefined, args: string[]): Promise<void> {
  const full = [...(netns !== undefined ? ['-n', netns] : []), ...args];
  const r = await runCommand('ip', full);
  if (r.code !== 0) throw new Error(`ip ${full.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** A stack on a configured TUN device. */
export interface TunStack {
  stack: Stack;
  link: TunLink;
  options: TunStackOptions;
  /** "via tun NAME (kernel side PEER[, netns NS])". */
  describe(): string;
}

/**
 * Create (or attach to) the TUN device, move it into `netns` if given (which must exist), put a stack
 * at `ip` on it, then give the kernel's end `peer/prefix` and bring the device up. On failure the
 * device is closed again.
 */
export async function openTunStack(options: TunStackOptions): Promise<TunStack> {
  if (options.netns !== undefined) {
    const r = await runCommand('ip', ['netns', 'exec', options.netns, 'true']).catch(() => ({ code: -1, stderr: '' }));
    if (r.code !== 0) throw new Error(`network namespace '${options.netns}' does not exist (create it with: ip netns add ${options.netns})`);
  }
  const link = await TunLink.open({
    name: options.tun,
    ...(options.netns !== undefined ? { netns: options.netns } : {}),
    ...(options.offload === true ? { offload: true } : {}),
  });
  try {
    const stack = new Stack({ name: 'synack', runtime: realRuntime({ unrefTimers: true }) });
    stack.addInterface({ name: link.name, link, addresses: options.addresses.map((a) => `${a.ip}/${a.prefixLength}`) });
    for (const a of options.addresses) {
      // nodad: the kernel would skip Duplicate Address Detection on a NOARP device anyway; say so.
      const extra = a.family === 6 ? ['nodad'] : [];
      await ipCommand(options.netns, ['addr', 'replace', `${a.peer}/${a.prefixLength}`, 'dev', link.name, ...extra]);
    }
    await ipCommand(options.netns, ['link', 'set', 'dev', link.name, 'up']);
    const where = options.netns !== undefined ? `, netns ${options.netns}` : '';
    const peers = options.addresses.map((a) => a.peer).join(' and ');
    return { stack, link, options, describe: () => `via tun ${link.name} (kernel side ${peers}${where})` };
  } catch (e) {
    await link.close().catch(() => undefined);
    throw e;
  }
}

// ───────────────────────────── serve ─────────────────────────────

export type ServeMode = 'echo' | 'discard' | 'http';

export interface ServeArgs {
  tun: TunStackOptions;
  mode: ServeMode;
  port: number;
  /** Root directory for `http`. */
  dir?: string;
  /** Print the connection table every {@link STATUS_INTERVAL_MS}. */
  status?: boolean;
  /** The table as JSON lines. */
  json?: boolean;
}

/** How often `--status` prints the connection table. */
export const STATUS_INTERVAL_MS = 5000;

const DEFAULT_PORTS: Record<ServeMode, number> = { echo: 7, discard: 9, http: 80 };

/** Parse the arguments after `serve`. Throws {@link TunUsageError}. */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const raw = parseRaw(argv, [...TUN_VALUE_FLAGS, 'port', 'http'], [...TUN_BOOLEAN_FLAGS, 'echo', 'discard', 'status', 'json']);
  if (raw.booleans.has('json') && !raw.booleans.has('status')) throw new TunUsageError('--json goes with --status');
  if (raw.positional.length > 0) throw new TunUsageError(`unexpected argument '${raw.positional[0]}'`);
  const tun = parseTunOptions(raw.values, raw.booleans);
  const modes: ServeMode[] = [];
  if (raw.booleans.has('echo')) modes.push('echo');
  if (raw.booleans.has('discard')) modes.push('discard');
  if (raw.values.has('http')) modes.push('http');
  if (modes.length !== 1) throw new TunUsageError('give exactly one of --echo, --discard, --http DIR');
  const mode = modes[0]!;
  let port = DEFAULT_PORTS[mode];
  const portText = raw.values.get('port');
  if (portText !== undefined) {
    port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new TunUsageError(`--port must be 1–65535, got '${portText}'`);
  }
  const args: ServeArgs = { tun, mode, port };
  if (raw.booleans.has('status')) args.status = true;
  if (raw.booleans.has('json')) args.json = true;
  if (mode === 'http') {
    const dir = path.resolve(raw.values.get('http')!);
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      throw new TunUsageError(`--http: directory '${dir}' does not exist`);
    }
    if (!st.isDirectory()) throw new TunUsageError(`--http: '${dir}' is not a directory`);
    args.dir = fs.realpathSync(dir);
  }
  return args;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

function plain(res: http.ServerResponse, status: number, head: boolean, extra: Record<string, string> = {}): void {
  const body = `${status} ${http.STATUS_CODES[status] ?? ''}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(head ? undefined : body);
}

/**
 * Resolve a request path inside `root` (a realpath): undefined when it is malformed or escapes
 * `root` (`..`, or a symlink pointing out).
 */
async function resolveInside(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const candidate = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  const inside = (p: string): boolean => {
    const rel = path.relative(root, p);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  if (!inside(candidate)) return undefined;
  let real: string;
  try {
    real = await fs.promises.realpath(candidate);
  } catch {
    return candidate; // does not exist: the caller's stat answers 404
  }
  return inside(real) ? real : undefined;
}

/** Static files from `root`: GET/HEAD, Content-Length, 404, index.html for directories, streamed with backpressure. */
export function staticHandler(root: string): http.RequestListener {
  return (req, res) => {
    void (async () => {
      const head = req.method === 'HEAD';
      if (req.method !== 'GET' && !head) return plain(res, 405, false, { allow: 'GET, HEAD' });
      const urlPath = (req.url ?? '/').split('?', 1)[0]!;
      if (!urlPath.startsWith('/')) return plain(res, 400, head);
      let file = await resolveInside(root, urlPath);
      if (file === undefined) return plain(res, 404, head);
      let st: fs.Stats;
      try {
        st = await fs.promises.stat(file);
        if (st.isDirectory()) {
          file = path.join(file, 'index.html');
          st = await fs.promises.stat(file);
        }
      } catch {
        return plain(res, 404, head);
      }
      if (!st.isFile()) return plain(res, 404, head);
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(st.size),
        'last-modified': st.mtime.toUTCString(),
      });
      if (head) return void res.end();
      const stream = fs.createReadStream(file);
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res); // pipe() pauses the file while the socket's buffer is full
    })().catch(() => res.destroy());
  };
}

/**
 * `TunLink.close()` drops writes still queued, so give the last segments (final ACKs, RSTs) a moment to
 * be written first.
 */
export function drainLink(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

/** How long a shutdown waits for connections to close before giving up on them. */
export const SHUTDOWN_GRACE_MS = 5000;

/** `synack serve …`: runs until SIGINT/SIGTERM; resolves with the exit status. */
export async function serveCommand(argv: readonly string[]): Promise<number> {
  const args = parseServeArgs(argv);
  const ts = await openTunStack(args.tun);
  const { stack, link } = ts;
  const net = createNet(stack);
  const sockets = new Set<Socket>();
  let shuttingDown = false;
  /** Per socket: HTTP responses in progress (so shutdown ends the socket only between responses). */
  const busy = new Map<Socket, number>();

  /**
   * Send our FIN, and keep reading (and dropping) until the peer's: an echo socket piped to itself is
   * unpiped, and so paused, once its writable side finishes, and would never see the peer's FIN.
   */
  const finish = (socket: Socket): void => {
    socket.unpipe();
    socket.end();
    socket.resume();
  };

  let web: http.Server | undefined;
  if (args.mode === 'http') {
    const handler = staticHandler(args.dir!);
    web = http.createServer((req, res) => {
      const socket = req.socket as unknown as Socket;
      busy.set(socket, (busy.get(socket) ?? 0) + 1);
      res.on('close', () => {
        const n = (busy.get(socket) ?? 1) - 1;
        busy.set(socket, n);
        if (shuttingDown && n === 0) finish(socket);
      });
      if (shuttingDown) res.shouldKeepAlive = false;
      handler(req, res);
    });
  }

  const server = net.createServer((socket) => {
    if (shuttingDown) return void socket.end();
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
    socket.on('error', () => undefined); // a reset peer: the socket closes, nothing else to do
    if (args.mode === 'echo') socket.pipe(socket);
    else if (args.mode === 'discard') socket.resume();
    else web!.emit('connection', socket);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // One address: listen on it; one of each family: on both ("::" is dual-stack).
    if (args.tun.addresses.length === 1) server.listen(args.port, args.tun.ip, () => resolve());
    else server.listen(args.port, () => resolve());
  }).catch(async (e: unknown) => {
    await link.close().catch(() => undefined);
    throw e;
  });
  const on = args.tun.addresses.map((a) => `${bracket(a.ip)}:${args.port}`).join(' and ');
  process.stdout.write(`synack serving ${args.mode} on ${on} ${ts.describe()}\n`);
  const printStatus = (): void => {
    const text = args.json
      ? connectionTableJson(stack.listenerList(), stack.connections())
      : formatConnectionTable(stack.listenerList(), stack.connections(), stack.runtime.now());
    if (text !== '') process.stderr.write(text + '\n');
  };
  process.on('SIGUSR1', printStatus);
  const statusTimer = args.status ? setInterval(printStatus, STATUS_INTERVAL_MS) : undefined;
  statusTimer?.unref();

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  if (statusTimer !== undefined) clearInterval(statusTimer);
  process.removeListener('SIGUSR1', printStatus);
  shuttingDown = true;
  process.stderr.write(`synack: ${signal}: closing ${sockets.size} connection(s)\n`);
  server.close();
  for (const s of sockets) {
    if ((busy.get(s) ?? 0) === 0) finish(s);
  }
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS);
    const check = (): void => {
      if (sockets.size === 0) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    for (const s of sockets) s.once('close', () => setImmediate(check));
    check();
  });
  if (!closed) {
    process.stderr.write(`synack: ${sockets.size} connection(s) still open after ${SHUTDOWN_GRACE_MS} ms; resetting them\n`);
    for (const s of sockets) s.resetAndDestroy();
  }
  await drainLink();
  await link.close();
  return 0;
}
