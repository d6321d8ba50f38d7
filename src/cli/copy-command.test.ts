import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readOciLayout } from '../image/oci-layout.js';
import type { ImageOrIndex } from '../image/types.js';
import { fixture } from '../testing/fixtures.js';
import { asImage } from '../testing/image-fixtures.js';
import { run } from '../testing/process.js';
import { skopeoDigest, startRegistry } from '../testing/registry-server.js';
import { useRegistry } from '../testing/registry-hooks.js';
import { BIN } from '../testing/cli.js';

/**
 * `fromscratch copy` end to end through the installed entry point: an image
 * around every transport and through a real registry on 127.0.0.1, with
 * skopeo as the independent reader; and `build -o docker://` pushing.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-copy-cli-'));
const env = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' });
const registry = useRegistry(() => rm(work, { recursive: true, force: true }));

const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env: env() });

async function copy(source: string, destination: string, ...extra: string[]): Promise<{ source: string; destination: string; digest: string }> {
  const result = await cli('copy', source, destination, '--json', ...extra);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { source: string; destination: string; digest: string };
}

async function describe(root: ImageOrIndex): Promise<{ digest: string; config: string; diffIds: readonly string[] }> {
  assert.equal(root.kind, 'image');
  if (root.kind !== 'image') throw new Error('not an image');
  const manifest = await root.image.manifest();
  const config = await root.image.config();
  return { digest: (await root.image.descriptor()).digest, config: manifest.config.digest, diffIds: config.rootfs.diff_ids };
}

test('copy an image oci → oci-archive → docker-archive → oci, and oci → registry → oci, keeping what each format keeps', async () => {
  const layout = join(work, 'built');
  const built = await cli('build', fixture('go-static'), '-o', `oci:${layout}:t`, '--json');
  assert.equal(built.code, 0, built.stderr);
  const original = await describe(await readOciLayout(layout, 't'));
  assert.equal((JSON.parse(built.stdout) as { digest: string }).digest, original.digest);

  // oci → oci-archive keeps the manifest digest; skopeo agrees.
  const archive = join(work, 'image.tar');
  const toArchive = await copy(`oci:${layout}:t`, `oci-archive:${archive}:a`);
  assert.deepEqual(toArchive, { source: `oci:${layout}:t`, destination: `oci-archive:${archive}:a`, digest: original.digest });
  assert.equal(await skopeoDigest(`oci-archive:${archive}:a`), original.digest);

  // oci-archive → docker-archive → oci keeps the config and diff ids (the manifest is re-made).
  const dockerTar = join(work, 'docker.tar');
  await copy(`oci-archive:${archive}:a`, `docker-archive:${dockerTar}:demo/app:1`);
  const back = join(work, 'back');
  await copy(`docker-archive:${dockerTar}:demo/app:1`, `oci:${back}:b`);
  const roundTrip = await describe(await readOciLayout(back, 'b'));
  assert.equal(roundTrip.config, original.config);
  assert.deepEqual(roundTrip.diffIds, original.diffIds);

  // oci → registry → oci keeps the manifest digest; skopeo reads the same digest from the registry.
  const remote = `docker://${registry().host}/demo:1`;
  const pushed = await copy(`oci:${layout}:t`, remote);
  assert.equal(pushed.digest, original.digest);
  assert.equal(await skopeoDigest(remote), original.digest);
  const pulledDir = join(work, 'pulled');
  const pulled = await copy(`${registry().host}/demo:1`, `oci:${pulledDir}:p`, '--platform', 'linux/amd64');
  assert.equal(pulled.digest, original.digest);
  assert.equal((await describe(await readOciLayout(pulledDir, 'p'))).digest, original.digest);

  // Text output: the destination and its digest on one line.
  const text = await cli('copy', `oci:${layout}:t`, `oci:${join(work, 'text')}:x`);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, `oci:${join(work, 'text')}:x ${original.digest}\n`);
});

test('build -o docker:// pushes; a missing tag or platform is a one-line error with exit 2', async () => {
  const built = await cli('build', fixture('go-static'), '-o', `docker://${registry().host}/app:1`, '--json');
  assert.equal(built.code, 0, built.stderr);
  const digest = (JSON.parse(built.stdout) as { digest: string }).digest;
  assert.equal(await skopeoDigest(`docker://${registry().host}/app:1`), digest);

  const missing = await cli('copy', `docker://${registry().host}/app:nope`, `oci:${join(work, 'never')}`);
  assert.equal(missing.code, 2, missing.stderr);
  assert.equal(missing.stderr.trim().split('\n').length, 1);

  const layout = join(work, 'for-missing');
  await copy(`docker://${registry().host}/app:1`, `oci:${layout}:here`);
  const missingTag = await cli('copy', `oci:${layout}:absent`, `oci:${join(work, 'never')}`);
  assert.equal(missingTag.code, 2, missingTag.stderr);
  assert.equal(missingTag.stderr.trim().split('\n').length, 1);
  assert.match(missingTag.stderr, /absent/);

  const wrongPlatform = await cli('copy', `oci:${layout}:here`, `oci:${join(work, 'never')}`, '--platform', 'linux/s390x');
  assert.equal(wrongPlatform.code, 2, wrongPlatform.stderr);
  assert.equal(wrongPlatform.stderr.trim().split('\n').length, 1);
  assert.match(wrongPlatform.stderr, /s390x/);
});

/** Runs the CLI on a pseudo-terminal (util-linux script): stdout and stderr arrive together, as a person sees them. */
async function onTerminal(...args: string[]): Promise<{ code: number; output: string }> {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const result = await run('script', ['-qec', command, '/dev/null'], { env: { ...env(), TERM: 'dumb' } });
  return { code: result.code ?? -1, output: result.stdout };
}

