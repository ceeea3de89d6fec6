/**
 * Links: the {@link LinkPort} abstraction and the simulated network that implements it. The Linux TUN
 * link (Node only) is a separate entry point, `synack/tun`, so that browser bundles never import it.
 *
 * @module
 */

export type { LinkPort, LinkReceiveInfo, TcpSegmentationOffload } from './types.js';
export * from './sim/index.js';
