import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeOciLayout } from '../image/oci-layout-writer.js';
import { openImageReference } from '../image/open-reference.js';
import { parseImageReference } from '../image/refs.js';
import { assertValidOciLayout } from '../image/validate.js';
import { fixture } from '../testing/fixtures.js';
import { tarBytes, tinyImage } from '../testing/image-fixtures.js';
import { layerFromTar, memoryImage } from '../image/memory.js';
import { run } from '../testing/process.js';
import { startFaultProxy, startRegistry, type RegistryServer } from '../testing/registry-server.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { buildImage } from './build.js';
import { BIN } from '../testing/cli.js';

/**
 * `build --base`: our layers on top of an existing image read from every
 * transport (a real registry included). The base's blobs pass through
 * untouched, its config is merged, what it already has is not added again,
 * and runc runs the result.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-base-test-'));
let registry: RegistryServer;
before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
async function skopeo(args: readonly string[]): Promise<unknown> {
  const tls = args.some((a) => a.startsWith('docker://')) ? ['--tls-verify=false'] : [];
  const result = await run('skopeo', [...args.slice(0, 1), ...tls, ...args.slice(1)], { env });
  assert.equal(result.code, 0, `skopeo ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

async function tarList(layout: string, digest: string): Promise<string[]> {
  const result = await run('tar', ['-tzf', join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length))], { env });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim().split('\n');
}

interface RawManifest {
  layers: { digest: string; mediaType: string }[];
  annotations: Record<string, string>;
}

// A dynamic C program's image is a base that already holds libc, ld.so, passwd and /tmp.
const baseSources = {
  oci: () => `oci:${join(work, 'base-layout')}:base`,
  'oci-archive': () => `oci-archive:${join(work, 'base.oci.tar')}:base`,
  'docker-archive': () => `docker-archive:${join(work, 'base.docker.tar')}:example.com/base:1`,
  docker: () => `docker://${registry.host}/base:1`,
} as const;

for (const [transport, ref] of Object.entries(baseSources)) {
  test(`--base from ${transport}: base layers kept byte for byte, what the base has left out, runc runs a cgo binary on it`, async () => {
    const baseRef = ref();
    const base = await buildImage([fixture('c-dynamic')], { output: baseRef });
    const layout = join(work, `on-${transport}`);
    const result = await buildImage([fixture('go-net-cgo')], { output: `oci:${layout}:test`, base: baseRef });
    assert.equal(assertValidOciLayout(layout) > 0, true);
    const baseManifest = (await skopeo(['inspect', '--raw', baseRef])) as RawManifest;
    const manifest = (await skopeo(['inspect', '--raw', `oci:${layout}:test`])) as RawManifest;
    assert.equal(manifest.layers.length, baseManifest.layers.length + 2);
    assert.deepEqual(manifest.layers.slice(0, baseManifest.layers.length).map((l) => l.digest), baseManifest.layers.map((l) => l.digest));
    assert.equal(manifest.annotations['org.opencontainers.image.base.name'], baseRef);
    // A docker-archive keeps no manifest, so its digest is the one its reader derives; everywhere else it is what we wrote.
    const opened = await openImageReference(parseImageReference(baseRef));
    const readDigest = opened.root.kind === 'image' ? (await opened.root.image.descriptor()).digest : '';
    await opened.close();
    assert.equal(manifest.annotations['org.opencontainers.image.base.digest'], readDigest);
    if (transport !== 'docker-archive') assert.equal(readDigest, base.platforms[0]?.digest);
    const config = (await skopeo(['inspect', '--config', `oci:${layout}:test`])) as { rootfs: { diff_ids: string[] }; history: unknown[] };
    const baseConfig = (await skopeo(['inspect', '--config', baseRef])) as { rootfs: { diff_ids: string[] }; history: unknown[] };
    assert.deepEqual(config.rootfs.diff_ids.slice(0, baseConfig.rootfs.diff_ids.length), baseConfig.rootfs.diff_ids);
    assert.equal(config.history.length, baseConfig.history.length + 2);
    // Left out: the interpreter, libc and passwd the base has; still added: NSS configuration it lacks.
    const built = result.platforms[0];
    assert.ok(built !== undefined);
    const leftOut = built.fromBase.map((f) => f.path);
    assert.ok(leftOut.includes('/etc/passwd'), leftOut.join(' '));
    assert.ok(built.report.interpreter !== null && leftOut.includes(built.report.interpreter), leftOut.join(' '));
    const system = await tarList(layout, manifest.layers[baseManifest.layers.length]?.digest ?? '');
    for (const path of leftOut) assert.ok(!system.includes(path.slice(1)), `${path} is not added again`);
    assert.ok(system.includes('etc/nsswitch.conf'), system.join(' '));
    const bundle = join(work, `on-${transport}-bundle`);
    await unpackBundle(layout, 'test', bundle);
    const ran = await runBundle(bundle);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /127\.0\.0\.1/);
  });
}

test('--base from a registry downloads each base layer once, though the build reads it twice (indexing, then passing it through)', async () => {
  const baseRef = `docker://${registry.host}/spool-base:1`;
  await buildImage([fixture('c-dynamic')], { output: baseRef });
  const baseManifest = (await skopeo(['inspect', '--raw', baseRef])) as { layers: { size: number }[] };
  const layerBytes = baseManifest.layers.reduce((sum, l) => sum + l.size, 0);
  // A proxy that never cuts (0 faults), to count what the registry sends.
  const proxy = await startFaultProxy(registry.port, Number.MAX_SAFE_INTEGER, 0, { direction: 'down' });
  try {
    const layout = join(work, 'on-spooled');
    await buildImage([fixture('go-net-cgo')], { output: `oci:${layout}:t`, base: `docker://${proxy.host}/spool-base:1` });
    const manifest = (await skopeo(['inspect', '--raw', `oci:${layout}:t`])) as RawManifest;
    assert.equal(manifest.layers.length, baseManifest.layers.length + 2);
    assert.ok(proxy.downBytes >= layerBytes, `${proxy.downBytes} bytes downloaded, the base layers alone are ${layerBytes}`);
    assert.ok(proxy.downBytes < layerBytes * 1.5, `${proxy.downBytes} bytes downloaded for ${layerBytes} bytes of base layers`);
  } finally {
    await proxy.stop();
  }
});

test('--base merges the config: base Env kept plus ours, our Entrypoint and User, the base Cmd dropped, its WorkingDir kept', async () => {
  const baseLayout = join(work, 'tiny-base');
  await writeOciLayout(baseLayout, { kind: 'image', image: await tinyImage() }, { tag: 'b' });
  const layout = join(work, 'on-tiny');
  await buildImage([fixture('go-https-client')], { output: `oci:${layout}:t`, base: `oci:${baseLayout}:b`, caSource: 'node' });
  const config = (await skopeo(['inspect', '--config', `oci:${layout}:t`])) as {
    config: { Env: string[]; Entrypoint: string[]; Cmd?: string[]; User: string; WorkingDir: string };
  };
  assert.deepEqual(config.config.Env, ['PATH=/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt']);
  assert.deepEqual(config.config.Entrypoint, ['/app/go-https-client']);
  assert.equal(config.config.Cmd, undefined);
  assert.equal(config.config.User, '65532:65532');
  assert.equal(config.config.WorkingDir, '/');
});

test('--base with an index picks the binary platform; a single image of another platform is refused with exit 2', async () => {
  const indexLayout = join(work, 'index-base');
  const index = await buildImage([fixture('go-static'), fixture('go-static-arm64')], { output: `oci:${indexLayout}:multi` });
  const layout = join(work, 'on-index');
  await buildImage([fixture('go-static')], { output: `oci:${layout}:t`, base: `oci:${indexLayout}:multi` });
  const manifest = (await skopeo(['inspect', '--raw', `oci:${layout}:t`])) as RawManifest;
  const amd64 = index.platforms.find((p) => p.assembled.platform.architecture === 'amd64');
  assert.equal(manifest.annotations['org.opencontainers.image.base.digest'], amd64?.digest);

  const armLayout = join(work, 'arm-base');
  await buildImage([fixture('go-static-arm64')], { output: `oci:${armLayout}:arm` });
  const out = join(work, 'refused');
  const refused = await run(process.execPath, [BIN, 'build', fixture('go-static'), '-o', `oci:${out}:t`, '--base', `oci:${armLayout}:arm`], { env });
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.match(refused.stderr, /linux\/arm64.*not linux\/amd64/);
  const left = await run('ls', [work], { env });
  assert.ok(!left.stdout.split('\n').includes('refused'), 'nothing written for a refused build');
});

test('a merged-/usr base (lib -> usr/lib): libraries go under usr/lib, the link survives, and the cgo binary runs', async () => {
  const tar = await tarBytes([
    { header: { path: 'lib', type: 'symlink', mode: 0o777, linkname: 'usr/lib' } },
    { header: { path: 'usr/', type: 'dir', mode: 0o755 } },
    { header: { path: 'usr/lib/', type: 'dir', mode: 0o755 } },
  ]);
  const image = memoryImage({
    config: { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/bin'] }, history: [{ created_by: 'merged-usr test base' }] },
    layers: [layerFromTar(tar)],
  });
  const baseLayout = join(work, 'merged-usr');
  await writeOciLayout(baseLayout, { kind: 'image', image }, { tag: 'b' });
  const layout = join(work, 'on-merged-usr');
  const result = await buildImage([fixture('go-net-cgo')], { output: `oci:${layout}:t`, base: `oci:${baseLayout}:b` });
  const paths = result.platforms[0]?.plan.files.map((f) => f.path) ?? [];
  assert.ok(paths.some((p) => p.startsWith('/usr/lib/x86_64-linux-gnu/libc.so')), paths.join(' '));
  assert.ok(!paths.some((p) => p.startsWith('/lib/')), paths.join(' '));
  const manifest = (await skopeo(['inspect', '--raw', `oci:${layout}:t`])) as RawManifest;
  const system = await tarList(layout, manifest.layers[1]?.digest ?? '');
  assert.ok(!system.includes('lib/'), 'no lib/ directory entry hides the base link');
  const bundle = join(work, 'on-merged-usr-bundle');
  await unpackBundle(layout, 't', bundle);
  const ran = await runBundle(bundle);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /127\.0\.0\.1/);
});
