import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { formatBytes, NO_PROGRESS, progressFor } from './progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  Object.assign(w, { isTTY, columns: 60 });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

test('progress: nothing at all when stderr is not a terminal', () => {
  const { stream, text } = fakeStream(false);
  const p = progressFor(stream);
  assert.equal(p, NO_PROGRESS);
  p.task('layer', 10).advance(10);
  p.close();
  assert.equal(text(), '');
});

test('progress: a terminal sees the running task, a line per finished task, and a cleared line at the end', () => {
  const { stream, text } = fakeStream(true);
  const p = progressFor(stream);
  const a = p.task('sha256:aaaa', 2_000_000);
  a.advance(1_500_000);
  const b = p.task('sha256:bbbb');
  b.finish('exists');
  a.advance(500_000);
  a.finish();
  p.close();
  const out = text();
  assert.match(out, /sha256:aaaa 0 B\/2\.0 MB/);
  assert.match(out, /sha256:bbbb: exists done\n/);
  assert.match(out, /sha256:aaaa: 2\.0 MB done\n/);
  assert.ok(out.endsWith('\r\u001b[K') || out.endsWith('\n'), 'the status line is cleared');
});

test('progress: disabled explicitly even on a terminal', () => {
  const { stream, text } = fakeStream(true);
  progressFor(stream, false).task('x').finish();
  assert.equal(text(), '');
});

test('formatBytes', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(3400), '3.4 kB');
  assert.equal(formatBytes(51_200_000), '51.2 MB');
});
