/**
 * Builders for small Mach-O files whose every field a test chooses, written
 * from Apple's <mach-o/loader.h>, <mach-o/fat.h> and <mach-o/nlist.h>
 * layouts. Tests build one, optionally corrupt a field by offset, and know
 * exactly what a correct reader must report.
 */

export const CPU = {
  i386: 7,
  x86_64: 0x01000007,
  arm: 12,
  arm64: 0x0100000c,
  ppc: 18,
  ppc64: 0x01000012,
} as const;

export const FILETYPE = { object: 1, execute: 2, core: 4, dylib: 6, bundle: 8, dsym: 0xa } as const;
export const MH_PIE = 0x200000;
export const LC = { segment: 0x1, symtab: 0x2, dysymtab: 0xb, loadDylib: 0xc, segment64: 0x19, buildVersion: 0x32, versionMinIphoneos: 0x25 } as const;
export const S_ZEROFILL = 0x1;
export const N_SECT = 0x0e;
export const N_EXT = 0x01;
export const N_UNDF = 0x0;

export interface SynthSection {
  sectname: string;
  addr: bigint;
  size: bigint;
  offset: number;
  flags?: number;
}

export interface SynthSegment {
  segname: string;
  vmaddr: bigint;
  vmsize: bigint;
  fileoff: number;
  filesize: number;
  maxprot: number;
  initprot: number;
  sections?: SynthSection[];
}

export interface SynthSymbol {
  name: string;
  /** n_type byte: N_SECT | N_EXT for a defined external, 0x01 for undefined. */
  type: number;
  /** 1-based section number or 0. */
  sect: number;
  value: bigint;
}

export interface SynthMachO {
  is64: boolean;
  littleEndian: boolean;
  cputype: number;
  cpusubtype?: number;
  filetype: number;
  flags?: number;
  segments?: SynthSegment[];
  dylibs?: string[];
  /** LC_BUILD_VERSION platform (1 macOS, 2 iOS); omitted when undefined. */
  platform?: number;
  /** An LC_SYMTAB with these entries (and its string table) appended after everything else. */
  symbols?: SynthSymbol[];
  /** LC_DYSYMTAB counts of local and external defined symbols. */
  dysymtab?: { nlocalsym: number; nextdefsym: number };
  /** Minimum file size; the file is also long enough for every segment. */
  minSize?: number;
}

