import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostRootFS } from '../fs/index.js';
import { fixture } from '../testing/fixtures.js';
import { lddOracle } from '../testing/oracles.js';
import { inspectFile } from './inspect.js';
import type { GoNeed } from './needs.js';
import { ALPINE, DISTROLESS_BASE, DISTROLESS_CC, DISTROLESS_STATIC, recommendBase, type RecommendFacts } from './recommend.js';
import type { LibraryEntry, Need } from './report.js';

const STATIC: RecommendFacts = { format: 'elf', os: 'linux', type: 'executable', linkage: 'static', interpreter: null, libraries: [], needed: [] };

function need(id: GoNeed['id'], certainty: GoNeed['certainty'], paths: string[] = []): GoNeed {
  return { id, paths, evidence: ['f'], certainty, match: 'all', reason: 'r', env: [], fix: 'x' };
}

function library(name: string, path: string | null, via: LibraryEntry['via'] = 'ld.so.cache'): LibraryEntry {
  return { name, path, via: path === null ? null : via, neededBy: '/app' };
}

test('recommend: a static binary needing nothing goes FROM scratch with no files', () => {
  const r = recommendBase(STATIC);
  assert.equal(r?.base, 'scratch');
  assert.deepEqual(r?.files, []);
  assert.equal(r?.alternative?.base, DISTROLESS_STATIC);
});

test('recommend: a static binary gets exactly the files of its certain and likely needs', () => {
  const r = recommendBase({
    ...STATIC,
    needs: [need('ca-certificates', 'certain'), need('tzdata', 'likely'), need('passwd', 'certain'), need('tmp', 'likely'), need('shell', 'possible')],
  });
  assert.equal(r?.base, 'scratch');
  assert.deepEqual(r?.files, ['/etc/ssl/certs/ca-certificates.crt', '/usr/share/zoneinfo', '/etc/passwd', '/etc/group', '/tmp']);
  // The possible need is named, never added.
  assert.ok(!r?.files.includes('/bin/sh'));
  assert.match(r?.reason ?? '', /may also need \/bin\/sh/);
  assert.deepEqual(r?.alternative?.files, []);
});

test('recommend: a possible CA need adds no file; exec and plugin become notes', () => {
  const r = recommendBase({ ...STATIC, needs: [need('ca-certificates', 'possible'), need('exec', 'certain')] });
  assert.deepEqual(r?.files, []);
  assert.match(r?.reason ?? '', /CA certificates/);
  assert.match(r?.reason ?? '', /programs it starts/);
});

test('recommend: a likely shell need picks alpine over scratch', () => {
  const r = recommendBase({ ...STATIC, needs: [need('shell', 'likely'), need('tzdata', 'certain')] });
  assert.equal(r?.base, ALPINE);
  assert.deepEqual(r?.files, ['/usr/share/zoneinfo']);
});

test('recommend: dynamic glibc: the closure FROM scratch, distroless base or cc as the alternative', () => {
  const libs = [library('libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'), library('ld-linux-x86-64.so.2', '/lib64/ld-linux-x86-64.so.2', 'loader')];
  const facts: RecommendFacts = { ...STATIC, linkage: 'dynamic', interpreter: '/lib64/ld-linux-x86-64.so.2', libraries: libs, needed: ['libc.so.6'], needs: [need('ca-certificates', 'certain')] };
  const r = recommendBase(facts);
  assert.equal(r?.base, 'scratch');
  assert.deepEqual(r?.files, ['/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6', '/etc/ssl/certs/ca-certificates.crt']);
  assert.equal(r?.alternative?.base, DISTROLESS_BASE);
  assert.deepEqual(r?.alternative?.files, []);

  const withCxx = recommendBase({ ...facts, libraries: [...libs, library('libstdc++.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6'), library('libpcap.so.0.8', null)] });
  assert.equal(withCxx?.alternative?.base, DISTROLESS_CC);
  assert.deepEqual(withCxx?.alternative?.files, ['libpcap.so.0.8']);
  assert.match(withCxx?.reason ?? '', /not found here: libpcap\.so\.0\.8/);
});

test('recommend: musl dynamic: alpine as the alternative; interpreter-only PIE; non-Linux and non-programs', () => {
  const musl = recommendBase({
    ...STATIC,
    linkage: 'dynamic',
    interpreter: '/lib/ld-musl-x86_64.so.1',
    libraries: [library('libc.musl-x86_64.so.1', '/lib/ld-musl-x86_64.so.1'), library('libz.so.1', '/usr/lib/libz.so.1')],
    needed: ['libc.musl-x86_64.so.1', 'libz.so.1'],
  });
  assert.equal(musl?.alternative?.base, ALPINE);
  assert.deepEqual(musl?.alternative?.files, ['/usr/lib/libz.so.1']);
  const pie = recommendBase({ ...STATIC, linkage: 'dynamic', type: 'pie-executable', interpreter: '/lib64/ld-linux-x86-64.so.2' });
  assert.deepEqual(pie?.files, ['/lib64/ld-linux-x86-64.so.2']);
  assert.match(pie?.reason ?? '', /needs only its interpreter/);
  assert.equal(recommendBase({ ...STATIC, format: 'macho', os: 'darwin' })?.base, null);
  assert.equal(recommendBase({ ...STATIC, type: 'relocatable' })?.base, null);
  assert.equal(recommendBase({ ...STATIC, format: 'unknown' }), null);
});

test('recommend: link needs from inspect are the closure, not extra files', () => {
  const linkNeeds: Need[] = [
    { id: 'interpreter', paths: ['/lib64/ld-linux-x86-64.so.2'], evidence: ['PT_INTERP'] },
    { id: 'libraries', paths: ['/lib/x86_64-linux-gnu/libc.so.6'], evidence: ['DT_NEEDED libc.so.6'] },
  ];
  const r = recommendBase({ ...STATIC, linkage: 'dynamic', interpreter: '/lib64/ld-linux-x86-64.so.2', libraries: [library('libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6')], needed: ['libc.so.6'], needs: linkNeeds });
  assert.deepEqual(r?.files, ['/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6']);
});

test('recommend: for real dynamic fixtures the files are the interpreter plus what ldd resolves', async () => {
  const root = new HostRootFS('/');
  for (const name of ['c-dynamic', 'go-net-cgo']) {
    const path = fixture(name);
    const report = await inspectFile(path, { root, rootDir: '/' });
    assert.ok(report && report.error === null);
    const r = recommendBase(report);
    const ldd = await lddOracle(path);
    // Oracle: every library ldd resolved is among the files (ldd may name a path through a symlink).
    for (const entry of ldd.libs) {
      if (entry.path === null) continue;
      const base = entry.path.split('/').pop() as string;
      assert.ok(r?.files.some((f) => f.endsWith(`/${base}`)), `${name}: ${entry.path} missing from ${r?.files.join(', ')}`);
    }
    assert.equal(r?.alternative?.base, DISTROLESS_BASE);
  }
});
