import { CACHE_FLAG_ELF_LIBC6 } from './arch.js';
import { cacheLibCompare } from './ld-so-cache.js';

/** One library for the cache: the name the loader looks up and where it is. */
export interface CacheWriteEntry {
  readonly name: string;
  readonly path: string;
  /** Default 3 (libc6, no architecture bits: what i386 expects); pass cachePolicyFor(ident).preferred for others. */
  readonly flags?: number;
  readonly hwcap?: bigint;
}

export interface CacheWriteOptions {
  /** 'new' is what ldconfig writes since glibc 2.32; 'old+new' what it wrote before. */
  readonly format?: 'old' | 'new' | 'old+new';
  readonly littleEndian?: boolean;
  /** Recorded in the generator extension (new format only). */
  readonly generator?: string;
}

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const EXTENSION_MAGIC = 0xeaa42174;

/**
 * Writes an ld.so.cache in the layout glibc's loader reads (see
 * ld-so-cache.ts), sorted as ldconfig sorts it (names in reverse
 * _dl_cache_libcmp order, then higher flags first) so the loader's binary
 * search finds every entry. For images whose libraries live outside the
 * default directories, and for tests.
 */
export function writeLdSoCache(entries: readonly CacheWriteEntry[], options: CacheWriteOptions = {}): Uint8Array {
  const format = options.format ?? 'new';
  const le = options.littleEndian ?? true;
  const sorted = [...entries].sort((x, y) => {
    const byName = cacheLibCompare(y.name, x.name);
    if (byName !== 0) return byName;
    return (y.flags ?? CACHE_FLAG_ELF_LIBC6) - (x.flags ?? CACHE_FLAG_ELF_LIBC6);
  });
  const hasOld = format !== 'new';
  const hasNew = format !== 'old';

  // Strings: one table, each name and path once.
  const stringOffsets = new Map<string, number>();
  const stringChunks: Uint8Array[] = [];
  let stringsSize = 0;
  const intern = (s: string): number => {
    const known = stringOffsets.get(s);
    if (known !== undefined) return known;
    const bytes = new TextEncoder().encode(s + '\0');
    stringOffsets.set(s, stringsSize);
    stringChunks.push(bytes);
    stringsSize += bytes.length;
    return stringsSize - bytes.length;
  };
  for (const e of sorted) {
    intern(e.name);
    intern(e.path);
  }

  const oldSize = hasOld ? 16 + sorted.length * 12 : 0;
  const newStart = hasOld && hasNew ? Math.ceil(oldSize / 8) * 8 : 0;
  const newSize = hasNew ? 48 + sorted.length * 24 : 0;
  // The string table follows the last entry table; offsets are relative to the new header (or, old only, to the end of the old entries).
  const stringsStart = hasNew ? newStart + newSize : oldSize;
  const generator = hasNew && options.generator !== undefined ? new TextEncoder().encode(options.generator) : undefined;
  const extensionStart = Math.ceil((stringsStart + stringsSize) / 4) * 4;
  const total = generator ? extensionStart + 8 + 16 + generator.length : stringsStart + stringsSize;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  let at = stringsStart;
  for (const chunk of stringChunks) {
    out.set(chunk, at);
    at += chunk.length;
  }

  if (hasOld) {
    ascii(0, OLD_MAGIC);
    view.setUint32(12, sorted.length, le);
    const base = stringsStart - oldSize; // old offsets count from the end of the old entries
    sorted.forEach((e, i) => {
      const p = 16 + i * 12;
      view.setInt32(p, e.flags ?? CACHE_FLAG_ELF_LIBC6, le);
      view.setUint32(p + 4, base + (stringOffsets.get(e.name) ?? 0), le);
      view.setUint32(p + 8, base + (stringOffsets.get(e.path) ?? 0), le);
    });
  }
  if (hasNew) {
    ascii(newStart, NEW_MAGIC);
    view.setUint32(newStart + 20, sorted.length, le);
    view.setUint32(newStart + 24, stringsSize, le);
    out[newStart + 28] = le ? 2 : 3;
    if (generator) view.setUint32(newStart + 32, extensionStart, le);
    const base = stringsStart - newStart;
    sorted.forEach((e, i) => {
      const p = newStart + 48 + i * 24;
      view.setInt32(p, e.flags ?? CACHE_FLAG_ELF_LIBC6, le);
      view.setUint32(p + 4, base + (stringOffsets.get(e.name) ?? 0), le);
      view.setUint32(p + 8, base + (stringOffsets.get(e.path) ?? 0), le);
      view.setBigUint64(p + 16, e.hwcap ?? 0n, le);
    });
  }
  if (generator) {
    view.setUint32(extensionStart, EXTENSION_MAGIC, le);
    view.setUint32(extensionStart + 4, 1, le);
    view.setUint32(extensionStart + 8, 0, le); // tag: generator
    view.setUint32(extensionStart + 16, extensionStart + 24, le);
    view.setUint32(extensionStart + 20, generator.length, le);
    out.set(generator, extensionStart + 24);
  }
  return out;
}
