import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expandInputs, InOrder, inputSize, listInputs } from './scan.js';

test('a walk lists regular files in name order, recursively, without following symlinks; a named file is kept as given', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-scan-'));
  try {
    mkdirSync(join(dir, 'sub'));
    for (const name of ['b', 'a', 'sub/c']) writeFileSync(join(dir, name), 'x');
    symlinkSync('/usr/bin', join(dir, 'link-dir'));
    symlinkSync(join(dir, 'a'), join(dir, 'link-file'));
    const targets = await expandInputs([dir, join(dir, 'link-file'), join(dir, 'missing')]);
    assert.deepEqual(
      targets.map((t) => [t.path.slice(dir.length + 1), t.discovered]),
      [
        ['a', true],
        ['b', true],
        ['sub/c', true],
        ['link-file', false],
        ['missing', false],
      ],
    );
    // The early guess at a scan's size: top-level entries (links and directories included), one per file or missing path.
    assert.equal(inputSize(listInputs([dir])), 5);
    assert.equal(inputSize(listInputs([dir, join(dir, 'a'), join(dir, 'missing')])), 7);
    assert.equal(inputSize(listInputs([])), 0);
    // Listed once, the inputs give the same walk.
    const listed = listInputs([dir, join(dir, 'link-file'), join(dir, 'missing')]);
    assert.equal(inputSize(listed), 7);
    assert.deepEqual(await expandInputs(listed), targets);
    // A directory with Go source of its own is one target, not walked.
    writeFileSync(join(dir, 'sub', 'main.go'), 'package main\n');
    assert.deepEqual(await expandInputs(listInputs([join(dir, 'sub')])), [{ path: join(dir, 'sub'), discovered: false, goSource: true }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('results put in any order come out in index order, each as soon as its prefix is complete', () => {
  const out: string[] = [];
  const order = new InOrder<string>((r, i) => out.push(`${i}:${r}`));
  order.put(2, 'c');
  order.put(1, 'b');
  assert.deepEqual(out, []);
  order.put(0, 'a');
  assert.deepEqual(out, ['0:a', '1:b', '2:c']);
  order.put(3, 'd');
  assert.equal(order.emitted, 4);
  assert.deepEqual(out, ['0:a', '1:b', '2:c', '3:d']);
});
