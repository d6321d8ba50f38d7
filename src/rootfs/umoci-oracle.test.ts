import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeImageReference } from '../image/open-reference.js';
import { layerFromTar, memoryImage } from '../image/memory.js';
import { parseImageReference } from '../image/refs.js';
import type { TarInput } from '../layer/index.js';
import { tarBytes } from '../testing/image-fixtures.js';
import { run } from '../testing/process.js';
import type { RootFS } from '../fs/rootfs.js';
import { ImageRootFS } from './image-fs.js';

/**
 * The oracle for the merged tree: umoci applies the same layers to a real
 * directory (whiteouts, opaque directories, hard links, replacements), and
 * every path, kind, mode, link target and file content must agree.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-rootfs-umoci-'));
after(() => rm(work, { recursive: true, force: true }));
const enc = new TextEncoder();

function file(path: string, content: string, mode = 0o644): TarInput {
  const body = enc.encode(content);
  return { header: { path, type: 'file', mode, size: body.length }, body };
}
const dir = (path: string, mode = 0o755): TarInput => ({ header: { path, type: 'dir', mode } });
const symlink = (path: string, linkname: string): TarInput => ({ header: { path, type: 'symlink', mode: 0o777, linkname } });
const hardlink = (path: string, linkname: string): TarInput => ({ header: { path, type: 'hardlink', mode: 0o644, linkname } });

type Tree = Map<string, string>;

/** path → "kind mode detail", from the directory umoci unpacked. */
async function hostTree(root: string, rel = ''): Promise<Tree> {
  const tree: Tree = new Map();
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = `${rel}/${name}`;
    const st = await lstat(join(root, path));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) tree.set(path, `symlink ${await readlink(join(root, path))}`);
    else if (st.isDirectory()) {
      tree.set(path, `dir ${mode}`);
      for (const [k, v] of await hostTree(root, path)) tree.set(k, v);
    } else tree.set(path, `file ${mode} ${await readFile(join(root, path), 'utf8')}`);
  }
  return tree;
}

/** The same description from our merged tree, without following symlinks. */
async function imageTree(fs: RootFS, rel = ''): Promise<Tree> {
  const tree: Tree = new Map();
  for (const name of (await fs.list(rel || '/')) ?? []) {
    const path = `${rel}/${name}`;
    const info = await fs.lstat(path);
    assert.ok(info, path);
    const mode = info.mode.toString(8);
    if (info.kind === 'symlink') tree.set(path, `symlink ${await fs.readlink(path)}`);
    else if (info.kind === 'dir') {
      tree.set(path, `dir ${mode}`);
      for (const [k, v] of await imageTree(fs, path)) tree.set(k, v);
    } else tree.set(path, `file ${mode} ${new TextDecoder().decode(await fs.readSmallFile(path))}`);
  }
  return tree;
}

test('the merged tree equals what umoci unpacks from the same layers', async () => {
  const layers = [
    [dir('lib/'), file('lib/libc.so.6', 'libc', 0o755), file('lib/libm.so.6', 'libm'), dir('opt/'), dir('opt/old/'), file('opt/old/a', 'a'), file('opt/keep', 'k'), dir('etc/'), file('etc/passwd', 'root'), dir('was-dir/'), file('was-dir/x', 'x'), file('was-file', 'f')],
    [file('lib/.wh.libm.so.6', ''), file('opt/.wh.old', ''), dir('etc/', 0o750), file('etc/.wh..wh..opq', ''), file('etc/group', 'g'), file('was-dir', 'now a file', 0o600), dir('was-file/'), file('was-file/y', 'y'), symlink('lib64', 'lib'), hardlink('opt/hard', 'opt/keep')],
    [dir('usr/'), dir('usr/bin/'), file('usr/bin/tool', 'tool', 0o755), symlink('bin', 'usr/bin'), file('.wh.lib64', ''), symlink('lib64', '/lib')],
  ];
  const image = memoryImage({
    config: { architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/usr/bin/tool'] } },
    layers: await Promise.all(layers.map(async (entries) => layerFromTar(await tarBytes(entries)))),
  });
  const layout = join(work, 'layout');
  await writeImageReference(parseImageReference(`oci:${layout}:t`), { kind: 'image', image });
  const bundle = join(work, 'bundle');
  const unpacked = await run('umoci', ['unpack', '--image', `${layout}:t`, bundle], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  assert.equal(unpacked.code, 0, unpacked.stderr);
  const expected = await hostTree(join(bundle, 'rootfs'));
  const actual = await imageTree(await ImageRootFS.open(image, 'umoci-case'));
  assert.deepEqual([...actual.entries()], [...expected.entries()]);
  // Spot checks, so an empty tree on both sides cannot pass.
  assert.equal(actual.get('/was-dir'), 'file 600 now a file');
  assert.equal(actual.get('/opt/hard'), 'file 644 k');
  assert.equal(actual.has('/lib/libm.so.6'), false);
});
