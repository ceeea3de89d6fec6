/**
 * Standalone SVG renderer of a {@link DiagramLayout}: one file, no scripts or external resources, that
 * any browser opens. Lifelines are vertical lines (dashed where nothing is in flight), states and
 * times are text, and each segment is a straight line with an arrowhead marker from its send point to
 * its receive point; a lost segment stops halfway at a red ✕.
 *
 * Elements carry classes for tests and styling: `lifeline`, `state`, `error`, `time`, `arrow`
 * (plus `delivered`, `lost` or `in-flight`), `label`.
 *
 * @module
 */

import { formatTime, initialStates, type DiagramLayout, type Side } from './diagram-layout.js';

/** Vertical pixels per layout line. */
const LINE_H = 20;
const TOP = 110;
const XC = 250;
const XS = 650;
const WIDTH = 900;

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const y = (line: number): number => TOP + line * LINE_H;
const xOf = (s: Side): number => (s === 'client' ? XC : XS);

/** Renders `layout` as an SVG document (a string, with its XML declaration). */
export function renderSvg(layout: DiagramLayout): string {
  const height = y(layout.lines) + 30;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="12">`,
    `<title>${xmlEscape(`synack demo ${layout.scenario}: ${layout.title}`)}</title>`,
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">' +
      '<path d="M0,0 L10,5 L0,10 z" fill="#1f4e9c"/></marker></defs>',
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="10" y="20" font-size="14" font-weight="bold">${xmlEscape(`synack demo ${layout.scenario}`)}</text>`,
    `<text x="10" y="38">${xmlEscape(layout.title)}</text>`,
    `<text x="10" y="54" fill="#555">${xmlEscape(`seq/ack ${layout.absolute ? 'absolute' : "relative to each side's ISN"}; one-way latency 10 ms; ✕ = lost`)}</text>`,
  ];
  const init = initialStates(layout);
  for (const side of ['client', 'server'] as const) {
    const h = layout.hosts[side];
    const x = xOf(side);
    out.push(`<text x="${x}" y="${TOP - 40}" text-anchor="middle" font-weight="bold">${xmlEscape(`${h.name} ${h.address}`)}</text>`);
    const first = init[side];
    if (first) out.push(stateText(side, TOP - 20, first, 'state'));
    // The lifeline: solid, with a dashed stretch over each idle gap.
    let from = TOP - 16;
    for (const gap of layout.gaps) {
      out.push(line(x, from, x, y(gap.line) - LINE_H / 2, 'lifeline'));
      out.push(line(x, y(gap.line) - LINE_H / 2, x, y(gap.line) + LINE_H / 2, 'lifeline idle', ' stroke-dasharray="3,3"'));
      from = y(gap.line) + LINE_H / 2;
    }
    out.push(line(x, from, x, y(layout.lines), 'lifeline'));
  }
  for (const r of layout.rows) out.push(`<text class="time" x="10" y="${y(r.line) + 4}" fill="#555">${xmlEscape(formatTime(r.t))}</text>`);
  for (const s of layout.states) out.push(stateText(s.side, y(s.line) + 4, s.text, s.kind));
  for (const a of layout.arrows) {
    const x0 = xOf(a.from);
    const x1 = xOf(a.from === 'client' ? 'server' : 'client');
    const y0 = y(a.startLine);
    const y1 = y(a.endLine);
    const full = a.fate === 'delivered';
    const xe = full ? x1 : (x0 + x1) / 2;
    const ye = full ? y1 : (y0 + y1) / 2;
    const attrs = full ? ' marker-end="url(#head)"' : ' stroke-dasharray="6,3"';
    out.push(`<g class="arrow ${a.fate}">`);
    out.push(line(x0, y0, xe, ye, 'segment', attrs, '#1f4e9c'));
    if (a.fate === 'lost') out.push(`<text x="${xe}" y="${ye + 5}" text-anchor="middle" fill="#c00" font-size="16">✕</text>`);
    // The label above the arrow, nearer its sender (so that crossing arrows keep theirs apart), tilted with it.
    const f = full ? 0.25 : 0.5;
    const lx = x0 + (xe - x0) * f;
    const ly = y0 + (ye - y0) * f;
    const angle = (Math.atan2(ye - y0, xe - x0) * 180) / Math.PI;
    const deg = Math.abs(angle) > 90 ? angle - 180 : angle;
    out.push(
      `<text class="label" x="${r2(lx)}" y="${r2(ly - 4)}" text-anchor="middle" transform="rotate(${r2(deg)} ${r2(lx)} ${r2(ly)})">${xmlEscape(a.label)}</text>`,
    );
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

const r2 = (n: number): number => Math.round(n * 100) / 100;

function line(x1: number, y1: number, x2: number, y2: number, cls: string, extra = '', stroke = '#333'): string {
  return `<line class="${cls}" x1="${r2(x1)}" y1="${r2(y1)}" x2="${r2(x2)}" y2="${r2(y2)}" stroke="${stroke}"${extra}/>`;
}

function stateText(side: Side, yy: number, text: string, kind: 'state' | 'error'): string {
  const x = side === 'client' ? XC - 8 : XS + 8;
  const anchor = side === 'client' ? 'end' : 'start';
  const fill = kind === 'error' ? '#c00' : '#060';
  return `<text class="${kind}" x="${x}" y="${yy}" text-anchor="${anchor}" fill="${fill}" font-weight="bold">${xmlEscape(text)}</text>`;
}
