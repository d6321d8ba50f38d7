import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { InputError, UsageError } from '../errors.js';
import { readOciLayout } from '../image/oci-layout.js';
import { assertValidOciLayout } from '../image/validate.js';
import { fixture } from '../testing/fixtures.js';
import { goVersionM } from '../testing/oracles.js';
import { run } from '../testing/process.js';
import { buildImage } from './build.js';
import { buildJson } from './report.js';

/**
 * build's outputs read by independent tools (skopeo, tar, the OCI schemas),
 * reproducibility across directories, umasks and epochs, and failures that
 * leave nothing behind.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-build-test-'));
after(() => rm(work, { recursive: true, force: true }));

async function tool(file: string, args: readonly string[]): Promise<string> {
  const result = await run(file, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  assert.equal(result.code, 0, `${file} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

interface SkopeoInspect {
  Digest: string;
  Architecture: string;
  Os: string;
  Env: string[];
  Layers: string[];
  Labels: Record<string, string> | null;
}

test('skopeo reads the oci, oci-archive and docker-archive outputs; the layout conforms to the OCI schemas', async () => {
  const binary = fixture('go-https-client');
  const layout = join(work, 'kinds-layout');
  const archive = join(work, 'kinds.oci.tar');
  const docker = join(work, 'kinds.docker.tar');
  const fromLayout = await buildImage([binary], { output: `oci:${layout}:v1`, caSource: 'node' });
  const fromArchive = await buildImage([binary], { output: `oci-archive:${archive}:v1`, caSource: 'node' });
  await buildImage([binary], { output: `docker-archive:${docker}:example.com/app:v1`, caSource: 'node' });
  assert.equal(fromArchive.digest, fromLayout.digest);
  assert.ok(assertValidOciLayout(layout) >= 4);
  const viaLayout = JSON.parse(await tool('skopeo', ['inspect', `oci:${layout}:v1`])) as SkopeoInspect;
  const viaArchive = JSON.parse(await tool('skopeo', ['inspect', `oci-archive:${archive}:v1`])) as SkopeoInspect;
  const viaDocker = JSON.parse(await tool('skopeo', ['inspect', `docker-archive:${docker}`])) as SkopeoInspect;
  assert.equal(viaLayout.Digest, fromLayout.digest);
  assert.equal(viaArchive.Digest, fromLayout.digest);
  for (const seen of [viaLayout, viaArchive, viaDocker]) {
    assert.equal(seen.Architecture, 'amd64');
    assert.equal(seen.Os, 'linux');
    assert.equal(seen.Layers.length, 2);
    assert.ok(seen.Env.includes('SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'), JSON.stringify(seen.Env));
  }
  const config = JSON.parse(await tool('skopeo', ['inspect', '--config', `oci:${layout}:v1`])) as {
    config: { Entrypoint: string[]; User: string; WorkingDir: string };
    created: string;
  };
  assert.deepEqual(config.config.Entrypoint, ['/app/go-https-client']);
  assert.equal(config.config.User, '65532:65532');
  assert.equal(config.config.WorkingDir, '/');
  assert.equal(config.created, '1970-01-01T00:00:00Z');
  const json = buildJson(fromLayout);
  assert.deepEqual(json.platforms.map((p) => p.platform), ['linux/amd64']);
  assert.equal(json.ref, `oci:${layout}:v1`);
});

test('layers: tar lists the system layer sorted, owned by 0:0, stamped with SOURCE_DATE_EPOCH, /tmp 1777; the app layer holds only the app', async () => {
  const layout = join(work, 'tar-layout');
  const epoch = 1_700_000_000;
  const result = await buildImage([fixture('go-loadlocation')], { output: `oci:${layout}:v1`, epoch });
  const manifest = JSON.parse(await tool('skopeo', ['inspect', '--raw', `oci:${layout}:v1`])) as { layers: { digest: string }[] };
  const [system, app] = manifest.layers.map((l) => join(layout, 'blobs', 'sha256', l.digest.slice('sha256:'.length)));
  assert.ok(system !== undefined && app !== undefined);
  const listing = (await tool('tar', ['--numeric-owner', '--full-time', '-tvzf', system])).trim().split('\n');
  const names = listing.map((line) => line.split(/\s+/).slice(5).join(' ').replace(/ -> .*/, ''));
  assert.deepEqual(names, [...names].sort());
  assert.ok(listing.every((line) => line.split(/\s+/)[1] === '0/0'), 'every entry owned by 0/0');
  const stamp = new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' ');
  assert.ok(listing.every((line) => line.includes(stamp)), `every mtime is ${stamp}`);
  assert.ok(listing.some((line) => line.startsWith('drwxrwxrwt') && line.endsWith(' tmp/')), 'tmp/ is 1777');
  assert.ok(names.includes('usr/share/zoneinfo/Europe/Paris'));
  assert.ok(names.includes('etc/passwd') && names.includes('etc/group'));
  const appNames = (await tool('tar', ['-tzf', app])).trim().split('\n');
  assert.deepEqual(appNames, ['app/', 'app/go-loadlocation']);
  const configJson = JSON.parse(await tool('skopeo', ['inspect', '--config', `oci:${layout}:v1`])) as { created: string };
  assert.equal(configJson.created, new Date(epoch * 1000).toISOString().replace('.000Z', 'Z'));
  assert.equal(result.platforms.length, 1);
});

