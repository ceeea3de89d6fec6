/** Tunables of one connection. Defaults follow Linux where the RFCs leave a choice. */
export interface TcpConfig {
  /** Bytes the application may queue for sending (SEND blocks beyond this). */
  sendBufferSize: number;
  /** Receive buffer; the advertised window is its free space (RFC 9293 §3.8.6). */
  receiveBufferSize: number;
  /** Maximum segment lifetime; TIME-WAIT lasts 2×MSL (RFC 9293 §3.4.2). Linux: 60 s TIME-WAIT. */
  msl: number;
  /** RFC 6298 §2.1: initial RTO 1 s. */
  initialRto: number;
  /** RFC 6298 §2.4 allows a lower bound below 1 s; Linux uses 200 ms. */
  minRto: number;
  /** RFC 6298 §2.5: an upper bound of at least 60 s. Linux: 120 s. */
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
}

export const DEFAULT_TCP_CONFIG: Readonly<TcpConfig> = Object.freeze({
  sendBufferSize: 256 * 1024,
  receiveBufferSize: 65535,
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
});

/** Fill in defaults for any option not given. */
export function resolveConfig(partial?: Partial<TcpConfig>): TcpConfig {
  return { ...DEFAULT_TCP_CONFIG, ...partial };
}
