import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Progress } from '../cli/progress.js';
import { fixture } from '../testing/fixtures.js';
import { buildImage } from './build.js';

/** Build progress: each layer's tar bytes as it is compressed, then each blob's stored bytes as the sink reads it. */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-progress-test-'));
after(() => rm(work, { recursive: true, force: true }));

test('progress counts every tar byte of each layer and every stored byte of each blob written', async () => {
  const tasks: { label: string; total: number | undefined; done: number; finished: number }[] = [];
  const progress: Progress = {
    task(label, total) {
      const t = { label, total, done: 0, finished: 0 };
      tasks.push(t);
      return { advance: (n) => void (t.done += n), finish: () => void t.finished++ };
    },
    close() {},
  };
  const result = await buildImage([fixture('go-static')], { output: `oci:${join(work, 'layout')}:t`, progress });
  const platform = result.platforms[0];
  assert.ok(platform !== undefined);
  for (const { name, layer } of platform.assembled.layers) {
    const task = tasks.find((t) => t.label === `linux/amd64 ${name} layer`);
    assert.equal(task?.done, layer.uncompressedSize, name);
    const written = tasks.find((t) => t.label === `writing ${layer.digest.slice(7, 19)}`);
    assert.equal(written?.done, layer.size);
    assert.equal(written?.total, layer.size);
  }
  assert.ok(tasks.every((t) => t.finished >= 1), 'every task finished');
});
