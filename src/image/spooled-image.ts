import { mkdtemp, rename, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readFileStream } from '../io/file-streams.js';
import { verifyingStream } from '../layer/index.js';
import { digestHex } from './blob-streams.js';
import { blobLayer } from './oci-layout.js';
import { streamToNewFile } from './oci-layout-writer.js';
import type { Image, Layer } from './types.js';
import { withLayers } from './wrap.js';

/**
 * Layer blobs kept in files of a private temp directory the first time
 * they are read, so a reader that goes over an image's layers twice reads
 * each blob from its source once: `build --base docker://...` indexes the
 * base's files, then passes its layers through, and downloaded every layer
 * both times. Each blob is verified against its digest on the way in; a
 * failed download leaves nothing behind and the next read tries again.
 * Wraps an image, never copies one: only what is read is kept.
 */
export class BlobSpool {
  /** Blob digest → the file it is (being) kept in. */
  private readonly files = new Map<string, Promise<string>>();

  private constructor(private readonly dir: string) {}

  static async create(): Promise<BlobSpool> {
    return new BlobSpool(await mkdtemp(join(tmpdir(), 'fromscratch-spool-')));
  }

  /** `image` with its layers read through the spool. */
  image(image: Image, where: string): Image {
    return withLayers(image, (layers) => Promise.all(layers.map(async (layer) => this.layer(layer, where))));
  }

  /** Removes every kept blob; the images it wrapped must not be read afterwards. */
  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async layer(layer: Layer, where: string): Promise<Layer> {
    return blobLayer(layer.descriptor, await layer.diffId(), () => this.open(layer, where), where);
  }

  private async open(layer: Layer, where: string): Promise<Readable> {
    const digest = layer.descriptor.digest;
    let file = this.files.get(digest);
    if (file === undefined) {
      file = this.keep(layer, where);
      this.files.set(digest, file);
      file.catch(() => this.files.delete(digest));
    }
    return readFileStream(await file);
  }

  private async keep(layer: Layer, where: string): Promise<string> {
    const path = join(this.dir, digestHex(layer.descriptor.digest, where));
    const partial = `${path}.partial`;
    try {
      await streamToNewFile(verifyingStream(await layer.open(), layer.descriptor, `${where}: blob ${layer.descriptor.digest}`), partial);
      await rename(partial, path);
      return path;
    } catch (e) {
      await unlink(partial).catch(() => undefined);
      throw e;
    }
  }
}
