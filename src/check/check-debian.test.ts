import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeImageReference } from '../image/open-reference.js';
import { parseImageReference } from '../image/refs.js';
import type { Image } from '../image/types.js';
import { ImageRootFS } from '../rootfs/image-fs.js';
import { debianImage } from '../testing/debian-root.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { checkImage } from './check-image.js';
import { countingImage, whiteoutEntry } from './check-images.js';

/**
 * A real distribution root: Debian bookworm minbase from debootstrap
 * (built once by `npm run fixtures`), packed as an image. Its own dynamic
 * binaries pass, through its merged-usr links and its own ld.so.cache; with
 * libc whited out in an upper layer they fail; runc agrees both ways.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-check-debian-'));
after(() => rm(work, { recursive: true, force: true }));

async function runcExit(image: Image, name: string): Promise<number | null> {
  const layout = join(work, `${name}-layout`);
  await writeImageReference(parseImageReference(`oci:${layout}:t`), { kind: 'image', image });
  const bundle = join(work, `${name}-bundle`);
  await unpackBundle(layout, 't', bundle);
  const result = await runBundle(bundle, 60_000);
  await rm(join(work, `${name}-bundle`), { recursive: true, force: true });
  return result.code;
}

test("Debian minbase's own binaries pass check and run; without libc both check and runc fail", async () => {
  const good = await debianImage({ Entrypoint: ['/bin/ls', '/'] });
  const fs = await ImageRootFS.open(good, 'debian');
  const libc = await fs.realpath('/lib/x86_64-linux-gnu/libc.so.6');
  assert.equal(libc, '/usr/lib/x86_64-linux-gnu/libc.so.6', 'merged-usr: /lib is a link to usr/lib');
  assert.equal((await fs.lstat('/bin'))?.kind, 'symlink');

  for (const config of [{ Entrypoint: ['/bin/ls', '/'] }, { Entrypoint: ['/usr/bin/env'] }, { Cmd: ['bash', '-c', 'true'] }, { Cmd: ['sh', '-c', 'true'] }]) {
    const result = await checkImage(await debianImage(config), { name: 'debian' });
    assert.deepEqual(result.findings, [], JSON.stringify(config));
    assert.equal(result.ok, true);
  }
  // One pass: the layer is streamed once, to index it and keep what check reads.
  const counted = await countingImage(good);
  assert.equal((await checkImage(counted.image, { name: 'debian' })).ok, true);
  assert.equal(counted.streams(), 1);
  assert.equal(await runcExit(good, 'good'), 0);

  const broken = await debianImage({ Entrypoint: ['/bin/ls', '/'] }, [whiteoutEntry(libc)]);
  const result = await checkImage(broken, { name: 'debian-no-libc' });
  assert.deepEqual([...new Set(result.findings.map((f) => f.id))], ['library-missing']);
  assert.ok(result.findings.every((f) => /libc\.so\.6/.test(f.message)), JSON.stringify(result.findings));
  // The loader reports the missing library and exits 127.
  assert.equal(await runcExit(broken, 'no-libc'), 127);
});
