import { readFile } from 'node:fs/promises';
import { readOciLayout } from '../image/oci-layout.js';
import { layerFromTar, memoryImage, type LayerInput } from '../image/memory.js';
import type { ContainerConfig, Image } from '../image/types.js';
import type { TarInput } from '../layer/index.js';
import { tarBytes } from '../testing/image-fixtures.js';

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
