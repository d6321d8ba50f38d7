import type { MappedSection, SymbolInfo } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import { sizesFromNeighbours, type SectionedSymbol } from '../binary/symbol-sizes.js';
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

/** The longest symbol name we decode; Go's longest generic instantiations stay far below this. */
const MAX_SYMBOL_NAME = 64 * 1024;

/**
 * Reads the defined symbols of an LC_SYMTAB table into a name → symbol map.
 * Mach-O stores no symbol sizes, so each size is the distance to the next
 * symbol in the same section (or to the section's end), which is what a
 * caller looking for `runtime.pclntab` or a string header needs. Debugging
 * (stab) and undefined entries are skipped; the first definition of a name wins.
 */
export async function readMachOSymbols(
  source: ByteSource,
  symtab: SymtabLocation,
  is64: boolean,
  littleEndian: boolean,
  sections: readonly MappedSection[],
): Promise<Map<string, SymbolInfo>> {
  const entrySize = is64 ? NLIST_64_SIZE : NLIST_SIZE;
  const table = new ByteView(await source.read(symtab.symoff, symtab.nsyms * entrySize), littleEndian, `${source.name}: symbol table`);
  const strings = new ByteView(await source.read(symtab.stroff, symtab.strsize), littleEndian, `${source.name}: string table`);

  const raw: SectionedSymbol[] = [];
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
    const sect = kind === N_SECT ? table.u8(at + 5) : 0;
    raw.push({ name: strings.cstring(strx, MAX_SYMBOL_NAME), value, sect });
  }

  const sizes = sizesFromNeighbours(raw, sections);
  const byName = new Map<string, SymbolInfo>();
  raw.forEach((s, i) => {
    if (s.name !== '' && !byName.has(s.name)) byName.set(s.name, { name: s.name, value: s.value, size: sizes[i] ?? 0n });
  });
  return byName;
}
