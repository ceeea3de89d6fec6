import { tcpOptionsLength } from '../wire/tcp.js';
import { ACK, FIN, PSH, RST, SYN, URG, type SackBlock, type TcpOptions, type TcpSegment } from '../wire/types.js';
import { resolveConfig, type TcpConfig } from './config.js';
import type { CongestionControl } from './congestion.js';
import { createCongestionControl } from './cc/index.js';
import { RackState } from './rack.js';
import { Scoreboard, type SentSegment } from './scoreboard.js';
import { TcpCallError, type TcpErrorCode } from './errors.js';
import type { CongestionChange, ConnectionEvent, ConnectionTraceEvent, EngineDropReason, TimerKind } from './events.js';
import { rfc6528Isn, type FourTuple } from './isn.js';
import { Reassembler } from './reassembler.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { resetSegment, segmentLength } from './reset.js';
import { RttEstimator } from './rtt.js';
import { SendBuffer } from './send-buffer.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from './seq.js';
import { canReceiveText, type TcpState } from './state.js';

/** How a connection is created. Time and randomness come from outside (sans-IO). */
export interface ConnectionParams {
  localAddress: string;
  localPort: number;
  /** Unspecified for a passive OPEN that accepts any peer (RFC 9293 §3.10.1). */
  remoteAddress?: string;
  remotePort?: number;
  /** 16-byte secret for RFC 6528 ISNs. */
  isnKey?: Uint8Array;
  /** Use this ISS instead of an RFC 6528 one (tests, replays). */
  iss?: number;
  /** MSS we advertise on our SYN: the largest segment we can receive (RFC 9293 §3.7.1). */
  mss?: number;
  /** Largest segment the path to the peer carries (MTU minus IP and TCP headers). */
  pathMss?: number;
  config?: Partial<TcpConfig>;
  /**
   * Congestion controller; RFC 5681 slow start and congestion avoidance by default. Called again with
   * the send MSS once the SYN exchange has fixed it (the initial window is counted in SMSS).
   */
  congestionControl?: (mss: number, config: TcpConfig) => CongestionControl;
}

/** A snapshot of the TCB for STATUS (RFC 9293 §3.10.6) and for tools like `ss`. */
export interface ConnectionStatus {
  state: TcpState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  /** The receive window as last advertised to the peer (what it may send beyond RCV.NXT). */
  rcvWnd: number;
  /** Bytes queued by the user and not yet acknowledged. */
  sendQueue: number;
  /** Bytes received in order and not yet read by the user. */
  receiveQueue: number;
  /** Bytes held out of order. */
  outOfOrder: number;
  mss: number;
  srtt: number | undefined;
  rttvar: number;
  rto: number;
  cwnd: number;
  ssthresh: number;
  congestionControl: string;
  inRecovery: boolean;
  minRtt: number | undefined;
  /** RFC 7323 shifts in use: the peer's (applied to its windows) and ours. */
  sndWscale: number;
  rcvWscale: number;
  sackPermitted: boolean;
  timestamps: boolean;
  /** RFC 6675 pipe: bytes believed in flight. */
  pipe: number;
  timers: { retransmit?: number; timeWait?: number; persist?: number };
  stats: ConnectionStats;
}

/** Counters in the spirit of Linux's TCP_INFO. */
export interface ConnectionStats {
  segmentsSent: number;
  segmentsReceived: number;
  bytesSent: number;
  bytesAcked: number;
  bytesReceived: number;
  retransmits: number;
  rtoCount: number;
  challengeAcks: number;
  challengeAcksSuppressed: number;
  duplicateAcks: number;
  droppedSegments: number;
  /** Fast-recovery episodes entered (RFC 6675 / RFC 6582). */
  fastRecoveries: number;
  /** SACK blocks received from the peer. */
  sackBlocksReceived: number;
  /** D-SACK blocks received (RFC 2883). */
  dsacksReceived: number;
  /** Retransmissions found unnecessary (timestamps, RFC 3522, or D-SACK). */
  spuriousRetransmits: number;
  /** Tail loss probes sent (RFC 8985 §7). */
  tailLossProbes: number;
  /** Losses repaired by a tail loss probe, answered with a cwnd reduction (RFC 8985 §7.4). */
  tlpRecoveries: number;
  /** Segments marked lost by RACK (RFC 8985 §6). */
  rackLosses: number;
  /** Segments dropped by PAWS (RFC 7323 §5). */
  pawsDrops: number;
  /** ACKs that were delayed rather than sent at once. */
  delayedAcks: number;
  keepAlivesSent: number;
  /** ICMP Destination Unreachable messages acted on (RFC 1122 §4.2.3.9). */
  icmpErrors: number;
  /** ICMP errors ignored because the quoted sequence number was not in flight (RFC 5927 §4.1). */
  icmpIgnored: number;
  /** Packet Too Big / Fragmentation Needed messages that lowered the path MSS (RFC 1191, RFC 8201). */
  pmtuUpdates: number;
}

const EMPTY = new Uint8Array(0);
const NO_OPTIONS: TcpOptions = Object.freeze({}) as TcpOptions;
/** RFC 9293 §3.7.1: without an MSS option the peer's MSS is 536 (IPv4). */
const DEFAULT_PEER_MSS = 536;
const MAX_UNSCALED_WINDOW = 65535;
/** RFC 7323 §2.3: shift counts above 14 are treated as 14. */
const MAX_WSCALE = 14;
/** RFC 6675 §2 DupThresh. */
const DUP_THRESH = 3;
/** RFC 7323 §5.5: TS.Recent is invalid after 24 days of idleness. */
const PAWS_IDLE_LIMIT = 24 * 24 * 3600 * 1000;
/** RFC 8985 §7.2: worst-case delayed-ACK time added to the PTO when one segment is in flight. */
const TLP_WCDELACK = 200;
/** A floor for the probe timeout, as Linux's 10 ms: on a near-zero RTT, 2·SRTT would fire at once. */
const TLP_MIN_PTO = 10;
/**
 * The smallest path MSS a Packet Too Big can impose, as Linux's tcp_min_snd_mss (48): the largest TCP
 * options (40 bytes) still leave 8 bytes of data. The RFC minimum MTUs (68 for IPv4, RFC 791, which
 * leaves 28; 1280 for IPv6, RFC 8200) are the IP layer's to enforce.
 */
const MIN_PATH_MSS = 48;

// Rules of the timers: each names the RFC step that sets, moves, stops or runs a timer, and is used
// right where the engine does so (for trace events; constants, so nothing is built while untraced).
const T_RTO_START = 'RFC 6298 §5 (5.1) — data sent and the timer not running: start it, RTO from now';
const T_RTO_RESTART = 'RFC 6298 §5 (5.3) — an ACK acknowledged new data: restart the timer, RTO from now';
const T_RTO_STOP = 'RFC 6298 §5 (5.2) — all outstanding data acknowledged: turn off the retransmission timer';
const T_RTO_FIRE = 'RFC 6298 §5 (5.4) — the retransmission timer expired: retransmit the earliest unacknowledged segment';
const T_RTO_BACKOFF = 'RFC 6298 §5 (5.5, 5.6) — after a timeout: RTO doubled, timer restarted';
const T_RTO_AFTER_TLP = 'RFC 8985 §7.3 — a loss probe is sent: re-arm the RTO timer, not the PTO';
const T_TW_START = 'RFC 9293 §3.10.7.4 — entering TIME-WAIT: start the time-wait timer (2 MSL)';
const T_TW_RESTART = 'RFC 9293 §3.10.7.4 — TIME-WAIT: the FIN came again, restart the 2 MSL timeout';
const T_TW_FIRE = 'RFC 9293 §3.10.8 — TIME-WAIT timeout (2×MSL): delete TCB, CLOSED';
const T_OTHERS_OFF = 'RFC 9293 §3.10.7.4 — entering TIME-WAIT: turn off the other timers';
const T_CLOSED = 'RFC 9293 §3.3.2 — CLOSED: the TCB is deleted, and its timers with it';
const T_FLUSH = 'RFC 9293 §3.10.7.4 — connection reset or aborted: queues flushed, their timers stopped';
const T_TO_LISTEN = 'RFC 9293 §3.10.7.4 — SYN-RECEIVED → LISTEN: the retransmission queue is flushed';
const T_PERSIST_START = 'RFC 9293 §3.8.6.1 — zero window with data to send: start the persist timer (RFC 1122 §4.2.2.17)';
const T_PERSIST_FIRE = 'RFC 9293 §3.8.6.1 — persist timer expired: send a zero-window probe';
const T_PERSIST_BACKOFF = 'RFC 1122 §4.2.2.17 — window still closed: probe again, interval doubled';
const T_PERSIST_OPEN = 'RFC 9293 §3.8.6.1 — the window opened: stop probing';
const T_PERSIST_RTO = 'RFC 9293 §3.8.6.1 — data in flight: the retransmission timer runs instead of the persist timer';
const T_DELACK_START = 'RFC 1122 §4.2.3.2 — in-order text: delay the ACK (less than 0.5 s; every second full segment at once)';
const T_DELACK_SENT = 'RFC 1122 §4.2.3.2 — an ACK went out (piggybacked or immediate): nothing left to delay';
const T_DELACK_FIRE = 'RFC 1122 §4.2.3.2 / RFC 5681 §4.2 — delayed-ACK timer expired: acknowledge';
const T_RACK_ARM = 'RFC 8985 §6.2 — segments wait out the reordering window: arm the RACK reorder timer';
const T_RACK_NONE = 'RFC 8985 §6.2 — no segment waits for the reordering window';
const T_RACK_FIRE = 'RFC 8985 §6.2 — the reorder timer expired: segments sent a reordering window before the latest delivered are lost';
const T_TLP_ARM = 'RFC 8985 §7.2 — data in flight, not in recovery: arm the probe timeout PTO ≈ 2·SRTT';
const T_TLP_NONE = 'RFC 8985 §7.2 — no probe timeout in recovery, after an RTO, with a probe out or once segments are SACKed';
const T_TLP_SACKED = 'RFC 8985 §7.2 — segments were SACKed: no probe timeout (RACK covers the tail)';
const T_TLP_RECOVERY = 'RFC 8985 §7.2 — loss recovery started: no probe timeout';
const T_TLP_IDLE = 'RFC 8985 §7.2 — nothing outstanding: no probe timeout';
const T_TLP_RTO = 'RFC 8985 §7.2 — the retransmission timer expired: no probe timeout in RTO recovery';
const T_TLP_FIRE = 'RFC 8985 §7.3 — probe timeout expired: send a tail loss probe';
const T_KEEPALIVE_SET = 'RFC 9293 §3.8.4 — idle connection with keep-alive on: probe after the idle time (RFC 1122 §4.2.3.6)';
const T_KEEPALIVE_MOVE = 'RFC 9293 §3.8.4 — a segment arrived or a probe went out: keep-alive deadline moved';
const T_KEEPALIVE_OFF = 'RFC 9293 §3.8.4 — data outstanding, keep-alive off, or not synchronized: no keep-alive';
const T_KEEPALIVE_FIRE = 'RFC 9293 §3.8.4 — keep-alive timer expired: send a probe (RFC 1122 §4.2.3.6)';
const T_KEEPALIVE_ABORT = 'RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6 — keep-alive probes unanswered: abort';
const T_USER_SET = 'RFC 9293 §3.10.8 — USER TIMEOUT: data sent and unacknowledged, abort if it stays so (RFC 5482)';
const T_USER_MOVE = 'RFC 9293 §3.10.8 — USER TIMEOUT: an ACK of new data, the deadline moves';
const T_USER_OFF = 'RFC 9293 §3.10.8 — USER TIMEOUT: nothing unacknowledged (or the timeout is off)';
const T_USER_FIRE = 'RFC 9293 §3.10.8 USER TIMEOUT / RFC 5482 — data unacknowledged for the user timeout: abort';

// Rules of recovery and of the engine's own window decisions (the controllers name theirs).
const C_ENTER_SACK = 'RFC 6675 §5 — SACK: a segment deemed lost (IsLost, DupThresh = 3): fast retransmit (RFC 5681 §3.2), enter loss recovery, RecoveryPoint = HighData';
const C_ENTER_RACK = 'RFC 8985 §6.2 — RACK: a segment sent a reordering window before one delivered later is lost: enter loss recovery (RFC 6675 §5)';
const C_ENTER_DUPACK = 'RFC 5681 §3.2 — third duplicate ACK: fast retransmit, enter fast recovery (RFC 6582 §3.2: recover = SND.NXT)';
const C_ENTER_RTO = 'RFC 6675 §5.1 / RFC 6298 §5 (5.4) — retransmission timeout: every segment not SACKed deemed lost, resend from SND.UNA';
const C_EXIT = 'RFC 6582 §3.2 / RFC 6675 §5 — the cumulative ACK covers RecoveryPoint: fast recovery ends';
const C_EXIT_RTO = 'RFC 6582 §3.2 / RFC 6675 §5.1 — the ACK covers what was outstanding at the timeout: RTO recovery ends';
const C_EXIT_SPURIOUS = 'RFC 9438 §4.9 / RFC 3522 — the ACK echoes a timestamp older than the retransmission: the original arrived, recovery ends';
const C_TLP_LOSS = 'RFC 8985 §7.4 — the tail loss probe repaired a loss (no D-SACK): congestion response as for fast recovery (RFC 5681 §3.2)';
const C_IW = 'RFC 5681 §3.1 — SMSS fixed by the SYN exchange: cwnd = IW (RFC 6928 §2)';
const C_IW_ONE = 'RFC 5681 §3.1 — the SYN was retransmitted: the initial window is one segment';
const C_CC_GROWTH = 'RFC 5681 §3.1 — slow start and congestion avoidance';
const C_CC_LOSS = 'RFC 5681 §3.2 — loss detected: cwnd and ssthresh reduced';
const C_CC_RTO = 'RFC 5681 §3.1 — retransmission timeout: cwnd = 1 SMSS';
const C_CC_OTHER = 'RFC 5681 §3 — congestion window changed by the controller';
const RULE_SYN_RTX = 'RFC 6298 §5 (5.4) — retransmission timeout: resend SYN';
const RULE_SYNACK_RTX = 'RFC 6298 §5 (5.4) — retransmission timeout: resend SYN,ACK';
/** Used for the resend and for the (non-)change of cwnd: a lowered path MTU is not congestion. */
const RULE_PMTU = 'RFC 1191 §6.4 / RFC 8201 §5.4 — path MTU lowered: resend at the new MSS, cwnd and ssthresh unchanged';
/** The same over IPv6, where RFC 8200 §5 calls for Path MTU Discovery (RFC 8201). */
const RULE_PMTU6 = 'RFC 8200 §5 / RFC 8201 §5.4 — path MTU lowered: resend at the new MSS, cwnd and ssthresh unchanged';

