import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { RegistryError } from '../errors.js';
import { run } from '../testing/process.js';
import { syntheticImage, syntheticIndex } from '../testing/registry-fixtures.js';
import { startFaultProxy, startRegistry, type RegistryServer } from '../testing/registry-server.js';
import { RegistryClient, type TransferProgress } from './client.js';
import type { RequestEvent } from './http.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';

/**
 * Push and pull against a real Distribution registry on 127.0.0.1 over plain
 * HTTP, no auth; skopeo is the independent reader and writer.
 */

let registry: RegistryServer;
before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry?.stop();
});

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function recorder(): { events: RequestEvent[]; onRequest: (e: RequestEvent) => void } {
  const events: RequestEvent[] = [];
  return { events, onRequest: (e) => events.push(e) };
}

test('push a synthetic image, pull it back with equal digests; a second push uploads no blob', async () => {
  const layerBytes = randomBytes(20_000);
  const image = syntheticImage({ layerBytes });
  const expected = await image.descriptor();
  const ref = `${registry.host}/plain/hello:v1`;

  const first = recorder();
  const pushed = await pushImage(ref, image, { onRequest: first.onRequest });
  assert.equal(pushed.descriptor.digest, expected.digest);
  assert.equal(pushed.uploaded, 2); // config + layer
  assert.ok(first.events.some((e) => e.method === 'PUT' && e.url.includes('/blobs/uploads/')));

  const pulled = await pullImage(ref);
  assert.equal(pulled.kind, 'image');
  if (pulled.kind !== 'image') return;
  assert.equal((await pulled.image.descriptor()).digest, expected.digest);
  assert.deepEqual(Buffer.from(await pulled.image.rawManifest()), Buffer.from(await image.rawManifest()));
  assert.deepEqual(Buffer.from(await pulled.image.rawConfig()), Buffer.from(await image.rawConfig()));
  const [layer] = await pulled.image.layers();
  assert.ok(layer);
  const stored = await readAll(await layer.open());
  assert.equal(sha(stored), (await image.manifest()).layers[0]?.digest);
  assert.deepEqual(gunzipSync(stored), layerBytes);
  assert.deepEqual(await readAll(await layer.uncompressed()), layerBytes);
  assert.equal(await layer.diffId(), sha(layerBytes));

  // The second push goes through a counting proxy: what reaches the registry is HEADs and two small manifest PUTs.
  const proxy = await startFaultProxy(registry.port, Infinity, 0);
  const second = recorder();
  try {
    const again = await pushImage(`${proxy.host}/plain/hello:v1`, image, { onRequest: second.onRequest });
    assert.equal(again.uploaded, 0);
    assert.equal(again.existing, 2);
  } finally {
    await proxy.stop();
  }
  const blobWrites = second.events.filter((e) => e.url.includes('/blobs/') && e.method !== 'HEAD');
  assert.deepEqual(blobWrites, []);
  const sentBytes = second.events.filter((e) => e.url.includes('/blobs/')).reduce((n, e) => n + e.bodyBytes, 0);
  assert.equal(sentBytes, 0);
  const manifestBytes = (await image.rawManifest()).length;
  const requestBytes = second.events.length * 1024; // generous room for each request's line and headers
  assert.ok(proxy.upBytes <= 2 * manifestBytes + requestBytes, `${proxy.upBytes} bytes went up for ${second.events.length} requests`);
  assert.ok(proxy.upBytes < layerBytes.length / 4, 'far less than the layer');
});

test('tags, digests, HEAD and typed errors for what does not exist', async () => {
  const image = syntheticImage({ layerBytes: randomBytes(1000), cmd: ['/tags'] });
  const digest = (await image.descriptor()).digest;
  await pushImage(`${registry.host}/plain/tags:one`, image);
  await pushImage(`${registry.host}/plain/tags:two`, image);
  const client = new RegistryClient(registry.host);
  try {
    await client.ping();
    assert.deepEqual((await client.listTags('plain/tags')).sort(), ['one', 'two']);
    const byDigest = await client.getManifest('plain/tags', digest);
    assert.equal(byDigest.digest, digest);
    assert.equal(byDigest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    const head = await client.headManifest('plain/tags', 'two');
    assert.equal(head?.digest, digest);
    assert.equal(await client.headManifest('plain/tags', 'three'), undefined);

    await assert.rejects(client.getManifest('plain/tags', 'nope'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'registry');
      assert.equal(e.registryCode, 'MANIFEST_UNKNOWN');
      assert.equal(e.status, 404);
      assert.match(e.message, /^127\.0\.0\.1:\d+: /);
      return true;
    });
    await assert.rejects(pullImage(`${registry.host}/plain/tags:nope`), (e: unknown) => e instanceof RegistryError && e.registryCode === 'MANIFEST_UNKNOWN');
    await assert.rejects(client.listTags('plain/never-pushed'), (e: unknown) => e instanceof RegistryError && e.registryCode === 'NAME_UNKNOWN');
    const missing = { digest: sha(Buffer.from('not there')), size: 9 };
    assert.equal(await client.blobExists('plain/tags', missing.digest), undefined);
    await assert.rejects(client.openBlob('plain/tags', missing), (e: unknown) => e instanceof RegistryError && e.registryCode === 'BLOB_UNKNOWN');
  } finally {
    client.close();
  }
});

