import type { Readable } from 'node:stream';
import { FormatError, InputError, isFromscratchError } from '../errors.js';

/**
 * Sequential reads of exact byte counts from a stream whose chunks arrive in
 * any sizes. Holds at most one source chunk plus what one `readExactly` asks
 * for, so memory follows the caller's requests, never the stream's length.
 */
export class ChunkReader {
  private readonly chunks: AsyncIterator<unknown>;
  private current: Uint8Array = new Uint8Array(0);
  private position = 0;
  private ended = false;

  constructor(
    input: Readable,
    private readonly name: string,
  ) {
    this.chunks = input[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes (never 0 while data remains), or null at the end of the stream. */
  async readUpTo(max: number): Promise<Uint8Array | null> {
    while (this.position >= this.current.length) {
      if (this.ended) return null;
      let next: IteratorResult<unknown>;
      try {
        next = await this.chunks.next();
      } catch (error) {
        if (isFromscratchError(error)) throw error;
        throw new InputError('io', `${this.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (next.done === true) {
        this.ended = true;
        return null;
      }
      this.current = toBytes(next.value, this.name);
      this.position = 0;
    }
    const length = Math.min(max, this.current.length - this.position);
    const slice = this.current.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }

  /**
   * Exactly `length` bytes; null if the stream ends before the first byte
   * (a clean end), FormatError('truncated') if it ends part way.
   */
  async readExactly(length: number, what: string): Promise<Uint8Array | null> {
    const first = await this.readUpTo(length);
    if (first === null) return length === 0 ? new Uint8Array(0) : null;
    if (first.length === length) return first;
    const out = new Uint8Array(length);
    out.set(first, 0);
    let filled = first.length;
    while (filled < length) {
      const piece = await this.readUpTo(length - filled);
      if (piece === null) throw new FormatError('truncated', `${this.name}: truncated ${what} (${filled} of ${length} bytes)`);
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }

  /** Discards `length` bytes; FormatError('truncated') if the stream ends first. */
  async skip(length: number, what: string): Promise<void> {
    let left = length;
    while (left > 0) {
      const piece = await this.readUpTo(Math.min(left, 1 << 20));
      if (piece === null) throw new FormatError('truncated', `${this.name}: truncated ${what} (${length - left} of ${length} bytes)`);
      left -= piece.length;
    }
  }

  /** Reads and drops whatever remains (trailing padding after the end marker), so digests over the source complete. */
  async drain(): Promise<void> {
    while ((await this.readUpTo(1 << 20)) !== null) {
      // discard
    }
  }

  /** Stops the source early (the consumer abandoned the archive). */
  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}

function toBytes(value: unknown, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new InputError('io', `${name}: the input stream produced a chunk that is not bytes`);
}
