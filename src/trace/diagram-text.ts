/**
 * Terminal renderer of a {@link DiagramLayout}: Unicode box drawing (or plain ASCII), at most
 * {@link TEXT_WIDTH} columns. Columns: time, the client's states, the client's lifeline, the arrow
 * area, the server's lifeline, the server's states. Arrows are staircases that slope down from the
 * send line to the receive line; two arrows crossing meet in `┼`.
 *
 * @module
 */

import { formatTime, initialStates, type DiagramLayout, type LayoutArrow, type Side } from './diagram-layout.js';

/** Options of {@link renderText}. */
export interface TextOptions {
  /** Plain ASCII instead of box drawing (and every other non-ASCII character transliterated). */
  ascii?: boolean;
  /** Follow each line that starts an arrow or enters a state with the RFC rule(s) behind it. */
  explain?: boolean;
}

/** Maximum width of every rendered line. */
export const TEXT_WIDTH = 80;
const TIME_W = 9;
const STATE_W = 12;
/** Column of the client's lifeline. */
const X0 = TIME_W + 1 + STATE_W + 1;
/** Cells between the lifelines. */
const AREA = 42;
/** Column of the server's lifeline. */
const X1 = X0 + 1 + AREA;

/** Box-drawing characters and their ASCII fallbacks (also used for titles and rules). */
const ASCII: Record<string, string> = {
  '─': '-', '│': '|', '├': '+', '┤': '+', '╮': '.', '╭': '.', '╰': "'", '╯': "'", '▶': '>', '◀': '<',
  '✕': 'x', '┊': ':', '┼': '+', '┬': '+', '┴': '+', '…': '~', '↳': '->', '→': '->', '←': '<-', '§': 'S',
  '×': 'x', '—': '--', '–': '-', '≥': '>=', '≤': '<=', '·': '.', '“': '"', '”': '"', '’': "'",
};

/** Replaces every non-ASCII character (see {@link ASCII}; anything else becomes `?`). */
export function asciify(s: string): string {
  return s.replace(/[^\x00-\x7f]/g, (c) => ASCII[c] ?? '?');
}

const LINE_CHARS = new Set(['─', '│', '╮', '╭', '╰', '╯', '┼']);

/** A mutable grid of lines × {@link TEXT_WIDTH} cells. */
class Grid {
  readonly cells: string[][];
  constructor(lines: number) {
    this.cells = Array.from({ length: lines }, () => new Array<string>(TEXT_WIDTH).fill(' '));
  }
  get(line: number, col: number): string {
    return this.cells[line]?.[col] ?? ' ';
  }
  /** Draws one arrow cell; a line drawn over another line becomes a crossing. */
  draw(line: number, col: number, ch: string): void {
    const old = this.get(line, col);
    this.cells[line]![col] = old !== ' ' && old !== ch && LINE_CHARS.has(old) && LINE_CHARS.has(ch) ? '┼' : ch;
  }
  write(line: number, col: number, text: string): void {
    [...text].forEach((ch, i) => {
      if (col + i < TEXT_WIDTH) this.cells[line]![col + i] = ch;
    });
  }
  free(line: number, from: number, to: number): boolean {
    for (let c = from; c < to; c++) if (this.get(line, c) !== ' ') return false;
    return true;
  }
  line(i: number): string {
    return this.cells[i]!.join('').trimEnd();
  }
}

/** Cell range `[s, e)` of the arrow area occupied by step `k` of `steps` (counted from the sender). */
function run(k: number, steps: number): [number, number] {
  const s = Math.floor((k * AREA) / (steps + 1));
  const e = Math.max(s + 1, Math.floor(((k + 1) * AREA) / (steps + 1)));
  return [s, Math.min(e, AREA)];
}

/** Column of arrow-area cell `c` counted from the sender of `a`. */
const col = (a: LayoutArrow, c: number): number => (a.from === 'client' ? X0 + 1 + c : X1 - 1 - c);

/** Draws `a` and returns, per line it touches, the columns `[lo, hi)` it occupies. */
function drawArrow(g: Grid, a: LayoutArrow): Map<number, [number, number]> {
  const right = a.from === 'client';
  const steps = a.endLine - a.startLine;
  const occupied = new Map<number, [number, number]>();
  g.cells[a.startLine]![right ? X0 : X1] = right ? '├' : '┤';
  for (let k = 0; k <= steps; k++) {
    const line = a.startLine + k;
    const [s, e] = run(k, steps);
    for (let c = s; c < e; c++) {
      const stop = a.fate !== 'delivered' && c >= AREA / 2 && !(k > 0 && c === s); // keep the corner
      let ch = '─';
      if (stop) ch = a.fate === 'lost' ? '✕' : '…';
      else if (k === steps && c === e - 1) ch = right ? '▶' : '◀';
      else if (k > 0 && c === s && k < steps && c === e - 1) ch = '│';
      else if (k > 0 && c === s) ch = right ? '╰' : '╯';
      else if (k < steps && c === e - 1) ch = right ? '╮' : '╭';
      g.draw(line, col(a, c), ch);
      const lo = Math.min(col(a, s), col(a, c));
      occupied.set(line, [lo, Math.max(col(a, s), col(a, c)) + 1]);
      if (stop) return occupied;
    }
  }
  return occupied;
}

