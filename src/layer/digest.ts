import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { FormatError, InputError, isFromscratchError } from '../errors.js';
import type { Digest } from '../image/types.js';

/**
 * Content digests for blobs, computed while the bytes stream past so that no
 * blob (a layer can be gigabytes) ever has to be held in memory to be named.
 */

const SHA256_PREFIX = 'sha256:';
const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** "sha256:<hex>" of bytes already in memory (manifests, configs). */
export function sha256Digest(bytes: Uint8Array | string): Digest {
  return SHA256_PREFIX + createHash('sha256').update(bytes).digest('hex');
}

/** True for a well-formed "sha256:<64 lowercase hex>" digest. */
export function isSha256Digest(value: string): boolean {
  return DIGEST_PATTERN.test(value);
}

/**
 * Passes bytes through unchanged while hashing and counting them. `digest()`
 * and `size` are final once the stream has ended ('finish' on the writable
 * side, or 'end' after the readable side is drained).
 */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private byteCount = 0;
  private finalDigest: Digest | undefined;

  /** `onBytes` hears each chunk's size as it passes (progress), at no extra pipeline stage. */
  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.byteCount += chunk.length;
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.finalDigest = SHA256_PREFIX + this.hash.digest('hex');
    callback();
  }

  /** Bytes seen so far (the total once the stream has ended). */
  get size(): number {
    return this.byteCount;
  }

  /** The digest of everything that passed; throws if asked before the stream ended. */
  digest(): Digest {
    if (this.finalDigest === undefined) throw new Error('DigestStream.digest() called before the stream ended');
    return this.finalDigest;
  }
}

/** What a blob is expected to be: the two fields of an OCI descriptor that pin its content. */
export interface ExpectedContent {
  readonly digest: Digest;
  readonly size: number;
}

/**
 * Wraps `input` so that its bytes pass through only if they are exactly the
 * expected blob. A stream longer than the declared size fails as soon as the
 * extra byte arrives (a hostile registry cannot make us read forever); a
 * digest or a short size fails at the end, before the consumer sees 'end'.
 * Errors are FormatError('malformed') naming `name`; errors of `input`
 * itself are passed on (wrapped in an InputError('io') if they are not ours).
 */
export function verifyingStream(input: Readable, expected: ExpectedContent, name: string): Readable {
  if (!isSha256Digest(expected.digest)) {
    throw new FormatError('unsupported', `${name}: unsupported digest ${JSON.stringify(expected.digest)} (expected sha256:<64 hex>)`);
  }
  if (!Number.isSafeInteger(expected.size) || expected.size < 0) {
    throw new FormatError('malformed', `${name}: invalid declared size ${expected.size}`);
  }
  // Already a verifier of this very content (a registry or layout blob handed to a layout writer or a layer
  // scan): a second one would hash every byte again and could never fail first.
  const prior = verifiedAs.get(input);
  if (prior !== undefined && prior.digest === expected.digest && prior.size === expected.size) return input;
  const hash = createHash('sha256');
  let seen = 0;
  const verifier = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > expected.size) {
        callback(new FormatError('malformed', `${name}: size mismatch: expected ${expected.size} bytes, got more`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (seen !== expected.size) {
        callback(new FormatError('malformed', `${name}: size mismatch: expected ${expected.size} bytes, got ${seen}`));
        return;
      }
      const actual = SHA256_PREFIX + hash.digest('hex');
      if (actual !== expected.digest) {
        callback(new FormatError('malformed', `${name}: digest mismatch: expected ${expected.digest}, got ${actual}`));
        return;
      }
      callback();
    },
  });
  input.on('error', (error: unknown) => {
    verifier.destroy(
      isFromscratchError(error)
        ? error
        : new InputError('io', `${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }),
    );
  });
  // When the consumer gives up (or verification fails) stop the source too.
  verifier.on('close', () => {
    if (!input.destroyed) input.destroy();
  });
  input.pipe(verifier);
  verifiedAs.set(verifier, { digest: expected.digest, size: expected.size });
  return verifier;
}

/** The content each stream verifyingStream made checks its bytes against. */
const verifiedAs = new WeakMap<Readable, ExpectedContent>();
