/**
 * Node's own `http` module, unmodified, over synack sockets: the HTTP server is fed our server's
 * connections, and clients get our sockets through `createConnection` (per request, or from an Agent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { ClientRequestArgs, IncomingMessage, RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Net, Socket } from '../../src/socket/index.js';
import { ADDR_B, makePair, randomBytes, sha256, type PairOptions, type Pair } from './helpers.js';

/** An HTTP server on `net`'s stack, port 80: our Server hands every connection to Node's http.Server. */
function httpServerOn(net: Net, handler: RequestListener): { http: http.Server; connections: Socket[] } {
  const httpServer = http.createServer(handler);
  const connections: Socket[] = [];
  net
    .createServer((socket) => {
      connections.push(socket);
      httpServer.emit('connection', socket);
    })
    .listen(80);
  return { http: httpServer, connections };
}

/** An http.Agent whose connections are synack sockets. */
class StackAgent extends http.Agent {
  constructor(
    private readonly net: Net,
    options?: http.AgentOptions,
  ) {
    super(options);
  }
  override createConnection(options: ClientRequestArgs): Duplex {
    return this.net.createConnection({ ...options, port: Number(options.port), host: options.host ?? undefined });
  }
}

interface Response {
  res: IncomingMessage;
  body: Buffer;
  /** The response's socket (res.socket is cleared once a keep-alive socket goes back to its agent). */
  socket: Socket;
}

/** Issue a request and drive the simulation until its response has been read completely. */
async function request(pair: Pair, options: http.RequestOptions, body?: Buffer): Promise<Response> {
  let result: Response | undefined;
  let failure: Error | undefined;
  const req = http.request(
    {
      host: ADDR_B,
      port: 80,
      ...(options.agent === undefined ? { createConnection: (opts: ClientRequestArgs) => pair.netA.createConnection({ port: Number(opts.port), host: opts.host ?? undefined }) } : {}),
      ...options,
    },
    (res) => {
      const chunks: Buffer[] = [];
      const socket = res.socket as unknown as Socket;
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => (result = { res, body: Buffer.concat(chunks), socket }));
    },
  );
  req.on('error', (e) => (failure = e));
  req.end(body);
  await pair.sim.runUntil(() => result !== undefined || failure !== undefined);
  if (failure) throw failure;
  return result!;
}

function hashOf(stream: IncomingMessage, done: (hex: string, length: number) => void): void {
  const h = createHash('sha256');
  let n = 0;
  stream.on('data', (d: Buffer) => {
    h.update(d);
    n += d.length;
  });
  stream.on('end', () => done(h.digest('hex'), n));
}

test('http GET: 5 MB response body, SHA-256 checked', { timeout: 20_000 }, async () => {
  const pair = makePair();
  const body = randomBytes(5 * 1024 * 1024, 11);
  const { connections } = httpServerOn(pair.netB, (req, res) => {
    assert.equal(req.method, 'GET');
    assert.equal(req.url, '/big?x=1');
    res.setHeader('content-type', 'application/octet-stream');
    res.end(body);
  });
  const { res, body: got } = await request(pair, { path: '/big?x=1' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-length'], String(body.length));
  assert.equal(got.length, body.length);
  assert.equal(sha256(got), sha256(body));
  assert.equal(connections.length, 1);
  assert.equal(res.socket!.remoteAddress, ADDR_B);
});

test('http POST: 5 MB request body up, its hash and a 5 MB body down', { timeout: 20_000 }, async () => {
  const pair = makePair();
  const up = randomBytes(5 * 1024 * 1024, 21);
  const down = randomBytes(5 * 1024 * 1024 + 17, 22);
  httpServerOn(pair.netB, (req, res) => {
    assert.equal(req.method, 'POST');
    hashOf(req, (hex, n) => {
      res.writeHead(201, { 'x-upload-sha256': hex, 'x-upload-length': String(n) });
      res.end(down);
    });
  });
  const { res, body } = await request(pair, { method: 'POST', path: '/upload', headers: { 'content-length': up.length } }, up);
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['x-upload-length'], String(up.length));
  assert.equal(res.headers['x-upload-sha256'], sha256(up));
  assert.equal(sha256(body), sha256(down));
});

test('http chunked response (no content-length), written over virtual time', async () => {
  const pair = makePair();
  const parts = [randomBytes(1000, 1), randomBytes(100_000, 2), randomBytes(1, 3), randomBytes(300_000, 4)];
  httpServerOn(pair.netB, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let i = 0;
    const next = (): void => {
      if (i === parts.length) return void res.end();
      res.write(parts[i++]);
      pair.sim.after(30, next);
    };
    next();
  });
  const { res, body } = await request(pair, { path: '/stream' });
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  assert.equal(res.headers['content-length'], undefined);
  assert.equal(sha256(body), sha256(parts));
});

