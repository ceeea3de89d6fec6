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
