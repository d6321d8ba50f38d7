import type { MappedSection } from '../binary/layout.js';
import { cstringEquals, SymbolIndex, type IndexedSymbol } from '../binary/symbol-index.js';
import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import type { CoffStringTable } from './coff-strings.js';
import { COFF_SYMBOL_SIZE, IMAGE_SYM_ABSOLUTE } from './constants.js';
import type { PeHeader, PeSection } from './types.js';

/** A symbol's name: eight inline bytes (NUL padded), or an offset into the string table. */
type NameRef = { inline: Uint8Array } | { offset: number };

/**
 * Reads the COFF symbol table into an index. Values become virtual
 * addresses (ImageBase + section RVA + value) so they go straight to
 * mapAddress; runtime.pclntab then spans up to the next symbol,
 * runtime.epclntab. Undefined and debugging symbols are skipped.
 */
export async function readCoffSymbols(
  source: ByteSource,
  header: PeHeader,
  sections: readonly PeSection[],
  mapped: readonly MappedSection[],
  strings: CoffStringTable,
): Promise<SymbolIndex> {
  const count = header.numberOfSymbols;
  // CoffStringTable.locate already checked that count entries fit in the file.
  const table = new ByteView(await source.read(header.pointerToSymbolTable, count * COFF_SYMBOL_SIZE), true, `${source.name}: COFF symbol table`);
  const stringBytes = await strings.bytes();
  const symbols: IndexedSymbol[] = [];
  const names: NameRef[] = [];
  // Each record may be followed by auxiliary records; the index always advances, so the loop ends.
  for (let i = 0; i < count; i += 1 + table.u8(i * COFF_SYMBOL_SIZE + 17)) {
    const at = i * COFF_SYMBOL_SIZE;
    const sectionNumber = (table.u16(at + 12) << 16) >> 16;
    if (sectionNumber !== IMAGE_SYM_ABSOLUTE && sectionNumber < 1) continue;
    let name: NameRef;
    if (table.u32(at) === 0) {
      const offset = table.u32(at + 4);
      strings.checkOffset(stringBytes, offset, `COFF symbol ${i}`);
      name = { offset };
    } else {
      name = { inline: table.slice(at, 8) };
    }
    const value = BigInt(table.u32(at + 8));
    if (sectionNumber === IMAGE_SYM_ABSOLUTE) {
      symbols.push({ value, sect: 0 });
    } else {
      const section = sections[sectionNumber - 1];
      if (!section) throw new FormatError('malformed', `${source.name}: COFF symbol ${i} is in section ${sectionNumber} of ${sections.length}`);
      symbols.push({ value: header.imageBase + BigInt(section.virtualAddress) + value, sect: sectionNumber });
    }
    names.push(name);
  }
  return new SymbolIndex(symbols, mapped, (index, wanted) => {
    const ref = names[index];
    if (!ref) return false;
    return 'inline' in ref ? cstringEquals(ref.inline, 0, wanted) : cstringEquals(stringBytes, ref.offset, wanted);
  });
}
