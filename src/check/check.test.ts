import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildImage } from '../build/build.js';
import { run } from '../testing/process.js';
import { fixture } from '../testing/fixtures.js';
import { ImageRootFS } from '../rootfs/image-fs.js';
import { checkImage, type CheckedPlatform } from './check-image.js';
import { countingImage, extendImage, layoutImage, lddLibraries, oldLibc, singleFileImage, whiteoutEntry } from './check-images.js';

/**
 * `check` on real images from `fromscratch build` and on images broken in
 * one known way each: the finding ids are the contract (shared/DESIGN.md).
 * Which library the loader needs comes from ldd (the oracle), not from us.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-check-test-'));
after(() => rm(work, { recursive: true, force: true }));

const ids = (result: CheckedPlatform): string[] => result.findings.map((f) => f.id);

async function built(name: string, caSource: 'host' | 'node' | 'none' = 'host'): Promise<string> {
  const dir = join(work, `${name}-${caSource}`);
  await buildImage([fixture(name)], { output: `oci:${dir}:v1`, caSource });
  return dir;
}

test('a static Go image from build is ok; the same binary with a non-executable mode or a missing path is not', async () => {
  const image = await layoutImage(await built('go-static'), 'v1');
  const good = await checkImage(image, { name: 'go-static' });
  assert.equal(good.platform, 'linux/amd64');
  assert.deepEqual(good.findings, []);
  assert.equal(good.ok, true);
  assert.equal(good.entrypoint.path, '/app/go-static');

  const missing = await checkImage(await extendImage(image, [], { Entrypoint: ['/app/not-there'] }), { name: 'missing' });
  assert.deepEqual(ids(missing), ['entrypoint-missing']);
  assert.equal(missing.ok, false);
  assert.match(missing.findings[0]?.message ?? '', /\/app\/not-there/);

  const notInPath = await checkImage(await extendImage(image, [], { Entrypoint: null, Cmd: ['go-static'], Env: ['PATH=/bin:/usr/bin'] }), { name: 'path' });
  assert.deepEqual(ids(notInPath), ['entrypoint-missing']);
  const inPath = await checkImage(await extendImage(image, [], { Entrypoint: null, Cmd: ['go-static', '-x'], Env: ['PATH=/bin:/app'] }), { name: 'path' });
  assert.deepEqual(inPath.entrypoint, { argv: ['go-static', '-x'], path: '/app/go-static' });
  assert.equal(inPath.ok, true);
  const nothing = await checkImage(await extendImage(image, [], { Entrypoint: null, Cmd: null }), { name: 'none' });
  assert.deepEqual(ids(nothing), ['entrypoint-missing']);

  const plain = await checkImage(await singleFileImage(fixture('go-static'), '/app/go-static', { mode: 0o644 }), { name: 'mode' });
  assert.deepEqual(ids(plain), ['entrypoint-not-executable']);
});

test('a dynamic C binary alone in an image lacks its interpreter and libc (the ones ldd names)', async () => {
  const binary = fixture('c-dynamic');
  const needed = await lddLibraries(binary);
  const result = await checkImage(await singleFileImage(binary, '/app/c-dynamic'), { name: 'c-alone' });
  assert.equal(result.ok, false);
  assert.ok(ids(result).includes('interpreter-missing'), JSON.stringify(result.findings));
  const missingLibraries = result.findings.filter((f) => f.id === 'library-missing').map((f) => /library (\S+)/.exec(f.message)?.[1]);
  assert.deepEqual(missingLibraries.sort(), [...needed.keys()].sort());
});

test('the build of a dynamic binary is ok; whiting out its libc in an upper layer gives library-missing', async () => {
  const binary = fixture('c-dynamic');
  const image = await layoutImage(await built('c-dynamic'), 'v1');
  const counted = await countingImage(image);
  const good = await checkImage(counted.image, { name: 'c-dynamic' });
  assert.deepEqual(good.findings, []);
  assert.equal(counted.streams(), (await image.layers()).length, 'each layer streamed once: the binary, loader and libraries are kept while indexing');
  const libc = (await lddLibraries(binary)).get('libc.so.6');
  assert.ok(libc, 'ldd names libc.so.6');
  const inImage = await (await ImageRootFS.open(image, 'c-dynamic')).realpath(libc);
  assert.ok(inImage, `${libc} is in the built image`);
  const broken = await checkImage(await extendImage(image, [whiteoutEntry(inImage)]), { name: 'whiteout' });
  assert.deepEqual(ids(broken), ['library-missing']);
  assert.match(broken.findings[0]?.message ?? '', /libc\.so\.6/);
});

test('an arm64 binary in an image whose config says amd64 is an arch-mismatch', async () => {
  const result = await checkImage(await singleFileImage(fixture('go-static-arm64'), '/app/server', { architecture: 'amd64' }), { name: 'arm' });
  assert.deepEqual(ids(result), ['arch-mismatch']);
  const right = await checkImage(await singleFileImage(fixture('go-static-arm64'), '/app/server', { architecture: 'arm64' }), { name: 'arm' });
  assert.deepEqual(right.findings, []);
});

test('a Go HTTPS client built with --ca-source none lacks CA certificates; SSL_CERT_FILE or a bundle fixes it', async () => {
  const bare = await layoutImage(await built('go-https-client', 'none'), 'v1');
  const result = await checkImage(bare, { name: 'https' });
  assert.deepEqual(ids(result), ['ca-certificates-missing']);
  assert.match(result.findings[0]?.message ?? '', /\/etc\/ssl\/certs\/ca-certificates\.crt/);
  const withBundle = await checkImage(await layoutImage(await built('go-https-client', 'node'), 'v1'), { name: 'https' });
  assert.deepEqual(withBundle.findings, []);
  const pem = new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n');
  const pointed = await extendImage(bare, [{ header: { path: 'certs/', type: 'dir', mode: 0o755 } }, { header: { path: 'certs/roots.pem', type: 'file', mode: 0o644, size: pem.length }, body: pem }], {
    Env: ['SSL_CERT_FILE=/certs/roots.pem'],
  });
  assert.equal((await checkImage(pointed, { name: 'https' })).ok, true);
});

test('a script entrypoint needs its interpreter; a User by an unknown name is refused', async () => {
  const image = await layoutImage(await built('go-static'), 'v1');
  const script = new TextEncoder().encode('#!/bin/sh -e\necho hi\n');
  const withScript = await extendImage(image, [{ header: { path: 'start.sh', type: 'file', mode: 0o755, size: script.length }, body: script }], { Entrypoint: ['/start.sh'] });
  const result = await checkImage(withScript, { name: 'script' });
  assert.deepEqual(ids(result), ['interpreter-missing']);
  assert.match(result.findings[0]?.message ?? '', /\/bin\/sh/);
  const user = await checkImage(await extendImage(image, [], { User: 'appuser' }), { name: 'user' });
  assert.deepEqual(ids(user), ['user-unknown']);
  const numeric = await checkImage(await extendImage(image, [], { User: '1234:1234' }), { name: 'user' });
  assert.equal(numeric.ok, true);
});

test('a binary needing a newer glibc symbol version than the image libc defines gets symbol-version-missing', async () => {
  const binary = fixture('c-dynamic');
  const image = await layoutImage(await built('c-dynamic'), 'v1');
  const libcHost = (await lddLibraries(binary)).get('libc.so.6');
  assert.ok(libcHost);
  const libcInImage = await (await ImageRootFS.open(image, 'c-dynamic')).realpath(libcHost);
  assert.ok(libcInImage);
  // An "old libc": a shared object named libc.so.6 that defines only GLIBC_2.2.5.
  const body = await oldLibc(work);
  const lib = join(work, 'libc.so.6');
  // readelf is the oracle for what the binary needs and what the fake defines.
  const needs = (await run('readelf', ['-V', '-W', binary])).stdout;
  const defines = (await run('readelf', ['-V', '-W', lib])).stdout;
  assert.match(needs, /Name: GLIBC_2\.34/);
  assert.doesNotMatch(defines, /GLIBC_2\.34/);
  assert.match(defines, /GLIBC_2\.2\.5/);
  const old = await extendImage(image, [{ header: { path: libcInImage.slice(1), type: 'file', mode: 0o755, size: body.length }, body }]);
  const result = await checkImage(old, { name: 'old-libc' });
  assert.deepEqual(ids(result), ['symbol-version-missing']);
  assert.match(result.findings[0]?.message ?? '', /GLIBC_2\.34/);
  assert.doesNotMatch(result.findings[0]?.message ?? '', /GLIBC_2\.2\.5/);
});
