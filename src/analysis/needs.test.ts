import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openExecutable } from '../binary/open.js';
import { InputError } from '../errors.js';
import { readGoInfo } from '../golang/index.js';
import { BytesSource, withFile } from '../io/source.js';
import { CA_BUNDLE_PATHS, ZONEINFO_PATHS } from '../knowledge/runtime-needs.js';
import { goBinary } from '../testing/fixture-key.js';
import { fixture } from '../testing/fixtures.js';
import { mutate, Rng } from '../testing/mutate.js';
import { run } from '../testing/process.js';
import { syntheticFile } from '../testing/synthetic-layout.js';
import { findMentions, goMinorRange, goRuntimeNeeds, readGoEvidence, type GoEvidence, type GoNeed } from './needs.js';

/**
 * Needs are checked against programs whose behaviour we wrote (fixtures/go),
 * built by both toolchains, and differentially against `go tool nm`: the
 * needs computed from the symbol table's function names must equal the ones
 * computed from the pclntab reader (which also works on stripped binaries).
 */

async function needsOf(path: string): Promise<GoNeed[]> {
  return withFile(path, async (source) => {
    const opened = await openExecutable(source);
    assert.ok(opened, `${path} is not an executable`);
    const go = await readGoInfo(opened.layout);
    const read = await readGoEvidence(opened.layout, go);
    assert.ok(read, `${path} has no pclntab`);
    return goRuntimeNeeds(read.evidence);
  });
}

function ids(needs: readonly GoNeed[]): string[] {
  return needs.map((n) => n.id).sort();
}

/** Function symbols `go tool nm` lists (text symbols only). */
async function nmFunctions(path: string): Promise<Set<string>> {
  const result = await run(goBinary('go1.23'), ['tool', 'nm', path], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', GOTOOLCHAIN: 'local', GOENV: 'off' },
  });
  assert.equal(result.code, 0, `go tool nm ${path} failed: ${result.stderr}`);
  const names = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    const m = /^\s*[0-9a-f]*\s+([TtRrDdBbU])\s+(.+)$/.exec(line);
    if (m && (m[1] === 'T' || m[1] === 't')) names.add(m[2] as string);
  }
  return names;
}

const EXPECTED: readonly [fixture: string, needs: readonly string[]][] = [
  ['go-https-client', ['ca-certificates']],
  ['go-https-client-go119', ['ca-certificates']],
  ['go-loadlocation', ['tzdata']],
  ['go-loadlocation-go119', ['tzdata']],
  ['go-loadlocation-tzdata', []],
  ['go-loadlocation-tzdata-go119', []],
  ['go-exec', ['exec']],
  ['go-exec-go119', ['exec']],
  ['go-shell', ['exec', 'shell']],
  ['go-tempdir', ['tmp']],
  ['go-tempdir-go119', ['tmp']],
  ['go-x509-fallback', []],
  ['go-plugin', ['plugin']],
  ['go-osuser-cgo', ['passwd']],
  ['go-osuser-nocgo', ['passwd']],
  // Go 1.16 and later order /etc/hosts before DNS without nsswitch.conf: no need.
  ['go-net-cgo', []],
  ['go-net-cgo-go119', []],
  ['go-net-netgo', []],
  ['go-static', []],
  ['go-static-go119', []],
  ['go-stripped', []],
  ['go-stripped-go119', []],
  ['go-static-arm64', []],
  ['go-static-s390x', []],
  ['go-cgo-musl-static', []],
];

for (const [name, expected] of EXPECTED) {
  test(`needs: ${name} needs exactly ${expected.length === 0 ? 'nothing' : expected.join(', ')}`, async () => {
    assert.deepEqual(ids(await needsOf(fixture(name))), [...expected].sort());
  });
}

