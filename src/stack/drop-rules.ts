/**
 * The rules behind the packets a stack drops before any TCP connection sees them, for the `rule` of
 * its `drop` trace events (RFC, section, phrase, like the engine's). Each constant is used where the
 * stack drops; {@link parseDropRule} names the check a wire parser failed, by layer.
 *
 * @module
 */
import type { DropReason } from '../wire/types.js';

export const DROP_STACK_CLOSED = 'RFC 9293 §3.10.7.1 — the stack is closed: the packet is dropped, nothing answers';
export const DROP_NOT_FOR_US = 'RFC 1122 §3.2.1.3 — a datagram not destined for this host is silently discarded';
export const DROP_NOT_FOR_US6 = 'RFC 8200 §3 — the destination is not an address of this host: the packet is discarded';
export const DROP_UNSUPPORTED_PROTOCOL = 'RFC 1122 §3.2.2.1 — no handler for the IP protocol: the datagram is dropped (no Protocol Unreachable sent)';
export const DROP_BAD_PORT = 'RFC 9293 §3.1 — port 0 names no connection (reserved, RFC 6335 §6): the segment is dropped';
export const DROP_ACCEPT_QUEUE_FULL = 'RFC 4987 §3.2 — the accept queue is full: the SYN (or the handshake-completing ACK) is dropped, the peer retransmits';
export const DROP_SYN_QUEUE_FULL = 'RFC 4987 §2.2 — the SYN queue (backlog of half-open connections) is full: the SYN is dropped';
export const DROP_UDP_PORT_CLOSED = 'RFC 1122 §4.1.3.1 — no UDP endpoint on the port: ICMP Port Unreachable, datagram dropped';
export const DROP_NO_ROUTE = 'RFC 1122 §3.3.1 — no route to the destination: the datagram cannot be sent';
export const DROP_TTL_EXCEEDED = 'RFC 791 §3.2 — time to live exhausted in forwarding: the datagram is destroyed (RFC 8200 §3 Hop Limit)';
export const DROP_TOO_BIG = 'RFC 1191 §4 — larger than the next hop\'s MTU with Don\'t Fragment: dropped, Datagram Too Big sent back';
export const DROP_ICMP_RATE = 'RFC 1122 §3.2.2 — ICMP messages are rate-limited: over the limit, the message is not sent or answered';
export const DROP_ICMP_BAD_QUOTE = 'RFC 1122 §3.2.2 — an ICMP error must quote the offending datagram\'s header and 8 bytes: too short, dropped';
export const DROP_ICMP_UNHANDLED = 'RFC 1122 §3.2.2 — an ICMP message of a type not handled here is silently discarded';
export const DROP_ICMP_NO_CONNECTION = 'RFC 1122 §4.2.3.9 — the ICMP error quotes no connection of this host: ignored (RFC 5927 §4.1)';
export const DROP_ICMP_SOFT_UDP = 'RFC 1122 §4.1.3.3 — a soft ICMP error for UDP: not reported (there is no error queue to report it to)';

/**
 * The rule of a wire parser's check that failed: `layer` is where the parser ran ('ipv4', 'ipv6',
 * 'tcp', 'udp', 'icmp'), `reason` what it found.
 */
export function parseDropRule(layer: 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'icmp', reason: DropReason | string): string {
  switch (layer) {
    case 'ipv4':
      switch (reason) {
        case 'bad-ip-version':
          return 'RFC 1122 §3.2.1.1 — a datagram whose version number is not 4 is silently discarded';
        case 'bad-ip-checksum':
          return 'RFC 1122 §3.2.1.2 — bad IP header checksum: the datagram is silently discarded';
        case 'fragmented':
          return 'RFC 1122 §3.3.2 — a fragment: this stack does not reassemble, the fragment is dropped';
        default:
          return 'RFC 791 §3.1 — malformed IPv4 header (length fields, truncation): the datagram is discarded';
      }
    case 'ipv6':
      if (reason === 'bad-extension-header') return 'RFC 8200 §4 — malformed extension header chain: the packet is discarded';
      if (reason === 'fragmented') return 'RFC 8200 §4.5 — a fragment: this stack does not reassemble, the fragment is dropped';
      return 'RFC 8200 §3 — malformed IPv6 header (version, payload length): the packet is discarded';
    case 'tcp':
      if (reason === 'bad-checksum') return 'RFC 9293 §3.1 — bad TCP checksum: the segment is discarded';
      if (reason === 'bad-option-length' || reason === 'bad-option') {
        return 'RFC 9293 §3.1 — an option with an illegal length: the segment is discarded, without crashing';
      }
      return 'RFC 9293 §3.1 — malformed TCP header (data offset, truncation): the segment is discarded';
    case 'udp':
      if (reason === 'bad-checksum') return 'RFC 1122 §4.1.3.4 — UDP checksum non-zero and invalid: the datagram is silently discarded';
      return 'RFC 768 — malformed UDP header (length): the datagram is discarded';
    case 'icmp':
      if (reason === 'bad-checksum') return 'RFC 792 — bad ICMP checksum: the message is discarded';
      return 'RFC 1122 §3.2.2 — malformed ICMP message: discarded';
  }
}
