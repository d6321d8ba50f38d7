import { ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { offsetOfAddress, type DynamicTable } from './dynamic.js';
import { stringTableOf, type StringTable } from './strings.js';
import { DT_GNU_HASH, DT_HASH, DT_SYMENT, DT_SYMTAB, EM_S390, SHT_DYNSYM, type ElfHeader, type ElfSection, type ElfSegment } from './types.js';

/**
 * Where a file's dynamic symbols are: .dynsym's place, entry size and
 * number of entries, with the strings their names are in.
 *
 * Two ways to find them. The section headers say it directly (SHT_DYNSYM
 * and the section it links to). The loader never reads section headers: it
 * takes DT_SYMTAB and DT_STRTAB from the dynamic section, and the number of
 * symbols follows from the hash table (DT_HASH's chain count, or the last
 * chain of DT_GNU_HASH). Libraries are read the loader's way (see
 * parseElfLinking): over the 230 libraries of a /usr/bin scan, reading and
 * naming their section headers cost more than the rest of their parse.
 * Both ways agree on every library and program of a Debian system
 * (dynamic-symbols.test.ts).
 */
export interface DynamicSymbolTable {
  readonly offset: number;
  readonly entsize: number;
  readonly count: number;
  readonly strings: StringTable;
}

const SYM_SIZE = { 32: 16, 64: 24 } as const;
/** More symbols than any real object exports (libLLVM has ~100,000). */
const MAX_SYMBOLS = 1 << 22;
/** Alpha's e_machine (not one we otherwise name): its DT_HASH words are 64-bit too. */
const EM_ALPHA = 0x9026;
/** More hash buckets than a real object has (they are sized to the symbol count). */
const MAX_BUCKETS = 1 << 22;

/** The table as the section headers describe it; undefined without a usable SHT_DYNSYM. */
export function dynamicSymbolsFromSections(source: ByteSource, header: ElfHeader, sections: readonly ElfSection[]): DynamicSymbolTable | undefined {
  const table = sections.find((s) => s.type === SHT_DYNSYM);
  const linked = table ? sections[table.link] : undefined;
  if (!table || !linked || linked.index === 0 || table.offset >= source.size) return undefined;
  const entsize = usableEntsize(header, table.entsize);
  const count = Math.floor(Math.min(table.size, source.size - table.offset) / entsize);
  return { offset: table.offset, entsize, count, strings: stringTableOf(source, linked.offset, linked.size) };
}

/**
 * The table as the loader finds it: DT_SYMTAB through the PT_LOAD segments,
 * its length from DT_HASH or DT_GNU_HASH; undefined when the dynamic
 * section does not say (or says something outside the file).
 */
export async function dynamicSymbolsFromDynamic(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  dynamic: DynamicTable,
): Promise<DynamicSymbolTable | undefined> {
  const strings = dynamic.strings;
  const where = addressOffset(segments, dynamic.values.get(DT_SYMTAB));
  if (strings === undefined || where === undefined || where.offset >= source.size) return undefined;
  const syment = dynamic.values.get(DT_SYMENT);
  const entsize = usableEntsize(header, syment === undefined || syment > 256n ? 0 : Number(syment));
  const declared = (await countFromHash(source, header, segments, dynamic)) ?? 0;
  // Never past the file, nor past the segment the table sits in.
  const fits = Math.floor(Math.min(source.size - where.offset, where.available) / entsize);
  return { offset: where.offset, entsize, count: Math.min(declared, fits), strings };
}

/** sh_entsize or DT_SYMENT when it is at least the class's symbol size (the spec allows larger), else that size. */
function usableEntsize(header: ElfHeader, declared: number): number {
  const minimum = SYM_SIZE[header.class];
  return declared >= minimum && declared <= 256 ? declared : minimum;
}

function addressOffset(segments: readonly ElfSegment[], va: bigint | undefined): { offset: number; available: number } | undefined {
  return va === undefined ? undefined : offsetOfAddress(segments, va);
}

/** How many symbols the hash tables cover: DT_HASH's nchain, else the end of DT_GNU_HASH's last chain; undefined when neither is readable. */
async function countFromHash(source: ByteSource, header: ElfHeader, segments: readonly ElfSegment[], dynamic: DynamicTable): Promise<number | undefined> {
  const sysv = addressOffset(segments, dynamic.values.get(DT_HASH));
  // DT_HASH's words are 32-bit, except on 64-bit s390 (and Alpha), where they are 64-bit.
  const word = header.class === 64 && (header.machine === EM_S390 || header.machine === EM_ALPHA) ? 8 : 4;
  if (sysv !== undefined && sysv.offset + 2 * word <= source.size && sysv.available >= 2 * word) {
    const words = new ByteView(await source.read(sysv.offset, 2 * word), header.littleEndian, `${source.name}: DT_HASH`);
    const nchain = word === 8 ? words.u64(8) : BigInt(words.u32(4));
    return Number(nchain < BigInt(MAX_SYMBOLS) ? nchain : BigInt(MAX_SYMBOLS));
  }
  const gnu = addressOffset(segments, dynamic.values.get(DT_GNU_HASH));
  if (gnu === undefined) return undefined;
  return gnuHashCount(source, header, gnu.offset, Math.min(gnu.available, source.size - gnu.offset));
}

/**
 * DT_GNU_HASH holds nbuckets, symoffset, the bloom filter, one word per
 * bucket (the first symbol of its chain) and one word per hashed symbol,
 * whose low bit ends a chain. The symbols before symoffset are not hashed;
 * the hashed ones run to the end of the chain the highest bucket starts.
 */
async function gnuHashCount(source: ByteSource, header: ElfHeader, offset: number, available: number): Promise<number | undefined> {
  if (offset < 0 || available < 16) return undefined;
  const what = `${source.name}: DT_GNU_HASH`;
  const head = new ByteView(await source.read(offset, 16), header.littleEndian, what);
  const nbuckets = head.u32(0);
  const symoffset = head.u32(4);
  const bloomWords = head.u32(8);
  const bloomBytes = bloomWords * (header.class === 64 ? 8 : 4);
  const bucketsAt = 16 + bloomBytes;
  if (nbuckets > MAX_BUCKETS || symoffset > MAX_SYMBOLS || bucketsAt + nbuckets * 4 > available) return undefined;
  const buckets = new ByteView(await source.read(offset + bucketsAt, nbuckets * 4), header.littleEndian, what);
  let last = 0;
  for (let i = 0; i < nbuckets; i++) last = Math.max(last, buckets.u32(i * 4));
  if (last < symoffset) return symoffset; // nothing hashed: every symbol is one of the first symoffset
  // Follow the highest chain to its end, a window of words at a time.
  const chainsAt = bucketsAt + nbuckets * 4;
  for (let index = last; index < MAX_SYMBOLS; ) {
    const at = chainsAt + (index - symoffset) * 4;
    const words = Math.min(1024, Math.floor((available - at) / 4));
    if (words <= 0) return undefined;
    const chain = new ByteView(await source.read(offset + at, words * 4), header.littleEndian, what);
    for (let i = 0; i < words; i++, index++) if ((chain.u32(i * 4) & 1) !== 0) return index + 1;
  }
  return undefined;
}
