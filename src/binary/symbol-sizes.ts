import type { MappedSection } from './layout.js';

/**
 * Mach-O nlist and PE COFF symbol tables store no sizes. Both number
 * sections from 1 in the order of the layout's `sections`, so one helper
 * derives sizes for both.
 */
export interface SectionedSymbol {
  readonly name: string;
  /** Virtual address. */
  readonly value: bigint;
  /** 1-based index into the layout's sections; 0 for absolute or unknown. */
  readonly sect: number;
}

/** Size of each symbol: up to the next higher address in its section, else to the section's end; 0 when unknown. */
export function sizesFromNeighbours(symbols: readonly SectionedSymbol[], sections: readonly MappedSection[]): bigint[] {
  const order = symbols.map((_, i) => i).filter((i) => (symbols[i]?.sect ?? 0) > 0);
  order.sort((a, b) => {
    const x = symbols[a] as SectionedSymbol;
    const y = symbols[b] as SectionedSymbol;
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
    const s = symbols[index] as SectionedSymbol;
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
