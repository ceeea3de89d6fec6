/**
 * Mutation fuzzer for the wire layer. Not a test: run it by hand after building,
 *   node dist/fuzz/wire-fuzz.js [--iterations N] [--seconds S] [--seed X]
 * It lives outside test/ because `node --test dist/test/` runs every .js file under a `test` directory.
 * Each iteration builds a random valid IPv4+TCP packet, mutates it (byte/bit edits, truncation,
 * extension, optionally re-fixing checksums) and checks that parsers never throw and that anything
 * accepted re-serialises to an equal segment.
 */
import { isDeepStrictEqual } from 'node:util';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from '../src/wire/checksum.js';
import { parseIpv4 } from '../src/wire/ipv4.js';
import { buildIpv4Tcp, parseIpv4Tcp } from '../src/wire/packet.js';
import { parseTcp } from '../src/wire/tcp.js';
import type { TcpOptions, TcpSegment } from '../src/wire/types.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

const iterations = arg('iterations', 1_000_000);
const seconds = arg('seconds', 10);
const seed = arg('seed', Date.now() % 0x100000000) >>> 0;

/** mulberry32: small, seedable, good enough to drive mutations reproducibly. */
let state = seed;
function rand32(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
const below = (n: number): number => rand32() % n;
const chance = (p: number): boolean => rand32() / 0x100000000 < p;

function randomSegment(): TcpSegment {
  const options: TcpOptions = {};
  if (chance(0.5)) options.mss = below(0x10000);
  if (chance(0.5)) options.windowScale = below(256);
  if (chance(0.5)) options.sackPermitted = true;
  if (chance(0.5)) options.timestamp = { value: rand32(), echo: rand32() };
  if (chance(0.5)) {
    options.sackBlocks = Array.from({ length: 1 + below(4) }, () => ({ left: rand32(), right: rand32() }));
  }
  const payload = new Uint8Array(chance(0.5) ? 0 : below(200));
  for (let i = 0; i < payload.length; i++) payload[i] = below(256);
  return {
    srcPort: below(0x10000),
    dstPort: below(0x10000),
    seq: rand32(),
    ack: rand32(),
    flags: below(256),
    window: below(0x10000),
    urgent: below(0x10000),
    options,
    payload,
  };
}

function mutate(p: Uint8Array): Uint8Array {
  const edits = 1 + below(4);
  for (let k = 0; k < edits; k++) {
    // Bias edits towards the headers, where the parsing logic is.
    const at = chance(0.8) ? below(Math.min(p.length, 60)) : below(p.length);
    if (chance(0.5)) p[at] = below(256);
    else p[at]! ^= 1 << below(8);
  }
  if (chance(0.1)) p = p.subarray(0, below(p.length + 1));
  if (chance(0.05)) {
    const longer = new Uint8Array(p.length + 1 + below(40));
    longer.set(p);
    p = longer;
  }
  return p;
}

/** Re-fixes both checksums so mutated header fields get past verification. */
function fixChecksums(p: Uint8Array): void {
  const ihl = (p[0]! & 0x0f) * 4;
  if (p.length < 20 || ihl < 20 || ihl > p.length) return;
  p[10] = p[11] = 0;
  const s = finishChecksum(onesComplementSum(p, 0, ihl));
  p[10] = s >>> 8;
  p[11] = s & 0xff;
  const total = Math.min((p[2]! << 8) | p[3]!, p.length);
  if (total < ihl + 18) return;
  p[ihl + 16] = p[ihl + 17] = 0;
  const src = ((p[12]! << 24) | (p[13]! << 16) | (p[14]! << 8) | p[15]!) >>> 0;
  const dst = ((p[16]! << 24) | (p[17]! << 16) | (p[18]! << 8) | p[19]!) >>> 0;
  const t = finishChecksum(onesComplementSum(p, ihl, total, ipv4PseudoHeaderSum(src, dst, p[9]!, total - ihl)));
  p[ihl + 16] = t >>> 8;
  p[ihl + 17] = t & 0xff;
}

function hex(p: Uint8Array): string {
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex');
}

/** Accepted input must re-serialise to an equal segment (SACK blocks may be cut to what fits). */
function checkAccepted(p: Uint8Array): string | undefined {
  const r = parseIpv4Tcp(p);
  if (!r.ok) return undefined;
  const { ip, tcp } = r.value;
  if (tcp.payload.buffer !== p.buffer) return 'payload is not a view of the input';
  const again = parseIpv4Tcp(buildIpv4Tcp(ip.src, ip.dst, tcp, ip.ttl));
  if (!again.ok) return `rebuilt packet rejected: ${again.reason} (${again.detail})`;
  const blocks = tcp.options.sackBlocks;
  const got = again.value.tcp;
  const gotBlocks = got.options.sackBlocks ?? [];
  if (blocks !== undefined && !isDeepStrictEqual(gotBlocks, blocks.slice(0, gotBlocks.length))) {
    return 'SACK blocks changed';
  }
  const want = { ...tcp, options: { ...tcp.options } };
  const have = { ...got, options: { ...got.options } };
  delete want.options.sackBlocks;
  delete have.options.sackBlocks;
  if (!isDeepStrictEqual(want, have)) return 'rebuilt segment differs';
  return undefined;
}

const reasons = new Map<string, number>();
const count = (k: string): void => void reasons.set(k, (reasons.get(k) ?? 0) + 1);
const deadline = Date.now() + seconds * 1000;
let i = 0;
for (; i < iterations && (i % 1024 !== 0 || Date.now() < deadline); i++) {
  const p = mutate(buildIpv4Tcp(rand32(), rand32(), randomSegment(), below(256)));
  if (chance(0.5)) fixChecksums(p);
  let problem: string | undefined;
  try {
    parseIpv4(p);
    if (p.length >= 20) parseTcp(p.subarray(20), undefined);
    const r = parseIpv4Tcp(p);
    count(r.ok ? 'ok' : r.reason);
    problem = checkAccepted(p);
  } catch (e) {
    problem = `threw: ${(e as Error).stack ?? String(e)}`;
  }
  if (problem !== undefined) {
    console.error(`FAIL at iteration ${i} (seed ${seed}): ${problem}\npacket: ${hex(p)}`);
    process.exit(1);
  }
}
console.log(`wire-fuzz: ${i} iterations, seed ${seed}, no failures`);
for (const [k, v] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(22)} ${v}`);
