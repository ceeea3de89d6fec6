/**
 * Servers on synack sockets for the interop tests: a Node `http` server streaming seeded bytes, a
 * discard server that counts and hashes what each connection sends, and an echo server.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import type { Net, Server, Socket } from '../../src/index.js';
import { closed, seededStream, waitFor } from './harness.js';

/**
 * `GET /seeded/<bytes>/<seed>` answers 200 with Content-Length and the seeded bytes, streamed with
 * backpressure (generated on the fly). Node's own `http` over synack sockets.
 */
export function seededHttpServer(net: Net, port: number): { server: Server; web: http.Server; errors: Error[] } {
  const errors: Error[] = [];
  const web = http.createServer((req, res) => {
    const m = /^\/seeded\/(\d+)\/(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    const bytes = Number(m[1]);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
    pipeline(seededStream(bytes, Number(m[2])), res, (err) => {
      if (err) errors.push(err);
    });
  });
  const server = net.createServer((socket) => {
    socket.on('error', (e) => errors.push(e));
    web.emit('connection', socket);
  });
  server.listen(port);
  return { server, web, errors };
}

/** What a discard connection received. */
export interface DiscardResult {
  remotePort: number;
  bytes: number;
  sha256: string;
  error?: string;
}

/** Reads every connection to EOF, hashing; each result is recorded when the connection ends. */
export class DiscardServer {
  readonly server: Server;
  readonly results: DiscardResult[] = [];
  /** Connections accepted so far. */
  accepted = 0;

  constructor(net: Net, port: number) {
    this.server = net.createServer((socket) => {
      this.accepted++;
      const h = createHash('sha256');
      let bytes = 0;
      const remotePort = socket.remotePort ?? 0;
      socket.on('data', (d: Buffer) => {
        h.update(d);
        bytes += d.length;
      });
      socket.on('end', () => this.results.push({ remotePort, bytes, sha256: h.digest('hex') }));
      socket.on('error', (e: NodeJS.ErrnoException) => this.results.push({ remotePort, bytes, sha256: '', error: e.code ?? e.message }));
    });
    this.server.listen(port);
  }

  /** Wait for the next result after `seen` results. */
  async next(seen: number, timeoutMs: number, detail: () => string): Promise<DiscardResult> {
    await waitFor('the discard server to see the end of the upload', () => this.results.length > seen, timeoutMs, detail);
    return this.results[seen]!;
  }
}

/** Echoes every connection (half-close aware: it ends its side after echoing everything). */
export class EchoServer {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  bytes = 0;
  readonly errors: string[] = [];

  constructor(net: Net, port: number) {
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.sockets.push(socket);
      void closed(socket);
      socket.on('data', (d: Buffer) => (this.bytes += d.length));
      socket.on('error', (e: NodeJS.ErrnoException) => this.errors.push(e.code ?? e.message));
      socket.pipe(socket);
    });
    this.server.listen(port);
  }
}
