import type { TcpConfig } from '../config.js';
import { RenoSlowStart, type CongestionControl } from '../congestion.js';

/** Names of the built-in congestion controllers. */
export type CongestionControlName = 'reno';

/** Make the named controller for a connection whose SMSS is `mss`. */
export function createCongestionControl(name: CongestionControlName, mss: number, config: TcpConfig): CongestionControl {
  switch (name) {
    case 'reno':
      return new RenoSlowStart(mss, config.initialWindowSegments);
  }
}
