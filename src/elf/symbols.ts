import type { SymbolInfo } from '../binary/layout.js';
import { indexOfBytes, ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { symbolTableOfSection, type SymbolTable } from './dynamic-symbols.js';
import type { StringTable } from './strings.js';
import { readVersionDefinitions } from './versions.js';
import { SHN_UNDEF, SHT_DYNSYM, SHT_GNU_VERSYM, SHT_SYMTAB, type ElfFile, type ElfHeader, type ElfSection } from './types.js';

/**
 * Symbol lookups by name in .symtab and .dynsym, reading both tables in
 * bounded chunks and keeping nothing: a Go binary's .symtab runs to
 * megabytes and the Go readers ask for one or two names.
 *
 * The search runs in two passes so no symbol name is ever decoded: first
 * find every offset in the string table where the name (with its NUL)
 * sits, then find the symbols whose st_name is one of those offsets.
 * (Linkers share string tails, so a name can also start inside a longer
 * string; the byte search finds those too.)
 */

const CHUNK = 64 * 1024;
/** A name that occurs more often than this in one string table is not one we are looking for. */
const MAX_CANDIDATES = 4096;
const VERSYM_HIDDEN = 0x8000;

interface FoundSymbol extends SymbolInfo {
  readonly defined: boolean;
  /** Position in its table, for .gnu.version. */
  readonly index: number;
}

/** Offsets in `strings` where `name` followed by NUL starts. */
async function nameOffsets(source: ByteSource, strings: StringTable, name: Uint8Array): Promise<Set<number>> {
  const needle = new Uint8Array(name.length + 1);
  needle.set(name);
  const found = new Set<number>();
  for (let start = 0; start < strings.size && found.size < MAX_CANDIDATES; start += CHUNK) {
    // Overlap chunks by the needle length so a match across a boundary is seen once, in the chunk where it starts.
    const length = Math.min(CHUNK + needle.length - 1, strings.size - start);
    const bytes = await source.read(strings.offset + start, length);
    for (let at = indexOfBytes(bytes, needle); at !== -1 && at < CHUNK; at = indexOfBytes(bytes, needle, at + 1)) {
      found.add(start + at);
      if (found.size >= MAX_CANDIDATES) break;
    }
  }
  return found;
}

/** Every symbol in `table` named `name`, in table order, until `stop` says enough. */
async function scanTable(
  source: ByteSource,
  header: ElfHeader,
  sections: readonly ElfSection[],
  table: ElfSection,
  name: string,
  stop: (s: FoundSymbol) => Promise<boolean>,
): Promise<void> {
  const symbols = symbolTableOfSection(source, header, sections, table);
  if (symbols === undefined) return;
  const wanted = await nameOffsets(source, symbols.strings, new TextEncoder().encode(name));
  if (wanted.size === 0) return;
  const is64 = header.class === 64;
  const { entsize: stride, count } = symbols;
  const perChunk = Math.max(1, Math.floor(CHUNK / stride));
  for (let first = 0; first < count; first += perChunk) {
    const n = Math.min(perChunk, count - first);
    const v = new ByteView(await source.read(symbols.offset + first * stride, n * stride), header.littleEndian, `${source.name}: symbols`);
    for (let i = 0; i < n; i++) {
      const at = i * stride;
      if (!wanted.has(v.u32(at))) continue;
      const symbol: FoundSymbol = is64
        ? { name, value: v.u64(at + 8), size: v.u64(at + 16), defined: v.u16(at + 6) !== SHN_UNDEF, index: first + i }
        : { name, value: BigInt(v.u32(at + 4)), size: BigInt(v.u32(at + 8)), defined: v.u16(at + 14) !== SHN_UNDEF, index: first + i };
      if (await stop(symbol)) return;
    }
  }
}

/**
 * The first defined symbol named `name` in .symtab, then .dynsym; if only
 * undefined (imported) ones exist, the first of those, whose value is 0.
 */
export async function findElfSymbol(
  source: ByteSource,
  header: ElfHeader,
  sections: readonly ElfSection[],
  name: string,
): Promise<SymbolInfo | undefined> {
  let undefinedMatch: SymbolInfo | undefined;
  for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (const table of sections.filter((s) => s.type === type)) {
      let defined: SymbolInfo | undefined;
      await scanTable(source, header, sections, table, name, async (s) => {
        if (s.defined) defined = { name: s.name, value: s.value, size: s.size };
        else undefinedMatch ??= { name: s.name, value: s.value, size: s.size };
        return s.defined;
      });
      if (defined) return defined;
    }
  }
  return undefinedMatch;
}

