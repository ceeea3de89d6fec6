/**
 * What a link offers a stack's network interface: a way to send an IP packet, and a way to be told of
 * packets that arrive. Simulated links, TUN devices and capture taps all speak this.
 */
export interface LinkPort {
  /** Largest IP packet this link carries, in bytes. */
  readonly mtu: number;
  /** Hand an IP packet to the link. The link owns `packet` afterwards (the sender must not reuse it). */
  send(packet: Uint8Array): void;
  /**
   * Register the function that receives packets arriving from the link (one receiver per port). A link
   * may pass {@link LinkReceiveInfo} with a packet; links that wrap another (captures, impairments)
   * need not pass it on, and a receiver must treat its absence as "nothing known".
   */
  setReceiver(receiver: (packet: Uint8Array, info?: LinkReceiveInfo) => void): void;
  /**
   * Present when the link segments TCP itself (TSO, as a NIC or virtio-net device does): the stack may
   * then hand it one TCP segment of up to {@link TcpSegmentationOffload.maxPacket} bytes that the wire
   * carries as several segments of at most the MTU, and leave the TCP checksum to it. Links that wrap
   * another (captures, impairments) leave it out unless they handle such packets themselves.
   */
  readonly tcpOffload?: TcpSegmentationOffload;
}

/** A link's TCP segmentation and checksum offload: see {@link LinkPort.tcpOffload}. */
export interface TcpSegmentationOffload {
  /** Largest IP packet (header included) {@link sendTcp} takes; at most 65535. */
  readonly maxPacket: number;
  /**
   * Send the TCP segment whose IP header and TCP header (with options) are `headers` and whose data is
   * `payload`. `headers` is complete (IP lengths cover the whole packet, IPv4 header checksum set),
   * except that the TCP checksum field holds only the folded, uncomplemented sum of the pseudo-header
   * (with the whole segment's length), as with Linux's CHECKSUM_PARTIAL: the link completes it. When
   * `payload` is longer than `segmentSize`, the link sends it as consecutive segments of
   * `segmentSize` data bytes (the last may be shorter), each with a copy of the headers: sequence
   * numbers advanced, FIN and PSH only on the last, lengths and checksums recomputed, as Linux's
   * GSO does (`tcp_gso_segment`). The link owns `headers` afterwards; `payload` must stay unchanged
   * until the current turn of the event loop ends (the send buffer it is a view of never rewrites
   * bytes).
   */
  sendTcp(headers: Uint8Array, payload: Uint8Array, segmentSize: number): void;
}

/** What a link knows about a packet it delivers (all optional; absent means unknown). */
export interface LinkReceiveInfo {
  /**
   * The packet's TCP checksum is known to be correct: the link computed it itself over the bytes it
   * delivers (as with a virtio-net NEEDS_CSUM packet) or verified it. The stack then does not verify
   * it again. Only set for a packet whose TCP header directly follows the IP header.
   */
  checksumVerified?: boolean;
}
