import { FormatError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import { asciiText, ByteView, decodeUtf8 } from '../io/bytes.js';
import type { CacheFlagsPolicy } from './arch.js';

/**
 * /etc/ld.so.cache, read from the file as glibc's loader reads it (never by
 * running ldconfig). Layout from glibc's sysdeps/generic/dl-cache.h:
 *
 * - old format: "ld.so-1.7.0", u32 nlibs at 12, then nlibs × 12-byte
 *   entries {i32 flags, u32 key, u32 value}; strings relative to the end of
 *   the entries.
 * - new format: "glibc-ld.so.cache1.1", 48-byte header {u32 nlibs @20,
 *   u32 len_strings @24, u8 flags @28 (&3: 2 little, 3 big, 1 invalid, 0
 *   unknown), u32 extension_offset @32}, then nlibs × 24-byte entries {i32
 *   flags, u32 key, u32 value, u32 osversion, u64 hwcap}; strings relative
 *   to the start of this header. It may follow an old-format block, at the
 *   next 8-byte boundary; the loader then uses the new block only.
 * - extensions (glibc 2.33+): at extension_offset (from the file start),
 *   u32 magic, u32 count, count × {u32 tag, u32 flags, u32 offset, u32
 *   size}; tag 0 is the generator text, tag 1 the glibc-hwcaps subdirectory
 *   names (u32 string offsets from the file start).
 */
export interface LdSoCacheEntry {
  /** The soname looked up ("libc.so.6"). */
  readonly name: string;
  /** Where ldconfig found it ("/lib/x86_64-linux-gnu/libc.so.6"). */
  readonly path: string;
  /** Type and architecture flags, e.g. 0x0303 = libc6 + x86-64 (see describeCacheFlags). */
  readonly flags: number;
  readonly osVersion: number;
  /** Raw hwcap word; 0 for ordinary entries and always for the old format. */
  readonly hwcap: bigint;
  /** For entries found in a glibc-hwcaps subdirectory: its name ("x86-64-v3"). */
  readonly hwcapSubdir: string | null;
}

export interface LdSoCache {
  readonly format: 'old' | 'new' | 'old+new';
  readonly littleEndian: boolean;
  /** In file order (ldconfig sorts them; the loader binary-searches). */
  readonly entries: readonly LdSoCacheEntry[];
  /** "ldconfig (GNU libc) stable release version 2.36" when recorded. */
  readonly generator: string | null;
  /** Entries whose string offsets point outside the file: the loader ignores them, so do we. */
  readonly invalidEntries: number;
}

export const LD_SO_CACHE_PATH = '/etc/ld.so.cache';
/** Real caches are tens or hundreds of KiB; anything past this is not one. */
export const LD_SO_CACHE_MAX_BYTES = 64 * 1024 * 1024;

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_HEADER = 16;
const OLD_ENTRY = 12;
const NEW_HEADER = 48;
const NEW_ENTRY = 24;
const EXTENSION_MAGIC = 0xeaa42174; // (uint32_t) -358342284
const EXTENSION_TAG_GENERATOR = 0;
const EXTENSION_TAG_GLIBC_HWCAPS = 1;
/** hwcap bit 62: the low 32 bits index the glibc-hwcaps names (upper bits may also carry 10 ISA-level bits). */
const HWCAP_EXTENSION = 1n << 62n;
const HWCAP_ISA_LEVEL_MASK = 0x3ffn;
const PATH_MAX = 4096;

/** Reads and parses the cache of a root; undefined when the root has none. */
export async function readLdSoCache(fs: RootFS, path: string = LD_SO_CACHE_PATH): Promise<LdSoCache | undefined> {
  const bytes = await fs.readSmallFile(path, LD_SO_CACHE_MAX_BYTES);
  return bytes && parseLdSoCache(bytes, path);
}

export function parseLdSoCache(bytes: Uint8Array, name: string): LdSoCache {
  if (startsWith(bytes, 0, NEW_MAGIC)) return parseNew(bytes, 0, name, 'new');
  if (!startsWith(bytes, 0, OLD_MAGIC)) throw new FormatError('malformed', `${name}: not an ld.so.cache (no "${NEW_MAGIC}" or "${OLD_MAGIC}" magic)`);
  if (bytes.length < OLD_HEADER) throw new FormatError('truncated', `${name}: old-format header runs past the end of the file (${bytes.length} bytes)`);
  // The old format has no byte-order mark; a new block after it tells, else take the order that makes nlibs fit.
  const fits = (le: boolean) => OLD_HEADER + new ByteView(bytes, le, name).u32(12) * OLD_ENTRY <= bytes.length;
  for (const le of [true, false]) {
    if (!fits(le)) continue;
    const nlibs = new ByteView(bytes, le, name).u32(12);
    const newStart = align8(OLD_HEADER + nlibs * OLD_ENTRY);
    if (newStart + NEW_HEADER <= bytes.length && startsWith(bytes, newStart, NEW_MAGIC)) {
      return parseNew(bytes, newStart, name, 'old+new');
    }
  }
  const littleEndian = fits(true) || !fits(false);
  return parseOld(bytes, littleEndian, name);
}

function parseOld(bytes: Uint8Array, littleEndian: boolean, name: string): LdSoCache {
  const view = new ByteView(bytes, littleEndian, `${name}: old-format header`);
  const nlibs = view.u32(12);
  if (nlibs > (bytes.length - OLD_HEADER) / OLD_ENTRY) {
    throw new FormatError('truncated', `${name}: ${nlibs} old-format entries do not fit in ${bytes.length} bytes`);
  }
  const stringsStart = OLD_HEADER + nlibs * OLD_ENTRY;
  const entries: LdSoCacheEntry[] = [];
  let invalidEntries = 0;
  for (let i = 0; i < nlibs; i++) {
    const at = OLD_HEADER + i * OLD_ENTRY;
    const key = readString(bytes, stringsStart, view.u32(at + 4));
    const value = readString(bytes, stringsStart, view.u32(at + 8));
    if (key === undefined || value === undefined) {
      invalidEntries++;
      continue;
    }
    entries.push({ name: key, path: value, flags: view.i32(at), osVersion: 0, hwcap: 0n, hwcapSubdir: null });
  }
  return { format: 'old', littleEndian, entries, generator: null, invalidEntries };
}

function parseNew(bytes: Uint8Array, start: number, name: string, format: 'new' | 'old+new'): LdSoCache {
  if (bytes.length - start < NEW_HEADER) {
    throw new FormatError('truncated', `${name}: header at offset ${start} runs past the end of the file (${bytes.length} bytes)`);
  }
  const littleEndian = newFormatByteOrder(bytes, start, name);
  const view = new ByteView(bytes, littleEndian, `${name}: cache`);
  const nlibs = view.u32(start + 20);
  if (nlibs > (bytes.length - start - NEW_HEADER) / NEW_ENTRY) {
    throw new FormatError('truncated', `${name}: ${nlibs} entries do not fit in ${bytes.length} bytes`);
  }
  const hwcapNames = readExtensions(bytes, view, start);
  const entries: LdSoCacheEntry[] = [];
  let invalidEntries = 0;
  for (let i = 0; i < nlibs; i++) {
    const at = start + NEW_HEADER + i * NEW_ENTRY;
    const key = readString(bytes, start, view.u32(at + 4));
    const value = readString(bytes, start, view.u32(at + 8));
    if (key === undefined || value === undefined) {
      invalidEntries++;
      continue;
    }
    const hwcap = view.u64(at + 16);
    const hwcapSubdir = isHwcapExtension(hwcap) ? (hwcapNames.names[Number(hwcap & 0xffffffffn)] ?? null) : null;
    entries.push({ name: key, path: value, flags: view.i32(at), osVersion: view.u32(at + 12), hwcap, hwcapSubdir });
  }
  return { format, littleEndian, entries, generator: hwcapNames.generator, invalidEntries };
}

/** Byte order from the header flags; caches written before glibc 2.33 leave it 0, so then judge by what fits. */
function newFormatByteOrder(bytes: Uint8Array, start: number, name: string): boolean {
  const mark = (bytes[start + 28] ?? 0) & 3;
  if (mark === 2) return true;
  if (mark === 3) return false;
  if (mark === 1) throw new FormatError('malformed', `${name}: the cache marks itself invalid (endianness flag 1)`);
  const fits = (le: boolean) => {
    const view = new ByteView(bytes, le, name);
    const nlibs = view.u32(start + 20);
    return start + NEW_HEADER + nlibs * NEW_ENTRY + view.u32(start + 24) <= bytes.length;
  };
  return fits(true) || !fits(false);
}

export function isHwcapExtension(hwcap: bigint): boolean {
  return ((hwcap >> 32n) & ~HWCAP_ISA_LEVEL_MASK) === HWCAP_EXTENSION >> 32n;
}

/**
 * The extension directory. It is optional and glibc ignores a broken one
 * (the cache still works), so a bad directory yields no names rather than
 * an error.
 */
function readExtensions(bytes: Uint8Array, view: ByteView, start: number): { names: string[]; generator: string | null } {
  const none = { names: [], generator: null };
  const offset = view.u32(start + 32);
  if (offset === 0 || offset % 4 !== 0 || offset + 8 > bytes.length || view.u32(offset) !== EXTENSION_MAGIC) return none;
  const count = view.u32(offset + 4);
  if (count > (bytes.length - offset - 8) / 16) return none;
  const names: string[] = [];
  let generator: string | null = null;
  for (let i = 0; i < count; i++) {
    const at = offset + 8 + i * 16;
    const tag = view.u32(at);
    const dataOffset = view.u32(at + 8);
    const size = view.u32(at + 12);
    if (dataOffset + size > bytes.length) return none;
    if (tag === EXTENSION_TAG_GENERATOR) {
      generator = decodeUtf8(bytes.subarray(dataOffset, dataOffset + Math.min(size, PATH_MAX)));
    } else if (tag === EXTENSION_TAG_GLIBC_HWCAPS && dataOffset % 4 === 0 && size % 4 === 0) {
      for (let j = 0; j < size / 4; j++) names.push(readString(bytes, 0, view.u32(dataOffset + j * 4)) ?? '');
    }
  }
  return { names, generator };
}

/**
 * The loader's choice for `name`, following glibc's search_cache: among
 * entries with this name, only flags the policy accepts; an entry with the
 * preferred flags wins outright, else the first acceptable one. Entries for
 * glibc-hwcaps subdirectories (chosen by the CPU at run time) and legacy
 * hwcap entries (dropped in glibc 2.37) are not candidates: a static view
 * cannot know the CPU, and the baseline entry is what runs everywhere.
 */
export function lookupLdSoCache(cache: LdSoCache, name: string, policy: CacheFlagsPolicy): LdSoCacheEntry | undefined {
  let best: LdSoCacheEntry | undefined;
  for (const entry of entriesNamed(cache, name)) {
    if (entry.hwcap !== 0n || !cacheNamesEqual(entry.name, name) || !policy.accepted.includes(entry.flags)) continue;
    if (entry.flags === policy.preferred) return entry;
    best ??= entry;
  }
  return best;
}

/**
 * Entries grouped by their name with digit runs normalised (leading zeros
 * dropped), which is exactly the equivalence cacheLibCompare's equality
 * draws; built once per parsed cache so a lookup is not a scan of all of it.
 */
const nameIndex = new WeakMap<LdSoCache, Map<string, LdSoCacheEntry[]>>();

function normaliseDigits(name: string): string {
  // Nearly no name has a leading zero in a digit run: one test, not a replace per run, over the whole cache.
  if (!LEADING_ZERO.test(name)) return name;
  return name.replace(/\d+/g, (run) => run.replace(/^0+(?=\d)/, ''));
}
const LEADING_ZERO = /(?:^|\D)0\d/;

function entriesNamed(cache: LdSoCache, name: string): readonly LdSoCacheEntry[] {
  let index = nameIndex.get(cache);
  if (index === undefined) {
    index = new Map();
    for (const entry of cache.entries) {
      const key = normaliseDigits(entry.name);
      const list = index.get(key);
      if (list) list.push(entry);
      else index.set(key, [entry]);
    }
    nameIndex.set(cache, index);
  }
  return index.get(normaliseDigits(name)) ?? [];
}

/**
 * glibc's _dl_cache_libcmp: strings compare character by character, except
 * that runs of digits compare as numbers and a digit sorts after any other
 * character. ldconfig sorts the cache with it (reversed) and the loader
 * binary-searches with it; equality means "libfoo.so.01" names "libfoo.so.1".
 */
export function cacheLibCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length) {
    const endA = digitRunEnd(a, i);
    const endB = digitRunEnd(b, j);
    if (endA > i) {
      if (endB === j) return 1;
      const valueA = BigInt(a.slice(i, endA));
      const valueB = BigInt(b.slice(j, endB));
      if (valueA !== valueB) return valueA < valueB ? -1 : 1;
      i = endA;
      j = endB;
    } else if (endB > j) {
      return -1;
    } else if (j >= b.length || a.charCodeAt(i) !== b.charCodeAt(j)) {
      return j >= b.length ? 1 : a.charCodeAt(i) - b.charCodeAt(j);
    } else {
      i++;
      j++;
    }
  }
  return j < b.length ? -1 : 0;
}