/**
 * True when a library's .dynsym defines `name` (not merely imports it) and,
 * when `version` is given, defines it at that version (e.g. "GLIBC_2.34"),
 * as the loader checks a versioned reference. Hidden versions count: a
 * versioned reference may still bind to them. A symbol without version
 * information (no .gnu.version, or version index 0/1 and not hidden)
 * matches any version, as glibc's lookup accepts it.
 */
export async function hasDynamicSymbol(elf: ElfFile, name: string, version?: string): Promise<boolean> {
  const table = elf.sections.find((s) => s.type === SHT_DYNSYM);
  if (!table) return false;
  const versym = version === undefined ? undefined : elf.sections.find((s) => s.type === SHT_GNU_VERSYM);
  const definitions =
    versym === undefined ? [] : await readVersionDefinitions(elf.source, elf.header, elf.segments, elf.sections, undefined, []);
  let found = false;
  await scanTable(elf.source, elf.header, elf.sections, table, name, async (s) => {
    if (!s.defined) return false;
    if (version === undefined || !versym) return (found = true);
    const at = versym.offset + s.index * 2;
    if (s.index * 2 + 2 > versym.size || at + 2 > elf.source.size) return false;
    const raw = new ByteView(await elf.source.read(at, 2), elf.header.littleEndian, `${elf.source.name}: .gnu.version`).u16(0);
    const index = raw & ~VERSYM_HIDDEN;
    // Indexes 0 and 1 mean "no version": glibc binds a versioned reference to such a symbol unless it is hidden.
    if (index <= 1) return (found = (raw & VERSYM_HIDDEN) === 0);
    return (found = definitions.some((d) => d.index === index && d.name === version));
  });
  return found;
}

/** The version names a shared library defines (see ElfFile.versionDefinitions). */
export function definedVersions(elf: ElfFile): readonly string[] {
  return elf.versionDefinitions;
}

/**
 * Which of `names` the object imports: undefined entries of its dynamic
 * symbol table (see dynamic-symbols.ts for where that is), the functions it
 * expects a library to provide (for example getaddrinfo, which brings
 * glibc's NSS into play). One pass over the table, comparing offsets, after
 * one search of the string table for where the names start.
 */
export async function importedDynamicSymbols(
  source: ByteSource,
  header: ElfHeader,
  table: SymbolTable | undefined,
  names: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  if (table === undefined || table.count === 0) return found;
  const { strings } = table;
  // .dynstr is small (tens of KiB): one read and one latin1 decode (shared
  // with the dynamic section's reader). A larger one goes through the
  // chunked StringTable.
  const whole = await strings.text(1 << 20);
  // Where in the table a wanted name starts (one native search over all of
  // it; a name can also start inside a longer string). Most files have none,
  // and skip the walk; the walk then compares numbers, not strings.
  const starts = whole === undefined ? undefined : nameStarts(whole, names);
  if (starts !== undefined && starts.size === 0) return found;
  const wanted = new Set(names);
  const stride = table.entsize;
  const perChunk = Math.max(1, Math.floor(CHUNK / stride));
  const shndxAt = header.class === 64 ? 6 : 14;
  for (let first = 0; first < table.count && found.size < wanted.size; first += perChunk) {
    const n = Math.min(perChunk, table.count - first);
    const v = new ByteView(await source.read(table.offset + first * stride, n * stride), header.littleEndian, `${source.name}: symbols`);
    for (let i = 0; i < n; i++) {
      if (v.u16(i * stride + shndxAt) !== SHN_UNDEF) continue;
      // No await per symbol when the table is in memory: a microtask each cost more than the rest.
      const name = starts !== undefined ? starts.get(v.u32(i * stride)) : await strings.get(v.u32(i * stride), 256);
      if (name !== undefined && wanted.has(name)) found.add(name);
    }
  }
  return found;
}

/** The offsets in `text` (a whole string table) where one of `names` starts, followed by its NUL, with the name found there. */
function nameStarts(text: string, names: readonly string[]): Map<number, string> {
  const starts = new Map<number, string>();
  const pattern = anyOf(names);
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    starts.set(m.index, m[1] as string);
    // Matches may overlap (one name the tail of another): go on from the next character, not the match's end.
    pattern.lastIndex = m.index + 1;
  }
  return starts;
}

/** One global pattern matching any of `names` followed by NUL, made once per list (callers pass the same constant list). */
const patterns = new WeakMap<readonly string[], RegExp>();
function anyOf(names: readonly string[]): RegExp {
  let pattern = patterns.get(names);
  if (pattern === undefined) {
    pattern = new RegExp(`(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\0`, 'g');
    patterns.set(names, pattern);
  }
  return pattern;
}
