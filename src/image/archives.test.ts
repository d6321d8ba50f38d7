import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FromscratchError, isFromscratchError } from '../errors.js';
import { encodeEntryHeader, type NormalizedHeader } from '../layer/tar-writer.js';
import { Rng, mutate } from '../testing/mutate.js';
import { asImage, tinyImage } from '../testing/image-fixtures.js';
import { readAllCapped } from './blob-streams.js';
import { readDockerArchive, writeDockerArchive } from './docker-archive.js';
import { readOciArchive, writeOciArchive } from './oci-archive.js';
import { MEDIA_TYPES, type Image, type ImageOrIndex } from './types.js';
import { withTempDir } from '../testing/temp-dir.js';

const drain = async (open: () => Promise<NodeJS.ReadableStream>): Promise<Uint8Array> => readAllCapped((await open()) as never, 1 << 24, 'test');

/** A raw tar of hand-made entries, bypassing the writer's path checks (that is the point). */
function rawTar(entries: { path: string; type?: NormalizedHeader['type']; linkname?: string; data?: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    const type = e.type ?? 'file';
    parts.push(encodeEntryHeader({ path: e.path, type, mode: 0o644, size: type === 'file' ? data.length : 0, linkname: e.linkname ?? '', uid: 0, gid: 0, uname: '', gname: '', mtime: 0 }));
    if (type === 'file') {
      parts.push(data);
      const pad = (512 - (data.length % 512)) % 512;
      parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(1024));
  return new Uint8Array(Buffer.concat(parts));
}

test('oci-archive round-trips an image, is deterministic, and lists only layout names', async () => {
  await withTempDir('archive-test', async (tmp) => {
    const image = await tinyImage();
    await writeOciArchive(join(tmp, 'a.tar'), { kind: 'image', image }, { tag: 'v1' });
    await writeOciArchive(join(tmp, 'b.tar'), { kind: 'image', image }, { tag: 'v1' });
    assert.deepEqual(await readFile(join(tmp, 'a.tar')), await readFile(join(tmp, 'b.tar')));
    const opened = await readOciArchive(join(tmp, 'a.tar'), 'v1');
    try {
      const back = asImage(opened.root);
      assert.deepEqual(await back.rawManifest(), await image.rawManifest());
      assert.deepEqual(await back.rawConfig(), await image.rawConfig());
      const layers = await back.layers();
      const original = await image.layers();
      for (const [i, l] of layers.entries()) assert.deepEqual(await drain(() => l.uncompressed()), await drain(() => (original[i] ?? assert.fail()).uncompressed()));
    } finally {
      await opened.close();
    }
    // No temp files left beside the outputs.
    assert.deepEqual((await readdir(tmp)).sort(), ['a.tar', 'b.tar']);
  });
});

test('docker-archive round-trips: config bytes kept, layers uncompressed and named by diff id', async () => {
  await withTempDir('archive-test', async (tmp) => {
    const image = await tinyImage();
    const file = join(tmp, 'd.tar');
    await writeDockerArchive(file, { kind: 'image', image }, { repoTags: ['example.com/tiny:v1'] });
    const opened = await readDockerArchive(file, { kind: 'name', name: 'example.com/tiny:v1' });
    try {
      const back = asImage(opened.root);
      assert.deepEqual(await back.rawConfig(), await image.rawConfig());
      const layers = await back.layers();
      const original = await image.layers();
      assert.equal(layers.length, original.length);
      for (const [i, l] of layers.entries()) {
        const o = original[i] ?? assert.fail();
        assert.equal(l.descriptor.mediaType, MEDIA_TYPES.ociLayer);
        assert.equal(l.descriptor.digest, await o.diffId());
        assert.equal(await l.diffId(), await o.diffId());
        assert.deepEqual(await drain(() => l.open()), await drain(() => o.uncompressed()));
      }
    } finally {
      await opened.close();
    }
    await assert.rejects(readDockerArchive(file, { kind: 'name', name: 'other:v1' }), (e: unknown) => isFromscratchError(e) && e.code === 'not-found');
    await assert.rejects(readDockerArchive(file, { kind: 'index', index: 3 }), (e: unknown) => isFromscratchError(e) && e.code === 'not-found');
  });
});

test('archives with unsafe or unexpected names are refused, and nothing lands outside', async () => {
  await withTempDir('archive-test', async (tmp) => {
    const cases: [string, Uint8Array][] = [
      ['dotdot', rawTar([{ path: '../escaped', data: new Uint8Array([1]) }])],
      ['nested-dotdot', rawTar([{ path: 'blobs/sha256/../../../escaped', data: new Uint8Array([1]) }])],
      ['absolute', rawTar([{ path: '/tmp/escaped', data: new Uint8Array([1]) }])],
      ['symlink', rawTar([{ path: 'index.json', type: 'symlink', linkname: '/etc/passwd' }])],
      ['stray', rawTar([{ path: 'evil.sh', data: new Uint8Array([1]) }])],
      ['dup', rawTar([{ path: 'index.json', data: new Uint8Array([1]) }, { path: 'index.json', data: new Uint8Array([2]) }])],
    ];
    for (const [name, bytes] of cases) {
      const file = join(tmp, `${name}.tar`);
      await writeFile(file, bytes);
      await assert.rejects(readOciArchive(file), (e: unknown) => e instanceof FromscratchError && e.message.startsWith(file), name);
    }
    // docker-archive accepts links, but only ones that stay inside.
    const link = join(tmp, 'link.tar');
    await writeFile(link, rawTar([{ path: 'manifest.json', type: 'symlink', linkname: '../../etc/passwd' }]));
    await assert.rejects(readDockerArchive(link), (e: unknown) => e instanceof FromscratchError && /outside/.test(e.message));
    const loop = join(tmp, 'loop.tar');
    await writeFile(loop, rawTar([{ path: 'a', type: 'symlink', linkname: 'b' }, { path: 'b', type: 'symlink', linkname: 'a' }, { path: 'manifest.json', data: new TextEncoder().encode('[{"Config":"a","RepoTags":[],"Layers":[]}]') }]));
    await assert.rejects(readDockerArchive(loop), (e: unknown) => e instanceof FromscratchError && /loop/.test(e.message));
    const traversal = join(tmp, 'trav.tar');
    await writeFile(traversal, rawTar([{ path: 'manifest.json', data: new TextEncoder().encode('[{"Config":"../../etc/passwd","RepoTags":[],"Layers":[]}]') }]));
    await assert.rejects(readDockerArchive(traversal), (e: unknown) => e instanceof FromscratchError && /not a path inside/.test(e.message));
    assert.ok(!(await readdir(tmp)).includes('escaped'));
  });
});

test('truncated archives fail with FormatErrors naming the file', async () => {
  await withTempDir('archive-test', async (tmp) => {
    const image = await tinyImage();
    const oci = join(tmp, 'o.tar');
    const docker = join(tmp, 'd.tar');
    await writeOciArchive(oci, { kind: 'image', image });
    await writeDockerArchive(docker, { kind: 'image', image });
    for (const [file, read] of [
      [oci, (f: string) => readOciArchive(f)],
      [docker, (f: string) => readDockerArchive(f)],
    ] as const) {
      const bytes = await readFile(file);
      for (const cut of [100, 512, 700, bytes.length - 1500]) {
        const cutFile = `${file}.cut${cut}`;
        await writeFile(cutFile, bytes.subarray(0, cut));
        await assert.rejects(read(cutFile), (e: unknown) => e instanceof FromscratchError && e.message.startsWith(cutFile), `${cutFile}`);
      }
    }
  });
});

test('fuzz: mutated archives give FromscratchErrors or images, never other exceptions', async () => {
  await withTempDir('archive-test', async (tmp) => {
    const image = await tinyImage();
    const oci = join(tmp, 'o.tar');
    const docker = join(tmp, 'd.tar');
    await writeOciArchive(oci, { kind: 'image', image });
    await writeDockerArchive(docker, { kind: 'image', image });
    const rng = new Rng(20261129);
    for (const [file, read] of [
      [oci, (f: string) => readOciArchive(f)],
      [docker, (f: string) => readDockerArchive(f)],
    ] as const) {
      const bytes = new Uint8Array(await readFile(file));
      for (let i = 0; i < 120; i++) {
        const mutated = join(tmp, 'm.tar');
        await writeFile(mutated, mutate(bytes, rng));
        try {
          const opened = await read(mutated);
          try {
            // Reading everything must also fail cleanly or succeed.
            const img = asImage(opened.root);
            await img.config();
            for (const l of await img.layers()) await drain(() => l.uncompressed());
          } finally {
            await opened.close();
          }
        } catch (e) {
          if (!isFromscratchError(e)) assert.fail(`iteration ${i} of ${file}: ${e instanceof Error ? e.stack : String(e)}`);
        }
      }
    }
  });
});
