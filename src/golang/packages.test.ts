import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openExecutable } from '../binary/open.js';
import { InputError } from '../errors.js';
import { FileSource, type ByteSource } from '../io/source.js';
import { readGoInfo } from './goinfo.js';
import { findPclntab } from './pclntab.js';
import { PACKAGE_RUN, packageOfFunction, packagePathByParts, packagePathOf, splitFunctionName, stripTypeArguments, unescapePackagePath } from './function-name.js';
import { FunctionCursor } from './functab.js';
import { nameChunk } from './funcnames.js';
import { isStandardPackage, moduleOfPackage, type BuildModules } from './package-modules.js';
import { PackageCollector, readGoPackages, type GoPackages } from './packages.js';
import { fixture, fixtureRecord } from '../testing/fixtures.js';
import { goBinary, goEnv, REPO_ROOT } from '../testing/fixture-key.js';
import type { GoToolchain } from '../testing/fixture-specs.js';
import { pclntabWithFunctions, type SyntheticFunction } from '../testing/go-synthetic.js';
import { mutate, Rng } from '../testing/mutate.js';
import { run } from '../testing/process.js';
import { syntheticFile } from '../testing/synthetic-layout.js';

test('function names → packages: methods, closures, generics, escapes', () => {
  const cases: [string, string | undefined][] = [
    ['main.main', 'main'],
    ['main.main.func1', 'main'],
    ['fmt.(*pp).doPrintf', 'fmt'],
    ['net/http.glob..func1', 'net/http'],
    ['net/http.(*Server).Serve', 'net/http'],
    ['internal/abi.Kind.String', 'internal/abi'],
    ['vendor/golang.org/x/net/dns/dnsmessage.(*Parser).Question', 'vendor/golang.org/x/net/dns/dnsmessage'],
    ['github.com/mattn/go-sqlite3._Cfunc_sqlite3_open_v2', 'github.com/mattn/go-sqlite3'],
    ['go.uber.org/zap.(*Logger).Info', 'go.uber.org/zap'],
    // The linker escapes dots in the last element, so the first dot after the last slash ends the path.
    ['gopkg.in/yaml%2ev3.Marshal', 'gopkg.in/yaml.v3'],
    // Type arguments may hold slashes and dots of other packages; they go first.
    ['slices.SortFunc[go.shape.[]*example.com/x.T,go.shape.func(*example.com/x.T, *example.com/x.T) int]', 'slices'],
    ['example.com/x.(*List[go.shape.struct { example.com/y.F int }]).Push', 'example.com/x'],
    ['sync/atomic.(*Pointer[...]).Load', 'sync/atomic'],
    // Compiler and linker generated, C, and assembler helpers: no package.
    ['type:.eq.[2]interface {}', undefined],
    ['type:.eq.example.com/x.T', undefined],
    ['type..eq.example.com/x.T', undefined],
    ['type..hash.main.T', undefined],
    ['go:buildid', undefined],
    ['go.buildid', undefined],
    ['go.itab.*example.com/x.T,io.Writer', undefined],
    ['x_cgo_init', undefined],
    ['x_cgo_munmap.cold', undefined],
    ['sqlite3VdbeExec.part.0', undefined],
    ['foo.constprop.0.isra.0', undefined],
    ['__x86.get_pc_thunk.ax', undefined],
    ['_rt0_amd64_linux', undefined],
    ['main.F[unbalanced', undefined],
    ['example.com/x%zz.F', undefined],
  ];
  for (const [name, expected] of cases) assert.equal(packageOfFunction(name), expected, name);
  assert.deepEqual(splitFunctionName('os/user._Cfunc_mygetpwuid_r'), { package: 'os/user', rest: '_Cfunc_mygetpwuid_r' });
  assert.equal(stripTypeArguments('a[b[c]d]e'), 'ae');
  assert.equal(stripTypeArguments('a]b'), undefined);
  // Against the definition, one character at a time, on random bracket strings.
  const byCharacter = (name: string): string | undefined => {
    let depth = 0;
    let out = '';
    for (const ch of name) {
      if (ch === '[') depth++;
      else if (ch === ']') {
        if (--depth < 0) return undefined;
      } else if (depth === 0) out += ch;
    }
    return depth === 0 ? out : undefined;
  };
  const rng = new Rng(11);
  for (let i = 0; i < 2000; i++) {
    const name = Array.from({ length: rng.below(16) }, () => 'ab[].'[rng.below(5)]).join('');
    assert.equal(stripTypeArguments(name), byCharacter(name), JSON.stringify(name));
  }
  assert.equal(unescapePackagePath('example.com/a%25b%2ec'), 'example.com/a%b.c');
});