test('reproducible: same digest from another working directory and umask; another SOURCE_DATE_EPOCH changes it', async () => {
  const binary = fixture('go-static');
  const oldCwd = process.cwd();
  const oldUmask = process.umask();
  try {
    process.chdir(work);
    process.umask(0o022);
    const first = await buildImage([binary], { output: `oci:${join(work, 'repro-a')}` });
    const elsewhere = await mkdtemp(join(work, 'cwd-'));
    process.chdir(elsewhere);
    process.umask(0o077);
    const second = await buildImage([relative(elsewhere, binary)], { output: `oci:${join(work, 'repro-b')}` });
    assert.equal(second.digest, first.digest);
    const third = await buildImage([binary], { output: `oci:${join(work, 'repro-c')}`, epoch: 1234567890 });
    assert.notEqual(third.digest, first.digest);
    // The layout files themselves are byte-identical too.
    const index = (dir: string) => readFileSync(join(work, dir, 'index.json'));
    assert.deepEqual(index('repro-b'), index('repro-a'));
  } finally {
    process.chdir(oldCwd);
    process.umask(oldUmask);
  }
});

test('a rebuilt app reuses the system layer: two different static binaries share the bottom layer digest', async () => {
  const a = await buildImage([fixture('go-static')], { output: `oci:${join(work, 'share-a')}` });
  const b = await buildImage([fixture('go-stripped')], { output: `oci:${join(work, 'share-b')}` });
  const [aSystem, aApp] = a.platforms[0]?.assembled.layers ?? [];
  const [bSystem, bApp] = b.platforms[0]?.assembled.layers ?? [];
  assert.equal(aSystem?.layer.digest, bSystem?.layer.digest);
  assert.notEqual(aApp?.layer.digest, bApp?.layer.digest);
});

test('CA options: --ca-file is appended to the bundle; --ca-source none with no file adds no bundle and no SSL_CERT_FILE', async () => {
  const pem = join(work, 'private-ca.pem');
  const caText = '-----BEGIN CERTIFICATE-----\nTUlJQnByaXZhdGU=\n-----END CERTIFICATE-----\n';
  await writeFile(pem, caText);
  const withFile = await buildImage([fixture('go-https-client')], { output: `oci:${join(work, 'ca-file')}`, caSource: 'none', caFiles: [pem] });
  const bundle = withFile.platforms[0]?.plan.files.find((f) => f.path === '/etc/ssl/certs/ca-certificates.crt');
  assert.ok(bundle !== undefined && bundle.content.kind === 'bytes');
  assert.equal(new TextDecoder().decode(bundle.content.bytes), caText);
  const none = await buildImage([fixture('go-https-client')], { output: `oci:${join(work, 'ca-none')}`, caSource: 'none' });
  const plan = none.platforms[0]?.plan;
  assert.ok(plan !== undefined);
  assert.equal(plan.files.find((f) => f.path.startsWith('/etc/ssl')), undefined);
  assert.deepEqual(plan.env, []);
});

