/**
 * The environment a stack runs in: a clock, one timer, and a source of randomness. The simulated
 * network provides a virtual one ({@link Simulation.runtime}); {@link realRuntime} uses the process's
 * monotonic clock and a single `setTimeout`.
 */
export interface Runtime {
  /** Current time in milliseconds (monotonic; any origin). */
  now(): number;
  /**
   * Arrange for `callback` to run once at (or just after) time `at`. Returns a function that cancels it.
   * A stack keeps at most one such timer pending: its own timer structure decides what is due.
   */
  setTimer(at: number, callback: () => void): () => void;
  /** `n` random bytes (cryptographically strong for real runtimes, seeded for simulations). */
  randomBytes(n: number): Uint8Array;
}

/** Options of {@link realRuntime}. */
export interface RealRuntimeOptions {
  /**
   * Do not let the stack's timer keep a Node process alive (`timeout.unref()`), so leftover TCP
   * timers (e.g. TIME-WAIT) cannot hold a command-line tool or a test open. Ignored where timers
   * have no `unref` (browsers).
   */
  unrefTimers?: boolean;
}

/**
 * The runtime of a real process (Node or a browser): `performance.now()` for the clock, one
 * `setTimeout` for the timer, and `crypto.getRandomValues` for randomness.
 */
export function realRuntime(options: RealRuntimeOptions = {}): Runtime {
  const unref = options.unrefTimers === true;
  return {
    now: () => performance.now(),
    setTimer(at: number, callback: () => void): () => void {
      const t = setTimeout(callback, Math.max(0, at - performance.now()));
      if (unref) (t as { unref?: () => void }).unref?.();
      return () => clearTimeout(t);
    },
    randomBytes(n: number): Uint8Array {
      return globalThis.crypto.getRandomValues(new Uint8Array(n));
    },
  };
}