test('PackageCollector.chunk (runs of one package, natively) says exactly what add (one name at a time) says', () => {
  const names = [
    'main.main', 'main.main.func1', 'fmt.(*pp).doPrintf', 'net/http.glob..func1', 'net/http.(*Server).Serve',
    'gopkg.in/yaml%2ev3.Marshal', 'gopkg.in/yaml.v3.Unmarshal', 'slices.SortFunc[go.shape.[]*example.com/x.T]',
    'example.com/x.(*List[go.shape.struct { example.com/y.F int }]).Push', 'type:.eq.[2]interface {}', 'type..hash.main.T',
    'go:buildid', 'go.itab.*example.com/x.T,io.Writer', 'golang.org/x/net/http2.(*Framer).ReadFrame', 'github.com/a/b.F',
    'x_cgo_init', 'crosscall2', '_cgo_0123456789ab_Cfunc_getaddrinfo', 'x_cgo_munmap.cold', 'sqlite3VdbeExec.part.0',
    'foo.constprop.0.isra.0', 'runtime.lock', 'runtime.procyield', 'runtime.cgocall', 'runtime.islocal', '__x86.get_pc_thunk.ax',
    '_rt0_amd64_linux', 'main.F[unbalanced', 'main.F]x', 'example.com/x%zz.F', 'net._C2func_getaddrinfo', 'os/user._Cfunc_mygetpwuid_r',
    'example.com/c._cgoexp_abc_F', 'pkg.', '.pkg', 'a/b/.c', 'a/b.c/d.e', 'a//b.c', 'ünïcode/pkg.F', 'example.com/ü.F', 'p.q\u00e9',
    'crypto/x509.loadSystemRoots', 'time.LoadLocation', 'os/user.Current', 'net.(*Resolver).lookupHost',
    // A name that starts like the one before it but has a '/' further on belongs to another package.
    'a/b.F', 'a/b.c/d.e', 'a/b.c/d.e.f', 'example.com/x.F', 'example.com/x.y/z.G', 'go.itab.a', 'go.foo', 'types.T', 'type.T',
    // Generated names whose prefix goes past a '/', which would read as a package.
    'go.string.example.com/x.y', 'go.importpath.a/b.c', 'type:.eq.a/b.T',
    // Clone suffixes after one- and many-element prefixes, and Go names that only start like one.
    'x_cgo_munmap.part.1.cold', 'a/b.cold', 'a/b.part.0', 'os.cold', 'os.coldStart', 'runtime.partial', 'p.isra', 'p.lto_priv.0',
    // Names starting with '_', in a package's names: cgo's stubs, and '_' elsewhere.
    'a/_b.F', '_a.F', 'a._', 'a.b_', 'main._C', 'main.__x',
    // Generic names after names of the same package: balanced or not, arguments where the rest starts, a '/' after them.
    'main.Map[go.shape.int,go.shape.string]', 'main.(*T[go.shape.int]).M', 'main.F[[2]int]', 'main.G[a]]b', 'main.H]x[', 'main.[x]',
    'main.K[x].func1', 'main.L[x]/y.G', 'example.com/x.S[go.shape.int].cold', 'cold.part[x]', 'runtime.cgocall[x]', 'main._C[x]',
    'os.cold[x]', 'os.Open[x]', 'slices.part[int].isra', 'a/b.cold[x]', 'main.F[[[[x]]]]', 'main.F[a/b.c]', 'main.F[x]y[z]',
  ];
  const wantedPlain = ['crypto/x509.loadSystemRoots', 'time.LoadLocation', 'os/user.Current', 'net._C2func_getaddrinfo', 'x_cgo_init', 'main.F[unbalanced', 'a/b.F', 'main.F[[2]int]', 'main.F[a/b.c]'];
  const NO_UNIT = 0xffffffff;
  const rng = new Rng(7);
  for (let round = 0; round < 40; round++) {
    // Half the rounds also want a generated name, which runs must then check one name at a time.
    const wanted = new Set(round % 4 < 2 ? wantedPlain : [...wantedPlain, 'go:buildid']);
    const withUnits = round % 2 === 1;
    // Runs of one package, as in real tables, and names in every order. The first round keeps the list's order, whose neighbours are chosen.
    const picks = round === 0 ? names : Array.from({ length: 300 }, () => names[rng.below(names.length)] as string);
    const stream = picks.flatMap((n) => Array.from({ length: 1 + rng.below(3) }, () => n));
    // Each name a function of its own (a unit, sometimes none) or only inlined; an empty name (a double NUL) now and then.
    const own = stream.map(() => rng.below(3) !== 0);
    const units = stream.map(() => (rng.below(10) === 0 ? NO_UNIT : rng.below(4)));
    const byName = new PackageCollector(wanted);
    let parent: number | undefined;
    stream.forEach((n, i) => {
      const unit = units[i] === NO_UNIT ? undefined : units[i];
      if (own[i]) parent = unit;
      byName.add(n, withUnits ? (own[i] ? unit : parent) : undefined, own[i] ? 1 : 0);
    });
    const pieces: Uint8Array[] = [];
    const offsets: number[] = [];
    const functionUnits: number[] = [];
    let at = 0;
    stream.forEach((n, i) => {
      const bytes = Buffer.from(`${rng.below(20) === 0 ? '\0' : ''}${n}\0`, 'utf8');
      const start = at + (bytes[0] === 0 ? 1 : 0);
      if (own[i]) {
        offsets.push(start);
        functionUnits.push(units[i] as number);
      }
      pieces.push(bytes);
      at += bytes.length;
    });
    const table = Buffer.concat(pieces);
    const byChunk = new PackageCollector(wanted);
    const cursor = new FunctionCursor(Uint32Array.from(offsets), withUnits ? Uint32Array.from(functionUnits) : undefined);
    // Chunks end after a NUL, at random ones, as the table reader cuts them.
    for (let from = 0; from < table.length; ) {
      let end = Math.min(table.length, from + 1 + rng.below(400));
      while (table[end - 1] !== 0) end++;
      const bytes = table.subarray(from, end);
      byChunk.chunk(nameChunk(bytes, bytes.toString('latin1'), from), cursor);
      from = end;
    }
    assert.deepEqual(byChunk.result(null), byName.result(null), `round ${round}`);
    assert.deepEqual([...byChunk.functions].sort(), [...byName.functions].sort(), `round ${round}`);
  }
});