test('needs: an HTTPS client is certain to need a CA bundle, named in the paths Go searches', async () => {
  for (const name of ['go-https-client', 'go-https-client-go119']) {
    const [ca] = await needsOf(fixture(name));
    assert.equal(ca?.certainty, 'certain');
    assert.ok(ca?.evidence.includes('crypto/tls.Client'), `${name}: ${ca?.evidence.join(', ')}`);
    assert.ok(ca?.evidence.includes('crypto/x509.loadSystemRoots'));
    assert.deepEqual(ca?.paths, [...CA_BUNDLE_PATHS]);
    assert.equal(ca?.match, 'any');
  }
});

/** The quoted absolute paths in a file of the toolchain's own source. */
async function pathsInGoSource(relativePath: string): Promise<string[]> {
  const goroot = (await run(goBinary('go1.23'), ['env', 'GOROOT'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', GOENV: 'off' } })).stdout.trim();
  const text = await readFile(join(goroot, 'src', relativePath), 'utf8');
  return [...text.matchAll(/"(\/[^"]+)"/g)].map((m) => (m[1] as string).replace(/\/$/, ''));
}

test('needs: the CA and zoneinfo paths are the ones the Go 1.23 source searches, in its order', async () => {
  const ca = await pathsInGoSource('crypto/x509/root_linux.go');
  // root_linux.go lists the bundle files, then the directories (and Android's, which do not apply).
  assert.deepEqual(ca.slice(0, CA_BUNDLE_PATHS.length), [...CA_BUNDLE_PATHS]);
  const zoneinfo = await pathsInGoSource('time/zoneinfo_unix.go');
  assert.deepEqual(zoneinfo.slice(0, ZONEINFO_PATHS.length), [...ZONEINFO_PATHS]);
});

test('needs: the fallback roots fixture links the root loader, so only the embedded roots remove the need', async () => {
  const path = fixture('go-x509-fallback');
  const symbols = await nmFunctions(path);
  // Oracle: the symbol table shows both the system-root loader and the fallback registration.
  assert.ok(symbols.has('crypto/x509.loadSystemRoots'));
  assert.ok(symbols.has('crypto/x509.SetFallbackRoots'));
  assert.ok(symbols.has('golang.org/x/crypto/x509roots/fallback.init.0'));
  const evidence = await withFile(path, async (source) => {
    const opened = await openExecutable(source);
    const read = await readGoEvidence(opened!.layout, await readGoInfo(opened!.layout));
    return read!.evidence;
  });
  const withoutFallback: GoEvidence = {
    ...evidence,
    packages: new Set([...evidence.packages].filter((p) => !p.startsWith('golang.org/x/crypto/'))),
    functions: new Set(['crypto/x509.loadSystemRoots', 'crypto/tls.Client']),
  };
  assert.deepEqual(ids(goRuntimeNeeds(withoutFallback)), ['ca-certificates']);
});

test('needs: user lookups name /etc/passwd; through cgo the reason says NSS decides', async () => {
  const [cgo] = await needsOf(fixture('go-osuser-cgo'));
  const [pure] = await needsOf(fixture('go-osuser-nocgo'));
  assert.deepEqual(cgo?.paths, ['/etc/passwd']);
  assert.deepEqual(pure?.paths, ['/etc/passwd']);
  assert.deepEqual(cgo?.evidence, ['os/user.Current', 'os/user.Lookup']);
  assert.match(cgo?.reason ?? '', /NSS/);
  assert.doesNotMatch(pure?.reason ?? '', /NSS/);
});

test('needs: a shell is only a possible need, from process code plus a "/bin/sh" string', async () => {
  const shell = (await needsOf(fixture('go-shell'))).find((n) => n.id === 'shell');
  assert.equal(shell?.certainty, 'possible');
  assert.deepEqual(shell?.paths, ['/bin/sh']);
  assert.ok(shell?.evidence.includes('string "/bin/sh" in the binary'));
  // The same process code without the string is no shell need (go-exec runs uname).
  assert.equal((await needsOf(fixture('go-exec'))).find((n) => n.id === 'shell'), undefined);
});

// Differential: the symbol table's function names give the same needs as the pclntab's.
for (const name of ['go-https-client', 'go-loadlocation', 'go-loadlocation-tzdata', 'go-exec', 'go-tempdir', 'go-osuser-nocgo', 'go-static', 'go-plugin', 'go-https-client-go119', 'go-tempdir-go119']) {
  test(`needs: ${name} from go tool nm's function names equals needs from the pclntab`, async () => {
    const path = fixture(name);
    const evidence = await withFile(path, async (source) => {
      const opened = await openExecutable(source);
      const read = await readGoEvidence(opened!.layout, await readGoInfo(opened!.layout));
      return read!.evidence;
    });
    const symbols = await nmFunctions(path);
    assert.ok(symbols.size > 1000, `go tool nm listed only ${symbols.size} functions`);
    const fromNm = goRuntimeNeeds({ ...evidence, functions: symbols });
    assert.deepEqual(ids(fromNm), ids(goRuntimeNeeds(evidence)));
  });
}

function evidenceWith(functions: readonly string[], extra: Partial<GoEvidence> = {}): GoEvidence {
  return {
    packages: new Set(),
    functions: new Set(functions),
    settings: [],
    goVersion: 'go1.23.5',
    cgo: null,
    mentions: { has: () => false },
    ...extra,
  };
}

test('needs: nsswitch.conf is needed only before Go 1.16, and only possibly when the version is unknown', () => {
  const resolver = ['net.(*conf).hostLookupOrder'];
  const nss = (goVersion: string | null): GoNeed | undefined => goRuntimeNeeds(evidenceWith(resolver, { goVersion })).find((n) => n.id === 'nsswitch');
  assert.equal(nss('go1.15.15')?.certainty, 'likely');
  assert.deepEqual(nss('go1.15.15')?.paths, ['/etc/nsswitch.conf']);
  assert.equal(nss('go1.2-1.15')?.certainty, 'likely');
  assert.equal(nss('go1.16'), undefined);
  assert.equal(nss('go1.16-1.17'), undefined);
  assert.equal(nss('go1.20+'), undefined);
  assert.equal(nss(null)?.certainty, 'possible');
  assert.equal(nss('devel +abc')?.certainty, 'possible');
});

test('needs: embedded data removes the need: time/tzdata, -tags timetzdata, fallback roots', () => {
  const load = ['time.LoadLocation'];
  assert.deepEqual(ids(goRuntimeNeeds(evidenceWith(load))), ['tzdata']);
  assert.deepEqual(ids(goRuntimeNeeds(evidenceWith(load, { settings: [{ key: '-tags', value: 'netgo,timetzdata' }] }))), []);
  assert.deepEqual(ids(goRuntimeNeeds(evidenceWith(load, { packages: new Set(['time/tzdata']) }))), []);
  const roots = ['crypto/x509.loadSystemRoots', 'crypto/tls.Client'];
  assert.deepEqual(ids(goRuntimeNeeds(evidenceWith(roots))), ['ca-certificates']);
  assert.deepEqual(ids(goRuntimeNeeds(evidenceWith([...roots, 'crypto/x509.SetFallbackRoots']))), []);
});

test('needs: the root loader without a TLS client is only a possible CA need', () => {
  const [ca] = goRuntimeNeeds(evidenceWith(['crypto/x509.loadSystemRoots']));
  assert.equal(ca?.certainty, 'possible');
});

test('needs: group lookups add /etc/group; purego is a libraries need', () => {
  const [passwd] = goRuntimeNeeds(evidenceWith(['os/user.LookupGroup']));
  assert.deepEqual(passwd?.paths, ['/etc/group']);
  const [both] = goRuntimeNeeds(evidenceWith(['os/user.Lookup', 'os/user.(*User).GroupIds']));
  assert.deepEqual(both?.paths, ['/etc/passwd', '/etc/group']);
  const [purego] = goRuntimeNeeds(evidenceWith(['github.com/ebitengine/purego.Dlopen']));
  assert.equal(purego?.id, 'libraries');
  assert.equal(purego?.certainty, 'certain');
});

test('needs: at package granularity, imports and source patterns decide, with their own certainty', () => {
  const source = (packages: string[], matches: [GoNeed['id'], string[]][] = []): GoNeed[] =>
    goRuntimeNeeds({ ...evidenceWith([]), functions: null, packages: new Set(packages), sourceMatches: new Map(matches) });
  assert.equal(source(['crypto/tls']).find((n) => n.id === 'ca-certificates')?.certainty, 'possible');
  assert.equal(source(['crypto/tls'], [['ca-certificates', ['main: main.go']]]).find((n) => n.id === 'ca-certificates')?.certainty, 'likely');
  assert.deepEqual(ids(source(['crypto/tls', 'golang.org/x/crypto/x509roots/fallback'])), []);
  assert.deepEqual(ids(source(['os/exec'])), ['exec']);
  assert.deepEqual(ids(source(['os/exec'], [['shell', ['main: main.go']]])), ['exec', 'shell']);
  assert.deepEqual(ids(source(['os/user', 'plugin'])), ['passwd', 'plugin']);
  assert.deepEqual(ids(source(['fmt', 'strings'])), []);
});

test('needs: goMinorRange reads releases, ranges and open ranges', () => {
  assert.deepEqual(goMinorRange('go1.23.5'), { min: 23, max: 23 });
  assert.deepEqual(goMinorRange('go1.21rc2'), { min: 21, max: 21 });
  assert.deepEqual(goMinorRange('go1.2-1.15'), { min: 2, max: 15 });
  assert.deepEqual(goMinorRange('go1.20+'), { min: 20, max: Number.POSITIVE_INFINITY });
  assert.equal(goMinorRange('devel go1.24-abcdef'), null);
  assert.equal(goMinorRange(null), null);
  // Forms that only start like a range or an open range are the release they start with.
  assert.deepEqual(goMinorRange('go1.2-1.15x'), { min: 2, max: 2 });
  assert.deepEqual(goMinorRange('go1.20+x'), { min: 20, max: 20 });
  assert.deepEqual(goMinorRange('go1.5-1.'), { min: 5, max: 5 });
  assert.deepEqual(goMinorRange('go1.234'), { min: 234, max: 234 });
  assert.equal(goMinorRange('go1.'), null);
  assert.equal(goMinorRange('go2.1'), null);
});

test('needs: findMentions sees a string cut by the 1 MiB chunk boundary, and only in read-only data', async () => {
  const rodata = new Uint8Array((1 << 20) + 64);
  const at = (1 << 20) - 3;
  rodata.set(Buffer.from('/bin/sh'), at);
  const data = new Uint8Array(64);
  data.set(Buffer.from('/bin/bash'), 8);
  const file = syntheticFile([
    { name: '.rodata', vaddr: 0x400000n, bytes: rodata },
    { name: '.data', vaddr: 0x600000n, bytes: data, writable: true },
  ]);
  assert.deepEqual([...(await findMentions(file.layout(), ['/bin/sh', '/bin/bash']))], ['/bin/sh']);
});

test('fuzz: corrupted Go binaries give evidence or an InputError, never another exception', async () => {
  const original = await readFile(fixture('go-static'));
  const opened = await openExecutable(new BytesSource('go-static', original));
  const pcln = opened?.layout.sections.find((s) => s.name === '.gopclntab');
  assert.ok(pcln, 'go-static has no .gopclntab section');
  // Hit the pclntab header and the start of its name table hardest.
  const hot: [number, number][] = [
    [pcln.offset, pcln.offset + 96],
    [pcln.offset + 96, pcln.offset + 4096],
    [0, 64],
  ];
  const rng = new Rng(0x6e65);
  const started = Date.now();
  for (let round = 0; round < 150; round++) {
    const bytes = mutate(original, rng, hot);
    try {
      const file = await openExecutable(new BytesSource(`go-static#${round}`, bytes));
      if (!file) continue;
      const read = await readGoEvidence(file.layout, await readGoInfo(file.layout).catch(() => null));
      if (read) goRuntimeNeeds(read.evidence);
    } catch (e) {
      assert.ok(e instanceof InputError, `round ${round} threw ${String(e)}`);
    }
  }
  assert.ok(Date.now() - started < 60_000);
});
