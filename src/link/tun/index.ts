export { TunLink, TunError, TUN_ATTACH_PY } from './tun-link.js';
export type { TunOpenOptions, TunCounters, TunIoMode } from './tun-link.js';
