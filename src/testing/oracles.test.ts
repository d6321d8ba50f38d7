import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURE_SOURCES, goBinary } from './fixture-key.js';
import { FIXED_COMMIT_ENV } from './fixture-specs.js';
import { fixture, fixtureRecord } from './fixtures.js';
import {
  fileOracle,
  goVersionM,
  lddOracle,
  parseFileOutput,
  parseFlags1,
  parseGoVersionM,
  parseLdd,
  parseReadelfDynamic,
  readelfDynamic,
  readelfHeader,
  readelfProgramHeaders,
} from './oracles.js';

const DF_1_NOW = 0x1;
const DF_1_PIE = 0x08000000;

describe('parsers, on text constructed to cover each shape', () => {
  test('file(1): arch text with commas, static-pie, no strip verdict', () => {
    const arm = parseFileOutput('ELF 32-bit LSB executable, ARM, EABI5 version 1 (SYSV), statically linked, not stripped\n');
    assert.deepEqual([arm.class, arm.endian, arm.type, arm.linkage, arm.arch, arm.stripped], [32, 'little', 'executable', 'static', 'ARM, EABI5', false]);
    const pie = parseFileOutput('ELF 64-bit MSB pie executable, IBM S/390, version 1 (GNU/Linux), static-pie linked, stripped');
    assert.deepEqual([pie.endian, pie.type, pie.linkage, pie.interpreter, pie.stripped], ['big', 'pie-executable', 'static-pie', null, true]);
    const noSections = parseFileOutput('ELF 64-bit LSB shared object, x86-64, version 1 (SYSV), dynamically linked, no section header');
    assert.equal(noSections.stripped, null);
    assert.equal(parseFileOutput('ASCII text').format, 'other');
  });

  test('readelf: FLAGS_1 names back to bits, unnamed bits from hex, None as 0', () => {
    assert.equal(parseFlags1('Flags: NOW PIE'), DF_1_NOW + DF_1_PIE);
    assert.equal(parseFlags1('Flags: NODEFLIB 80000000'), 0x800 + 0x80000000);
    assert.equal(parseFlags1('Flags: None'), 0);
    assert.throws(() => parseFlags1('Flags: BOGUS'), /BOGUS/);
  });

  test('readelf -d: colon lists stay one rpath string; NEEDED may name the interpreter', () => {
    const text = [
      'Dynamic section at offset 0x2df8 contains 4 entries:',
      '  Tag        Type                         Name/Value',
      ' 0x00000001 (NEEDED)                     Shared library: [ld.so.1] program interpreter',
      ' 0x0000000f (RPATH)                      Library rpath: [/a:$ORIGIN/b]',
      ' 0x0000000e (SONAME)                     Library soname: [libx.so.2]',
      ' 0x00000000 (NULL)                       0x0',
    ].join('\n');
    const parsed = parseReadelfDynamic(text);
    assert.deepEqual(parsed.needed, ['ld.so.1']);
    assert.deepEqual(parsed.rpath, ['/a:$ORIGIN/b']);
    assert.equal(parsed.soname, 'libx.so.2');
    assert.equal(parsed.flags1, null);
    assert.equal(parseReadelfDynamic('\nThere is no dynamic section in this file.\n').present, false);
  });

  test('ldd: vdso with and without an arrow, missing libraries, the interpreter, static', () => {
    const text = [
      '\tlinux-vdso.so.1 =>  (0x00007ffc1d3f5000)',
      '\tlinux-gate.so.1 (0xf7f2d000)',
      '\tlibnothere.so => not found',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3c2a000000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f3c2a400000)',
    ].join('\n');
    assert.deepEqual(parseLdd(text), {
      static: false,
      libs: [
        { name: 'linux-vdso.so.1', path: null, kind: 'vdso' },
        { name: 'linux-gate.so.1', path: null, kind: 'vdso' },
        { name: 'libnothere.so', path: null, kind: 'missing' },
        { name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6', kind: 'library' },
        { name: '/lib64/ld-linux-x86-64.so.2', path: '/lib64/ld-linux-x86-64.so.2', kind: 'interpreter' },
      ],
    });
    assert.deepEqual(parseLdd('\tstatically linked\n'), { static: true, libs: [] });
    assert.deepEqual(parseLdd('\tnot a dynamic executable\n'), { static: true, libs: [] });
  });

  test('go version -m: replaces, sums, quoted keys and values kept raw', () => {
    const text = [
      '/tmp/x y: go1.22.1',
      '\tpath\texample.com/app',
      '\tmod\texample.com/app\tv1.0.0\th1:abc=',
      '\tdep\tgolang.org/x/sys\tv0.1.0\th1:def=',
      '\tdep\texample.com/old\tv1.2.3',
      '\t=>\texample.com/new\tv1.3.0\th1:ghi=',
      '\t',
      '\tbuild\t-ldflags="-s -w -X \\"main.v=1\\""',
      '\tbuild\t"we=ird"=va lue',
      '\tbuild\tCGO_ENABLED=0',
      '',
    ].join('\n');
    const parsed = parseGoVersionM(text, '/tmp/x y');
    assert.equal(parsed.version, 'go1.22.1');
    assert.equal(parsed.path, 'example.com/app');
    assert.deepEqual(parsed.mod, { path: 'example.com/app', version: 'v1.0.0', sum: 'h1:abc=' });
    assert.deepEqual(parsed.deps, [
      { path: 'golang.org/x/sys', version: 'v0.1.0', sum: 'h1:def=' },
      { path: 'example.com/old', version: 'v1.2.3', sum: '', replace: { path: 'example.com/new', version: 'v1.3.0', sum: 'h1:ghi=' } },
    ]);
    assert.deepEqual(parsed.settings, [
      { key: '-ldflags', value: '"-s -w -X \\"main.v=1\\""' },
      { key: '"we=ird"', value: 'va lue' },
      { key: 'CGO_ENABLED', value: '0' },
    ]);
    assert.throws(() => parseGoVersionM(text, '/elsewhere'), /does not name/);
  });
});

