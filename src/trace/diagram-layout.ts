/**
 * Sequence-diagram layout of a demo run, computed once and drawn by two renderers
 * (`diagram-text.ts`, `diagram-svg.ts`), in the style of RFC 9293 Figures 6, 7, 12 and 13.
 *
 * The vertical axis is counted in *lines*. Each distinct event time is a row of one or more lines
 * (a host that receives, changes state and sends at the same instant needs several); rows are
 * separated by {@link IN_FLIGHT_GAP} lines when segments are in flight across the gap (so arrows slope down with latency), or by one "idle" line otherwise (drawn dotted: time passes, nothing moves).
 * Each segment is an arrow from its send line on the sender's lifeline to its receive line on the
 * other; a lost segment stops halfway.
 *
 * @module
 */

import type { DemoEvent, DemoRun } from '../cli/demo-scenarios.js';

/** Left or right lifeline. */
export type Side = 'client' | 'server';

/** Options of {@link layoutDiagram}. */
export interface LayoutOptions {
  /** Label arrows with absolute sequence numbers instead of numbers relative to each side's ISN. */
  absolute?: boolean;
}

/** A row: all events at one virtual time. */
export interface LayoutRow {
  /** Virtual time, ms. */
  t: number;
  /** First line of the row. */
  line: number;
  /** Lines in the row (≥ 1). */
  height: number;
}

/** Text written beside a lifeline: a state entered, or an error reported to the application. */
export interface LayoutState {
  side: Side;
  line: number;
  kind: 'state' | 'error';
  /** The state entered (e.g. `SYN-SENT`) or the error code. */
  text: string;
  /** The state left (for `kind: 'state'`). */
  from?: string;
  t: number;
  rule?: string;
}

/** One segment. */
export interface LayoutArrow {
  /** The sender's side; the arrow goes towards the other. */
  from: Side;
  /** Line of the send. */
  startLine: number;
  /**
   * Line of the receive for delivered segments; for lost and unanswered ones, the line at which the
   * segment would have arrived had it been delivered (the renderers stop halfway).
   */
  endLine: number;
  fate: 'delivered' | 'lost' | 'in-flight';
  /** E.g. `SYN,ACK seq=0 ack=1 len=0`. */
  label: string;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  /** Send and (for delivered segments) receive times, ms. */
  sendT: number;
  recvT?: number;
  rule?: string;
}

/** A dotted stretch of both lifelines: no segment in flight between two rows. */
export interface LayoutGap {
  line: number;
  /** Time elapsed across the gap, ms. */
  dt: number;
}

/** Everything both renderers need. */
export interface DiagramLayout {
  scenario: string;
  title: string;
  hosts: Record<Side, { name: string; address: string }>;
  absolute: boolean;
  /** Total number of lines. */
  lines: number;
  rows: LayoutRow[];
  states: LayoutState[];
  arrows: LayoutArrow[];
  gaps: LayoutGap[];
}

/** Lines between two rows while a segment is in flight between them. */
export const IN_FLIGHT_GAP = 4;

type Seg = Extract<DemoEvent, { flags: string }>;

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const sideOf = (host: string): Side => (host === 'server' ? 'server' : 'client');
const key = (sender: Side, e: Seg): string => `${sender} ${e.flags} ${e.seq} ${e.ack} ${e.len}`;

/** The arrow label: flags, seq, ack (when the ACK bit is set) and length. */
export function segmentLabel(e: Seg, absolute: boolean): string {
  const seq = absolute || e.relSeq === undefined ? e.seq : e.relSeq;
  const hasAck = e.flags.split(',').includes('ACK');
  const ack = absolute || e.relAck === undefined ? e.ack : e.relAck;
  return `${e.flags} seq=${seq}${hasAck ? ` ack=${ack}` : ''} len=${e.len}`;
}

/** Queues keyed by (sender, flags, seq, ack, len): receives and losses matched to sends in order. */
class Matcher<T> {
  private readonly q = new Map<string, T[]>();
  push(k: string, v: T): void {
    const a = this.q.get(k);
    if (a) a.push(v);
    else this.q.set(k, [v]);
  }
  shift(k: string): T | undefined {
    return this.q.get(k)?.shift();
  }
}

