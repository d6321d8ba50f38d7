import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf } from '../elf/index.js';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { FileSource } from '../io/source.js';
import { buildElf, ET } from '../testing/elf-builder.js';
import { probeElf } from './elf-probe.js';
import { loadedObjectFromElf, loadElfObject } from './load-object.js';
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

test('executables that resolve alike share one closure; one that is among its own libraries resolves on its own', async () => {
  // /bin/x, /bin/y and /bin/z are the same program (needs liba.so through RUNPATH);
  // liba.so needs libx.so, which is /bin/x under another name.
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-session-'));
  try {
    const program = buildElf({ type: ET.DYN, interpreter: '/lib64/ld-linux-x86-64.so.2', dynamic: { needed: ['liba.so'], runpath: ['/opt/lib'] } }).bytes;
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'opt/lib'), { recursive: true });
    for (const name of ['x', 'y', 'z']) writeFileSync(join(dir, 'bin', name), program);
    writeFileSync(join(dir, 'opt/lib/liba.so'), buildElf({ type: ET.DYN, dynamic: { soname: 'liba.so', needed: ['libx.so'], runpath: ['/opt/lib'] } }).bytes);
    symlinkSync('/bin/x', join(dir, 'opt/lib/libx.so'));
    const fs = new CachedRootFS(new HostRootFS(dir));
    const session = new LinkerSession(fs);
    const resolveBoth = async (path: string) => {
      const source = await FileSource.open(join(dir, path));
      try {
        const executable = loadedObjectFromElf(await parseElf(source));
        return {
          alone: await resolveLibraries(new HostRootFS(dir), path, { executable }),
          shared: await resolveLibraries(fs, path, { executable, session }),
        };
      } finally {
        await source.close();
      }
    };
    const y = await resolveBoth('/bin/y');
    const z = await resolveBoth('/bin/z');
    const x = await resolveBoth('/bin/x');
    for (const [name, r] of [['y', y], ['z', z], ['x', x]] as const) assert.deepEqual(r.shared, r.alone, name);
    assert.equal(z.shared.tree, y.shared.tree, 'z reuses the closure resolved for y');
    assert.deepEqual(z.shared.libraries.map((l) => [l.name, l.neededBy]), [['liba.so', '/bin/z'], ['libx.so', '/opt/lib/liba.so']]);
    // For x, libx.so is x itself, already mapped: not a library of its own.
    assert.deepEqual(x.shared.libraries.map((l) => l.name), ['liba.so']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a session's library visitor sees each library it loads once, open and parsed", async () => {
  const fs = new CachedRootFS(new HostRootFS('/'));
  const seen = new Map<string, number>();
  const session = new LinkerSession(fs, async (path, elf) => {
    seen.set(path, (seen.get(path) ?? 0) + 1);
    // Open: the visitor can still read the file.
    assert.equal((await elf.source.read(0, 4)).toString(), '127,69,76,70');
  });
  const resolved = [];
  for (const bin of ['/usr/bin/ls', '/usr/bin/cp']) resolved.push(await resolveLibraries(fs, bin, { session }));
  const loaded = new Set(resolved.flatMap((r) => r.libraries.flatMap((l) => (l.via !== 'loader' && l.path !== null ? [l.path] : []))));
  for (const path of loaded) assert.equal(seen.get(path), 1, path);
  assert.ok(loaded.size >= 2);
});

test("a session's shared searches give each executable what its own RPATH, RUNPATH and DF_1_NODEFLIB say", async () => {
  // libc.so.6 in a default directory and another under /opt/a; libq.so (default directory) needs libc too.
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-search-'));
  try {
    const lib = (soname: string, needed: string[] = []) => buildElf({ type: ET.DYN, dynamic: { soname, needed } }).bytes;
    for (const d of ['lib64', 'opt/a', 'bin']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'lib64/libc.so.6'), lib('libc.so.6'));
    writeFileSync(join(dir, 'opt/a/libc.so.6'), lib('libc.so.6'));
    writeFileSync(join(dir, 'opt/a/libq.so'), lib('libq.so', ['libc.so.6']));
    writeFileSync(join(dir, 'lib64/libq.so'), lib('libq.so', ['libc.so.6']));
    const programs: Record<string, Parameters<typeof buildElf>[0]['dynamic']> = {
      plain: { needed: ['libc.so.6'] },
      viaLibq: { needed: ['libq.so'] },
      rpath: { needed: ['libq.so'], rpath: ['/opt/a'] },
      runpath: { needed: ['libq.so'], runpath: ['/opt/a'] },
      nodeflib: { needed: ['libc.so.6'], runpath: ['/opt/a'], flags1: 0x800 },
      plainAgain: { needed: ['libc.so.6', 'libq.so'] },
    };
    for (const [name, dynamic] of Object.entries(programs)) writeFileSync(join(dir, 'bin', name), buildElf({ type: ET.DYN, dynamic }).bytes);
    const fs = new CachedRootFS(new HostRootFS(dir));
    const session = new LinkerSession(fs);
    const paths: Record<string, string[]> = {};
    for (const name of Object.keys(programs)) {
      const alone = await resolveLibraries(new HostRootFS(dir), `/bin/${name}`);
      const shared = await resolveLibraries(fs, `/bin/${name}`, { session });
      assert.deepEqual(shared.libraries, alone.libraries, name);
      paths[name] = shared.libraries.map((l) => `${l.name}=${l.path}`);
    }
    assert.deepEqual(paths.plain, ['libc.so.6=/lib64/libc.so.6']);
    // DT_RPATH reaches the libraries the program loads; DT_RUNPATH only the program's own needs.
    assert.deepEqual(paths.rpath, ['libq.so=/opt/a/libq.so', 'libc.so.6=/opt/a/libc.so.6']);
    assert.deepEqual(paths.runpath, ['libq.so=/opt/a/libq.so', 'libc.so.6=/lib64/libc.so.6']);
    assert.deepEqual(paths.nodeflib, ['libc.so.6=/opt/a/libc.so.6']);
    assert.deepEqual(paths.plainAgain, ['libc.so.6=/lib64/libc.so.6', 'libq.so=/lib64/libq.so']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