describe('fileOracle on fixtures: what each was built as', () => {
  test('cross-compiled Go: word size and byte order follow GOARCH', async () => {
    const expected: [string, 32 | 64, 'little' | 'big'][] = [
      ['go-static-386', 32, 'little'],
      ['go-static-arm', 32, 'little'],
      ['go-static-mips', 32, 'big'],
      ['go-static-s390x', 64, 'big'],
      ['go-static-ppc64', 64, 'big'],
      ['go-static-ppc64le', 64, 'little'],
      ['go-static-s390x-go119', 64, 'big'],
    ];
    for (const [name, bits, endian] of expected) {
      const verdict = await fileOracle(fixture(name));
      assert.deepEqual([verdict.format, verdict.class, verdict.endian, verdict.linkage], ['elf', bits, endian, 'static'], name);
    }
    assert.equal((await fileOracle(fixture('go-static-arm64'))).arch, 'ARM aarch64');
  });

  test('linkage and type of the C and PIE fixtures', async () => {
    const expected: [string, string, string, boolean][] = [
      ['c-static', 'executable', 'static', false],
      ['c-static-pie', 'pie-executable', 'static-pie', false],
      ['c-nopie', 'executable', 'dynamic', true],
      ['c-dynamic', 'pie-executable', 'dynamic', true],
      ['c-shared', 'shared-object', 'dynamic', false],
      // Internal-link Go PIE: no libraries, but an interpreter, so "dynamically linked".
      ['go-pie-nocgo', 'pie-executable', 'dynamic', true],
      ['go-net-netgo', 'executable', 'static', false],
      ['go-cgo-musl-static', 'executable', 'static', false],
    ];
    for (const [name, type, linkage, hasInterpreter] of expected) {
      const verdict = await fileOracle(fixture(name));
      assert.deepEqual([verdict.type, verdict.linkage, verdict.interpreter !== null], [type, linkage, hasInterpreter], `${name}: ${verdict.raw}`);
    }
    assert.match((await fileOracle(fixture('c-musl-dynamic'))).interpreter ?? '', /\/ld-musl-[^/]+\.so\.1$/);
  });

  test('stripping, and formats other than ELF', async () => {
    assert.equal((await fileOracle(fixture('go-stripped'))).stripped, true);
    assert.equal((await fileOracle(fixture('go-static'))).stripped, false);
    assert.equal((await fileOracle(fixture('go-darwin-arm64'))).format, 'macho');
    assert.equal((await fileOracle(fixture('go-windows-386'))).format, 'pe');
    const freebsd = await fileOracle(fixture('go-freebsd-amd64'));
    assert.equal(freebsd.format, 'elf');
    assert.match(freebsd.raw, /FreeBSD/);
  });
});

