/**
 * Connection life cycle against the kernel's TCP over a TUN device in a private network namespace:
 * half-close both ways, abort (RST) both ways, refused connects both ways, simultaneous close (racing,
 * and with both FINs forced to cross on the wire), and keep-alive probes answered by the kernel. The
 * kernel's side is a small Python program (kernel-programs.ts) that reports what it saw by errno name.
 * Skipped (with the reason) unless root on Linux with /dev/net/tun, ip, python3 and ss.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import type { Socket, StackTraceEvent } from '../../src/index.js';
import {
  FAMILIES,
  GateLink,
  Interop,
  TCP_FIN,
  TCP_RST,
  closed,
  connect,
  digestUntilEnd,
  familySkipReason,
  seededBuffer,
  seededSha256,
  seededStream,
  sha256,
  tcpInfo,
  waitFor,
  withTimeout,
} from './harness.js';
import { py } from './kernel-programs.js';

const TOOLS = ['ss'];

/** State changes of one connection (by synack's local port) from a trace. */
function statesOf(events: StackTraceEvent[], localPort: number): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'state' && e.local.endsWith(`:${localPort}`) && e.remote !== '*') {
      if (out.length === 0) out.push(e.from);
      out.push(e.to);
    }
  }
  return out;
}

/** Segments of one connection (by synack's local port) with RST set, sent ('send') or received ('recv'). */
function resets(events: StackTraceEvent[], localPort: number, dir: 'send' | 'recv'): number {
  return events.filter((e) => e.type === dir && (dir === 'send' ? e.segment.srcPort : e.segment.dstPort) === localPort && (e.segment.flags & TCP_RST) !== 0).length;
}

/** The traced segments of one connection (by synack's local port), one line each, for failure messages. */
function segmentsOf(events: StackTraceEvent[], localPort: number): string[] {
  const out: string[] = [];
  for (const e of events) {
    if ((e.type === 'send' && e.segment.srcPort === localPort) || (e.type === 'recv' && e.segment.dstPort === localPort)) {
      const s = e.segment;
      out.push(`${e.time.toFixed(3)} ${e.type} flags=${s.flags} seq=${s.seq} ack=${s.ack} len=${s.payload.length} win=${s.window}${e.type === 'send' ? ` [${e.rule ?? ''}]` : ''}`);
    }
  }
  return out;
}

/** Resolve with the error a socket emits (rejects if it closes without one). */
function socketError(socket: Socket): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    socket.once('error', resolve);
    socket.once('close', (hadError: boolean) => {
      if (!hadError) reject(new Error('the socket closed without an error'));
    });
  });
}

