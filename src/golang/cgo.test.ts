import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openExecutable } from '../binary/open.js';
import { InputError } from '../errors.js';
import { withFile } from '../io/source.js';
import {
  analyseCgo,
  buildTags,
  linkmodeFromLdflags,
  MUSL_STATIC_FIX,
  NETGO_FIX,
  OSUSERGO_FIX,
  PLUGIN_FIX,
  STD_MODULE,
  withPackagesAndCgo,
  type CgoAnalysis,
  type CgoBuildFacts,
} from './cgo.js';
import { readGoInfo } from './goinfo.js';
import { readGoPackages, type GoPackages } from './packages.js';
import { fixture } from '../testing/fixtures.js';
import { goBinary, goEnv, REPO_ROOT } from '../testing/fixture-key.js';
import { frameModinfo, inlineBlob, pclntabWithFunctions, utf8 } from '../testing/go-synthetic.js';
import { mutate, Rng } from '../testing/mutate.js';
import { run } from '../testing/process.js';
import { syntheticFile } from '../testing/synthetic-layout.js';

async function analyse(path: string): Promise<CgoAnalysis> {
  return withFile(path, async (source) => {
    const opened = await openExecutable(source);
    assert.ok(opened, path);
    const info = await readGoInfo(opened.layout);
    const packages = await readGoPackages(opened.layout, info);
    assert.ok(packages, `${path}: pclntab`);
    return analyseCgo(opened.layout, packages, info);
  });
}

test('go-net-cgo (and its go1.19 twin): net calls C through the libc resolver; the fix is netgo', async () => {
  for (const name of ['go-net-cgo', 'go-net-cgo-go119']) {
    const cgo = await analyse(fixture(name));
    assert.equal(cgo.used, true, name);
    assert.deepEqual(cgo.packages, ['net', 'runtime/cgo'], name);
    assert.deepEqual(cgo.culprits, [{ package: 'net', module: STD_MODULE, fix: NETGO_FIX }], name);
    assert.equal(cgo.resolver, 'cgo', name);
    assert.equal(cgo.userLookup, null, name);
    assert.equal(cgo.linkmode, 'internal', name);
    assert.equal(cgo.purego, false, name);
    assert.ok(cgo.evidence.some((e) => e.startsWith('net calls C through cgo: ') && e.includes('getaddrinfo')), name);
  }
});

test('go-net-netgo: cgo allowed but unused; net keeps the Go resolver', async () => {
  const cgo = await analyse(fixture('go-net-netgo'));
  assert.equal(cgo.used, false);
  assert.deepEqual(cgo.packages, []);
  assert.deepEqual(cgo.culprits, []);
  assert.equal(cgo.resolver, 'go');
  assert.ok(cgo.evidence.includes('built with -tags netgo'));
  assert.ok(cgo.evidence.some((e) => e.startsWith('built with CGO_ENABLED=1')));
});

test('go-osuser-cgo: os/user looks users up through libc; the fix is osusergo', async () => {
  const cgo = await analyse(fixture('go-osuser-cgo'));
  assert.equal(cgo.used, true);
  assert.deepEqual(cgo.culprits, [{ package: 'os/user', module: STD_MODULE, fix: OSUSERGO_FIX }]);
  assert.equal(cgo.userLookup, 'cgo');
  assert.equal(cgo.resolver, null);
});

test('go-osuser-nocgo and go-static: no cgo at all', async () => {
  for (const name of ['go-osuser-nocgo', 'go-static', 'go-static-go119', 'go-stripped', 'go-static-s390x', 'go-darwin-amd64', 'go-windows-amd64']) {
    const cgo = await analyse(fixture(name));
    assert.equal(cgo.used, false, name);
    assert.deepEqual(cgo.packages, [], name);
    assert.deepEqual(cgo.culprits, [], name);
    assert.equal(cgo.linkmode, 'internal', name);
  }
  assert.equal((await analyse(fixture('go-osuser-nocgo'))).userLookup, 'go');
});

