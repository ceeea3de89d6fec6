/**
 * Links: the {@link LinkPort} abstraction and the simulated network that implements it.
 *
 * @module
 */

export type { LinkPort } from './types.js';
export * from './sim/index.js';