// A quadratic match on these shapes would take hours: the timeout is the test.
test('PACKAGE_RUN takes a run of names as splitFunctionName cuts each, and ends on hostile shapes', { timeout: 60_000 }, () => {
  const runAt = (text: string): [string, number] | undefined => {
    PACKAGE_RUN.lastIndex = 0;
    const m = PACKAGE_RUN.exec(text);
    return m ? [m[1] as string, PACKAGE_RUN.lastIndex] : undefined;
  };
  assert.deepEqual(runAt('a/b.c/d.e\0a/b.c/d.f\0a/b.c/d.x/y.z\0'), ['a/b.c/d', 20]);
  assert.deepEqual(runAt('os.Open\0os.cold\0'), ['os', 8]);
  assert.deepEqual(runAt('net.F\0net._C2func_getaddrinfo\0'), ['net', 6]);
  // Type arguments, with other packages' '/' and '.' inside, keep a name in its run; unbalanced or too deep, they end it.
  const generic = 'main.F[int]\0main.(*T[go.shape.struct { a/b.C [4]int }]).M\0';
  assert.deepEqual(runAt(`${generic}main.G[a]]b\0`), ['main', generic.length]);
  assert.equal(runAt('main.F[[[[x]]]]\0'), undefined);
  assert.equal(runAt('main.F[x]/y.G\0'), undefined);
  // A one-element package's clone-like rest with type arguments is in the run: the collector looks at it alone (the next test).
  assert.deepEqual(runAt('os.cold[x]\0'), ['os', 11]);
  assert.equal(runAt('_cgo_init.x\0'), undefined);
  for (const text of ['a/'.repeat(400_000), '/'.repeat(800_000), 'a.'.repeat(400_000), `a.${'cold.'.repeat(160_000)}`, `a/b.${'c'.repeat(800_000)}`, `a.b${'['.repeat(400_000)}`, `a.b${'[x]'.repeat(250_000)}`, `a.b${'[[['.repeat(100_000)}${']]]'.repeat(100_000)}`, `a.p${'[x'.repeat(400_000)}`]) {
    const ending = runAt(`${text}\0`);
    assert.equal(runAt(text), undefined);
    assert.ok(ending === undefined || ending[1] === text.length + 1);
  }
});

