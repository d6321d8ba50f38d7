import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { probeElf } from './elf-probe.js';
import { loadElfObject } from './load-object.js';
import { resolveLibraries } from './resolve.js';
import { LinkerSession } from './session.js';
import type { LoadObject } from './types.js';

test('a session reads each library once across binaries and changes no result', async () => {
  const fs = new CachedRootFS(new HostRootFS('/'));
  const session = new LinkerSession(fs);
  const loads = new Map<string, number>();
  const counting: LoadObject = (root, path) => {
    loads.set(path, (loads.get(path) ?? 0) + 1);
    return loadElfObject(root, path);
  };
  const binaries = ['/usr/bin/ls', '/usr/bin/cp', '/usr/bin/mv'];
  for (const bin of binaries) {
    const alone = await resolveLibraries(new HostRootFS('/'), bin);
    const shared = await resolveLibraries(fs, bin, { session, loadObject: counting, probeObject: probeElf });
    assert.deepEqual(shared.libraries, alone.libraries, bin);
    assert.deepEqual(shared.tree, alone.tree, bin);
  }
  const libc = [...loads.entries()].find(([path]) => path.endsWith('/libc.so.6'));
  assert.ok(libc, 'libc was loaded');
  assert.equal(libc[1], 1, 'libc was parsed once for three binaries');
});
