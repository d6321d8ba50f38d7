import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FromscratchError, InputError } from '../errors.js';
import { asImage, tinyImage } from '../testing/image-fixtures.js';
import { readAllCapped } from './blob-streams.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { imageFromParts } from './memory.js';
import { OciLayout, readOciLayout } from './oci-layout.js';
import { writeOciLayout } from './oci-layout-writer.js';
import { MEDIA_TYPES, type Image, type ImageIndex, type ImageOrIndex } from './types.js';
import { assertValidOciLayout } from './validate.js';
import { withTempDir } from '../testing/temp-dir.js';

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function drain(s: Readable): Promise<Uint8Array> {
  return readAllCapped(s, 1 << 24, 'test');
}

/** An index over images, built by hand (canonical JSON) so its digest is what we compute here. */
function indexOf(images: Image[], platforms: { architecture: string; os: string }[]): Promise<ImageIndex> {
  return (async () => {
    const manifests = await Promise.all(images.map(async (img, i) => ({ ...(await img.descriptor()), platform: platforms[i] ?? { architecture: 'amd64', os: 'linux' } })));
    const doc = { schemaVersion: 2 as const, mediaType: MEDIA_TYPES.ociIndex, manifests };
    const raw = canonicalJsonBytes(doc);
    const index: ImageIndex = {
      descriptor: async () => ({ mediaType: MEDIA_TYPES.ociIndex, digest: sha256(raw), size: raw.length }),
      rawManifest: async () => raw,
      manifest: async () => doc,
      image: async (digest) => {
        for (const img of images) if ((await img.descriptor()).digest === digest) return img;
        throw new Error('no such image');
      },
      index: async () => {
        throw new Error('no nested index');
      },
    };
    return index;
  })();
}

test('an image written to a layout reads back byte for byte, and conforms to the schemas', async () => {
  await withTempDir('oci-test', async (tmp) => {
    const dir = join(tmp, 'layout');
    const image = await tinyImage();
    const written = await writeOciLayout(dir, { kind: 'image', image }, { tag: 'v1' });
    assert.equal(written.digest, (await image.descriptor()).digest);
    assert.ok(assertValidOciLayout(dir) >= 4);
    const back = asImage(await readOciLayout(dir, 'v1'));
    assert.deepEqual(await back.descriptor(), await image.descriptor());
    assert.deepEqual(await back.rawManifest(), await image.rawManifest());
    assert.deepEqual(await back.rawConfig(), await image.rawConfig());
    const [ours, theirs] = [await image.layers(), await back.layers()];
    assert.equal(theirs.length, ours.length);
    for (const [i, layer] of theirs.entries()) {
      const original = ours[i];
      assert.ok(original);
      assert.deepEqual(await drain(await layer.open()), await drain(await original.open()));
      assert.deepEqual(await drain(await layer.uncompressed()), await drain(await original.uncompressed()));
      assert.equal(await layer.diffId(), await original.diffId());
    }
    // The only image is found without a tag too.
    assert.equal((await asImage(await readOciLayout(dir)).descriptor()).digest, written.digest);
  });
});

test('writing into an existing layout merges index.json and replaces the same tag', async () => {
  await withTempDir('oci-test', async (tmp) => {
    const dir = join(tmp, 'layout');
    const a = await tinyImage();
    const b = await tinyImage({ marker: 'b' });
    const c = await tinyImage({ marker: 'c' });
    await writeOciLayout(dir, { kind: 'image', image: a }, { tag: 'a' });
    await writeOciLayout(dir, { kind: 'image', image: b }, { tag: 'b' });
    await writeOciLayout(dir, { kind: 'image', image: c }, { tag: 'a' });
    assertValidOciLayout(dir);
    const layout = await OciLayout.open(dir);
    assert.deepEqual(layout.tags().sort(), ['a', 'b']);
    assert.equal(layout.find('a').digest, (await c.descriptor()).digest);
    assert.equal(layout.find('b').digest, (await b.descriptor()).digest);
    // Without a tag, two images are ambiguous.
    await assert.rejects(readOciLayout(dir), (e: unknown) => e instanceof InputError && /name one with :TAG/.test(e.message));
  });
});

test('an index with its images round-trips, and its children resolve', async () => {
  await withTempDir('oci-test', async (tmp) => {
    const dir = join(tmp, 'layout');
    const amd = await tinyImage();
    const arm = await tinyImage({ marker: 'arm' });
    const index = await indexOf([amd, arm], [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }]);
    await writeOciLayout(dir, { kind: 'index', index }, { tag: 'multi' });
    assertValidOciLayout(dir);
    const back = await readOciLayout(dir, 'multi');
    assert.equal(back.kind, 'index');
    if (back.kind !== 'index') return;
    assert.deepEqual(await back.index.rawManifest(), await index.rawManifest());
    const armDigest = (await arm.descriptor()).digest;
    const child = await back.index.image(armDigest);
    assert.deepEqual(await child.rawConfig(), await arm.rawConfig());
  });
});

