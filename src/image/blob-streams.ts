import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { FormatError } from '../errors.js';
import type { Digest } from './types.js';

/**
 * The few byte-stream helpers the image backends share: hashing, reading a
 * small blob whole under a cap, and the digest/path rules every backend
 * enforces before a digest names a file.
 */

export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Manifests, indexes and configs are small; anything bigger is hostile or not one. */
export const MAX_JSON_BLOB = 8 * 1024 * 1024;

export function sha256Of(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part of a sha256 digest, after checking it is exactly that (it becomes a file name). */
export function digestHex(digest: string, where: string): string {
  if (!SHA256_DIGEST.test(digest)) {
    throw new FormatError('malformed', `${where}: ${JSON.stringify(digest.slice(0, 100))} is not a sha256 digest`);
  }
  return digest.slice('sha256:'.length);
}

/** Reads a whole stream, refusing more than `cap` bytes (the stream is destroyed then). */
export async function readAllCapped(stream: Readable, cap: number, name: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += buf.length;
      if (total > cap) throw new FormatError('limit', `${name}: larger than ${cap} bytes`);
      chunks.push(buf);
    }
  } finally {
    stream.destroy();
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** Hashes a stream to the end: its digest and size. */
export async function digestStream(stream: Readable): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export function bytesStream(bytes: Uint8Array): Readable {
  return Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)], { objectMode: false });
}

/**
 * Passes `input` through and fails at its end unless its sha256 is `digest`:
 * for streams whose size is not known up front (a decompressed layer checked
 * against its diff id).
 */
export function digestCheckingStream(input: Readable, digest: Digest, name: string): Readable {
  const hash = createHash('sha256');
  const checker = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = `sha256:${hash.digest('hex')}`;
      callback(actual === digest ? null : new FormatError('malformed', `${name}: uncompressed content is ${actual}, but the config says ${digest}`));
    },
  });
  input.on('error', (e) => checker.destroy(e));
  checker.on('close', () => {
    if (!input.destroyed) input.destroy();
  });
  return input.pipe(checker);
}
