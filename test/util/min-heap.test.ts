import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MinHeap, type HeapEntry } from '../../src/util/min-heap.js';
import { Prng } from '../../src/util/prng.js';

interface Item extends HeapEntry {
  name: string;
}

function item(at: number, name = String(at)): Item {
  return { at, seq: 0, heapIndex: -1, name };
}

function drain(heap: MinHeap<Item>): string[] {
  const out: string[] = [];
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e.name);
  return out;
}

test('pops in time order', () => {
  const heap = new MinHeap<Item>();
  const rng = new Prng(1);
  const times: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = rng.int(0, 100_000) / 7;
    times.push(t);
    heap.push(item(t));
  }
  assert.equal(heap.size, 1000);
  const popped: number[] = [];
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
    assert.equal(e.heapIndex, -1);
    popped.push(e.at);
  }
  assert.deepEqual(popped, times.slice().sort((a, b) => a - b));
  assert.equal(heap.size, 0);
  assert.equal(heap.pop(), undefined);
  assert.equal(heap.peek(), undefined);
  assert.equal(heap.peekTime(), Infinity);
});

test('equal times come out in insertion order', () => {
  const heap = new MinHeap<Item>();
  const names: string[] = [];
  // Interleave three times with many ties.
  for (let i = 0; i < 300; i++) {
    const t = [5, 1, 3][i % 3]!;
    const name = `${t}:${i}`;
    heap.push(item(t, name));
    names.push(name);
  }
  const expected = [1, 3, 5].flatMap((t) => names.filter((n) => n.startsWith(`${t}:`)));
  assert.deepEqual(drain(heap), expected);
});

test('peek, has, remove, update', () => {
  const heap = new MinHeap<Item>();
  const a = item(10, 'a');
  const b = item(20, 'b');
  const c = item(30, 'c');
  const d = item(10, 'd');
  for (const e of [a, b, c, d]) heap.push(e);
  assert.equal(heap.peek(), a);
  assert.equal(heap.peekTime(), 10);
  assert.ok(heap.has(c));
  assert.throws(() => heap.push(c), /already queued/);

  assert.equal(heap.remove(a), true);
  assert.equal(heap.remove(a), false);
  assert.equal(a.heapIndex, -1);
  assert.equal(heap.has(a), false);
  assert.equal(heap.peek(), d);

  heap.update(c, 5); // move earlier
  assert.equal(heap.peek(), c);
  heap.update(c, 20); // now ties with b but was (re)scheduled later: comes after b
  heap.update(a, 20); // not queued: pushed
  assert.deepEqual(drain(heap), ['d', 'b', 'c', 'a']);

  const other = new MinHeap<Item>();
  const x = item(1, 'x');
  other.push(x);
  assert.equal(heap.has(x), false, 'an entry of another heap is not in this one');
  assert.equal(heap.remove(x), false);
  other.clear();
  assert.equal(other.size, 0);
  assert.equal(x.heapIndex, -1);
  other.push(x);
  assert.equal(other.pop(), x);
});

test('rejects NaN keys', () => {
  const heap = new MinHeap<Item>();
  assert.throws(() => heap.push(item(NaN)), RangeError);
  const e = item(1);
  heap.push(e);
  assert.throws(() => heap.update(e, NaN), RangeError);
});

test('toSortedArray lists the queue in pop order without changing it', () => {
  const heap = new MinHeap<Item>();
  for (const [t, n] of [[3, 'x'], [1, 'y'], [3, 'z'], [2, 'w']] as const) heap.push(item(t, n));
  assert.deepEqual(heap.toSortedArray().map((e) => e.name), ['y', 'w', 'x', 'z']);
  assert.equal(heap.size, 4);
  assert.deepEqual(drain(heap), ['y', 'w', 'x', 'z']);
});

test('property: matches a sorted-list model under push/pop/remove/update', () => {
  type Op =
    | { op: 'push'; at: number }
    | { op: 'pop' }
    | { op: 'remove'; pick: number }
    | { op: 'update'; pick: number; at: number };
  const at = fc.integer({ min: 0, max: 20 }); // small range: many ties
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('push' as const), at }),
    fc.record({ op: fc.constant('pop' as const) }),
    fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('update' as const), pick: fc.nat(), at }),
  );
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const heap = new MinHeap<Item>();
      // Model: entries with a model sequence; order by (at, seq).
      let model: Array<{ e: Item; at: number; seq: number }> = [];
      let seq = 0;
      let made = 0;
      const all: Item[] = [];
      const sortModel = () => model.sort((x, y) => x.at - y.at || x.seq - y.seq);
      for (const o of ops) {
        if (o.op === 'push') {
          const e = item(o.at, `e${made++}`);
          all.push(e);
          heap.push(e);
          model.push({ e, at: o.at, seq: seq++ });
        } else if (o.op === 'pop') {
          sortModel();
          const expected = model.shift();
          assert.equal(heap.pop(), expected?.e);
        } else if (all.length > 0) {
          const e = all[o.pick % all.length]!;
          const inModel = model.some((m) => m.e === e);
          if (o.op === 'remove') {
            assert.equal(heap.remove(e), inModel);
            model = model.filter((m) => m.e !== e);
          } else {
            heap.update(e, o.at);
            model = model.filter((m) => m.e !== e);
            model.push({ e, at: o.at, seq: seq++ });
          }
        }
        assert.equal(heap.size, model.length);
        sortModel();
        assert.equal(heap.peek(), model[0]?.e);
      }
      sortModel();
      assert.deepEqual(drain(heap), model.map((m) => m.e.name));
    }),
    { numRuns: 300, seed: 12345 },
  );
});