test('an index with two platforms: children first, pull resolves a platform, blobs shared across repos are mounted', async () => {
  const amd = syntheticImage({ layerBytes: randomBytes(3000), arch: 'amd64' });
  const arm = syntheticImage({ layerBytes: randomBytes(3000), arch: 'arm64' });
  const index = syntheticIndex([
    { image: amd, descriptor: await amd.descriptor(), arch: 'amd64' },
    { image: arm, descriptor: await arm.descriptor(), arch: 'arm64' },
  ]);
  const pushed = await pushImage(`${registry.host}/plain/multi:latest`, index);
  assert.equal(pushed.descriptor.digest, (await index.descriptor()).digest);

  const whole = await pullImage(`${registry.host}/plain/multi`);
  assert.equal(whole.kind, 'index');
  const armPulled = await pullImage(`${registry.host}/plain/multi:latest`, { platform: 'linux/arm64' });
  assert.equal(armPulled.kind, 'image');
  if (armPulled.kind !== 'image') return;
  assert.equal((await armPulled.image.descriptor()).digest, (await arm.descriptor()).digest);
  await assert.rejects(pullImage(`${registry.host}/plain/multi`, { platform: 'linux/s390x' }), (e: unknown) => e instanceof RegistryError && e.registryCode === 'PLATFORM_NOT_FOUND');

  // Copying a pulled image to another repository of the same registry mounts its layer instead of re-sending it.
  const events = recorder();
  const copied = await pushImage(`${registry.host}/plain/copy:arm`, armPulled.image, { onRequest: events.onRequest });
  assert.equal(copied.descriptor.digest, (await arm.descriptor()).digest);
  assert.equal(copied.mounted, 1);
  assert.ok(events.events.some((e) => e.method === 'POST' && e.url.includes('mount=')));
  assert.ok(!events.events.some((e) => e.method === 'PATCH'));
});

