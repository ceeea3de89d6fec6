import { sipHash24 } from './siphash.js';

/** The four values that name a connection (RFC 9293 §3.1 "socket pair"). */
export interface FourTuple {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

const encoder = new TextEncoder();

/**
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is a timer
 * ticking every 4 µs and F a keyed PRF (SipHash-2-4 here, as on Linux). Both the key and the clock are
 * passed in, so the engine stays deterministic.
 */
export function rfc6528Isn(key: Uint8Array, tuple: FourTuple, nowMs: number): number {
  const text = `${tuple.localAddress}|${tuple.localPort}|${tuple.remoteAddress}|${tuple.remotePort}`;
  const f = Number(sipHash24(key, encoder.encode(text)) & 0xffffffffn);
  const m = Math.floor(nowMs * 250); // 4 µs ticks
  return (f + m) >>> 0;
}
