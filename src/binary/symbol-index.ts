import type { MappedSection, SymbolInfo } from './layout.js';

/**
 * Name lookup over a Mach-O nlist or PE COFF symbol table, shared by both
 * readers. Names are compared as bytes where they lie instead of decoded up
 * front: a hostile table can point a hundred thousand entries into one long
 * run without NUL, and decoding each would cost gigabytes. Both formats
 * store no symbol sizes, so a size is the distance to the next higher
 * address in the same section, or to the section's end.
 */
export interface IndexedSymbol {
  /** Virtual address. */
  readonly value: bigint;
  /** 1-based index into the layout's sections; 0 for absolute or unknown. */
  readonly sect: number;
}

/** Whether the symbol at `index` is named exactly `name` (UTF-8 bytes). */
export type NameMatcher = (index: number, name: Uint8Array) => boolean;

export class SymbolIndex {
  private readonly sizes: bigint[];

  constructor(
    private readonly symbols: readonly IndexedSymbol[],
    sections: readonly MappedSection[],
    private readonly nameMatches: NameMatcher,
  ) {
    this.sizes = sizesFromNeighbours(symbols, sections);
  }

  /** The first symbol named exactly `name`, or undefined. */
  find(name: string): SymbolInfo | undefined {
    const wanted = new TextEncoder().encode(name);
    if (wanted.length === 0) return undefined;
    for (let i = 0; i < this.symbols.length; i++) {
      if (!this.nameMatches(i, wanted)) continue;
      const s = this.symbols[i] as IndexedSymbol;
      return { name, value: s.value, size: this.sizes[i] ?? 0n };
    }
    return undefined;
  }
}

/** True when `table` holds `name` at `offset`, ended by NUL or by the end of the table. */
export function cstringEquals(table: Uint8Array, offset: number, name: Uint8Array): boolean {
  const end = offset + name.length;
  if (offset < 0 || end > table.length) return false;
  for (let k = 0; k < name.length; k++) if (table[offset + k] !== name[k]) return false;
  return end === table.length || table[end] === 0;
}

/** Size of each symbol: up to the next higher address in its section, else to the section's end; 0 when unknown. */
function sizesFromNeighbours(symbols: readonly IndexedSymbol[], sections: readonly MappedSection[]): bigint[] {
  const order = symbols.map((_, i) => i).filter((i) => (symbols[i]?.sect ?? 0) > 0);
  order.sort((a, b) => {
    const x = symbols[a] as IndexedSymbol;
    const y = symbols[b] as IndexedSymbol;
    return x.sect - y.sect || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0);
  });
  const sizes: bigint[] = new Array<bigint>(symbols.length).fill(0n);
  // One backward pass (not a scan per symbol, which is quadratic when a
  // hostile table repeats one address): remember the next distinct address.
  let sect = -1;
  let following: bigint | undefined;
  let nextHigher: bigint | undefined;
  for (let k = order.length - 1; k >= 0; k--) {
    const index = order[k] as number;
    const s = symbols[index] as IndexedSymbol;
    if (s.sect !== sect) {
      sect = s.sect;
      following = undefined;
      nextHigher = undefined;
    }
    if (following !== undefined && following !== s.value) nextHigher = following;
    following = s.value;
    const section = sections[s.sect - 1];
    const end = nextHigher ?? (section ? section.vaddr + section.memSize : undefined);
    sizes[index] = end !== undefined && end > s.value ? end - s.value : 0n;
  }
  return sizes;
}
