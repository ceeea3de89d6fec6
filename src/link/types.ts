/**
 * What a link offers a stack's network interface: a way to send an IP packet, and a way to be told of
 * packets that arrive. Simulated links, TUN devices and capture taps all speak this.
 */
export interface LinkPort {
  /** Largest IP packet this link carries, in bytes. */
  readonly mtu: number;
  /** Hand an IP packet to the link. The link owns `packet` afterwards (the sender must not reuse it). */
  send(packet: Uint8Array): void;
  /** Register the function that receives packets arriving from the link (one receiver per port). */
  setReceiver(receiver: (packet: Uint8Array) => void): void;
}