test('a failed write leaves an existing layout as it was', async () => {
  await withTempDir('oci-test', async (tmp) => {
    const dir = join(tmp, 'layout');
    await writeOciLayout(dir, { kind: 'image', image: await tinyImage() }, { tag: 'good' });
    const indexBefore = await readFile(join(dir, 'index.json'));
    const blobsBefore = (await readdir(join(dir, 'blobs', 'sha256'))).sort();
    // An image whose second layer serves bytes that do not match its descriptor.
    const source = await tinyImage({ marker: 'new' });
    const layers = await source.layers();
    const diffIds = await Promise.all(layers.map((l) => l.diffId()));
    const liar = imageFromParts({
      config: await source.config(),
      rawConfig: await source.rawConfig(),
      layers: layers.map((l, i) => ({
        descriptor: l.descriptor,
        diffId: diffIds[i] ?? '',
        open: i === 1 ? async () => Readable.from([Buffer.from('not the layer')]) : () => l.open(),
        uncompressed: () => l.uncompressed(),
      })),
    });
    await assert.rejects(writeOciLayout(dir, { kind: 'image', image: liar }, { tag: 'bad' }), (e: unknown) => e instanceof FromscratchError && /size mismatch|digest mismatch/.test(e.message));
    assert.deepEqual(await readFile(join(dir, 'index.json')), indexBefore);
    assert.deepEqual((await readdir(join(dir, 'blobs', 'sha256'))).sort(), blobsBefore);
    // A failed write of a new layout leaves nothing behind.
    await assert.rejects(writeOciLayout(join(tmp, 'fresh'), { kind: 'image', image: liar }));
    assert.deepEqual((await readdir(tmp)).sort(), ['layout']);
  });
});

test('hostile layouts: wrong blob bytes, missing tag, ../ in a digest', async () => {
  await withTempDir('oci-test', async (tmp) => {
    const dir = join(tmp, 'layout');
    const image = await tinyImage();
    await writeOciLayout(dir, { kind: 'image', image }, { tag: 'v1' });
    await assert.rejects(readOciLayout(dir, 'nope'), (e: unknown) => e instanceof InputError && e.code === 'not-found' && /no image tagged "nope"/.test(e.message));

    // Swap a layer blob's content: opening the layer fails on the digest.
    const layer = (await image.manifest()).layers[0];
    assert.ok(layer);
    const layerPath = join(dir, 'blobs', 'sha256', layer.digest.slice(7));
    const good = await readFile(layerPath);
    const evil = Buffer.from(good);
    evil[evil.length - 1] = (evil[evil.length - 1] ?? 0) ^ 0xff;
    await writeFile(layerPath, evil);
    const layers = await asImage(await readOciLayout(dir, 'v1')).layers();
    await assert.rejects(drain(await (layers[0] ?? assert.fail()).open()), (e: unknown) => e instanceof FromscratchError && /digest mismatch/.test(e.message));
    await writeFile(layerPath, good);

    // A digest that tries to walk out of blobs/.
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const entry = index.manifests[0];
    assert.ok(entry);
    entry.digest = 'sha256:../../../../etc/passwd';
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await assert.rejects(readOciLayout(dir, 'v1'), (e: unknown) => e instanceof FromscratchError && /not a sha256 digest|invalid/.test(e.message));

    // A well-formed digest of another algorithm never becomes a file name either.
    entry.digest = `sha512:${'a'.repeat(128)}`;
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await assert.rejects(readOciLayout(dir, 'v1'), (e: unknown) => e instanceof FromscratchError && /is not a sha256 digest/.test(e.message));

    // Not JSON at all.
    await writeFile(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[');
    await assert.rejects(readOciLayout(dir, 'v1'), (e: unknown) => e instanceof FromscratchError && e.code === 'malformed');
  });
});

test('a config whose diff ids lie about the layers fails when a layer is decompressed', async () => {
  await withTempDir('oci-test', async (tmp) => {
    const source = await tinyImage();
    const layers = await source.layers();
    const lies = layers.map((_, i) => `sha256:${String(i).repeat(64)}`);
    const config = { ...(await source.config()), rootfs: { type: 'layers' as const, diff_ids: lies } };
    const liar = imageFromParts({
      config,
      rawConfig: canonicalJsonBytes(config),
      layers: layers.map((l, i) => ({ descriptor: l.descriptor, diffId: lies[i] ?? '', open: () => l.open(), uncompressed: () => l.uncompressed() })),
    });
    const dir = join(tmp, 'layout');
    await writeOciLayout(dir, { kind: 'image', image: liar });
    const back = await asImage(await readOciLayout(dir)).layers();
    // The stored blob itself is fine; the decompressed tar is not what the config says.
    await drain(await (back[0] ?? assert.fail()).open());
    await assert.rejects(drain(await (back[0] ?? assert.fail()).uncompressed()), (e: unknown) => e instanceof FromscratchError && /config says/.test(e.message));
  });
});

test('a directory that is not a layout is not written into', async () => {
  await withTempDir('oci-test', async (tmp) => {
    await writeFile(join(tmp, 'precious.txt'), 'keep');
    await assert.rejects(writeOciLayout(tmp, { kind: 'image', image: await tinyImage() }), (e: unknown) => e instanceof InputError && /not an OCI layout/.test(e.message));
    assert.deepEqual(await readdir(tmp), ['precious.txt']);
  });
});
