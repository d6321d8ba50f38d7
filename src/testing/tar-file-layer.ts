import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { LayerInput } from '../image/memory.js';
import { MEDIA_TYPES, type Digest } from '../image/types.js';

/**
 * A layer stored as an uncompressed tar file on disk, for images too big to
 * hold in memory (a Debian root, the bench's 100 MB image): the digest is
 * computed by streaming the file once; every open() streams it again.
 */
export async function layerFromTarFile(path: string, digest?: Digest): Promise<LayerInput> {
  const size = (await stat(path)).size;
  let known = digest;
  if (known === undefined) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    known = `sha256:${hash.digest('hex')}` as Digest;
  }
  return {
    descriptor: { mediaType: MEDIA_TYPES.ociLayer, digest: known, size },
    diffId: known,
    open: async () => createReadStream(path),
    uncompressed: async () => createReadStream(path),
  };
}
