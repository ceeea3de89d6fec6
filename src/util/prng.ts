/**
 * A small, fast, seeded pseudo-random number generator for deterministic simulation.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's "Small Fast Chaotic" generator, 128 bits of state,
 * passes PractRand/BigCrush), keyed from a 128-bit key. A number seed is turned into a key by hashing
 * its IEEE-754 bits; {@link Prng.fork} derives a child key by hashing the parent's *key* (not its
 * current state) together with a label. Forking therefore never consumes or perturbs the parent's
 * stream, and a child depends only on (root seed, path of labels): adding a new link to a simulation
 * does not change the random choices of the links that were already there.
 *
 * This is NOT a cryptographic generator.
 *
 * @module
 */

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 (x86, 32-bit) over a sequence of u32 words, with the given seed. */
function murmurWords(words: readonly number[], seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < words.length; i++) {
    let k = Math.imul(words[i]! >>> 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ (words.length * 4));
}

/** Derives a 128-bit key (four u32 words) from arbitrary u32 words: four murmur3 lanes with distinct seeds. */
function deriveKey(words: readonly number[]): [number, number, number, number] {
  return [
    murmurWords(words, 0x243f6a88),
    murmurWords(words, 0x85a308d3),
    murmurWords(words, 0x13198a2e),
    murmurWords(words, 0x03707344),
  ];
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

/**
 * Seeded PRNG (sfc32). Every method is deterministic given the seed and the sequence of calls.
 *
 * @example
 * ```ts
 * const rng = new Prng(42);
 * rng.next();          // float in [0, 1)
 * rng.int(0, 6);       // 0..5
 * const lossRng = rng.fork('loss'); // independent stream, unaffected by draws from `rng`
 * ```
 */
export class Prng {
  /** The 128-bit key this generator was created from (used by {@link fork}). */
  private key: readonly [number, number, number, number];
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * @param seed Any finite number (integers are the norm). Equal seeds give equal streams; `0` and `-0`
   *   are the same seed. Defaults to 0.
   */
  constructor(seed: number = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`Prng seed must be a finite number, got ${seed}`);
    f64[0] = seed === 0 ? 0 : seed;
    const key = deriveKey([f64Words[0]!, f64Words[1]!, 0x5eed]);
    this.key = key;
    this.a = key[0] | 0;
    this.b = key[1] | 0;
    this.c = key[2] | 0;
    this.d = key[3] | 0;
    this.warmUp();
  }

  /** Creates a generator directly from a 128-bit key (used by {@link fork}). */
  private static fromKey(key: [number, number, number, number]): Prng {
    const p = Object.create(Prng.prototype) as Prng;
    p.key = key;
    p.a = key[0] | 0;
    p.b = key[1] | 0;
    p.c = key[2] | 0;
    p.d = key[3] | 0;
    p.warmUp();
    return p;
  }

  private warmUp(): void {
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  /** Next unsigned 32-bit integer, uniform over [0, 2^32). */
  nextU32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Next float, uniform over [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** `true` with probability `p` (`p <= 0` never, `p >= 1` always; draws one value either way). */
  chance(p: number): boolean {
    return this.nextU32() / TWO_POW_32 < p;
  }

  /** Float uniform over [lo, hi). */
  float(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Integer uniform over [lo, hiExclusive), without modulo bias (rejection sampling).
   * Both bounds must be safe integers with `0 < hiExclusive - lo <= 2^32`.
   */
  int(lo: number, hiExclusive: number): number {
    const range = hiExclusive - lo;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiExclusive) || range <= 0 || range > TWO_POW_32) {
      throw new RangeError(`Prng.int: bad range [${lo}, ${hiExclusive})`);
    }
    // Reject the lowest (2^32 mod range) values so that the rest split evenly into `range` buckets.
    const threshold = (TWO_POW_32 - range) % range;
    let x = this.nextU32();
    while (x < threshold) x = this.nextU32();
    return lo + (x % range);
  }

  /** `n` pseudo-random bytes in a fresh array. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const x = this.nextU32();
      out[i] = x;
      out[i + 1] = x >>> 8;
      out[i + 2] = x >>> 16;
      out[i + 3] = x >>> 24;
    }
    if (i < n) {
      let x = this.nextU32();
      for (; i < n; i++, x >>>= 8) out[i] = x;
    }
    return out;
  }

  /**
   * Derives an independent generator from this one's key and `label`. Deterministic and side-effect
   * free: it does not advance this generator, and the child does not depend on how many values this
   * generator has produced. The same label always gives the same child stream, so use distinct labels
   * for things that must be independent. Forks can be forked again (`rng.fork('link:x').fork('loss')`).
   */
  fork(label: string): Prng {
    const words: number[] = [this.key[0], this.key[1], this.key[2], this.key[3], label.length];
    for (let i = 0; i < label.length; i++) words.push(label.charCodeAt(i));
    return Prng.fromKey(deriveKey(words));
  }

  /** A copy with identical current state: both then produce the same sequence. */
  clone(): Prng {
    const p = Object.create(Prng.prototype) as Prng;
    p.key = this.key;
    p.a = this.a;
    p.b = this.b;
    p.c = this.c;
    p.d = this.d;
    return p;
  }
}
