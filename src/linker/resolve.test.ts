import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostRootFS } from '../fs/host.js';
import type { RootFS } from '../fs/rootfs.js';
import { writeLdSoCache } from './ld-so-cache-writer.js';
import { resolveLibraries } from './resolve.js';
import type { LoadedObject, ResolveOptions, ResolvedTree } from './types.js';

/**
 * The resolver's rules, tested against a root of empty files and a fake
 * object reader that says what each file "contains". Every expected path
 * below is worked out from the loader rules by hand.
 */
type Spec = Partial<LoadedObject>;

const GLIBC_INTERP = '/lib64/ld-linux-x86-64.so.2';
const MUSL_INTERP = '/lib/ld-musl-x86_64.so.1';

interface World {
  fs: RootFS;
  root: string;
  resolve(path: string, opts?: ResolveOptions): Promise<ResolvedTree>;
  cleanup(): void;
}

function world(files: Record<string, Spec>, links: Record<string, string> = {}, raw: Record<string, string | Uint8Array> = {}): World {
  const root = mkdtempSync(join(tmpdir(), 'fromscratch-resolve-'));
  const objects = new Map<string, LoadedObject>();
  for (const [path, spec] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), '');
    objects.set(path, {
      class: 64,
      littleEndian: true,
      machine: 62,
      needed: [],
      rpath: [],
      runpath: [],
      flags1: 0,
      interpreter: null,
      soname: null,
      ...spec,
    });
  }
  for (const [path, content] of Object.entries(raw)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  const fs = new HostRootFS(root);
  const loadObject = async (f: RootFS, path: string) => {
    const real = await f.realpath(path);
    return real === undefined ? undefined : objects.get(real);
  };
  return {
    fs,
    root,
    resolve: (path, opts = {}) => resolveLibraries(fs, path, { loadObject, systemDirs: ['/lib', '/usr/lib'], ...opts }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const exe = (spec: Spec): Spec => ({ interpreter: GLIBC_INTERP, ...spec });
const loader: Spec = { soname: 'ld-linux-x86-64.so.2' };

/** "name=path@via" for each library, in order. */
function summary(tree: ResolvedTree): string[] {
  return tree.libraries.map((l) => `${l.name}=${l.path ?? 'not found'}${l.via ? `@${l.via}` : ''}`);
}

test('glibc order: DT_RPATH, then LD_LIBRARY_PATH, then DT_RUNPATH, then the default directories', async () => {
  const w = world({
    [GLIBC_INTERP]: loader,
    '/bin/rpath': exe({ needed: ['libx.so'], rpath: ['/r'] }),
    '/bin/runpath': exe({ needed: ['libx.so'], runpath: ['/run'] }),
    '/bin/both': exe({ needed: ['libx.so'], rpath: ['/r'], runpath: ['/run'] }),
    '/bin/none': exe({ needed: ['libx.so'] }),
    '/r/libx.so': {},
    '/run/libx.so': {},
    '/env/libx.so': {},
    '/usr/lib/libx.so': {},
  });
  try {
    assert.deepEqual(summary(await w.resolve('/bin/rpath', { ldLibraryPath: '/env' })), ['libx.so=/r/libx.so@rpath']);
    assert.deepEqual(summary(await w.resolve('/bin/runpath', { ldLibraryPath: '/env' })), ['libx.so=/env/libx.so@ld_library_path']);
    assert.deepEqual(summary(await w.resolve('/bin/runpath')), ['libx.so=/run/libx.so@runpath']);
    // DT_RUNPATH present: DT_RPATH is ignored entirely.
    assert.deepEqual(summary(await w.resolve('/bin/both')), ['libx.so=/run/libx.so@runpath']);
    assert.deepEqual(summary(await w.resolve('/bin/none')), ['libx.so=/usr/lib/libx.so@default-path']);
    // LD_LIBRARY_PATH splits on ':' and ';', and skips what is not there.
    assert.deepEqual(summary(await w.resolve('/bin/none', { ldLibraryPath: '/nowhere;/env:/r' })), ['libx.so=/env/libx.so@ld_library_path']);
  } finally {
    w.cleanup();
  }
});

test('DT_RPATH is inherited from the loading chain unless the requester has DT_RUNPATH; DT_RUNPATH never is', async () => {
  const w = world({
    [GLIBC_INTERP]: loader,
    '/bin/app': exe({ needed: ['liba.so', 'libc.so'], rpath: ['/r'] }),
    '/bin/app2': exe({ needed: ['libc.so'], runpath: ['/r'] }),
    '/r/liba.so': { needed: ['libb.so'] },
    '/r/libb.so': {},
    '/r/libc.so': { needed: ['libd.so'], runpath: ['/nowhere'] },
    '/r/libd.so': {},
  });
  try {
    assert.deepEqual(summary(await w.resolve('/bin/app')), [
      'liba.so=/r/liba.so@rpath',
      'libc.so=/r/libc.so@rpath',
      'libb.so=/r/libb.so@rpath', // liba has no paths of its own: the executable's DT_RPATH applies
      'libd.so=not found', // libc has DT_RUNPATH, which switches off every DT_RPATH for its needs
    ]);
    assert.deepEqual(summary(await w.resolve('/bin/app2')), ['libc.so=/r/libc.so@runpath', 'libd.so=not found']);
  } finally {
    w.cleanup();
  }
});

test('ld.so.cache: used after the paths, per architecture; DF_1_NODEFLIB skips default directories and cache entries in them', async () => {
  const cache = writeLdSoCache([
    { name: 'libc1.so', path: '/opt/c/libc1.so', flags: 0x303 },
    { name: 'libsys.so', path: '/usr/lib/x/libsys.so', flags: 0x303 },
    { name: 'libarm.so', path: '/opt/arm/libarm.so', flags: 0xa03 },
  ]);
  const w = world(
    {
      [GLIBC_INTERP]: loader,
      '/bin/app': exe({ needed: ['libc1.so', 'libsys.so', 'libarm.so', 'libdef.so'] }),
      '/bin/nodeflib': exe({ needed: ['libc1.so', 'libsys.so', 'libdef.so'], flags1: 0x800 }),
      '/opt/c/libc1.so': {},
      '/usr/lib/x/libsys.so': {},
      '/opt/arm/libarm.so': {},
      '/usr/lib/libdef.so': {},
    },
    {},
    { '/etc/ld.so.cache': cache },
  );
  try {
    assert.deepEqual(summary(await w.resolve('/bin/app')), [
      'libc1.so=/opt/c/libc1.so@ld.so.cache',
      'libsys.so=/usr/lib/x/libsys.so@ld.so.cache',
      'libarm.so=not found', // the only entry is for aarch64
      'libdef.so=/usr/lib/libdef.so@default-path',
    ]);
    assert.deepEqual(summary(await w.resolve('/bin/nodeflib')), [
      'libc1.so=/opt/c/libc1.so@ld.so.cache', // outside the default directories: allowed
      'libsys.so=not found', // under /usr/lib/: refused with DF_1_NODEFLIB
      'libdef.so=not found',
    ]);
  } finally {
    w.cleanup();
  }
});

test('a corrupt ld.so.cache is ignored with a warning, as the loader ignores it', async () => {
  const w = world({ [GLIBC_INTERP]: loader, '/bin/app': exe({ needed: ['libdef.so'] }), '/usr/lib/libdef.so': {} }, {}, { '/etc/ld.so.cache': 'glibc-ld.so.cache1.1 but cut' });
  try {
    const tree = await w.resolve('/bin/app');
    assert.deepEqual(summary(tree), ['libdef.so=/usr/lib/libdef.so@default-path']);
    assert.equal(tree.warnings.length, 1);
    assert.match(tree.warnings[0] ?? '', /^\/etc\/ld\.so\.cache: /);
  } finally {
    w.cleanup();
  }
});

test('glibc skips a candidate of the wrong class or machine and keeps searching; musl takes it and fails', async () => {
  const w = world({
    [GLIBC_INTERP]: loader,
    [MUSL_INTERP]: {},
    '/bin/app': exe({ needed: ['libx.so', 'liby.so'], rpath: ['/r'] }),
    '/bin/musl': { interpreter: MUSL_INTERP, needed: ['libx.so'], rpath: ['/r'] },
    '/r/libx.so': { class: 32, machine: 3 },
    '/lib/libx.so': {},
    '/r/liby.so': { machine: 183 },
    '/usr/lib/liby.so': {},
  });
  try {
    assert.deepEqual(summary(await w.resolve('/bin/app')), ['libx.so=/lib/libx.so@default-path', 'liby.so=/usr/lib/liby.so@default-path']);
    const musl = await w.resolve('/bin/musl');
    assert.equal(musl.flavor, 'musl');
    assert.equal(musl.libraries[0]?.path, '/r/libx.so');
    assert.match(musl.libraries[0]?.error ?? '', /wrong ELF class/);
  } finally {
    w.cleanup();
  }
});

test('a missing library is listed once per object needing it; one in an ld.so.conf directory says so', async () => {
  const w = world(
    {
      [GLIBC_INTERP]: loader,
      '/bin/app': exe({ needed: ['libgone.so', 'liba.so', 'libconf.so'] }),
      '/usr/lib/liba.so': { needed: ['libgone.so'] },
      '/opt/conf/libconf.so': {},
    },
    {},
    { '/etc/ld.so.conf': 'include /etc/ld.so.conf.d/*.conf\n', '/etc/ld.so.conf.d/opt.conf': '/opt/conf\n' },
  );
  try {
    const tree = await w.resolve('/bin/app');
    assert.deepEqual(summary(tree), ['libgone.so=not found', 'liba.so=/usr/lib/liba.so@default-path', 'libconf.so=not found', 'libgone.so=not found']);
    assert.deepEqual(
      tree.libraries.map((l) => l.neededBy),
      ['/bin/app', '/bin/app', '/bin/app', '/usr/lib/liba.so'],
    );
    assert.equal(tree.libraries[2]?.inLdSoConfDir, '/opt/conf/libconf.so');
    assert.equal(tree.libraries[0]?.inLdSoConfDir, undefined);
  } finally {
    w.cleanup();
  }
});

test('$ORIGIN is the real directory of the executable (or as given, like ldd) and the found path of a library', async () => {
  const w = world(
    {
      [GLIBC_INTERP]: loader,
      '/app/bin/app': exe({ needed: ['libgreet.so'], runpath: ['$ORIGIN/../lib'] }),
      '/app/lib/libgreet.so': { needed: ['libinner.so'], runpath: ['${ORIGIN}/inner'] },
      '/app/lib/inner/libinner.so': {},
      '/usr/lib/libgreet.so': { needed: ['libinner.so'], runpath: ['$ORIGIN/inner'] },
    },
    { '/usr/bin/app': '../../app/bin/app', '/usr/lib/inner': '/app/lib/inner' },
  );
  try {
    assert.deepEqual(summary(await w.resolve('/usr/bin/app')), [
      'libgreet.so=/app/bin/../lib/libgreet.so@runpath',
      'libinner.so=/app/bin/../lib/inner/libinner.so@runpath',
    ]);
    // ldd runs the loader with the path it is given, so its $ORIGIN is the link's directory.
    assert.deepEqual(summary(await w.resolve('/usr/bin/app', { executableOrigin: 'as-given' })), [
      'libgreet.so=/usr/bin/../lib/libgreet.so@runpath',
      'libinner.so=/usr/bin/../lib/inner/libinner.so@runpath',
    ]);
  } finally {
    w.cleanup();
  }
});

test('$LIB and $PLATFORM expand; a path using an unknown token is dropped; relative paths are skipped', async () => {
  const w = world({
    [GLIBC_INTERP]: loader,
    '/bin/app': exe({ needed: ['liba.so', 'libb.so'], rpath: ['/opt/$LIB/${PLATFORM}', 'rel/dir', '/opt/$PLATFORMX', '/q/$FOO'] }),
    '/opt/lib64/x86_64/liba.so': {},
    '/opt/$PLATFORMX/libb.so': {},
    '/q/$FOO/libb.so': {},
  });
  try {
    // "$PLATFORMX" is not the token (an identifier character follows), and "$FOO" is no token: both literal.
    assert.deepEqual(summary(await w.resolve('/bin/app', { lib: 'lib64', platform: 'x86_64' })), [
      'liba.so=/opt/lib64/x86_64/liba.so@rpath',
      'libb.so=/opt/$PLATFORMX/libb.so@rpath',
    ]);
  } finally {
    w.cleanup();
  }
});

test('names already loaded are reused: by needed name, by soname, and by file identity', async () => {
  const w = world(
    {
      [GLIBC_INTERP]: loader,
      '/bin/app': exe({ needed: ['libfoo.so', 'libbar.so', 'libfoo.so.1', 'libalias.so'] }),
      '/usr/lib/libfoo.so.1.2': { soname: 'libfoo.so.1' },
      '/usr/lib/libbar.so': { needed: ['libfoo.so'] },
    },
    { '/usr/lib/libfoo.so': 'libfoo.so.1.2', '/usr/lib/libalias.so': 'libfoo.so.1.2' },
  );
  try {
    const tree = await w.resolve('/bin/app');
    assert.deepEqual(summary(tree), ['libfoo.so=/usr/lib/libfoo.so@default-path', 'libbar.so=/usr/lib/libbar.so@default-path']);
    // The tree still shows every edge; the second mention of an object is marked, without its children again.
    assert.deepEqual(
      tree.tree.map((n) => `${n.name}=${n.path}`),
      ['libfoo.so=/usr/lib/libfoo.so', 'libbar.so=/usr/lib/libbar.so', 'libfoo.so.1=/usr/lib/libfoo.so', 'libalias.so=/usr/lib/libfoo.so'],
    );
  } finally {
    w.cleanup();
  }
});

test('the glibc loader is listed where rtld.c puts it: after the object mapped just before it was first needed', async () => {
  const w = world({
    [GLIBC_INTERP]: loader,
    '/bin/app': exe({ needed: ['libsel.so', 'libc.so.6', 'libz.so'] }),
    '/usr/lib/libsel.so': { needed: ['libpcre.so', 'libc.so.6', 'ld-linux-x86-64.so.2'] },
    '/usr/lib/libc.so.6': { needed: ['ld-linux-x86-64.so.2'] },
    '/usr/lib/libz.so': {},
    '/usr/lib/libpcre.so': {},
  });
  try {
    const tree = await w.resolve('/bin/app');
    assert.deepEqual(summary(tree), [
      'libsel.so=/usr/lib/libsel.so@default-path',
      'libc.so.6=/usr/lib/libc.so.6@default-path',
      'libz.so=/usr/lib/libz.so@default-path',
      'libpcre.so=/usr/lib/libpcre.so@default-path',
      `ld-linux-x86-64.so.2=${GLIBC_INTERP}@loader`,
    ]);
    assert.deepEqual(tree.interpreter, { path: GLIBC_INTERP, found: true });
  } finally {
    w.cleanup();
  }
});

test('dependency cycles end; the tree shows a repeated object without its children', async () => {
  const w = world({
    [GLIBC_INTERP]: loader,
    '/bin/app': exe({ needed: ['liba.so'] }),
    '/usr/lib/liba.so': { needed: ['libb.so'] },
    '/usr/lib/libb.so': { needed: ['liba.so'] },
  });
  try {
    const tree = await w.resolve('/bin/app');
    assert.deepEqual(summary(tree), ['liba.so=/usr/lib/liba.so@default-path', 'libb.so=/usr/lib/libb.so@default-path']);
    const a = tree.tree[0];
    const b = a?.children[0];
    assert.equal(b?.name, 'libb.so');
    assert.deepEqual(b?.children.map((n) => [n.name, n.repeated, n.children.length]), [['liba.so', true, 0]]);
  } finally {
    w.cleanup();
  }
});

test('closure bounds: at most maxLibraries objects and maxDepth levels, with warnings', async () => {
  const files: Record<string, Spec> = { [GLIBC_INTERP]: loader, '/bin/app': exe({ needed: ['lib0.so'] }) };
  for (let i = 0; i < 20; i++) files[`/usr/lib/lib${i}.so`] = { needed: [`lib${i + 1}.so`] };
  const w = world(files);
  try {
    const few = await w.resolve('/bin/app', { maxLibraries: 5 });
    assert.equal(few.libraries.length, 5);
    assert.ok(few.warnings.some((x) => x.includes('more than 5 libraries')));
    const shallow = await w.resolve('/bin/app', { maxDepth: 3 });
    assert.deepEqual(summary(shallow), ['lib0.so=/usr/lib/lib0.so@default-path', 'lib1.so=/usr/lib/lib1.so@default-path', 'lib2.so=/usr/lib/lib2.so@default-path']);
    assert.ok(shallow.warnings.some((x) => x.includes('deeper than 3')));
    const full = await w.resolve('/bin/app');
    assert.equal(full.libraries.length, 21);
    assert.equal(full.libraries[20]?.path, null, 'lib20.so needs lib20... lib21.so, which does not exist');
  } finally {
    w.cleanup();
  }
});

test('a static binary has no interpreter and no libraries; a missing interpreter is reported', async () => {
  const w = world({ '/bin/static': {}, '/bin/orphan': exe({ needed: ['libx.so'] }), '/usr/lib/libx.so': {} });
  try {
    const tree = await w.resolve('/bin/static');
    assert.deepEqual(tree, { flavor: null, interpreter: null, libraries: [], tree: [], warnings: [] });
    const orphan = await w.resolve('/bin/orphan');
    assert.deepEqual(orphan.interpreter, { path: GLIBC_INTERP, found: false });
    assert.deepEqual(summary(orphan), ['libx.so=/usr/lib/libx.so@default-path']);
  } finally {
    w.cleanup();
  }
});

test('without an explicit list, the default directories are upstream glibc\'s for the architecture', async () => {
  const w = world({ [GLIBC_INTERP]: loader, '/bin/app': exe({ needed: ['liba.so', 'libb.so'] }), '/usr/lib64/liba.so': {}, '/usr/lib/libb.so': {} });
  try {
    // The fake interpreter holds no SYSTEM_DIRS string, so x86_64's /lib64:/usr/lib64 apply, and /usr/lib is not searched.
    const tree = await resolveLibraries(w.fs, '/bin/app', {
      loadObject: async (f, p) => ((await f.stat(p))?.kind === 'file' ? { class: 64, littleEndian: true, machine: 62, needed: p === '/bin/app' ? ['liba.so', 'libb.so'] : [], rpath: [], runpath: [], flags1: 0, interpreter: p === '/bin/app' ? GLIBC_INTERP : null } : undefined),
    });
    assert.deepEqual(summary(tree), ['liba.so=/usr/lib64/liba.so@default-path', 'libb.so=not found']);
  } finally {
    w.cleanup();
  }
});

test('musl order: LD_LIBRARY_PATH first, then DT_RUNPATH or else DT_RPATH up the chain, then the path file', async () => {
  const w = world(
    {
      [MUSL_INTERP]: {},
      '/bin/app': { interpreter: MUSL_INTERP, needed: ['libx.so', 'liba.so', 'libc.musl-x86_64.so.1'], rpath: ['/r'] },
      '/bin/both': { interpreter: MUSL_INTERP, needed: ['libx.so'], rpath: ['/r'], runpath: ['$ORIGIN/../run'] },
      '/r/libx.so': {},
      '/run/libx.so': {},
      '/env/libx.so': {},
      '/r/liba.so': { needed: ['libb.so', 'libc.so'], runpath: ['/nowhere'] },
      '/r/libb.so': {},
      '/p1/libpath.so': {},
    },
    {},
    { '/etc/ld-musl-x86_64.path': '/p1\n/p2:/p3\n' },
  );
  try {
    const tree = await w.resolve('/bin/app');
    assert.equal(tree.flavor, 'musl');
    assert.deepEqual(summary(tree), [
      'libx.so=/r/libx.so@rpath',
      'liba.so=/r/liba.so@rpath',
      `libc.musl-x86_64.so.1=${MUSL_INTERP}@loader`,
      // musl, unlike glibc, goes on up the chain even when the requester has a DT_RUNPATH.
      'libb.so=/r/libb.so@rpath',
    ]);
    assert.deepEqual(summary(await w.resolve('/bin/app', { ldLibraryPath: '/env' })).slice(0, 1), ['libx.so=/env/libx.so@ld_library_path']);
    // DT_RUNPATH, when present, replaces DT_RPATH (one or the other, never both).
    assert.deepEqual(summary(await w.resolve('/bin/both')), ['libx.so=/bin/../run/libx.so@runpath']);
  } finally {
    w.cleanup();
  }
});

test('musl system path: the path file (empty means none), else /lib:/usr/local/lib:/usr/lib; the file sits under the loader\'s prefix', async () => {
  const base = {
    [MUSL_INTERP]: {},
    '/opt/musl/lib/ld-musl-x86_64.so.1': {},
    '/bin/app': { interpreter: MUSL_INTERP, needed: ['libd.so', 'libp.so'] },
    '/bin/prefixed': { interpreter: '/opt/musl/lib/ld-musl-x86_64.so.1', needed: ['libp.so', 'libd.so'] },
    '/usr/local/lib/libd.so': {},
    '/p/libp.so': {},
  };
  const none = world(base);
  const withFile = world(base, {}, { '/etc/ld-musl-x86_64.path': '/p', '/opt/musl/etc/ld-musl-x86_64.path': '/usr/local/lib' });
  const empty = world(base, {}, { '/etc/ld-musl-x86_64.path': '' });
  try {
    assert.deepEqual(summary(await none.resolve('/bin/app')), ['libd.so=/usr/local/lib/libd.so@default-path', 'libp.so=not found']);
    assert.deepEqual(summary(await withFile.resolve('/bin/app')), ['libd.so=not found', 'libp.so=/p/libp.so@musl-path']);
    assert.deepEqual(summary(await withFile.resolve('/bin/prefixed')), ['libp.so=not found', 'libd.so=/usr/local/lib/libd.so@musl-path']);
    assert.deepEqual(summary(await empty.resolve('/bin/app')), ['libd.so=not found', 'libp.so=not found']);
  } finally {
    none.cleanup();
    withFile.cleanup();
    empty.cleanup();
  }
});

test('musl: reserved names map to the loader, each family reported once, like musl\'s ldd', async () => {
  const w = world({
    [MUSL_INTERP]: {},
    '/bin/app': { interpreter: MUSL_INTERP, needed: ['libc.so', 'libm.so.6', 'libpthread.so.0', 'libc.musl-x86_64.so.1', 'libcrypt.so', MUSL_INTERP] },
    '/usr/lib/libcrypt.so': {},
  });
  try {
    const tree = await w.resolve('/bin/app');
    assert.deepEqual(summary(tree), [
      `libc.so=${MUSL_INTERP}@loader`,
      `libm.so.6=${MUSL_INTERP}@loader`,
      `libpthread.so.0=${MUSL_INTERP}@loader`,
      // libc.musl-x86_64.so.1 is the "c." family again: not printed twice; "libcrypt" is not reserved.
      'libcrypt.so=/usr/lib/libcrypt.so@default-path',
    ]);
    assert.equal(tree.tree.length, 6);
    assert.ok(tree.tree.filter((n) => n.via === 'loader').length === 5);
  } finally {
    w.cleanup();
  }
});

test('a library that exists but does not load is reported with the error, and not followed', async () => {
  const w = world({ [GLIBC_INTERP]: loader, '/bin/app': exe({ needed: ['libbad.so', '/abs/libabs.so'] }), '/abs/libabs.so': {} }, {}, { '/usr/lib/libbad.so': 'not an ELF file' });
  try {
    const tree = await w.resolve('/bin/app');
    assert.equal(tree.libraries[0]?.path, '/usr/lib/libbad.so');
    assert.equal(tree.libraries[0]?.error, '/usr/lib/libbad.so: invalid ELF header');
    assert.deepEqual(summary(tree).slice(1), ['/abs/libabs.so=/abs/libabs.so@direct']);
  } finally {
    w.cleanup();
  }
});

test('the loader named by its real path is still the loader, not a second copy', async () => {
  const w = world(
    { '/usr/lib/real-ld.so': loader, '/bin/app': exe({ needed: ['libc.so.6'] }), '/usr/lib/libc.so.6': { needed: ['/usr/lib/real-ld.so'] } },
    { [GLIBC_INTERP]: '/usr/lib/real-ld.so' },
  );
  try {
    const tree = await w.resolve('/bin/app');
    assert.deepEqual(summary(tree), ['libc.so.6=/usr/lib/libc.so.6@default-path', `/usr/lib/real-ld.so=${GLIBC_INTERP}@loader`]);
  } finally {
    w.cleanup();
  }
});
