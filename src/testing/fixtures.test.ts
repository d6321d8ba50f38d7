import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { COMPLETE_MARKER, FIXTURE_CACHE, fixtureKey, type KeyInputs, REPO_ROOT } from './fixture-key.js';
import { FIXTURE_SPECS } from './fixture-specs.js';
import { fixture, FIXTURE_NAMES, fixtureManifest, fixtureRecord, fixturesRoot } from './fixtures.js';

const execFileAsync = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL('./build-fixtures.js', import.meta.url));

test('every fixture name resolves to a file or directory that exists', () => {
  assert.ok(FIXTURE_NAMES.length >= 40, `only ${FIXTURE_NAMES.length} fixtures`);
  for (const name of FIXTURE_NAMES) {
    const path = fixture(name);
    assert.ok(path.startsWith(fixturesRoot()), `${name} lies outside the fixture set: ${path}`);
    assert.ok(existsSync(path), `${name} missing at ${path}`);
    const spec = FIXTURE_SPECS.find((s) => s.name === name);
    const isDirectory = spec?.kind === 'c' && spec.directory;
    assert.equal(statSync(path).isDirectory(), isDirectory, `${name}: directory? ${isDirectory}`);
    if (!isDirectory) assert.ok(statSync(path).size > 0, `${name} is empty`);
  }
});

test('the names are unique and the manifest lists exactly them', () => {
  assert.equal(new Set(FIXTURE_NAMES).size, FIXTURE_NAMES.length);
  assert.deepEqual(Object.keys(fixtureManifest().fixtures).sort(), [...FIXTURE_NAMES].sort());
});

test('directory fixtures hold the layout their loader search paths expect', () => {
  for (const file of ['bin/app', 'lib/libgreet.so', 'lib/inner/libinner.so']) {
    assert.ok(existsSync(join(fixture('c-origin'), file)), `c-origin/${file}`);
  }
  for (const file of ['bin/app', 'lib/libgreet.so', 'lib/libinner.so']) {
    assert.ok(existsSync(join(fixture('c-rpath'), file)), `c-rpath/${file}`);
  }
  // The stub that c-missing-lib was linked against must not ship with it.
  assert.ok(!existsSync(join(fixture('c-missing-lib'), '..', 'libnothere.so')));
});

test('Windows fixtures keep their .exe name', () => {
  for (const name of ['go-windows-amd64', 'go-windows-386', 'go-windows-amd64-go119']) {
    assert.ok(fixture(name).endsWith(`${name}.exe`), fixture(name));
  }
});

test('the manifest records the toolchain each fixture was built with', () => {
  for (const name of FIXTURE_NAMES) {
    const record = fixtureRecord(name);
    if (record.kind === 'go') {
      const expected = name.endsWith('-go119') ? 'go1.19' : 'go1.23';
      assert.equal(record.toolchain, expected, name);
      assert.match(record.toolchainVersion, new RegExp(`^go version ${expected.replace('.', '\\.')}[.\\s]`), name);
      assert.equal(record.commands[0]?.argv[1], 'build', name);
    } else {
      assert.ok(record.toolchain === 'gcc' || record.toolchain === 'musl-gcc', name);
      assert.ok(record.commands.length >= 1, name);
    }
  }
  assert.equal(fixtureRecord('c-musl-static').toolchain, 'musl-gcc');
  assert.equal(fixtureRecord('go-cgo-musl-static').env.CC, 'musl-gcc');
  assert.equal(fixtureRecord('go-static-arm').env.GOARM, '7');
});

test('the manifest holds no absolute path of the machine that built it', () => {
  const text = JSON.stringify(fixtureManifest());
  assert.ok(!text.includes(REPO_ROOT), 'manifest mentions the repository path');
});

test('fixture() rejects a name it does not know, and says which names exist', () => {
  assert.throws(() => fixture('go-static-sparc'), /unknown fixture "go-static-sparc".*go-static/);
});

function keyInputs(sources: Record<string, string>, goVersion = 'go version go1.23.5 linux/amd64'): KeyInputs {
  const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
  return {
    sources: new Map(Object.entries(sources).map(([k, v]) => [k, encode(v)])),
    recipe: new Map([['build-fixtures', encode('recipe')]]),
    tools: { 'go1.23': goVersion, 'go1.19': 'go version go1.19.8 linux/amd64', gcc: 'gcc 12', 'musl-gcc': 'gcc 12' },
  };
}

test('the cache key changes with any source byte or toolchain version, and only then', () => {
  const base = fixtureKey(keyInputs({ 'a.go': 'xy', 'b.go': '' }));
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(fixtureKey(keyInputs({ 'b.go': '', 'a.go': 'xy' })), base, 'order of discovery must not matter');
  assert.notEqual(fixtureKey(keyInputs({ 'a.go': 'xz', 'b.go': '' })), base);
  // Moving a byte from one file to the next must not collide.
  assert.notEqual(fixtureKey(keyInputs({ 'a.go': 'x', 'b.go': 'y' })), base);
  assert.notEqual(fixtureKey(keyInputs({ 'a.go': 'xy', 'b.go': '' }, 'go version go1.23.6 linux/amd64')), base);
});

test('a second fixture build with nothing changed leaves the set as it is', async () => {
  const marker = join(fixturesRoot(), COMPLETE_MARKER);
  const before = statSync(marker).mtimeMs;
  const { stderr } = await execFileAsync(process.execPath, [BUILD_SCRIPT], { timeout: 60_000 });
  assert.match(stderr, new RegExp(`ready: ${relative(REPO_ROOT, fixturesRoot()).replace(/[.]/g, '\\.')}`));
  assert.doesNotMatch(stderr, /built /);
  assert.equal(statSync(marker).mtimeMs, before);
});

/** Runs the build script with `env` over ours; resolves with its exit code and stderr instead of throwing. */
async function runBuild(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await execFileAsync(process.execPath, [BUILD_SCRIPT], { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stderr };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stderr: err.stderr ?? '' };
  }
}

test('a missing toolchain stops the build with exit 1 and names the tool', async () => {
  const result = await runBuild({ GO123: '/nonexistent/go-1.23/bin/go' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /cannot run \/nonexistent\/go-1\.23\/bin\/go version: not found/);
});

test('a failing build command exits 1 with its stderr and leaves no partial fixture set', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fake-go-'));
  try {
    // A "go" that reports a version (so the key is new) but refuses to build.
    const fakeGo = join(dir, 'go');
    writeFileSync(fakeGo, '#!/bin/sh\nif [ "$1" = version ]; then echo "go version go0.0-fake linux/amd64"; exit 0; fi\necho "fake go refuses to build" >&2\nexit 3\n');
    chmodSync(fakeGo, 0o755);
    const before = new Set(readdirSync(FIXTURE_CACHE));
    const result = await runBuild({ GO123: fakeGo });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /building go-static failed \(exit 3\): .*go build -o/);
    assert.match(result.stderr, /fake go refuses to build/);
    const added = readdirSync(FIXTURE_CACHE).filter((entry) => !before.has(entry));
    assert.deepEqual(added, [], 'the failed build left files in the fixture cache');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
