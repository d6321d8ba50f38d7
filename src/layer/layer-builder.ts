import { writeFileStream } from '../io/file-streams.js';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { InputError, isFromscratchError } from '../errors.js';
import { temporaryPathBeside } from '../io/atomic.js';
import { type Digest, MEDIA_TYPES } from '../image/types.js';
import { DigestStream } from './digest.js';
import { gzipParallel } from './gzip.js';
import { type TarInput, writeTar } from './tar-writer.js';
import { zstdCompress } from './zstd.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/**
 * Turns tar entries into a layer blob on disk in one streaming pass:
 * tar → digest (diff_id) → gzip → digest (blob digest, size) → file.
 * No stage holds more than a block, so a layer of any size fits in memory.
 */

export interface BuildLayerOptions {
  /** Where the blob is written (a temp or blobs directory on the target file system). */
  readonly directory: string;
  readonly compression: LayerCompression;
  /** gzip level (default 6) or zstd level (default 3). */
  readonly level?: number;
  /** Parallel gzip blocks (default: every core). Does not change the bytes. */
  readonly concurrency?: number;
  /** gzip block size (default 128 KiB). Changes the bytes, so keep it fixed for reproducible digests. */
  readonly blockSize?: number;
  /** Called with each chunk of tar bytes as it goes in (progress). */
  readonly onBytes?: (bytes: number) => void;
}

export const LAYER_MEDIA_TYPES: Readonly<Record<LayerCompression, string>> = {
  gzip: MEDIA_TYPES.ociLayerGzip,
  zstd: MEDIA_TYPES.ociLayerZstd,
  none: MEDIA_TYPES.ociLayer,
};

export interface BuiltLayer {
  /** The blob file: `<directory>/<hex of digest>`. The caller moves or deletes it. */
  readonly path: string;
  /** Digest of the blob as stored (compressed for gzip). */
  readonly digest: Digest;
  /** Size of the blob as stored, in bytes. */
  readonly size: number;
  /** Digest of the uncompressed tar: the config's rootfs.diff_ids entry. */
  readonly diffId: Digest;
  /** Size of the uncompressed tar, in bytes. */
  readonly uncompressedSize: number;
  readonly mediaType: string;
}

/**
 * Writes the layer for `entries` into `options.directory`. The file appears
 * under its final name only when complete (written to a temp name, then
 * renamed); on failure nothing is left behind and the error is rethrown
 * (tar validation errors are FormatErrors; file-system errors InputError 'io').
 */
export async function buildLayer(entries: AsyncIterable<TarInput> | Iterable<TarInput>, options: BuildLayerOptions): Promise<BuiltLayer> {
  const tempPath = temporaryPathBeside(join(options.directory, 'layer'));
  const diffDigest = new DigestStream(options.onBytes);
  // Uncompressed, the stored bytes are the tar: its digest is the blob's too.
  const blobDigest = options.compression === 'none' ? undefined : new DigestStream();
  // The callback form returns the last stream and forwards any tar error into it, where the next stage sees it.
  const tar = pipeline(writeTar(entries), diffDigest, () => undefined);
  const level = options.level !== undefined ? { level: options.level } : {};
  const stored =
    options.compression === 'gzip'
      ? gzipParallel(tar, {
          ...level,
          ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
          ...(options.blockSize !== undefined && { blockSize: options.blockSize }),
        })
      : options.compression === 'zstd'
        ? zstdCompress(tar, level)
        : tar;
  try {
    const written = blobDigest ?? diffDigest;
    if (blobDigest) await pipelineAsync(stored, blobDigest, writeFileStream(tempPath, { flags: 'wx' }));
    else await pipelineAsync(stored, writeFileStream(tempPath, { flags: 'wx' }));
    const digest = written.digest();
    const finalPath = join(options.directory, digest.slice('sha256:'.length));
    await rename(tempPath, finalPath);
    return {
      path: finalPath,
      digest,
      size: written.size,
      diffId: diffDigest.digest(),
      uncompressedSize: diffDigest.size,
      mediaType: LAYER_MEDIA_TYPES[options.compression],
    };
  } catch (error) {
    await rm(tempPath, { force: true });
    if (isFromscratchError(error)) throw error;
    throw new InputError('io', `${options.directory}: cannot write layer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

