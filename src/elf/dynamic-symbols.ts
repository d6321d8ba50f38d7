import { ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { offsetOfAddress, type DynamicTable } from './dynamic.js';
import { stringTableOf, type StringTable } from './strings.js';
import { DT_GNU_HASH, DT_HASH, DT_MIPS_SYMTABNO, DT_SYMENT, DT_SYMTAB, EM_MIPS, EM_S390, SHT_DYNSYM, type ElfHeader, type ElfSection, type ElfSegment } from './types.js';

/**
 * Where a symbol table is: its place, entry size and number of entries,
 * with the strings their names are in. For the dynamic symbols, two ways
 * to find it. The section headers say it directly (SHT_DYNSYM and the
 * section it links to). The loader never reads section headers: it takes
 * DT_SYMTAB and DT_STRTAB from the dynamic section, and the number of
 * symbols follows from the hash table (DT_HASH's chain count, or the last
 * chain of DT_GNU_HASH). Libraries are read the loader's way (see
 * parseElfLinking): over the 230 libraries of a /usr/bin scan, reading and
 * naming their section headers cost more than the rest of their parse.
 * Both ways agree on every library and program of a Debian system
 * (dynamic-symbols.test.ts).
 */
export interface SymbolTable {
  readonly offset: number;
  readonly entsize: number;
  readonly count: number;
  readonly strings: StringTable;
}

const SYM_SIZE = { 32: 16, 64: 24 } as const;
/** Alpha's e_machine (not one we otherwise name): its DT_HASH words are 64-bit too. */
const EM_ALPHA = 0x9026;
/** More hash buckets than a real object has (they are sized to the symbol count). */
const MAX_BUCKETS = 1 << 22;

/** The dynamic symbols as the section headers describe them; undefined without a usable SHT_DYNSYM. */
export function dynamicSymbolsFromSections(source: ByteSource, header: ElfHeader, sections: readonly ElfSection[]): SymbolTable | undefined {
  const table = sections.find((s) => s.type === SHT_DYNSYM);
  return table ? symbolTableOfSection(source, header, sections, table) : undefined;
}

/** The symbol table a section header describes (.symtab or .dynsym), with the string table it links to; undefined when that link or its place is unusable. */
export function symbolTableOfSection(source: ByteSource, header: ElfHeader, sections: readonly ElfSection[], table: ElfSection): SymbolTable | undefined {
  const linked = sections[table.link];
  if (!linked || linked.index === 0 || table.offset >= source.size) return undefined;
  const entsize = symbolEntrySize(header, table.entsize);
  const count = Math.floor(Math.min(table.size, source.size - table.offset) / entsize);
  return { offset: table.offset, entsize, count, strings: stringTableOf(source, linked.offset, linked.size) };
}

/**
 * The table as the loader finds it: DT_SYMTAB through the PT_LOAD segments,
 * its length from DT_HASH, DT_GNU_HASH or (MIPS) DT_MIPS_SYMTABNO;
 * undefined when the dynamic section does not say where it is or how long
 * it is (or says something outside the file): the caller then asks the
 * section headers (parseElfLinking does).
 */
export async function dynamicSymbolsFromDynamic(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  dynamic: DynamicTable,
): Promise<SymbolTable | undefined> {
  const strings = dynamic.strings;
  const where = addressOffset(segments, dynamic.values.get(DT_SYMTAB));
  if (strings === undefined || where === undefined || where.offset >= source.size) return undefined;
  const syment = dynamic.values.get(DT_SYMENT);
  const entsize = symbolEntrySize(header, syment === undefined || syment > 256n ? 0 : Number(syment));
  // Never past the file, nor past the segment the table sits in.
  const fits = Math.floor(Math.min(source.size - where.offset, where.available) / entsize);
  const count = await countFromDynamic(source, header, segments, dynamic, fits);
  return count === undefined ? undefined : { offset: where.offset, entsize, count, strings };
}

/** sh_entsize or DT_SYMENT when it is at least the class's symbol size (the spec allows larger), else that size. */
function symbolEntrySize(header: ElfHeader, declared: number): number {
  const minimum = SYM_SIZE[header.class];
  return declared >= minimum && declared <= 256 ? declared : minimum;
}

function addressOffset(segments: readonly ElfSegment[], va: bigint | undefined): { offset: number; available: number } | undefined {
  return va === undefined ? undefined : offsetOfAddress(segments, va);
}

/**
 * How many symbols the dynamic section accounts for: DT_MIPS_SYMTABNO on
 * MIPS, else DT_HASH's nchain, else the end of DT_GNU_HASH's last chain;
 * undefined when none is there, readable, or within the `fits` symbols the
 * table's segment can hold (a count past them is not the table's).
 */
async function countFromDynamic(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  dynamic: DynamicTable,
  fits: number,
): Promise<number | undefined> {
  const within = (count: number | bigint | undefined): number | undefined => (count !== undefined && count <= fits ? Number(count) : undefined);
  const mipsCount = header.machine === EM_MIPS ? dynamic.values.get(DT_MIPS_SYMTABNO) : undefined;
  if (mipsCount !== undefined) return within(mipsCount);
  const sysv = addressOffset(segments, dynamic.values.get(DT_HASH));
  // DT_HASH's words are 32-bit, except on 64-bit s390 (and Alpha), where they are 64-bit.
  const word = header.class === 64 && (header.machine === EM_S390 || header.machine === EM_ALPHA) ? 8 : 4;
  if (sysv !== undefined && sysv.offset + 2 * word <= source.size && sysv.available >= 2 * word) {
    const words = new ByteView(await source.read(sysv.offset, 2 * word), header.littleEndian, `${source.name}: DT_HASH`);
    return within(word === 8 ? words.u64(8) : words.u32(4));
  }
  const gnu = addressOffset(segments, dynamic.values.get(DT_GNU_HASH));
  if (gnu === undefined) return undefined;
  return within(await gnuHashCount(source, header, gnu.offset, Math.min(gnu.available, source.size - gnu.offset), fits));
}

/**
 * DT_GNU_HASH holds nbuckets, symoffset, the bloom filter, one word per
 * bucket (the first symbol of its chain) and one word per hashed symbol,
 * whose low bit ends a chain. The symbols before symoffset are not hashed;
 * the hashed ones run to the end of the chain the highest bucket starts.
 */
async function gnuHashCount(source: ByteSource, header: ElfHeader, offset: number, available: number, fits: number): Promise<number | undefined> {
  if (offset < 0 || available < 16) return undefined;
  const what = `${source.name}: DT_GNU_HASH`;
  const head = new ByteView(await source.read(offset, 16), header.littleEndian, what);
  const nbuckets = head.u32(0);
  const symoffset = head.u32(4);
  const bloomWords = head.u32(8);
  const bloomBytes = bloomWords * (header.class === 64 ? 8 : 4);
  const bucketsAt = 16 + bloomBytes;
  if (nbuckets > MAX_BUCKETS || symoffset > fits || bucketsAt + nbuckets * 4 > available) return undefined;
  const buckets = new ByteView(await source.read(offset + bucketsAt, nbuckets * 4), header.littleEndian, what);
  let last = 0;
  for (let i = 0; i < nbuckets; i++) last = Math.max(last, buckets.u32(i * 4));
  if (last < symoffset) return symoffset; // nothing hashed: every symbol is one of the first symoffset
  // Follow the highest chain to its end, a window of words at a time, never past the symbols the table can hold.
  const chainsAt = bucketsAt + nbuckets * 4;
  for (let index = last; index < fits; ) {
    const at = chainsAt + (index - symoffset) * 4;
    const words = Math.min(1024, fits - index, Math.floor((available - at) / 4));
    if (words <= 0) return undefined;
    const chain = new ByteView(await source.read(offset + at, words * 4), header.littleEndian, what);
    for (let i = 0; i < words; i++, index++) if ((chain.u32(i * 4) & 1) !== 0) return index + 1;
  }
  return undefined;
}
