import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readOciLayout } from '../image/oci-layout.js';
import { layerFromTar, memoryImage, type LayerInput } from '../image/memory.js';
import type { ContainerConfig, Image } from '../image/types.js';
import { withLayers, withOpen } from '../image/wrap.js';
import type { TarInput } from '../layer/index.js';
import { tarBytes } from '../testing/image-fixtures.js';
import { run } from '../testing/process.js';

/**
 * Test helpers: images `check` is asked about, built by `fromscratch build`
 * or assembled here to be broken in one known way.
 */

export async function layoutImage(dir: string, tag: string): Promise<Image> {
  const root = await readOciLayout(dir, tag);
  if (root.kind !== 'image') throw new Error(`${dir}:${tag} is an index`);
  return root.image;
}

/** The stored layers of `image` as LayerInputs, so a new image can stack more on top. */
export async function layerInputs(image: Image): Promise<LayerInput[]> {
  return Promise.all(
    (await image.layers()).map(async (l) => ({ descriptor: l.descriptor, diffId: await l.diffId(), open: () => l.open(), uncompressed: () => l.uncompressed() })),
  );
}

/** `image` with one more layer and its container config changed by `patch`. */
export async function extendImage(image: Image, entries: readonly TarInput[], patch: Partial<ContainerConfig> = {}): Promise<Image> {
  const config = await image.config();
  const layers = [...(await layerInputs(image)), ...(entries.length > 0 ? [layerFromTar(await tarBytes(entries))] : [])];
  const { rootfs: _ignored, ...rest } = config;
  return memoryImage({ config: { ...rest, config: { ...config.config, ...patch } }, layers });
}

/** One host file put at `path` in an otherwise empty image. */
export async function singleFileImage(hostFile: string, path: string, options: { mode?: number; architecture?: string; config?: ContainerConfig } = {}): Promise<Image> {
  const body = new Uint8Array(await readFile(hostFile));
  const relative = path.replace(/^\/+/, '');
  const dirs = relative.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/') + '/');
  const tar = await tarBytes([
    ...dirs.map((d): TarInput => ({ header: { path: d, type: 'dir', mode: 0o755 } })),
    { header: { path: relative, type: 'file', mode: options.mode ?? 0o755, size: body.length }, body },
  ]);
  return memoryImage({
    config: { architecture: options.architecture ?? 'amd64', os: 'linux', config: options.config ?? { Entrypoint: [path] } },
    layers: [layerFromTar(tar)],
  });
}

const enc = new TextEncoder();

/** A regular file entry (`path` without the leading "/"). */
export function fileEntry(path: string, body: Uint8Array | string, mode = 0o644): TarInput {
  const bytes = typeof body === 'string' ? enc.encode(body) : body;
  return { header: { path: path.replace(/^\/+/, ''), type: 'file', mode, size: bytes.length }, body: bytes };
}

/** The whiteout entry that deletes `path` (absolute, in the image) from the layers below. */
export function whiteoutEntry(path: string): TarInput {
  const parts = path.replace(/^\/+/, '').split('/');
  return fileEntry([...parts.slice(0, -1), `.wh.${parts[parts.length - 1]}`].join('/'), new Uint8Array());
}

/** The opaque marker that hides what lower layers put in directory `dir`. */
export function opaqueEntry(dir: string): TarInput {
  return fileEntry(`${dir.replace(/^\/+|\/+$/g, '')}/.wh..wh..opq`, new Uint8Array());
}

/** ldd's answer for a host binary: library name → host path (the oracle for what the loader needs). */
export async function lddLibraries(binary: string): Promise<Map<string, string>> {
  const result = await run('ldd', [binary]);
  if (result.code !== 0) throw new Error(`ldd ${binary}: ${result.stderr}`);
  const map = new Map<string, string>();
  for (const m of result.stdout.matchAll(/^\s*(\S+) => (\S+) \(/gm)) map.set(m[1] as string, m[2] as string);
  return map;
}

/**
 * A dynamic glibc binary in a merged-usr image, as Debian 12 lays it out:
 * /lib -> usr/lib and /lib64 -> usr/lib64 are symlinks, the loader and the
 * libraries ldd names live under /usr only, and there is no ld.so.cache
 * (the loader's built-in multiarch directories find them).
 */
export async function mergedUsrImage(binary: string, path: string): Promise<Image> {
  const libraries = await lddLibraries(binary);
  const loaderHost = (await run('readelf', ['-l', '-W', binary])).stdout.match(/Requesting program interpreter: (\S+)\]/)?.[1];
  if (loaderHost === undefined) throw new Error(`${binary} has no PT_INTERP`);
  const entries: TarInput[] = [
    { header: { path: 'usr/', type: 'dir', mode: 0o755 } },
    { header: { path: 'usr/lib/', type: 'dir', mode: 0o755 } },
    { header: { path: 'usr/lib/x86_64-linux-gnu/', type: 'dir', mode: 0o755 } },
    { header: { path: 'usr/lib64/', type: 'dir', mode: 0o755 } },
    { header: { path: 'lib', type: 'symlink', mode: 0o777, linkname: 'usr/lib' } },
    { header: { path: 'lib64', type: 'symlink', mode: 0o777, linkname: 'usr/lib64' } },
    fileEntry(`usr/lib64/${loaderHost.split('/').pop() as string}`, new Uint8Array(await readFile(loaderHost)), 0o755),
  ];
  for (const [name, host] of libraries) entries.push(fileEntry(`usr/lib/x86_64-linux-gnu/${name}`, new Uint8Array(await readFile(host)), 0o755));
  const body = new Uint8Array(await readFile(binary));
  const relative = path.replace(/^\/+/, '');
  entries.push({ header: { path: `${relative.split('/').slice(0, -1).join('/')}/`, type: 'dir', mode: 0o755 } }, fileEntry(relative, body, 0o755));
  return memoryImage({ config: { architecture: 'amd64', os: 'linux', config: { Entrypoint: [path] } }, layers: [layerFromTar(await tarBytes(entries))] });
}

/**
 * An "old libc": a shared object named libc.so.6 that defines only the
 * GLIBC_2.2.5 version (and one function), built with gcc in `work`.
 */
export async function oldLibc(work: string): Promise<Uint8Array> {
  const src = join(work, 'oldc.c');
  const map = join(work, 'oldc.map');
  const lib = join(work, 'libc.so.6');
  await writeFile(src, 'int old_function(void) { return 1; }\n');
  await writeFile(map, 'GLIBC_2.2.5 { global: old_function; local: *; };\n');
  const gcc = await run('gcc', ['-shared', '-fPIC', '-nostdlib', '-o', lib, '-Wl,-soname,libc.so.6', `-Wl,--version-script=${map}`, src]);
  if (gcc.code !== 0) throw new Error(`gcc: ${gcc.stderr}`);
  return new Uint8Array(await readFile(lib));
}

/** `image` with a counter of how many times its layers' blobs are opened (streamed). */
export async function countingImage(image: Image): Promise<{ image: Image; streams: () => number }> {
  let streams = 0;
  const layers = (await image.layers()).map((l) => withOpen(l, () => (streams++, l.open())));
  return { image: withLayers(image, () => layers), streams: () => streams };
}
