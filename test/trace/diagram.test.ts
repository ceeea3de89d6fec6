/**
 * The sequence-diagram layout and its two renderers (text and SVG). The stored expected text
 * renderings are checked in test/cli/demo.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCENARIOS, runDemo, type DemoRun } from '../../src/cli/demo-scenarios.js';
import { layoutDiagram } from '../../src/trace/diagram-layout.js';
import { TEXT_WIDTH, asciify, renderText } from '../../src/trace/diagram-text.js';
import { renderSvg } from '../../src/trace/diagram-svg.js';

/** An element of a parsed XML document. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

const ENTITY = /&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;

/** Checks that `s` contains no bare `<` or `&` (only the predefined and numeric entities). */
function checkChars(s: string, where: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '<') throw new Error(`bare < in ${where}`);
    if (s[i] === '&') {
      ENTITY.lastIndex = i;
      if (!ENTITY.test(s)) throw new Error(`bad entity in ${where}: ${s.slice(i, i + 10)}`);
    }
  }
  return s;
}

/**
 * A small well-formedness checker for the XML we produce (no DTD, no CDATA): an optional
 * declaration, comments, one root element, balanced tags, unique quoted attributes, valid entities.
 * Throws on the first error; returns the root element.
 */
function parseXml(doc: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skipMisc = (): void => {
    for (;;) {
      while (/\s/.test(doc[i] ?? '')) i++;
      if (doc.startsWith('<?', i)) i = doc.indexOf('?>', i) + 2;
      else if (doc.startsWith('<!--', i)) i = doc.indexOf('-->', i) + 3;
      else return;
      if (i < 2) throw new Error('unterminated declaration or comment');
    }
  };
  skipMisc();
  while (i < doc.length) {
    if (stack.length === 0 && root !== undefined) {
      skipMisc();
      if (i < doc.length) throw new Error(`content after the root element at ${i}`);
      break;
    }
    if (doc[i] !== '<') {
      const end = doc.indexOf('<', i);
      if (end < 0 || stack.length === 0) throw new Error(`text outside the root element at ${i}`);
      stack.at(-1)!.text += checkChars(doc.slice(i, end), 'text');
      i = end;
      continue;
    }
    if (doc.startsWith('<!--', i)) {
      i = doc.indexOf('-->', i) + 3;
      continue;
    }
    const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(doc.slice(i));
    if (close) {
      const open = stack.pop();
      if (open?.name !== close[1]) throw new Error(`</${close[1]}> closes <${open?.name}>`);
      i += close[0].length;
      continue;
    }
    const tag = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(doc.slice(i));
    if (!tag) throw new Error(`malformed tag at ${i}: ${doc.slice(i, i + 40)}`);
    const el: XmlElement = { name: tag[1]!, attrs: {}, text: '', children: [] };
    for (const m of tag[2]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (m[1]! in el.attrs) throw new Error(`duplicate attribute ${m[1]} on <${el.name}>`);
      el.attrs[m[1]!] = checkChars(m[2] ?? m[3]!, `attribute ${m[1]}`);
    }
    if (stack.length > 0) stack.at(-1)!.children.push(el);
    else if (root === undefined) root = el;
    else throw new Error('two root elements');
    if (tag[3] !== '/') stack.push(el);
    i += tag[0].length;
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is not closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every element under `el`, depth first. */
const all = (el: XmlElement): XmlElement[] => [el, ...el.children.flatMap(all)];
const hasClass = (el: XmlElement, c: string): boolean => (el.attrs.class ?? '').split(' ').includes(c);
const recvCount = (run: DemoRun): number => run.events.filter((e) => e.type === 'recv').length;

test('xml checker: accepts what it should and rejects broken documents', () => {
  assert.equal(parseXml('<?xml version="1.0"?>\n<a x="1"><b/>t &amp; u</a>\n').children.length, 1);
  for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&nope;</a>', '<a></a><b/>', '<a>', '<a x=1/>', '<a>1 < 2</a>']) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
});

test('layout: a row per event time, arrows from send line to receive line, states on their lines', () => {
  const run = runDemo('handshake');
  const layout = layoutDiagram(run);
  assert.deepEqual(
    layout.rows.map((r) => r.t),
    [0, 10, 20, 30],
  );
  assert.deepEqual(
    layout.arrows.map((a) => `${a.from} ${a.label} ${a.fate}`),
    ['client SYN seq=0 len=0 delivered', 'server SYN,ACK seq=0 ack=1 len=0 delivered', 'client ACK seq=1 ack=1 len=0 delivered'],
  );
  for (const a of layout.arrows) assert.ok(a.endLine > a.startLine, 'arrows slope down');
  assert.deepEqual(layout.arrows.map((a) => [a.sendT, a.recvT]), [[0, 10], [10, 20], [20, 30]]);
  const at = (t: number): number => layout.rows.find((r) => r.t === t)!.line;
  assert.equal(layout.arrows[0]!.startLine, at(0));
  assert.equal(layout.arrows[0]!.endLine, at(10));
  const est = layout.states.filter((s) => s.text === 'ESTABLISHED');
  assert.deepEqual(est.map((s) => [s.side, s.line]), [['client', at(20)], ['server', at(30)]]);
  const abs = layoutDiagram(run, { absolute: true });
  const syn = run.events.find((e) => e.type === 'send')!;
  assert.ok(abs.arrows[0]!.label.includes(`seq=${'seq' in syn ? syn.seq : ''}`));
});

test('layout: the lost SYN is an arrow that stops short; idle stretches are gaps', () => {
  const layout = layoutDiagram(runDemo('lost-syn'));
  assert.deepEqual(
    layout.arrows.map((a) => `${a.flags} ${a.fate}`),
    ['SYN lost', 'SYN delivered', 'SYN,ACK delivered', 'ACK delivered'],
  );
  const close = layoutDiagram(runDemo('close'));
  assert.ok(close.gaps.some((g) => g.dt === 60_000 - 10), 'TIME-WAIT shows as an idle gap');
});

test('text: every scenario fits 80 columns, in Unicode and ASCII, with and without --explain', () => {
  for (const name of Object.keys(SCENARIOS)) {
    const layout = layoutDiagram(runDemo(name), { absolute: true });
    for (const opts of [{}, { ascii: true }, { explain: true }, { explain: true, ascii: true }]) {
      const text = renderText(layout, opts);
      for (const line of text.split('\n')) assert.ok([...line].length <= TEXT_WIDTH, `${name} ${JSON.stringify(opts)}: ${line}`);
      if (opts.ascii) assert.match(text, /^[\x00-\x7f]*$/, `${name}: ASCII only`);
    }
  }
});

test('text: lost segments end in ✕, crossing arrows meet, --explain adds the rules', () => {
  assert.match(renderText(layoutDiagram(runDemo('lost-syn'))), /╰─*✕/);
  assert.match(renderText(layoutDiagram(runDemo('lost-syn')), { ascii: true }), /'-*x/);
  const sc = renderText(layoutDiagram(runDemo('simultaneous-close')));
  assert.equal(sc.match(/CLOSING/g)?.length, 2);
  assert.match(sc, /╮╭/); // the two FINs cross
  const explained = renderText(layoutDiagram(runDemo('handshake')), { explain: true });
  assert.match(explained, /↳ client SYN-SENT: RFC 9293 §3\.10\.1/);
  assert.match(explained, /↳ server sends SYN,ACK: RFC 9293/);
  assert.equal(asciify('§3.10 → x'), 'S3.10 -> x');
});

test('svg: well-formed, both lifelines, every state, one arrow per delivered segment', () => {
  for (const name of Object.keys(SCENARIOS)) {
    const run = runDemo(name);
    const root = parseXml(renderSvg(layoutDiagram(run)));
    assert.equal(root.name, 'svg');
    assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
    const els = all(root);
    const lifelines = new Set(els.filter((e) => hasClass(e, 'lifeline')).map((e) => e.attrs.x1));
    assert.equal(lifelines.size, 2, `${name}: two lifelines`);
    const arrows = els.filter((e) => e.name === 'g' && hasClass(e, 'arrow'));
    assert.equal(arrows.filter((e) => hasClass(e, 'delivered')).length, recvCount(run), `${name}: delivered arrows`);
    for (const a of arrows.filter((e) => hasClass(e, 'delivered'))) {
      assert.equal(a.children.find((c) => c.name === 'line')?.attrs['marker-end'], 'url(#head)');
    }
    const stateTexts = els.filter((e) => e.name === 'text' && hasClass(e, 'state')).map((e) => e.text);
    for (const ev of run.events) if (ev.type === 'state') assert.ok(stateTexts.includes(ev.to), `${name}: state ${ev.to}`);
  }
  const sc = all(parseXml(renderSvg(layoutDiagram(runDemo('simultaneous-close')))));
  assert.equal(sc.filter((e) => hasClass(e, 'state') && e.text === 'CLOSING').length, 2);
  const lost = all(parseXml(renderSvg(layoutDiagram(runDemo('lost-syn')))));
  assert.equal(lost.filter((e) => e.name === 'g' && hasClass(e, 'lost')).length, 1);
});
