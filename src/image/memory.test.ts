import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { tinyImage, tarBytes } from '../testing/image-fixtures.js';
import { readAllCapped } from './blob-streams.js';
import { canonicalJson } from './canonical-json.js';
import { layerFromTar, memoryImage } from './memory.js';
import { MEDIA_TYPES } from './types.js';
import { validateOciDocument } from './validate.js';

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

test('canonical JSON sorts keys at every level and has no whitespace', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
});

test('descriptors are the digests and sizes of the bytes served', async () => {
  const image = await tinyImage();
  const raw = await image.rawManifest();
  const descriptor = await image.descriptor();
  assert.equal(descriptor.digest, sha256(raw));
  assert.equal(descriptor.size, raw.length);
  const manifest = await image.manifest();
  assert.deepEqual(JSON.parse(new TextDecoder().decode(raw)), manifest);
  const rawConfig = await image.rawConfig();
  assert.equal(manifest.config.digest, sha256(rawConfig));
  assert.equal(manifest.config.mediaType, MEDIA_TYPES.ociConfig);
  const config = await image.config();
  const layers = await image.layers();
  assert.equal(layers.length, 2);
  for (const [i, layer] of layers.entries()) {
    const stored = await readAllCapped(await layer.open(), 1 << 20, 'layer');
    assert.equal(layer.descriptor.digest, sha256(stored));
    assert.equal(layer.descriptor.size, stored.length);
    const tar = new Uint8Array(gunzipSync(stored));
    assert.equal(await layer.diffId(), sha256(tar));
    assert.equal(config.rootfs.diff_ids[i], sha256(tar));
    assert.deepEqual(await readAllCapped(await layer.uncompressed(), 1 << 20, 'tar'), tar);
  }
});

test('the same inputs give the same digests; a changed file changes them', async () => {
  const a = await (await tinyImage()).descriptor();
  const b = await (await tinyImage()).descriptor();
  const c = await (await tinyImage({ marker: 'x' })).descriptor();
  assert.equal(a.digest, b.digest);
  assert.notEqual(a.digest, c.digest);
});

test('manifest and config conform to the OCI schemas', async () => {
  for (const compression of ['gzip', 'none'] as const) {
    const image = await tinyImage({ compression });
    assert.deepEqual(validateOciDocument('manifest', await image.manifest()), []);
    assert.deepEqual(validateOciDocument('config', await image.config()), []);
  }
  // The validator is live: a broken manifest is caught.
  assert.notDeepEqual(validateOciDocument('manifest', { schemaVersion: 2, config: {}, layers: [] }), []);
});

test('uncompressed layers are stored as is', async () => {
  const tar = await tarBytes([{ header: { path: 'a', type: 'file', mode: 0o644, size: 1 }, body: new Uint8Array([65]) }]);
  const layer = layerFromTar(tar, 'none');
  assert.equal(layer.descriptor.mediaType, MEDIA_TYPES.ociLayer);
  assert.equal(layer.descriptor.digest, sha256(tar));
  assert.equal(layer.diffId, sha256(tar));
  const image = memoryImage({ config: { architecture: 'arm64', os: 'linux' }, layers: [layer] });
  assert.deepEqual((await image.config()).rootfs, { type: 'layers', diff_ids: [sha256(tar)] });
});
