import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { HostRootFS } from '../fs/index.js';
import { FIXTURE_NAMES, fixture } from '../testing/fixtures.js';
import { fileOracle, goVersionM, lddOracle, readelfDynamic } from '../testing/oracles.js';
import { inspectFile } from './inspect.js';
import type { InspectReport } from './report.js';

// The whole inspect pipeline, fixture by fixture, against the tools a person
// would otherwise run: file(1), readelf -d, ldd and go version -m.

const host = { root: new HostRootFS('/'), rootDir: '/' };

/** The binary inside a fixture (c-origin and c-rpath are directories). */
function binaryOf(name: string): string {
  return name === 'c-origin' || name === 'c-rpath' ? join(fixture(name), 'bin', 'app') : fixture(name);
}

async function inspect(path: string): Promise<InspectReport> {
  const report = await inspectFile(path, host);
  assert.ok(report, `${path}: no report`);
  assert.equal(report.error, null, `${path}: ${report.error?.message}`);
  return report;
}

test('every fixture agrees with file(1) on format, class, endianness, type, linkage, interpreter and stripping', async () => {
  for (const name of FIXTURE_NAMES) {
    const path = binaryOf(name);
    const [ours, theirs] = [await inspect(path), await fileOracle(path)];
    assert.equal(ours.format, theirs.format === 'other' ? 'unknown' : theirs.format, `${name}: format (${theirs.raw})`);
    if (theirs.format !== 'elf') continue;
    assert.equal(ours.bits, theirs.class, `${name}: class`);
    assert.equal(ours.endian, theirs.endian, `${name}: endianness`);
    assert.equal(ours.type, theirs.type, `${name}: type (${theirs.raw})`);
    assert.equal(ours.linkage, theirs.linkage, `${name}: linkage (${theirs.raw})`);
    assert.equal(ours.interpreter, theirs.interpreter, `${name}: interpreter`);
    if (theirs.stripped !== null) assert.equal(ours.stripped, theirs.stripped, `${name}: stripped (${theirs.raw})`);
  }
});

test('every ELF fixture agrees with readelf -d on NEEDED, RPATH, RUNPATH and SONAME, in file order', async () => {
  for (const name of FIXTURE_NAMES) {
    const path = binaryOf(name);
    const ours = await inspect(path);
    if (ours.format !== 'elf') continue;
    const theirs = await readelfDynamic(path);
    assert.deepEqual(ours.needed, theirs.needed, `${name}: needed`);
    assert.deepEqual(ours.rpath, theirs.rpath, `${name}: rpath`);
    assert.deepEqual(ours.runpath, theirs.runpath, `${name}: runpath`);
    assert.equal(ours.soname, theirs.soname, `${name}: soname`);
  }
});

test('host-arch dynamic fixtures resolve to the same libraries as ldd; go-pie-nocgo is the documented exception', async () => {
  let compared = 0;
  for (const name of FIXTURE_NAMES) {
    const path = binaryOf(name);
    const ours = await inspect(path);
    if (ours.format !== 'elf' || ours.arch !== 'amd64' || ours.linkage !== 'dynamic') continue;
    // For a musl binary the oracle runs musl's own loader with --list (glibc's ldd fails on it).
    const theirs = await lddOracle(path);
    if (name === 'go-pie-nocgo') {
      // ldd runs the loader, which maps nothing and calls it "statically
      // linked"; the kernel still needs PT_INTERP, so FROM scratch it fails.
      // file(1) and we say dynamic, and we flag the trap.
      assert.equal(theirs.static || theirs.libs.every((l) => l.kind !== 'library'), true, 'ldd sees no libraries');
      assert.ok(ours.findings.some((f) => f.id === 'pie-needs-interpreter'));
      continue;
    }
    const lddLibs = new Map(theirs.libs.filter((l) => l.kind === 'library' || l.kind === 'missing').map((l) => [l.name, l.path]));
    // glibc's ldd prints the loader once, as its interpreter line, even when
    // libc needs it by soname; musl's lists libc.so => the loader as well.
    const ourLibs = new Map(ours.libraries.map((l) => [l.name, l.path]));
    const lddInterpreter = theirs.libs.find((l) => l.kind === 'interpreter')?.path;
    for (const [lib, where] of lddLibs) {
      assert.ok(ourLibs.has(lib), `${name}: ldd lists ${lib}, we do not`);
      assert.equal(ourLibs.get(lib), where, `${name}: ${lib}`);
    }
    for (const lib of ours.libraries) {
      if (lddLibs.has(lib.name)) continue;
      assert.equal(lib.via, 'loader', `${name}: we list ${lib.name}, ldd does not`);
      assert.equal(lib.path, lddInterpreter, `${name}: the loader ${lib.name} is ldd's interpreter line`);
    }
    compared++;
  }
  assert.ok(compared >= 6, `compared ${compared} dynamic fixtures`);
});