/** Read exactly `n` bytes from a socket (resolves with them; the socket keeps flowing). */
function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        socket.removeListener('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

for (const family of FAMILIES) {
  const skip = familySkipReason(family, TOOLS);
  if (skip !== undefined) console.log(`# lifecycle interop (IPv${family}) skipped: ${skip}`);

  describe(`connection life cycle against the kernel, IPv${family}`, { skip: skip ?? false, timeout: 300_000 }, () => {
    let it: Interop;
    let gate: GateLink;
    let trace: { events: StackTraceEvent[]; stop: () => void };
    let nextPort = 5000;
    const port = (): number => nextPort++;

    before(async () => {
      it = await Interop.open({
        family,
        name: 'life',
        subnet: 3,
        wrapLink: (tun) => (gate = new GateLink(tun)),
      });
      // States, drops and segments without data (or one byte, a keep-alive probe): the checks below
      // need no more, and data segments would keep every payload in memory.
      trace = it.trace((e) => e.type === 'state' || e.type === 'drop' || ((e.type === 'send' || e.type === 'recv') && e.segment.payload.length <= 1));
    });

    after(async () => {
      trace?.stop();
      await it?.close();
    });

    const detail = (...more: { describe(): string }[]): (() => string) => () => [it.describe(), ...more.map((m) => m.describe())].join('\n');

    test('half-close: the kernel shuts down writing, synack keeps sending in CLOSE-WAIT', { timeout: 60_000 }, async () => {
      const p = port();
      const REQ = 300_000;
      const RESP = 5_000_000;
      let serverSocket: Socket | undefined;
      const received = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
        const server = it.net.createServer({ allowHalfOpen: true }, (socket) => {
          serverSocket = socket;
          void closed(socket);
          server.close();
          // Only once the kernel's FIN has arrived ('end') does synack send its whole response.
          digestUntilEnd(socket).then((d) => {
            resolve(d);
            pipeline(seededStream(RESP, 31), socket).catch(reject);
          }, reject);
        });
        server.listen(p);
      });
      const kernel = it.start('python send-then-read', py('send-then-read', it.addr.stack, p, family, REQ, 32));
      const sent = await kernel.event('sent', 20_000, undefined, detail());
      const got = await withTimeout(received, 20_000, 'synack to read the request to EOF', detail(kernel));
      assert.deepEqual(got, { bytes: REQ, sha256: sent['sha256'] }, 'the request as synack read it');
      const resp = await kernel.event('response', 30_000, undefined, detail());
      assert.equal(resp['bytes'], RESP, `the kernel read ${String(resp['bytes'])} of ${RESP} response bytes sent after its FIN\n${it.describe()}`);
      assert.equal(resp['sha256'], seededSha256(RESP, 31));
      assert.equal(await withTimeout(closed(serverSocket!), 10_000, 'the synack socket to close', detail()), false);
      const states = statesOf(trace.events, p);
      assert.deepEqual(states.slice(states.indexOf('ESTABLISHED')), ['ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED'], `states: ${states.join(' → ')}`);
    });

    test('half-close: synack shuts down writing, the kernel keeps sending', { timeout: 60_000 }, async () => {
      const p = port();
      const REQ = 300_000;
      const RESP = 5_000_000;
      const kernel = it.start('python respond-after-eof', py('respond-after-eof', it.addr.kernel, p, family, RESP, 33));
      await kernel.event('listening', 10_000);
      const socket = await connect(it.net, p, it.addr.kernel);
      const localPort = socket.localPort!;
      const response = digestUntilEnd(socket);
      socket.end(seededBuffer(REQ, 34));
      const request = await kernel.event('request', 20_000, undefined, detail());
      assert.deepEqual({ bytes: request['bytes'], sha256: request['sha256'] }, { bytes: REQ, sha256: seededSha256(REQ, 34) }, 'the request as the kernel read it');
      const sent = await kernel.event('sent', 30_000, undefined, detail());
      const got = await withTimeout(response, 30_000, 'the response after our FIN', detail(kernel));
      assert.deepEqual(got, { bytes: RESP, sha256: sent['sha256'] }, 'the response as synack read it (sent after our FIN)');
      assert.equal(await withTimeout(closed(socket), 10_000, 'the socket to close', detail()), false);
      const states = statesOf(trace.events, localPort);
      assert.deepEqual(states.slice(states.indexOf('ESTABLISHED')), ['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT'], `states: ${states.join(' → ')}`);
    });

    for (const how of ['resetAndDestroy', 'destroy'] as const) {
      test(`abort: synack socket.${how}() resets the connection, the kernel's recv fails with ECONNRESET`, { timeout: 30_000 }, async () => {
        const p = port();
        const N = 100_000;
        const kernel = it.start('python reader', py('reader', it.addr.kernel, p, family));
        await kernel.event('listening', 10_000);
        const socket = await connect(it.net, p, it.addr.kernel);
        const localPort = socket.localPort!;
        socket.on('error', () => undefined);
        socket.write(seededBuffer(N, 35));
        await kernel.event('data', 20_000, (e) => e['bytes'] === N, detail());
        // The kernel may still delay its ACK of the last segment (RFC 1122 §4.2.3.2) after its reader
        // has the bytes: one crossing our RST would be answered by a second, RFC 9293 §3.10.7.1 RST.
        const settled = (): boolean => {
          const st = socket.handle?.status();
          return st !== undefined && st.sndUna === st.sndNxt;
        };
        await waitFor('the kernel to acknowledge everything synack sent', settled, 10_000, detail());
        if (how === 'resetAndDestroy') socket.resetAndDestroy();
        else socket.destroy(); // writable side still open: RST, as this project's sockets specify
        const err = await kernel.event('error', 10_000, undefined, detail());
        assert.equal(err['error'], 'ECONNRESET', `the kernel reported ${JSON.stringify(err)}`);
        assert.equal(resets(trace.events, localPort, 'send'), 1, `synack sent exactly one RST\n${segmentsOf(trace.events, localPort).slice(-12).join('\n')}`);
        assert.deepEqual(statesOf(trace.events, localPort).slice(-2), ['ESTABLISHED', 'CLOSED']);
      });
    }

    test('abort: a kernel server closing with SO_LINGER 0 resets synack, whose socket errors with ECONNRESET', { timeout: 30_000 }, async () => {
      const p = port();
      const kernel = it.start('python linger-server', py('linger-server', it.addr.kernel, p, family, 1000));
      await kernel.event('listening', 10_000);
      const socket = await connect(it.net, p, it.addr.kernel);
      const localPort = socket.localPort!;
      const error = socketError(socket);
      const wasClosed = closed(socket);
      socket.write(seededBuffer(1000, 36));
      await kernel.event('reset', 10_000, undefined, detail());
      const err = await withTimeout(error, 10_000, "the synack socket's error", detail(kernel));
      assert.equal(err.code, 'ECONNRESET', `error ${err.code}: ${err.message}`);
      assert.equal(await wasClosed, true, "'close' with hadError");
      assert.equal(resets(trace.events, localPort, 'recv'), 1, 'one RST received');
      assert.equal(resets(trace.events, localPort, 'send'), 0, 'no RST sent back');
    });

    test('abort: a kernel client closing with SO_LINGER 0 resets a synack server socket (ECONNRESET)', { timeout: 30_000 }, async () => {
      const p = port();
      const accepted = new Promise<Socket>((resolve) => {
        const server = it.net.createServer((socket) => {
          void closed(socket);
          server.close();
          resolve(socket);
        });
        server.listen(p);
      });
      const kernel = it.start('python linger-client', py('linger-client', it.addr.stack, p, family, 1000));
      const socket = await withTimeout(accepted, 10_000, 'the connection', detail(kernel));
      const error = socketError(socket);
      await withTimeout(readBytes(socket, 1000), 10_000, '1000 bytes from the kernel', detail(kernel));
      socket.write('OK');
      await kernel.event('reset', 10_000, undefined, detail());
      const err = await withTimeout(error, 10_000, "the synack socket's error", detail(kernel));
      assert.equal(err.code, 'ECONNRESET', `error ${err.code}: ${err.message}`);
    });

    test("refused: the kernel's connect to a closed synack port fails with ECONNREFUSED", { timeout: 30_000 }, async () => {
      const resetsBefore = it.stack.counters.resetsSent;
      const kernel = it.start('python connect', py('connect', it.addr.stack, 4999, family));
      const ev = await kernel.event('error', 15_000, undefined, detail()).catch(async (e: Error) => {
        const ok = kernel.events.find((x) => x.event === 'connected');
        throw ok !== undefined ? new Error('the kernel connected to a port nobody listens on') : e;
      });
      assert.equal(ev['error'], 'ECONNREFUSED', JSON.stringify(ev));
      assert.equal(it.stack.counters.resetsSent, resetsBefore + 1, 'synack answered the SYN with one RST');
    });

    test("refused: synack's connect to a closed kernel port fails with ECONNREFUSED", { timeout: 30_000 }, async () => {
      const err = (await connect(it.net, 4998, it.addr.kernel).then(
        (s) => {
          s.destroy();
          throw new Error('connected to a kernel port nobody listens on');
        },
        (e: NodeJS.ErrnoException) => e,
      )) as NodeJS.ErrnoException & { address?: string; port?: number };
      assert.equal(err.code, 'ECONNREFUSED', `${err.code}: ${err.message}`);
      assert.equal(err.syscall, 'connect');
      assert.equal(err.address, it.addr.kernel);
      assert.equal(err.port, 4998);
    });

    test('simultaneous close: both ends close in the same instant after exchanging data; both finish cleanly', { timeout: 30_000 }, async () => {
      const p = port();
      const N = 200_000;
      const kernel = it.start('python close-on-command', py('close-on-command', it.addr.kernel, p, family, 'server', N, 37));
      await kernel.event('listening', 10_000);
      const socket = await connect(it.net, p, it.addr.kernel);
      const localPort = socket.localPort!;
      const fromKernel = readBytes(socket, N);
      socket.write(seededBuffer(N, 38));
      const ready = await kernel.event('ready', 20_000, undefined, detail());
      const got = await withTimeout(fromKernel, 20_000, 'the kernel data', detail(kernel));
      assert.equal(ready['received'], seededSha256(N, 38), 'what the kernel received');
      assert.equal(sha256(got), ready['sent'], 'what synack received');
      const ended = new Promise<void>((resolve) => socket.once('end', resolve));
      const wasClosed = closed(socket);
      // Both closes in the same tick: the kernel's as soon as Python reads the line.
      kernel.send('close');
      socket.end();
      const eof = await kernel.event('eof', 10_000, undefined, detail());
      assert.equal(eof['extra'], 0);
      await kernel.event('closed', 10_000, undefined, detail());
      await withTimeout(ended, 10_000, "the synack socket's 'end'", detail(kernel));
      assert.equal(await withTimeout(wasClosed, 10_000, 'the synack socket to close', detail(kernel)), false);
      assert.equal(kernel.events.find((e) => e.event === 'error'), undefined, 'no error at the kernel');
      assert.equal(resets(trace.events, localPort, 'send') + resets(trace.events, localPort, 'recv'), 0, 'no RST either way');
      const states = statesOf(trace.events, localPort);
      assert.ok(states.at(-1) === 'TIME-WAIT' || states.at(-1) === 'CLOSED', `states: ${states.join(' → ')}`);
    });

    test('simultaneous close, FINs crossing on the wire: FIN-WAIT-1 → CLOSING → TIME-WAIT on both ends (RFC 9293 Figure 13)', { timeout: 30_000 }, async () => {
      const p = port();
      const N = 100_000;
      const accepted = new Promise<Socket>((resolve) => {
        const server = it.net.createServer((socket) => {
          void closed(socket);
          server.close();
          resolve(socket);
        });
        server.listen(p);
      });
      const kernel = it.start('python close-on-command', py('close-on-command', it.addr.stack, p, family, 'client', N, 39));
      const socket = await withTimeout(accepted, 10_000, 'the connection', detail(kernel));
      const kernelPort = socket.remotePort!;
      const fromKernel = readBytes(socket, N);
      socket.write(seededBuffer(N, 40));
      await kernel.event('ready', 20_000, undefined, detail());
      await withTimeout(fromKernel, 20_000, 'the kernel data', detail(kernel));
      const wasClosed = closed(socket);
      // Hold what the kernel sends until its FIN is among it: then synack sends its own FIN without
      // having seen the kernel's, and only then gets it — both FINs are in flight at once.
      gate.hold();
      try {
        kernel.send('close');
        await waitFor("the kernel's FIN", () => gate.held.some((pk) => ((tcpInfo(pk)?.flags ?? 0) & TCP_FIN) !== 0 && tcpInfo(pk)?.srcPort === kernelPort), 10_000, detail(kernel));
        socket.end();
      } finally {
        gate.release();
      }
      await kernel.event('closed', 10_000, undefined, detail());
      assert.equal(await withTimeout(wasClosed, 10_000, 'the synack socket to close', detail(kernel)), false);
      const states = statesOf(trace.events, p).filter((s) => s !== 'LISTEN');
      assert.deepEqual(states.slice(states.indexOf('ESTABLISHED')), ['ESTABLISHED', 'FIN-WAIT-1', 'CLOSING', 'TIME-WAIT'], `synack states: ${states.join(' → ')}`);
      // The kernel's end went through CLOSING too, and now sits in TIME-WAIT.
      const ss = await it.exec(['ss', '-Htan', 'state', 'time-wait', `sport = :${kernelPort}`]);
      assert.match(ss.stdout.toString(), new RegExp(`:${kernelPort}\\b`), `the kernel's socket is not in TIME-WAIT: ${ss.stdout.toString()}${ss.stderr}`);
      assert.equal(resets(trace.events, p, 'send') + resets(trace.events, p, 'recv'), 0, 'no RST either way');
    });

    test('zero window: a paused synack reader closes its window at its buffer size, answers the kernel\'s window probes, and gets every byte on resume', { timeout: 60_000 }, async () => {
      const p = port();
      const BYTES = 8_000_000;
      const kernel = it.start('python respond-after-eof', py('respond-after-eof', it.addr.kernel, p, family, BYTES, 41));
      await kernel.event('listening', 10_000);
      const socket = await connect(it.net, p, it.addr.kernel);
      const localPort = socket.localPort!;
      socket.pause();
      socket.end('request');
      const h = socket.handle!;
      await waitFor('synack to advertise a zero window', () => h.status().rcvWnd === 0, 30_000, () => it.describe());
      // Linux probes a zero window with <SEQ=RCV.NXT−1> and no data; synack must answer each with an ACK.
      const probesAnswered = (): number => {
        let n = 0;
        const evs = trace.events;
        for (let i = 0; i < evs.length; i++) {
          const e = evs[i]!;
          if (e.type !== 'recv' || e.segment.dstPort !== localPort || e.segment.payload.length > 0 || e.segment.seq !== ((h.status().rcvNxt - 1) >>> 0)) continue;
          if (evs.slice(i + 1).some((a) => a.type === 'send' && a.segment.srcPort === localPort && a.segment.window === 0 && a.segment.ack === h.status().rcvNxt)) n++;
        }
        return n;
      };
      await waitFor("synack to answer the kernel's zero-window probe", () => probesAnswered() >= 1, 30_000, () => it.describe());
      const st = h.status();
      const unit = 2 ** st.rcvWscale;
      const bufferSize = it.stack.tcpConfig.receiveBufferSize;
      const body = digestUntilEnd(socket);
      socket.resume();
      const sent = await kernel.event('sent', 30_000, undefined, detail());
      assert.deepEqual(await withTimeout(body, 30_000, 'the rest of the data after resume', detail(kernel)), { bytes: BYTES, sha256: sent['sha256'] });
      // RFC 7323 §2.4: rounding the scaled window may advertise at most one scale unit beyond the buffer.
      assert.ok(
        st.receiveQueue <= bufferSize + unit,
        `a paused reader's connection buffered ${st.receiveQueue} bytes, ${st.receiveQueue - bufferSize} more than its receive buffer (${bufferSize}; scale unit ${unit}): the advertised window crept past the free space`,
      );
      await withTimeout(closed(socket), 10_000, 'the socket to close', detail(kernel));
    });

    test('zero window: synack probes a kernel receiver that stops reading (persist timer) and resumes sending when it reads', { timeout: 60_000 }, async () => {
      const p = port();
      const BYTES = 16_000_000;
      let serverSocket: Socket | undefined;
      const sent = new Promise<void>((resolve, reject) => {
        const server = it.net.createServer((socket) => {
          serverSocket = socket;
          void closed(socket);
          server.close();
          socket.resume();
          pipeline(seededStream(BYTES, 42), socket).then(resolve, reject);
        });
        server.listen(p);
      });
      const kernel = it.start('python read-on-command', py('read-on-command', it.addr.stack, p, family));
      await kernel.event('connected', 10_000, undefined, detail());
      const sock = (): Socket => serverSocket!;
      await waitFor('the connection', () => serverSocket !== undefined, 10_000, detail(kernel));
      const localPort = sock().localPort!;
      const probes = (): number =>
        trace.events.filter((e) => e.type === 'send' && e.segment.srcPort === localPort && e.segment.dstPort === sock().remotePort && e.rule !== undefined && /persist timer|window probe/.test(e.rule)).length;
      await waitFor('the kernel to close its window', () => sock().handle!.status().sndWnd === 0, 30_000, detail(kernel));
      await waitFor('synack to send window probes (persist timer)', () => probes() >= 2, 30_000, () => `probes ${probes()}\n${it.describe()}`);
      assert.equal(sock().handle!.status().state, 'ESTABLISHED');
      kernel.send('read');
      await withTimeout(sent, 60_000, 'synack to send everything once the kernel reads', detail(kernel));
      const done = await kernel.event('done', 60_000, undefined, detail());
      assert.deepEqual({ bytes: done['bytes'], sha256: done['sha256'] }, { bytes: BYTES, sha256: seededSha256(BYTES, 42) });
    });

    test('keep-alive: probes on an idle connection are answered by the kernel and the connection stays up', { timeout: 30_000 }, async () => {
      const p = port();
      const kernel = it.start('python echo-server', py('echo-server', it.addr.kernel, p, family));
      await kernel.event('listening', 10_000);
      const socket = await connect(it.net, p, it.addr.kernel);
      const localPort = socket.localPort!;
      const echoed = readBytes(socket, 5);
      socket.write('hello');
      assert.equal((await withTimeout(echoed, 10_000, 'the echo', detail(kernel))).toString(), 'hello');
      const from = trace.events.length;
      // ≥ 1 s apart: Linux answers out-of-window segments without data (as these probes are) at most
      // once per net.ipv4.tcp_invalid_ratelimit (500 ms); an unanswered probe is retried only after 75 s.
      const IDLE = 1000;
      const PROBES = 3;
      socket.setKeepAlive(true, IDLE);
      const probes = (): StackTraceEvent[] =>
        trace.events.slice(from).filter((e) => e.type === 'send' && e.segment.srcPort === localPort && e.rule !== undefined && /keep-alive/.test(e.rule));
      /** ACKs from the kernel received after probe i (and before probe i+1). */
      const answered = (): number => {
        const ps = probes();
        let n = 0;
        for (let i = 0; i < ps.length; i++) {
          const t0 = ps[i]!.time;
          const t1 = ps[i + 1]?.time ?? Infinity;
          if (trace.events.some((e) => e.type === 'recv' && e.segment.dstPort === localPort && e.time >= t0 && e.time <= t1)) n++;
        }
        return n;
      };
      await waitFor(`${PROBES} keep-alive probes answered`, () => answered() >= PROBES, 10_000, () => `probes ${probes().length}, answered ${answered()}\n${it.describe()}`);
      const status = socket.handle!.status();
      assert.equal(status.state, 'ESTABLISHED');
      assert.ok(status.stats.keepAlivesSent >= PROBES, `keepAlivesSent ${status.stats.keepAlivesSent}`);
      // Each probe is <SEQ=SND.NXT−1>: an old sequence number the kernel must acknowledge.
      for (const pr of probes()) {
        assert.ok(pr.type === 'send' && pr.segment.payload.length <= 1, 'probe carries at most one byte');
      }
      // Answered probes reset the count: the connection is alive and carries data.
      socket.setKeepAlive(false);
      const again = readBytes(socket, 5);
      socket.write('again');
      assert.equal((await withTimeout(again, 10_000, 'the echo after the probes', detail(kernel))).toString(), 'again');
      const ss = await it.exec(['ss', '-Htan', 'state', 'established', `dport = :${localPort}`]);
      assert.match(ss.stdout.toString(), new RegExp(`:${localPort}\\b`), `the kernel's socket is not ESTABLISHED: ${ss.stdout.toString()}`);
      socket.end();
      await withTimeout(closed(socket), 10_000, 'the socket to close', detail(kernel));
    });
  });
}
