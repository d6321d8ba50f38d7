import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspectFile } from '../analysis/inspect.js';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { fixture } from '../testing/fixtures.js';
import { HelperThreads } from './helper-threads.js';
import { createCompleter, inspectAll, readTask, type InspectTask } from './inspector.js';

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

// A helper that dies holding files must fail the scan, not leave it waiting for them.
test('a helper that dies with files taken fails the scan with a one-line error instead of hanging', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-helper-'));
  try {
    for (const [name, body] of [
      // Takes every file at once, then exits (or throws) when it is given them.
      ['exits.cjs', 'process.exit(3);'],
      ['throws.cjs', "throw new Error('helper broke');"],
    ] as const) {
      const script = join(dir, name);
      writeFileSync(
        script,
        `const { parentPort, workerData } = require('node:worker_threads');
         Atomics.store(new Int32Array(workerData.counter), 0, 1 << 30);
         parentPort.once('message', () => { ${body} });`,
      );
      const helpers = HelperThreads.start(1, script);
      assert.ok(helpers);
      // Until the helper has taken every file, this thread could still do them all itself.
      for (let i = 0; i < 500 && Atomics.load(helpers.next, 0) < 1 << 30; i++) await new Promise((r) => setTimeout(r, 10));
      const tasks: InspectTask[] = [{ path: fixture('go-static'), discovered: true }];
      const emitted: unknown[] = [];
      await assert.rejects(inspectAll(tasks, '/', 2, (r) => emitted.push(r), helpers), (e: unknown) => {
        assert.ok(e instanceof Error && !e.message.includes('\n'), String(e));
        assert.match(e.message, name === 'exits.cjs' ? /exited with code 3 before it finished/ : /helper broke/);
        return true;
      });
      assert.deepEqual(emitted, []);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
