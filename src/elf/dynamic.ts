import { ByteView, MAX_SAFE_BIGINT } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { stringTableOf, type StringTable } from './strings.js';
import {
  DT_FLAGS,
  DT_FLAGS_1,
  DT_NEEDED,
  DT_NULL,
  DT_RPATH,
  DT_RUNPATH,
  DT_SONAME,
  DT_STRSZ,
  DT_STRTAB,
  PT_DYNAMIC,
  PT_LOAD,
  SHT_DYNAMIC,
  type ElfDynamic,
  type ElfHeader,
  type ElfSection,
  type ElfSegment,
} from './types.js';

/**
 * The dynamic section: which libraries a file needs, its soname, search
 * paths and flags. It is found through PT_DYNAMIC (what the loader uses);
 * its strings through DT_STRTAB, a virtual address mapped through the
 * PT_LOAD segments, with the .dynstr section as the fallback.
 *
 * Nothing here is fatal: a dynamic segment outside the file, a missing
 * DT_NULL or strings that cannot be resolved degrade to what can be read,
 * with a warning, because the linkage verdict (file(1)'s) only needs to
 * know that PT_DYNAMIC exists and how many DT_NEEDED entries it has.
 */

/** Far beyond real files (a few dozen entries); file(1) itself looks at the first 8 KiB only. */
export const MAX_DYNAMIC_ENTRIES = 4096;

export interface DynamicTable {
  readonly dynamic: ElfDynamic;
  /** First value of each tag, for the readers that follow other tables (DT_VERNEED, ...). */
  readonly values: ReadonlyMap<number, bigint>;
  /** The dynamic string table, when one could be located. */
  readonly strings: StringTable | undefined;
}

/** File offset of a virtual address, through the PT_LOAD segments, and the file bytes that follow it there. */
export function offsetOfAddress(segments: readonly ElfSegment[], va: bigint): { offset: number; available: number } | undefined {
  for (const s of segments) {
    if (s.type !== PT_LOAD) continue;
    if (va >= s.vaddr && va < s.vaddr + BigInt(s.fileSize)) {
      const delta = Number(va - s.vaddr);
      return { offset: s.offset + delta, available: s.fileSize - delta };
    }
  }
  return undefined;
}

/** Reads the dynamic table, or returns undefined when there is no PT_DYNAMIC. */
export async function readDynamic(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  sections: readonly ElfSection[],
  warnings: string[],
): Promise<DynamicTable | undefined> {
  const segment = segments.find((s) => s.type === PT_DYNAMIC);
  if (!segment) return undefined;
  const entries = await readEntries(source, header, segment, sections, warnings);

  const values = new Map<number, bigint>();
  for (const e of entries) if (!values.has(e.tag)) values.set(e.tag, e.value);
  const strings = locateStrings(source, segments, sections, values, warnings);

  const needed: string[] = [];
  const rpath: string[] = [];
  const runpath: string[] = [];
  let soname: string | null = null;
  let flags = 0;
  let flags1 = 0;
  let unresolved = 0;
  const held = strings ? await strings.prepare() : false;
  const text = async (value: bigint): Promise<string> => {
    const index = Number(value);
    const s = value <= MAX_SAFE_BIGINT && strings ? (held ? strings.getHeld(index) : await strings.get(index)) : undefined;
    if (s === undefined || s === null) unresolved++;
    return s ?? '';
  };
  for (const e of entries) {
    switch (e.tag) {
      case DT_NEEDED:
        // Kept even when unreadable (as ""): the count decides the linkage verdict.
        needed.push(await text(e.value));
        break;
      case DT_SONAME:
        if (soname === null) soname = await text(e.value);
        break;
      case DT_RPATH:
        rpath.push(...splitPath(await text(e.value)));
        break;
      case DT_RUNPATH:
        runpath.push(...splitPath(await text(e.value)));
        break;
      case DT_FLAGS:
        flags |= Number(e.value & 0xffffffffn);
        break;
      case DT_FLAGS_1:
        flags1 |= Number(e.value & 0xffffffffn);
        break;
    }
  }
  if (unresolved > 0) warnings.push(`${unresolved} dynamic string references could not be resolved`);
  return { dynamic: { needed, soname, rpath, runpath, flags, flags1 }, values, strings };
}

/** An RPATH/RUNPATH value as its list of directories; an empty value is no directory at all. */
function splitPath(value: string): string[] {
  return value === '' ? [] : value.split(':');
}

interface DynamicEntry {
  readonly tag: number;
  readonly value: bigint;
}

async function readEntries(
  source: ByteSource,
  header: ElfHeader,
  segment: ElfSegment,
  sections: readonly ElfSection[],
  warnings: string[],
): Promise<DynamicEntry[]> {
  let offset = segment.offset;
  let size = segment.fileSize;
  if (offset >= source.size) {
    // The segment points outside the file; the section header may still know where the table is.
    const section = sections.find((s) => s.type === SHT_DYNAMIC && s.offset < source.size);
    if (!section) {
      warnings.push(`dynamic segment at offset ${offset} is outside the file`);
      return [];
    }
    warnings.push(`dynamic segment at offset ${offset} is outside the file; using the .dynamic section`);
    offset = section.offset;
    size = section.size;
  }
  if (size > source.size - offset) {
    warnings.push(`dynamic segment runs past the end of the file`);
    size = source.size - offset;
  }
  const entsize = header.class === 64 ? 16 : 8;
  const count = Math.min(Math.floor(size / entsize), MAX_DYNAMIC_ENTRIES);
  const v = new ByteView(await source.read(offset, count * entsize), header.littleEndian, `${source.name}: dynamic section`);
  const entries: DynamicEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entsize;
    // d_tag is signed, but every tag we read is a small positive number: anything
    // outside 32 bits becomes -1, a tag nobody matches.
    const raw = header.class === 64 ? v.u64(at) : BigInt(v.u32(at));
    const tag = raw <= 0xffffffffn ? Number(raw) : -1;
    if (tag === DT_NULL) return entries;
    entries.push({ tag, value: header.class === 64 ? v.u64(at + 8) : BigInt(v.u32(at + 4)) });
  }
  warnings.push(`dynamic section has no DT_NULL terminator in its ${count} entries`);
  return entries;
}

/**
 * The dynamic string table: DT_STRTAB mapped through PT_LOAD, bounded by
 * DT_STRSZ and the segment's file bytes; else the section the .dynamic
 * section links to, else a section named .dynstr.
 */
function locateStrings(
  source: ByteSource,
  segments: readonly ElfSegment[],
  sections: readonly ElfSection[],
  values: ReadonlyMap<number, bigint>,
  warnings: string[],
): StringTable | undefined {
  const va = values.get(DT_STRTAB);
  if (va !== undefined) {
    const where = offsetOfAddress(segments, va);
    if (where) {
      // DT_STRSZ bounds the table; the segment's file bytes bound a missing or oversized DT_STRSZ.
      const declared = values.get(DT_STRSZ);
      const size = declared === undefined || declared > BigInt(where.available) ? where.available : Number(declared);
      return stringTableOf(source, where.offset, size);
    }
    warnings.push(`DT_STRTAB address 0x${va.toString(16)} is not in any loaded segment; using the .dynstr section`);
  }
  const dynamicSection = sections.find((s) => s.type === SHT_DYNAMIC);
  const linked = dynamicSection ? sections[dynamicSection.link] : undefined;
  const table = linked && linked.index !== 0 ? linked : sections.find((s) => s.name === '.dynstr');
  return table ? stringTableOf(source, table.offset, table.size) : undefined;
}
