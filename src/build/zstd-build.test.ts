import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { readAllCapped } from '../image/blob-streams.js';
import { MEDIA_TYPES } from '../image/types.js';
import { zstdCompress, zstdDecompress } from '../layer/index.js';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { buildImage } from './build.js';
import { BIN } from '../testing/cli.js';

/**
 * `--compression zstd`: layers compressed by the zstd command, read back by
 * independent tools. umoci 0.4.7 (Debian bookworm) refuses tar+zstd layers,
 * so the run goes through skopeo, which decompresses our zstd layers while
 * converting them to gzip; `zstd -d` and tar check the layers themselves.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-zstd-test-'));
after(() => rm(work, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

async function tool(file: string, args: readonly string[]): Promise<string> {
  const result = await run(file, [...args], { env });
  assert.equal(result.code, 0, `${file} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('zstdCompress and zstdDecompress round-trip through the zstd command; corrupt input is a one-line FormatError', async () => {
  const data = Buffer.from('fromscratch '.repeat(100_000));
  const compressed = await readAllCapped(zstdCompress(Readable.from([data])), 1 << 24, 'zstd');
  assert.ok(compressed.length < data.length / 10);
  const back = await readAllCapped(zstdDecompress(Readable.from([Buffer.from(compressed)])), 1 << 24, 'unzstd');
  assert.deepEqual(Buffer.from(back), data);
  await assert.rejects(readAllCapped(zstdDecompress(Readable.from([Buffer.from('not zstd at all')]), 'bad.zst'), 1 << 20, 'bad'), (e: Error) => {
    assert.match(e.message, /^bad\.zst: zstd failed/);
    assert.equal(e.message.includes('\n'), false);
    return true;
  });
});

test('--compression zstd: tar+zstd layers whose diff_ids are the sha256 of what zstd -d gives; skopeo inspects and copies; the image runs', async () => {
  const layout = join(work, 'zstd');
  const result = await buildImage([fixture('go-loadlocation')], { output: `oci:${layout}:t`, compression: 'zstd' });
  const manifest = JSON.parse(await tool('skopeo', ['inspect', '--raw', `oci:${layout}:t`])) as { layers: { digest: string; mediaType: string }[] };
  assert.deepEqual(manifest.layers.map((l) => l.mediaType), [MEDIA_TYPES.ociLayerZstd, MEDIA_TYPES.ociLayerZstd]);
  const config = JSON.parse(await tool('skopeo', ['inspect', '--config', `oci:${layout}:t`])) as { rootfs: { diff_ids: string[] } };
  for (const [i, layer] of manifest.layers.entries()) {
    const blob = join(layout, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = await readFile(blob);
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, layer.digest);
    const decompressed = await run('bash', ['-c', `set -o pipefail; zstd -q -d -c '${blob}' | sha256sum`], { env });
    assert.equal(decompressed.code, 0, decompressed.stderr);
    assert.equal(`sha256:${decompressed.stdout.slice(0, 64)}`, config.rootfs.diff_ids[i]);
  }
  const appBlob = join(layout, 'blobs', 'sha256', (manifest.layers[1]?.digest ?? '').slice(7));
  const listing = await run('bash', ['-c', `set -o pipefail; zstd -q -d -c '${appBlob}' | tar -t`], { env });
  assert.deepEqual(listing.stdout.trim().split('\n'), ['app/', 'app/go-loadlocation']);
  assert.equal(result.platforms[0]?.assembled.layers[0]?.layer.mediaType, MEDIA_TYPES.ociLayerZstd);

  // skopeo decompresses the zstd layers (and would fail on a corrupt one) to store them as gzip, which umoci unpacks.
  const gzipped = join(work, 'as-gzip');
  await tool('skopeo', ['copy', '-q', '--dest-compress', '--dest-compress-format', 'gzip', `oci:${layout}:t`, `oci:${gzipped}:t`]);
  const copied = JSON.parse(await tool('skopeo', ['inspect', '--config', `oci:${gzipped}:t`])) as { rootfs: { diff_ids: string[] } };
  assert.deepEqual(copied.rootfs.diff_ids, config.rootfs.diff_ids);
  const bundle = join(work, 'bundle');
  await unpackBundle(gzipped, 't', bundle);
  const ran = await runBundle(bundle);
  assert.equal(ran.code, 0, ran.stderr);
  const onHost = await run(fixture('go-loadlocation'), [], { env });
  assert.equal(ran.stdout, onHost.stdout);
});

test('--compression zstd without the zstd command: one line saying so, exit 2, nothing written', async () => {
  const out = join(work, 'no-zstd.tar');
  const result = await run(process.execPath, [BIN, 'build', fixture('go-static'), '--compression', 'zstd', '-o', `oci-archive:${out}`], { env: { PATH: join(work, 'empty-path'), LC_ALL: 'C' } });
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /zstd command is not installed/);
  await assert.rejects(readFile(out), { code: 'ENOENT' });
});
