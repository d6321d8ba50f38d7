import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { FormatError, RegistryError } from '../errors.js';
import { syntheticImage } from '../testing/registry-fixtures.js';
import { asImage } from '../testing/image-fixtures.js';
import { skopeoDigest, startFaultProxy, startRegistry } from '../testing/registry-server.js';
import { RegistryClient } from './client.js';
import type { RequestEvent } from './http.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';

/**
 * Failure handling: a real registry behind a proxy that cuts an upload in the
 * middle, and small fake servers on 127.0.0.1 for what a real registry will
 * not do on demand (503 with Retry-After, redirects to another host, lies
 * about digests).
 */

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function fakeServer(handler: RequestListener): Promise<{ host: string; port: number }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { host: `127.0.0.1:${port}`, port };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('a connection cut in the middle of a chunked upload: the push still completes with identical digests', async (t) => {
  const registry = await startRegistry();
  cleanups.push(() => registry.stop());
  // Cut once, 150 KiB into the client's traffic: inside the PATCH stream of a 600 KiB layer sent in 64 KiB chunks.
  const proxy = await startFaultProxy(registry.port, 150 * 1024, 1);
  cleanups.push(() => proxy.stop());
  const layerBytes = randomBytes(600 * 1024); // random: gzip cannot shrink it below the chunk size
  const image = syntheticImage({ layerBytes });
  const expected = await image.descriptor();
  const events: RequestEvent[] = [];
  const pushed = await pushImage(`${proxy.host}/faults/cut:1`, image, {
    chunkSize: 64 * 1024,
    retryBaseMs: 20,
    onRequest: (e) => events.push(e),
  });
  assert.equal(proxy.drops, 1, 'the proxy did cut a connection');
  assert.ok(events.some((e) => e.method === 'PATCH' && e.status === undefined), 'a PATCH lost its connection');
  assert.equal(pushed.descriptor.digest, expected.digest);
  const lost = events.filter((e) => e.method === 'PATCH' && e.status === undefined).length;
  t.diagnostic(`upload cut once: ${lost} PATCH lost, ${events.filter((e) => e.method === 'POST').length} upload(s) started; final ${pushed.descriptor.digest}`);

  // Read back directly from the registry, not through the proxy; skopeo agrees on the digest.
  assert.equal(await skopeoDigest(`docker://${registry.host}/faults/cut:1`), expected.digest);
  const pulled = await pullImage(`${registry.host}/faults/cut:1`);
  assert.equal(pulled.kind, 'image');
  if (pulled.kind !== 'image') return;
  assert.equal((await pulled.image.descriptor()).digest, expected.digest);
  const [layer] = await pulled.image.layers();
  assert.ok(layer);
  assert.equal(sha(await readAll(await layer.open())), sha(image.layerGzip));
});

/** A 600 KiB random layer pushed straight to `registry` (not through a proxy), for download faults. */
async function pushedRandomImage(host: string, repository: string): Promise<ReturnType<typeof syntheticImage>> {
  const image = syntheticImage({ layerBytes: randomBytes(600 * 1024) });
  await pushImage(`${host}/${repository}`, image);
  return image;
}

async function pullLayerThrough(host: string, repository: string, options: { timeoutMs?: number; maxAttempts?: number; onRequest: (e: RequestEvent) => void }): Promise<Buffer> {
  const pulled = await pullImage(`${host}/${repository}`, { retryBaseMs: 10, ...options });
  const [layer] = await asImage(pulled).layers();
  assert.ok(layer);
  return readAll(await layer.open());
}

