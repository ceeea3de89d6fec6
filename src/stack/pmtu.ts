import type { IpAddress } from './address.js';

/** RFC 1191 §6.3 / RFC 8201 §5.3: an estimate learnt from ICMP is tried upward again after 10 minutes. */
export const PMTU_EXPIRY_MS = 10 * 60 * 1000;

/**
 * Smallest Path MTU an ICMPv4 message may set. RFC 791 allows 68, but a forged Fragmentation Needed
 * could then shrink segments to a few bytes (RFC 5927 §7.2); like Linux's min_pmtu we stop at 552.
 */
export const MIN_PMTU_V4 = 552;
/** RFC 8201 §4: a node MUST NOT reduce its estimate below the IPv6 minimum link MTU. */
export const MIN_PMTU_V6 = 1280;

/** Path MTU estimates per destination (RFC 1191 §5, RFC 8201 §5.2), learnt from ICMP, aged out. */
export class PathMtuCache {
  private readonly entries = new Map<string, { mtu: number; expires: number }>();

  constructor(private readonly now: () => number) {}

  /** The estimate for `dst`: the learnt value if fresh and below the route's MTU, else the route's MTU. */
  get(dst: IpAddress, routeMtu: number): number {
    const e = this.entries.get(dst.text);
    if (e === undefined) return routeMtu;
    if (e.expires <= this.now()) {
      this.entries.delete(dst.text);
      return routeMtu;
    }
    return Math.min(e.mtu, routeMtu);
  }

  /**
   * Lower the estimate for `dst` to `reported` (clamped to the family's floor); never raises it.
   * Returns the estimate now in force.
   */
  lower(dst: IpAddress, reported: number, routeMtu: number): number {
    const floor = dst.family === 4 ? MIN_PMTU_V4 : MIN_PMTU_V6;
    const current = this.get(dst, routeMtu);
    const mtu = Math.max(floor, Math.min(reported, current));
    if (mtu < current || this.entries.has(dst.text)) this.entries.set(dst.text, { mtu, expires: this.now() + PMTU_EXPIRY_MS });
    return mtu;
  }

  /** Every learnt estimate (for tools). */
  list(): { destination: string; mtu: number; expires: number }[] {
    return [...this.entries].map(([destination, e]) => ({ destination, ...e }));
  }
}

/**
 * RFC 1191 §5 plateau table: when a pre-RFC 1191 router reports Next-Hop MTU 0, the next plateau
 * below the Total Length of the datagram that was too big.
 */
export function plateauBelow(totalLength: number): number {
  const plateaus = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];
  for (const p of plateaus) if (p < totalLength) return p;
  return 68;
}
