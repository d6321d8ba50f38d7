import type { MappedSection } from '../binary/layout.js';
import { cstringEquals, SymbolIndex, type IndexedSymbol } from '../binary/symbol-index.js';
import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { NLIST_64_SIZE, NLIST_SIZE, N_ABS, N_SECT, N_STAB, N_TYPE } from './constants.js';

/** Where LC_SYMTAB says the nlist array and its string table are; ranges already checked against the file. */
export interface SymtabLocation {
  readonly symoff: number;
  readonly nsyms: number;
  readonly stroff: number;
  readonly strsize: number;
}

/**
 * Reads the defined symbols of an LC_SYMTAB table into an index. Debugging
 * (stab) and undefined entries are skipped; section-relative (N_SECT) and
 * absolute (N_ABS) ones are kept. Both reads are bounded by the file: the
 * ranges were checked when LC_SYMTAB was parsed.
 */
export async function readMachOSymbols(
  source: ByteSource,
  symtab: SymtabLocation,
  is64: boolean,
  littleEndian: boolean,
  sections: readonly MappedSection[],
): Promise<SymbolIndex> {
  const entrySize = is64 ? NLIST_64_SIZE : NLIST_SIZE;
  const table = new ByteView(await source.read(symtab.symoff, symtab.nsyms * entrySize), littleEndian, `${source.name}: symbol table`);
  const strings = await source.read(symtab.stroff, symtab.strsize);

  const symbols: IndexedSymbol[] = [];
  const nameOffsets: number[] = [];
  for (let i = 0; i < symtab.nsyms; i++) {
    const at = i * entrySize;
    const type = table.u8(at + 4);
    if ((type & N_STAB) !== 0) continue;
    const kind = type & N_TYPE;
    if (kind !== N_SECT && kind !== N_ABS) continue;
    const strx = table.u32(at);
    if (strx >= symtab.strsize) {
      throw new FormatError('malformed', `${source.name}: symbol ${i} names string offset ${strx} beyond the ${symtab.strsize}-byte string table`);
    }
    const value = is64 ? table.u64(at + 8) : BigInt(table.u32(at + 8));
    symbols.push({ value, sect: kind === N_SECT ? table.u8(at + 5) : 0 });
    nameOffsets.push(strx);
  }
  return new SymbolIndex(symbols, sections, (index, name) => cstringEquals(strings, nameOffsets[index] ?? -1, name));
}
