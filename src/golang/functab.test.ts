import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../testing/mutate.js';
import { FunctionCursor, NO_UNIT_GIVEN, sortByNameOffset } from './functab.js';

test('functions in (name offset, index) order: the few behind merged into the rest, as a full sort orders them', () => {
  const rng = new Rng(3);
  for (let round = 0; round < 300; round++) {
    const n = rng.below(200);
    // Mostly growing offsets with repeats, some far behind (a name reused), some rounds all over the place.
    const chaotic = round % 10 === 0;
    let at = 0;
    const offsets = Uint32Array.from({ length: n }, () => {
      if (chaotic || rng.below(20) === 0) return rng.below(at + 1);
      at += rng.below(3);
      return at;
    });
    const units = Uint32Array.from({ length: n }, () => rng.below(5));
    const reference = [...offsets.keys()].sort((a, b) => (offsets[a] as number) - (offsets[b] as number) || a - b);
    // The functions behind, as the functab walk notes them: (offset, index) keys of those below an earlier offset.
    const behind: number[] = [];
    let largest = 0;
    offsets.forEach((o, i) => (o < largest ? behind.push(o * 2 ** 21 + i) : (largest = o)));
    const sorted = sortByNameOffset(offsets, units, behind);
    assert.deepEqual([...sorted.offsets], reference.map((i) => offsets[i]), `round ${round}`);
    assert.deepEqual([...sorted.units], reference.map((i) => units[i]), `round ${round}`);
  }
});

test('the cursor takes each name its functions, in stretches of one unit, and a name only inlined its parent', () => {
  // Names at 0, 10, 20, 30 (10 bytes each): functions named at 0 (unit 1, twice), 20 (unit 2) and 30 (outside every unit).
  const cursor = new FunctionCursor(Uint32Array.of(0, 0, 20, 30), Uint32Array.of(1, 1, 2, 0xffffffff));
  const seen: [number, number][] = [];
  cursor.take(0, 20, (unit, functions) => seen.push([unit, functions]));
  assert.deepEqual(seen, [[1, 2]]);
  // The name at 10 had no function of its own: it was taken with the run [0, 20) above; alone, its parent is unit 1.
  assert.equal(cursor.takeName(20, 30), 2);
  assert.equal(cursor.named, 1);
  assert.equal(cursor.takeName(30, 40), NO_UNIT_GIVEN);
  assert.equal(cursor.named, 1);
  assert.equal(cursor.takeName(40, 50), NO_UNIT_GIVEN);
  assert.equal(cursor.named, 0);
  const inlined = new FunctionCursor(Uint32Array.of(0, 20), Uint32Array.of(4, 5));
  assert.equal(inlined.takeName(0, 10), 4);
  assert.equal(inlined.takeName(10, 20), 4);
  assert.equal(inlined.named, 0);
});
