import { isAscii } from 'node:buffer';
import { FormatError } from '../errors.js';

/**
 * Endian-aware, bounds-checked reads from one buffer. Every accessor throws a
 * 'truncated' FormatError naming `what` instead of returning garbage or
 * throwing a RangeError from DataView.
 */
export class ByteView {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    /** Name of the file (and structure) for error messages. */
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  private check(offset: number, size: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > this.bytes.length) {
      throw new FormatError('truncated', `${this.what}: field at offset ${offset} (${size} bytes) is outside its ${this.bytes.length}-byte structure`);
    }
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, this.littleEndian);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, this.littleEndian);
  }
  i32(offset: number): number {
    this.check(offset, 4);
    return this.view.getInt32(offset, this.littleEndian);
  }
  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, this.littleEndian);
  }
  /**
   * An unsigned 64-bit file offset or size as a number, past 2^53 - 1 clamped
   * to Number.MAX_SAFE_INTEGER (clampOffset's rule), without making a bigint:
   * section and program headers hold three each, read for every file of a scan.
   */
  u64Offset(offset: number): number {
    this.check(offset, 8);
    const low = this.view.getUint32(this.littleEndian ? offset : offset + 4, this.littleEndian);
    const high = this.view.getUint32(this.littleEndian ? offset + 4 : offset, this.littleEndian);
    return high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + low;
  }
  /** An unsigned word of `size` bytes (4 or 8) as a bigint. */
  word(offset: number, size: 4 | 8): bigint {
    return size === 8 ? this.u64(offset) : BigInt(this.u32(offset));
  }
  /** A sub-range as bytes (no copy). */
  slice(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  /** A NUL-terminated string starting at offset, at most maxLength bytes, decoded as latin1-safe UTF-8. */
  cstring(offset: number, maxLength = 4096): string {
    this.check(offset, 0);
    const end = Math.min(this.bytes.length, offset + maxLength);
    let i = offset;
    while (i < end && this.bytes[i] !== 0) i++;
    return decodeUtf8(this.bytes.subarray(offset, i));
  }
}

/**
 * Node's own decoders behind Buffer's toString, which take any Uint8Array.
 * Called directly: Buffer.from(...).toString() and TextDecoder run
 * JavaScript of Node's around them (encoding lookups, validation) that a
 * run compiles the first time it calls it, a cost every start-up paid for
 * the one or two strings it decodes.
 */
interface NativeDecoders {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
}
const { latin1Slice, utf8Slice } = Buffer.prototype as unknown as NativeDecoders;

/**
 * UTF-8 text of `bytes`, as TextDecoder('utf-8') gives it: an invalid
 * sequence becomes U+FFFD, and a leading byte-order mark is dropped.
 * Nearly every string in a binary (section, symbol and library names) is
 * ASCII, and the ASCII case is built directly: buffer.isAscii and
 * fromCharCode.apply over the array, not a loop per byte and a spread
 * (half the time for a scan's ~1,600 library and section names, which run
 * cold).
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length <= 64 && isAscii(bytes)) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  const ascii = asciiText(bytes);
  if (ascii !== null) return ascii;
  const text = utf8Slice.call(bytes, 0, bytes.length);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * `bytes` as one latin1 string when they are all ASCII (checked natively),
 * else null: for a table of names, each name is then a slice instead of a
 * decode of its own.
 */
export function asciiText(bytes: Uint8Array): string | null {
  return isAscii(bytes) ? latin1Text(bytes) : null;
}

/**
 * `bytes` (or bytes[start, end)) as a latin1 string, one character a byte
 * whatever the encoding, decoded natively and without a copy of the bytes
 * first: string offsets are then byte offsets, and a table of names is
 * searched with the string's native searches and regular expressions. The
 * string is one of its own: V8 makes a slice of 13 characters or more of a
 * string a view that keeps the whole string alive, so a name kept for a
 * whole scan (a library's DT_NEEDED in the linker's cache, say) is better
 * decoded from the table's bytes than sliced from its text.
 */
export function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return latin1Slice.call(bytes, start, end);
}

/** Shorter slices than this V8 copies anyway (SlicedString::kMinLength). */
export const SLICE_VIEW_MIN = 13;

/** Number.MAX_SAFE_INTEGER as a bigint, made once: a BigInt() per comparison was an allocation per header field. */
export const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A file offset from a header as a number. Offsets past 2^53 cannot be in
 * any file we read, so they become MAX_SAFE_INTEGER: every later read of
 * them fails the ordinary range check with a 'truncated' FormatError, and
 * parsing that can go on without them does.
 */
export function clampOffset(value: bigint): number {
  return value > MAX_SAFE_BIGINT ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** Converts a bigint offset or size from a file header to a safe number, or throws. */
export function toSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > MAX_SAFE_BIGINT) {
    throw new FormatError('malformed', `${what}: value ${value} is out of range`);
  }
  return Number(value);
}

/** Index of `needle` in `haystack` from `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  if (needle.length === 0) return from;
  const first = needle[0];
  const last = haystack.length - needle.length;
  outer: for (let i = haystack.indexOf(first as number, from); i !== -1 && i <= last; i = haystack.indexOf(first as number, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