/** Writes `a`'s label on the first line of its path where it fits beside the arrow. */
function placeLabel(g: Grid, a: LayoutArrow, occupied: Map<number, [number, number]>): void {
  const lines = [...occupied.keys()];
  const fits = (line: number, at: number, n: number): boolean => at > X0 && at + n < X1 && g.free(line, at - 1, at + n + 1);
  const beside = (text: string): boolean => {
    const n = [...text].length;
    for (const line of lines) {
      const [lo, hi] = occupied.get(line)!;
      for (const at of a.from === 'client' ? [hi + 1, lo - 1 - n] : [lo - 1 - n, hi + 1]) {
        if (fits(line, at, n)) {
          g.write(line, at, text);
          return true;
        }
      }
    }
    return false;
  };
  const text = a.label;
  if (beside(text)) return;
  // In a burst the arrows run close together: the short label (flags but ACK, and seq) fits more often.
  const short = shortLabel(a);
  if (short !== text && beside(short)) return;
  // Not beside it: anywhere free on one of its lines, nearest the sender first.
  for (const t of short !== text ? [text, short] : [text]) {
    const n = [...t].length;
    for (const line of lines) {
      for (let i = 0; i + n < AREA - 1; i++) {
        const at = a.from === 'client' ? X0 + 2 + i : X1 - 1 - n - i;
        if (fits(line, at, n)) return g.write(line, at, t);
      }
    }
  }
  const n = [...text].length;
  // No room at all: beside the sender's lifeline on the send line, over whatever is there.
  const line = a.startLine;
  const [lo, hi] = occupied.get(line)!;
  const at = a.from === 'client' ? Math.min(hi + 1, X1 - 1 - n) : Math.max(lo - 1 - n, X0 + 1);
  g.write(line, Math.max(at, X0 + 1), [...text].slice(0, AREA).join(''));
}

/** `seq=N` with the flags other than ACK (`FIN seq=N`), for arrows with little room. */
function shortLabel(a: LayoutArrow): string {
  const seq = /seq=(\d+)/.exec(a.label)?.[1] ?? String(a.seq);
  const flags = a.flags
    .split(',')
    .filter((f) => f !== 'ACK')
    .join(',');
  return `${flags !== '' ? `${flags} ` : ''}seq=${seq}`;
}

/** Greedy word wrap at `width` columns, continuation lines indented by `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lead = /^ */.exec(text)![0];
  const out: string[] = [];
  let cur = lead;
  for (const w of text.slice(lead.length).split(' ')) {
    const next = cur.trim() === '' ? cur + w : `${cur} ${w}`;
    if ([...next].length > width && cur.trim() !== '') {
      out.push(cur);
      cur = indent + w;
    } else cur = next;
  }
  out.push(cur);
  return out;
}

/** Renders `layout` as text lines joined by `\n` (no trailing newline). */
export function renderText(layout: DiagramLayout, options: TextOptions = {}): string {
  const g = new Grid(layout.lines);
  const lifeline = (line: number, ch: string): void => {
    g.cells[line]![X0] = ch;
    g.cells[line]![X1] = ch;
  };
  for (let i = 0; i < layout.lines; i++) lifeline(i, '│');
  for (const gap of layout.gaps) lifeline(gap.line, '┊');
  for (const r of layout.rows) g.write(r.line, 0, formatTime(r.t).padStart(TIME_W));
  // States (and errors) beside their lifeline: right-aligned on the client's side, left on the server's.
  for (const { side, line, text } of layout.states) g.write(line, side === 'client' ? X0 - 1 - [...text].length : X1 + 2, text);
  const paths = layout.arrows.map((a) => drawArrow(g, a));
  layout.arrows.forEach((a, i) => placeLabel(g, a, paths[i]!));

  /** A line with `left`/`right` beside the lifelines, or centred over them when `ch` is undefined. */
  const head = (left: string, right: string, ch?: string): string => {
    const row = new Array<string>(TEXT_WIDTH).fill(' ');
    const put = (at: number, t: string): void => [...t].forEach((c, i) => (row[at + i] = c));
    const half = (t: string): number => Math.floor([...t].length / 2);
    put(ch === undefined ? X0 - half(left) : X0 - [...left].length - 1, left);
    put(ch === undefined ? X1 - half(right) : X1 + 2, right);
    if (ch !== undefined) row[X0] = row[X1] = ch;
    return row.join('').trimEnd();
  };
  // Transliterate before wrapping, so that ASCII lines keep within the width too.
  const tr = (t: string): string => (options.ascii ? asciify(t) : t);
  const init = initialStates(layout);
  const { client, server } = layout.hosts;
  const out = [
    ...wrap(tr(`synack demo ${layout.scenario}: ${layout.title}`), TEXT_WIDTH, '  '),
    `seq/ack ${layout.absolute ? 'absolute' : "relative to each side's ISN"}; one-way latency 10 ms; ✕ = lost`,
    '',
    head(`${client.name} ${client.address}`, `${server.name} ${server.address}`),
    head(init.client ?? '', init.server ?? '', '┬'),
  ];
  const rules = new Map<number, string[]>();
  const addRule = (line: number, who: Side, what: string, rule: string | undefined): void => {
    if (!rule) return;
    const list = rules.get(line) ?? [];
    list.push(...wrap(tr(`      ↳ ${who} ${what}: ${rule}`), TEXT_WIDTH, '        '));
    rules.set(line, list);
  };
  if (options.explain) {
    // In line order; on one line, the state entered before the segment it sends.
    for (const s of layout.states) if (s.kind === 'state') addRule(s.line, s.side, s.text, s.rule);
    for (const a of layout.arrows) addRule(a.startLine, a.from, `sends ${a.flags}`, a.rule);
  }
  for (let i = 0; i < layout.lines; i++) out.push(g.line(i), ...(rules.get(i) ?? []));
  out.push(head('', '', '┴'));
  const text = out.join('\n');
  return options.ascii ? asciify(text) : text;
}
