export { TunLink, TunError, TUN_ATTACH_PY } from './tun-link.js';
export type { TunOpenOptions, TunCounters } from './tun-link.js';
