import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readFileStream } from '../io/file-streams.js';
import { PromiseMemo } from '../util/memo.js';
import { digestHex } from './blob-streams.js';
import { blobLayer } from './oci-layout.js';
import { writeBlob } from './oci-layout-writer.js';
import type { Image, Layer } from './types.js';
import { withLayers } from './wrap.js';

/** More layers than any image has: the memo never starts afresh (and a kept file would be found again anyway). */
const MAX_SPOOLED_BLOBS = 4096;

/**
 * Layer blobs kept in files the first time they are read, so a reader that
 * goes over an image's layers twice reads each blob from its source once:
 * `build --base docker://...` indexes the base's files, then passes its
 * layers through, and downloaded every layer both times. Each blob is
 * written as a layout writes one (verified against its digest on the way
 * in, through a temp file); a failed download leaves nothing behind and
 * the next read tries again. Wraps an image, never copies one: only what
 * is read is kept.
 */
export class BlobSpool {
  /** Blob digest → the file it is (being) kept in. */
  private readonly files = new PromiseMemo<string>(MAX_SPOOLED_BLOBS);

  /** `dir`: where the blobs go, a private directory its owner removes (the build's work directory). */
  constructor(
    private readonly dir: string,
    private readonly where: string,
  ) {}

  /** `image` with its layers read through the spool. */
  image(image: Image): Image {
    return withLayers(image, (layers) => Promise.all(layers.map(async (layer) => blobLayer(layer.descriptor, await layer.diffId(), () => this.open(layer), this.where))));
  }

  private async open(layer: Layer): Promise<Readable> {
    const path = await this.files.get(layer.descriptor.digest, async () => {
      await mkdir(this.dir, { recursive: true });
      await writeBlob(this.dir, { descriptor: layer.descriptor, open: () => layer.open() });
      return join(this.dir, digestHex(layer.descriptor.digest, this.where));
    });
    return readFileStream(path);
  }
}
