import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { Rng } from '../testing/mutate.js';
import { HostRootFS, MAX_SYMLINK_HOPS } from './host.js';

const SECRET = 'SECRET-OUTSIDE-THE-ROOT';

/** A temp dir holding `root/` (the tree under test) and `outside/secret` (what no link may reach). */
function hostileTree(): { base: string; root: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'fromscratch-hostfs-'));
  const root = join(base, 'root');
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret'), SECRET);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'usr', 'lib', 'deep', 'er'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:inside\n');
  writeFileSync(join(root, 'usr', 'lib', 'libz.so.1'), 'LIBZ');
  symlinkSync('usr/lib', join(root, 'lib'));
  symlinkSync('/etc/passwd', join(root, 'abs-passwd'));
  symlinkSync('../../..', join(root, 'up'));
  symlinkSync('../outside/secret', join(root, 'rel-secret'));
  symlinkSync('../../../../../../outside/secret', join(root, 'usr', 'lib', 'deep', 'er', 'far-secret'));
  symlinkSync(join(base, 'outside', 'secret'), join(root, 'host-abs-secret'));
  symlinkSync(join(base, 'outside'), join(root, 'host-abs-dir'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('self', join(root, 'self'));
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync('missing-target', join(root, 'dangling'));
  symlinkSync('etc/passwd', join(root, 'file-link'));
  return { base, root, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

test('absolute link targets are re-rooted, ".." stops at the root', async () => {
  const t = hostileTree();
  try {
    const fs = new HostRootFS(t.root);
    assert.equal(await fs.realpath('/abs-passwd'), '/etc/passwd');
    assert.equal(new TextDecoder().decode(await fs.readSmallFile('/abs-passwd')), 'root:x:0:0:inside\n');
    assert.equal(await fs.realpath('/up'), '/');
    assert.equal(await fs.realpath('/up/up/up/etc/passwd'), '/etc/passwd');
    assert.equal(await fs.realpath('/../../../etc/passwd'), '/etc/passwd');
    assert.equal(await fs.realpath('/lib/libz.so.1'), '/usr/lib/libz.so.1');
    // "lib/.." is the physical parent of usr/lib, i.e. /usr, which has no etc (no lexical shortcut, like the kernel).
    assert.equal(await fs.realpath('/lib/../etc/passwd'), undefined);
    assert.equal(await fs.realpath('/lib/../lib/libz.so.1'), '/usr/lib/libz.so.1');
    assert.deepEqual(await fs.list('/etc-link'), ['passwd']);
  } finally {
    t.cleanup();
  }
});

test('no link can reach a file outside the root', async () => {
  const t = hostileTree();
  try {
    const fs = new HostRootFS(t.root);
    for (const path of ['/rel-secret', '/usr/lib/deep/er/far-secret', '/host-abs-secret', '/host-abs-dir/secret', '/up/outside/secret', '/../outside/secret']) {
      assert.equal(await fs.stat(path), undefined, path);
      assert.equal(await fs.realpath(path), undefined, path);
      assert.equal(await fs.readSmallFile(path), undefined, path);
      await assert.rejects(fs.open(path), (e: unknown) => e instanceof InputError && e.code === 'not-found', path);
    }
    // The link itself is visible as a link, with its raw target.
    assert.equal((await fs.lstat('/host-abs-secret'))?.kind, 'symlink');
    assert.equal(await fs.readlink('/host-abs-secret'), join(t.base, 'outside', 'secret'));
  } finally {
    t.cleanup();
  }
});

test('loops, self links and dangling links are "not found", not exceptions', async () => {
  const t = hostileTree();
  try {
    const fs = new HostRootFS(t.root);
    for (const path of ['/loop1', '/loop2/x', '/self', '/dangling']) {
      assert.equal(await fs.stat(path), undefined, path);
      assert.equal(await fs.realpath(path), undefined, path);
      assert.equal(await fs.list(path), undefined, path);
      await assert.rejects(fs.open(path), (e: unknown) => e instanceof InputError && e.code === 'not-found', path);
    }
    assert.equal((await fs.lstat('/loop1'))?.kind, 'symlink');
    assert.equal((await fs.lstat('/dangling'))?.kind, 'symlink');
  } finally {
    t.cleanup();
  }
});

test('a chain of exactly MAX_SYMLINK_HOPS links resolves, one more does not (like the kernel)', async () => {
  const t = hostileTree();
  try {
    mkdirSync(join(t.root, 'chain'));
    writeFileSync(join(t.root, 'chain', 'end'), 'END');
    // c0 -> c1 -> ... -> c{n-1} -> end: n hops from c0.
    const n = MAX_SYMLINK_HOPS + 1;
    for (let i = 0; i < n; i++) symlinkSync(i === n - 1 ? 'end' : `c${i + 1}`, join(t.root, 'chain', `c${i}`));
    const fs = new HostRootFS(t.root);
    assert.equal(await fs.realpath('/chain/c1'), '/chain/end'); // 40 hops
    assert.equal(await fs.realpath('/chain/c0'), undefined); // 41 hops
    // The kernel, confined by chroot, agrees on both.
    const kernel = kernelResolve(t.root, ['/chain/c1', '/chain/c0']);
    assert.deepEqual(kernel, [statSync(join(t.root, 'chain', 'end')).ino, null]);
  } finally {
    t.cleanup();
  }
});

test('file kinds, modes, sizes and errors', async () => {
  const t = hostileTree();
  try {
    const fs = new HostRootFS(t.root);
    assert.deepEqual(await fs.stat('/file-link'), { kind: 'file', size: 18, mode: statSync(join(t.root, 'etc', 'passwd')).mode & 0o7777 });
    assert.equal((await fs.lstat('/file-link'))?.kind, 'symlink');
    assert.equal((await fs.stat('/lib'))?.kind, 'dir');
    assert.equal(await fs.stat('/etc/passwd/'), undefined, 'a file used as a directory');
    assert.equal(await fs.stat('/etc/passwd/x'), undefined);
    assert.equal(await fs.stat('/etc/pass\0wd'), undefined);
    assert.equal(await fs.readlink('/etc/passwd'), undefined);
    assert.equal(await fs.list('/etc/passwd'), undefined);
    await assert.rejects(fs.open('/etc'), (e: unknown) => e instanceof InputError && e.code === 'io' && e.message.includes('directory'));
    await assert.rejects(fs.readSmallFile('/etc/passwd', 10), (e: unknown) => e instanceof InputError && e.code === 'limit');
    const source = await fs.open('/lib/libz.so.1');
    try {
      assert.equal(source.name, join(t.root, 'lib/libz.so.1'));
      assert.equal(source.size, 4);
      assert.deepEqual(await source.read(0, 4), new TextEncoder().encode('LIBZ'));
    } finally {
      await source.close();
    }
  } finally {
    t.cleanup();
  }
});

test('rooted at "/", it is the host as is', async () => {
  const fs = new HostRootFS('/');
  assert.equal(fs.description, '/');
  assert.deepEqual(await fs.readSmallFile('/etc/passwd'), new Uint8Array(readFileSync('/etc/passwd')));
  for (const path of ['/bin/sh', '/usr/bin/env', '/etc/ld.so.cache']) {
    assert.equal(await fs.realpath(path), realpathSync(path), path);
  }
  const source = await fs.open('/usr/bin/env');
  try {
    assert.equal(source.name, '/usr/bin/env');
  } finally {
    await source.close();
  }
});

for (const seed of [20240601, 7, 4242]) {
  test(`random link trees (seed ${seed}): resolution matches the kernel inside a chroot and never leaves the root`, async () => {
    const t = hostileTree();
    try {
      const rng = new Rng(seed);
      const dirs = ['', 'etc', 'usr', 'usr/lib', 'usr/lib/deep', 'usr/lib/deep/er'];
      const targets = ['..', '../..', '/', '/etc', '/usr/lib', '/usr', '/lib', 'lib', 'usr', 'etc', '/x3/x5', 'passwd', '../etc/passwd', '/etc/passwd', '../../../outside/secret', join(t.base, 'outside'), '.', 'x0', '../x1', '/x2', 'usr/lib/x3', 'deep/x4'];
      for (let i = 0; i < 60; i++) {
        // Most links at the top so random paths meet them; targets often name other links (chains, loops).
        const dir = rng.below(3) === 0 ? (dirs[rng.below(dirs.length)] as string) : '';
        const pick = rng.below(3);
        const target = pick === 0 ? `x${rng.below(60)}` : pick === 1 ? `/x${rng.below(60)}/..` : (targets[rng.below(targets.length)] as string);
        try {
          symlinkSync(target, join(t.root, dir, `x${i}`));
        } catch {
          // Name already taken: fine, the tree is random anyway.
        }
      }
      const names = ['etc', 'passwd', 'usr', 'lib', '..', 'outside', 'secret', 'deep', 'er', 'libz.so.1'];
      for (let i = 0; i < 60; i++) names.push(`x${i}`);
      const paths: string[] = [];
      for (let i = 0; i < 400; i++) {
        const depth = 1 + rng.below(3);
        const parts: string[] = [];
        for (let d = 0; d < depth; d++) parts.push(names[rng.below(names.length)] as string);
        paths.push('/' + parts.join('/'));
      }
      const fs = new HostRootFS(t.root);
      const ours: (number | null)[] = [];
      for (const path of paths) {
        const real = await fs.realpath(path);
        if (real === undefined) {
          ours.push(null);
          continue;
        }
        ours.push(statSync(join(t.root, real)).ino);
        const content = (await fs.stat(path))?.kind === 'file' ? new TextDecoder().decode(await fs.readSmallFile(path)) : '';
        assert.ok(!content.includes(SECRET), `${path} reached the secret`);
      }
      assert.deepEqual(ours, kernelResolve(t.root, paths));
    } finally {
      t.cleanup();
    }
  });
}

/**
 * The oracle: the kernel's own path walk, confined by chroot(2) (we run as
 * root on the test machines). Returns the inode each path leads to, or null.
 */
function kernelResolve(root: string, paths: string[]): (number | null)[] {
  const script = [
    'import json, os, sys',
    'paths = json.load(sys.stdin)',
    `os.chroot(${JSON.stringify(root)})`,
    'os.chdir("/")',
    'out = []',
    'for p in paths:',
    '    try:',
    '        out.append(os.stat(p).st_ino)',
    '    except OSError:',
    '        out.append(None)',
    'print(json.dumps(out))',
  ].join('\n');
  const stdout = execFileSync('python3', ['-c', script], { input: JSON.stringify(paths), encoding: 'utf8' });
  return JSON.parse(stdout) as (number | null)[];
}