test('a download cut twice after the answer began resumes with Range requests from the bytes received; the digest is verified', async (t) => {
  const registry = await startRegistry();
  cleanups.push(() => registry.stop());
  const image = await pushedRandomImage(registry.host, 'faults/down:1');
  // Cut the registry's answers 200 KiB in (inside the layer's body), then 200 KiB later again.
  const proxy = await startFaultProxy(registry.port, 200 * 1024, 2, { direction: 'down' });
  cleanups.push(() => proxy.stop());
  const events: RequestEvent[] = [];
  const bytes = await pullLayerThrough(proxy.host, 'faults/down:1', { onRequest: (e) => events.push(e) });
  assert.equal(proxy.drops, 2);
  assert.equal(sha(bytes), sha(image.layerGzip));
  const layerDigest = (await image.manifest()).layers[0]?.digest ?? '';
  const resumes = events.filter((e) => e.method === 'GET' && e.url.includes(layerDigest) && e.range !== undefined);
  assert.equal(resumes.length, 2, 'one Range request per cut, no restart from zero');
  const offsets = resumes.map((e) => Number(/^bytes=(\d+)-$/.exec(e.range ?? '')?.[1]));
  assert.ok(offsets.every((o) => o > 0 && o < bytes.length) && (offsets[1] ?? 0) > (offsets[0] ?? 0), `offsets ${offsets.join(', ')}`);
  t.diagnostic(`download cut ${proxy.drops}x: resumed at bytes ${offsets.join(', ')} of ${bytes.length}; final ${sha(bytes)}`);
});

test('a download that stalls mid-body times out and resumes; one cut every connection ends in UNREACHABLE after bounded attempts', async (t) => {
  const registry = await startRegistry();
  cleanups.push(() => registry.stop());
  const image = await pushedRandomImage(registry.host, 'faults/stall:1');
  const stall = await startFaultProxy(registry.port, 250 * 1024, 1, { direction: 'down', mode: 'stall' });
  cleanups.push(() => stall.stop());
  const events: RequestEvent[] = [];
  const started = Date.now();
  const bytes = await pullLayerThrough(stall.host, 'faults/stall:1', { timeoutMs: 400, onRequest: (e) => events.push(e) });
  assert.equal(stall.drops, 1);
  assert.equal(sha(bytes), sha(image.layerGzip));
  const resumed = events.filter((e) => e.range !== undefined).map((e) => e.range);
  assert.equal(resumed.length, 1);
  t.diagnostic(`download stalled once: resumed with ${resumed.join(', ')} after ${Date.now() - started} ms; final ${sha(bytes)}`);

  // 100 KiB per connection, 3 connections allowed: the 600 KiB layer cannot arrive.
  const cutter = await startFaultProxy(registry.port, 100 * 1024, 1000, { direction: 'down' });
  cleanups.push(() => cutter.stop());
  const seen: RequestEvent[] = [];
  await assert.rejects(pullLayerThrough(cutter.host, 'faults/stall:1', { maxAttempts: 3, onRequest: (e) => seen.push(e) }), (e: unknown) => {
    assert.ok(e instanceof RegistryError, String(e));
    assert.equal(e.registryCode, 'UNREACHABLE');
    assert.match(e.message, /download cut 3 times, last at byte \d+ of \d+/);
    t.diagnostic(`always cut: ${e.message}`);
    return true;
  });
  assert.equal(seen.filter((e) => e.range !== undefined).length, 2);
});

test('an upload that stalls mid-PATCH times out and resumes; a push that keeps failing leaves no tag behind', async (t) => {
  const registry = await startRegistry();
  cleanups.push(() => registry.stop());
  const image = syntheticImage({ layerBytes: randomBytes(600 * 1024) });
  const expected = (await image.descriptor()).digest;
  const stall = await startFaultProxy(registry.port, 150 * 1024, 1, { mode: 'stall' });
  cleanups.push(() => stall.stop());
  const events: RequestEvent[] = [];
  const pushed = await pushImage(`${stall.host}/faults/upstall:1`, image, { chunkSize: 64 * 1024, retryBaseMs: 10, timeoutMs: 400, onRequest: (e) => events.push(e) });
  assert.equal(stall.drops, 1);
  assert.equal(pushed.descriptor.digest, expected);
  const posts = events.filter((e) => e.method === 'POST').length;
  t.diagnostic(`upload stalled once: ${events.filter((e) => e.status === undefined).length} exchange(s) lost, ${posts} upload(s) started; final ${pushed.descriptor.digest}`);
  const check = new RegistryClient(registry.host);
  try {
    assert.equal((await check.headManifest('faults/upstall', '1'))?.digest, expected);
    assert.equal(await skopeoDigest(`docker://${registry.host}/faults/upstall:1`), expected);

    // Every 40 KiB of requests a cut: the layer never gets through, and the tag is never written.
    const cutter = await startFaultProxy(registry.port, 40 * 1024, 10_000);
    cleanups.push(() => cutter.stop());
    const other = syntheticImage({ layerBytes: randomBytes(600 * 1024) });
    await assert.rejects(pushImage(`${cutter.host}/faults/partial:1`, other, { chunkSize: 64 * 1024, retryBaseMs: 5, maxAttempts: 2 }), (e: unknown) => {
      assert.ok(e instanceof RegistryError, String(e));
      assert.equal(e.registryCode, 'UNREACHABLE');
      t.diagnostic(`always cut upload: ${e.message}`);
      return true;
    });
    assert.equal(await check.headManifest('faults/partial', '1'), undefined);
    assert.equal(await check.headManifest('faults/partial', (await other.descriptor()).digest), undefined);
  } finally {
    check.close();
  }
});