test('copy on a terminal shows each blob on stderr (bytes, "exists", pulls); in a pipe stderr stays empty', async () => {
  const layout = join(work, 'progress');
  assert.equal((await cli('build', fixture('go-static'), '-o', `oci:${layout}:t`)).code, 0);
  const parsed = await asImage(await readOciLayout(layout, 't')).manifest();
  const blobs = [parsed.config, ...parsed.layers];
  const short = (digest: string): string => digest.slice(0, 'sha256:'.length + 12);
  const remote = `docker://${registry().host}/progress:1`;

  const first = await onTerminal('copy', `oci:${layout}:t`, remote);
  assert.equal(first.code, 0, first.output);
  for (const blob of blobs) assert.match(first.output, new RegExp(`push ${short(blob.digest)}: [0-9.]+ (B|kB|MB) done`));
  const again = await onTerminal('copy', `oci:${layout}:t`, remote);
  assert.equal(again.code, 0, again.output);
  for (const blob of blobs) assert.match(again.output, new RegExp(`push ${short(blob.digest)}: exists done`));
  const pulled = await onTerminal('copy', remote, `oci:${join(work, 'progress-pulled')}:p`);
  assert.equal(pulled.code, 0, pulled.output);
  for (const layer of parsed.layers) assert.match(pulled.output, new RegExp(`pull ${short(layer.digest)}: [0-9.]+ (B|kB|MB) done`));

  const piped = await cli('copy', `oci:${layout}:t`, remote);
  assert.equal(piped.code, 0);
  assert.equal(piped.stderr, '');
});

test('copy registry to registry: across two registries every blob goes over, within one the layers are mounted', async () => {
  const layout = join(work, 'r2r');
  const built = await cli('build', fixture('go-static'), '-o', `oci:${layout}:t`, '--json');
  assert.equal(built.code, 0, built.stderr);
  const digest = (JSON.parse(built.stdout) as { digest: string }).digest;
  const first = `docker://${registry().host}/r2r/app:1`;
  assert.equal((await copy(`oci:${layout}:t`, first)).digest, digest);
  const other = await startRegistry();
  try {
    const second = `docker://${other.host}/mirror/app:1`;
    assert.equal((await copy(first, second)).digest, digest);
    assert.equal(await skopeoDigest(second), digest);
    const sameRegistry = await onTerminal('copy', first, `docker://${registry().host}/r2r/copy:1`);
    assert.equal(sameRegistry.code, 0, sameRegistry.output);
    assert.match(sameRegistry.output, /mounted from r2r\/app/);
    assert.equal(await skopeoDigest(`docker://${registry().host}/r2r/copy:1`), digest);
  } finally {
    await other.stop();
  }
});