test('go-cgo-musl-static: the main package calls C; the culprit is main in the main module, fixed by a static musl link', async () => {
  const cgo = await analyse(fixture('go-cgo-musl-static'));
  assert.equal(cgo.used, true);
  assert.deepEqual(cgo.packages, ['main', 'runtime/cgo']);
  assert.deepEqual(cgo.culprits, [{ package: 'main', module: 'example.com/cgomusl', fix: MUSL_STATIC_FIX }]);
  assert.equal(cgo.linkmode, 'external');
  assert.ok(cgo.evidence.includes('main calls C through cgo: add_one'));
});

test('go-pie-cgo: cgo found in a PIE, and in a stripped copy (no symbol points at the pclntab)', async () => {
  const cgo = await analyse(fixture('go-pie-cgo'));
  assert.equal(cgo.used, true);
  assert.deepEqual(cgo.culprits.map((c) => c.package), ['net']);
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-pie-strip-'));
  try {
    const stripped = join(dir, 'app');
    const result = await run('strip', ['-o', stripped, fixture('go-pie-cgo')], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    assert.equal(result.code, 0, result.stderr);
    const again = await analyse(stripped);
    assert.deepEqual(again.culprits, cgo.culprits);
    assert.equal(again.linkmode, 'internal');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Packages `go tool nm` shows with cgo stubs (`P._Cfunc_x`, `P._C2func_x`), and whether runtime/cgo's x_cgo_init is there. */
async function nmOracle(path: string): Promise<{ callers: string[]; xCgoInit: boolean }> {
  const result = await run(goBinary('go1.23'), ['tool', 'nm', path], { env: goEnv(), timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  const callers = new Set<string>();
  let xCgoInit = false;
  for (const line of result.stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [type, name] = [fields[1], fields.slice(2).join(' ')];
    if (type !== 'T' && type !== 't') continue;
    if (name === 'x_cgo_init') xCgoInit = true;
    const stub = /^(.+)\._C2?func_[^.]+(?:\.abi0)?$/.exec(name);
    if (stub) callers.add(stub[1] as string);
  }
  return { callers: [...callers].sort(), xCgoInit };
}

test('the packages that call C and the use of cgo agree with the symbol table (`go tool nm`)', async () => {
  for (const name of ['go-net-cgo', 'go-net-cgo-go119', 'go-osuser-cgo', 'go-cgo-musl-static', 'go-pie-cgo', 'go-net-netgo', 'go-osuser-nocgo', 'go-static']) {
    const expected = await nmOracle(fixture(name));
    const cgo = await analyse(fixture(name));
    assert.deepEqual(
      cgo.packages.filter((p) => p !== 'runtime/cgo'),
      expected.callers,
      name,
    );
    assert.equal(cgo.used, expected.xCgoInit, `${name}: used iff runtime/cgo's C code is linked`);
  }
});

test('an externally linked, stripped cgo PIE: pclntab found by scanning, linkmode read from the table', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-extpie-'));
  try {
    cpSync(join(REPO_ROOT, 'fixtures', 'go', 'cgomusl'), join(dir, 'src'), { recursive: true });
    const out = join(dir, 'app');
    // A cgo package of its own forces external linking, which the recorded -ldflags ("-s -w") do not mention.
    const built = await run(
      goBinary('go1.23'),
      ['build', '-buildvcs=false', '-buildmode=pie', '-ldflags=-s -w', '-o', out, '.'],
      { cwd: join(dir, 'src'), env: { ...goEnv(), CGO_ENABLED: '1' }, timeoutMs: 300_000 },
    );
    assert.equal(built.code, 0, built.stderr);
    // readelf: no section names the pclntab, and the host toolchain's .comment shows the external link.
    const sections = await run('readelf', ['-SW', out], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    assert.equal(sections.code, 0, sections.stderr);
    assert.ok(!sections.stdout.includes('gopclntab'), 'no pclntab section');
    assert.ok(sections.stdout.includes('.comment'), 'linked by the C toolchain');
    assert.ok(!sections.stdout.includes('.symtab'), 'stripped');

    const cgo = await analyse(out);
    assert.equal(cgo.used, true);
    assert.deepEqual(cgo.culprits, [{ package: 'main', module: 'example.com/cgomusl', fix: MUSL_STATIC_FIX }]);
    assert.equal(cgo.linkmode, 'external');
    assert.ok(cgo.evidence.some((e) => e.includes('linked externally')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('withPackagesAndCgo fills the go fields of a GoInfo', async () => {
  await withFile(fixture('go-osuser-cgo'), async (source) => {
    const opened = await openExecutable(source);
    assert.ok(opened);
    const info = await readGoInfo(opened.layout);
    assert.ok(info);
    const filled = await withPackagesAndCgo(opened.layout, info);
    assert.ok(filled.packages?.includes('os/user'));
    assert.deepEqual(filled.cgo, {
      used: true,
      packages: ['os/user', 'runtime/cgo'],
      culprits: [{ package: 'os/user', module: STD_MODULE, fix: OSUSERGO_FIX }],
    });
    assert.equal(filled.version, info.version);
  });
});

// Constructed inputs: what the analysis says for package sets no fixture has.

const noSymbols = syntheticFile([{ name: '.text', vaddr: 0x401000n, bytes: new Uint8Array(16), executable: true }]).layout();

function packagesWith(list: string[], cgoCalls: Record<string, string[]>, modules: Record<string, string> = {}, cgoRuntimeNames: string[] = []): GoPackages {
  const packages = [...list].sort();
  return { packages, stdlib: packages.filter((p) => !p.split('/')[0]?.includes('.') && p !== 'main'), modules, cgoCalls, cgoRuntimeNames, functionCount: 100 };
}

function build(settings: [string, string][] = [], deps: string[] = []): CgoBuildFacts {
  return {
    main: { path: 'example.com/app', version: '(devel)', sum: '' },
    deps: deps.map((path) => ({ path, version: 'v1.0.0', sum: '' })),
    settings: settings.map(([key, value]) => ({ key, value })),
  };
}

test('a known cgo module is fixed by its pure-Go replacement; an unknown one by a static musl link', async () => {
  const sqlite = 'github.com/mattn/go-sqlite3';
  const cgo = await analyseCgo(
    noSymbols,
    packagesWith(['main', 'runtime', 'runtime/cgo', sqlite, 'example.com/ffi/inner'], { [sqlite]: ['sqlite3_open_v2'], 'example.com/ffi/inner': ['ffi_call'] }, {
      [sqlite]: sqlite,
      'example.com/ffi/inner': 'example.com/ffi',
    }),
    build([['CGO_ENABLED', '1']], [sqlite, 'example.com/ffi']),
  );
  assert.equal(cgo.used, true);
  assert.deepEqual(cgo.packages, ['example.com/ffi/inner', sqlite, 'runtime/cgo']);
  const bySqlite = cgo.culprits.find((c) => c.package === sqlite);
  assert.equal(bySqlite?.module, sqlite);
  assert.ok(bySqlite?.fix.startsWith(`replace ${sqlite} with modernc.org/sqlite (or github.com/ncruces/go-sqlite3)`), bySqlite?.fix);
  assert.deepEqual(
    cgo.culprits.find((c) => c.package === 'example.com/ffi/inner'),
    { package: 'example.com/ffi/inner', module: 'example.com/ffi', fix: MUSL_STATIC_FIX },
  );
  // runtime/cgo's Go half without its C half in the table: linked externally.
  assert.equal(cgo.linkmode, 'external');
});

test('a module with no pure-Go route gets the musl fix with the reason; plugin gets its own', async () => {
  const duckdb = 'github.com/marcboeker/go-duckdb';
  const cgo = await analyseCgo(
    noSymbols,
    packagesWith(['main', 'plugin', 'runtime/cgo', duckdb], { [duckdb]: ['duckdb_open'], plugin: ['pluginOpen'] }, {}, ['x_cgo_init']),
    build([], [duckdb]),
  );
  const byDuck = cgo.culprits.find((c) => c.package === duckdb);
  assert.equal(byDuck?.module, duckdb);
  assert.ok(byDuck?.fix.startsWith(MUSL_STATIC_FIX) && byDuck.fix.includes('no pure-Go replacement'), byDuck?.fix);
  assert.deepEqual(cgo.culprits.find((c) => c.package === 'plugin'), { package: 'plugin', module: STD_MODULE, fix: PLUGIN_FIX });
  assert.equal(cgo.linkmode, 'internal');
});

test('purego: flagged, and its crosscall2 alone is not cgo', async () => {
  const purego = 'github.com/ebitengine/purego';
  const cgo = await analyseCgo(noSymbols, packagesWith(['main', 'runtime', purego, `${purego}/internal/fakecgo`], {}, { [purego]: purego }, ['crosscall2']), build([['CGO_ENABLED', '0']], [purego]));
  assert.equal(cgo.purego, true);
  assert.equal(cgo.used, false);
  assert.deepEqual(cgo.culprits, []);
  assert.ok(cgo.evidence.some((e) => e.startsWith('crosscall2 without runtime/cgo')));
});

test('runtime/cgo linked with no package calling C still gets a culprit with a fix', async () => {
  const cgo = await analyseCgo(noSymbols, packagesWith(['main', 'runtime', 'runtime/cgo'], {}, {}, ['x_cgo_init']), build());
  assert.equal(cgo.used, true);
  assert.deepEqual(cgo.packages, ['runtime/cgo']);
  assert.equal(cgo.culprits.length, 1);
  assert.equal(cgo.culprits[0]?.package, 'runtime/cgo');
});

test('build settings: -tags and -ldflags -linkmode as go version -m prints them', () => {
  const settings = (pairs: [string, string][]) => pairs.map(([key, value]) => ({ key, value }));
  assert.deepEqual(buildTags(settings([['-tags', 'netgo,osusergo']])), ['netgo', 'osusergo']);
  assert.deepEqual(buildTags(settings([['-tags', '"netgo osusergo"']])), ['netgo', 'osusergo']);
  assert.deepEqual(buildTags(settings([])), []);
  assert.equal(linkmodeFromLdflags(settings([['-ldflags', '"-linkmode external -extldflags -static"']])), 'external');
  assert.equal(linkmodeFromLdflags(settings([['-ldflags', '-linkmode=internal']])), 'internal');
  assert.equal(linkmodeFromLdflags(settings([['-ldflags', '"-s -w"']])), undefined);
  assert.equal(linkmodeFromLdflags(settings([['-ldflags', '"-X main.linkmode=external"']])), undefined);
});

test('fuzz: corrupted binaries give a cgo verdict or an InputError', async () => {
  const modinfo = 'path\texample.com/app\nmod\texample.com/app\t(devel)\t\nbuild\tCGO_ENABLED=1\nbuild\t-tags=netgo\n';
  const functions = [
    { name: 'runtime.main', cu: 0 },
    { name: 'net._C2func_getaddrinfo', cu: 1 },
    { name: 'main.main', cu: 2 },
    { name: 'x_cgo_init', cu: 3 },
  ];
  const file = syntheticFile([
    { name: '.text', vaddr: 0x401000n, bytes: new Uint8Array(32), executable: true },
    { name: '.gopclntab', vaddr: 0x480000n, bytes: pclntabWithFunctions(0xfffffff1, 8, false, functions) },
    { name: '.go.buildinfo', vaddr: 0x500000n, bytes: inlineBlob(utf8('go1.23.5'), frameModinfo(modinfo)), writable: true },
  ]);
  const hot: [number, number][] = [...file.offsets.values()].map((o) => [o, o + 96]);
  const rng = new Rng(0xc60);
  for (let round = 0; round < 200; round++) {
    const layout = file.layout(mutate(file.bytes, rng, hot));
    try {
      const info = await readGoInfo(layout);
      if (info) {
        const filled = await withPackagesAndCgo(layout, info);
        if (filled.cgo) assert.equal(typeof filled.cgo.used, 'boolean');
      }
    } catch (e) {
      assert.ok(e instanceof InputError, `round ${round} threw ${String(e)}`);
    }
  }
});