test('429 and 503 are retried, honouring Retry-After; persistent failure ends in a typed error after bounded attempts', async () => {
  let calls = 0;
  const times: number[] = [];
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
  const flaky = await fakeServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    if (req.url?.startsWith('/v2/flaky/')) {
      calls++;
      times.push(Date.now());
      if (calls === 1) return void res.writeHead(503).end();
      if (calls === 2) return void res.writeHead(429, { 'retry-after': '1' }).end();
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', 'docker-content-digest': sha(manifest) }).end(manifest);
    }
    res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'down' }] }));
  });
  const client = new RegistryClient(flaky.host, { retryBaseMs: 10, retryMaxMs: 2000, maxAttempts: 4 });
  try {
    const got = await client.getManifest('flaky/x', 'latest');
    assert.equal(got.digest, sha(manifest));
    assert.equal(calls, 3);
    const [, second, third] = times;
    assert.ok(second !== undefined && third !== undefined && third - second >= 900, 'waited for Retry-After: 1');

    const started = Date.now();
    await assert.rejects(client.getManifest('down/x', 'latest'), (e: unknown) => e instanceof RegistryError && e.registryCode === 'UNAVAILABLE' && e.status === 503);
    assert.ok(Date.now() - started < 5000);
  } finally {
    client.close();
  }

  // Nobody listening: connection errors are retried, then UNREACHABLE.
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const unreachable = new RegistryClient(`127.0.0.1:${deadPort}`, { retryBaseMs: 5, maxAttempts: 3 });
  await assert.rejects(unreachable.ping(), (e: unknown) => e instanceof RegistryError && e.registryCode === 'UNREACHABLE' && /3 attempts/.test(e.message));
  unreachable.close();
});

test('blob downloads follow a redirect to another host without the Authorization header, and are verified', async () => {
  const good = randomBytes(3000);
  const bad = Buffer.from(good);
  bad[100] = (bad[100] ?? 0) ^ 0xff;
  const storageHeaders: IncomingHttpHeaders[] = [];
  const storage = await fakeServer((req, res) => {
    storageHeaders.push(req.headers);
    res.writeHead(200).end(req.url === '/good' ? good : bad);
  });
  const registry = await fakeServer((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
    }
    if (req.url === '/v2/') return void res.writeHead(200).end();
    // "localhost" is another host than "127.0.0.1" as far as credentials go.
    const target = req.url?.includes('good') ? 'good' : 'bad';
    res.writeHead(307, { location: `http://localhost:${storage.port}/${target}` }).end();
  });
  const client = new RegistryClient(registry.host, { credentials: { username: 'u', password: 'p' } });
  try {
    const blob = await readAll(await client.openBlob('r/good', { digest: sha(good), size: good.length }));
    assert.deepEqual(blob, good);
    assert.equal(storageHeaders.length, 1);
    assert.equal(storageHeaders[0]?.authorization, undefined);

    const tampered = await client.openBlob('r/bad', { digest: sha(good), size: good.length });
    await assert.rejects(readAll(tampered), (e: unknown) => e instanceof FormatError && /digest mismatch/.test(e.message));
    assert.equal(storageHeaders[1]?.authorization, undefined);
  } finally {
    client.close();
  }
});

