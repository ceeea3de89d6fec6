/**
 * The kernel's side of the interop tests: one small Python program (standard library only) with a
 * subcommand per role, run inside the test namespace as `python3 -c KERNEL_PY <cmd> <args…>`. Each
 * prints JSON lines (`{"event": …}`) that {@link Background} collects; errors are reported by errno
 * name (ECONNRESET, ECONNREFUSED, …), never as tracebacks, so tests can assert on them.
 *
 * Data a Python side sends is `random.Random(seed).randbytes(n)`; it reports the SHA-256 of what it
 * sent and received, and the tests compare with what synack saw.
 */
import type { Family } from './harness.js';

export const KERNEL_PY = String.raw`
import asyncio, errno, hashlib, json, random, socket, struct, sys

def out(**kw):
    kw = dict(event=kw.pop('event'), **kw)
    sys.stdout.write(json.dumps(kw) + '\n')
    sys.stdout.flush()

def fam(f):
    return socket.AF_INET6 if f == '6' else socket.AF_INET

def errname(e):
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__

def listener(host, port, f, backlog=16):
    s = socket.socket(fam(f), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(int(backlog))
    out(event='listening', port=s.getsockname()[1])
    return s

def drain(c, h):
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            return n
        h.update(b)
        n += len(b)

def recv_exactly(c, n):
    buf = b''
    while len(buf) < n:
        b = c.recv(n - len(buf))
        if not b:
            raise EOFError('eof after %d of %d bytes' % (len(buf), n))
        buf += b
    return buf

def rnd(n, seed):
    return random.Random(int(seed)).randbytes(int(n))

def sha(b):
    return hashlib.sha256(b).hexdigest()

def linger0(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))

# sink HOST PORT FAM [COUNT]: accept COUNT connections one after another, read each to EOF, report.
def cmd_sink(host, port, f, count='1'):
    s = listener(host, port, f)
    for _ in range(int(count)):
        c, peer = s.accept()
        h = hashlib.sha256()
        try:
            n = drain(c, h)
            out(event='done', bytes=n, sha256=h.hexdigest(), peerPort=peer[1])
        except OSError as e:
            out(event='error', error=errname(e))
        c.close()

# reader HOST PORT FAM: accept one connection, read until EOF or an error, reporting progress.
def cmd_reader(host, port, f):
    s = listener(host, port, f)
    c, peer = s.accept()
    out(event='accepted', peerPort=peer[1])
    total = 0
    try:
        while True:
            b = c.recv(1 << 16)
            if not b:
                out(event='eof', bytes=total)
                break
            total += len(b)
            out(event='data', bytes=total)
    except OSError as e:
        out(event='error', error=errname(e), bytes=total)
    c.close()

# respond-after-eof HOST PORT FAM NBYTES SEED: read the request to EOF (the peer half-closed), then
# send NBYTES and close.
def cmd_respond_after_eof(host, port, f, nbytes, seed):
    s = listener(host, port, f)
    c, _ = s.accept()
    h = hashlib.sha256()
    n = drain(c, h)
    out(event='request', bytes=n, sha256=h.hexdigest())
    data = rnd(nbytes, seed)
    try:
        c.sendall(data)
        out(event='sent', bytes=len(data), sha256=sha(data))
    except OSError as e:
        out(event='error', error=errname(e))
    c.close()
    out(event='closed')

# send-then-read HOST PORT FAM NBYTES SEED: connect, send NBYTES, shut down writing, read to EOF.
def cmd_send_then_read(host, port, f, nbytes, seed):
    c = socket.create_connection((host, int(port)))
    data = rnd(nbytes, seed)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    out(event='sent', bytes=len(data), sha256=sha(data))
    h = hashlib.sha256()
    try:
        n = drain(c, h)
        out(event='response', bytes=n, sha256=h.hexdigest())
    except OSError as e:
        out(event='error', error=errname(e))
    c.close()

# linger-server HOST PORT FAM NBYTES: accept, read NBYTES, then close with SO_LINGER 0 (RST).
def cmd_linger_server(host, port, f, nbytes):
    s = listener(host, port, f)
    c, _ = s.accept()
    recv_exactly(c, int(nbytes))
    out(event='received', bytes=int(nbytes))
    linger0(c)
    c.close()
    out(event='reset')

# linger-client HOST PORT FAM NBYTES: connect, send NBYTES, wait for 2 bytes "OK", close with RST.
def cmd_linger_client(host, port, f, nbytes):
    c = socket.create_connection((host, int(port)))
    c.sendall(rnd(nbytes, 1))
    ok = recv_exactly(c, 2)
    out(event='ok', reply=ok.decode())
    linger0(c)
    c.close()
    out(event='reset')

# connect HOST PORT FAM: one connect attempt; report success or the errno.
def cmd_connect(host, port, f):
    c = socket.socket(fam(f), socket.SOCK_STREAM)
    c.settimeout(10)
    try:
        c.connect((host, int(port)))
        out(event='connected')
    except OSError as e:
        out(event='error', error=errname(e))
    c.close()

# close-on-command HOST PORT FAM ROLE NBYTES SEED: as 'server' accept one connection, as 'client'
# connect; exchange NBYTES each way (send ours, then read theirs), report 'ready', then on a line
# 'close' from stdin shut down writing at once, read to EOF, close, and report.
def cmd_close_on_command(host, port, f, role, nbytes, seed):
    if role == 'server':
        s = listener(host, port, f)
        c, _ = s.accept()
    else:
        c = socket.create_connection((host, int(port)))
    data = rnd(nbytes, seed)
    c.sendall(data)
    got = recv_exactly(c, int(nbytes))
    out(event='ready', sent=sha(data), received=sha(got))
    line = sys.stdin.readline().strip()
    if line != 'close':
        out(event='error', error='unexpected command ' + repr(line))
        return
    try:
        c.shutdown(socket.SHUT_WR)
        h = hashlib.sha256()
        n = drain(c, h)
        out(event='eof', extra=n)
    except OSError as e:
        out(event='error', error=errname(e))
    c.close()
    out(event='closed')

# read-on-command HOST PORT FAM: connect, report 'connected', read nothing until a line 'read' on
# stdin (so the receive window closes), then read to EOF and report.
def cmd_read_on_command(host, port, f):
    c = socket.create_connection((host, int(port)))
    out(event='connected', localPort=c.getsockname()[1])
    line = sys.stdin.readline().strip()
    if line != 'read':
        out(event='error', error='unexpected command ' + repr(line))
        return
    h = hashlib.sha256()
    try:
        n = drain(c, h)
        out(event='done', bytes=n, sha256=h.hexdigest())
    except OSError as e:
        out(event='error', error=errname(e))
    c.close()

# echo-server HOST PORT FAM: echo every connection; on the peer's FIN finish echoing and close.
def cmd_echo_server(host, port, f):
    async def handle(r, w):
        n = 0
        try:
            while True:
                b = await r.read(1 << 16)
                if not b:
                    break
                n += len(b)
                w.write(b)
                await w.drain()
            w.write_eof()
            await w.drain()
        except OSError as e:
            out(event='error', error=errname(e), bytes=n)
        finally:
            w.close()
        out(event='done', bytes=n)
    async def main():
        srv = await asyncio.start_server(handle, host, int(port), family=fam(f), backlog=1024, reuse_address=True)
        out(event='listening', port=int(port))
        async with srv:
            await srv.serve_forever()
    asyncio.run(main())

def conn_data(i, nbytes):
    return rnd(nbytes, 1000 + i)

# many-clients HOST PORT FAM COUNT NBYTES: open COUNT connections at once; once all are up, each
# sends NBYTES of its own data, shuts down writing and reads the echo to EOF; report mismatches.
def cmd_many_clients(host, port, f, count, nbytes):
    count = int(count)
    nbytes = int(nbytes)
    async def one_connect(i):
        return await asyncio.open_connection(host, int(port), family=fam(f))
    async def one_exchange(i, r, w):
        data = conn_data(i, nbytes)
        async def send():
            w.write(data)
            await w.drain()
            w.write_eof()
        t = asyncio.ensure_future(send())
        got = await r.read(-1)
        await t
        w.close()
        return (i, len(got), sha(got) == sha(data))
    async def main():
        conns = await asyncio.gather(*[one_connect(i) for i in range(count)], return_exceptions=True)
        failed = [errname(c) for c in conns if isinstance(c, BaseException)]
        out(event='connected', count=count - len(failed), failed=failed[:10])
        if failed:
            return
        results = await asyncio.gather(*[one_exchange(i, r, w) for i, (r, w) in enumerate(conns)], return_exceptions=True)
        bad = []
        for res in results:
            if isinstance(res, BaseException):
                bad.append(errname(res))
            elif not res[2]:
                bad.append('conn %d: %d bytes, wrong data' % (res[0], res[1]))
        out(event='done', ok=count - len(bad), bad=bad[:20])
    asyncio.run(main())

cmds = {k[4:].replace('_', '-'): v for k, v in list(globals().items()) if k.startswith('cmd_')}
try:
    cmds[sys.argv[1]](*sys.argv[2:])
except (OSError, EOFError) as e:
    out(event='error', error=errname(e), detail=str(e))
    sys.exit(1)
`;

/** The argv of a kernel-side program: `python3 -u -c KERNEL_PY cmd host port family args…`. */
export function py(cmd: string, host: string, port: number, family: Family, ...args: (string | number)[]): string[] {
  return ['python3', '-u', '-c', KERNEL_PY, cmd, host, String(port), String(family), ...args.map(String)];
}