/** Offset of the first load command. */
export function loadCommandsOffset(is64: boolean): number {
  return is64 ? 32 : 28;
}

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(
    size: number,
    private readonly le: boolean,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  u16(at: number, v: number): void {
    this.view.setUint16(at, v, this.le);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, this.le);
  }
  u64(at: number, v: bigint): void {
    this.view.setBigUint64(at, v, this.le);
  }
  word(at: number, v: bigint, is64: boolean): void {
    if (is64) this.u64(at, v);
    else this.u32(at, Number(v));
  }
  name16(at: number, text: string): void {
    this.bytes.set(new TextEncoder().encode(text).subarray(0, 16), at);
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export function buildMachO(spec: SynthMachO): Uint8Array {
  const { is64 } = spec;
  const segments = spec.segments ?? [];
  const dylibs = spec.dylibs ?? [];
  const symbols = spec.symbols;
  const segSize = is64 ? 72 : 56;
  const sectSize = is64 ? 80 : 68;
  const dylibSizes = dylibs.map((d) => align(24 + d.length + 1, is64 ? 8 : 4));
  const sizeofcmds =
    segments.reduce((n, s) => n + segSize + (s.sections?.length ?? 0) * sectSize, 0) +
    dylibSizes.reduce((n, s) => n + s, 0) +
    (spec.platform !== undefined ? 24 : 0) +
    (symbols ? 24 : 0) +
    (spec.dysymtab ? 80 : 0);
  const ncmds = segments.length + dylibs.length + (spec.platform !== undefined ? 1 : 0) + (symbols ? 1 : 0) + (spec.dysymtab ? 1 : 0);
  const headerSize = loadCommandsOffset(is64);
  let end = Math.max(headerSize + sizeofcmds, spec.minSize ?? 0, ...segments.map((s) => s.fileoff + s.filesize));

  const stringTable: number[] = [0x20, 0]; // index 0 is " \0" by convention, so 0 means "no name"
  const nameOffsets = (symbols ?? []).map((s) => {
    const at = stringTable.length;
    stringTable.push(...new TextEncoder().encode(s.name), 0);
    return at;
  });
  const symoff = align(end, 8);
  const nlistSize = is64 ? 16 : 12;
  const stroff = symoff + (symbols?.length ?? 0) * nlistSize;
  if (symbols) end = stroff + stringTable.length;

  const w = new Writer(end, spec.littleEndian);
  // The magic is written in the file's byte order, so a little-endian file starts CF FA ED FE.
  w.u32(0, is64 ? 0xfeedfacf : 0xfeedface);
  w.u32(4, spec.cputype);
  w.u32(8, spec.cpusubtype ?? 3);
  w.u32(12, spec.filetype);
  w.u32(16, ncmds);
  w.u32(20, sizeofcmds);
  w.u32(24, spec.flags ?? 0);

  let at = headerSize;
  for (const seg of segments) {
    const sections = seg.sections ?? [];
    w.u32(at, is64 ? LC.segment64 : LC.segment);
    w.u32(at + 4, segSize + sections.length * sectSize);
    w.name16(at + 8, seg.segname);
    if (is64) {
      w.u64(at + 24, seg.vmaddr);
      w.u64(at + 32, seg.vmsize);
      w.u64(at + 40, BigInt(seg.fileoff));
      w.u64(at + 48, BigInt(seg.filesize));
    } else {
      w.u32(at + 24, Number(seg.vmaddr));
      w.u32(at + 28, Number(seg.vmsize));
      w.u32(at + 32, seg.fileoff);
      w.u32(at + 36, seg.filesize);
    }
    const p = is64 ? 56 : 40;
    w.u32(at + p, seg.maxprot);
    w.u32(at + p + 4, seg.initprot);
    w.u32(at + p + 8, sections.length);
    at += segSize;
    for (const s of sections) {
      w.name16(at, s.sectname);
      w.name16(at + 16, seg.segname);
      w.word(at + 32, s.addr, is64);
      w.word(at + (is64 ? 40 : 36), s.size, is64);
      w.u32(at + (is64 ? 48 : 40), s.offset);
      w.u32(at + (is64 ? 64 : 56), s.flags ?? 0);
      at += sectSize;
    }
  }
  dylibs.forEach((d, i) => {
    const size = dylibSizes[i] ?? 0;
    w.u32(at, LC.loadDylib);
    w.u32(at + 4, size);
    w.u32(at + 8, 24);
    w.bytes.set(new TextEncoder().encode(d), at + 24);
    at += size;
  });
  if (spec.platform !== undefined) {
    w.u32(at, LC.buildVersion);
    w.u32(at + 4, 24);
    w.u32(at + 8, spec.platform);
    at += 24;
  }
  if (symbols) {
    w.u32(at, LC.symtab);
    w.u32(at + 4, 24);
    w.u32(at + 8, symoff);
    w.u32(at + 12, symbols.length);
    w.u32(at + 16, stroff);
    w.u32(at + 20, stringTable.length);
    at += 24;
    symbols.forEach((s, i) => {
      const e = symoff + i * nlistSize;
      w.u32(e, nameOffsets[i] ?? 0);
      w.u8(e + 4, s.type);
      w.u8(e + 5, s.sect);
      w.word(e + 8, s.value, is64);
    });
    w.bytes.set(stringTable, stroff);
  }
  if (spec.dysymtab) {
    w.u32(at, LC.dysymtab);
    w.u32(at + 4, 80);
    w.u32(at + 12, spec.dysymtab.nlocalsym);
    w.u32(at + 16, spec.dysymtab.nlocalsym);
    w.u32(at + 20, spec.dysymtab.nextdefsym);
    at += 80;
  }
  return w.bytes;
}

export interface FatSlice {
  cputype: number;
  cpusubtype: number;
  bytes: Uint8Array;
}

/**
 * A fat (universal) file: big-endian header and arch table, each slice at
 * an offset aligned to 2^alignLog2 (lipo uses 2^14 for arm64 and x86_64).
 */
export function buildFat(slices: readonly FatSlice[], options: { fat64?: boolean; alignLog2?: number } = {}): Uint8Array {
  const fat64 = options.fat64 ?? false;
  const alignLog2 = options.alignLog2 ?? 14;
  const entry = fat64 ? 32 : 20;
  const offsets: number[] = [];
  let end = 8 + slices.length * entry;
  for (const s of slices) {
    end = align(end, 2 ** alignLog2);
    offsets.push(end);
    end += s.bytes.length;
  }
  const w = new Writer(end, false);
  w.u32(0, fat64 ? 0xcafebabf : 0xcafebabe);
  w.u32(4, slices.length);
  slices.forEach((s, i) => {
    const at = 8 + i * entry;
    const offset = offsets[i] ?? 0;
    w.u32(at, s.cputype);
    w.u32(at + 4, s.cpusubtype);
    if (fat64) {
      w.u64(at + 8, BigInt(offset));
      w.u64(at + 16, BigInt(s.bytes.length));
      w.u32(at + 24, alignLog2);
    } else {
      w.u32(at + 8, offset);
      w.u32(at + 12, s.bytes.length);
      w.u32(at + 16, alignLog2);
    }
    w.bytes.set(s.bytes, offset);
  });
  return w.bytes;
}

/** cputype and cpusubtype of a thin Mach-O, read from its header in its own byte order. */
export function machHeaderCpu(bytes: Uint8Array): { cputype: number; cpusubtype: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(0, false) === 0xcffaedfe || view.getUint32(0, false) === 0xcefaedfe;
  return { cputype: view.getUint32(4, le), cpusubtype: view.getUint32(8, le) };
}
