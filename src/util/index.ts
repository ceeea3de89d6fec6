/**
 * Small general-purpose utilities shared across synack.
 *
 * @module
 */

export { Prng } from './prng.js';
export { MinHeap, type HeapEntry } from './min-heap.js';
