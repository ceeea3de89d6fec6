import { ACK, RST, SYN, FIN, type TcpSegment } from '../wire/types.js';
import { seqAdd } from './seq.js';

/** SEG.LEN: payload bytes plus one for SYN and one for FIN (RFC 9293 §3.4). */
export function segmentLength(seg: TcpSegment): number {
  return seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
}

const NO_OPTIONS = Object.freeze({});
const NO_PAYLOAD = new Uint8Array(0);

/**
 * The reset a CLOSED endpoint (no TCB) sends in reply to `seg`, or undefined when none is due
 * (RFC 9293 §3.10.7.1): nothing answers a RST; with ACK off the reply is
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; with ACK on it is <SEQ=SEG.ACK><CTL=RST>.
 */
export function resetForClosed(seg: TcpSegment): TcpSegment | undefined {
  if (seg.flags & RST) return undefined;
  if (seg.flags & ACK) return resetSegment(seg, seg.ack, 0, RST);
  return resetSegment(seg, 0, seqAdd(seg.seq, segmentLength(seg)), RST | ACK);
}

/** A reset addressed back to the sender of `seg`. */
export function resetSegment(seg: TcpSegment, seq: number, ack: number, flags: number): TcpSegment {
  return {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    seq: seq >>> 0,
    ack: ack >>> 0,
    flags,
    window: 0,
    urgent: 0,
    options: NO_OPTIONS,
    payload: NO_PAYLOAD,
  };
}

/** Rule text for the CLOSED-state reset, shared by the engine and the stack. */
export const RULE_RESET_CLOSED = 'RFC 9293 §3.10.7.1 — CLOSED: any segment but a RST is answered by a RST';
