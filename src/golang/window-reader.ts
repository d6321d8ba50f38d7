import { FormatError } from '../errors.js';
import { decodeUtf8 } from '../io/bytes.js';
import { borrowChunkBuffer, returnChunkBuffer } from '../io/buffer-pool.js';
import { readChunk, type ByteSource } from '../io/source.js';

/** Bytes a window holds at least (a 10 MB table costs one of these, not ten). */
const CHUNK = 1 << 20;

/**
 * Random access to [base, base+size) of a file through one cached window:
 * the functab walk jumps between the functab, `_func` records and names,
 * which mostly sit close together, so one window serves many reads. The
 * window is a borrowed chunk buffer: `release` gives it back.
 */
export class WindowReader {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;
  private buffer: Uint8Array | undefined;

  constructor(
    private readonly source: ByteSource,
    private readonly base: number,
    private readonly size: number,
    private readonly littleEndian: boolean,
    private readonly where: string,
  ) {}

  private view: DataView = new DataView(new ArrayBuffer(0));

  /** At least `length` bytes at table offset `at` (more when the window has them). */
  private async bytesAt(at: number, length: number): Promise<{ bytes: Uint8Array; index: number }> {
    if (!Number.isSafeInteger(at) || at < 0 || at + length > this.size) {
      throw new FormatError('malformed', `${this.where} offset ${at} is outside the ${this.size}-byte table`);
    }
    if (!this.holds(at, length)) {
      const windowLength = Math.min(Math.max(CHUNK, length), this.size - at);
      this.buffer ??= borrowChunkBuffer();
      // Empty while the buffer is read into: a read that fails leaves no window over half-overwritten bytes.
      this.clear();
      this.window = await readChunk(this.source, this.buffer, this.base + at, windowLength);
      this.windowStart = at;
      this.view = new DataView(this.window.buffer, this.window.byteOffset, this.window.length);
    }
    return { bytes: this.window, index: at - this.windowStart };
  }

  /** Gives the window's buffer back; the reader reads no more. */
  release(): void {
    if (this.buffer !== undefined) returnChunkBuffer(this.buffer);
    this.buffer = undefined;
    this.clear();
  }

  /** No window. */
  private clear(): void {
    this.window = new Uint8Array(0);
    this.view = new DataView(new ArrayBuffer(0));
    this.windowStart = 0;
  }

  private holds(at: number, length: number): boolean {
    return at >= this.windowStart && at + length <= this.windowStart + this.window.length;
  }

  /**
   * What the window holds now: table offsets [start, end) through `view`
   * (index = offset - start). For loops that read many fields of a held
   * stretch inline, without a call per field.
   */
  held(): { readonly view: DataView; readonly start: number; readonly end: number } {
    return { view: this.view, start: this.windowStart, end: this.windowStart + this.window.length };
  }

  /**
   * The synchronous path: the value when the window already holds it, else
   * undefined (then call the async reader). Walking tens of thousands of
   * functab entries one await per field cost more than the walk itself.
   */
  peekU32(at: number): number | undefined {
    return this.holds(at, 4) ? this.view.getUint32(at - this.windowStart, this.littleEndian) : undefined;
  }
  peekI32(at: number): number | undefined {
    return this.holds(at, 4) ? this.view.getInt32(at - this.windowStart, this.littleEndian) : undefined;
  }

  async word(at: number, size: 4 | 8): Promise<number> {
    await this.bytesAt(at, size);
    const index = at - this.windowStart;
    if (size === 4) return this.view.getUint32(index, this.littleEndian);
    const value = this.view.getBigUint64(index, this.littleEndian);
    // Only an offset can come out of here, and no file is 2^32 bytes past its table: larger is corrupt.
    if (value > 0xffffffffn) throw new FormatError('malformed', `${this.where} holds offset ${value}, beyond any table`);
    return Number(value);
  }

  async u32(at: number): Promise<number> {
    await this.bytesAt(at, 4);
    return this.view.getUint32(at - this.windowStart, this.littleEndian);
  }

  async i32(at: number): Promise<number> {
    await this.bytesAt(at, 4);
    return this.view.getInt32(at - this.windowStart, this.littleEndian);
  }

  /** The NUL-terminated string at `at`, whose NUL must come within `max` bytes. */
  async cstring(at: number, max: number): Promise<string> {
    const { bytes, index } = await this.bytesAt(at, Math.max(0, max));
    const nul = bytes.indexOf(0, index);
    if (nul < 0 || nul >= index + max) throw new FormatError('malformed', `${this.where} name at offset ${at} has no NUL within ${max} bytes`);
    return decodeUtf8(bytes.subarray(index, nul));
  }
}
