/** The wire layer: bytes ↔ typed IPv4 and TCP headers. */
export * from './types.js';
export * from './checksum.js';
export * from './ipv4.js';
export * from './tcp.js';
export * from './packet.js';
export * from './ipv6.js';
export * from './udp.js';
export * from './icmp.js';
export * from './icmpv6.js';
export * from './tso.js';