test('a manifest whose bytes do not match the announced or requested digest is refused', async () => {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
  const liar = await fakeServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end();
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', 'docker-content-digest': sha(Buffer.from('other')) }).end(manifest);
  });
  const client = new RegistryClient(liar.host);
  try {
    await assert.rejects(client.getManifest('r', 'tag'), (e: unknown) => e instanceof RegistryError && e.registryCode === 'DIGEST_MISMATCH');
    await assert.rejects(client.getManifest('r', sha(Buffer.from('asked'))), (e: unknown) => e instanceof RegistryError && e.registryCode === 'DIGEST_MISMATCH');
  } finally {
    client.close();
  }
});

test('a PATCH cut after the registry kept part of it resumes from the Range the registry reports, without starting over', async () => {
  const blob = randomBytes(50_000);
  const stored: Buffer[] = [];
  const ranges: string[] = [];
  let posts = 0;
  let patches = 0;
  const storedBytes = (): number => stored.reduce((n, b) => n + b.length, 0);
  const fake = await fakeServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') return void res.writeHead(200).end();
    if (req.method === 'POST') {
      posts++;
      return void res.writeHead(202, { location: '/upload/1' }).end();
    }
    if (req.method === 'GET' && url.pathname === '/upload/1') {
      return void res.writeHead(204, { range: `0-${storedBytes() - 1}`, location: '/upload/1?resumed' }).end();
    }
    if (req.method === 'PATCH') {
      patches++;
      ranges.push(String(req.headers['content-range']));
      const start = Number(String(req.headers['content-range']).split('-')[0]);
      if (start !== storedBytes()) return void res.writeHead(416).end();
      const cutAfter = patches === 2 ? 7000 : Infinity; // the second PATCH dies after the registry kept 7000 bytes
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        if (seen >= cutAfter) return;
        const keep = chunk.subarray(0, Math.max(0, Math.min(chunk.length, cutAfter - seen)));
        stored.push(Buffer.from(keep));
        seen += chunk.length;
        if (seen >= cutAfter) req.socket.destroy();
      });
      req.on('end', () => res.writeHead(202, { location: '/upload/1' }).end());
      return;
    }
    if (req.method === 'PUT' && url.pathname === '/upload/1') {
      const ok = url.searchParams.get('digest') === sha(Buffer.concat(stored));
      return void res.writeHead(ok ? 201 : 400).end();
    }
    res.writeHead(404).end();
  });
  const client = new RegistryClient(fake.host, { chunkSize: 16 * 1024, retryBaseMs: 5 });
  try {
    const descriptor = { mediaType: 'application/octet-stream', digest: sha(blob), size: blob.length };
    const result = await client.uploadBlob('r', descriptor, async () => Readable.from([blob]));
    assert.equal(result, 'uploaded');
    assert.equal(posts, 1, 'resumed, not restarted');
    assert.deepEqual(Buffer.concat(stored), blob);
    assert.ok(ranges.includes(`${16 * 1024 + 7000}-${2 * 16 * 1024 - 1}`), `ranges sent: ${ranges.join(' ')}`);
  } finally {
    client.close();
  }
});

test('hostile answers: oversized or non-JSON manifests and overlong blobs end in typed errors', async () => {
  const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
  const notJson = Buffer.from('{"schemaVersion": 2, "layers": [');
  const blob = randomBytes(1000);
  const hostile = await fakeServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end();
    if (req.url?.endsWith('/manifests/huge')) return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(huge);
    if (req.url?.endsWith('/manifests/broken')) return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(notJson);
    if (req.url?.includes('/blobs/')) return void res.writeHead(200).end(Buffer.concat([blob, blob]));
    res.writeHead(404).end();
  });
  const client = new RegistryClient(hostile.host);
  try {
    await assert.rejects(client.getManifest('r', 'huge'), (e: unknown) => e instanceof RegistryError && e.registryCode === 'LIMIT');
    await assert.rejects(pullImage(`${hostile.host}/r:broken`, { client }), (e: unknown) => e instanceof FormatError && /not valid JSON/.test(e.message));
    const stream = await client.openBlob('r', { digest: sha(blob), size: blob.length });
    await assert.rejects(readAll(stream), (e: unknown) => e instanceof FormatError && /size mismatch/.test(e.message));
  } finally {
    client.close();
  }
});
