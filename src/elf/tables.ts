import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { clampOffset } from '../io/bytes.js';
import { StringTable } from './strings.js';
import { PN_XNUM, SHN_XINDEX, type ElfHeader, type ElfSection, type ElfSegment } from './types.js';

/**
 * The program header table (segments) and section header table, including
 * the extended numbering escapes that keep e_phnum, e_shnum and e_shstrndx
 * in section 0 once they overflow 16 bits.
 *
 * Failure policy, following file(1): the program headers carry the linkage
 * verdict, so a program header table that cannot be read is fatal. Section
 * headers are optional to the loader (strip --strip-section-headers, some
 * packers), so a broken section table only costs its information: we keep
 * what fits in the file, or nothing, and record a warning.
 */

const PHDR_SIZE = { 32: 32, 64: 56 } as const;
const SHDR_SIZE = { 32: 40, 64: 64 } as const;
/** More sections than any real binary has (large -ffunction-sections objects reach tens of thousands). */
export const MAX_SECTIONS = 1 << 18;
/** Section names are short; C++ -ffunction-sections names run to a few hundred bytes. */
const MAX_SECTION_NAME = 1024;

/** The fields of section 0 that extended numbering borrows. */
export interface SectionZero {
  /** Real e_shnum when e_shnum is 0. */
  readonly size: bigint;
  /** Real e_shstrndx when e_shstrndx is SHN_XINDEX. */
  readonly link: number;
  /** Real e_phnum when e_phnum is PN_XNUM. */
  readonly info: number;
}

/** Section 0, when the header points at a readable section table; undefined otherwise. */
export async function readSectionZero(source: ByteSource, header: ElfHeader): Promise<SectionZero | undefined> {
  const entsize = SHDR_SIZE[header.class];
  if (header.shoff === 0 || header.shentsize < entsize || header.shoff > source.size - entsize) return undefined;
  const v = new ByteView(await source.read(header.shoff, entsize), header.littleEndian, `${source.name}: section header 0`);
  return header.class === 64
    ? { size: v.u64(32), link: v.u32(40), info: v.u32(44) }
    : { size: BigInt(v.u32(20)), link: v.u32(24), info: v.u32(28) };
}

/** The program header table, or a FormatError when it is declared but cannot be read. */
export async function readSegments(source: ByteSource, header: ElfHeader, zero: SectionZero | undefined): Promise<ElfSegment[]> {
  const count = header.phnum === PN_XNUM && zero ? zero.info : header.phnum;
  if (count === 0) return [];
  const entsize = PHDR_SIZE[header.class];
  if (header.phentsize < entsize) {
    throw new FormatError('malformed', `${source.name}: program header entry size ${header.phentsize} is smaller than ${entsize}`);
  }
  // Bound the count by what the file can hold before reading anything.
  if (header.phoff > source.size || count > Math.floor((source.size - header.phoff) / header.phentsize)) {
    throw new FormatError(
      'truncated',
      `${source.name}: program header table (${count} entries at offset ${header.phoff}) runs past the end of the file`,
    );
  }
  const table = await source.read(header.phoff, count * header.phentsize);
  const v = new ByteView(table, header.littleEndian, `${source.name}: program headers`);
  const segments: ElfSegment[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * header.phentsize;
    segments.push(header.class === 64 ? segment64(v, at) : segment32(v, at));
  }
  return segments;
}

function segment64(v: ByteView, at: number): ElfSegment {
  return {
    type: v.u32(at),
    flags: v.u32(at + 4),
    offset: v.u64Offset(at + 8),
    vaddr: v.u64(at + 16),
    fileSize: v.u64Offset(at + 32),
    memSize: v.u64(at + 40),
    align: v.u64(at + 48),
  };
}

function segment32(v: ByteView, at: number): ElfSegment {
  return {
    type: v.u32(at),
    offset: v.u32(at + 4),
    vaddr: BigInt(v.u32(at + 8)),
    fileSize: v.u32(at + 16),
    memSize: BigInt(v.u32(at + 20)),
    flags: v.u32(at + 24),
    align: BigInt(v.u32(at + 28)),
  };
}