test('skopeo sees what we push, and we pull what skopeo copies in, with the same digests', async () => {
  const image = syntheticImage({ layerBytes: randomBytes(5000), cmd: ['/skopeo'] });
  const expected = (await image.descriptor()).digest;
  await pushImage(`${registry.host}/plain/skopeo:ours`, image);
  const inspect = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/plain/skopeo:ours`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal(sha(Buffer.from(inspect.stdout, 'utf8')), expected);
  const info = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/plain/skopeo:ours`]);
  assert.equal(info.code, 0, info.stderr);
  assert.equal((JSON.parse(info.stdout) as { Digest: string }).Digest, expected);

  // skopeo writes an OCI layout of the image; that layout's index names the digest skopeo copies in.
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-skopeo-'));
  try {
    const toLayout = await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${registry.host}/plain/skopeo:ours`, `oci:${dir}:t`]);
    assert.equal(toLayout.code, 0, toLayout.stderr);
    const layoutIndex = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const layoutDigest = layoutIndex.manifests[0]?.digest;
    assert.ok(layoutDigest);
    const toRegistry = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${dir}:t`, `docker://${registry.host}/plain/from-skopeo:t`]);
    assert.equal(toRegistry.code, 0, toRegistry.stderr);
    const pulled = await pullImage(`${registry.host}/plain/from-skopeo:t`);
    assert.equal(pulled.kind, 'image');
    if (pulled.kind !== 'image') return;
    assert.equal((await pulled.image.descriptor()).digest, layoutDigest);
    const manifest = await pulled.image.manifest();
    for (const layer of await pulled.image.layers()) {
      const bytes = await readAll(await layer.open());
      const onDisk = await readFile(join(dir, 'blobs', 'sha256', layer.descriptor.digest.slice('sha256:'.length)));
      assert.deepEqual(bytes, onDisk);
    }
    assert.equal(manifest.layers.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Docker media types: a v2 schema 2 manifest list and its manifests, written by skopeo, pull with their digests', async () => {
  const amd = syntheticImage({ layerBytes: randomBytes(4000), arch: 'amd64', cmd: ['/v2s2'] });
  const arm = syntheticImage({ layerBytes: randomBytes(4000), arch: 'arm64', cmd: ['/v2s2'] });
  const index = syntheticIndex([
    { image: amd, descriptor: await amd.descriptor(), arch: 'amd64' },
    { image: arm, descriptor: await arm.descriptor(), arch: 'arm64' },
  ]);
  await pushImage(`${registry.host}/plain/oci-multi:1`, index);
  // skopeo converts the OCI index and its images to Docker's formats on the way.
  const converted = await run('skopeo', ['copy', '--all', '--format', 'v2s2', '--src-tls-verify=false', '--dest-tls-verify=false',
    `docker://${registry.host}/plain/oci-multi:1`, `docker://${registry.host}/plain/docker-multi:1`]);
  assert.equal(converted.code, 0, converted.stderr);
  const raw = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/plain/docker-multi:1`]);
  assert.equal(raw.code, 0, raw.stderr);
  const list = JSON.parse(raw.stdout) as { mediaType: string; manifests: { digest: string; mediaType: string; platform: { architecture: string } }[] };
  assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');

  const whole = await pullImage(`${registry.host}/plain/docker-multi:1`);
  assert.equal(whole.kind, 'index');
  if (whole.kind !== 'index') return;
  const descriptor = await whole.index.descriptor();
  assert.equal(descriptor.mediaType, list.mediaType);
  assert.equal(descriptor.digest, sha(Buffer.from(raw.stdout, 'utf8')));

  const armPulled = await pullImage(`${registry.host}/plain/docker-multi:1`, { platform: 'linux/arm64' });
  assert.equal(armPulled.kind, 'image');
  if (armPulled.kind !== 'image') return;
  const armEntry = list.manifests.find((m) => m.platform.architecture === 'arm64');
  assert.equal((await armPulled.image.descriptor()).digest, armEntry?.digest);
  assert.equal((await armPulled.image.descriptor()).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const [layer] = await armPulled.image.layers();
  assert.ok(layer);
  assert.equal(layer.descriptor.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  assert.equal(await layer.diffId(), (await arm.config()).rootfs.diff_ids[0]);
  assert.equal(sha(await readAll(await layer.uncompressed())), (await arm.config()).rootfs.diff_ids[0]);
});

/** Records what a progress display would be told: per label, the bytes counted and the finishing note. */
function progressRecorder(): { progress: TransferProgress; tasks: Map<string, { total: number | undefined; done: number; finished: string | null }> } {
  const tasks = new Map<string, { total: number | undefined; done: number; finished: string | null }>();
  const progress: TransferProgress = {
    task(label, total) {
      const state = { total, done: 0, finished: null as string | null };
      tasks.set(label, state);
      return {
        advance: (bytes) => {
          state.done += bytes;
        },
        finish: (note) => {
          state.finished = note ?? 'done';
        },
      };
    },
  };
  return { progress, tasks };
}

test('progress: each blob pushed counts its bytes, then "exists" on a second push and "mounted" across repositories; pulls count too', async () => {
  const image = syntheticImage({ layerBytes: randomBytes(300_000) });
  const manifest = await image.manifest();
  const layer = manifest.layers[0];
  assert.ok(layer);
  const label = (verb: string, digest: string): string => `${verb} ${digest.slice(0, 'sha256:'.length + 12)}`;

  const first = progressRecorder();
  await pushImage(`${registry.host}/plain/progress:1`, image, { progress: first.progress, chunkSize: 64 * 1024 });
  assert.deepEqual(first.tasks.get(label('push', layer.digest)), { total: layer.size, done: layer.size, finished: 'done' });
  assert.deepEqual(first.tasks.get(label('push', manifest.config.digest)), { total: manifest.config.size, done: manifest.config.size, finished: 'done' });

  const second = progressRecorder();
  await pushImage(`${registry.host}/plain/progress:1`, image, { progress: second.progress });
  assert.deepEqual([...second.tasks.values()].map((t) => [t.done, t.finished]), [[0, 'exists'], [0, 'exists']]);

  const pull = progressRecorder();
  const pulled = await pullImage(`${registry.host}/plain/progress:1`, { progress: pull.progress });
  assert.equal(pulled.kind, 'image');
  if (pulled.kind !== 'image') return;
  const [pulledLayer] = await pulled.image.layers();
  assert.ok(pulledLayer);
  assert.equal(sha(await readAll(await pulledLayer.open())), layer.digest);
  assert.deepEqual(pull.tasks.get(label('pull', layer.digest)), { total: layer.size, done: layer.size, finished: 'done' });

  const mount = progressRecorder();
  await pushImage(`${registry.host}/plain/progress-copy:1`, pulled.image, { progress: mount.progress });
  assert.equal(mount.tasks.get(label('push', layer.digest))?.finished, 'mounted from plain/progress');
  assert.equal(mount.tasks.get(label('push', layer.digest))?.done, 0);
});
