/**
 * The deterministic simulated network: virtual clock, seeded randomness and impaired links.
 * See `README.md` in this directory for the model.
 *
 * @module
 */

export {
  Simulation,
  SimRuntime,
  SimEvent,
  SimulationTimeoutError,
  type Cancel,
  type SimEventHandler,
  type SimulationOptions,
  type RunOptions,
  type AsyncRunOptions,
} from './simulation.js';
export {
  SimLink,
  SimLinkEnd,
  type LinkSide,
  type LinkParams,
  type SimLinkOptions,
  type LinkConfigureOptions,
  type BurstLoss,
  type LinkEvent,
  type PacketFate,
  type LinkCounters,
  type DropFilter,
} from './link.js';
export { Prng } from '../../util/prng.js';
