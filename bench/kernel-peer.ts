/**
 * The kernel side of the TUN and veth benchmarks: a tiny `node:net` program run inside a network
 * namespace (`ip netns exec NS node kernel-peer.js …`), so it uses that namespace's kernel TCP.
 * It imports nothing from synack.
 *
 *   sink   --host H --port P            listen on H:P, print {"listening":true}, accept one connection,
 *                                       discard what arrives, and at its end print
 *                                       {"bytes":N,"seconds":S} (S: from accept to the peer's FIN) and exit
 *   source --host H --port P --bytes N  connect to H:P, write N bytes in 64 KiB writes with backpressure,
 *                                       end, and at close print {"bytes":N,"seconds":S} (S: from connect
 *                                       to close) and exit
 *
 * Exit status 1 with a message on stderr on any socket error.
 *
 * @module
 */

import net from 'node:net';

const CHUNK = 64 * 1024;

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`kernel-peer: --${name} is required`);
  return v;
}

function fail(e: unknown): never {
  process.stderr.write(`kernel-peer: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

function print(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

function sink(host: string, port: number): void {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    server.close();
    const t0 = performance.now();
    let bytes = 0;
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('error', fail);
    s.on('end', () => {
      const seconds = (performance.now() - t0) / 1000;
      s.end(() => {
        print({ bytes, seconds });
        process.exit(0);
      });
    });
  });
  server.on('error', fail);
  server.listen(port, host, () => print({ listening: true }));
}

function source(host: string, port: number, total: number): void {
  const chunk = Buffer.alloc(CHUNK);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  let sent = 0;
  let t0 = 0;
  const s = net.connect({ host, port });
  s.on('error', fail);
  const pump = (): void => {
    while (sent < total) {
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      if (!s.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
        s.once('drain', pump);
        return;
      }
    }
    s.end();
  };
  s.once('connect', () => {
    t0 = performance.now();
    pump();
  });
  s.resume();
  s.once('close', () => {
    print({ bytes: sent, seconds: (performance.now() - t0) / 1000 });
    process.exit(0);
  });
}

try {
  const mode = process.argv[2];
  if (mode === 'sink') sink(arg('host'), Number(arg('port')));
  else if (mode === 'source') source(arg('host'), Number(arg('port')), Number(arg('bytes')));
  else throw new Error(`kernel-peer: unknown mode ${String(mode)} (sink | source)`);
} catch (e) {
  fail(e);
}