/** Computes the layout of `run` (see the module comment). */
export function layoutDiagram(run: DemoRun, options: LayoutOptions = {}): DiagramLayout {
  const absolute = options.absolute === true;
  // 1. Rows: per time, place each event on a line of the row; a host's events keep their order.
  const times = [...new Set(run.events.map((e) => e.t))].sort((a, b) => a - b);
  const rowOf = new Map(times.map((t, i) => [t, i]));
  const placed = new Map<DemoEvent, { row: number; sub: number }>();
  const heights = times.map(() => 1);
  // A line holds at most one arrow end and one state per host; a state entered after a send goes
  // below it (the segment left in the earlier state).
  const cursor = new Map<string, { row: number; sub: number; arrow: boolean; sent: boolean; state: boolean }>();
  for (const e of run.events) {
    if (e.type === 'lost') continue; // drawn on its send's line
    const row = rowOf.get(e.t)!;
    let c = cursor.get(e.host);
    if (c === undefined || c.row !== row) c = { row, sub: 0, arrow: false, sent: false, state: false };
    const isArrow = e.type === 'send' || e.type === 'recv';
    if (isArrow ? c.arrow : c.state || c.sent) c = { row, sub: c.sub + 1, arrow: false, sent: false, state: false };
    if (isArrow) c.arrow = true;
    else c.state = true;
    if (e.type === 'send') c.sent = true;
    cursor.set(e.host, c);
    placed.set(e, { row, sub: c.sub });
    heights[row] = Math.max(heights[row]!, c.sub + 1);
  }

  // 2. Match sends to receives and losses; decide which gaps have segments in flight.
  const recvs = new Matcher<Seg>();
  const losses = new Matcher<Seg>();
  for (const e of run.events) {
    if (e.type === 'recv') recvs.push(key(other(sideOf(e.host)), e), e);
    if (e.type === 'lost') losses.push(key(sideOf(e.host), e), e);
  }
  const sends = run.events.filter((e): e is Seg => e.type === 'send');
  const busy = times.map(() => 0); // busy[i]: segments in flight between row i and i+1
  const matched = sends.map((s) => {
    const k = key(sideOf(s.host), s);
    const lost = losses.shift(k);
    const recv = lost === undefined ? recvs.shift(k) : undefined;
    const r0 = rowOf.get(s.t)!;
    const r1 = recv !== undefined ? rowOf.get(recv.t)! : r0 + 1;
    for (let i = r0; i < Math.min(r1, times.length - 1); i++) busy[i]!++;
    return { s, recv, fate: (lost ? 'lost' : recv ? 'delivered' : 'in-flight') as LayoutArrow['fate'] };
  });

  // 3. Lines.
  const rows: LayoutRow[] = [];
  const gaps: LayoutGap[] = [];
  let line = 0;
  times.forEach((t, i) => {
    rows.push({ t, line, height: heights[i]! });
    line += heights[i]!;
    if (i === times.length - 1 && !busy[i]) return;
    if (busy[i]) line += IN_FLIGHT_GAP;
    else gaps.push({ line: line++, dt: times[i + 1]! - t });
  });
  const lines = line;
  const lineOf = (e: DemoEvent): number => {
    const p = placed.get(e)!;
    return rows[p.row]!.line + p.sub;
  };

  // A lost (or unanswered) segment sent with others at the same instant is drawn parallel to them:
  // the span of a delivered one from the same burst, so that it does not cross their arrows.
  const burstSpan = new Map<string, number>();
  for (const { s, recv } of matched) {
    const k = `${s.host} ${s.t}`;
    if (recv !== undefined && !burstSpan.has(k)) burstSpan.set(k, lineOf(recv) - lineOf(s));
  }
  const arrows: LayoutArrow[] = matched.map(({ s, recv, fate }) => {
    const startLine = lineOf(s);
    const r0 = rowOf.get(s.t)!;
    const span = burstSpan.get(`${s.host} ${s.t}`);
    const endLine =
      recv !== undefined
        ? lineOf(recv)
        : span !== undefined
          ? startLine + span
          : r0 + 1 < rows.length
            ? rows[r0 + 1]!.line
            : startLine + IN_FLIGHT_GAP + 1;
    return {
      from: sideOf(s.host),
      startLine,
      endLine: Math.max(endLine, startLine + 1),
      fate,
      label: segmentLabel(s, absolute),
      flags: s.flags,
      seq: s.seq,
      ack: s.ack,
      len: s.len,
      sendT: s.t,
      ...(recv !== undefined ? { recvT: recv.t } : {}),
      ...(s.rule !== undefined ? { rule: s.rule } : {}),
    };
  });
  const states: LayoutState[] = [];
  for (const e of run.events) {
    if (e.type === 'state') states.push({ side: sideOf(e.host), line: lineOf(e), kind: 'state', text: e.to, from: e.from, t: e.t, rule: e.rule });
    else if (e.type === 'error') states.push({ side: sideOf(e.host), line: lineOf(e), kind: 'error', text: e.code, t: e.t });
  }
  return {
    scenario: run.scenario,
    title: run.title,
    hosts: { client: { name: 'client', address: '10.0.0.1' }, server: { name: 'server', address: '10.0.0.2' } },
    absolute,
    lines: Math.max(lines, ...arrows.map((a) => a.endLine + 1)),
    rows,
    states,
    arrows,
    gaps,
  };
}

/** `1020 ms`, `0.5 ms`: virtual time for the time column. */
export function formatTime(t: number): string {
  return `${Number.isInteger(t) ? t : Number(t.toFixed(3))} ms`;
}

/** The initial state of each side, if known (the `from` of its first transition). */
export function initialStates(layout: DiagramLayout): Partial<Record<Side, string>> {
  const out: Partial<Record<Side, string>> = {};
  for (const s of layout.states) if (s.kind === 'state' && out[s.side] === undefined && s.from) out[s.side] = s.from;
  return out;
}