// Rules of the segments the engine discards (RFC 9293 §3.10.7), each used for the drop event and,
// where the RFC answers the segment, for the answer.
const D_CLOSED = 'RFC 9293 §3.10.7.1 — CLOSED: the segment is discarded';
const D_LISTEN_RST = 'RFC 9293 §3.10.7.2 — LISTEN: an incoming RST is ignored';
const D_LISTEN_ACK = 'RFC 9293 §3.10.7.2 — LISTEN: ACK is bad → <SEQ=SEG.ACK><CTL=RST>';
const D_LISTEN_OTHER = 'RFC 9293 §3.10.7.2 — LISTEN: neither SYN nor RST: drop the segment';
const D_SYNSENT_BAD_ACK = 'RFC 9293 §3.10.7.3 — SYN-SENT: unacceptable ACK → <SEQ=SEG.ACK><CTL=RST>';
const D_SYNSENT_RST = 'RFC 9293 §3.10.7.3 — SYN-SENT: RST without an acceptable ACK: drop (RFC 5961 §3.2)';
const D_SYNSENT_OTHER = 'RFC 9293 §3.10.7.3 — SYN-SENT: neither SYN nor RST: drop the segment';
const D_NO_TS = 'RFC 7323 §3.2 — timestamps negotiated, a non-RST segment without TSopt: silently dropped';
const D_PAWS = 'RFC 7323 §5.3 R1 — PAWS: SEG.TSval < TS.Recent → not acceptable, send ACK, drop';
const D_UNACCEPTABLE = 'RFC 9293 §3.10.7.4 — unacceptable segment → send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop';
const D_RST_OUTSIDE = 'RFC 9293 §3.10.7.4 — RST not in the receive window: silently dropped (RFC 5961 §3.2)';
const D_ZERO_WINDOW = 'RFC 9293 §3.10.7.4 — RCV.WND = 0: text dropped, ACK field still processed';
const D_RST_CHALLENGE = 'RFC 5961 §3.2 — RST in window but not at RCV.NXT → challenge ACK';
const RULE_TIME_WAIT_REOPEN = 'RFC 9293 §3.6.1 (MAY-2) / RFC 1122 §4.2.2.13 — TIME-WAIT: a new SYN above RCV.NXT (or with a newer timestamp) reopens the connection: delete the TCB, new ISS above the old SND.NXT';
const D_SYN_CHALLENGE = 'RFC 5961 §4.2 — SYN in a synchronized state → challenge ACK';
const D_NO_ACK = 'RFC 9293 §3.10.7.4 — fifth check: the ACK bit is off, drop the segment';
const D_SYNRCVD_BAD_ACK = 'RFC 9293 §3.10.7.4 — SYN-RECEIVED: unacceptable ACK → <SEQ=SEG.ACK><CTL=RST>';
const D_ACK_UNSENT = 'RFC 9293 §3.10.7.4 / RFC 5961 §5 — ACK of something not yet sent (SEG.ACK > SND.NXT) → send ACK, drop';
const D_ACK_OLD = 'RFC 5961 §5 — ACK below SND.UNA − MAX.SND.WND → send ACK, drop';
const D_TEXT_AFTER_FIN = 'RFC 9293 §3.10.7.4 — text after the FIN: "should not occur", ignored';

/** The smallest RFC 7323 shift that lets a 16-bit window field cover `buffer` bytes. */
export function windowShiftFor(buffer: number): number {
  let shift = 0;
  while (shift < MAX_WSCALE && MAX_UNSCALED_WINDOW * 2 ** shift < buffer) shift++;
  return shift;
}

/**
 * One TCP connection (TCB) per RFC 9293, sans-IO: feed it arriving segments, user calls and the
 * current time; drain the segments it wants sent with {@link pollTransmit}, its notifications with
 * {@link pollEvent}, and call {@link handleTimeout} at {@link pollTimeout}. It never reads a clock,
 * sets a timer or draws a random number.
 */
export class Connection {
  readonly config: TcpConfig;
  readonly localAddress: string;
  readonly localPort: number;
  remoteAddress: string;
  remotePort: number;

  state: TcpState = 'CLOSED';
  /** Came from LISTEN (RFC 9293 §3.10.7.4 treats SYN-RECEIVED differently for passive opens). */
  passive = false;

  // RFC 9293 §3.3.1 send sequence variables.
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndWnd = 0;
  sndUp = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** RFC 5961 §5: the largest window the peer has offered. */
  maxSndWnd = 0;
  // Receive sequence variables.
  irs = 0;
  rcvNxt = 0;
  rcvUp = 0;
  /** Right edge of the window we last advertised; never moved left (RFC 9293 §3.8.6). */
  private rcvAdvRight = 0;
  /**
   * The right edge the peer saw in our last window field: rcvAdvRight, or up to one scale unit less
   * when the field had to be rounded down (RFC 7323 §2.4). rcvAdvRight stays what we honour.
   */
  private rcvPeerRight = 0;

  /** Our MSS as advertised on the SYN. */
  readonly rcvMss: number;
  /** Effective send MSS (RFC 9293 §3.7.1, RFC 6691). */
  sndMss: number;
  /** What the path carries; lowered by Packet Too Big (RFC 1191 §6.4, RFC 8201 §5.4). */
  private pathMss: number;
  /** The last ICMP soft error, reported instead of ETIMEDOUT if the connection times out (RFC 1122 §4.2.3.9). */
  private softError: TcpErrorCode | undefined;
  /** Segments marked lost by a Packet Too Big wait to be resent (with no congestion response). */
  private pmtuRtx = false;

  private readonly sendBuffer = new SendBuffer();
  /** Sequence number of the first byte in sendBuffer. */
  private sndBufSeq = 0;
  private readonly receiveBuffer = new ReceiveBuffer();
  private readonly reassembler = new Reassembler();
  /** IRS and RCV.NXT are known (a SYN has been received). */
  private haveIrs = false;

  /** CLOSE was called: a FIN follows the queued data. */
  private finQueued = false;
  /** Sequence number our FIN occupies, once sent. */
  private finSeq: number | undefined;
  /** CLOSE issued in SYN-RECEIVED with data pending: performed on reaching ESTABLISHED. */
  private closeAfterEstablished = false;
  /** The peer's FIN has been processed. */
  private finReceived = false;

  /** Our SYN (or SYN,ACK) must be (re)sent. */
  private synPending = false;
  private synRetransmitted = false;
  /** Why the pending SYN is being resent ('' for the first transmission). */
  private synRule = '';
  /** Sent, unacknowledged segments with their SACK/lost/retransmitted marks (RFC 6675 scoreboard). */
  private readonly scoreboard = new Scoreboard();
  /** In fast recovery (RFC 6675 §5 / RFC 6582) until the cumulative ACK reaches `recoveryPoint`. */
  private inRecovery = false;
  /** After an RTO, no new fast recovery starts below this point (RFC 6582 §3.2 "recover"). */
  private recoveryPoint = 0;
  private afterRto = false;
  /** Duplicate ACKs in a row (RFC 5681 §3.2), for peers without SACK. */
  private dupAcks = 0;
  /** SND.NXT at the first duplicate ACK: data sent after it is Limited Transmit (RFC 3042). */
  private ltMark: number | undefined;
  /** RFC 6675 §5 (4.3) / RFC 5681 §3.2 step 3: the first retransmission of an episode is not cwnd-gated. */
  private fastRtxDue = false;
  /** TSval of the first retransmission of the current episode, for Eifel detection (RFC 3522). */
  private episodeRtxTsVal: number | undefined;
  /** Send time of the last new data, for idle restart (RFC 5681 §4.1). */
  private lastSendAt = -Infinity;
  /** Time data last left the send queue unacknowledged, for the user timeout (RFC 5482). */
  private unackedSince: number | undefined;
  /** Smallest RTT seen, for RACK and CUBIC. */
  private minRtt: number | undefined;
  private readonly rack = new RackState();
  /** Non-SACK duplicate ACKs counted as delivered segments for pipe (NewReno). */
  private renoSacked = 0;
  /** Largest pipe since the last ACK, for the cwnd-limited test. */
  private highPipe = 0;
  /** RFC 8985 §6.2 reordering timer and §7 tail loss probe timer. */
  private rackTimerAt: number | undefined;
  private tlpAt: number | undefined;
  private tlpPending = false;
  /** An unacknowledged TLP is out; at most one per episode (RFC 8985 §7.3). */
  private tlpOut = false;
  /** RFC 8985 §7.4: TLP.end_seq and TLP.is_retrans of the last probe, and whether a D-SACK covered it. */
  private tlpEndSeq: number | undefined;
  private tlpIsRetrans = false;
  private tlpDsacked = false;
  /** Delayed ACK (RFC 1122 §4.2.3.2): when it is due, and the largest segment received (rcv MSS). */
  private delAckAt: number | undefined;
  private rcvMssSeen = 536;
  /** Nagle's algorithm on (RFC 9293 §3.7.4); setNoDelay(true) turns it off. */
  private nagle: boolean;
  /** Keepalive (RFC 9293 §3.8.4). */
  private keepAlive: boolean;
  private keepAliveIdle: number;
  private keepAliveAt: number | undefined;
  private keepAliveProbesSent = 0;
  private lastRecvAt = 0;
  private keepAliveNow = false;
  private userTimeout: number;
  // RFC 7323 window scaling and timestamps, RFC 2018 SACK.
  private readonly offerWscale: number;
  private peerOfferedWscale = false;
  /** Shift we apply to the windows we advertise (Rcv.Wind.Shift). */
  rcvWscale = 0;
  /** Shift the peer applies to its windows (Snd.Wind.Shift). */
  sndWscale = 0;
  tsOk = false;
  sackOk = false;
  private tsRecent = 0;
  private tsRecentAt = -Infinity;
  private lastAckSent = 0;
  private readonly tsOffset: number;
  /** Receiver side: recently changed SACK blocks (any sequence number inside each), newest first. */
  private sackRecent: number[] = [];
  /** A D-SACK block to report once (RFC 2883). */
  private dsack: { left: number; right: number } | undefined;
  private ackNow = false;
  private probeNow = false;
  private readonly controlQueue: Array<{ seg: TcpSegment; rule: string }> = [];
  private ackRule = '';

  private readonly rtt: RttEstimator;
  /** Karn's rule: the one segment being timed (end sequence number and send time). */
  private rttTimedEnd: number | undefined;
  private rttTimedAt = 0;
  private retries = 0;
  /** Congestion controller; made again when the SYN exchange fixes SMSS (see {@link applyPeerMss}). */
  cc: CongestionControl;
  private readonly makeCc: (mss: number, config: TcpConfig) => CongestionControl;

  private rtoAt: number | undefined;
  private timeWaitAt: number | undefined;
  private persistAt: number | undefined;
  private persistBackoff = 0;

  private challengeWindowStart = -Infinity;
  private challengeCount = 0;

  private readonly events: ConnectionEvent[] = [];
  private readonly isnKey: Uint8Array | undefined;
  private readonly fixedIss: number | undefined;
  /** The remote socket as given to OPEN (restored when SYN-RECEIVED returns to LISTEN). */
  private readonly openedRemoteAddress: string;
  private readonly openedRemotePort: number;
  /**
   * Observer called synchronously at every state change, in causal order with the segments (for
   * tracing; it must not call back into the connection). User code should use {@link pollEvent}.
   */
  onStateChange: ((from: TcpState, to: TcpState, rule: string) => void) | undefined;
  /**
   * Observer of timer, congestion and drop events (see {@link ConnectionTraceEvent}), called
   * synchronously as they happen; it must not call back into the connection. Unset, nothing is
   * built: every trace point is a single `onTrace !== undefined` check. A stack sets it only while
   * someone listens to its traces.
   */
  onTrace: ((ev: ConnectionTraceEvent, conn: Connection) => void) | undefined;
  /** Keep-alive and user-timeout deadlines as last traced (they are derived, not stored). */
  private tracedKeepAlive: number | undefined;
  private tracedUserTimeout: number | undefined;
  /** An RTO recovery episode was reported entered, so its end is reported too. */
  private rtoRecoveryTraced = false;
  /** The rule that produced the segment most recently returned by {@link pollTransmit}. */
  lastTransmitRule = '';
  /**
   * Data bytes per wire segment of the segment most recently returned by {@link pollTransmit}: with
   * {@link setSendOffload}, a segment may carry several times this, for the link to cut (TSO).
   */
  lastTransmitSegmentSize = 0;
  /** TSO: the most data one segment from {@link pollTransmit} may carry (0: one SMSS, no offload). */
  private sendOffloadMax = 0;
  /** Transmissions of data or FIN so far: each one's place in the send order, for RACK (RFC 8985 §6.2). */
  private xmitCount = 0;

  readonly stats: ConnectionStats = {
    segmentsSent: 0,
    segmentsReceived: 0,
    bytesSent: 0,
    bytesAcked: 0,
    bytesReceived: 0,
    retransmits: 0,
    rtoCount: 0,
    challengeAcks: 0,
    challengeAcksSuppressed: 0,
    duplicateAcks: 0,
    droppedSegments: 0,
    fastRecoveries: 0,
    sackBlocksReceived: 0,
    dsacksReceived: 0,
    spuriousRetransmits: 0,
    tailLossProbes: 0,
    tlpRecoveries: 0,
    rackLosses: 0,
    pawsDrops: 0,
    delayedAcks: 0,
    keepAlivesSent: 0,
    icmpErrors: 0,
    icmpIgnored: 0,
    pmtuUpdates: 0,
  };

  constructor(params: ConnectionParams) {
    this.config = resolveConfig(params.config);
    this.localAddress = params.localAddress;
    this.localPort = params.localPort;
    this.remoteAddress = params.remoteAddress ?? '';
    this.remotePort = params.remotePort ?? 0;
    this.openedRemoteAddress = this.remoteAddress;
    this.openedRemotePort = this.remotePort;
    this.isnKey = params.isnKey;
    this.fixedIss = params.iss;
    this.rcvMss = params.mss ?? 1460;
    this.pathMss = params.pathMss ?? this.rcvMss;
    this.sndMss = Math.min(DEFAULT_PEER_MSS, this.pathMss);
    this.rtt = new RttEstimator(this.config.minRto, this.config.maxRto, this.config.initialRto);
    this.makeCc = params.congestionControl ?? ((mss, config) => createCongestionControl(config.congestionControl, mss, config));
    this.cc = this.makeCc(this.pathMss, this.config);
    this.nagle = this.config.nagle;
    this.keepAlive = this.config.keepAlive;
    this.keepAliveIdle = this.config.keepAliveIdle;
    this.userTimeout = this.config.userTimeout;
    this.offerWscale = windowShiftFor(this.config.receiveBufferSize);
    // RFC 7323 §5.4 / §7.1: a per-connection random offset for TSval, derived like the ISN.
    this.tsOffset = params.isnKey !== undefined ? rfc6528Isn(params.isnKey, { ...this.tuple, localAddress: 'ts:' + this.localAddress }, 0) : 0;
  }

  get tuple(): FourTuple {
    return {
      localAddress: this.localAddress,
      localPort: this.localPort,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
    };
  }

  // ───────────────────────────── user calls (RFC 9293 §3.10.1–§3.10.6) ─────────────────────────────

  /** OPEN (RFC 9293 §3.10.1): passive enters LISTEN; active sends a SYN and enters SYN-SENT. */
  open(now: number, mode: 'active' | 'passive' = 'active'): void {
    if (this.state === 'LISTEN' && mode === 'active') {
      // RFC 9293 §3.10.1 LISTEN: an active OPEN turns the connection from passive to active.
      this.activeOpen(now, 'RFC 9293 §3.10.1 — OPEN in LISTEN: passive → active, send SYN');
      return;
    }
    if (this.state !== 'CLOSED' || this.deleted) throw new TcpCallError('connection already exists', 'OPEN');
    if (mode === 'passive') {
      this.setState('LISTEN', 'RFC 9293 §3.10.1 — passive OPEN: enter LISTEN');
      return;
    }
    this.activeOpen(now, 'RFC 9293 §3.10.1 — active OPEN: send SYN, enter SYN-SENT');
  }

  private activeOpen(now: number, rule: string): void {
    if (this.remoteAddress === '' || this.remotePort === 0) {
      throw new TcpCallError('remote socket unspecified', 'OPEN');
    }
    this.passive = false;
    this.selectIss(now);
    this.synPending = true;
    this.setState('SYN-SENT', rule);
  }

  /**
   * SEND (RFC 9293 §3.10.2): queue bytes; returns how many fit in the send buffer (the rest must be
   * offered again after a `writable` event).
   */
  send(data: Uint8Array, now: number, opts?: { urgent?: boolean }): number {
    switch (this.state) {
      case 'CLOSED':
        throw new TcpCallError('connection does not exist', 'SEND');
      case 'LISTEN':
        // RFC 9293 §3.10.2 LISTEN: with the remote socket specified, become active.
        this.activeOpen(now, 'RFC 9293 §3.10.2 — SEND in LISTEN: passive → active, send SYN');
        break;
      case 'SYN-SENT':
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
      case 'CLOSE-WAIT':
        break;
      default:
        throw new TcpCallError('connection closing', 'SEND');
    }
    // After CLOSE ("I have no more to send"), also while that CLOSE waits for ESTABLISHED (§3.10.4).
    if (this.finQueued || this.closeAfterEstablished) throw new TcpCallError('connection closing', 'SEND');
    const room = this.config.sendBufferSize - this.sendBuffer.length;
    const n = Math.min(room, data.length);
    if (n === 0) return 0;
    this.sendBuffer.push(n === data.length ? data : data.subarray(0, n));
    // RFC 9293 §3.10.2: with URGENT, SND.UP marks the end of the urgent data.
    if (opts?.urgent) this.sndUp = seqAdd(this.sndBufSeq, this.sendBuffer.length);
    return n;
  }

