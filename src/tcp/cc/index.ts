import type { TcpConfig } from '../config.js';
import { RenoSlowStart, type CongestionControl } from '../congestion.js';
import { Cubic } from './cubic.js';
import { NewReno } from './newreno.js';

export { Cubic, CUBIC_ALPHA, CUBIC_BETA, CUBIC_C, type CubicOptions, type CubicState } from './cubic.js';
export { HYSTART, HyStartPlusPlus, type HyStartPhase, type HyStartStep } from './hystart.js';
export { NewReno, type NewRenoOptions } from './newreno.js';

/** Names of the built-in congestion controllers. */
export type CongestionControlName = 'reno' | 'newreno' | 'cubic';

/** Every built-in controller's name: 'reno' (RFC 5681 minimal), 'newreno' (RFC 5681/6582), 'cubic' (RFC 9438). */
export const CONGESTION_CONTROL_NAMES: readonly CongestionControlName[] = Object.freeze(['reno', 'newreno', 'cubic']);

/** Whether `name` names a built-in controller. */
export function isCongestionControlName(name: string): name is CongestionControlName {
  return (CONGESTION_CONTROL_NAMES as readonly string[]).includes(name);
}

/** Make the named controller for a connection whose SMSS is `mss`. */
export function createCongestionControl(name: CongestionControlName, mss: number, config: TcpConfig): CongestionControl {
  switch (name) {
    case 'reno':
      return new RenoSlowStart(mss, config.initialWindowSegments);
    case 'newreno':
      return new NewReno(mss, config.initialWindowSegments, { abcLimit: 2 }); // RFC 3465 §2.2: L = 2 SMSS, as delayed ACKs cover two segments
    case 'cubic':
      return new Cubic(mss, config.initialWindowSegments, { abcLimit: 2 });
    default: {
      const unknown: never = name;
      throw new RangeError(`unknown congestion control: ${String(unknown)}`);
    }
  }
}