test('every Go fixture has the version go version -m prints, from the build info', async () => {
  for (const name of FIXTURE_NAMES.filter((n) => n.startsWith('go-'))) {
    const path = binaryOf(name);
    const [ours, theirs] = [await inspect(path), await goVersionM(path)];
    assert.ok(theirs, `${name}: go version -m read it`);
    assert.equal(ours.go?.version, theirs.version, name);
    assert.equal(ours.go?.versionSource, 'buildinfo', name);
    assert.equal(ours.go?.path, theirs.path, name);
    assert.deepEqual(ours.go?.settings, theirs.settings, name);
  }
});

test('C fixtures are not Go', async () => {
  for (const name of FIXTURE_NAMES.filter((n) => n.startsWith('c-'))) {
    assert.equal((await inspect(binaryOf(name))).go, null, name);
  }
});

test('why a Go binary is dynamic: the package that calls C and its fix; a static one has no such finding', async () => {
  const net = await inspect(fixture('go-net-cgo'));
  assert.ok(net.go?.packages?.includes('net'));
  assert.equal(net.go?.cgo?.used, true);
  const culprit = net.findings.find((f) => f.id === 'cgo-package');
  assert.ok(culprit, 'a cgo-package finding');
  assert.match(culprit.message, /^net calls C/);
  assert.match(culprit.fix ?? '', /netgo/);

  const user = await inspect(fixture('go-osuser-cgo'));
  assert.match(user.findings.find((f) => f.id === 'cgo-package')?.fix ?? '', /osusergo/);

  for (const name of ['go-static', 'go-net-netgo', 'go-osuser-nocgo']) {
    const report = await inspect(fixture(name));
    assert.equal(report.findings.filter((f) => f.id === 'cgo-package').length, 0, name);
  }
});

test('glibc NSS: a cgo resolver or user lookup needs nsswitch.conf and the NSS modules beside libc; static and plain ones do not', async () => {
  const net = await inspect(fixture('go-net-cgo'));
  const nss = net.needs.find((n) => n.id === 'nsswitch');
  assert.ok(nss, 'go-net-cgo needs nsswitch');
  assert.ok(nss.evidence.some((e) => e.startsWith('getaddrinfo')));
  assert.ok(nss.paths.includes('/etc/nsswitch.conf'));
  const libc = net.libraries.find((l) => l.name === 'libc.so.6')?.path ?? '';
  assert.ok(nss.paths.includes(`${libc.slice(0, libc.lastIndexOf('/'))}/libnss_files.so.2`), nss.paths.join(' '));

  const user = await inspect(fixture('go-osuser-cgo'));
  assert.ok(user.needs.find((n) => n.id === 'nsswitch')?.evidence.some((e) => /^getpw/.test(e)));

  for (const name of ['go-static', 'c-dynamic', 'c-static', 'go-net-netgo']) {
    assert.equal((await inspect(fixture(name))).needs.some((n) => n.id === 'nsswitch' && n.evidence.some((e) => e.includes('glibc NSS'))), false, name);
  }
});
