import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';

/**
 * A blob's bytes read once, front to back, for an upload: each request
 * takes the next part as a stream (so reading, hashing, sending and the
 * registry's writing overlap, and no chunk is held in memory), and every
 * byte handed out is hashed, so the end can tell whether the stream was
 * the blob its descriptor names. To go back (a resumed upload), open the
 * blob again and skip: a cursor never rewinds.
 */
export class BlobCursor {
  private readonly iterator: AsyncIterator<Buffer>;
  private leftover: Buffer | undefined;
  private readonly hash = createHash('sha256');
  /** Bytes handed out (or skipped) so far. */
  position = 0;

  constructor(
    private readonly stream: Readable,
    /** Names the blob in messages ("host: upload of repo@sha256:…"). */
    private readonly name: string,
  ) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** The next piece of at most `max` bytes, or undefined at the end of the stream. */
  private async next(max: number): Promise<Buffer | undefined> {
    let piece = this.leftover;
    this.leftover = undefined;
    if (piece === undefined) {
      const read = await this.iterator.next();
      if (read.done) return undefined;
      piece = read.value;
    }
    if (piece.length > max) {
      this.leftover = piece.subarray(max);
      piece = piece.subarray(0, max);
    }
    this.hash.update(piece);
    this.position += piece.length;
    return piece;
  }

  private short(wanted: number): RegistryError {
    return new RegistryError('DIGEST_INVALID', `${this.name}: the blob's stream ended after ${this.position} bytes, its descriptor says ${wanted}`);
  }

  /** The next `length` bytes as a stream, which fails (DIGEST_INVALID) if the blob ends first. */
  part(length: number): Readable {
    const end = this.position + length;
    const self = this;
    async function* pieces(): AsyncGenerator<Buffer> {
      while (self.position < end) {
        const piece = await self.next(end - self.position);
        if (piece === undefined) throw self.short(end);
        yield piece;
      }
    }
    return Readable.from(pieces(), { objectMode: false });
  }

  /** The next `length` bytes whole (a small blob's monolithic upload). */
  async read(length: number): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for await (const piece of this.part(length)) pieces.push(piece as Buffer);
    return Buffer.concat(pieces, length);
  }

  /** Reads (and hashes) `count` bytes without handing them out: where a resumed upload continues. */
  async skip(count: number): Promise<void> {
    const end = this.position + count;
    while (this.position < end) {
      if ((await this.next(end - this.position)) === undefined) throw this.short(end);
    }
  }

  /**
   * Checks, once everything declared was handed out, that the stream ends
   * there and its bytes have the descriptor's digest (sha256 only; other
   * algorithms are left to the registry).
   */
  async verify(size: number, digest: string): Promise<void> {
    if ((await this.next(1)) !== undefined) {
      throw new RegistryError('DIGEST_INVALID', `${this.name}: the blob's stream has more than the ${size} bytes its descriptor says`);
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (digest.startsWith('sha256:') && actual !== digest) {
      throw new RegistryError('DIGEST_INVALID', `${this.name}: the blob's bytes have digest ${actual}, its descriptor says ${digest}`);
    }
  }

  destroy(): void {
    this.stream.destroy();
  }
}
