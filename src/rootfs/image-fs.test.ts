import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FormatError, InputError, isFromscratchError } from '../errors.js';
import { layerFromTar, memoryImage, type LayerInput } from '../image/memory.js';
import type { Image } from '../image/types.js';
import { tarBytes } from '../testing/image-fixtures.js';
import { Rng, mutate } from '../testing/mutate.js';
import type { TarInput } from '../layer/index.js';
import { ImageRootFS } from './image-fs.js';

/**
 * The merged file system of layered images we construct here, so every
 * expected answer is a value written below: whiteouts, opaque directories,
 * hard links, replacements, symlinks resolved inside the image only, and
 * hostile tar headers that must never reach the host.
 */

const enc = new TextEncoder();
const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

function file(path: string, content: string, mode = 0o644): TarInput {
  const body = enc.encode(content);
  return { header: { path, type: 'file', mode, size: body.length }, body };
}
const dir = (path: string): TarInput => ({ header: { path, type: 'dir', mode: 0o755 } });
const symlink = (path: string, linkname: string): TarInput => ({ header: { path, type: 'symlink', mode: 0o777, linkname } });
const hardlink = (path: string, linkname: string): TarInput => ({ header: { path, type: 'hardlink', mode: 0o644, linkname } });

function imageOf(layers: readonly LayerInput[]): Image {
  return memoryImage({ config: { architecture: 'amd64', os: 'linux' }, layers });
}

async function fsOf(...layers: TarInput[][]): Promise<ImageRootFS> {
  const inputs = await Promise.all(layers.map(async (entries) => layerFromTar(await tarBytes(entries))));
  return ImageRootFS.open(imageOf(inputs), 'test-image');
}