test('standard library and module attribution', () => {
  const modules: BuildModules = {
    main: { path: 'myapp', version: '(devel)', sum: '' },
    deps: [
      { path: 'example.com/a', version: 'v1.0.0', sum: '' },
      { path: 'example.com/a/b', version: 'v1.0.0', sum: '' },
      { path: 'example.com/ab', version: 'v1.0.0', sum: '' },
    ],
  };
  assert.equal(isStandardPackage('net/http'), true);
  assert.equal(isStandardPackage('vendor/golang.org/x/net/idna'), true);
  assert.equal(isStandardPackage('golang.org/x/net/idna'), false);
  assert.equal(isStandardPackage('main'), false);
  // A main module named without a dot holds no standard packages.
  assert.equal(isStandardPackage('myapp/internal/db', modules), false);
  assert.equal(isStandardPackage('myapp/internal/db'), true);
  assert.equal(moduleOfPackage('main', modules), 'myapp');
  assert.equal(moduleOfPackage('myapp/internal/db', modules), 'myapp');
  assert.equal(moduleOfPackage('example.com/a/x', modules), 'example.com/a');
  assert.equal(moduleOfPackage('example.com/a/b/c', modules), 'example.com/a/b', 'longest prefix wins');
  // Against the definition (the longest module path that is the package or a parent of it), on random paths.
  const rng = new Rng(5);
  const element = (): string => ['a', 'b', 'ab', 'x.com', ''][rng.below(5)] as string;
  const path = (): string => Array.from({ length: 1 + rng.below(4) }, element).join('/');
  for (let round = 0; round < 300; round++) {
    const list: BuildModules = { main: { path: path(), version: '', sum: '' }, deps: Array.from({ length: rng.below(6) }, () => ({ path: path(), version: '', sum: '' })) };
    const pkg = path();
    const holders = [list.main, ...list.deps].map((m) => m?.path ?? '').filter((m) => m !== '' && (pkg === m || pkg.startsWith(`${m}/`)));
    const longest = holders.sort((x, y) => y.length - x.length)[0];
    assert.equal(moduleOfPackage(pkg, list), pkg === 'main' ? list.main?.path || undefined : longest, `${pkg} in ${JSON.stringify(list)}`);
  }
  assert.equal(moduleOfPackage('example.com/abc', modules), undefined, 'prefixes end at a slash');
  assert.equal(moduleOfPackage('example.com/ab', modules), 'example.com/ab');
});

const RUNTIME_NAMED: SyntheticFunction[] = [
  { name: 'runtime.main', cu: 0, inlined: ['os/signal.signal_ignored'] },
  { name: 'runtime.schedule', cu: 0 },
  { name: 'runtime/debug.SetTraceback', cu: 0 },
  { name: 'main.main', cu: 1, inlined: ['example.com/versioned.Version'] },
  { name: 'gopkg.in/yaml%2ev3.Marshal', cu: 2 },
  { name: 'gopkg.in/yaml%2ev3.Unmarshal', cu: 2 },
  { name: 'net._C2func_getaddrinfo', cu: 3 },
  { name: 'net._Cfunc_GoString', cu: 3 },
  { name: 'net.cgoLookupHost', cu: 3 },
  { name: 'x_cgo_init', cu: 4 },
  { name: 'type:.eq.main.T', cu: 1 },
];
const SYNTHETIC_MODULES: BuildModules = {
  main: { path: 'example.com/app', version: '(devel)', sum: '' },
  deps: [
    { path: 'example.com/versioned', version: 'v0.1.0', sum: '' },
    { path: 'gopkg.in/yaml.v3', version: 'v3.0.1', sum: 'h1:x=' },
  ],
};

