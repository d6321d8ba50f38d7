import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { LayerInput } from '../image/memory.js';
import { readFileStream } from '../io/file-streams.js';
import { MEDIA_TYPES, type Digest } from '../image/types.js';

/**
 * A layer stored as an uncompressed tar file on disk, for images too big to
 * hold in memory (the test set-up's Debian root): the digest is
 * computed by streaming the file once; every open() streams it again.
 */
export async function layerFromTarFile(path: string, digest?: Digest): Promise<LayerInput> {
  const size = (await stat(path)).size;
  let known = digest;
  if (known === undefined) {
    const hash = createHash('sha256');
    for await (const chunk of readFileStream(path)) hash.update(chunk as Buffer);
    known = `sha256:${hash.digest('hex')}` as Digest;
  }
  return {
    descriptor: { mediaType: MEDIA_TYPES.ociLayer, digest: known, size },
    diffId: known,
    open: async () => readFileStream(path),
    uncompressed: async () => readFileStream(path),
  };
}
