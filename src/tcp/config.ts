import type { CongestionControlName } from './cc/index.js';

/** Tunables of one connection. Defaults follow Linux where the RFCs leave a choice. */
export interface TcpConfig {
  /** Bytes the application may queue for sending (SEND blocks beyond this). */
  sendBufferSize: number;
  /** Receive buffer; the advertised window is its free space (RFC 9293 §3.8.6). */
  receiveBufferSize: number;
  /** Maximum segment lifetime; TIME-WAIT lasts 2×MSL (RFC 9293 §3.4.2). Linux: 60 s TIME-WAIT. */
  msl: number;
  /** RFC 6298 §2 (2.1): initial RTO 1 s. */
  initialRto: number;
  /** RFC 6298 §2 (2.4) allows a lower bound below 1 s; Linux uses 200 ms. */
  minRto: number;
  /** RFC 6298 §2 (2.5): an upper bound of at least 60 s. Linux: 120 s. */
  maxRto: number;
  /** Retransmissions of a SYN before giving up with ETIMEDOUT (Linux tcp_syn_retries = 6). */
  synRetries: number;
  /** Retransmissions of a SYN,ACK before the embryonic connection is dropped (Linux: 5). */
  synAckRetries: number;
  /** Retransmissions of data/FIN before aborting with ETIMEDOUT (Linux tcp_retries2 = 15). */
  dataRetries: number;
  /**
   * RFC 1337 §3 TIME-WAIT assassination fix: ignore RSTs in TIME-WAIT. Off by default, as on Linux
   * (net.ipv4.tcp_rfc1337 = 0), where a RST ends TIME-WAIT per RFC 9293 §3.10.7.4.
   */
  rfc1337: boolean;
  /** RFC 5961 §7: at most this many challenge ACKs per second per connection. */
  challengeAckLimit: number;
  /** Initial congestion window in segments (RFC 6928). */
  initialWindowSegments: number;
  /** Longest interval between zero-window probes (RFC 1122 §4.2.2.17 persist timer backoff cap). */
  maxPersistInterval: number;
  /** Offer and use window scaling (RFC 7323 §2). */
  windowScaling: boolean;
  /** Offer and use timestamps for RTT measurement and PAWS (RFC 7323 §3–§5). */
  timestamps: boolean;
  /** Offer and use selective acknowledgments (RFC 2018) with RFC 6675 recovery. */
  sack: boolean;
  /** Longest delay of an ACK for in-order data, in ms (RFC 1122 §4.2.3.2; Linux: 40). 0 ACKs every segment. */
  ackDelay: number;
  /** Nagle's algorithm (RFC 9293 §3.7.4): hold small segments while data is unacknowledged. */
  nagle: boolean;
  /** Congestion controller (RFC 9438 CUBIC by default, as on Linux). */
  congestionControl: CongestionControlName;
  /** Keepalive probes (RFC 9293 §3.8.4): off by default. */
  keepAlive: boolean;
  /** Idle time before the first keepalive probe (ms; Linux tcp_keepalive_time 7200 s). */
  keepAliveIdle: number;
  /** Interval between unanswered probes (ms; Linux 75 s). */
  keepAliveInterval: number;
  /** Unanswered probes before the connection is dropped with ETIMEDOUT (Linux 9). */
  keepAliveProbes: number;
  /** Abort with ETIMEDOUT when sent data stays unacknowledged this long (ms; 0 = off; RFC 5482). */
  userTimeout: number;
  /** RACK-TLP time-based loss detection and tail loss probes (RFC 8985). */
  rack: boolean;
}

export const DEFAULT_TCP_CONFIG: Readonly<TcpConfig> = Object.freeze({
  sendBufferSize: 4 * 1024 * 1024,
  receiveBufferSize: 4 * 1024 * 1024,
  msl: 30_000,
  initialRto: 1000,
  minRto: 200,
  maxRto: 120_000,
  synRetries: 6,
  synAckRetries: 5,
  dataRetries: 15,
  rfc1337: false,
  challengeAckLimit: 10,
  initialWindowSegments: 10,
  maxPersistInterval: 60_000,
  windowScaling: true,
  timestamps: true,
  sack: true,
  ackDelay: 40,
  nagle: true,
  congestionControl: 'cubic',
  keepAlive: false,
  keepAliveIdle: 7_200_000,
  keepAliveInterval: 75_000,
  keepAliveProbes: 9,
  userTimeout: 0,
  rack: true,
});

/**
 * RFC 9293 alone: no options beyond MSS, no delayed ACK or Nagle, RFC 5681 Reno, a 64 KiB buffer.
 * The engine's §3.10 tests run with this, so that each expected segment is the RFC's.
 */
export const PLAIN_RFC9293: Readonly<Partial<TcpConfig>> = Object.freeze({
  receiveBufferSize: 65535,
  sendBufferSize: 256 * 1024,
  windowScaling: false,
  timestamps: false,
  sack: false,
  ackDelay: 0,
  nagle: false,
  congestionControl: 'reno',
  rack: false,
});

/** Fill in defaults for any option not given. */
export function resolveConfig(partial?: Partial<TcpConfig>): TcpConfig {
  return { ...DEFAULT_TCP_CONFIG, ...partial };
}
