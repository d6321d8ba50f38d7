import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildImage } from '../build/build.js';
import { fixture } from '../testing/fixtures.js';
import { checkImage, type CheckedPlatform } from './check-image.js';
import { extendImage, fileEntry, layoutImage, mergedUsrImage, opaqueEntry, singleFileImage, whiteoutEntry } from './check-images.js';

/**
 * The broken images of issue 5 that check.test.ts does not cover: merged-usr
 * symlinks, an opaque /lib, a library missing beside a present loader,
 * zoneinfo (missing, and each way to supply it), nsswitch.conf.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-check-cases-'));
after(() => rm(work, { recursive: true, force: true }));

const ids = (result: CheckedPlatform): string[] => result.findings.map((f) => f.id);

async function built(name: string): Promise<ReturnType<typeof layoutImage>> {
  const dir = join(work, name);
  await buildImage([fixture(name)], { output: `oci:${dir}:v1` });
  return layoutImage(dir, 'v1');
}

test('merged-usr: /lib -> usr/lib and /lib64 -> usr/lib64 resolve the loader and libraries of a dynamic binary', async () => {
  const image = await mergedUsrImage(fixture('c-dynamic'), '/app/c-dynamic');
  const result = await checkImage(image, { name: 'merged-usr' });
  assert.deepEqual(result.findings, []);
  // The same layout without the /lib64 link: PT_INTERP (/lib64/ld-linux-x86-64.so.2) is gone.
  const noLink = await checkImage(await extendImage(image, [whiteoutEntry('/lib64')]), { name: 'merged-usr' });
  assert.ok(ids(noLink).includes('interpreter-missing'), JSON.stringify(noLink.findings));
  assert.equal(noLink.ok, false);
  // Without the /lib link the loader still finds libc in /usr/lib/x86_64-linux-gnu, one of its built-in directories.
  assert.deepEqual((await checkImage(await extendImage(image, [whiteoutEntry('/lib')]), { name: 'merged-usr' })).findings, []);
});

test('an opaque /lib in an upper layer hides the libraries below it; a library missing beside a present loader', async () => {
  const image = await built('c-dynamic');
  const hidden = await checkImage(await extendImage(image, [{ header: { path: 'lib/', type: 'dir', mode: 0o755 } }, opaqueEntry('lib')]), { name: 'opaque' });
  assert.ok(ids(hidden).includes('library-missing'), JSON.stringify(hidden.findings));
  assert.equal(hidden.ok, false);
  assert.match(hidden.findings.find((f) => f.id === 'library-missing')?.message ?? '', /libc\.so\.6/);

  const app = new Uint8Array(await readFile(fixture('c-missing-lib')));
  const missing = await checkImage(await extendImage(image, [fileEntry('app/missing', app, 0o755)], { Entrypoint: ['/app/missing'] }), { name: 'missing-lib' });
  assert.deepEqual(ids(missing), ['library-missing']);
  assert.match(missing.findings[0]?.message ?? '', /libnothere\.so/);
  assert.equal(missing.findings[0]?.path, '/app/missing');
});

test('LoadLocation without zoneinfo: tzdata-missing; ZONEINFO, the files, or an embedded database fix it', async () => {
  const bare = await singleFileImage(fixture('go-loadlocation'), '/app/tz');
  const result = await checkImage(bare, { name: 'tz' });
  assert.deepEqual(ids(result), ['tzdata-missing']);
  // LoadLocation("UTC") reads nothing, so a call alone is likely, not certain, to fail.
  assert.equal(result.findings[0]?.severity, 'warning');
  assert.match(result.findings[0]?.message ?? '', /\/usr\/share\/zoneinfo/);

  const paris = new Uint8Array(await readFile('/usr/share/zoneinfo/Europe/Paris'));
  const viaEnv = await extendImage(bare, [fileEntry('zones/Europe/Paris', paris)], { Env: ['ZONEINFO=/zones'] });
  assert.deepEqual((await checkImage(viaEnv, { name: 'tz' })).findings, []);
  const pointingNowhere = await extendImage(bare, [], { Env: ['ZONEINFO=/zones'] });
  assert.deepEqual(ids(await checkImage(pointingNowhere, { name: 'tz' })), ['tzdata-missing']);
  const present = await extendImage(bare, [fileEntry('usr/share/zoneinfo/Europe/Paris', paris)]);
  assert.deepEqual((await checkImage(present, { name: 'tz' })).findings, []);
  const embedded = await singleFileImage(fixture('go-loadlocation-tzdata'), '/app/tz');
  assert.deepEqual((await checkImage(embedded, { name: 'tz' })).findings, []);
});

test("nsswitch.conf: a warning for glibc's resolver (DNS before /etc/hosts without it), nothing for Go's since go1.16", async () => {
  const cgo = await built('go-net-cgo');
  assert.deepEqual((await checkImage(cgo, { name: 'cgo' })).findings, []);
  const withoutConf = await checkImage(await extendImage(cgo, [whiteoutEntry('/etc/nsswitch.conf')]), { name: 'cgo' });
  assert.deepEqual(withoutConf.findings.map((f) => [f.id, f.severity, f.path]), [['nsswitch-missing', 'warning', '/etc/nsswitch.conf']]);
  assert.equal(withoutConf.ok, true);
  const netgo = await singleFileImage(fixture('go-net-netgo'), '/app/lookup');
  assert.deepEqual((await checkImage(netgo, { name: 'netgo' })).findings, []);
});