test('multi-arch: amd64 and arm64 binaries give an OCI index whose arm64 entry holds the arm64 binary', async () => {
  const layout = join(work, 'multi');
  const result = await buildImage([fixture('go-static'), fixture('go-static-arm64')], { output: `oci:${layout}:v1` });
  assert.ok(assertValidOciLayout(layout) >= 6);
  const index = JSON.parse(await tool('skopeo', ['inspect', '--raw', `oci:${layout}:v1`])) as {
    mediaType: string;
    manifests: { digest: string; platform: { architecture: string; os: string } }[];
  };
  assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`), ['linux/amd64', 'linux/arm64']);
  const arm = JSON.parse(await tool('skopeo', ['inspect', '--override-arch', 'arm64', `oci:${layout}:v1`])) as SkopeoInspect;
  assert.equal(arm.Architecture, 'arm64');
  // skopeo names the image by the digest of what the reference points at: the index.
  assert.equal(arm.Digest, result.digest);
  // The arm64 image's app layer, unpacked by tar, is the arm64 fixture byte for byte; file(1) names its machine.
  const appLayer = arm.Layers[1] ?? '';
  const out = join(work, 'multi-app');
  await mkdir(out);
  await tool('tar', ['-xzf', join(layout, 'blobs', 'sha256', appLayer.slice('sha256:'.length)), '-C', out]);
  const unpacked = join(out, 'app', 'go-static-arm64');
  assert.deepEqual(readFileSync(unpacked), readFileSync(fixture('go-static-arm64')));
  assert.match(await tool('file', ['-b', unpacked]), /ARM aarch64/);
  assert.equal(result.digest, (await readOciLayoutDigest(layout)));
});

async function readOciLayoutDigest(layout: string): Promise<string> {
  const root = await readOciLayout(layout, 'v1');
  return root.kind === 'index' ? (await root.index.descriptor()).digest : (await root.image.descriptor()).digest;
}

test('a failed build leaves nothing behind: missing binary, output under a file, index to docker-archive', async () => {
  const scratch = await mkdtemp(join(work, 'fail-'));
  const privateTmp = await mkdtemp(join(work, 'tmp-'));
  const oldTmp = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp;
  try {
    await assert.rejects(buildImage([join(scratch, 'no-such-binary')], { output: `oci:${join(scratch, 'out')}` }), (e) => e instanceof InputError);
    const blocker = join(scratch, 'a-file');
    await writeFile(blocker, 'not a directory');
    await assert.rejects(buildImage([fixture('go-static')], { output: `oci:${join(blocker, 'layout')}` }));
    await assert.rejects(buildImage([fixture('go-static')], { output: `oci-archive:${join(blocker, 'x.tar')}` }));
    await assert.rejects(
      buildImage([fixture('go-static'), fixture('go-static-arm64')], { output: `docker-archive:${join(scratch, 'multi.tar')}` }),
      (e) => e instanceof UsageError,
    );
    assert.deepEqual((await readdir(scratch)).sort(), ['a-file']);
    assert.deepEqual(await readdir(privateTmp), [], 'no temp directories left');
  } finally {
    if (oldTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = oldTmp;
  }
});

test('bad -o and bad user input are usage errors before any work', async () => {
  // (docker:// is a push now; copy-command.test.ts covers it against a real registry.)
  await assert.rejects(buildImage([fixture('go-static')], { output: `docker-archive:${join(work, 'at.tar')}:@1` }), (e) => e instanceof UsageError);
  await assert.rejects(buildImage([fixture('go-static')], { output: 'nosuch:thing' }), (e) => e instanceof UsageError);
  await assert.rejects(buildImage([fixture('go-static')], { output: `oci:${join(work, 'bad-path')}`, appPath: 'relative/app' }), (e) => e instanceof UsageError);
  await assert.rejects(buildImage([fixture('go-darwin-amd64')], { output: `oci:${join(work, 'darwin')}` }), (e) => e instanceof InputError);
});

test("labels and annotations carry the Go build info's vcs revision and time, as go version -m prints them", async () => {
  const layout = join(work, 'vcs');
  await buildImage([fixture('go-vcs')], { output: `oci:${layout}:v1` });
  const oracle = await goVersionM(fixture('go-vcs'));
  const setting = (key: string) => oracle?.settings.find((s) => s.key === key)?.value;
  const revision = setting('vcs.revision');
  const time = setting('vcs.time');
  assert.ok(revision !== undefined && time !== undefined);
  const seen = JSON.parse(await tool('skopeo', ['inspect', `oci:${layout}:v1`])) as SkopeoInspect;
  assert.equal(seen.Labels?.['org.opencontainers.image.revision'], revision);
  assert.equal(seen.Labels?.['org.opencontainers.image.created'], time);
  // The module path (example.com/static) starts with a host name, so it names the source.
  assert.equal(seen.Labels?.['org.opencontainers.image.source'], `https://${oracle?.path ?? ''}`);
  const manifest = JSON.parse(await tool('skopeo', ['inspect', '--raw', `oci:${layout}:v1`])) as { annotations: Record<string, string> };
  assert.equal(manifest.annotations['org.opencontainers.image.revision'], revision);
});
