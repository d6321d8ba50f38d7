import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asImage, GREETING, HELLO_SCRIPT, tinyImage } from '../testing/image-fixtures.js';
import { readAllCapped } from './blob-streams.js';
import { readDockerArchive, writeDockerArchive } from './docker-archive.js';
import { readOciArchive, writeOciArchive } from './oci-archive.js';
import { readOciLayout } from './oci-layout.js';
import { writeOciLayout } from './oci-layout-writer.js';
import type { Image, ImageOrIndex } from './types.js';
import { assertValidOciLayout } from './validate.js';
import { withTempDir } from '../testing/temp-dir.js';

/**
 * Our outputs read by independent implementations (skopeo, umoci), and
 * their outputs read by us. Digests are compared where skopeo keeps them:
 * copies between OCI transports keep the manifest; a docker-archive keeps
 * the config bytes and the uncompressed layers (diff ids).
 */

const run = promisify(execFile);

async function tool(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args, { timeout: 30_000, maxBuffer: 16 << 20 });
  return stdout;
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function diffIds(image: Image): Promise<string[]> {
  return Promise.all((await image.layers()).map((l) => l.diffId()));
}

async function assertLayersVerify(image: Image): Promise<void> {
  for (const layer of await image.layers()) await readAllCapped(await layer.uncompressed(), 1 << 24, 'layer');
}

interface SkopeoInspect {
  Digest: string;
  Layers: string[];
  Architecture: string;
  Os: string;
}

test('skopeo reads our oci layout, oci-archive and docker-archive', async () => {
  await withTempDir('conformance', async (tmp) => {
    const image = await tinyImage();
    const root = { kind: 'image', image } as const;
    const layout = join(tmp, 'layout');
    await writeOciLayout(layout, root, { tag: 'v1' });
    assertValidOciLayout(layout);
    assert.equal(await tool('skopeo', ['inspect', '--raw', `oci:${layout}:v1`]), text(await image.rawManifest()));
    assert.equal(await tool('skopeo', ['inspect', '--raw', '--config', `oci:${layout}:v1`]), text(await image.rawConfig()));
    const inspected = JSON.parse(await tool('skopeo', ['inspect', `oci:${layout}:v1`])) as SkopeoInspect;
    assert.equal(inspected.Digest, (await image.descriptor()).digest);
    assert.deepEqual(inspected.Layers, (await image.manifest()).layers.map((l) => l.digest));
    assert.equal(inspected.Architecture, 'amd64');

    const archive = join(tmp, 'oci.tar');
    await writeOciArchive(archive, root, { tag: 'v1' });
    assert.equal(await tool('skopeo', ['inspect', '--raw', `oci-archive:${archive}:v1`]), text(await image.rawManifest()));

    const docker = join(tmp, 'docker.tar');
    await writeDockerArchive(docker, root, { repoTags: ['example.com/tiny:v1'] });
    assert.equal(await tool('skopeo', ['inspect', '--raw', '--config', `docker-archive:${docker}`]), text(await image.rawConfig()));
    const fromDocker = JSON.parse(await tool('skopeo', ['inspect', `docker-archive:${docker}:example.com/tiny:v1`])) as SkopeoInspect;
    assert.deepEqual(fromDocker.Layers, await diffIds(image));
  });
});

test('skopeo copy oci → oci-archive → docker-archive → oci, read back by us at every step', async () => {
  await withTempDir('conformance', async (tmp) => {
    const image = await tinyImage();
    const digest = (await image.descriptor()).digest;
    const layout = join(tmp, 'layout');
    await writeOciLayout(layout, { kind: 'image', image }, { tag: 'v1' });

    // skopeo's copy to another layout keeps the manifest; we read skopeo's layout.
    await tool('skopeo', ['copy', '-q', `oci:${layout}:v1`, `oci:${join(tmp, 'copy')}:again`]);
    const copied = asImage(await readOciLayout(join(tmp, 'copy'), 'again'));
    assert.equal((await copied.descriptor()).digest, digest);
    await assertLayersVerify(copied);

    // skopeo's oci-archive keeps it too.
    const skArchive = join(tmp, 'sk-oci.tar');
    await tool('skopeo', ['copy', '-q', `oci:${layout}:v1`, `oci-archive:${skArchive}:v1`]);
    const fromArchive = await readOciArchive(skArchive, 'v1');
    try {
      const img = asImage(fromArchive.root);
      assert.equal((await img.descriptor()).digest, digest);
      await assertLayersVerify(img);
    } finally {
      await fromArchive.close();
    }

    // skopeo's docker-archive: config bytes and diff ids survive (skopeo links legacy layer paths).
    const skDocker = join(tmp, 'sk-docker.tar');
    await tool('skopeo', ['copy', '-q', `oci-archive:${skArchive}:v1`, `docker-archive:${skDocker}:example.com/tiny:v1`]);
    const fromDocker = await readDockerArchive(skDocker, { kind: 'name', name: 'example.com/tiny:v1' });
    try {
      const img = asImage(fromDocker.root);
      assert.deepEqual(await img.rawConfig(), await image.rawConfig());
      assert.deepEqual(await diffIds(img), await diffIds(image));
      // Our docker-archive of what we read, copied by skopeo to a layout we read again.
      const ours = join(tmp, 'ours-docker.tar');
      await writeDockerArchive(ours, fromDocker.root, { repoTags: ['example.com/tiny:v2'] });
      await tool('skopeo', ['copy', '-q', `docker-archive:${ours}`, `oci:${join(tmp, 'final')}:v2`]);
    } finally {
      await fromDocker.close();
    }
    const final = asImage(await readOciLayout(join(tmp, 'final'), 'v2'));
    assert.deepEqual(await diffIds(final), await diffIds(image));
    assert.deepEqual(JSON.parse(text(await final.rawConfig())).rootfs, (await image.config()).rootfs);
    await assertLayersVerify(final);
  });
});

test('umoci unpacks our layouts with the files and modes we put in', async () => {
  await withTempDir('conformance', async (tmp) => {
    const image = await tinyImage();
    const layout = join(tmp, 'layout');
    await writeOciLayout(layout, { kind: 'image', image }, { tag: 'v1' });
    // The same image through our docker-archive and back (uncompressed layers) into a second tag.
    const docker = join(tmp, 'd.tar');
    await writeDockerArchive(docker, { kind: 'image', image });
    const opened = await readDockerArchive(docker);
    try {
      await writeOciLayout(layout, opened.root, { tag: 'plain' });
    } finally {
      await opened.close();
    }
    assertValidOciLayout(layout);
    const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];
    for (const tag of ['v1', 'plain']) {
      const bundle = join(tmp, `bundle-${tag}`);
      await tool('umoci', ['unpack', ...rootless, '--image', `${layout}:${tag}`, bundle]);
      const rootfs = join(bundle, 'rootfs');
      assert.equal(await readFile(join(rootfs, 'bin/hello'), 'utf8'), HELLO_SCRIPT);
      assert.equal((await lstat(join(rootfs, 'bin/hello'))).mode & 0o7777, 0o755);
      assert.equal(await readFile(join(rootfs, 'etc/greeting'), 'utf8'), GREETING);
      assert.equal((await lstat(join(rootfs, 'etc/greeting'))).mode & 0o7777, 0o640);
      assert.equal(await readlink(join(rootfs, 'etc/hello-link')), '../bin/hello');
      const runtime = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; env: string[] } };
      assert.deepEqual(runtime.process.args, ['/bin/hello']);
      assert.ok(runtime.process.env.includes('PATH=/bin'));
    }
  });
});