test('http keep-alive: two sequential requests on one connection through an Agent', async () => {
  const pair = makePair();
  let requests = 0;
  const { connections } = httpServerOn(pair.netB, (req, res) => {
    requests++;
    hashOf(req, (hex) => res.end(`${req.url} ${hex}`));
  });
  const agent = new StackAgent(pair.netA, { keepAlive: true });
  const b1 = randomBytes(200_000, 5);
  const r1 = await request(pair, { agent, method: 'PUT', path: '/one', headers: { 'content-length': b1.length } }, b1);
  const port1 = r1.socket.localPort;
  assert.equal(r1.body.toString(), `/one ${sha256(b1)}`);
  assert.equal(r1.res.headers.connection, 'keep-alive');
  // Let the agent take the socket back before the second request.
  await pair.sim.runUntil(() => Object.keys(agent.freeSockets).length === 1);
  const r2 = await request(pair, { agent, path: '/two' });
  assert.equal(r2.body.toString(), `/two ${sha256(Buffer.alloc(0))}`);
  assert.equal(r2.socket, r1.socket, 'same client socket');
  assert.equal(r2.socket.localPort, port1);
  assert.equal(requests, 2);
  assert.equal(connections.length, 1, 'one TCP connection');
  agent.destroy();
});

test('http with Connection: close closes both sockets cleanly (FIN, no RST)', async () => {
  const pair = makePair();
  const { connections } = httpServerOn(pair.netB, (_req, res) => res.end('ok'));
  const { body, socket: client } = await request(pair, { path: '/', headers: { connection: 'close' } });
  assert.equal(body.toString(), 'ok');
  const errors: Error[] = [];
  client.on('error', (e) => errors.push(e));
  connections[0]!.on('error', (e) => errors.push(e));
  await pair.sim.runUntil(() => client.destroyed && connections[0]!.destroyed);
  await pair.sim.settle();
  assert.deepEqual(errors, []);
  assert.equal(pair.a.counters.resetsSent + pair.b.counters.resetsSent, 0);
  assert.equal(pair.a.connectionCount + pair.b.connectionCount, 0, 'TIME-WAIT over, nothing left');
});

test('http over a lossy, reordering link: 1 MB each way arrives intact', { timeout: 20_000 }, async () => {
  const options: PairOptions = { seed: 3, link: { latency: 5, loss: 0.02, reorder: 0.05, reorderDelay: 3 } };
  const pair = makePair(options);
  const up = randomBytes(1024 * 1024, 31);
  const down = randomBytes(1024 * 1024, 32);
  httpServerOn(pair.netB, (req, res) => {
    hashOf(req, (hex) => {
      res.setHeader('x-upload-sha256', hex);
      res.end(down);
    });
  });
  const { res, body } = await request(pair, { method: 'POST', path: '/lossy', headers: { 'content-length': up.length } }, up);
  assert.equal(res.headers['x-upload-sha256'], sha256(up));
  assert.equal(sha256(body), sha256(down));
  assert.ok(pair.link.stats.aToB.lost + pair.link.stats.bToA.lost > 0, 'packets were lost');
});