/** A raw ustar archive, so tests can write headers our tar writer refuses to (".." paths, absolute names). */
function rawTar(entries: readonly { name: string; type: '0' | '1' | '2' | '5'; linkname?: string; body?: string; mode?: number }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const body = enc.encode(e.body ?? '');
    const header = new Uint8Array(512);
    const put = (offset: number, length: number, value: string): void => header.set(enc.encode(value).subarray(0, length), offset);
    const octal = (offset: number, length: number, value: number): void => put(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
    put(0, 100, e.name);
    octal(100, 8, e.mode ?? 0o755);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, body.length);
    octal(136, 12, 0);
    put(148, 8, '        ');
    put(156, 1, e.type);
    put(157, 100, e.linkname ?? '');
    put(257, 8, 'ustar\u000000');
    let sum = 0;
    for (const b of header) sum += b;
    put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
    blocks.push(header);
    const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
    padded.set(body);
    blocks.push(padded);
  }
  blocks.push(new Uint8Array(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

test('whiteouts delete lower files and directories; an opaque directory hides only what lower layers put there', async () => {
  const fs = await fsOf(
    [dir('lib/'), file('lib/libc.so.6', 'libc'), file('lib/libm.so.6', 'libm'), dir('opt/'), dir('opt/old/'), file('opt/old/a', 'a'), file('opt/keep', 'k')],
    [file('lib/.wh.libm.so.6', ''), file('opt/.wh.old', ''), dir('etc/'), file('etc/.wh..wh..opq', ''), file('etc/new', 'n')],
    [dir('etc/'), file('etc/later', 'l'), dir('usr/'), file('usr/x', 'x'), file('usr/.wh..wh..opq', '')],
  );
  assert.equal(await fs.stat('/lib/libm.so.6'), undefined);
  assert.equal(text(await fs.readSmallFile('/lib/libc.so.6')), 'libc');
  assert.equal(await fs.stat('/opt/old'), undefined);
  assert.equal(await fs.stat('/opt/old/a'), undefined);
  assert.deepEqual(await fs.list('/opt'), ['keep']);
  assert.deepEqual(await fs.list('/etc'), ['later', 'new']);
  // The marker in the same layer as usr/x hides only lower layers' entries.
  assert.deepEqual(await fs.list('/usr'), ['x']);
  assert.deepEqual(await fs.list('/'), ['etc', 'lib', 'opt', 'usr']);
});

test('an opaque directory in an upper layer hides /lib below it', async () => {
  const fs = await fsOf([dir('lib/'), file('lib/libc.so.6', 'libc'), file('lib/ld.so', 'ld')], [dir('lib/'), file('lib/.wh..wh..opq', ''), file('lib/only', 'o')]);
  assert.deepEqual(await fs.list('/lib'), ['only']);
  assert.equal(await fs.stat('/lib/libc.so.6'), undefined);
});

test('directories are replaced by files and back, and hard links share their target bytes', async () => {
  const fs = await fsOf(
    [dir('a/'), file('a/inside', 'i'), file('b', 'was a file'), file('data/orig', 'shared bytes', 0o755), hardlink('data/link', 'data/orig')],
    [file('a', 'now a file'), dir('b/'), file('b/child', 'c'), hardlink('up', 'data/orig'), hardlink('bad', 'etc/passwd')],
  );
  assert.equal((await fs.stat('/a'))?.kind, 'file');
  assert.equal(text(await fs.readSmallFile('/a')), 'now a file');
  assert.equal(await fs.stat('/a/inside'), undefined);
  assert.equal((await fs.stat('/b'))?.kind, 'dir');
  assert.deepEqual(await fs.list('/b'), ['child']);
  assert.equal(text(await fs.readSmallFile('/data/link')), 'shared bytes');
  assert.equal(text(await fs.readSmallFile('/up')), 'shared bytes');
  const source = await fs.open('/up');
  assert.equal(source.size, 12);
  assert.equal(text(await source.read(7, 5)), 'bytes');
  // etc/passwd is on every host but not in this image: the link is refused, never looked up on the host.
  assert.equal(await fs.stat('/bad'), undefined);
  assert.equal(fs.refusedEntries.length, 1);
  assert.match(fs.refusedEntries[0]?.reason ?? '', /not a file in the image/);
});

test('symlinks resolve inside the image: absolute targets re-rooted, ".." stopped at the root, loops bounded', async () => {
  const fs = await fsOf([
    dir('usr/'),
    dir('usr/lib/'),
    file('usr/lib/libz.so.1', 'zlib'),
    symlink('lib', 'usr/lib'),
    symlink('lib64', '/usr/lib'),
    dir('etc/'),
    file('etc/hostname', 'image-host'),
    symlink('etc/escape', '../../../../../etc/hostname'),
    symlink('etc/abs', '/etc/hostname'),
    symlink('loop1', 'loop2'),
    symlink('loop2', 'loop1'),
    symlink('dangling', '/nowhere'),
  ]);
  assert.equal(text(await fs.readSmallFile('/lib/libz.so.1')), 'zlib');
  assert.equal(text(await fs.readSmallFile('/lib64/libz.so.1')), 'zlib');
  assert.equal(await fs.realpath('/lib64/libz.so.1'), '/usr/lib/libz.so.1');
  assert.equal(text(await fs.readSmallFile('/etc/escape')), 'image-host');
  assert.equal(text(await fs.readSmallFile('/etc/abs')), 'image-host');
  assert.equal(await fs.readlink('/etc/abs'), '/etc/hostname');
  assert.equal((await fs.lstat('/lib'))?.kind, 'symlink');
  assert.equal((await fs.stat('/lib'))?.kind, 'dir');
  assert.deepEqual(await fs.list('/lib'), ['libz.so.1']);
  assert.equal(await fs.stat('/loop1'), undefined);
  assert.equal((await fs.lstat('/loop1'))?.kind, 'symlink');
  assert.equal(await fs.stat('/dangling'), undefined);
  assert.equal(await fs.stat('/usr/lib/libz.so.1/x'), undefined);
  await assert.rejects(fs.open('/loop1'), (e: unknown) => e instanceof InputError && e.code === 'not-found');
  await assert.rejects(fs.open('/usr'), (e: unknown) => e instanceof InputError && /is a directory/.test(e.message));
});

test('hostile tar headers (".." and absolute names, links out) stay inside the image and never read host files', async () => {
  const hostPasswd = readFileSync('/etc/passwd', 'utf8');
  const tar = rawTar([
    { name: '../../../../etc/passwd', type: '0', body: 'image passwd\n', mode: 0o644 },
    { name: '/etc/shadow', type: '0', body: 'image shadow\n', mode: 0o600 },
    { name: 'x/../../escaped', type: '0', body: 'kept inside', mode: 0o644 },
    { name: 'link-out', type: '2', linkname: '/proc/self/root/etc/hostname' },
    { name: 'hard-out', type: '1', linkname: '../../../../etc/hostname' },
  ]);
  const fs = await ImageRootFS.open(imageOf([layerFromTar(tar)]), 'hostile');
  assert.equal(text(await fs.readSmallFile('/etc/passwd')), 'image passwd\n');
  assert.notEqual(text(await fs.readSmallFile('/etc/passwd')), hostPasswd);
  assert.equal(text(await fs.readSmallFile('/etc/shadow')), 'image shadow\n');
  assert.equal(text(await fs.readSmallFile('/escaped')), 'kept inside');
  assert.equal(await fs.stat('/link-out'), undefined);
  assert.equal(await fs.stat('/hard-out'), undefined);
  assert.equal(fs.refusedEntries.length, 1);
  assert.deepEqual(await fs.list('/'), ['escaped', 'etc', 'link-out']);
});

test('a layer whose digest does not match its descriptor is refused', async () => {
  const good = layerFromTar(await tarBytes([file('a', 'a')]));
  const other = layerFromTar(await tarBytes([file('a', 'b')]));
  const lying: LayerInput = { ...good, open: other.open };
  await assert.rejects(ImageRootFS.open(imageOf([lying]), 'lying'), (e: unknown) => e instanceof FormatError && /lying: layer sha256:/.test(e.message));
});

test('a gzip bomb stops at the decompressed-size limit; open() refuses files over its limit', async () => {
  const big = new Uint8Array(4 * 1024 * 1024);
  const tar = await tarBytes([{ header: { path: 'zeros', type: 'file', mode: 0o644, size: big.length }, body: big }]);
  const layer = layerFromTar(tar);
  await assert.rejects(ImageRootFS.open(imageOf([layer]), 'bomb', { maxLayerBytes: 1024 * 1024 }), (e: unknown) => e instanceof FormatError && e.code === 'limit');
  const fs = await ImageRootFS.open(imageOf([layer]), 'bomb', { maxOpenBytes: 1024 * 1024 });
  assert.equal((await fs.stat('/zeros'))?.size, big.length);
  await assert.rejects(fs.open('/zeros'), (e: unknown) => e instanceof InputError && e.code === 'limit');
  await assert.rejects(fs.readSmallFile('/zeros', 100), (e: unknown) => e instanceof InputError && e.code === 'limit');
});

test('fuzz: mutated layers give a merged tree or a FormatError/InputError, never another exception', async () => {
  const tar = rawTar([
    { name: 'etc/', type: '5' },
    { name: 'etc/passwd', type: '0', body: 'root:x:0:0::/:/bin/sh\n' },
    { name: 'lib', type: '2', linkname: 'usr/lib' },
    { name: 'usr/lib/libc.so.6', type: '0', body: 'libc' },
    { name: 'usr/lib/.wh.old', type: '0' },
    { name: 'hard', type: '1', linkname: 'etc/passwd' },
  ]);
  const rng = new Rng(5);
  for (let i = 0; i < 300; i++) {
    const mutated = mutate(tar, rng, [[0, 1024]]);
    const layer = layerFromTar(mutated, i % 2 === 0 ? 'gzip' : 'none');
    try {
      const fs = await ImageRootFS.open(imageOf([layer]), 'fuzz', { maxLayerBytes: 1024 * 1024 });
      for (const path of ['/etc/passwd', '/lib/libc.so.6', '/hard']) {
        await fs.readSmallFile(path).catch((e: unknown) => {
          if (!isFromscratchError(e)) throw e;
        });
      }
    } catch (e) {
      assert.ok(isFromscratchError(e), `mutation ${i}: ${String(e)}`);
    }
  }
});

test('files the caller asks to keep are read in the indexing pass: opening them streams no layer again', async () => {
  const layers = await Promise.all(
    [
      [dir('etc/'), file('etc/passwd', 'root:x:0:0::/:/bin/sh\n'), dir('bin/'), file('bin/app', 'old'), file('bin/other', `other${'x'.repeat(300_000)}`)],
      [dir('bin/'), file('bin/app', 'new app'), dir('lib/'), file('lib/libz.so.1', 'z'.repeat(100))],
      [dir('lib/'), file('lib/.wh.libz.so.1', '')],
    ].map(async (entries) => layerFromTar(await tarBytes(entries))),
  );
  let streams = 0;
  const counted = layers.map((l) => ({ ...l, open: () => (streams++, l.open()) }));
  const asked: string[] = [];
  const fs = await ImageRootFS.open(imageOf(counted), 'keep', {
    keep: (path) => (asked.push(path), path === 'etc/passwd' || path.startsWith('bin/app') || path.endsWith('.so.1')),
    keepBytes: 1000,
  });
  assert.equal(streams, 3, 'one stream per layer to index');
  assert.ok(asked.includes('etc/passwd') && !asked.some((p) => p.endsWith('/') || p === 'bin'), 'asked about regular files only, by cleaned path');
  assert.equal(text(await fs.readSmallFile('/etc/passwd')), 'root:x:0:0::/:/bin/sh\n');
  assert.equal(text((await (await fs.open('/bin/app')).read(0, 7))), 'new app', 'the upper layer wins over a kept lower copy');
  assert.equal(await fs.stat('/lib/libz.so.1'), undefined);
  assert.equal(streams, 3);
  assert.equal(fs.restreams, 0);
  // Bigger than a stream chunk: read to its end before the layer stream is let go.
  assert.equal(text(await fs.readSmallFile('/bin/other', 1 << 20)), `other${'x'.repeat(300_000)}`);
  assert.equal(fs.restreams, 1, 'a file not kept is read by streaming its layer again');
  assert.equal(streams, 4);

  // Past the byte budget files are not kept, and are still read right.
  const small = await ImageRootFS.open(imageOf(layers), 'keep', { keep: () => true, keepBytes: 4 });
  assert.equal(text(await small.readSmallFile('/bin/app')), 'new app');
  assert.equal(small.restreams, 1);
});
