import type { ByteSource } from '../io/source.js';

/**
 * The format-neutral view of an executable that the Go readers work on:
 * where its named sections and loadable regions sit in the file and in
 * memory. ELF, Mach-O and PE parsers each produce one; nothing in src/golang
 * knows which format it is reading beyond `format`.
 */
export type ExecutableFormat = 'elf' | 'macho' | 'pe';

export interface MappedSection {
  /** ".go.buildinfo", "__go_buildinfo", ".data", ... as the file names it. */
  readonly name: string;
  /** Mach-O segment name ("__DATA"); undefined elsewhere. */
  readonly segment?: string;
  /** Virtual address once loaded (PE: ImageBase already added). */
  readonly vaddr: bigint;
  /** Offset of its bytes in the file; meaningless when fileSize is 0. */
  readonly offset: number;
  /** Bytes present in the file (0 for NOBITS/.bss and zero-fill). */
  readonly fileSize: number;
  readonly memSize: bigint;
  readonly writable: boolean;
  readonly executable: boolean;
  /** Raw flags as the format stores them (ELF sh_flags, Mach-O flags, PE characteristics). */
  readonly rawFlags: number;
}

export interface LoadRegion {
  /** Mach-O segment name; ELF "PT_LOAD#i"; PE section name. */
  readonly name: string;
  readonly vaddr: bigint;
  readonly memSize: bigint;
  readonly offset: number;
  readonly fileSize: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly executable: boolean;
  /** Mach-O maxprot/initprot are both kept here as (maxprot << 8) | initprot; ELF p_flags; PE characteristics. */
  readonly rawFlags: number;
}

export interface SymbolInfo {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
}

export interface ExecutableLayout {
  readonly format: ExecutableFormat;
  /** The bytes of this executable (for a Mach-O fat file: the chosen slice). */
  readonly source: ByteSource;
  readonly littleEndian: boolean;
  readonly pointerSize: 4 | 8;
  readonly sections: readonly MappedSection[];
  readonly regions: readonly LoadRegion[];
  /** Looks a symbol up by exact name in the static or dynamic symbol table, if the file has one. */
  findSymbol(name: string): Promise<SymbolInfo | undefined>;
}

/** File offset of a virtual address, and how many file bytes follow it in its region. */
export function mapAddress(layout: ExecutableLayout, va: bigint): { offset: number; available: number } | undefined {
  for (const r of layout.regions) {
    if (va >= r.vaddr && va < r.vaddr + BigInt(r.fileSize)) {
      const delta = Number(va - r.vaddr);
      return { offset: r.offset + delta, available: r.fileSize - delta };
    }
  }
  for (const s of layout.sections) {
    if (s.fileSize > 0 && va >= s.vaddr && va < s.vaddr + BigInt(s.fileSize)) {
      const delta = Number(va - s.vaddr);
      return { offset: s.offset + delta, available: s.fileSize - delta };
    }
  }
  return undefined;
}

export function findSection(layout: ExecutableLayout, ...names: string[]): MappedSection | undefined {
  for (const name of names) {
    const s = layout.sections.find((x) => x.name === name);
    if (s) return s;
  }
  return undefined;
}