/** Raw section headers with names resolved; never throws for a bad table, it warns and degrades. */
export async function readSections(
  source: ByteSource,
  header: ElfHeader,
  zero: SectionZero | undefined,
  warnings: string[],
): Promise<ElfSection[]> {
  if (header.shoff === 0) return [];
  const entsize = SHDR_SIZE[header.class];
  if (header.shentsize < entsize) {
    warnings.push(`section header entry size ${header.shentsize} is smaller than ${entsize}; sections ignored`);
    return [];
  }
  let count = header.shnum === 0 && zero ? clampOffset(zero.size) : header.shnum;
  if (count === 0) return [];
  const fits = header.shoff > source.size ? 0 : Math.floor((source.size - header.shoff) / header.shentsize);
  if (count > fits) {
    warnings.push(`section header table (${count} entries at offset ${header.shoff}) runs past the end of the file; ${fits} read`);
    count = fits;
  }
  if (count > MAX_SECTIONS) {
    warnings.push(`section header table has ${count} entries; only the first ${MAX_SECTIONS} read`);
    count = MAX_SECTIONS;
  }
  if (count === 0) return [];
  const table = await source.read(header.shoff, count * header.shentsize);
  const v = new ByteView(table, header.littleEndian, `${source.name}: section headers`);
  const raw: Omit<ElfSection, 'name'>[] = [];
  const nameOffsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * header.shentsize;
    nameOffsets.push(v.u32(at));
    raw.push(header.class === 64 ? section64(v, at, i) : section32(v, at, i));
  }
  const names = await sectionNames(source, header, zero, raw, nameOffsets, warnings);
  // Fields written out, not spread: a spread per section cost more than reading the table.
  return raw.map((s, i) => ({
    index: s.index,
    name: names[i] ?? '',
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    entsize: s.entsize,
  }));
}

function section64(v: ByteView, at: number, index: number): Omit<ElfSection, 'name'> {
  return {
    index,
    type: v.u32(at + 4),
    flags: v.u64(at + 8),
    addr: v.u64(at + 16),
    offset: v.u64Offset(at + 24),
    size: v.u64Offset(at + 32),
    link: v.u32(at + 40),
    info: v.u32(at + 44),
    entsize: v.u64Offset(at + 56),
  };
}

function section32(v: ByteView, at: number, index: number): Omit<ElfSection, 'name'> {
  return {
    index,
    type: v.u32(at + 4),
    flags: BigInt(v.u32(at + 8)),
    addr: BigInt(v.u32(at + 12)),
    offset: v.u32(at + 16),
    size: v.u32(at + 20),
    link: v.u32(at + 24),
    info: v.u32(at + 28),
    entsize: v.u32(at + 36),
  };
}

/**
 * Names from the section-name string table. A missing or out-of-range
 * table, or a name offset outside it, leaves "" for the names concerned:
 * the sections still count (types and addresses are intact), they only
 * cannot be found by name.
 */
async function sectionNames(
  source: ByteSource,
  header: ElfHeader,
  zero: SectionZero | undefined,
  sections: readonly Omit<ElfSection, 'name'>[],
  nameOffsets: readonly number[],
  warnings: string[],
): Promise<string[]> {
  const index = header.shstrndx === SHN_XINDEX && zero ? zero.link : header.shstrndx;
  if (index === 0) return sections.map(() => '');
  const table = sections[index];
  if (!table) {
    warnings.push(`section name table index ${index} is out of range (${sections.length} sections); names left empty`);
    return sections.map(() => '');
  }
  const strings = new StringTable(source, table.offset, table.size);
  if (strings.size < table.size) warnings.push(`section name table runs past the end of the file`);
  const names: string[] = [];
  let bad = 0;
  const held = await strings.prepare();
  for (const offset of nameOffsets) {
    const name = held ? strings.getHeld(offset, MAX_SECTION_NAME) : await strings.get(offset, MAX_SECTION_NAME);
    if (name === undefined && offset !== 0) bad++;
    names.push(name ?? '');
  }
  if (bad > 0) warnings.push(`${bad} section name offsets are outside the section name table`);
  return names;
}