  /** Free space in the send buffer. */
  get sendSpace(): number {
    return this.config.sendBufferSize - this.sendBuffer.length;
  }

  /** Bytes queued and not yet acknowledged. */
  get sendQueueLength(): number {
    return this.sendBuffer.length;
  }

  /** Bytes received in order and waiting for RECEIVE. */
  get readableLength(): number {
    return this.receiveBuffer.length;
  }

  /** Whether the peer's FIN has been processed (no more data will arrive). */
  get peerFinished(): boolean {
    return this.finReceived;
  }

  /**
   * RECEIVE (RFC 9293 §3.10.3): take up to `max` in-order bytes. Returns an empty array when nothing
   * is buffered yet; throws "connection closing" when nothing is buffered and none can come.
   */
  receive(max = Infinity): Uint8Array {
    if (this.receiveBuffer.length > 0) {
      const data = this.receiveBuffer.read(max);
      this.maybeWindowUpdate();
      return data;
    }
    switch (this.state) {
      case 'CLOSED':
        throw new TcpCallError('connection does not exist', 'RECEIVE');
      case 'CLOSE-WAIT':
      case 'CLOSING':
      case 'LAST-ACK':
      case 'TIME-WAIT':
        throw new TcpCallError('connection closing', 'RECEIVE');
      default:
        return EMPTY;
    }
  }

  /** CLOSE (RFC 9293 §3.10.4): "I have no more to send". */
  close(now: number): void {
    void now;
    switch (this.state) {
      case 'CLOSED':
        throw new TcpCallError('connection does not exist', 'CLOSE');
      case 'LISTEN':
        this.enterClosed('RFC 9293 §3.10.4 — CLOSE in LISTEN: delete TCB');
        return;
      case 'SYN-SENT':
        this.enterClosed('RFC 9293 §3.10.4 — CLOSE in SYN-SENT: delete TCB');
        return;
      case 'SYN-RECEIVED':
        if (this.sendBuffer.length === 0) {
          this.finQueued = true;
          this.setState('FIN-WAIT-1', 'RFC 9293 §3.10.4 — CLOSE in SYN-RECEIVED, nothing to send: send FIN');
        } else {
          this.closeAfterEstablished = true;
        }
        return;
      case 'ESTABLISHED':
        this.finQueued = true;
        this.setState('FIN-WAIT-1', 'RFC 9293 §3.10.4 — CLOSE in ESTABLISHED: FIN after queued data, enter FIN-WAIT-1');
        return;
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
        // RFC 9293 §3.10.4: an "ok" is acceptable as long as no second FIN is emitted.
        return;
      case 'CLOSE-WAIT':
        this.finQueued = true;
        this.setState('LAST-ACK', 'RFC 9293 §3.10.4 — CLOSE in CLOSE-WAIT: FIN after queued data, enter LAST-ACK');
        return;
      default:
        throw new TcpCallError('connection closing', 'CLOSE');
    }
  }

  /** ABORT (RFC 9293 §3.10.5): reset the connection. */
  abort(now: number): void {
    switch (this.state) {
      case 'CLOSED':
        throw new TcpCallError('connection does not exist', 'ABORT');
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        this.flushQueues();
        this.queueControl(
          this.segment(now, this.sndNxt, RST, EMPTY),
          'RFC 9293 §3.10.5 — ABORT: send <SEQ=SND.NXT><CTL=RST>',
        );
        this.enterClosed('RFC 9293 §3.10.5 — ABORT: flush queues, delete TCB');
        return;
      default:
        this.enterClosed('RFC 9293 §3.10.5 — ABORT: delete TCB');
    }
  }

  /** STATUS (RFC 9293 §3.10.6). */
  status(): ConnectionStatus {
    if (this.state === 'CLOSED') throw new TcpCallError('connection does not exist', 'STATUS');
    return this.snapshot();
  }

  /** A snapshot of the TCB in any state (STATUS without the RFC's CLOSED error). */
  snapshot(): ConnectionStatus {
    return {
      state: this.state,
      localAddress: this.localAddress,
      localPort: this.localPort,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      iss: this.iss,
      irs: this.irs,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.advertisedWnd,
      sendQueue: this.sendBuffer.length,
      receiveQueue: this.receiveBuffer.length,
      outOfOrder: this.reassembler.length,
      mss: this.sndMss,
      srtt: this.rtt.srtt,
      rttvar: this.rtt.rttvar,
      rto: this.rtt.rto,
      cwnd: this.cc.cwnd,
      ssthresh: this.cc.ssthresh,
      congestionControl: this.cc.name,
      inRecovery: this.inRecovery,
      minRtt: this.minRtt,
      sndWscale: this.sndWscale,
      rcvWscale: this.rcvWscale,
      sackPermitted: this.sackOk,
      timestamps: this.tsOk,
      pipe: this.pipe(),
      timers: {
        ...(this.rtoAt !== undefined ? { retransmit: this.rtoAt } : {}),
        ...(this.timeWaitAt !== undefined ? { timeWait: this.timeWaitAt } : {}),
        ...(this.persistAt !== undefined ? { persist: this.persistAt } : {}),
      },
      stats: { ...this.stats },
    };
  }

  /** The TCB has been deleted (it went to CLOSED after existing). */
  deleted = false;

  /** RCV.WND: what we advertised and still honour. */
  get rcvWnd(): number {
    const w = seqDiff(this.rcvAdvRight, this.rcvNxt);
    return w > 0 ? w : 0;
  }

  /** The window the peer last saw from us, measured from RCV.NXT (at most RCV.WND). */
  private get advertisedWnd(): number {
    const w = seqDiff(this.rcvPeerRight, this.rcvNxt);
    return w > 0 ? Math.min(w, this.rcvWnd) : 0;
  }

  // ───────────────────────────── SEGMENT ARRIVES (RFC 9293 §3.10.7) ─────────────────────────────

  /**
   * Process one arriving segment. `source` names the sender's address, needed only in LISTEN to fill
   * in an unspecified remote socket (RFC 9293 §3.10.7.2).
   */
  handleSegment(seg: TcpSegment, now: number, source?: { address: string }): void {
    this.stats.segmentsReceived++;
    // Any segment from the peer shows it is alive (RFC 9293 §3.8.4 keep-alive).
    this.lastRecvAt = now;
    this.keepAliveProbesSent = 0;
    switch (this.state) {
      case 'CLOSED':
        this.onClosed(seg);
        return;
      case 'LISTEN':
        this.onListen(seg, now, source);
        return;
      case 'SYN-SENT':
        this.onSynSent(seg, now);
        return;
      default:
        this.onOtherStates(seg, now);
    }
  }

  /** RFC 9293 §3.10.7.1: a CLOSED TCB answers everything but a RST with a RST. */
  private onClosed(seg: TcpSegment): void {
    this.stats.droppedSegments++;
    if (this.onTrace !== undefined) this.traceDrop(seg, 'closed', D_CLOSED);
    if (seg.flags & RST) return;
    if (seg.flags & ACK) {
      this.queueControl(resetSegment(seg, seg.ack, 0, RST), 'RFC 9293 §3.10.7.1 — CLOSED: ACK on → <SEQ=SEG.ACK><CTL=RST>');
    } else {
      this.queueControl(
        resetSegment(seg, 0, seqAdd(seg.seq, segmentLength(seg)), RST | ACK),
        'RFC 9293 §3.10.7.1 — CLOSED: ACK off → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>',
      );
    }
  }

  /** RFC 9293 §3.10.7.2. */
  private onListen(seg: TcpSegment, now: number, source?: { address: string }): void {
    // First, check for a RST: it cannot be valid here; ignore it.
    if (seg.flags & RST) {
      this.stats.droppedSegments++;
      if (this.onTrace !== undefined) this.traceDrop(seg, 'listen-rst', D_LISTEN_RST);
      return;
    }
    // Second, check for an ACK: any acknowledgment is bad in LISTEN.
    if (seg.flags & ACK) {
      this.stats.droppedSegments++;
      if (this.onTrace !== undefined) this.traceDrop(seg, 'listen-ack', D_LISTEN_ACK);
      this.queueControl(resetSegment(seg, seg.ack, 0, RST), D_LISTEN_ACK);
      return;
    }
    // Third, check for a SYN.
    if (seg.flags & SYN) {
      if (this.remoteAddress === '' && source) this.remoteAddress = source.address;
      if (this.remotePort === 0) this.remotePort = seg.srcPort;
      this.passive = true;
      this.irs = seg.seq;
      this.haveIrs = true;
      this.rcvNxt = seqAdd(seg.seq, 1);
      this.rcvAdvRight = seqAdd(this.rcvNxt, this.freeWindow());
      this.rcvPeerRight = this.rcvAdvRight;
      this.negotiate(seg.options, now);
      this.sndWnd = seg.window;
      this.maxSndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = 0;
      this.selectIss(now);
      this.synPending = true;
      // "any other control or text should be queued for processing later"
      this.holdForLater(seqAdd(seg.seq, 1), seg.payload, (seg.flags & FIN) !== 0);
      this.setState('SYN-RECEIVED', 'RFC 9293 §3.10.7.2 — LISTEN: SYN → send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, enter SYN-RECEIVED');
      return;
    }
    // Fourth, other data or control: drop.
    this.stats.droppedSegments++;
    if (this.onTrace !== undefined) this.traceDrop(seg, 'listen-no-syn', D_LISTEN_OTHER);
  }

