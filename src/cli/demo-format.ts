import type { DemoDetail, DemoRun, TimelineEvent } from './demo-scenarios.js';
import { layoutDiagram, type LayoutOptions } from '../trace/diagram-layout.js';
import { renderText, type TextOptions } from '../trace/diagram-text.js';
import { renderSvg } from '../trace/diagram-svg.js';

/** Options of {@link formatDemo}. */
export interface FormatOptions {
  /** Follow each line with the RFC rule that produced it. */
  explain?: boolean;
  /**
   * Every engine detail of the run's timeline: timers set, re-armed and cancelled too. Without it,
   * a trace shows timers that fired, congestion events and segments the engine discarded.
   */
  verbose?: boolean;
}

/** Whether a line of the timeline is shown: segments and states always; engine details as {@link FormatOptions.verbose} says. */
export function shownInTrace(ev: TimelineEvent, verbose = false): boolean {
  if (verbose) return true;
  if (ev.type === 'congestion') return ev.change !== 'growth';
  if (ev.type !== 'timer') return true;
  return ev.action === 'fire';
}

const TIMER_WORDS: Record<Extract<DemoDetail, { type: 'timer' }>['action'], string> = {
  set: 'set',
  rearm: 're-armed',
  cancel: 'cancelled',
  fire: 'fired',
};

function bytes(n: number): string {
  return n === Infinity ? '∞' : `${n}`;
}

function time(t: number): string {
  return `${t.toFixed(3).padStart(10)} ms`;
}

function num(abs: number, rel: number | undefined): string {
  return rel === undefined ? `${abs}` : `${abs} (${rel})`;
}

/** One human-readable line per event: time, host, then the state change, the segment or the engine detail. */
export function formatEvent(ev: TimelineEvent): string {
  const head = `${time(ev.t)}  ${ev.host.padEnd(6)}`;
  switch (ev.type) {
    case 'timer': {
      // The deadline: where a set or re-armed timer now points, which one a cancel stopped; a timer
      // that fires does so at its deadline, the line's own time.
      const ms = (x: number): string => `${x.toFixed(3)} ms`;
      let when = '';
      if (ev.action === 'set') when = ` → ${ms(ev.at)}`;
      else if (ev.action === 'rearm') when = ` → ${ms(ev.at)}${ev.previous !== undefined ? ` (was ${ms(ev.previous)})` : ''}`;
      else if (ev.action === 'cancel') when = ` (was due ${ms(ev.at)})`;
      return `${head}  timer ${ev.timer} ${TIMER_WORDS[ev.action]}${when}`;
    }
    case 'congestion': {
      const what = ev.change === 'recovery-enter' ? 'recovery entered' : ev.change === 'recovery-exit' ? 'recovery ended' : ev.change;
      const cwnd = ev.cwnd === ev.prevCwnd ? `cwnd=${ev.cwnd}` : `cwnd ${ev.prevCwnd} → ${ev.cwnd}`;
      const ssthresh = ev.ssthresh === ev.prevSsthresh ? `ssthresh=${bytes(ev.ssthresh)}` : `ssthresh ${bytes(ev.prevSsthresh)} → ${bytes(ev.ssthresh)}`;
      return `${head}  cc    ${what}  ${cwnd}  ${ssthresh}  (${ev.algorithm})`;
    }
    case 'drop':
      return `${head}  drop  ${ev.reason}  ${ev.detail}`;
    case 'state':
      return `${head}  state ${ev.from} → ${ev.to}`;
    case 'error':
      return `${head}  error ${ev.code}`;
    default: {
      const verb = ev.type === 'lost' ? 'LOST' : ev.type;
      const ack = ev.flags.split(',').includes('ACK') ? `  ack=${num(ev.ack, ev.relAck)}` : '';
      return `${head}  ${verb.padEnd(5)} ${ev.flags.padEnd(8)} seq=${num(ev.seq, ev.relSeq)}${ack}  len=${ev.len}  win=${ev.win}`;
    }
  }
}

/** The whole trace as text, with a header naming the scenario. */
export function formatDemo(run: DemoRun, options: FormatOptions = {}): string {
  const lines = [
    `synack demo ${run.scenario}: ${run.title}`,
    `client 10.0.0.1 <-> server 10.0.0.2, one-way latency 10 ms; seq/ack shown as absolute (relative to ISN)`,
    '',
  ];
  for (const ev of run.timeline ?? run.events) {
    if (!shownInTrace(ev, options.verbose)) continue;
    lines.push(formatEvent(ev));
    if (options.explain && 'rule' in ev && ev.rule) lines.push(`${' '.repeat(23)}↳ ${ev.rule}`);
  }
  return lines.join('\n');
}

/**
 * The trace as JSON lines: one object per event (the timeline's, when the run has one, filtered
 * like the text trace; an ssthresh of Infinity is written as null).
 */
export function demoJsonLines(run: DemoRun, options: { verbose?: boolean } = {}): string {
  return (run.timeline ?? run.events)
    .filter((ev) => shownInTrace(ev, options.verbose))
    .map((ev) => JSON.stringify(ev))
    .join('\n');
}

/** Options of {@link formatDiagram}. */
export interface DiagramFormatOptions extends LayoutOptions, TextOptions {}

/** The run as a text sequence diagram (see `src/trace/diagram-text.ts`). */
export function formatDiagram(run: DemoRun, options: DiagramFormatOptions = {}): string {
  return renderText(layoutDiagram(run, options), options);
}

/** The run as a standalone SVG sequence diagram (see `src/trace/diagram-svg.ts`). */
export function diagramSvg(run: DemoRun, options: LayoutOptions = {}): string {
  return renderSvg(layoutDiagram(run, options));
}
