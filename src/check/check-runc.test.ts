import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildImage } from '../build/build.js';
import { writeImageReference } from '../image/open-reference.js';
import { parseImageReference } from '../image/refs.js';
import type { Image } from '../image/types.js';
import { ImageRootFS } from '../rootfs/image-fs.js';
import { fixture } from '../testing/fixtures.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { checkImage } from './check-image.js';
import { extendImage, layoutImage, singleFileImage } from './check-images.js';

/**
 * The oracle for `check`: its verdict agrees with actually running the
 * image (umoci unpack, then runc run). Cases left out: an arm64 binary (qemu's
 * binfmt handler may run it here) and an unknown User (umoci refuses it before
 * runc is reached, which is the same verdict but not a run).
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-check-runc-'));
after(() => rm(work, { recursive: true, force: true }));

async function runs(image: Image, name: string): Promise<boolean> {
  const layout = join(work, `${name}-layout`);
  await writeImageReference(parseImageReference(`oci:${layout}:t`), { kind: 'image', image });
  const bundle = join(work, `${name}-bundle`);
  await unpackBundle(layout, 't', bundle);
  const result = await runBundle(bundle);
  return result.code === 0;
}

test("check's verdict agrees with runc for good and broken images", async () => {
  const goDir = join(work, 'go-static');
  await buildImage([fixture('go-static')], { output: `oci:${goDir}:v1` });
  const goStatic = await layoutImage(goDir, 'v1');
  const cDir = join(work, 'c-dynamic');
  await buildImage([fixture('c-dynamic')], { output: `oci:${cDir}:v1` });
  const cDynamic = await layoutImage(cDir, 'v1');
  const libc = await (await ImageRootFS.open(cDynamic, 'c')).realpath('/lib/x86_64-linux-gnu/libc.so.6');
  assert.ok(libc, 'the built image holds libc');
  const libcParts = libc.slice(1).split('/');
  const whiteout = [...libcParts.slice(0, -1), `.wh.${libcParts[libcParts.length - 1]}`].join('/');
  const script = new TextEncoder().encode('#!/bin/sh\necho hi\n');

  const cases: [string, Image, boolean][] = [
    ['go-static', goStatic, true],
    ['c-dynamic', cDynamic, true],
    ['c-dynamic-alone', await singleFileImage(fixture('c-dynamic'), '/app/c-dynamic'), false],
    ['libc-whiteout', await extendImage(cDynamic, [{ header: { path: whiteout, type: 'file', mode: 0o644, size: 0 }, body: new Uint8Array() }]), false],
    ['not-executable', await singleFileImage(fixture('go-static'), '/app/go-static', { mode: 0o644 }), false],
    ['missing', await extendImage(goStatic, [], { Entrypoint: ['/app/nope'] }), false],
    ['script-no-shell', await extendImage(goStatic, [{ header: { path: 'run.sh', type: 'file', mode: 0o755, size: script.length }, body: script }], { Entrypoint: ['/run.sh'] }), false],
  ];
  for (const [name, image, expected] of cases) {
    const verdict = await checkImage(image, { name });
    const actual = await runs(image, name);
    assert.equal(actual, expected, `${name}: runc ${actual ? 'ran it' : 'failed'}, the test expected otherwise`);
    assert.equal(verdict.ok, actual, `${name}: check says ok=${verdict.ok} (${JSON.stringify(verdict.findings)}), runc says ${actual}`);
  }
});
