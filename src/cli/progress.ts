/**
 * A one-line progress bar for long CLI runs: percent done, simulated time and wall time. It draws
 * only on a TTY, at most every `minIntervalMs` of wall time (100 ms: ~10 redraws a second, however
 * often {@link ProgressBar.update} is called), and erases itself when done.
 *
 * @module
 */

/** The parts of a stream the bar uses (`process.stderr` fits). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link ProgressBar}. */
export interface ProgressOptions {
  /** Where to draw (default `process.stderr`). Nothing is drawn unless `stream.isTTY` is true. */
  stream?: ProgressStream;
  /** Total units of work (bytes); the bar shows `done / total`. */
  total: number;
  /** Text before the bar (default `transfer`). */
  label?: string;
  /** Least wall time between redraws, in ms (default 100). */
  minIntervalMs?: number;
  /** Wall clock in ms (default `performance.now`); for tests. */
  now?: () => number;
}

/** A throttled single-line progress bar; a no-op when its stream is not a TTY. */
export class ProgressBar {
  /** Whether anything will be drawn (the stream is a TTY). */
  readonly enabled: boolean;
  private readonly stream: ProgressStream;
  private readonly total: number;
  private readonly label: string;
  private readonly minInterval: number;
  private readonly now: () => number;
  private readonly startWall: number;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = this.stream.isTTY === true;
    this.total = Math.max(1, options.total);
    this.label = options.label ?? 'transfer';
    this.minInterval = options.minIntervalMs ?? 100;
    this.now = options.now ?? (() => performance.now());
    this.startWall = this.now();
  }

  /**
   * Report progress: `done` units of `total`, at simulated time `simMs` (ms). Cheap to call often:
   * it redraws only if the last redraw is at least `minIntervalMs` of wall time old.
   */
  update(done: number, simMs: number): void {
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.lastDraw < this.minInterval) return;
    this.lastDraw = t;
    this.draw(done, simMs, t);
  }

  /** Erase the bar (call before printing the summary). */
  finish(): void {
    if (!this.enabled || !this.drawn) return;
    this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** The line drawn for `done` units at simulated `simMs` and wall time `wallMs` since start (without control codes). */
  render(done: number, simMs: number, wallMs: number): string {
    const fraction = Math.min(1, Math.max(0, done / this.total));
    const pct = `${(fraction * 100).toFixed(1).padStart(5)}%`;
    const times = `sim ${formatSeconds(simMs / 1000)}  wall ${formatSeconds(wallMs / 1000)}`;
    const columns = this.stream.columns || 80;
    const fixed = this.label.length + pct.length + times.length + 6;
    const width = Math.max(10, Math.min(40, columns - fixed - 1));
    const filled = Math.round(fraction * width);
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}  ${times}`;
  }

  private draw(done: number, simMs: number, t: number): void {
    this.stream.write(`\r\x1b[2K${this.render(done, simMs, t - this.startWall)}`);
    this.drawn = true;
  }
}

function formatSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 100) return `${s.toFixed(1)} s`;
  return `${Math.round(s)} s`;
}
