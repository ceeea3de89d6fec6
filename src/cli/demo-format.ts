import type { DemoEvent, DemoRun } from './demo-scenarios.js';
import { layoutDiagram, type LayoutOptions } from '../trace/diagram-layout.js';
import { renderText, type TextOptions } from '../trace/diagram-text.js';
import { renderSvg } from '../trace/diagram-svg.js';

/** Options of {@link formatDemo}. */
export interface FormatOptions {
  /** Follow each line with the RFC rule that produced it. */
  explain?: boolean;
}

function time(t: number): string {
  return `${t.toFixed(3).padStart(10)} ms`;
}

function num(abs: number, rel: number | undefined): string {
  return rel === undefined ? `${abs}` : `${abs} (${rel})`;
}

/** One human-readable line per event: time, host, then the state change or the segment. */
export function formatEvent(ev: DemoEvent): string {
  const head = `${time(ev.t)}  ${ev.host.padEnd(6)}`;
  switch (ev.type) {
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
  for (const ev of run.events) {
    lines.push(formatEvent(ev));
    if (options.explain && 'rule' in ev && ev.rule) lines.push(`${' '.repeat(23)}↳ ${ev.rule}`);
  }
  return lines.join('\n');
}

/** The trace as JSON lines: one object per event. */
export function demoJsonLines(run: DemoRun): string {
  return run.events.map((ev) => JSON.stringify(ev)).join('\n');
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
