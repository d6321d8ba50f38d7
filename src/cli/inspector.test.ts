import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspectFile } from '../analysis/inspect.js';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { fixture } from '../testing/fixtures.js';
import { createCompleter, readTask, type InspectTask } from './inspector.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// A scan's helper threads send readTask's answer to the main thread, which
// completes it: the answer must survive the trip (plain data, nothing that
// structuredClone drops or refuses) and give the report inspectFile gives.
test('facts read on one thread and completed on another give inspectFile\'s report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-inspector-'));
  try {
    writeFileSync(join(dir, 'broken'), readFileSync(fixture('c-static')).subarray(0, 200));
    writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n');
    const files = ['c-dynamic', 'c-musl-dynamic', 'go-net-cgo', 'go-pie-nocgo', 'go-static', 'go-darwin-arm64'].map((f) => fixture(f));
    const tasks: InspectTask[] = [
      ...files.map((path) => ({ path, discovered: true })),
      { path: join(dir, 'broken'), discovered: true },
      { path: join(dir, 'script.sh'), discovered: true },
      { path: join(dir, 'script.sh'), discovered: false },
      { path: join(dir, 'missing'), discovered: false },
      { path: join(REPO, 'fixtures/go/httpsclient'), discovered: false, goSource: true },
    ];
    const complete = createCompleter('/');
    const root = new CachedRootFS(new HostRootFS('/'));
    for (const task of tasks) {
      const sent = structuredClone(await readTask(task));
      const report = await complete(sent);
      if (task.goSource) {
        assert.equal(report?.format, 'go-source');
        continue;
      }
      assert.deepEqual(report, await inspectFile(task.path, { root, rootDir: '/', skipNonBinaries: task.discovered }), task.path);
    }
    // What the facts carry across: the loader's view of a dynamic executable, and what it imports.
    const dynamic = await readTask({ path: fixture('go-net-cgo'), discovered: true });
    assert.ok(dynamic !== undefined && 'facts' in dynamic);
    assert.ok(dynamic.facts.executable?.needed.includes('libc.so.6'));
    assert.ok(dynamic.facts.nssImports?.includes('getaddrinfo'));
    assert.equal(await readTask({ path: join(dir, 'script.sh'), discovered: true }), undefined, 'a scan skips a non-binary');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