async function syntheticPackages(magic: number, functions = RUNTIME_NAMED): Promise<GoPackages | null> {
  const file = syntheticFile([{ name: '.gopclntab', vaddr: 0x500000n, bytes: pclntabWithFunctions(magic, 8, false, functions) }]);
  return readGoPackages(file.layout(), SYNTHETIC_MODULES);
}

test('functions the runtime implements under other packages\' names do not make those packages compiled in', async () => {
  for (const magic of [0xfffffffa, 0xfffffff0, 0xfffffff1]) {
    const result = await syntheticPackages(magic);
    assert.ok(result);
    assert.deepEqual(result.packages, ['example.com/versioned', 'gopkg.in/yaml.v3', 'main', 'net', 'runtime', 'runtime/cgo']);
    assert.deepEqual(result.stdlib, ['net', 'runtime', 'runtime/cgo']);
    assert.deepEqual(result.modules, { 'example.com/versioned': 'example.com/versioned', 'gopkg.in/yaml.v3': 'gopkg.in/yaml.v3', main: 'example.com/app' });
    assert.deepEqual(result.cgoCalls, { net: ['getaddrinfo'] });
    assert.deepEqual(result.cgoRuntimeNames, ['x_cgo_init']);
  }
  // Before Go 1.16 there are no compilation units, and no inlined names: every name counts.
  const old = await syntheticPackages(0xfffffffb);
  assert.deepEqual(old?.packages, ['gopkg.in/yaml.v3', 'main', 'net', 'runtime', 'runtime/cgo', 'runtime/debug']);
});

test('a file without a pclntab has no package list', async () => {
  const file = syntheticFile([{ name: '.text', vaddr: 0x401000n, bytes: new Uint8Array(256).fill(0x90), executable: true }]);
  assert.equal(await readGoPackages(file.layout()), null);
});

const env = goEnv();

/** `go list -deps` for the fixture's program with the fixture's toolchain, environment and build flags. */
async function goListDeps(name: string): Promise<Map<string, { standard: boolean; module: string; isMain: boolean }>> {
  const record = fixtureRecord(name);
  const result = await run(
    goBinary(record.toolchain as GoToolchain),
    ['list', '-deps', ...record.flags, '-f', '{{.ImportPath}}\t{{.Standard}}\t{{.Name}}\t{{with .Module}}{{.Path}}{{end}}', '.'],
    { cwd: join(REPO_ROOT, record.source), env: { ...env, ...record.env }, timeoutMs: 120_000 },
  );
  assert.equal(result.code, 0, `go list -deps for ${name}: ${result.stderr}`);
  const deps = new Map<string, { standard: boolean; module: string; isMain: boolean }>();
  for (const line of result.stdout.split('\n').filter((l) => l !== '')) {
    const [path = '', standard, pkgName, module = ''] = line.split('\t');
    const isMain = pkgName === 'main';
    // Function names call the main package "main", whatever its import path.
    deps.set(isMain ? 'main' : path, { standard: standard === 'true', module, isMain });
  }
  return deps;
}

async function packagesOf(path: string): Promise<GoPackages> {
  const source = await FileSource.open(path);
  try {
    const opened = await openExecutable(source);
    assert.ok(opened, path);
    const info = await readGoInfo(opened.layout);
    const result = await readGoPackages(opened.layout, info);
    assert.ok(result, `${path}: a pclntab`);
    return result;
  } finally {
    await source.close();
  }
}

/** Fixture → packages that must be listed (beyond main, runtime and fmt, which every program here has). */
const REAL: Record<string, string[]> = {
  'go-net-cgo': ['net', 'runtime/cgo'],
  'go-net-cgo-go119': ['net', 'runtime/cgo'],
  'go-net-netgo': ['net'],
  'go-osuser-cgo': ['os/user', 'runtime/cgo'],
  'go-osuser-nocgo': ['os/user'],
  'go-cgo-musl-static': ['runtime/cgo'],
  'go-pie-cgo': ['net', 'runtime/cgo'],
  'go-static': ['strings'],
  'go-static-go119': ['strings'],
  'go-stripped': ['strings'],
  'go-stripped-go119': ['strings'],
  'go-static-s390x': ['strings'],
  'go-static-ppc64': ['strings'],
  'go-static-386': ['strings'],
  'go-darwin-amd64': ['strings'],
  'go-darwin-amd64-go119': ['strings'],
  'go-windows-amd64': ['strings'],
  'go-windows-amd64-go119': ['strings'],
  'go-replaced': ['github.com/fromscratch-fixtures/greet'],
};

