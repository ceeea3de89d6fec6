/**
 * `synack get`: fetch an http:// URL with Node's http client over a synack socket, the stack running on
 * a real Linux TUN device (set up as in `synack serve`). Literal IPv4 or IPv6 hosts (no DNS).
 *
 * @module
 */

import fs from 'node:fs';
import http from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { createNet } from '../socket/net.js';
import type { Socket } from '../socket/socket.js';
import { TUN_BOOLEAN_FLAGS, TUN_OPTIONS_USAGE, TUN_VALUE_FLAGS, TunUsageError, drainLink, openTunStack, parseRaw, parseTunOptions, type TunStackOptions } from './serve.js';

export const GET_USAGE = `get ${TUN_OPTIONS_USAGE} URL [-o FILE]
      Fetch an http:// URL (literal IPv4 or [IPv6] host) over a synack stack on a TUN device and write the
      body to FILE or stdout. Exit status 0 on HTTP 2xx, 1 otherwise (status on stderr).
      (--tun, --ip, --peer, --netns as for serve)`;

/** How long the connection may stay silent before the fetch is abandoned. */
export const GET_IDLE_TIMEOUT_MS = 30_000;

export interface GetArgs {
  tun: TunStackOptions;
  host: string;
  port: number;
  /** Path and query. */
  path: string;
  url: string;
  output?: string;
}

/** Parse the arguments after `get`. Throws {@link TunUsageError}. */
export function parseGetArgs(argv: readonly string[]): GetArgs {
  const raw = parseRaw(argv, [...TUN_VALUE_FLAGS, 'output'], [...TUN_BOOLEAN_FLAGS]);
  if (raw.positional.length !== 1) throw new TunUsageError(raw.positional.length === 0 ? 'get needs a URL' : `unexpected argument '${raw.positional[1]}'`);
  const tun = parseTunOptions(raw.values, raw.booleans);
  const text = raw.positional[0]!;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TunUsageError(`bad URL '${text}'`);
  }
  if (url.protocol !== 'http:') throw new TunUsageError(`only http:// URLs are supported, got '${url.protocol}'`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) === 0) throw new TunUsageError(`URL host must be a literal IPv4 or [IPv6] address (no DNS), got '${url.hostname}'`);
  if (!tun.addresses.some((a) => a.family === isIP(host))) {
    throw new TunUsageError(`URL host ${url.hostname} is IPv${isIP(host)} but --ip has no IPv${isIP(host)} address`);
  }
  const output = raw.values.get('output');
  return {
    tun,
    host,
    port: url.port === '' ? 80 : Number(url.port),
    path: url.pathname + url.search,
    url: url.href,
    ...(output !== undefined ? { output } : {}),
  };
}

/** `synack get …`: resolves with the exit status. */
export async function getCommand(argv: readonly string[]): Promise<number> {
  const args = parseGetArgs(argv);
  const ts = await openTunStack(args.tun);
  const { link } = ts;
  const onSignal = (): void => {
    void link.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const net = createNet(ts.stack);
  let socket: Socket | undefined;
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        {
          host: args.host,
          port: args.port,
          path: args.path,
          headers: { 'user-agent': 'synack-get', connection: 'close' },
          createConnection: () => {
            socket = net.createConnection(args.port, args.host);
            return socket as unknown as Duplex;
          },
        },
        (res) => {
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) {
            process.stderr.write(`synack get: HTTP ${code} ${res.statusMessage ?? ''} from ${args.url}\n`);
            res.resume();
            res.on('end', () => resolve(1));
            return;
          }
          res.on('error', reject);
          if (args.output !== undefined) {
            const out = fs.createWriteStream(args.output);
            out.on('error', reject);
            out.on('finish', () => resolve(0));
            res.pipe(out);
          } else {
            res.pipe(process.stdout); // pipe() never ends stdout; wait for the last write instead
            res.on('end', () => process.stdout.write('', () => resolve(0)));
          }
          res.on('aborted', () => reject(new Error('connection closed before the whole body arrived')));
        },
      );
      req.setTimeout(GET_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no data for ${GET_IDLE_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
    });
    // Let the connection finish closing (our FIN acknowledged) before the device goes away.
    const s = socket;
    if (s !== undefined && !s.destroyed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        s.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        s.end();
      });
    }
    return status;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await drainLink();
    await link.close();
  }
}
