import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSource } from './source.js';

test('FileSource: every read gives the file bytes, whether it is the first small look, inside the head, or past it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-source-'));
  try {
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
    const path = join(dir, 'file');
    writeFileSync(path, bytes);
    // [offset, length] in the order a parser might ask: a sniff, a header, tables in and beyond the first 64 KiB.
    const reads: [number, number][] = [[0, 64], [0, 64], [64, 56 * 9], [60_000, 5536], [65_000, 1000], [150_000, 50_000], [10, 20]];
    for (const first of [reads, reads.slice(2), [[10, 20] as [number, number], ...reads]]) {
      const source = await FileSource.open(path);
      try {
        assert.equal(source.size, bytes.length);
        for (const [offset, length] of first) assert.deepEqual(await source.read(offset, length), bytes.subarray(offset, offset + length), `${offset}+${length}`);
        // Callers own what they get: changing it changes no later read.
        (await source.read(0, 8)).fill(0);
        assert.deepEqual(await source.read(0, 8), bytes.subarray(0, 8));
        await assert.rejects(source.read(bytes.length - 4, 8), /past the end of the file/);
      } finally {
        await source.close();
      }
      await assert.rejects(source.read(0, 4), /read after close/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
