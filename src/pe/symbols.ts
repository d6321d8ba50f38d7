import type { MappedSection, SymbolInfo } from '../binary/layout.js';
import { sizesFromNeighbours, type SectionedSymbol } from '../binary/symbol-sizes.js';
import { FormatError } from '../errors.js';
import { ByteView, decodeUtf8 } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import type { CoffStringTable } from './coff-strings.js';
import { COFF_SYMBOL_SIZE, IMAGE_SYM_ABSOLUTE } from './constants.js';
import type { PeHeader, PeSection } from './types.js';

/**
 * Reads the COFF symbol table into a name → symbol map. Values become
 * virtual addresses (ImageBase + section RVA + value) so they can go straight
 * to mapAddress; sizes are the distance to the next symbol in the section,
 * since COFF stores none (runtime.pclntab then spans up to runtime.epclntab).
 * Undefined and debugging symbols are skipped; the first definition of a name wins.
 */
export async function readCoffSymbols(
  source: ByteSource,
  header: PeHeader,
  sections: readonly PeSection[],
  mapped: readonly MappedSection[],
  strings: CoffStringTable,
): Promise<Map<string, SymbolInfo>> {
  const count = header.numberOfSymbols;
  // CoffStringTable.locate already checked that count entries fit in the file.
  const table = new ByteView(await source.read(header.pointerToSymbolTable, count * COFF_SYMBOL_SIZE), true, `${source.name}: COFF symbol table`);
  const symbols: SectionedSymbol[] = [];
  // Each record may be followed by auxiliary records; the index always advances, so the loop ends.
  for (let i = 0; i < count; i += 1 + table.u8(i * COFF_SYMBOL_SIZE + 17)) {
    const at = i * COFF_SYMBOL_SIZE;
    const sectionNumber = (table.u16(at + 12) << 16) >> 16;
    if (sectionNumber !== IMAGE_SYM_ABSOLUTE && sectionNumber < 1) continue;
    const name = await symbolName(table, at, strings, i);
    const value = BigInt(table.u32(at + 8));
    if (sectionNumber === IMAGE_SYM_ABSOLUTE) {
      symbols.push({ name, value, sect: 0 });
      continue;
    }
    const section = sections[sectionNumber - 1];
    if (!section) {
      throw new FormatError('malformed', `${source.name}: COFF symbol ${i} (${name}) is in section ${sectionNumber} of ${sections.length}`);
    }
    symbols.push({ name, value: header.imageBase + BigInt(section.virtualAddress) + value, sect: sectionNumber });
  }

  const sizes = sizesFromNeighbours(symbols, mapped);
  const byName = new Map<string, SymbolInfo>();
  symbols.forEach((s, i) => {
    if (s.name !== '' && !byName.has(s.name)) byName.set(s.name, { name: s.name, value: s.value, size: sizes[i] ?? 0n });
  });
  return byName;
}

/** A short name is inline (8 bytes, NUL padded); a long one is four zero bytes then a string-table offset. */
async function symbolName(table: ByteView, at: number, strings: CoffStringTable, index: number): Promise<string> {
  if (table.u32(at) === 0) return strings.get(table.u32(at + 4), `COFF symbol ${index}`);
  const raw = table.slice(at, 8);
  const nul = raw.indexOf(0);
  return decodeUtf8(nul === -1 ? raw : raw.subarray(0, nul));
}
