import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { test } from 'node:test';
import { inspectFile } from '../analysis/inspect.js';
import type { InspectReport } from '../analysis/report.js';
import { UsageError } from '../errors.js';
import { HostRootFS } from '../fs/index.js';
import { fixture } from '../testing/fixtures.js';
import { lddOracle, readelfProgramHeaders } from '../testing/oracles.js';
import { tarEntries } from './assemble.js';
import { planBuild, type PlannedFile } from './plan.js';
import { resolveUser } from './users.js';

/** What goes in, checked against ldd and readelf (the loader's own view) and against values built here. */

const host = { root: new HostRootFS('/'), rootDir: '/' };

async function report(name: string): Promise<InspectReport> {
  const r = await inspectFile(fixture(name), host);
  assert.ok(r !== undefined);
  return r;
}

test("a dynamic binary's plan holds the interpreter readelf names and every library ldd resolves, at those paths", async () => {
  for (const name of ['go-net-cgo', 'c-dynamic']) {
    const plan = await planBuild(await report(name), { rootDir: '/' });
    const planned = new Set(plan.files.map((f) => f.path));
    const headers = await readelfProgramHeaders(fixture(name));
    assert.ok(headers.interpreter !== null && planned.has(headers.interpreter), `${name}: interpreter ${headers.interpreter}`);
    const ldd = await lddOracle(fixture(name));
    for (const lib of ldd.libs.filter((l) => l.kind === 'library')) {
      assert.ok(lib.path !== null && planned.has(lib.path), `${name}: ${lib.name} at ${lib.path}`);
    }
    const libraries = plan.files.filter((f) => f.reason === 'libraries').map((f) => f.path);
    assert.equal(libraries.length, ldd.libs.filter((l) => l.kind === 'library' && l.path !== headers.interpreter).length, `${name}: no library beyond ldd's closure`);
  }
});

test('a static Go binary gets no loader files, no CA bundle and no zoneinfo; passwd, group and /tmp always', async () => {
  const plan = await planBuild(await report('go-static'), { rootDir: '/' });
  assert.deepEqual(plan.files.map((f) => f.path).sort(), ['/app/go-static', '/etc/group', '/etc/passwd', '/tmp']);
  const tmp = plan.files.find((f) => f.path === '/tmp');
  assert.equal(tmp?.mode, 0o1777);
  assert.deepEqual(plan.env, []);
  assert.equal(plan.user, '65532:65532');
});

test("--ca-source node writes Node's root store as the bundle; --path moves the binary", async () => {
  const plan = await planBuild(await report('go-https-client'), { rootDir: '/', caSource: 'node', appPath: '/usr/bin/client' });
  const bundle = plan.files.find((f) => f.path === '/etc/ssl/certs/ca-certificates.crt');
  assert.ok(bundle !== undefined && bundle.content.kind === 'bytes');
  const text = new TextDecoder().decode(bundle.content.bytes);
  assert.equal(text.match(/-----BEGIN CERTIFICATE-----/g)?.length, rootCertificates.length);
  assert.equal(bundle.reason, 'ca-certificates');
  assert.ok(plan.files.some((f) => f.path === '/usr/bin/client' && f.layer === 'app'));
  assert.deepEqual(plan.env, ['SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt']);
});

test('--path must be absolute and not the root', async () => {
  const r = await report('go-static');
  await assert.rejects(planBuild(r, { rootDir: '/', appPath: 'app' }), (e) => e instanceof UsageError);
  await assert.rejects(planBuild(r, { rootDir: '/', appPath: '/' }), (e) => e instanceof UsageError);
});

test('tar entries: parents added once as 0755 directories, sorted, every mtime the epoch', () => {
  const file = (path: string): PlannedFile => ({ path, content: { kind: 'bytes', bytes: new Uint8Array([1]) }, mode: 0o644, size: 1, layer: 'system', reason: 'x', evidence: [] });
  const entries = tarEntries([file('/b/c/d'), file('/a'), file('/b/e')], 42);
  assert.deepEqual(entries.map((e) => e.header.path), ['a', 'b', 'b/c', 'b/c/d', 'b/e']);
  assert.deepEqual(entries.filter((e) => e.header.type === 'dir').map((e) => e.header.mode), [0o755, 0o755]);
  assert.ok(entries.every((e) => e.header.mtime === 42));
});

test('--user accepts uid[:gid] and the generated names', () => {
  assert.equal(resolveUser('1000'), '1000');
  assert.equal(resolveUser('1000:1000'), '1000:1000');
  assert.equal(resolveUser('nonroot'), '65532:65532');
  assert.equal(resolveUser('root:nobody'), '0:65534');
  assert.equal(resolveUser('alice'), undefined);
  assert.equal(resolveUser('1:x'), undefined);
});

test('--add replaces a generated file at the same path, and adds a directory tree with its parents', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-plan-add-'));
  try {
    await writeFile(join(dir, 'passwd'), 'app:x:1000:1000::/:/sbin/nologin\n');
    const plan = await planBuild(await report('go-static'), { rootDir: '/', add: [{ source: join(dir, 'passwd'), destination: '/etc/passwd' }, { source: dir, destination: '/opt/extra' }] });
    const passwd = plan.files.find((f) => f.path === '/etc/passwd');
    assert.equal(passwd?.reason, 'add');
    assert.equal(passwd?.size, 'app:x:1000:1000::/:/sbin/nologin\n'.length);
    assert.ok(plan.files.some((f) => f.path === '/opt/extra/passwd'));
    assert.ok(plan.files.some((f) => f.path === '/opt/extra' && f.content.kind === 'dir'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
