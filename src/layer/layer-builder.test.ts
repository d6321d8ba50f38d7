import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FormatError } from '../errors.js';
import { MEDIA_TYPES } from '../image/types.js';
import { buildLayer } from './layer-builder.js';
import type { TarInput } from './tar-writer.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-layer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sha256sumOf = (bytes: Uint8Array): string => `sha256:${execFileSync('sha256sum', { input: bytes, encoding: 'utf8' }).split(' ')[0]}`;

const payload = randomBytes(400_000);

function entries(): TarInput[] {
  return [
    { header: { path: 'app/', type: 'dir', mode: 0o755 } },
    { header: { path: 'app/server', type: 'file', mode: 0o755, size: payload.length }, body: async () => Readable.from([payload.subarray(0, 100_000), payload.subarray(100_000)]) },
    { header: { path: 'etc/ssl/certs/ca-certificates.crt', type: 'file', mode: 0o644, size: 11 }, body: Buffer.from('certificate') },
  ];
}

test('a gzip layer: blob digest and size match the file, diff_id matches the decompressed tar, tar lists it', async (t) => {
  const dir = tempDir(t);
  const layer = await buildLayer(entries(), { directory: dir, compression: 'gzip', concurrency: 2 });
  const blob = readFileSync(layer.path);
  assert.equal(layer.mediaType, MEDIA_TYPES.ociLayerGzip);
  assert.equal(layer.size, statSync(layer.path).size);
  assert.equal(layer.digest, sha256sumOf(blob));
  const tar = execFileSync('gzip', ['-dc', layer.path], { maxBuffer: 16 * 1024 * 1024 });
  assert.equal(layer.diffId, sha256sumOf(tar));
  assert.equal(layer.uncompressedSize, tar.length);
  assert.equal(execFileSync('tar', ['-tzf', layer.path], { encoding: 'utf8' }), 'app/\napp/server\netc/ssl/certs/ca-certificates.crt\n');
  // Only the finished blob remains; the temp file was renamed.
  assert.deepEqual(readdirSync(dir), [layer.digest.slice('sha256:'.length)]);

  // Reproducible: the same entries give the same digests whatever the concurrency.
  const again = await buildLayer(entries(), { directory: dir, compression: 'gzip', concurrency: 1 });
  assert.equal(again.digest, layer.digest);
  assert.equal(again.diffId, layer.diffId);
});

test('an uncompressed layer has digest equal to diff_id', async (t) => {
  const dir = tempDir(t);
  const layer = await buildLayer(entries(), { directory: dir, compression: 'none' });
  const blob = readFileSync(layer.path);
  assert.equal(layer.mediaType, MEDIA_TYPES.ociLayer);
  assert.equal(layer.digest, sha256sumOf(blob));
  assert.equal(layer.diffId, layer.digest);
  assert.equal(layer.size, blob.length);
});

test('a failing entry rejects with its FormatError and leaves no file behind', async (t) => {
  const dir = tempDir(t);
  const bad: TarInput[] = [...entries(), { header: { path: '../escape', type: 'file', mode: 0o644, size: 0 } }];
  await assert.rejects(buildLayer(bad, { directory: dir, compression: 'gzip' }), FormatError);
  await assert.rejects(buildLayer(bad, { directory: dir, compression: 'none' }), FormatError);
  assert.deepEqual(readdirSync(dir), []);
});