test('real binaries: every package listed is in `go list -deps` for the same build, classified and attributed as go list does', async () => {
  const names = Object.keys(REAL);
  // Two at a time: go list is quick, and the machine is shared.
  const lists = new Map<string, Awaited<ReturnType<typeof goListDeps>>>();
  for (let i = 0; i < names.length; i += 2) {
    const batch = names.slice(i, i + 2);
    const results = await Promise.all(batch.map((n) => goListDeps(n)));
    batch.forEach((n, j) => lists.set(n, results[j] as Awaited<ReturnType<typeof goListDeps>>));
  }
  for (const name of names) {
    const deps = lists.get(name);
    assert.ok(deps);
    const ours = await packagesOf(fixture(name));
    for (const pkg of ['main', 'runtime', 'fmt', ...(REAL[name] ?? [])]) assert.ok(ours.packages.includes(pkg), `${name}: ${pkg} is listed`);
    assert.deepEqual([...ours.packages], [...new Set(ours.packages)].sort(), `${name}: sorted and unique`);
    for (const pkg of ours.packages) {
      const listed = deps.get(pkg);
      assert.ok(listed, `${name}: ${pkg} is not in go list -deps`);
      assert.equal(ours.stdlib.includes(pkg), listed.standard, `${name}: ${pkg} standard?`);
      if (!listed.standard) assert.equal(ours.modules[pkg], listed.module, `${name}: module of ${pkg}`);
    }
    // The packages the linker dropped whole are a minority: the list is not trivially small.
    assert.ok(ours.packages.length >= deps.size / 2, `${name}: ${ours.packages.length} of ${deps.size} packages found`);
  }
});