  /** RFC 9293 §3.10.7.3. */
  private onSynSent(seg: TcpSegment, now: number): void {
    const f = seg.flags;
    // First, check the ACK bit.
    if (f & ACK) {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndNxt)) {
        this.stats.droppedSegments++;
        if (this.onTrace !== undefined) this.traceDrop(seg, 'unacceptable-ack', D_SYNSENT_BAD_ACK);
        if (!(f & RST)) this.queueControl(resetSegment(seg, seg.ack, 0, RST), D_SYNSENT_BAD_ACK);
        return;
      }
    }
    const ackAcceptable = (f & ACK) !== 0 && seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndNxt);
    // Second, check the RST bit (RFC 5961 §3: in SYN-SENT a RST is valid only if it ACKs our SYN).
    if (f & RST) {
      this.stats.droppedSegments++;
      if (ackAcceptable) {
        this.fail('ECONNREFUSED', 'RFC 9293 §3.10.7.3 — SYN-SENT: RST with acceptable ACK → connection refused, CLOSED');
      } else if (this.onTrace !== undefined) {
        this.traceDrop(seg, 'rst-without-ack', D_SYNSENT_RST);
      }
      return;
    }
    // Fourth, check the SYN bit.
    if (f & SYN) {
      this.irs = seg.seq;
      this.haveIrs = true;
      this.rcvNxt = seqAdd(seg.seq, 1);
      this.rcvAdvRight = seqAdd(this.rcvNxt, this.freeWindow());
      this.rcvPeerRight = this.rcvAdvRight;
      this.negotiate(seg.options, now);
      if (ackAcceptable) this.onAckAdvance(seg.ack, now);
      if (seqGt(this.sndUna, this.iss)) {
        this.sndWnd = seg.window;
        this.maxSndWnd = Math.max(this.maxSndWnd, seg.window);
        this.sndWl1 = seg.seq;
        this.sndWl2 = seg.ack;
        this.requestAck('RFC 9293 §3.10.7.3 — SYN-SENT: SYN,ACK acceptable → send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>');
        this.enterEstablished('RFC 9293 §3.10.7.3 — SYN-SENT: SYN,ACK with acceptable ACK → ESTABLISHED');
        // "If there are other controls or text in the segment, then continue processing at the sixth step".
        if (seg.payload.length > 0 || f & (FIN | URG)) {
          const room = this.rcvWnd;
          const fits = seg.payload.length <= room;
          const text = fits ? seg.payload : seg.payload.subarray(0, room);
          this.processUrgText(seg, seqAdd(seg.seq, 1), text, fits && (f & FIN) !== 0, now);
        }
        return;
      }
      // Simultaneous open (RFC 9293 Figure 7): answer with SYN,ACK and wait in SYN-RECEIVED.
      this.sndWnd = seg.window;
      this.maxSndWnd = Math.max(this.maxSndWnd, seg.window);
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.synPending = true;
      this.holdForLater(seqAdd(seg.seq, 1), seg.payload, (f & FIN) !== 0);
      this.setState('SYN-RECEIVED', 'RFC 9293 §3.10.7.3 — SYN-SENT: SYN without ACK (simultaneous open) → send SYN,ACK, enter SYN-RECEIVED');
      return;
    }
    // Fifth, neither SYN nor RST: drop.
    this.stats.droppedSegments++;
    if (this.onTrace !== undefined) this.traceDrop(seg, 'no-syn-or-rst', D_SYNSENT_OTHER);
  }

  /** RFC 9293 §3.10.7.4, in the RFC's order of checks. */
  private onOtherStates(seg: TcpSegment, now: number): void {
    const f = seg.flags;
    let seq = seg.seq;
    let syn = (f & SYN) !== 0;
    let fin = (f & FIN) !== 0;
    let payload = seg.payload;

    // In SYN-RECEIVED the peer's SYN may come again: alone when our SYN,ACK was lost, or as the
    // SYN,ACK of a simultaneous open (Figure 7 line 6). Its SYN is an old duplicate: trim it.
    if (this.state === 'SYN-RECEIVED' && syn && seq === this.irs) {
      if (!(f & (ACK | RST))) {
        // "an acknowledgment should be sent": in SYN-RECEIVED that acknowledgment is our SYN,ACK.
        this.synPending = true;
        this.synRetransmitted = true;
        this.rttTimedEnd = undefined; // Karn's rule
        this.synRule = 'RFC 9293 §3.10.7.4 — SYN-RECEIVED: duplicate SYN → resend SYN,ACK as the acknowledgment';
        this.stats.droppedSegments++;
        return;
      }
      syn = false;
      seq = seqAdd(seq, 1);
    }

    // RFC 7323 §5.3 R1 (PAWS), before the sequence check: an older TSval than TS.Recent is a duplicate.
    const ts = seg.options.timestamp;
    if (this.tsOk && !(f & RST)) {
      if (ts === undefined) {
        // RFC 7323 §3.2: once negotiated, a non-RST segment without TSopt SHOULD be silently dropped.
        this.stats.droppedSegments++;
        if (this.onTrace !== undefined) this.traceDrop(seg, 'no-timestamp', D_NO_TS);
        return;
      }
      if (seqLt(ts.value, this.tsRecent) && now - this.tsRecentAt < PAWS_IDLE_LIMIT) {
        this.stats.droppedSegments++;
        this.stats.pawsDrops++;
        if (this.onTrace !== undefined) this.traceDrop(seg, 'paws', D_PAWS);
        this.requestAck(D_PAWS);
        return;
      }
    }

    // First, check sequence number (Table 6).
    const segLen = payload.length + (syn ? 1 : 0) + (fin ? 1 : 0);
    const rcvWnd = this.rcvWnd;
    if (!this.acceptable(seq, segLen, rcvWnd, (f & RST) !== 0)) {
      // RCV.WND = 0: "special allowance should be made to accept valid ACKs, URGs, and RSTs".
      const zeroWindowControl = rcvWnd === 0 && seq === this.rcvNxt && !syn;
      if (!zeroWindowControl) {
        this.stats.droppedSegments++;
        if (f & RST) {
          if (this.onTrace !== undefined) this.traceDrop(seg, 'rst-outside-window', D_RST_OUTSIDE);
          return;
        }
        if (this.state === 'TIME-WAIT' && fin && seqAdd(seq, segLen) === this.rcvNxt) {
          // TIME-WAIT: "The only thing that can arrive in this state is a retransmission of the remote
          // FIN. Acknowledge it, and restart the 2 MSL timeout." (Answered as the RFC says: no drop.)
          this.setTimeWaitAt(now + 2 * this.config.msl, T_TW_RESTART);
          this.requestAck('RFC 9293 §3.10.7.4 — TIME-WAIT: retransmitted FIN → ACK it, restart 2 MSL timer');
          return;
        }
        if (this.sackOk && payload.length > 0 && seqLe(seqAdd(seq, payload.length), this.rcvNxt)) {
          this.dsack = { left: seq, right: seqAdd(seq, payload.length) }; // RFC 2883 §4 case 1
        }
        if (this.onTrace !== undefined) this.traceDrop(seg, 'outside-window', D_UNACCEPTABLE);
        this.requestAck(D_UNACCEPTABLE);
        return;
      }
      if (this.onTrace !== undefined && segLen > 0) this.traceDrop(seg, 'zero-window', D_ZERO_WINDOW);
      payload = EMPTY;
      fin = false;
      this.requestAck(D_ZERO_WINDOW);
    }
    // RFC 7323 §4.3 (2): remember the TSval of the segment that an ACK of ours will echo. An invalid
    // (24 days idle) TS.Recent is replaced whatever the TSval (RFC 7323 §5.5: "rule R3 updates TS.Recent").
    const tsRecentValid = now - this.tsRecentAt < PAWS_IDLE_LIMIT;
    if (this.tsOk && ts !== undefined && (seqGe(ts.value, this.tsRecent) || !tsRecentValid) && seqLe(seg.seq, this.lastAckSent)) {
      this.tsRecent = ts.value;
      this.tsRecentAt = now;
    }
    // Trim to the window: "only the new parts are processed".
    if (seqLt(seq, this.rcvNxt)) {
      if (payload.length > 0 && this.sackOk) {
        // RFC 2883 §4 case 1: report the duplicate part with a D-SACK block.
        const oldEnd = seqAdd(seq, Math.min(seqDiff(this.rcvNxt, seq), payload.length + (syn ? 1 : 0)));
        this.dsack = { left: syn ? seqAdd(seq, 1) : seq, right: oldEnd };
      }
      if (syn) {
        syn = false;
        seq = seqAdd(seq, 1);
      }
      const skip = Math.min(seqDiff(this.rcvNxt, seq), payload.length);
      payload = payload.subarray(skip);
      seq = seqAdd(seq, skip);
      if (seqLt(seq, this.rcvNxt)) fin = false; // the FIN, too, is old
    }
    const room = seqDiff(seqAdd(this.rcvNxt, rcvWnd), seq);
    if (payload.length > room) {
      payload = payload.subarray(0, Math.max(0, room));
      fin = false; // a FIN beyond the window is not accepted
    }

    // Second, check the RST bit (RFC 5961 §3 as adopted by RFC 9293).
    if (f & RST) {
      this.stats.droppedSegments++;
      if (seg.seq !== this.rcvNxt) {
        if (this.onTrace !== undefined) this.traceDrop(seg, 'rst-challenge', D_RST_CHALLENGE);
        this.challengeAck(now, D_RST_CHALLENGE);
        return;
      }
      this.onValidReset();
      return;
    }

    // Fourth, check the SYN bit.
    if (syn) {
      this.stats.droppedSegments++;
      if (this.state === 'SYN-RECEIVED' && this.passive) {
        this.returnToListen('RFC 9293 §3.10.7.4 — SYN-RECEIVED (passive): SYN → return to LISTEN');
        return;
      }
      if (this.onTrace !== undefined) this.traceDrop(seg, 'syn-challenge', D_SYN_CHALLENGE);
      this.challengeAck(now, D_SYN_CHALLENGE);
      return;
    }

    // Fifth, check the ACK field.
    if (!(f & ACK)) {
      this.stats.droppedSegments++;
      if (this.onTrace !== undefined) this.traceDrop(seg, 'no-ack', D_NO_ACK);
      return;
    }
    if (this.state === 'SYN-RECEIVED') {
      if (seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndNxt)) {
        this.sndWnd = this.segWindow(seg);
        this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
        this.sndWl1 = seg.seq;
        this.sndWl2 = seg.ack;
        this.enterEstablished('RFC 9293 §3.10.7.4 — SYN-RECEIVED: acceptable ACK → ESTABLISHED');
      } else {
        this.stats.droppedSegments++;
        if (this.onTrace !== undefined) this.traceDrop(seg, 'unacceptable-ack', D_SYNRCVD_BAD_ACK);
        this.queueControl(resetSegment(seg, seg.ack, 0, RST), D_SYNRCVD_BAD_ACK);
        return;
      }
    }
    // RFC 5961 §5: the ACK must lie in [SND.UNA - MAX.SND.WND, SND.NXT].
    if (seqGt(seg.ack, this.sndNxt) || seqLt(seg.ack, seqAdd(this.sndUna, -this.maxSndWnd))) {
      this.stats.droppedSegments++;
      const unsent = seqGt(seg.ack, this.sndNxt);
      if (this.onTrace !== undefined) this.traceDrop(seg, unsent ? 'ack-not-yet-sent' : 'ack-too-old', unsent ? D_ACK_UNSENT : D_ACK_OLD);
      this.challengeAck(now, unsent ? D_ACK_UNSENT : D_ACK_OLD);
      return;
    }
    this.onAck(seg, now, payload.length === 0 && !fin);
    // Window update, guarded by SND.WL1/SND.WL2 against old segments.
    if (seqLe(this.sndUna, seg.ack) && (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack)))) {
      const wnd = this.segWindow(seg);
      this.sndWnd = wnd;
      this.maxSndWnd = Math.max(this.maxSndWnd, wnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.updatePersist(now);
    }
    const finAcked = this.finSeq !== undefined && seqGt(this.sndUna, this.finSeq);
    switch (this.state) {
      case 'FIN-WAIT-1':
        if (finAcked) this.setState('FIN-WAIT-2', 'RFC 9293 §3.10.7.4 — FIN-WAIT-1: our FIN acknowledged → FIN-WAIT-2');
        break;
      case 'CLOSING':
        if (finAcked) this.enterTimeWait(now, 'RFC 9293 §3.10.7.4 — CLOSING: our FIN acknowledged → TIME-WAIT');
        return; // otherwise "ignore the segment"
      case 'LAST-ACK':
        if (finAcked) this.enterClosed('RFC 9293 §3.10.7.4 — LAST-ACK: our FIN acknowledged → CLOSED');
        return;
      default:
        break;
    }

    this.processUrgText(seg, seq, payload, fin, now);
  }

  /** Sixth, seventh and eighth steps of RFC 9293 §3.10.7.4: URG, segment text, FIN. */
  private processUrgText(seg: TcpSegment, seq: number, payload: Uint8Array, fin: boolean, now: number): void {
    // Sixth, check the URG bit.
    if (seg.flags & URG && canReceiveText(this.state)) {
      const up = seqAdd(seg.seq, seg.urgent);
      if (seqGt(up, this.rcvUp)) this.rcvUp = up;
    }
    // Seventh, process the segment text. Text held from the SYN may have been delivered on entering
    // ESTABLISHED just now, moving RCV.NXT into this segment: "only the new parts are processed".
    if (seqLt(seq, this.rcvNxt)) {
      const skip = Math.min(seqDiff(this.rcvNxt, seq), payload.length);
      payload = payload.subarray(skip);
      seq = seqAdd(seq, skip);
      if (seqLt(seq, this.rcvNxt)) fin = false; // the FIN, too, is old
    }
    if (payload.length > 0) {
      if (canReceiveText(this.state)) {
        if (payload.length > this.rcvMssSeen) this.rcvMssSeen = payload.length;
        if (seq === this.rcvNxt) {
          const hole = !this.reassembler.isEmpty;
          this.deliver(payload);
          if (hole) {
            this.requestAck('RFC 5681 §4.2 — segment fills a hole → immediate ACK');
          } else {
            this.deferAck(now, 'RFC 9293 §3.10.7.4 — text accepted → send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>');
          }
        } else {
          if (this.sackOk) {
            // RFC 2883 §4: a duplicate of held out-of-order data is reported first, in a D-SACK block;
            // the block holding it follows (it is the most recent one).
            const end = seqAdd(seq, payload.length);
            const held = this.reassembler.ranges().find((r) => seqLt(r.left, end) && seqLt(seq, r.right));
            if (held !== undefined) {
              this.dsack = { left: seqGt(held.left, seq) ? held.left : seq, right: seqLt(held.right, end) ? held.right : end };
            }
          }
          this.reassembler.insert(seq, payload);
          if (this.sackOk) this.sackRecent.unshift(seq);
          if (this.sackRecent.length > 8) this.sackRecent.length = 8;
          this.requestAck('RFC 9293 §3.10.7.4 / RFC 5681 §4.2 — out-of-order text held → immediate duplicate ACK');
        }
      } else {
        this.stats.droppedSegments++; // "This should not occur since a FIN has been received"
        if (this.onTrace !== undefined) this.traceDrop(seg, 'text-after-fin', D_TEXT_AFTER_FIN);
      }
    }
    // Eighth, check the FIN bit.
    if (fin) {
      const finAt = seqAdd(seq, payload.length);
      if (this.finReceived) {
        if (this.state === 'TIME-WAIT') this.setTimeWaitAt(now + 2 * this.config.msl, T_TW_RESTART);
        this.requestAck('RFC 9293 §3.10.7.4 — FIN again: acknowledge, remain in state');
      } else if (finAt === this.rcvNxt) {
        this.processFin(now);
      } else {
        this.reassembler.finSeq = finAt; // held until the hole before it fills
        // An out-of-order segment, even a bare FIN, is answered at once (RFC 5681 §4.2).
        this.requestAck('RFC 9293 §3.10.7.4 / RFC 5681 §4.2 — FIN beyond a hole held → immediate duplicate ACK');
      }
    } else if (!this.finReceived && this.reassembler.finSeq === this.rcvNxt) {
      this.processFin(now);
    }
  }

  /** Accept in-order bytes, then any held bytes they make contiguous. */
  private deliver(payload: Uint8Array): void {
    this.receiveBuffer.push(payload);
    this.rcvNxt = seqAdd(this.rcvNxt, payload.length);
    this.stats.bytesReceived += payload.length;
    if (!this.reassembler.isEmpty) {
      for (const piece of this.reassembler.take(this.rcvNxt)) {
        this.receiveBuffer.push(piece);
        this.rcvNxt = seqAdd(this.rcvNxt, piece.length);
        this.stats.bytesReceived += piece.length;
      }
    }
    this.emitOnce('readable');
  }

  /** RFC 9293 §3.10.7.4 eighth step, for a FIN at RCV.NXT. */
  private processFin(now: number): void {
    this.finReceived = true;
    this.reassembler.finSeq = undefined;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.requestAck('RFC 9293 §3.10.7.4 — FIN: advance RCV.NXT over it and acknowledge');
    this.emit({ type: 'eof' });
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.setState('CLOSE-WAIT', 'RFC 9293 §3.10.7.4 — ESTABLISHED: FIN → CLOSE-WAIT');
        break;
      case 'FIN-WAIT-1':
        if (this.finSeq !== undefined && seqGt(this.sndUna, this.finSeq)) {
          this.enterTimeWait(now, 'RFC 9293 §3.10.7.4 — FIN-WAIT-1: FIN and our FIN acknowledged → TIME-WAIT');
        } else {
          this.setState('CLOSING', 'RFC 9293 §3.10.7.4 — FIN-WAIT-1: FIN, ours not yet acknowledged → CLOSING');
        }
        break;
      case 'FIN-WAIT-2':
        this.enterTimeWait(now, 'RFC 9293 §3.10.7.4 — FIN-WAIT-2: FIN → TIME-WAIT');
        break;
      default:
        break;
    }
  }

  /** Table 6 of RFC 9293 §3.10.7.4. */
  private acceptable(seq: number, len: number, wnd: number, rst: boolean): boolean {
    const nxt = this.rcvNxt;
    if (len === 0) {
      if (wnd === 0) return seq === nxt;
      // RFC 9293 Appendix A.2: a sender that has filled our window sends its ACKs at SEQ = RCV.NXT+RCV.WND;
      // refusing them (and ACKing in reply) lets two such peers ACK each other forever. Like Linux
      // (tcp_sequence), accept an empty segment at the right edge. Not a RST: RFC 5961 §3.2 wants those
      // strictly inside the window.
      return seqLe(nxt, seq) && (rst ? seqLt(seq, seqAdd(nxt, wnd)) : seqLe(seq, seqAdd(nxt, wnd)));
    }
    if (wnd === 0) return false;
    const end = seqAdd(nxt, wnd);
    return (seqLe(nxt, seq) && seqLt(seq, end)) || (seqLe(nxt, seqAdd(seq, len - 1)) && seqLt(seqAdd(seq, len - 1), end));
  }

  /** A RST that passed RFC 5961's exact-match check, per state (RFC 9293 §3.10.7.4 second step). */
  private onValidReset(): void {
    switch (this.state) {
      case 'SYN-RECEIVED':
        if (this.passive) {
          this.returnToListen('RFC 9293 §3.10.7.4 — SYN-RECEIVED (passive): RST → return to LISTEN');
        } else {
          this.fail('ECONNREFUSED', 'RFC 9293 §3.10.7.4 — SYN-RECEIVED (active): RST → connection refused, CLOSED');
        }
        return;
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        this.fail('ECONNRESET', 'RFC 9293 §3.10.7.4 — RST: connection reset, flush queues, CLOSED');
        return;
      case 'TIME-WAIT':
        if (this.config.rfc1337) return; // RFC 1337 §3 fix (1): ignore RSTs in TIME-WAIT
        this.enterClosed('RFC 9293 §3.10.7.4 — TIME-WAIT: RST → CLOSED');
        return;
      default:
        this.enterClosed(`RFC 9293 §3.10.7.4 — ${this.state}: RST → CLOSED`);
    }
  }

  /**
   * The ACK field of an acceptable segment in a synchronized state (RFC 9293 §3.10.7.4 fifth step):
   * advance SND.UNA, take in SACK information (RFC 2018 §5), count duplicate ACKs (RFC 5681 §2), and
   * run loss detection (RFC 6675, RFC 6582, RFC 8985).
   */
  private onAck(seg: TcpSegment, now: number, pure: boolean): void {
    const ack = seg.ack;
    const advanced = seqLt(this.sndUna, ack);
    const tsEcr = this.tsOk ? seg.options.timestamp?.echo : undefined;
    if (advanced) {
      const synAcked = this.sndUna === this.iss;
      this.onAckAdvance(ack, now, tsEcr);
      // A CLOSE in SYN-RECEIVED moved to FIN-WAIT-1 before the handshake ended: text held from the SYN
      // is processed once our SYN is acknowledged (RFC 9293 §3.10.7.2: "queued for processing later").
      if (synAcked) this.releaseHeld();
    }
    const blocks = this.sackOk ? seg.options.sackBlocks : undefined;
    if (blocks !== undefined && blocks.length > 0) {
      this.stats.sackBlocksReceived += blocks.length;
      const first = blocks[0]!;
      const second = blocks[1];
      // RFC 2883 §4: a first block below the cumulative ACK, or inside the second block, is a D-SACK.
      if (seqLe(first.right, ack) || (second !== undefined && seqGe(first.left, second.left) && seqLe(first.right, second.right))) {
        this.stats.dsacksReceived++;
        this.rack.onDsack();
        if (this.tlpEndSeq !== undefined && seqLe(first.right, this.tlpEndSeq)) this.tlpDsacked = true;
      }
      this.scoreboard.sack(blocks, this.sndUna, (s) => this.rack.onDelivered(s, now, this.ambiguous(s, tsEcr)));
      // RFC 8985 §7.2: no PTO once segments are SACKed (RACK's reordering timer covers the tail).
      if (this.scoreboard.sackedSegments > 0 && this.tlpAt !== undefined) this.setTlpAt(undefined, T_TLP_SACKED);
    }
    const flight = seqDiff(this.sndNxt, this.sndUna);
    if (!advanced && pure && ack === this.sndUna && flight > 0 && this.segWindow(seg) === this.sndWnd) {
      // RFC 5681 §2 DUPLICATE ACKNOWLEDGMENT.
      this.stats.duplicateAcks++;
      this.dupAcks++;
      if (this.dupAcks === 1) this.ltMark = this.sndNxt;
      if (!this.sackOk) {
        // Without SACK each duplicate ACK means one more segment has left the network (Linux counts it
        // as "SACKed" for pipe); RFC 5681 §3.2 step 4 inflates cwnd to the same effect.
        this.renoSacked = Math.min(this.renoSacked + this.segSize, Math.max(0, flight - this.segSize));
      }
    } else if (advanced) {
      this.dupAcks = 0;
    }
    this.tlpLossCheck(now);
    this.detectLosses(now, advanced);
  }

  /**
   * RFC 8985 §7.4: once the probe is acknowledged, a retransmitted probe that no D-SACK reported as a
   * duplicate repaired a real loss — respond to it as to a congestion event.
   */
  private tlpLossCheck(now: number): void {
    if (this.tlpEndSeq === undefined || seqLt(this.sndUna, this.tlpEndSeq)) return;
    if (this.tlpIsRetrans && !this.tlpDsacked && !this.inRecovery) {
      this.stats.tlpRecoveries++;
      const cwnd = this.cc.cwnd;
      const ssthresh = this.cc.ssthresh;
      this.cc.onCongestionEvent(now, seqDiff(this.sndNxt, this.sndUna), this.segSize);
      if (this.onTrace !== undefined) this.traceCongestion('window', cwnd, ssthresh, C_TLP_LOSS);
    }
    this.tlpEndSeq = undefined;
  }

  /** Is an ACK of retransmitted segment `s` ambiguous (RFC 8985 §6.2 step 2, RFC 7323 §4.1)? */
  private ambiguous(s: SentSegment, tsEcr: number | undefined): boolean {
    if (s.retransmits === 0) return false;
    return tsEcr === undefined || seqLt(tsEcr, s.tsVal);
  }

  /** Loss detection after an ACK, then recovery entry and exit. */
  private detectLosses(now: number, advanced: boolean): void {
    let newlyLost = 0;
    const board = this.scoreboard;
    if (this.sackOk) {
      newlyLost += board.markLostBySack(DUP_THRESH, this.segSize); // RFC 6675 §4 IsLost
    } else if (this.dupAcks >= DUP_THRESH && !this.inRecovery && !this.afterRto) {
      const head = board.first();
      if (head !== undefined) newlyLost += board.markLost(head); // RFC 5681 §3.2 step 2 fast retransmit
    }
    const lostBeforeRack = newlyLost;
    if (this.config.rack && this.sackOk && !board.isEmpty) {
      const reo = this.rack.reoWnd(this.minRtt, this.rtt.srtt, this.inRecovery, board.sackedSegments);
      const wait = this.rack.detectLoss(board, now, reo, (s) => {
        newlyLost += board.markLost(s);
        this.stats.rackLosses++;
      });
      const at = wait > 0 ? now + wait : undefined;
      if (at !== this.rackTimerAt) this.setRackTimerAt(at, at === undefined ? T_RACK_NONE : T_RACK_ARM);
    }
    if (this.inRecovery && seqGe(this.sndUna, this.recoveryPoint)) {
      // RFC 6582 §3.2 step 3 / RFC 6675 §5: the ACK covers RecoveryPoint — the episode is over.
      this.inRecovery = false;
      this.renoSacked = 0;
      const cwnd = this.cc.cwnd;
      const ssthresh = this.cc.ssthresh;
      if (this.onTrace !== undefined) this.traceCongestion('recovery-exit', cwnd, ssthresh, C_EXIT);
      this.cc.onRecoveryEnd(now, seqDiff(this.sndNxt, this.sndUna), this.segSize);
      if (this.onTrace !== undefined) this.traceCongestion('window', cwnd, ssthresh, this.cc.rule ?? C_CC_OTHER);
    } else if (this.inRecovery && advanced && !this.sackOk) {
      // RFC 6582 §3.2 step 5: a partial ACK — the next unacknowledged segment is lost too, and is
      // retransmitted at once ("retransmit the first unacknowledged segment"), not gated by cwnd − pipe.
      const head = board.first();
      if (head !== undefined && !head.rtxInFlight && board.markLost(head) > 0) this.fastRtxDue = true;
    }
    if (this.afterRto && seqGe(this.sndUna, this.recoveryPoint)) {
      this.afterRto = false;
      if (this.onTrace !== undefined && this.rtoRecoveryTraced) this.traceCongestion('recovery-exit', this.cc.cwnd, this.cc.ssthresh, C_EXIT_RTO);
      this.rtoRecoveryTraced = false;
    }
    if (newlyLost > 0 && !this.inRecovery && !this.afterRto) {
      this.enterRecovery(now, !this.sackOk ? C_ENTER_DUPACK : lostBeforeRack > 0 ? C_ENTER_SACK : C_ENTER_RACK);
    }
  }

  /**
   * RFC 6675 §5 step 4 / RFC 6582 §3.2 step 2: start a fast-recovery episode. `why` names the loss
   * detection that started it (SACK, RACK or duplicate ACKs), for traces.
   */
  private enterRecovery(now: number, why: string): void {
    this.inRecovery = true;
    this.recoveryPoint = this.sndNxt;
    this.episodeRtxTsVal = undefined;
    this.stats.fastRecoveries++;
    if (this.tlpAt !== undefined) this.setTlpAt(undefined, T_TLP_RECOVERY);
    const cwnd = this.cc.cwnd;
    const ssthresh = this.cc.ssthresh;
    if (this.onTrace !== undefined) this.traceCongestion('recovery-enter', cwnd, ssthresh, why);
    this.fastRtxDue = true;
    // RFC 5681 §3.2 step 2 / RFC 6675 (4.2): data sent by Limited Transmit is not part of FlightSize here.
    const lt = this.dupAcks > 0 && this.ltMark !== undefined ? seqDiff(this.sndNxt, this.ltMark) : 0;
    this.cc.onCongestionEvent(now, seqDiff(this.sndNxt, this.sndUna) - Math.max(0, lt), this.segSize);
    if (this.onTrace !== undefined) this.traceCongestion('window', cwnd, ssthresh, this.cc.rule ?? C_CC_LOSS);
  }

  /** RFC 6675 pipe: bytes believed in the network. */
  private pipe(): number {
    return Math.max(0, this.scoreboard.pipe(seqDiff(this.sndNxt, this.sndUna)) - this.renoSacked);
  }

  /** SND.UNA < ack ≤ SND.NXT: new data (or our SYN/FIN) acknowledged. */
  private onAckAdvance(ack: number, now: number, tsEcr?: number): void {
    const flightBefore = seqDiff(this.sndNxt, this.sndUna);
    const pipeBefore = Math.max(this.pipe(), this.highPipe);
    const acked = seqDiff(ack, this.sndUna);
    this.sndUna = ack;
    this.softError = undefined; // the path works again: forget the ICMP soft error (as Linux's tcp_ack)
    const dataAcked = Math.max(0, Math.min(seqDiff(ack, this.sndBufSeq), this.sendBuffer.length));
    if (dataAcked > 0) {
      this.sendBuffer.consume(dataAcked);
      this.sndBufSeq = seqAdd(this.sndBufSeq, dataAcked);
      this.stats.bytesAcked += dataAcked;
      this.emitOnce('writable');
    } else if (seqGt(ack, this.sndBufSeq)) {
      this.sndBufSeq = ack; // our SYN was acknowledged
    }
    let newest: SentSegment | undefined;
    let oldestTsVal: number | undefined;
    let repairedHole = false;
    this.scoreboard.ackTo(ack, (s) => {
      this.rack.onDelivered(s, now, this.ambiguous(s, tsEcr));
      oldestTsVal ??= s.tsVal;
      if (s.retransmits > 0 || s.lost) repairedHole = true;
      // A segment SACKed earlier sat at the receiver while a hole was open: its ACK says nothing of the RTT.
      if (s.retransmits === 0 && !s.sacked) newest = s;
    });
    this.renoSacked = Math.max(0, this.renoSacked - acked);
    // RTT: from the echoed timestamp (RFC 7323 §4.1), else from a never-retransmitted segment (RFC 6298
    // §3, Karn's rule); the SYN is timed on its own.
    // Like Linux, a Karn-valid sample from our own send times comes first: TSecr echoes TS.Recent, which
    // stays old while a hole is open (RFC 7323 §4.3), so under heavy loss it can overstate the RTT.
    // RFC 6298 §3 (Karn) applies to the whole ACK: one that fills a hole also covers segments that
    // waited behind it. A TSecr older than what it acknowledges echoes an earlier transmission.
    let sample: number | undefined;
    if (newest !== undefined && !repairedHole) {
      sample = now - newest.xmitAt;
    } else if (tsEcr !== undefined && tsEcr !== 0 && (oldestTsVal === undefined || seqGe(tsEcr, oldestTsVal))) {
      const r = seqDiff(this.tsVal(now), tsEcr);
      if (r >= 0) sample = r;
    }
    if (this.rttTimedEnd !== undefined && seqGe(ack, this.rttTimedEnd)) {
      sample ??= now - this.rttTimedAt;
      this.rttTimedEnd = undefined;
    }
    if (sample !== undefined) {
      this.rtt.sample(sample);
      if (this.minRtt === undefined || sample < this.minRtt) this.minRtt = sample;
    }
    // RFC 3522 (Eifel): the first ACK after a retransmission echoes an older TSval → the original arrived.
    if (this.episodeRtxTsVal !== undefined && tsEcr !== undefined && tsEcr !== 0) {
      if (seqLt(tsEcr, this.episodeRtxTsVal)) {
        this.stats.spuriousRetransmits++;
        const cwnd = this.cc.cwnd;
        const ssthresh = this.cc.ssthresh;
        if (this.onTrace !== undefined && (this.inRecovery || this.afterRto)) this.traceCongestion('recovery-exit', cwnd, ssthresh, C_EXIT_SPURIOUS);
        this.cc.onSpuriousCongestionEvent(now);
        if (this.onTrace !== undefined) this.traceCongestion('window', cwnd, ssthresh, this.cc.rule ?? C_CC_OTHER);
        this.scoreboard.unmarkLost(); // RFC 3522 §3.2 response: stop the go-back-N of an RTO that was not needed
        this.inRecovery = false;
        this.afterRto = false;
        this.rtoRecoveryTraced = false;
        this.renoSacked = 0;
      }
      this.episodeRtxTsVal = undefined;
    }
    this.retries = 0;
    this.tlpOut = false;
    if (dataAcked > 0) {
      const cwnd = this.cc.cwnd;
      const ssthresh = this.onTrace !== undefined ? this.cc.ssthresh : 0;
      this.cc.onAck({
        now,
        acked: dataAcked,
        inFlight: flightBefore,
        mss: this.segSize,
        srtt: this.rtt.srtt,
        rtt: sample,
        minRtt: this.minRtt,
        // RFC 7661 §4.2-style: only a sender that used its window may grow it.
        cwndLimited: cwnd < this.cc.ssthresh ? pipeBefore * 2 >= cwnd : pipeBefore + this.segSize >= cwnd,
        inRecovery: this.inRecovery,
      });
      // Leaving slow start, or any change of ssthresh, is a 'window' event; growth within a phase is
      // 'growth' (one per ACK that grows cwnd, so that a trace can plot it; readers may skip them).
      if (this.onTrace !== undefined) {
        const phase = this.cc.ssthresh !== ssthresh || cwnd < ssthresh !== this.cc.cwnd < this.cc.ssthresh;
        this.traceCongestion(phase ? 'window' : 'growth', cwnd, ssthresh, this.cc.rule ?? C_CC_GROWTH);
      }
    }
    this.highPipe = this.pipe();
    // RFC 6298 §5 (5.2, 5.3): stop the timer when all is acknowledged, else restart it.
    const idle = this.sndUna === this.sndNxt;
    this.setRtoAt(idle ? undefined : now + this.rtt.rto, idle ? T_RTO_STOP : T_RTO_RESTART);
    this.unackedSince = idle ? undefined : now;
    if (idle) {
      if (this.tlpAt !== undefined) this.setTlpAt(undefined, T_TLP_IDLE);
    } else {
      this.armTlp(now);
    }
    if (idle && this.sendBuffer.length === 0) this.emit({ type: 'drained' });
  }

  // ───────────────────────────── output ─────────────────────────────

  /**
   * Let {@link pollTransmit} return new data in segments of up to `maxPayload` bytes (a whole number of
   * segments of {@link lastTransmitSegmentSize} each, but for the last piece of what was written), for
   * a link that segments TCP itself (TSO). Everything the RFCs say about segments holds for the wire
   * segments the link cuts: they are what the peer sees. Retransmissions and probes stay one SMSS.
   * 0 turns it off.
   */
  setSendOffload(maxPayload: number): void {
    this.sendOffloadMax = maxPayload > 0 ? Math.floor(maxPayload) : 0;
  }

  /** The next segment to send, or undefined when there is nothing (more) to send now. */
  pollTransmit(now: number): TcpSegment | undefined {
    this.lastTransmitSegmentSize = this.segSize;
    const control = this.controlQueue.shift();
    if (control !== undefined) {
      this.lastTransmitRule = control.rule;
      this.stats.segmentsSent++;
      return control.seg;
    }
    if (this.state === 'CLOSED' || this.state === 'LISTEN') return undefined;
    if (this.synPending) {
      this.synPending = false;
      const synAck = this.state !== 'SYN-SENT';
      const seg = this.segment(now, this.iss, synAck ? SYN | ACK : SYN, EMPTY, this.synOptions(now, synAck));
      if (!this.synRetransmitted && this.rttTimedEnd === undefined) {
        this.rttTimedEnd = seqAdd(this.iss, 1);
        this.rttTimedAt = now;
      }
      this.armRto(now);
      this.lastTransmitRule = synAck
        ? 'RFC 9293 §3.10.7.2 — SYN-RECEIVED: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>'
        : 'RFC 9293 §3.10.1 — SYN-SENT: <SEQ=ISS><CTL=SYN>';
      if (this.synRule !== '') this.lastTransmitRule = this.synRule;
      this.synRule = '';
      this.stats.segmentsSent++;
      return seg;
    }
    if (this.state === 'SYN-SENT') return undefined;
    const data = this.state !== 'SYN-RECEIVED' && this.state !== 'TIME-WAIT' ? this.nextDataSegment(now) : undefined;
    if (data !== undefined) {
      const size = this.lastTransmitSegmentSize;
      this.stats.segmentsSent += data.payload.length > size ? Math.ceil(data.payload.length / size) : 1;
      return data;
    }
    if (this.probeNow || this.keepAliveNow) {
      const keepAlive = this.keepAliveNow;
      this.probeNow = false;
      this.keepAliveNow = false;
      // RFC 9293 §3.8.6.1 zero-window probe / §3.8.4 keep-alive: like Linux, an already-acknowledged
      // sequence number (SND.UNA−1), so the peer must answer with an ACK and no data is at risk.
      this.lastTransmitRule = keepAlive
        ? 'RFC 9293 §3.8.4 — keep-alive: idle connection, send <SEQ=SND.NXT−1><ACK=RCV.NXT>'
        : 'RFC 9293 §3.8.6.1 — zero window: persist timer fired, send window probe';
      if (keepAlive) this.stats.keepAlivesSent++;
      this.stats.segmentsSent++;
      return this.segment(now, seqAdd(this.sndUna, -1), ACK, EMPTY);
    }
    if (this.ackNow) {
      this.lastTransmitRule = this.ackRule;
      this.stats.segmentsSent++;
      return this.segment(now, this.sndNxt, ACK, EMPTY);
    }
    return undefined;
  }

  /** Bytes of data per segment: SMSS less the options every segment carries (RFC 6691 §3). */
  private get segSize(): number {
    return Math.max(1, this.sndMss - (this.tsOk ? 12 : 0));
  }

  /** Room for data in a new segment now: SACK blocks riding on it take space too (RFC 6691 §3). */
  private dataRoom(): number {
    if (!this.sackOk || (this.dsack === undefined && this.reassembler.isEmpty)) return this.segSize;
    const blocks = Math.min(this.tsOk ? 3 : 4, (this.dsack !== undefined ? 1 : 0) + this.reassembler.rangeCount);
    return Math.max(1, this.segSize - (2 + 8 * blocks + 2)); // NOP,NOP + kind,len + blocks
  }

  /**
   * What to send next (RFC 6675 §5 NextSeg and step C): a segment deemed lost, then new data, then our
   * FIN — within the peer's window and cwnd − pipe; a tail loss probe when its timer fired.
   */
  private nextDataSegment(now: number): TcpSegment | undefined {
    const segSize = this.segSize;
    const cwnd = this.cc.cwnd;
    const pipe = this.pipe();
    const lost = this.scoreboard.firstToRetransmit();
    if (lost === undefined) this.pmtuRtx = false;
    if (lost !== undefined && (this.fastRtxDue || cwnd - pipe >= Math.min(segSize, seqDiff(lost.end, lost.start)))) {
      this.fastRtxDue = false;
      if (this.pmtuRtx && !this.inRecovery && !this.afterRto) {
        // Not a loss episode: no Eifel detection (there is no congestion response to undo).
        return this.retransmit(lost, now, this.pmtuRule, false);
      }
      return this.retransmit(
        lost,
        now,
        !this.inRecovery
          ? 'RFC 9293 §3.10.8 / RFC 6298 §5 (5.4) — after the retransmission timeout: resend from SND.UNA (RFC 6675 §5.1)'
          : this.sackOk
            ? 'RFC 6675 §5 (C.1) — fast recovery: retransmit the first segment deemed lost (RFC 6675 §4 IsLost or RFC 8985 §6.2 RACK), the fast retransmit of RFC 5681 §3.2'
            : 'RFC 5681 §3.2 / RFC 6582 §3.2 — fast retransmit: resend the first unacknowledged segment (NewReno recovery)',
      );
    }
    const dataEnd = seqAdd(this.sndBufSeq, this.sendBuffer.length);
    const flight = seqDiff(this.sndNxt, this.sndUna);
    const unsent = Math.max(0, seqDiff(dataEnd, this.sndNxt));
    const peerRoom = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
    const probe = this.tlpPending;
    this.tlpPending = false;
    let usable = Math.min(peerRoom, probe ? segSize : cwnd - pipe);
    const room = this.dataRoom();
    // TSO: several segments' worth at once; the urgent pointer would differ per wire segment.
    const maxLen = this.sendOffloadMax > room && !probe && !seqGt(this.sndUp, this.sndNxt) ? room * Math.floor(this.sendOffloadMax / room) : room;
    let len = Math.max(0, Math.min(unsent, maxLen, usable));
    if (len > 0 && len < Math.min(unsent, room) && flight > 0) {
      // RFC 9293 §3.8.6.2.1 sender SWS avoidance / RFC 6675 step C: wait for a full segment's room.
      if (len < this.maxSndWnd / 2 || cwnd - pipe < room) len = 0;
    }
    if (len > 0 && len < room && flight > 0 && this.nagle && !this.finQueued) {
      // RFC 9293 §3.7.4 Nagle: hold a small segment while data is unacknowledged.
      len = 0;
    }
    // TSO: whole segments only, but for the end of the data — a short piece mid-stream would go on the
    // wire as a small segment (RFC 9293 §3.8.6.2.1).
    if (len > room && len < unsent) len -= len % room;
    // The FIN occupies a sequence number, so it goes only inside the peer's window (RFC 9293 §3.8.6: the
    // window is the range of sequence numbers the receiver accepts; §3.10.7.4 trims a FIN beyond it).
    const finNext = this.finQueued && this.finSeq === undefined && seqAdd(this.sndNxt, len) === dataEnd;
    const finDue = finNext && seqLt(seqAdd(this.sndNxt, len), seqAdd(this.sndUna, this.sndWnd));
    if (len === 0 && !finDue) {
      if (probe && flight > 0) return this.probeLast(now);
      if ((unsent > 0 || finNext) && this.sndWnd === 0 && flight === 0) this.armPersist(now);
      return undefined;
    }
    // Only for new data: a probe or retransmission above is one SMSS and may be longer than `room`.
    this.lastTransmitSegmentSize = room;
    void usable;
    if (flight === 0 && now - this.lastSendAt > this.rtt.rto) {
      // RFC 5681 §4.1 / RFC 9438 §5.8: restart after idle.
      const cwnd = this.cc.cwnd;
      const ssthresh = this.cc.ssthresh;
      this.cc.onIdleRestart(now, now - this.lastSendAt, this.rtt.rto, segSize);
      if (this.onTrace !== undefined) this.traceCongestion('window', cwnd, ssthresh, this.cc.rule ?? C_CC_OTHER);
    }
    let flags = ACK;
    if (len > 0 && seqAdd(this.sndNxt, len) === dataEnd) flags |= PSH; // last segment of what was written
    const payload = len > 0 ? this.sendBuffer.read(seqDiff(this.sndNxt, this.sndBufSeq), len) : EMPTY;
    const seq = this.sndNxt;
    let urgent = 0;
    if (seqGt(this.sndUp, seq) && seqGe(dataEnd, this.sndUp)) {
      // RFC 9293 §3.8.5: the urgent pointer points to the octet following the urgent data.
      flags |= URG;
      urgent = Math.min(0xffff, seqDiff(this.sndUp, seq));
    }
    this.sndNxt = seqAdd(this.sndNxt, len);
    this.stats.bytesSent += len;
    this.lastTransmitRule = probe
      ? 'RFC 8985 §7.3 — probe timeout: send new data as a tail loss probe'
      : 'RFC 9293 §3.10.2 — send queued data within the send window, ACK piggybacked';
    if (probe) {
      this.stats.tailLossProbes++;
      this.tlpOut = true;
      this.tlpIsRetrans = false;
      this.tlpDsacked = false;
    }
    if (finDue) {
      flags |= FIN;
      this.finSeq = this.sndNxt;
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.lastTransmitRule =
        this.state === 'LAST-ACK'
          ? 'RFC 9293 §3.10.4 — CLOSE in CLOSE-WAIT: after queued data, send FIN'
          : 'RFC 9293 §3.10.4 — CLOSE: after queued data, send FIN';
    }
    if (probe) this.tlpEndSeq = this.sndNxt;
    const tsVal = this.tsVal(now);
    this.scoreboard.push({
      start: seq,
      end: this.sndNxt,
      xmitAt: now,
      xmitOrder: ++this.xmitCount,
      tsVal,
      retransmits: 0,
      sacked: false,
      lost: false,
      rtxInFlight: false,
      fin: finDue,
    });
    this.lastSendAt = now;
    this.unackedSince ??= now;
    this.armRto(now);
    this.armTlp(now);
    this.highPipe = Math.max(this.highPipe, this.pipe());
    const seg = this.segment(now, seq, flags, payload);
    seg.urgent = urgent;
    return seg;
  }

  /**
   * Resend one outstanding segment (it keeps its sequence numbers). One sent before the path MSS dropped
   * is split, and only its first SMSS is resent (RFC 1191 §6.4: "no larger than the new PMTU").
   * `eifel`: the first retransmission of an episode is remembered for RFC 3522 detection.
   */
  private retransmit(s: SentSegment, now: number, rule: string, eifel = true): TcpSegment {
    if (seqDiff(s.end, s.start) - (s.fin ? 1 : 0) > this.segSize) this.scoreboard.splitSegment(s, seqAdd(s.start, this.segSize));
    const len = seqDiff(s.end, s.start) - (s.fin ? 1 : 0);
    const dataEnd = seqAdd(this.sndBufSeq, this.sendBuffer.length);
    let flags = ACK;
    if (s.fin) flags |= FIN;
    if (len > 0 && seqAdd(s.start, len) === dataEnd) flags |= PSH;
    const payload = len > 0 ? this.sendBuffer.read(seqDiff(s.start, this.sndBufSeq), len) : EMPTY;
    const tsVal = this.tsVal(now);
    this.scoreboard.retransmitted(s, now, tsVal, ++this.xmitCount);
    if (eifel) this.episodeRtxTsVal ??= tsVal;
    this.stats.retransmits++;
    this.lastTransmitRule = rule;
    this.armRto(now);
    this.highPipe = Math.max(this.highPipe, this.pipe());
    return this.segment(now, s.start, flags, payload);
  }

  /** RFC 8985 §7.3: with no new data to send, the probe retransmits the last segment. */
  private probeLast(now: number): TcpSegment | undefined {
    let last = this.scoreboard.last();
    if (last === undefined || last.sacked) return undefined;
    const fin = last.fin ? 1 : 0;
    if (seqDiff(last.end, last.start) - fin > this.segSize) {
      // Sent before the path MSS dropped: probe with its last SMSS.
      this.scoreboard.splitSegment(last, seqAdd(last.end, -(this.segSize + fin)));
      last = this.scoreboard.last()!;
    }
    this.stats.tailLossProbes++;
    this.tlpOut = true;
    this.tlpEndSeq = this.sndNxt;
    this.tlpIsRetrans = true;
    this.tlpDsacked = false;
    return this.retransmit(last, now, 'RFC 8985 §7.3 — probe timeout: retransmit the last segment as a tail loss probe');
  }

  /** Options of our SYN or SYN,ACK: MSS always; the RFC 7323 / RFC 2018 ones as configured and offered. */
  private synOptions(now: number, synAck: boolean): TcpOptions {
    const c = this.config;
    const o: TcpOptions = { mss: this.rcvMss };
    if (c.windowScaling && (!synAck || this.peerOfferedWscale)) o.windowScale = this.offerWscale;
    if (c.sack && (!synAck || this.sackOk)) o.sackPermitted = true;
    if (c.timestamps && (!synAck || this.tsOk)) o.timestamp = { value: this.tsVal(now), echo: synAck ? this.tsRecent : 0 };
    return o;
  }

  /**
   * What the peer's SYN offered (RFC 7323 §2.2, §3.2; RFC 2018 §2): each option is used only if both
   * sides sent it on their SYNs.
   */
  private negotiate(o: TcpOptions, now: number): void {
    const c = this.config;
    this.peerOfferedWscale = o.windowScale !== undefined;
    if (c.windowScaling && o.windowScale !== undefined) {
      this.sndWscale = Math.min(MAX_WSCALE, o.windowScale); // RFC 7323 §2.3
      this.rcvWscale = this.offerWscale;
    } else {
      this.sndWscale = 0;
      this.rcvWscale = 0;
    }
    this.sackOk = c.sack && o.sackPermitted === true;
    this.tsOk = c.timestamps && o.timestamp !== undefined;
    if (o.timestamp !== undefined && this.tsOk) {
      this.tsRecent = o.timestamp.value;
      this.tsRecentAt = now;
    }
    this.applyPeerMss(o, now);
  }

  /** SEG.WND in bytes: scaled except on SYNs (RFC 7323 §2.3). */
  private segWindow(seg: TcpSegment): number {
    return seg.flags & SYN ? seg.window : seg.window * 2 ** this.sndWscale;
  }

  /** Our TSval clock: 1 ms ticks plus the connection's offset (RFC 7323 §5.4). */
  private tsVal(now: number): number {
    return (Math.floor(now) + this.tsOffset) >>> 0;
  }

  /** Build a segment from this TCB; ACK-bearing segments carry RCV.NXT, our window, TSopt and SACK. */
  private segment(now: number, seq: number, flags: number, payload: Uint8Array, options?: TcpOptions): TcpSegment {
    const withAck = (flags & ACK) !== 0;
    const syn = (flags & SYN) !== 0;
    let opts = options ?? NO_OPTIONS;
    if (flags & RST) return { srcPort: this.localPort, dstPort: this.remotePort, seq: seq >>> 0, ack: withAck ? this.rcvNxt : 0, flags, window: 0, urgent: 0, options: NO_OPTIONS, payload };
    if (!syn && this.tsOk) opts = { timestamp: { value: this.tsVal(now), echo: this.tsRecent } };
    if (withAck && this.sackOk && !syn && (this.dsack !== undefined || !this.reassembler.isEmpty)) {
      const blocks = this.sackBlocksToSend();
      opts = opts === NO_OPTIONS ? { sackBlocks: blocks } : { ...opts, sackBlocks: blocks };
      // RFC 6691 §3: options and data together stay within SMSS; drop the oldest blocks that don't fit.
      // (With TSO, each wire segment: its data is at most lastTransmitSegmentSize.)
      const wireData = Math.min(payload.length, this.lastTransmitSegmentSize || payload.length);
      while (blocks.length > 0 && tcpOptionsLength(opts) + wireData > this.sndMss) blocks.pop();
      if (blocks.length === 0) opts = this.tsOk ? { timestamp: opts.timestamp! } : NO_OPTIONS;
    }
    if (withAck) {
      this.lastAckSent = this.rcvNxt;
      this.ackNow = false;
      if (this.delAckAt !== undefined) this.setDelAckAt(undefined, T_DELACK_SENT);
    }
    return {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: seq >>> 0,
      ack: withAck ? this.rcvNxt : 0,
      flags,
      window: this.advertiseWindow(syn),
      urgent: 0,
      options: opts,
      payload,
    };
  }

  /**
   * RFC 2018 §4: the first block holds the segment that triggered this ACK, then the most recently
   * reported others; a D-SACK (RFC 2883) goes first. At most 3 blocks beside timestamps, else 4.
   */
  private sackBlocksToSend(): SackBlock[] {
    const max = this.tsOk ? 3 : 4;
    const out: SackBlock[] = [];
    if (this.dsack !== undefined) {
      out.push(this.dsack);
      this.dsack = undefined;
    }
    const ranges = this.reassembler.ranges();
    const find = (seq: number): number => {
      let lo = 0;
      let hi = ranges.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (seqLe(ranges[mid]!.right, seq)) lo = mid + 1;
        else hi = mid;
      }
      return lo < ranges.length && seqLe(ranges[lo]!.left, seq) ? lo : -1;
    };
    // A D-SACK block may repeat a SACK block: the repeat is how the sender recognises it (RFC 2883 §4).
    const d = out.length;
    const has = (r: { left: number; right: number }): boolean => out.some((b, i) => i >= d && b.left === r.left && b.right === r.right);
    const kept: number[] = [];
    for (const seq of this.sackRecent) {
      const i = find(seq);
      if (i < 0 || has(ranges[i]!)) continue;
      kept.push(seq);
      if (out.length < max) out.push({ left: ranges[i]!.left, right: ranges[i]!.right });
    }
    this.sackRecent = kept;
    for (let i = ranges.length - 1; i >= 0 && out.length < max; i--) {
      const r = ranges[i]!;
      if (!has(r)) out.push({ left: r.left, right: r.right });
    }
    return out;
  }

  /** Free receive-buffer space, capped by what the window field can express. */
  private freeWindow(): number {
    const max = MAX_UNSCALED_WINDOW * 2 ** this.rcvWscale;
    return Math.max(0, Math.min(max, this.config.receiveBufferSize - this.receiveBuffer.length));
  }

  /**
   * The window field of an outgoing segment. RFC 9293 §3.8.6.2.2 receiver SWS avoidance: move the
   * right edge only by at least min(buffer/2, MSS); never move it left (§3.8.6). With scaling
   * (RFC 7323 §2.3) the field is rounded up so the peer never sees the edge move left.
   */
  private advertiseWindow(syn: boolean): number {
    if (syn || !this.haveIrs) return Math.min(MAX_UNSCALED_WINDOW, this.freeWindow()); // never scaled
    const right = seqAdd(this.rcvNxt, this.freeWindow());
    if (seqGt(right, this.rcvAdvRight)) {
      const threshold = Math.min(this.config.receiveBufferSize / 2, this.rcvMss);
      if (seqDiff(right, this.rcvAdvRight) >= threshold || (this.advertisedWnd === 0 && this.freeWindow() >= threshold)) {
        this.rcvAdvRight = right;
      }
    }
    const unit = 2 ** this.rcvWscale;
    const field = Math.min(MAX_UNSCALED_WINDOW, Math.ceil(this.rcvWnd / unit));
    const edge = seqAdd(this.rcvNxt, field * unit);
    if (!seqGt(edge, this.rcvAdvRight)) {
      this.rcvPeerRight = edge;
      return field;
    }
    // RFC 7323 §2.4 / Appendix F: rounding up moves the edge beyond what was offered. Done on every
    // ACK, that would ratchet the edge past the buffer (without bound when ACKs advance less than a
    // unit), so it is allowed only while the edge stays within one unit of the buffer's end; beyond,
    // the field is rounded down and the peer sees the window retract by less than one unit. Data up
    // to the edge already offered is still accepted, so nothing the peer was allowed to send is lost.
    // (The buffer's end from its real fill level: freeWindow() stops at 0 once the edge is used up.)
    const bufferEnd = seqAdd(this.rcvNxt, this.config.receiveBufferSize - this.receiveBuffer.length);
    if (seqGt(edge, seqAdd(bufferEnd, unit))) {
      const down = Math.floor(this.rcvWnd / unit);
      this.rcvPeerRight = seqAdd(this.rcvNxt, down * unit);
      return down;
    }
    this.rcvAdvRight = edge;
    this.rcvPeerRight = edge;
    return field;
  }

  /** After the user reads: send a window update if the window opened by enough (RFC 9293 §3.8.6.2.2). */
  private maybeWindowUpdate(): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'SYN-SENT') return;
    // After the peer's FIN no more data comes (RFC 9293 §3.10.7.4, eighth step), so an opened window
    // tells it nothing — and in TIME-WAIT the update would reach a peer that has closed, whose RST
    // then ends TIME-WAIT early (RFC 1337). Linux sends none after RCV_SHUTDOWN either.
    if (this.state === 'CLOSE-WAIT' || this.state === 'CLOSING' || this.state === 'LAST-ACK' || this.state === 'TIME-WAIT') return;
    const free = this.freeWindow();
    const advertised = this.advertisedWnd;
    const threshold = Math.min(this.config.receiveBufferSize / 2, this.rcvMss);
    // A separate update only when the sender may be held back by our window: it must open by the SWS
    // threshold and (as on Linux) at least double what is advertised. Otherwise the next ACK carries it.
    if (free - advertised >= threshold && free >= 2 * advertised) {
      this.requestAck('RFC 9293 §3.8.6.2.2 — receive window opened by ≥ min(RCV.BUFF/2, MSS): send window update');
    }
  }

  // ───────────────────────────── ICMP errors (RFC 1122 §4.2.3.9, RFC 5461, RFC 5927) ─────────────────────────────

  /** An ICMP Destination Unreachable (v4 or v6) about a segment this connection sent. */
  handleIcmpUnreachable(
    now: number,
    err: { code: 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES'; hard: boolean; seq: number; rule: string },
  ): void {
    void now;
    if (!this.icmpAcceptable(err.seq)) return;
    this.stats.icmpErrors++;
    const why = `ICMP Destination Unreachable (${err.code}${err.rule !== '' ? `: ${err.rule}` : ''})`;
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') {
      // RFC 5461: during connection establishment, soft errors too abort the attempt, as Linux and most
      // stacks do (RFC 1122 §4.2.3.9 has hard errors abort anyway).
      if (this.state === 'SYN-RECEIVED' && this.passive) {
        // The embryonic connection was never reported to a user: drop it as for a RST (Linux tcp_req_err).
        this.returnToListen(`RFC 1122 §4.2.3.9 / RFC 5461 — SYN-RECEIVED (passive): ${why} → return to LISTEN`);
      } else {
        this.fail(err.code, `RFC 1122 §4.2.3.9 / RFC 5461 — ${this.state}: ${why} → abort the connection attempt, CLOSED`);
      }
      return;
    }
    // RFC 1122 §4.2.3.9: a soft error MUST NOT abort the connection; hard errors are treated as soft in
    // synchronized states (RFC 5927 §5.2, against blind resets; Linux too). Noted for a later timeout.
    this.softError = err.code;
  }

  /**
   * ICMPv4 Fragmentation Needed (RFC 1191) / ICMPv6 Packet Too Big (RFC 8201): the path carries at most
   * `mss` bytes of TCP payload (MTU − IP header − 20).
   */
  handlePacketTooBig(now: number, info: { mss: number; seq: number }): void {
    void now;
    if (!this.icmpAcceptable(info.seq)) return;
    // RFC 1191 §6.4: act only on a message that "actually decreases the PMTU", or every oversized segment
    // of a burst would cause another retransmission.
    const mss = Math.max(MIN_PATH_MSS, Math.floor(info.mss));
    if (!(mss < this.pathMss)) return;
    this.pathMss = mss;
    this.stats.pmtuUpdates++;
    // RFC 1191 §3.1: the MSS option we advertise (rcvMss) is unaffected. The effective send MSS never
    // exceeds the peer's MSS either; in SYN-SENT it is fixed by applyPeerMss from pathMss later.
    if (mss >= this.sndMss) return;
    this.sndMss = mss;
    if (this.onTrace !== undefined) this.traceCongestion('window', this.cc.cwnd, this.cc.ssthresh, this.pmtuRule, true);
    // RFC 1191 §6.4 / RFC 8201 §5.4: what was sent larger than the new MSS was dropped; resend it now in
    // new-size pieces (retransmit() splits) — "should not change the congestion window", and not a loss
    // episode: no recovery, no RACK loss, no ssthresh change (Linux tcp_simple_retransmit). cwnd is in
    // bytes and stays as it is; marking the segments lost takes them out of pipe, making room to resend.
    if (this.scoreboard.markLostLargerThan(this.segSize) > 0) this.pmtuRtx = true;
  }

  /** The rule of a Packet Too Big's response, by the family of the path. */
  private get pmtuRule(): string {
    return this.remoteAddress.includes(':') ? RULE_PMTU6 : RULE_PMTU;
  }

  /**
   * RFC 5927 §4.1: act on an ICMP error only if the TCP sequence number it quotes is in flight,
   * SND.UNA ≤ SEG.SEQ < SND.NXT (in SYN-SENT: the ISS). Counts the rest.
   */
  private icmpAcceptable(seq: number): boolean {
    const ok = this.state !== 'CLOSED' && this.state !== 'LISTEN' && seqLe(this.sndUna, seq) && seqLt(seq, this.sndNxt);
    if (!ok) this.stats.icmpIgnored++;
    return ok;
  }

  // ───────────────────────────── timers (RFC 9293 §3.10.8) ─────────────────────────────

  /** The earliest time at which {@link handleTimeout} must be called, if any. */
  pollTimeout(): number | undefined {
    let t = this.rtoAt;
    const keepAlive = this.keepAliveDue();
    const user = this.userTimeoutDue();
    if (this.onTrace !== undefined) {
      this.traceDerivedTimers(keepAlive, user);
    } else {
      // Untraced: forget what was traced, so a later observer starts from the deadlines of then.
      this.tracedKeepAlive = undefined;
      this.tracedUserTimeout = undefined;
    }
    for (const x of [this.timeWaitAt, this.persistAt, this.delAckAt, this.rackTimerAt, this.tlpAt, keepAlive, user]) {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    }
    return t;
  }

  /**
   * RFC 9293 §3.6.1 (MAY-2, RFC 1122 §4.2.2.13): whether `seg`, arriving for this connection in
   * TIME-WAIT, is a new SYN that may reopen the connection: a SYN alone, above RCV.NXT or (with
   * timestamps) with a TSval newer than TS.Recent — as Linux decides (tcp_timewait_state_process).
   */
  acceptsSynInTimeWait(seg: TcpSegment): boolean {
    if (this.state !== 'TIME-WAIT' || (seg.flags & (SYN | ACK | RST)) !== SYN) return false;
    if (seqGt(seg.seq, this.rcvNxt)) return true;
    const ts = seg.options.timestamp;
    return this.tsOk && ts !== undefined && seqGt(ts.value, this.tsRecent);
  }

  /**
   * Leave TIME-WAIT for a new SYN the stack accepts ({@link acceptsSynInTimeWait}): the TCB is deleted
   * (CLOSED) and the ISS the new incarnation must use is returned — above every sequence number this one
   * used (RFC 9293 §3.6.1 (1)), with a window's margin as Linux leaves.
   */
  reopenFromTimeWait(): number {
    const iss = (this.sndNxt + 65535 + 2) >>> 0;
    this.enterClosed(RULE_TIME_WAIT_REOPEN);
    return iss;
  }

  /** Run every timer due at `now`. */
  handleTimeout(now: number): void {
    if (this.timeWaitAt !== undefined && now >= this.timeWaitAt) {
      if (this.onTrace !== undefined) this.traceFire('time-wait', this.timeWaitAt, T_TW_FIRE);
      this.timeWaitAt = undefined;
      this.enterClosed(T_TW_FIRE);
      return;
    }
    const userDue = this.userTimeoutDue();
    if (userDue !== undefined && now >= userDue) {
      if (this.onTrace !== undefined) this.traceFire('user-timeout', userDue, T_USER_FIRE);
      this.tracedUserTimeout = undefined;
      this.failTimeout(T_USER_FIRE);
      return;
    }
    const keepDue = this.keepAliveDue();
    if (keepDue !== undefined && now >= keepDue) {
      const abort = this.keepAliveProbesSent >= this.config.keepAliveProbes;
      if (this.onTrace !== undefined) this.traceFire('keepalive', keepDue, abort ? T_KEEPALIVE_ABORT : T_KEEPALIVE_FIRE);
      this.tracedKeepAlive = undefined;
      if (abort) {
        this.failTimeout(T_KEEPALIVE_ABORT);
        return;
      }
      this.keepAliveProbesSent++;
      this.keepAliveNow = true;
      this.keepAliveAt = now + this.config.keepAliveInterval;
    }
    if (this.delAckAt !== undefined && now >= this.delAckAt) {
      if (this.onTrace !== undefined) this.traceFire('delayed-ack', this.delAckAt, T_DELACK_FIRE);
      this.delAckAt = undefined;
      this.stats.delayedAcks++;
      this.requestAck(T_DELACK_FIRE);
    }
    if (this.tlpAt !== undefined && now >= this.tlpAt) {
      if (this.onTrace !== undefined) this.traceFire('tlp', this.tlpAt, T_TLP_FIRE);
      this.tlpAt = undefined;
      if (!this.inRecovery && this.sndUna !== this.sndNxt) {
        this.tlpPending = true;
        // RFC 8985 §7.3: "After attempting to send a loss probe ... the sender MUST re-arm the RTO
        // timer, not the PTO timer, if the FlightSize is not zero" (timeout = now + RTO).
        this.setRtoAt(now + this.rtt.rto, T_RTO_AFTER_TLP);
      }
    }
    if (this.rtoAt !== undefined && now >= this.rtoAt) this.onRetransmitTimeout(now);
    if (this.rackTimerAt !== undefined && now >= this.rackTimerAt) {
      if (this.onTrace !== undefined) this.traceFire('rack-reorder', this.rackTimerAt, T_RACK_FIRE);
      this.rackTimerAt = undefined;
      this.detectLosses(now, false); // RFC 8985 §6.2: the reordering window has passed
    }
    if (this.persistAt !== undefined && now >= this.persistAt) {
      if (this.onTrace !== undefined) this.traceFire('persist', this.persistAt, T_PERSIST_FIRE);
      this.persistAt = undefined;
      this.persistBackoff++;
      this.probeNow = true;
      this.setPersistAt(now + this.persistInterval(), T_PERSIST_BACKOFF);
    }
  }

  /** RFC 9293 §3.10.8 RETRANSMISSION TIMEOUT with RFC 6298 §5 (5.4–5.6) and RFC 6675 §5.1. */
  private onRetransmitTimeout(now: number): void {
    if (this.onTrace !== undefined) this.traceFire('retransmit', this.rtoAt!, T_RTO_FIRE);
    this.rtoAt = undefined;
    if (this.sndUna === this.sndNxt && !this.synPending) return;
    this.retries++;
    this.stats.rtoCount++;
    const synUnacked = this.sndUna === this.iss;
    const limit =
      this.state === 'SYN-SENT'
        ? this.config.synRetries
        : this.state === 'SYN-RECEIVED' && this.passive
          ? this.config.synAckRetries
          : synUnacked
            ? this.config.synRetries
            : this.config.dataRetries;
    if (this.retries > limit) {
      if (this.state === 'SYN-RECEIVED' && this.passive) {
        // The embryonic connection was never reported to a user; drop it quietly as Linux does.
        this.enterClosed('RFC 9293 §3.10.8 — SYN,ACK retransmissions exhausted: drop embryonic connection');
      } else {
        this.failTimeout('RFC 9293 §3.8.3 / RFC 1122 §4.2.3.5 — retransmissions exhausted (R2): abort');
      }
      return;
    }
    const cwnd = this.cc.cwnd;
    const ssthresh = this.cc.ssthresh;
    // A timeout during RTO recovery (a backoff) is no new episode (a fast-recovery episode becomes
    // RTO recovery). A lost SYN or SYN,ACK is no data to recover: no recovery episode is reported for it (the
    // window it changes is, and is made anew once the SYN exchange fixes SMSS, see applyPeerMss).
    if (this.onTrace !== undefined && !this.afterRto && !synUnacked) {
      this.traceCongestion('recovery-enter', cwnd, ssthresh, C_ENTER_RTO);
      this.rtoRecoveryTraced = true;
    }
    this.cc.onRetransmitTimeout(now, seqDiff(this.sndNxt, this.sndUna), this.segSize);
    this.rtt.backOff(); // RFC 6298 §5 (5.5)
    this.rttTimedEnd = undefined; // Karn's rule
    if (synUnacked) {
      this.synPending = true;
      this.synRule = this.state === 'SYN-SENT' ? RULE_SYN_RTX : RULE_SYNACK_RTX;
      this.synRetransmitted = true;
    }
    // RFC 6675 §5.1: every segment not SACKed is deemed lost and resent in order, cwnd permitting; no new
    // fast recovery below the current SND.NXT (RFC 6582 §3.2 "recover").
    this.scoreboard.markAllLost();
    this.inRecovery = false;
    this.afterRto = true;
    this.recoveryPoint = this.sndNxt;
    this.renoSacked = 0;
    this.dupAcks = 0;
    this.fastRtxDue = false;
    this.episodeRtxTsVal = undefined;
    if (this.tlpAt !== undefined) this.setTlpAt(undefined, T_TLP_RTO);
    this.tlpOut = false;
    if (this.onTrace !== undefined) this.traceCongestion('window', cwnd, ssthresh, this.cc.rule ?? C_CC_RTO);
    this.setRtoAt(now + this.rtt.rto, T_RTO_BACKOFF); // RFC 6298 §5 (5.6)
  }

  private armRto(now: number): void {
    if (this.rtoAt === undefined) this.setRtoAt(now + this.rtt.rto, T_RTO_START); // RFC 6298 §5 (5.1)
    if (this.persistAt !== undefined) this.setPersistAt(undefined, T_PERSIST_RTO);
  }

  /** RFC 8985 §7.2: arm the probe timeout after sending or on an ACK, when a probe could help. */
  private armTlp(now: number): void {
    // RFC 8985 §7.2: not in fast or RTO recovery, nor once segments have been SACKed.
    if (!this.config.rack || !this.sackOk || this.inRecovery || this.tlpOut || this.afterRto || this.scoreboard.sackedSegments > 0) {
      if (this.tlpAt !== undefined) this.setTlpAt(undefined, T_TLP_NONE);
      return;
    }
    const srtt = this.rtt.srtt;
    let pto = srtt !== undefined ? Math.max(2 * srtt, TLP_MIN_PTO) : 1000;
    if (seqDiff(this.sndNxt, this.sndUna) <= this.segSize) pto += TLP_WCDELACK;
    const at = now + pto;
    // RFC 8985 §7.2 TLP_calc_PTO: "If Now() + PTO > TCP_RTO_expiration(): PTO = TCP_RTO_expiration() − Now()".
    this.setTlpAt(this.rtoAt !== undefined && at > this.rtoAt ? this.rtoAt : at, T_TLP_ARM);
  }

  private persistInterval(): number {
    return Math.min(this.config.maxPersistInterval, this.rtt.rto * 2 ** this.persistBackoff);
  }

  private armPersist(now: number): void {
    if (this.persistAt === undefined && this.rtoAt === undefined) {
      this.persistBackoff = 0;
      this.setPersistAt(now + this.persistInterval(), T_PERSIST_START);
    }
  }

  /** A window update arrived: stop probing once the window is open. */
  private updatePersist(now: number): void {
    void now;
    if (this.sndWnd > 0) {
      if (this.persistAt !== undefined) this.setPersistAt(undefined, T_PERSIST_OPEN);
      this.persistBackoff = 0;
    }
  }

  /** RFC 9293 §3.8.4: probes only on an idle, synchronized connection with nothing outstanding. */
  private keepAliveDue(): number | undefined {
    if (!this.keepAlive) return undefined;
    if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE-WAIT' && this.state !== 'FIN-WAIT-2') return undefined;
    if (this.sndUna !== this.sndNxt || this.sendBuffer.length > 0) return undefined;
    return this.keepAliveProbesSent === 0 ? this.lastRecvAt + this.keepAliveIdle : this.keepAliveAt;
  }

  private userTimeoutDue(): number | undefined {
    if (this.userTimeout <= 0 || this.unackedSince === undefined || this.sndUna === this.sndNxt) return undefined;
    return this.unackedSince + this.userTimeout;
  }

  /** Nagle's algorithm off (true) or on (false), as `setNoDelay` (RFC 9293 §3.7.4). */
  setNoDelay(noDelay: boolean): void {
    this.nagle = !noDelay;
  }

  /** Keepalive on or off; `idle` ms before the first probe (as Node's `setKeepAlive(enable, initialDelay)`). */
  setKeepAlive(enable: boolean, idle?: number): void {
    this.keepAlive = enable;
    if (idle !== undefined && idle > 0) this.keepAliveIdle = idle;
    this.keepAliveProbesSent = 0;
  }

  /** Abort when sent data stays unacknowledged for `ms` (0 turns it off; RFC 5482). */
  setUserTimeout(ms: number): void {
    this.userTimeout = Math.max(0, ms);
  }


  // ───────────────────────────── events and state ─────────────────────────────

  /** The next notification for the user, if any. */
  pollEvent(): ConnectionEvent | undefined {
    return this.events.shift();
  }

  /** Whether notifications are waiting. */
  get hasEvents(): boolean {
    return this.events.length > 0;
  }

  private emit(ev: ConnectionEvent): void {
    this.events.push(ev);
  }

  private emitOnce(type: 'readable' | 'writable'): void {
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i]!.type === type) return;
    this.events.push({ type });
  }

  private setState(to: TcpState, rule: string): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.onStateChange?.(from, to, rule);
    this.emit({ type: 'state', from, to, rule });
  }

  private enterEstablished(rule: string): void {
    this.setState('ESTABLISHED', rule);
    if (this.synRetransmitted) this.rtt.resetTo(3000); // RFC 6298 §5 (5.7)
    this.emit({ type: 'established' });
    this.releaseHeld();
    if (this.closeAfterEstablished) {
      this.closeAfterEstablished = false;
      this.finQueued = true;
      this.setState('FIN-WAIT-1', 'RFC 9293 §3.10.4 — CLOSE queued in SYN-RECEIVED: now ESTABLISHED, enter FIN-WAIT-1');
    }
  }

  /** Text that came with the SYN was held; process it now (a held FIN follows in the eighth step). */
  private releaseHeld(): void {
    if (!canReceiveText(this.state)) return;
    const pieces = this.reassembler.take(this.rcvNxt);
    if (pieces.length > 0) {
      for (const p of pieces) this.deliver(p);
      this.requestAck('RFC 9293 §3.10.7.2 — text queued with the SYN, processed once synchronized');
    }
  }

  private enterTimeWait(now: number, rule: string): void {
    this.setState('TIME-WAIT', rule);
    // "start the time-wait timer, turn off the other timers"
    this.setTimeWaitAt(now + 2 * this.config.msl, T_TW_START);
    this.stopTimers(T_OTHERS_OFF);
  }

  /** Stop the timers other than TIME-WAIT's (traced with `rule`). */
  private stopTimers(rule: string): void {
    if (this.rtoAt !== undefined) this.setRtoAt(undefined, rule);
    if (this.persistAt !== undefined) this.setPersistAt(undefined, rule);
    if (this.rackTimerAt !== undefined) this.setRackTimerAt(undefined, rule);
    if (this.tlpAt !== undefined) this.setTlpAt(undefined, rule);
    if (this.delAckAt !== undefined) this.setDelAckAt(undefined, rule);
  }

  private enterClosed(rule: string): void {
    this.setState('CLOSED', rule);
    this.stopTimers(T_CLOSED);
    if (this.timeWaitAt !== undefined) this.setTimeWaitAt(undefined, T_CLOSED);
    this.synPending = false;
    this.ackNow = false;
    this.probeNow = false;
    this.deleted = true;
    this.emit({ type: 'closed' });
  }

  /** End the connection with an error reported to the user. */
  private fail(code: TcpErrorCode, rule: string): void {
    this.flushQueues();
    this.emit({ type: 'error', code, rule });
    this.enterClosed(rule);
  }

  /**
   * A timeout ends the connection with ETIMEDOUT, or with the last ICMP soft error if one was noted:
   * RFC 1122 §4.2.3.9 lets TCP "note the message and report it ... when and if the TCP connection
   * times out" (Linux's sk_err_soft, for every timeout).
   */
  private failTimeout(rule: string): void {
    const soft = this.softError;
    this.fail(soft ?? 'ETIMEDOUT', soft === undefined ? rule : `${rule}; RFC 1122 §4.2.3.9 — report the last ICMP soft error, ${soft}`);
  }

  /** Passive SYN-RECEIVED goes back to LISTEN, forgetting the peer (RFC 9293 §3.10.7.4). */
  private returnToListen(rule: string): void {
    this.flushQueues();
    if (this.rtoAt !== undefined) this.setRtoAt(undefined, T_TO_LISTEN);
    this.synPending = false;
    this.ackNow = false;
    // The listen's remote socket is what the OPEN specified, not the peer that was forgotten.
    this.remoteAddress = this.openedRemoteAddress;
    this.remotePort = this.openedRemotePort;
    this.finReceived = false;
    this.haveIrs = false;
    this.closeAfterEstablished = false;
    // "the retransmission queue should be flushed": the next SYN,ACK starts a fresh RFC 6298 timer
    // (initial RTO, no backoff, full retry budget), as for a new connection.
    this.retries = 0;
    this.rtt.backoff = 0;
    this.synRetransmitted = false;
    this.synRule = '';
    this.rttTimedEnd = undefined;
    this.setState('LISTEN', rule);
  }

  private flushQueues(): void {
    this.sendBuffer.clear();
    this.receiveBuffer.clear();
    this.reassembler.clear();
    this.controlQueue.length = 0;
    if (this.rackTimerAt !== undefined) this.setRackTimerAt(undefined, T_FLUSH);
    if (this.tlpAt !== undefined) this.setTlpAt(undefined, T_FLUSH);
    if (this.delAckAt !== undefined) this.setDelAckAt(undefined, T_FLUSH);
    this.finQueued = false;
    this.scoreboard.clear();
    this.renoSacked = 0;
    this.inRecovery = false;
  }

  private selectIss(now: number): void {
    if (this.fixedIss !== undefined) this.iss = this.fixedIss >>> 0;
    else if (this.isnKey !== undefined) this.iss = rfc6528Isn(this.isnKey, this.tuple, now);
    else throw new Error('Connection needs an isnKey or a fixed iss');
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1); // the SYN occupies ISS
    this.sndBufSeq = seqAdd(this.iss, 1);
    this.sndUp = this.iss;
  }

  /** RFC 9293 §3.7.1 / RFC 6691: SendMSS = min(peer's MSS option or 536, what our path carries). */
  private applyPeerMss(options: TcpOptions, now: number): void {
    const peer = options.mss !== undefined && options.mss > 0 ? options.mss : DEFAULT_PEER_MSS;
    this.sndMss = Math.max(1, Math.min(peer, this.pathMss));
    // RFC 5681 §3.1 / RFC 6928 §2: IW is counted in SMSS-sized segments, and SMSS is known only now.
    // If our SYN was lost, "the initial window ... MUST be one segment" (RFC 5681 §3.1).
    // ssthresh stays "arbitrarily high": only the window starts at one segment.
    const config = this.synRetransmitted ? { ...this.config, initialWindowSegments: 1 } : this.config;
    const cwnd = this.cc.cwnd;
    const ssthresh = this.cc.ssthresh;
    this.cc = this.makeCc(this.sndMss - (this.tsOk ? 12 : 0), config);
    if (this.onTrace !== undefined) this.traceCongestion('window', cwnd, ssthresh, this.synRetransmitted ? C_IW_ONE : C_IW);
    void now;
  }

  /** Text and FIN that arrive with a SYN wait until ESTABLISHED (RFC 9293 §3.10.7.2, §3.10.7.3). */
  private holdForLater(seq: number, payload: Uint8Array, fin: boolean): void {
    const room = this.freeWindow();
    const data = payload.length > room ? payload.subarray(0, room) : payload;
    if (data.length > 0) this.reassembler.insert(seq, data);
    if (fin && data.length === payload.length) this.reassembler.finSeq = seqAdd(seq, data.length);
  }

  /**
   * RFC 1122 §4.2.3.2 / RFC 5681 §4.2 delayed ACK: acknowledge in-order data within `ackDelay` ms, and
   * at once when more than one full-sized segment is unacknowledged (every second segment).
   */
  private deferAck(now: number, rule: string): void {
    if (this.config.ackDelay <= 0 || seqDiff(this.rcvNxt, this.lastAckSent) > this.rcvMssSeen || this.ackNow) {
      this.requestAck(rule);
      return;
    }
    this.ackRule = rule;
    if (this.delAckAt === undefined) this.setDelAckAt(now + this.config.ackDelay, T_DELACK_START);
  }

  private requestAck(rule: string): void {
    this.ackNow = true;
    this.ackRule = rule;
  }

  private queueControl(seg: TcpSegment, rule: string): void {
    this.controlQueue.push({ seg, rule });
  }

  /** RFC 5961 §7: challenge ACKs, at most `challengeAckLimit` per second. */
  private challengeAck(now: number, rule: string): void {
    if (now - this.challengeWindowStart >= 1000) {
      this.challengeWindowStart = now;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= this.config.challengeAckLimit) {
      this.stats.challengeAcksSuppressed++;
      return;
    }
    this.challengeCount++;
    this.stats.challengeAcks++;
    this.requestAck(rule);
  }

  // ───────────────────────────── trace points ─────────────────────────────
  // Each setter stores a timer's deadline and, only while traced, reports the change with the rule
  // its caller passes (a constant next to the code that decides).

  private setRtoAt(at: number | undefined, rule: string): void {
    if (this.onTrace !== undefined) this.traceTimer('retransmit', this.rtoAt, at, rule);
    this.rtoAt = at;
  }

  private setTimeWaitAt(at: number | undefined, rule: string): void {
    if (this.onTrace !== undefined) this.traceTimer('time-wait', this.timeWaitAt, at, rule);
    this.timeWaitAt = at;
  }

  private setPersistAt(at: number | undefined, rule: string): void {
    if (this.onTrace !== undefined) this.traceTimer('persist', this.persistAt, at, rule);
    this.persistAt = at;
  }

  private setDelAckAt(at: number | undefined, rule: string): void {
    if (this.onTrace !== undefined) this.traceTimer('delayed-ack', this.delAckAt, at, rule);
    this.delAckAt = at;
  }

  private setRackTimerAt(at: number | undefined, rule: string): void {
    if (this.onTrace !== undefined) this.traceTimer('rack-reorder', this.rackTimerAt, at, rule);
    this.rackTimerAt = at;
  }

  private setTlpAt(at: number | undefined, rule: string): void {
    if (this.onTrace !== undefined) this.traceTimer('tlp', this.tlpAt, at, rule);
    this.tlpAt = at;
  }

  private traceTimer(timer: TimerKind, prev: number | undefined, next: number | undefined, rule: string): void {
    if (prev === next) return;
    let ev: ConnectionTraceEvent;
    if (next === undefined) ev = { type: 'timer', timer, action: 'cancel', at: prev!, rule };
    else if (prev === undefined) ev = { type: 'timer', timer, action: 'set', at: next, rule };
    else ev = { type: 'timer', timer, action: 'rearm', at: next, previous: prev, rule };
    this.onTrace!(ev, this);
  }

  private traceFire(timer: TimerKind, at: number, rule: string): void {
    this.onTrace!({ type: 'timer', timer, action: 'fire', at, rule }, this);
  }

  /**
   * The keep-alive and user-timeout deadlines are derived from other state (the last segment
   * received, the oldest unacknowledged send); their changes are traced when the deadlines are
   * polled, against the values traced last.
   */
  private traceDerivedTimers(keepAlive: number | undefined, user: number | undefined): void {
    const k = this.tracedKeepAlive;
    if (k !== keepAlive) {
      this.traceTimer('keepalive', k, keepAlive, keepAlive === undefined ? T_KEEPALIVE_OFF : k === undefined ? T_KEEPALIVE_SET : T_KEEPALIVE_MOVE);
      this.tracedKeepAlive = keepAlive;
    }
    const u = this.tracedUserTimeout;
    if (u !== user) {
      this.traceTimer('user-timeout', u, user, user === undefined ? T_USER_OFF : u === undefined ? T_USER_SET : T_USER_MOVE);
      this.tracedUserTimeout = user;
    }
  }

  /**
   * A congestion event: `prevCwnd`/`prevSsthresh` from before the change, the rest read now. A
   * 'window' event that changed nothing is skipped unless `force` (a Packet Too Big, which must not
   * change the window, says so).
   */
  private traceCongestion(change: CongestionChange, prevCwnd: number, prevSsthresh: number, rule: string, force = false): void {
    const cc = this.cc;
    if ((change === 'window' || change === 'growth') && !force && cc.cwnd === prevCwnd && cc.ssthresh === prevSsthresh) return;
    this.onTrace!(
      {
        type: 'congestion',
        change,
        algorithm: cc.name,
        cwnd: cc.cwnd,
        ssthresh: cc.ssthresh,
        prevCwnd,
        prevSsthresh,
        // (After a lost SYN, afterRto holds too, but there is no data to recover.)
        inRecovery: change === 'recovery-enter' || ((change === 'window' || change === 'growth') && (this.inRecovery || (this.afterRto && this.sndUna !== this.iss))),
        rule,
      },
      this,
    );
  }

  private traceDrop(segment: TcpSegment, reason: EngineDropReason, rule: string): void {
    this.onTrace!({ type: 'drop', reason, segment, rule }, this);
  }

  /** Highest sequence number sent so far (for invariants and tests). */
  get sndMax(): number {
    return seqMax(this.sndNxt, this.sndUna);
  }
}