describe('readelf oracles on fixtures', () => {
  test('needed libraries and search paths', async () => {
    assert.ok((await readelfDynamic(fixture('go-net-cgo'))).needed.includes('libc.so.6'));
    assert.ok((await readelfDynamic(fixture('go-osuser-cgo'))).needed.includes('libc.so.6'));
    const app = await readelfDynamic(join(fixture('c-origin'), 'bin/app'));
    assert.deepEqual(app.runpath, ['$ORIGIN/../lib']);
    assert.deepEqual(app.rpath, []);
    assert.ok(app.needed.includes('libgreet.so'));
    const greet = await readelfDynamic(join(fixture('c-origin'), 'lib/libgreet.so'));
    assert.deepEqual(greet.runpath, ['$ORIGIN/inner']);
    assert.deepEqual([greet.soname, greet.needed.includes('libinner.so')], ['libgreet.so', true]);
    const old = await readelfDynamic(join(fixture('c-rpath'), 'bin/app'));
    assert.deepEqual([old.rpath, old.runpath], [['$ORIGIN/../lib'], []]);
    assert.deepEqual((await readelfDynamic(join(fixture('c-rpath'), 'lib/libgreet.so'))).rpath, []);
    assert.ok((await readelfDynamic(fixture('c-missing-lib'))).needed.includes('libnothere.so'));
    assert.equal((await readelfDynamic(fixture('c-shared'))).soname, 'libdemo.so.1');
  });

  test('DT_FLAGS_1 PIE, and a PIE with no libraries', async () => {
    const pie = await readelfDynamic(fixture('go-pie-nocgo'));
    assert.deepEqual(pie.needed, []);
    assert.ok(((pie.flags1 ?? 0) & DF_1_PIE) !== 0);
    assert.ok((((await readelfDynamic(fixture('c-dynamic'))).flags1 ?? 0) & DF_1_PIE) !== 0);
    assert.equal(((await readelfDynamic(fixture('c-nopie'))).flags1 ?? 0) & DF_1_PIE, 0);
    assert.equal((await readelfDynamic(fixture('go-static'))).present, false);
  });

  test('header and program headers', async () => {
    const s390x = await readelfHeader(fixture('go-static-s390x'));
    assert.deepEqual([s390x.class, s390x.data, s390x.type, s390x.machine], [64, 'big', 'EXEC', 'IBM S/390']);
    const mips = await readelfHeader(fixture('go-static-mips'));
    assert.deepEqual([mips.class, mips.data], [32, 'big']);
    assert.equal((await readelfHeader(fixture('c-shared'))).type, 'DYN');
    const pie = await readelfProgramHeaders(fixture('go-pie-nocgo'));
    assert.equal(pie.interpreter, (await fileOracle(fixture('go-pie-nocgo'))).interpreter);
    assert.ok(pie.segments.some((s) => s.type === 'INTERP'));
    assert.ok(pie.segments.some((s) => s.type === 'LOAD' && s.flags === 'RE'));
    const static_ = await readelfProgramHeaders(fixture('c-static'));
    assert.equal(static_.interpreter, null);
    assert.ok(!static_.segments.some((s) => s.type === 'DYNAMIC'));
  });
});

describe('lddOracle on fixtures', () => {
  test('cgo net and os/user need libc; netgo and musl static need nothing', async () => {
    for (const name of ['go-net-cgo', 'go-osuser-cgo', 'go-pie-cgo']) {
      const libc = (await lddOracle(fixture(name))).libs.find((l) => l.name === 'libc.so.6');
      assert.ok(libc?.path, `${name}: libc.so.6 not resolved`);
    }
    for (const name of ['go-net-netgo', 'go-cgo-musl-static', 'c-static', 'c-static-pie', 'c-musl-static']) {
      assert.deepEqual(await lddOracle(fixture(name)), { static: true, libs: [] }, name);
    }
  });

  test('$ORIGIN runpath per library, inherited rpath, and a missing library', async () => {
    const root = realpathSync(fixture('c-origin'));
    const origin = await lddOracle(join(fixture('c-origin'), 'bin/app'));
    const pathOf = (name: string): string | null => origin.libs.find((l) => l.name === name)?.path ?? null;
    assert.equal(realpathSync(pathOf('libgreet.so') ?? '-'), join(root, 'lib/libgreet.so'));
    assert.equal(realpathSync(pathOf('libinner.so') ?? '-'), join(root, 'lib/inner/libinner.so'));
    const rpathRoot = realpathSync(fixture('c-rpath'));
    const inherited = (await lddOracle(join(fixture('c-rpath'), 'bin/app'))).libs.find((l) => l.name === 'libinner.so');
    assert.equal(realpathSync(inherited?.path ?? '-'), join(rpathRoot, 'lib/libinner.so'));
    const missing = await lddOracle(fixture('c-missing-lib'));
    assert.deepEqual(missing.libs.find((l) => l.name === 'libnothere.so'), { name: 'libnothere.so', path: null, kind: 'missing' });
    assert.ok(missing.libs.some((l) => l.kind === 'interpreter'));
  });

  test('a musl binary is listed by the musl loader', async () => {
    const musl = await lddOracle(fixture('c-musl-dynamic'));
    const interpreter = (await fileOracle(fixture('c-musl-dynamic'))).interpreter;
    assert.equal(musl.static, false);
    assert.ok(musl.libs.some((l) => l.kind === 'interpreter' && l.path === interpreter));
    assert.ok(musl.libs.some((l) => l.name === 'libc.so'));
  });
});

