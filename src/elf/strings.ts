import { isAscii } from 'node:buffer';
import { decodeUtf8, latin1Text, SLICE_VIEW_MIN } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';

/**
 * A string table (section names, .dynstr, .strtab) read lazily by offset.
 * Tables can be megabytes (.strtab of a large Go binary) while we usually
 * want a handful of strings, so it reads fixed-size chunks on demand and
 * keeps only a few of them.
 */
const CHUNK = 4096;
const KEPT_CHUNKS = 16;
/** Longest string we return; a longer run without NUL is cut here. RPATHs and symbol names fit. */
export const MAX_STRING = 64 * 1024;
/**
 * Bytes one table may scan over its lifetime. Real lookups scan a few KiB;
 * the budget stops a hostile file from asking for thousands of maximal
 * strings (65536 DT_NEEDED entries each pointing at a 64 KiB run), after
 * which `get` answers undefined like an out-of-range index.
 */
export const SCAN_BUDGET = 32 * 1024 * 1024;
/** Tables up to this size are read whole on first use. */
const SMALL_TABLE = 64 * 1024;

/** Each source's tables by place, so the readers of one file share one .dynstr (see stringTableOf). */
const tablesBySource = new WeakMap<ByteSource, Map<string, StringTable>>();

/**
 * The string table at `offset` (`size` bytes) of `source`, one instance per
 * source and place: the dynamic section, the version tables and the symbol
 * look-ups of one file all name .dynstr, which is then read (and decoded)
 * once instead of once per reader.
 */
export function stringTableOf(source: ByteSource, offset: number, size: number): StringTable {
  let tables = tablesBySource.get(source);
  if (tables === undefined) {
    tables = new Map();
    tablesBySource.set(source, tables);
  }
  const key = `${offset}:${size}`;
  let table = tables.get(key);
  if (table === undefined) {
    table = new StringTable(source, offset, size);
    tables.set(key, table);
  }
  return table;
}

export class StringTable {
  /** Usable bytes: the declared size cut to what the file holds. */
  readonly size: number;
  private readonly chunks = new Map<number, Uint8Array>();
  private scanned = 0;

  constructor(
    private readonly source: ByteSource,
    readonly offset: number,
    declaredSize: number,
  ) {
    const inFile = offset >= 0 && offset < source.size ? source.size - offset : 0;
    this.size = Math.max(0, Math.min(declaredSize, inFile));
  }

  /**
   * The NUL-terminated string at `index`, or undefined when the index is
   * outside the table. A string that runs to the end of the table without a
   * NUL is returned up to the end (what readers like readelf also show),
   * and one longer than `maxLength` is cut there.
   */
  async get(index: number, maxLength = MAX_STRING): Promise<string | undefined> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size || this.scanned > SCAN_BUDGET) return undefined;
    if (this.latin1 === undefined && this.size <= SMALL_TABLE) await this.text(SMALL_TABLE);
    const held = this.getHeld(index, maxLength);
    if (held !== null) return held;
    const limit = Math.min(this.size, index + maxLength);
    const parts: Uint8Array[] = [];
    let pos = index;
    while (pos < limit) {
      const chunk = await this.chunkAt(pos);
      const start = pos % CHUNK;
      const usable = chunk.subarray(start, Math.min(chunk.length, start + (limit - pos)));
      const nul = usable.indexOf(0);
      this.scanned += nul >= 0 ? nul + 1 : usable.length;
      if (nul >= 0) {
        parts.push(usable.subarray(0, nul));
        break;
      }
      parts.push(usable);
      pos += usable.length;
      if (usable.length === 0) break;
    }
    return decodeUtf8(parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts));
  }

  /**
   * Reads a small ASCII table whole (once), after which getHeld answers
   * without a promise per string: a file's thirty section names each cost an
   * await before, over every file of a scan. False when the table is not
   * held whole (large, or not ASCII): then `get` reads it by chunks.
   */
  async prepare(): Promise<boolean> {
    if (this.size <= SMALL_TABLE) await this.text(SMALL_TABLE);
    return this.held() !== undefined;
  }

  /** `get` for a table held whole (see prepare): the string, undefined where `get` gives undefined, or null when the table is not held. */
  getHeld(index: number, maxLength = MAX_STRING): string | undefined | null {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size || this.scanned > SCAN_BUDGET) return undefined;
    const whole = this.held();
    if (whole === undefined) return null;
    const limit = Math.min(this.size, index + maxLength);
    const nul = whole.indexOf('\0', index);
    const end = nul === -1 || nul > limit ? limit : nul;
    this.scanned += end - index + 1;
    // A long name is decoded from the bytes, not sliced: a slice would keep the
    // whole table's text alive for as long as the name (see latin1Text).
    return end - index < SLICE_VIEW_MIN ? whole.slice(index, end) : latin1Text(this.bytes, index, end);
  }

  /**
   * The whole table as one latin1 string (a character per byte, whatever
   * the encoding), read once, or undefined when it is larger than `limit`:
   * for a search over every name at once (which imports a file has, say).
   */
  async text(limit: number): Promise<string | undefined> {
    if (this.size > limit) return undefined;
    if (this.latin1 === undefined) {
      // An empty table (or one whose offset is outside the file) reads nothing: every index is out of range.
      const bytes = this.size === 0 ? new Uint8Array(0) : await this.source.read(this.offset, this.size);
      this.ascii = isAscii(bytes);
      this.latin1 = latin1Text(bytes);
      this.bytes = bytes;
    }
    return this.latin1;
  }

  /**
   * The table as read whole by `text`, when it is ASCII (as it nearly always
   * is): every lookup is then a slice of one string instead of a chunk walk
   * and a decode.
   */
  private held(): string | undefined {
    return this.ascii ? this.latin1 : undefined;
  }

  private latin1: string | undefined;
  /** The bytes `latin1` was decoded from. */
  private bytes: Uint8Array = new Uint8Array(0);
  private ascii = false;

  private async chunkAt(pos: number): Promise<Uint8Array> {
    const base = pos - (pos % CHUNK);
    const cached = this.chunks.get(base);
    if (cached) return cached;
    const length = Math.min(CHUNK, this.size - base);
    const bytes = await this.source.read(this.offset + base, length);
    if (this.chunks.size >= KEPT_CHUNKS) {
      const oldest = this.chunks.keys().next().value;
      if (oldest !== undefined) this.chunks.delete(oldest);
    }
    this.chunks.set(base, bytes);
    return bytes;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
