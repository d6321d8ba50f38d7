import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inspectFile } from '../analysis/inspect.js';
import { HostRootFS } from '../fs/index.js';
import { writeOciLayout } from '../image/oci-layout-writer.js';
import { openImageReference } from '../image/open-reference.js';
import { parseImageReference } from '../image/refs.js';
import { FIXTURE_SOURCES, GO_CACHE } from '../testing/fixture-key.js';
import { run } from '../testing/process.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { buildImage } from './build.js';
import { parseBuildPlatform } from './go-build.js';
import { BIN } from '../testing/cli.js';

/**
 * `build ./dir`: the Go toolchain builds the fixtures' sources per platform,
 * our ELF reader and file(1) agree on what came out, and runc runs it. The
 * cgo strategies are checked on a program whose main package calls C.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-gobuild-test-'));
after(() => rm(work, { recursive: true, force: true }));
// The fixtures' build cache: the standard library is already compiled there for each architecture.
process.env.GOCACHE = GO_CACHE;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', GOCACHE: GO_CACHE, HOME: process.env.HOME ?? '/root' };

/** A fixture's source copied out of this checkout, so go build stamps no VCS state (and needs no git). */
async function sourceCopy(name: string): Promise<string> {
  const dir = join(work, `src-${name}`);
  await cp(join(FIXTURE_SOURCES, 'go', name), dir, { recursive: true });
  return dir;
}

async function tool(file: string, args: readonly string[]): Promise<string> {
  const result = await run(file, [...args], { env });
  assert.equal(result.code, 0, `${file} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** One platform's image out of a layout (umoci unpacks images, not indexes), unpacked and run. */
async function runPlatform(layout: string, platform: string, name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const opened = await openImageReference(parseImageReference(`oci:${layout}:t`), { platform });
  const single = join(work, `${name}-single`);
  try {
    await writeOciLayout(single, opened.root, { tag: 't' });
  } finally {
    await opened.close();
  }
  const bundle = join(work, `${name}-bundle`);
  await unpackBundle(single, 't', bundle);
  return runBundle(bundle);
}

test('a Go source dir built for linux/amd64 and linux/arm64 gives an index; the arm64 entry holds an arm64 binary, the amd64 one runs', async () => {
  const layout = join(work, 'multi');
  const source = await sourceCopy('static');
  const result = await buildImage([source], {
    output: `oci:${layout}:t`,
    platforms: [parseBuildPlatform('linux/amd64'), parseBuildPlatform('linux/arm64')],
  });
  const index = JSON.parse(await tool('skopeo', ['inspect', '--raw', `oci:${layout}:t`])) as { manifests: { digest: string; platform: { architecture: string } }[] };
  assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
  const top = JSON.parse(await tool('cat', [join(layout, 'index.json')])) as { manifests: { digest: string }[] };
  assert.equal(top.manifests[0]?.digest, result.digest);
  // The arm64 image's app layer, unpacked with tar, read by our ELF reader and by file(1).
  const arm = index.manifests[1];
  assert.ok(arm !== undefined);
  const armManifest = JSON.parse(await tool('cat', [join(layout, 'blobs', 'sha256', arm.digest.slice(7))])) as { layers: { digest: string }[] };
  const appLayer = armManifest.layers.at(-1);
  assert.ok(appLayer !== undefined);
  const out = join(work, 'arm-app');
  await mkdir(out);
  await tool('tar', ['-xzf', join(layout, 'blobs', 'sha256', appLayer.digest.slice(7)), '-C', out]);
  const binary = join(out, 'app', 'static');
  const report = await inspectFile(binary, { root: new HostRootFS('/'), rootDir: '/' });
  assert.equal(report?.arch, 'arm64');
  assert.equal(report?.linkage, 'static');
  assert.match(await tool('file', ['-b', binary]), /ARM aarch64/);
  const ran = await runPlatform(layout, 'linux/amd64', 'multi-amd64');
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, 'HELLO FROM SCRATCH\n');
  assert.ok(result.platforms.every((p) => p.source === source));
  // Reproducible: the same source built again gives the same index digest.
  const again = await buildImage([source], { output: `oci:${join(work, 'multi-again')}:t`, platforms: [parseBuildPlatform('linux/amd64'), parseBuildPlatform('linux/arm64')] });
  assert.equal(again.digest, result.digest);
});

test('source that calls C: musl by default (static, runs FROM scratch), --cgo libraries packs the closure, --cgo off is refused by go build with exit 2', async () => {
  const source = await sourceCopy('cgomusl');
  const musl = join(work, 'musl');
  const built = await buildImage([source], { output: `oci:${musl}:t` });
  assert.equal(built.platforms[0]?.report.linkage, 'static');
  assert.match(built.platforms[0]?.notes.join(' ') ?? '', /musl/);
  const ranMusl = await runPlatform(musl, 'linux/amd64', 'musl');
  assert.equal(ranMusl.code, 0, ranMusl.stderr);
  assert.equal(ranMusl.stdout, '42\n');

  const dynamic = join(work, 'libraries');
  const libs = await buildImage([source], { output: `oci:${dynamic}:t`, cgo: 'libraries' });
  const platform = libs.platforms[0];
  assert.equal(platform?.report.linkage, 'dynamic');
  assert.ok(platform.plan.files.some((f) => f.reason === 'interpreter') && platform.plan.files.some((f) => f.reason === 'libraries'));
  const ranDynamic = await runPlatform(dynamic, 'linux/amd64', 'libraries');
  assert.equal(ranDynamic.code, 0, ranDynamic.stderr);
  assert.equal(ranDynamic.stdout, '42\n');

  const off = await run(process.execPath, [BIN, 'build', source, '--cgo', 'off', '-o', `oci:${join(work, 'off')}:t`], { env });
  assert.equal(off.code, 2);
  assert.equal(off.stderr.trim().split('\n').length, 1, off.stderr);
  assert.match(off.stderr, /go build for linux\/amd64 failed/);
});

test('--platform is refused for a binary (its platform is in the file) and checked for form', async () => {
  assert.throws(() => parseBuildPlatform('linux'), /os\/arch/);
  assert.throws(() => parseBuildPlatform('darwin/arm64'), /linux/);
  const refused = await run(process.execPath, [BIN, 'build', process.execPath, '--platform', 'linux/arm64', '-o', `oci:${join(work, 'x')}:t`], { env });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--platform applies to Go source directories/);
});
