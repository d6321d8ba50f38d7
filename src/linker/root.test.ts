import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostRootFS } from '../fs/host.js';
import { fixture } from '../testing/fixtures.js';
import { parseLdd } from '../testing/oracles.js';
import { run } from '../testing/process.js';
import { writeLdSoCache } from './ld-so-cache-writer.js';
import { resolveLibraries } from './resolve.js';
import type { ResolvedTree } from './types.js';

/**
 * --root: resolution inside a tree that is not the host. The oracle is the
 * real loader run inside that tree with chroot(2) (the test machines run
 * tests as root), listing what it would load (`ld.so --list`, musl's
 * `ld-musl --list`).
 */
const GLIBC_LOADER = '/lib64/ld-linux-x86-64.so.2';
const MUSL_LOADER = '/lib/ld-musl-x86_64.so.1';

function tempRoot(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'fromscratch-root-'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Copies a host file (through its links) to `inRoot` inside `root`. */
function copyIn(root: string, hostPath: string, inRoot: string): void {
  mkdirSync(dirname(join(root, inRoot)), { recursive: true });
  copyFileSync(realpathSync(hostPath), join(root, inRoot));
}

function write(root: string, inRoot: string, content: string | Uint8Array): void {
  mkdirSync(dirname(join(root, inRoot)), { recursive: true });
  writeFileSync(join(root, inRoot), content);
}

/**
 * What the loader inside `root` lists for `binary`, as "name => path" lines
 * (vdso left out). glibc's loader is run the way ldd runs it (the trace
 * variable, so a missing library is listed rather than fatal); musl's with
 * --list.
 */
async function chrootList(root: string, loader: string, binary: string): Promise<string[]> {
  const glibc = loader === GLIBC_LOADER;
  // chroot(1) is itself dynamically linked, so the trace variable must reach only the loader inside: exec it from Python after chroot(2).
  const script = [
    'import os, sys',
    'root, loader, binary, glibc = sys.argv[1:5]',
    'os.chroot(root)',
    'os.chdir("/")',
    'args = [loader, binary] if glibc == "1" else [loader, "--list", binary]',
    'env = {"LD_TRACE_LOADED_OBJECTS": "1"} if glibc == "1" else {}',
    'os.execve(loader, args, env)',
  ].join('\n');
  const result = await run('python3', ['-c', script, root, loader, binary, glibc ? '1' : '0']);
  assert.equal(result.code, 0, `${loader} ${binary} inside ${root}: ${result.stderr}`);
  return parseLdd(result.stdout)
    .libs.filter((l) => l.kind !== 'vdso')
    .map((l) => (l.kind === 'interpreter' ? `LOADER ${l.path}` : `${l.name} => ${l.path ?? 'not found'}`));
}

function glibcLines(tree: ResolvedTree): string[] {
  return tree.libraries.map((l) => (l.via === 'loader' ? `LOADER ${l.path}` : `${l.name} => ${l.path ?? 'not found'}`));
}

/** Every path we report must exist inside the root, and none may be a host library directory that the root lacks. */
async function assertInsideRoot(root: string, tree: ResolvedTree): Promise<void> {
  const fs = new HostRootFS(root);
  for (const library of tree.libraries) {
    if (library.path === null) continue;
    assert.ok(await fs.realpath(library.path), `${library.path} is not inside ${root}`);
    assert.ok(!library.path.startsWith('/lib/x86_64-linux-gnu/') && !library.path.startsWith('/usr/lib/x86_64-linux-gnu/'), library.path);
  }
}

test('glibc in a --root: $ORIGIN tree, the root\'s own ld.so.conf and cache, the root\'s loader; never a host path', async () => {
  const t = tempRoot();
  try {
    cpSync(fixture('c-origin'), join(t.root, 'app'), { recursive: true });
    copyIn(t.root, GLIBC_LOADER, GLIBC_LOADER);
    copyIn(t.root, '/lib/x86_64-linux-gnu/libc.so.6', '/opt/vendor/lib/libc.so.6');
    write(t.root, '/etc/ld.so.conf', 'include /etc/ld.so.conf.d/*.conf\n');
    write(t.root, '/etc/ld.so.conf.d/vendor.conf', '/opt/vendor/lib\n');

    // No cache yet: the loader does not read ld.so.conf, so libc is missing, and we say where it sits.
    const before = await resolveLibraries(new HostRootFS(t.root), '/app/bin/app');
    assert.deepEqual(glibcLines(before), await chrootList(t.root, GLIBC_LOADER, '/app/bin/app'));
    const libc = before.libraries.find((l) => l.name === 'libc.so.6');
    assert.equal(libc?.path, null);
    assert.equal(libc?.inLdSoConfDir, '/opt/vendor/lib/libc.so.6');

    // ldconfig builds the root's cache from its ld.so.conf; now the loader, and we, find libc there.
    const ldconfig = await run('ldconfig', ['-r', t.root, '-X']);
    assert.equal(ldconfig.code, 0, ldconfig.stderr);
    const after = await resolveLibraries(new HostRootFS(t.root), '/app/bin/app');
    assert.deepEqual(glibcLines(after), await chrootList(t.root, GLIBC_LOADER, '/app/bin/app'));
    assert.deepEqual(
      after.libraries.map((l) => `${l.name}=${l.path}@${l.via}`),
      [
        'libgreet.so=/app/bin/../lib/libgreet.so@runpath',
        'libc.so.6=/opt/vendor/lib/libc.so.6@ld.so.cache',
        'libinner.so=/app/bin/../lib/inner/libinner.so@runpath',
        `ld-linux-x86-64.so.2=${GLIBC_LOADER}@loader`,
      ],
    );
    assert.deepEqual(after.interpreter, { path: GLIBC_LOADER, found: true });
    await assertInsideRoot(t.root, after);
  } finally {
    t.cleanup();
  }
});

test('a cache we write is one the real loader uses, and we resolve through it the same way', async () => {
  const t = tempRoot();
  try {
    cpSync(fixture('c-rpath'), join(t.root, 'app'), { recursive: true });
    copyIn(t.root, GLIBC_LOADER, GLIBC_LOADER);
    copyIn(t.root, '/lib/x86_64-linux-gnu/libc.so.6', '/srv/libs/libc.so.6');
    write(t.root, '/etc/ld.so.cache', writeLdSoCache([{ name: 'libc.so.6', path: '/srv/libs/libc.so.6', flags: 0x0303 }], { generator: 'fromscratch' }));
    const ours = await resolveLibraries(new HostRootFS(t.root), '/app/bin/app');
    assert.deepEqual(glibcLines(ours), await chrootList(t.root, GLIBC_LOADER, '/app/bin/app'));
    assert.equal(ours.libraries.find((l) => l.name === 'libc.so.6')?.via, 'ld.so.cache');
    await assertInsideRoot(t.root, ours);
  } finally {
    t.cleanup();
  }
});

test('glibc default directories come from the root\'s own loader, not the host\'s', async () => {
  const t = tempRoot();
  try {
    cpSync(fixture('c-missing-lib'), join(t.root, 'app'));
    copyIn(t.root, GLIBC_LOADER, GLIBC_LOADER);
    // Debian's loader searches /lib/x86_64-linux-gnu first: put libc there, inside the root, and no cache.
    copyIn(t.root, '/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/libc.so.6');
    const ours = await resolveLibraries(new HostRootFS(t.root), '/app');
    assert.deepEqual(glibcLines(ours), await chrootList(t.root, GLIBC_LOADER, '/app'));
    assert.equal(ours.libraries.find((l) => l.name === 'libc.so.6')?.via, 'default-path');
  } finally {
    t.cleanup();
  }
});

test('musl in a --root: the root\'s /etc/ld-musl-x86_64.path decides, the loader answers for libc', async () => {
  const t = tempRoot();
  try {
    const src = join(t.root, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'greet.c'), 'int greet(void) { return 7; }\n');
    writeFileSync(join(src, 'app.c'), 'int greet(void);\nint main(void) { return greet(); }\n');
    mkdirSync(join(t.root, 'opt', 'm'), { recursive: true });
    const lib = await run('musl-gcc', ['-shared', '-fPIC', '-Wl,-soname,libgreet.so', '-o', join(t.root, 'opt', 'm', 'libgreet.so'), join(src, 'greet.c')]);
    assert.equal(lib.code, 0, lib.stderr);
    const app = await run('musl-gcc', ['-o', join(t.root, 'app'), join(src, 'app.c'), '-L', join(t.root, 'opt', 'm'), '-lgreet']);
    assert.equal(app.code, 0, app.stderr);
    copyIn(t.root, MUSL_LOADER, MUSL_LOADER);
    write(t.root, '/etc/ld-musl-x86_64.path', '/nowhere\n/opt/m\n');

    const ours = await resolveLibraries(new HostRootFS(t.root), '/app');
    assert.equal(ours.flavor, 'musl');
    const theirs = await chrootList(t.root, MUSL_LOADER, '/app');
    assert.deepEqual([`LOADER ${MUSL_LOADER}`, ...ours.libraries.map((l) => `${l.name} => ${l.path ?? 'not found'}`)], theirs);
    assert.deepEqual(
      ours.libraries.map((l) => `${l.name}=${l.path}@${l.via}`),
      ['libgreet.so=/opt/m/libgreet.so@musl-path', `libc.so=${MUSL_LOADER}@loader`],
    );

    // An empty path file means no system directories at all: musl's loader cannot find libgreet, nor can we.
    write(t.root, '/etc/ld-musl-x86_64.path', '');
    const empty = await resolveLibraries(new HostRootFS(t.root), '/app');
    assert.equal(empty.libraries[0]?.path, null);
    const listed = await run('chroot', [t.root, MUSL_LOADER, '--list', '/app']);
    assert.match(listed.stderr, /Error loading shared library libgreet\.so/);
  } finally {
    t.cleanup();
  }
});
