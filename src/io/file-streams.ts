import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';

/**
 * File streams for layers and blobs, in 1 MiB pieces instead of Node's
 * 64 KiB (reads) and 16 KiB (writes): every piece is a trip through libuv's
 * thread pool, and a 50 MB layer that is read, hashed and copied a few times
 * over spent more time in those hand-offs than in the copying itself.
 */
export const FILE_STREAM_CHUNK = 1024 * 1024;

export function readFileStream(path: string, options: { start?: number; end?: number } = {}): ReadStream {
  return createReadStream(path, { ...options, highWaterMark: FILE_STREAM_CHUNK });
}

export function writeFileStream(path: string, options: { flags?: string; mode?: number } = {}): WriteStream {
  return createWriteStream(path, { ...options, highWaterMark: FILE_STREAM_CHUNK });
}
