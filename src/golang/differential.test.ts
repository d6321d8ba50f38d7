import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openExecutable } from '../binary/open.js';
import { InputError } from '../errors.js';
import { BytesSource, withFile } from '../io/source.js';
import { mutate, Rng } from '../testing/mutate.js';
import { goBinary, REPO_ROOT } from '../testing/fixture-key.js';
import { FIXTURE_NAMES, fixture, fixtureRecord } from '../testing/fixtures.js';
import { goVersionM } from '../testing/oracles.js';
import { run } from '../testing/process.js';
import { readBuildInfo } from './buildinfo.js';
import { formatGoVersionM } from './format.js';
import { readGoInfo } from './goinfo.js';
import { findPclntab, PCLNTAB_MAGICS } from './pclntab.js';
import type { GoInfo } from './types.js';

/**
 * Real binaries against `go version -m` (go1.23, which reads every format):
 * every Go fixture (all architectures, ELF, Mach-O, PE, go1.19 and go1.23)
 * and every Go binary the installed toolchains ship. Our text must equal the
 * tool's output byte for byte; files the tool calls "not a Go executable"
 * must have no build info for us either.
 */

const GO = goBinary('go1.23');

/** The raw stdout of `go version -m`, or null when it prints nothing (not a Go executable). */
async function goVersionMText(path: string): Promise<string | null> {
  const result = await run(GO, ['version', '-m', path], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', GOTOOLCHAIN: 'local', GOENV: 'off', HOME: process.env.HOME ?? '/' },
  });
  assert.equal(result.code, 0, `go version -m ${path}: ${result.stderr}`);
  if (result.stdout === '') {
    assert.match(result.stderr, /not a Go executable|could not read Go build info/, path);
    return null;
  }
  return result.stdout;
}

async function goInfoOf(path: string): Promise<{ info: GoInfo | null; hasBuildInfo: boolean }> {
  return withFile(path, async (source) => {
    const opened = await openExecutable(source);
    assert.ok(opened, `${path}: not recognised as an executable`);
    return { info: await readGoInfo(opened.layout), hasBuildInfo: (await readBuildInfo(opened.layout)) !== undefined };
  });
}

/** The Go binaries of the installed toolchains (GOROOT/bin/*, GOROOT/pkg/tool/<platform>/*) and esbuild's. */
function installedGoBinaries(): string[] {
  const files: string[] = [];
  const listFiles = (dir: string): string[] => {
    try {
      return readdirSync(dir)
        .map((name) => join(dir, name))
        .filter((p) => statSync(p).isFile());
    } catch {
      return [];
    }
  };
  for (const toolchain of ['go1.23', 'go1.19'] as const) {
    const goroot = dirname(dirname(goBinary(toolchain)));
    files.push(...listFiles(join(goroot, 'bin')));
    for (const platform of readdirSync(join(goroot, 'pkg', 'tool'))) files.push(...listFiles(join(goroot, 'pkg', 'tool', platform)));
  }
  files.push(join(REPO_ROOT, 'node_modules', '@esbuild', 'linux-x64', 'bin', 'esbuild'));
  return files;
}

const goFixtures = FIXTURE_NAMES.filter((name) => name.startsWith('go-'));

test('every Go fixture: formatGoVersionM equals go version -m byte for byte, fields equal its parse', async () => {
  assert.ok(goFixtures.length >= 20, 'the fixture set lists the Go fixtures');
  for (const name of goFixtures) {
    const path = fixture(name);
    const expected = await goVersionMText(path);
    assert.ok(expected !== null, `${name}: go version -m reads it`);
    const { info } = await goInfoOf(path);
    assert.ok(info, `${name}: recognised as Go`);
    assert.equal(info.versionSource, 'buildinfo', name);
    assert.equal(formatGoVersionM(path, info), expected, name);

    const parsed = await goVersionM(path);
    assert.ok(parsed);
    assert.equal(info.version, parsed.version, name);
    assert.equal(info.path, parsed.path, name);
    assert.deepEqual(info.main, parsed.mod, name);
    assert.deepEqual(info.deps, parsed.deps, name);
    assert.deepEqual(info.settings, parsed.settings, name);
    // The toolchain that built it is the one the manifest recorded.
    assert.ok(fixtureRecord(name).toolchainVersion.includes(`go version ${info.version} `), name);
  }
});

