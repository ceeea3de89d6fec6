/**
 * Userspace impairments (loss, reordering, duplication) for real links: {@link ImpairedLink}.
 * Browser-safe (no Node imports).
 *
 * @module
 */

export {
  ImpairedLink,
  DEFAULT_REORDER_DELAY,
  type Impairments,
  type ImpairDirection,
  type ImpairedLinkOptions,
  type ImpairCounters,
} from './impaired-link.js';