describe('goVersionM on fixtures', () => {
  test('the toolchain that built each fixture is the version recorded', async () => {
    assert.match((await goVersionM(fixture('go-static-go119')))?.version ?? '', /^go1\.19(\.|$)/);
    assert.match((await goVersionM(fixture('go-static')))?.version ?? '', /^go1\.23(\.|$)/);
    // The older toolchain reads the newer binary the same way.
    const fromOld = await goVersionM(fixture('go-static-arm64'), goBinary('go1.19'));
    assert.equal(fromOld?.version, (await goVersionM(fixture('go-static-arm64')))?.version);
    assert.equal(await goVersionM(fixture('c-dynamic')), null);
  });

  test('build settings follow the recipe', async () => {
    const setting = async (name: string, key: string): Promise<string | undefined> =>
      (await goVersionM(fixture(name)))?.settings.find((s) => s.key === key)?.value;
    assert.equal(await setting('go-net-netgo', '-tags'), 'netgo');
    assert.equal(await setting('go-net-cgo', 'CGO_ENABLED'), '1');
    assert.equal(await setting('go-osuser-nocgo', 'CGO_ENABLED'), '0');
    assert.equal(await setting('go-pie-nocgo', '-buildmode'), 'pie');
    assert.match((await setting('go-cgo-musl-static', '-ldflags')) ?? '', /-linkmode external -extldflags -static/);
    assert.equal(await setting('go-static-arm', 'GOARM'), fixtureRecord('go-static-arm').env.GOARM);
    for (const name of ['go-static-mips', 'go-static-loong64', 'go-windows-386', 'go-darwin-arm64']) {
      const env = fixtureRecord(name).env;
      assert.equal(await setting(name, 'GOARCH'), env.GOARCH, name);
      assert.equal(await setting(name, 'GOOS'), env.GOOS, name);
    }
    const stripped = await goVersionM(fixture('go-stripped'));
    assert.equal(stripped?.settings.find((s) => s.key === '-trimpath')?.value, 'true');
    assert.ok(!stripped?.settings.some((s) => s.key === '-ldflags'), '-trimpath builds omit -ldflags');
  });

  test('go-replaced: both replace forms and a quoted -ldflags value', async () => {
    const info = await goVersionM(fixture('go-replaced'));
    assert.equal(info?.path, 'example.com/replaced');
    const dep = (path: string) => info?.deps.find((d) => d.path === path);
    assert.deepEqual(dep('github.com/fromscratch-fixtures/greet')?.version, 'v1.2.3');
    assert.deepEqual(dep('github.com/fromscratch-fixtures/greet')?.replace?.path, './greet');
    assert.deepEqual(dep('example.com/versioned')?.version, 'v0.1.0');
    assert.deepEqual(dep('example.com/versioned')?.replace?.path, '../versioned');
    assert.equal(info?.settings.find((s) => s.key === '-ldflags')?.value, '"-X main.note=x"');
    assert.ok(!info?.settings.some((s) => s.key.startsWith('vcs')), 'built with -buildvcs=false');
  });

  test('go-vcs records the fixed commit that git itself computes', async () => {
    const info = await goVersionM(fixture('go-vcs'));
    const vcs = Object.fromEntries((info?.settings ?? []).filter((s) => s.key.startsWith('vcs')).map((s) => [s.key, s.value]));
    const scratch = mkdtempSync(join(tmpdir(), 'fixture-vcs-'));
    try {
      cpSync(join(FIXTURE_SOURCES, 'go', 'static'), scratch, { recursive: true });
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...FIXED_COMMIT_ENV };
      const git = (...args: string[]): string => execFileSync('git', args, { cwd: scratch, env, encoding: 'utf8' }).trim();
      git('-c', 'init.defaultBranch=main', 'init', '-q');
      git('add', '-A');
      git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'fixture');
      assert.deepEqual(vcs, {
        vcs: 'git',
        'vcs.revision': git('rev-parse', 'HEAD'),
        'vcs.time': FIXED_COMMIT_ENV.GIT_COMMITTER_DATE,
        'vcs.modified': 'false',
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