export function cacheNamesEqual(a: string, b: string): boolean {
  return a === b || cacheLibCompare(a, b) === 0;
}

function digitRunEnd(s: string, from: number): number {
  let end = from;
  while (end < s.length && s.charCodeAt(end) >= 48 && s.charCodeAt(end) <= 57) end++;
  return end;
}

/** A NUL-terminated string at base+offset, or undefined if it starts outside the file. */
function readString(bytes: Uint8Array, base: number, offset: number): string | undefined {
  const at = base + offset;
  if (at >= bytes.length) return undefined;
  const text = wholeText(bytes);
  if (text !== null) {
    const nul = text.indexOf('\0', at);
    return text.slice(at, Math.min(nul === -1 ? text.length : nul, at + PATH_MAX));
  }
  const end = bytes.indexOf(0, at);
  const stop = end === -1 ? bytes.length : end;
  return decodeUtf8(bytes.subarray(at, Math.min(stop, at + PATH_MAX)));
}

/**
 * The file as one latin1 string when it is all ASCII (as caches nearly
 * always are), so each of its thousands of names is a slice, not a decode
 * (which was most of parsing a cache: ~3 ms of a single binary's inspect).
 */
const asciiTexts = new WeakMap<Uint8Array, string | null>();
function wholeText(bytes: Uint8Array): string | null {
  let text = asciiTexts.get(bytes);
  if (text === undefined) {
    text = asciiText(bytes);
    asciiTexts.set(bytes, text);
  }
  return text;
}

function startsWith(bytes: Uint8Array, at: number, magic: string): boolean {
  if (at + magic.length > bytes.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