test('a module with dots in its last path element and generic code: unescaped paths, right modules', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-dotted-'));
  try {
    await writeFile(
      join(dir, 'go.mod'),
      'module example.com/app\n\ngo 1.19\n\nrequire example.com/dotted.v2 v1.0.0\n\nreplace example.com/dotted.v2 => ./dotted\n',
    );
    await writeFile(
      join(dir, 'main.go'),
      [
        'package main',
        '',
        'import (',
        '\t"fmt"',
        '',
        '\t"example.com/dotted.v2"',
        '\tutil "example.com/dotted.v2/util.x"',
        ')',
        '',
        'type point struct{ x, y int }',
        '',
        'func main() {',
        '\tps := dotted.Map([]point{{1, 2}}, func(p point) point { return point{p.y, p.x} })',
        '\tfmt.Println(ps, dotted.Map([]string{"a"}, util.Shout))',
        '}',
        '',
      ].join('\n'),
    );
    mkdirSync(join(dir, 'dotted', 'util.x'), { recursive: true });
    await writeFile(join(dir, 'dotted', 'go.mod'), 'module example.com/dotted.v2\n\ngo 1.19\n');
    await writeFile(
      join(dir, 'dotted', 'map.go'),
      'package dotted\n\n//go:noinline\nfunc Map[T any](xs []T, f func(T) T) []T {\n\tout := make([]T, 0, len(xs))\n\tfor _, x := range xs {\n\t\tout = append(out, f(x))\n\t}\n\treturn out\n}\n',
    );
    await writeFile(join(dir, 'dotted', 'util.x', 'shout.go'), 'package util\n\nimport "strings"\n\n//go:noinline\nfunc Shout(s string) string { return strings.ToUpper(s) + "!" }\n');
    for (const toolchain of ['go1.23', 'go1.19'] as const) {
      const out = join(dir, `app-${toolchain}`);
      const buildEnv = { ...env, CGO_ENABLED: '0' };
      const built = await run(goBinary(toolchain), ['build', '-buildvcs=false', '-o', out, '.'], { cwd: dir, env: buildEnv, timeoutMs: 300_000 });
      assert.equal(built.code, 0, built.stderr);
      const listed = await run(goBinary(toolchain), ['list', '-deps', '-f', '{{.ImportPath}}', '.'], { cwd: dir, env: buildEnv });
      const deps = new Set(listed.stdout.split('\n').filter((l) => l !== '' && l !== 'example.com/app'));
      const ours = await packagesOf(out);
      for (const pkg of ['example.com/dotted.v2', 'example.com/dotted.v2/util.x']) {
        assert.ok(ours.packages.includes(pkg), `${toolchain}: ${pkg} listed (got ${ours.packages.join(' ')})`);
        assert.equal(ours.modules[pkg], 'example.com/dotted.v2', `${toolchain}: module of ${pkg}`);
      }
      for (const pkg of ours.packages.filter((p) => p !== 'main')) assert.ok(deps.has(pkg), `${toolchain}: ${pkg} in go list -deps`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Counts what a reader asks of a source. */
class CountingSource implements ByteSource {
  bytes = 0;
  largest = 0;
  readonly ranges: [number, number][] = [];
  constructor(private readonly inner: ByteSource) {}
  get name(): string {
    return this.inner.name;
  }
  get size(): number {
    return this.inner.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.bytes += length;
    this.largest = Math.max(this.largest, length);
    this.ranges.push([offset, offset + length]);
    return this.inner.read(offset, length);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

test('listing packages reads only the pclntab, in chunks of at most 1 MiB, about once', async () => {
  for (const name of ['go-net-cgo', 'go-pie-cgo', 'go-windows-amd64']) {
    const file = await FileSource.open(fixture(name));
    const counting = new CountingSource(file);
    try {
      const opened = await openExecutable(counting);
      assert.ok(opened);
      const pcln = await findPclntab(opened.layout);
      assert.ok(pcln);
      counting.bytes = 0;
      counting.largest = 0;
      counting.ranges.length = 0;
      await readGoPackages(opened.layout, null, pcln);
      assert.ok(counting.largest <= 1 << 20, `${name}: largest read ${counting.largest}`);
      for (const [start, end] of counting.ranges) {
        assert.ok(start >= pcln.offset && end <= pcln.offset + pcln.size, `${name}: read [${start}, ${end}) outside the pclntab`);
      }
      assert.ok(counting.bytes <= pcln.size * 1.5, `${name}: read ${counting.bytes} bytes of a ${pcln.size}-byte table`);
    } finally {
      await counting.close();
    }
  }
});

test('fuzz: corrupted tables give a package list or an InputError', async () => {
  for (const magic of [0xfffffffb, 0xfffffffa, 0xfffffff1]) {
    const file = syntheticFile([{ name: '.gopclntab', vaddr: 0x500000n, bytes: pclntabWithFunctions(magic, 8, false, RUNTIME_NAMED) }]);
    const start = file.offsets.get('.gopclntab') ?? 0;
    const rng = new Rng(0xbead + magic);
    for (let round = 0; round < 200; round++) {
      try {
        const result = await readGoPackages(file.layout(mutate(file.bytes, rng, [[start, start + 96]])), SYNTHETIC_MODULES);
        if (result) assert.ok(result.packages.every((p) => typeof p === 'string' && p.length > 0));
      } catch (e) {
        assert.ok(e instanceof InputError, `magic ${magic.toString(16)} round ${round} threw ${String(e)}`);
      }
    }
  }
});

test('a prefix without escapes is judged by one match exactly as packagePathByParts judges it step by step', () => {
  const alphabet = ['a', 'b', '.', '/', '-', '_', '~', '0', ' ', '"', '*', '(', ':', '\\', '`', '^', '\t', '\n', '\u00a0', '\u00e9', 'go', 'type', '..'];
  const rng = new Rng(17);
  for (let i = 0; i < 20_000; i++) {
    const key = Array.from({ length: rng.below(9) }, () => alphabet[rng.below(alphabet.length)] as string).join('');
    if (key.includes('%')) continue;
    assert.equal(packagePathOf(`${key}`) ?? null, packagePathByParts(key), JSON.stringify(key));
  }
  for (const key of ['go', 'type', 'main', 'a/b.c/d', 'example.com/x', '.a', 'a.', 'a/', '/a', 'a//b', 'a..b', 'a/.b', 'gopkg.in/yaml.v3']) {
    assert.equal(packagePathOf(key) ?? null, packagePathByParts(key), key);
  }
});