test('every Go binary of the installed toolchains, and esbuild: same text as go version -m, or no build info for either', async () => {
  const files = installedGoBinaries();
  assert.ok(files.length >= 20, `found ${files.length} toolchain binaries`);
  for (const path of files) {
    const expected = await goVersionMText(path);
    const { info, hasBuildInfo } = await goInfoOf(path);
    assert.equal(hasBuildInfo, expected !== null, `${path}: build info presence`);
    assert.ok(info, `${path}: every one of these is a Go program`);
    if (expected !== null) {
      assert.equal(formatGoVersionM(path, info), expected, path);
    } else {
      // esbuild strips its build info: Go is still recognised, and the version must lie in its pclntab's range.
      assert.notEqual(info.versionSource, 'buildinfo', path);
      const pclntab = await withFile(path, async (s) => findPclntab((await openExecutable(s))!.layout));
      assert.ok(pclntab, path);
      if (info.versionSource !== 'pclntab') {
        const minor = Number(/^go1\.(\d+)/.exec(info.version)?.[1]);
        const range = PCLNTAB_MAGICS.get(pclntab.magic)!;
        assert.ok(minor >= range.minMinor && minor <= range.maxMinor, `${path}: ${info.version} within ${range.goRange}`);
      }
    }
  }
});

test('C fixtures: go version -m rejects them and they are not Go for us', async () => {
  const cFiles = FIXTURE_NAMES.filter((n) => n.startsWith('c-') && !fixtureRecord(n).directory);
  assert.ok(cFiles.length >= 5);
  for (const name of cFiles) {
    const path = fixture(name);
    assert.equal(await goVersionMText(path), null, name);
    assert.deepEqual(await goInfoOf(path), { info: null, hasBuildInfo: false }, name);
  }
});

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/** The fixture's bytes with every build info magic zeroed: Go's own reader no longer finds it. */
function withoutBuildInfo(path: string): Uint8Array {
  const bytes = Buffer.from(readFileSync(path));
  let found = 0;
  for (let i = bytes.indexOf(MAGIC); i >= 0; i = bytes.indexOf(MAGIC, i + 1)) {
    bytes.fill(0, i, i + MAGIC.length);
    found++;
  }
  assert.equal(found, 1, `${path}: one build info blob`);
  return bytes;
}

test('without build info, Go binaries are still Go with the same version: symbol when unstripped, rodata when stripped', async () => {
  const expectations: Record<string, 'symbol' | 'rodata'> = {
    'go-static': 'symbol',
    'go-static-go119': 'symbol',
    'go-stripped': 'rodata',
    'go-stripped-go119': 'rodata',
  };
  for (const name of goFixtures) {
    const path = fixture(name);
    const before = (await goInfoOf(path)).info;
    assert.ok(before);
    const opened = await openExecutable(new BytesSource(name, withoutBuildInfo(path)));
    assert.ok(opened);
    assert.equal(await readBuildInfo(opened.layout), undefined, `${name}: magic gone`);
    const after = await readGoInfo(opened.layout);
    assert.ok(after, `${name}: still Go`);
    assert.equal(after.version, before.version, name);
    const expected = expectations[name];
    if (expected !== undefined) assert.equal(after.versionSource, expected, name);
    else assert.ok(after.versionSource === 'symbol' || after.versionSource === 'rodata', `${name}: ${after.versionSource}`);
    assert.deepEqual([after.path, after.main, after.deps, after.settings, after.modinfo], ['', null, [], [], ''], name);

    // The pclntab alone gives the range that contains that version.
    const pclntab = await findPclntab(opened.layout);
    assert.ok(pclntab, name);
    const minor = Number(/^go1\.(\d+)/.exec(before.version)?.[1]);
    const range = PCLNTAB_MAGICS.get(pclntab.magic)!;
    assert.ok(minor >= range.minMinor && minor <= range.maxMinor, `${name}: ${before.version} in ${pclntab.goRange}`);
  }
});

test('fuzz: real binaries corrupted around their Go structures give a result or an InputError', async () => {
  for (const name of ['go-static', 'go-stripped-go119', 'go-windows-amd64']) {
    const path = fixture(name);
    const original = new Uint8Array(readFileSync(path));
    const opened = await openExecutable(new BytesSource(name, original));
    assert.ok(opened);
    const buildInfoSection = opened.layout.sections.find((s) => s.name === '.go.buildinfo' || s.name === '.data');
    const pclntab = await findPclntab(opened.layout);
    assert.ok(buildInfoSection && pclntab, name);
    const hot: [number, number][] = [
      [buildInfoSection.offset, buildInfoSection.offset + 64],
      [pclntab.offset, pclntab.offset + 80],
    ];
    const rng = new Rng(0xf022 + name.length);
    for (let round = 0; round < 100; round++) {
      const bytes = mutate(original, rng, hot);
      try {
        const layout = (await openExecutable(new BytesSource(name, bytes)))?.layout;
        if (layout) await readGoInfo(layout);
      } catch (e) {
        assert.ok(e instanceof InputError, `${name} round ${round} threw ${String(e)}`);
      }
    }
  }
});
