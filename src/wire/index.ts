/** The wire layer: bytes ↔ typed IPv4 and TCP headers. */
export * from './types.js';
export * from './checksum.js';
export * from './ipv4.js';
export * from './tcp.js';
export * from './packet.js';
