import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, InputError } from '../errors.js';
import { FIXTURE_SOURCES, goBinary } from '../testing/fixture-key.js';
import { analyseGoSource, splitJsonStream } from './go-source.js';

/**
 * Source analysis asks the real Go toolchain (go1.23, as the fixtures use)
 * about programs we wrote, so the expected answers come from what each
 * program imports and calls.
 */

const GO = { goBinary: goBinary('go1.23') };
const program = (name: string): string => join(FIXTURE_SOURCES, 'go', name);

async function tempModule(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-go-source-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const ids = (needs: readonly { id: string }[]): string[] => needs.map((n) => n.id).sort();

test('go-source: the main package, module, go version and needs of fixture programs', async () => {
  const expected: [string, string[]][] = [
    ['httpsclient', ['ca-certificates']],
    ['loadlocation', ['tzdata']],
    ['loadlocationtz', []],
    ['exec', ['exec']],
    ['shell', ['exec', 'shell']],
    ['tempdir', ['tmp']],
    ['x509fallback', []],
    ['osuser', ['passwd']],
    ['plugin', ['plugin']],
    ['static', []],
    ['netlookup', []],
  ];
  for (const [name, needs] of expected) {
    const a = await analyseGoSource(program(name), GO);
    assert.equal(a.mainPackage, `example.com/${name}`);
    assert.equal(a.modulePath, `example.com/${name}`);
    assert.equal(a.mainPackageDir, '.');
    assert.equal(a.goVersion, '1.19');
    assert.deepEqual(ids(a.needs), needs, name);
  }
});

test('go-source: an HTTPS client is a likely CA need, from its imports and its http.Get call', async () => {
  const a = await analyseGoSource(program('httpsclient'), GO);
  const ca = a.needs.find((n) => n.id === 'ca-certificates');
  assert.equal(ca?.certainty, 'likely');
  assert.ok(ca?.evidence.includes('imports crypto/tls'));
  assert.ok(ca?.evidence.includes('source example.com/httpsclient: main.go'));
  assert.ok(a.packages.includes('net/http'));
});

test('go-source: cgo packages: the program\'s own is a culprit, the standard library\'s are not', async () => {
  const musl = await analyseGoSource(program('cgomusl'), GO);
  assert.deepEqual(musl.cgoPackages.map((c) => c.package), ['example.com/cgomusl']);
  assert.deepEqual(musl.cgoPackages[0]?.files, ['main.go']);
  assert.deepEqual(musl.culprits.map((c) => c.package), ['example.com/cgomusl']);
  const net = await analyseGoSource(program('netlookup'), GO);
  assert.ok(net.cgoPackages.some((c) => c.package === 'net' && c.module === 'std'));
  assert.deepEqual(net.culprits, []);
  const user = await analyseGoSource(program('osuser'), GO);
  assert.ok(user.cgoPackages.some((c) => c.package === 'os/user'));
});

test('go-source: a main package below the module root, chosen with --package among several', async () => {
  const dir = await tempModule({
    'go.mod': 'module example.com/multi\n\ngo 1.19\n',
    'cmd/a/main.go': 'package main\n\nimport "os/exec"\n\nfunc main() { _ = exec.Command("true").Run() }\n',
    'cmd/b/main.go': 'package main\n\nimport ("fmt"; "time")\n\nfunc main() { fmt.Println(time.LoadLocation("UTC")) }\n',
  });
  try {
    await assert.rejects(analyseGoSource(dir, GO), (e: unknown) => e instanceof InputError && /2 main packages .*--package/.test(e.message));
    const b = await analyseGoSource(dir, { ...GO, package: './cmd/b' });
    assert.equal(b.mainPackage, 'example.com/multi/cmd/b');
    assert.equal(b.mainPackageDir, 'cmd/b');
    assert.deepEqual(ids(b.needs), ['tzdata']);
    // Listing from the package's own directory finds the module root above it.
    const fromBelow = await analyseGoSource(join(dir, 'cmd', 'a'), GO);
    assert.equal(fromBelow.mainPackageDir, 'cmd/a');
    assert.equal(fromBelow.moduleDir, dir);
    assert.deepEqual(ids(fromBelow.needs), ['exec']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('go-source: errors are one-line InputErrors naming the directory', async () => {
  await assert.rejects(analyseGoSource('/nonexistent/fromscratch', GO), (e: unknown) => e instanceof InputError && e.code === 'not-found');
  await assert.rejects(analyseGoSource(program('versioned'), GO), (e: unknown) => e instanceof InputError && /no main package/.test(e.message));
  await assert.rejects(analyseGoSource(program('static'), { goBinary: '/nonexistent/go' }), (e: unknown) => e instanceof InputError && e.code === 'not-found');
  // Two package names in one directory: go list reports the package as broken.
  const broken = await tempModule({ 'go.mod': 'module example.com/broken\n\ngo 1.19\n', 'main.go': 'package main\n\nfunc main() {}\n', 'other.go': 'package other\n' });
  const missing = await tempModule({ 'go.mod': 'module example.com/missing\n\ngo 1.19\n', 'main.go': 'package main\n\nimport _ "example.com/not/there"\n\nfunc main() {}\n' });
  try {
    await assert.rejects(analyseGoSource(broken, GO), (e: unknown) => e instanceof InputError && e.message.startsWith(broken) && !e.message.includes('\n'));
    await assert.rejects(analyseGoSource(missing, GO), (e: unknown) => e instanceof InputError && /example\.com\/not\/there/.test(e.message) && !e.message.includes('\n'));
  } finally {
    await rm(broken, { recursive: true, force: true });
    await rm(missing, { recursive: true, force: true });
  }
});

test('go-source: go list output beyond the bound is a limit error, not a huge allocation', async () => {
  await assert.rejects(analyseGoSource(program('httpsclient'), { ...GO, maxOutputBytes: 4096 }), (e: unknown) => e instanceof FormatError && e.code === 'limit');
});

test('go-source: splitJsonStream splits concatenated objects and rejects broken streams', () => {
  assert.deepEqual(splitJsonStream('{"a":"}{"}\n{"b":{"c":[1,"\\""]}}\n', 'x'), [{ a: '}{' }, { b: { c: [1, '"'] } }]);
  assert.deepEqual(splitJsonStream('', 'x'), []);
  for (const bad of ['{"a":1', '}', '{"a":1} x', '{"a":}', '{"a":"1}']) {
    assert.throws(() => splitJsonStream(bad, 'x'), (e: unknown) => e instanceof FormatError, bad);
  }
});
