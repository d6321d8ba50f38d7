/**
 * Builders for small PE images whose every field a test chooses, written
 * from Microsoft's PE/COFF specification: MS-DOS header, PE signature, COFF
 * header, PE32 or PE32+ optional header, section table, raw section data, an
 * optional import directory and COFF symbol + string tables.
 */

export const MACHINE = { amd64: 0x8664, i386: 0x14c, arm64: 0xaa64, armnt: 0x1c4, riscv64: 0x5064 } as const;
export const SCN = {
  code: 0x20,
  initializedData: 0x40,
  uninitializedData: 0x80,
  execute: 0x20000000,
  read: 0x40000000,
  write: 0x80000000,
} as const;
export const FILE_EXECUTABLE_IMAGE = 0x2;
export const FILE_DLL = 0x2000;

const FILE_ALIGNMENT = 0x200;
const SECTION_ALIGNMENT = 0x1000;

export interface SynthPeSection {
  name: string;
  /** Defaults to the next SECTION_ALIGNMENT boundary after the previous section. */
  virtualAddress?: number;
  virtualSize: number;
  /** Bytes stored in the file (rounded up to FILE_ALIGNMENT); 0 for .bss-like sections. */
  rawSize: number;
  characteristics: number;
  /** Written at the start of the section's raw data. */
  data?: Uint8Array;
}

export interface SynthCoffSymbol {
  name: string;
  value: number;
  /** 1-based section, 0 undefined, -1 absolute, -2 debug. */
  sectionNumber: number;
  /** Auxiliary records that follow this one (filled with 0xee so a reader that skips them wrongly sees junk). */
  aux?: number;
}

export interface SynthPe {
  pe32plus: boolean;
  machine: number;
  characteristics?: number;
  imageBase: bigint;
  sections: SynthPeSection[];
  /** DLL names for an import directory, placed in an extra ".idata" section. */
  imports?: string[];
  /** A COFF symbol table (and string table) after the sections; long section names also need one. */
  symbols?: SynthCoffSymbol[];
  /** e_lfanew; 0x40 by default (right after the MS-DOS header). */
  lfanew?: number;
}

export interface BuiltPe {
  bytes: Uint8Array;
  /** File offsets of the structures tests like to corrupt. */
  offsets: { coffHeader: number; optionalHeader: number; sectionTable: number; symbolTable: number; stringTable: number; importDirectory: number };
  /** Each section's final RVA and raw data offset (the ".idata" section last when imports were asked for). */
  sections: { name: string; virtualAddress: number; pointerToRawData: number }[];
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function buildPe(spec: SynthPe): BuiltPe {
  const lfanew = spec.lfanew ?? 0x40;
  const optionalSize = spec.pe32plus ? 240 : 224;
  const sections = [...spec.sections];

  // The string table: size word, then long section names, then long symbol names.
  const strings: number[] = [0, 0, 0, 0];
  const addString = (s: string): number => {
    const at = strings.length;
    strings.push(...utf8(s), 0);
    return at;
  };

  // Import directory contents, laid out relative to the .idata section's start.
  let importSection: SynthPeSection | undefined;
  if (spec.imports) {
    const descriptors = (spec.imports.length + 1) * 20;
    importSection = { name: '.idata', virtualSize: descriptors + spec.imports.reduce((n, d) => n + d.length + 1, 0), rawSize: 0, characteristics: SCN.initializedData | SCN.read | SCN.write };
    importSection.rawSize = importSection.virtualSize;
    sections.push(importSection);
  }

  const sectionTable = lfanew + 4 + 20 + optionalSize;
  let rawAt = align(sectionTable + sections.length * 40, FILE_ALIGNMENT);
  let rva = SECTION_ALIGNMENT;
  const placed = sections.map((s) => {
    const virtualAddress = s.virtualAddress ?? rva;
    rva = align(virtualAddress + Math.max(s.virtualSize, 1), SECTION_ALIGNMENT);
    const rawSize = align(s.rawSize, FILE_ALIGNMENT);
    const pointerToRawData = rawSize > 0 ? rawAt : 0;
    rawAt += rawSize;
    return { ...s, virtualAddress, rawSize, pointerToRawData };
  });
  const symbols = spec.symbols;
  const needsStrings = symbols !== undefined || sections.some((s) => s.name.length > 8);
  const symbolTable = needsStrings ? rawAt : 0;
  const symbolRecords = (symbols ?? []).reduce((n, s) => n + 1 + (s.aux ?? 0), 0);
  const stringTable = symbolTable + symbolRecords * 18;
  const nameFields = placed.map((s) => (s.name.length > 8 ? utf8(`/${addString(s.name)}`) : utf8(s.name)));
  const symbolNames = (symbols ?? []).map((s) => (s.name.length > 8 ? addString(s.name) : -1));
  const stringBytes = new Uint8Array(strings);
  new DataView(stringBytes.buffer).setUint32(0, stringBytes.length, true);
  const total = needsStrings ? stringTable + stringBytes.length : rawAt;

  const bytes = new Uint8Array(total);
  const v = new DataView(bytes.buffer);
  bytes[0] = 0x4d; // 'M'
  bytes[1] = 0x5a; // 'Z'
  v.setUint32(0x3c, lfanew, true);
  bytes.set(utf8('PE\0\0'), lfanew);
  const coff = lfanew + 4;
  const defaultCharacteristics = FILE_EXECUTABLE_IMAGE | (spec.pe32plus ? 0x20 : 0x100);
  v.setUint16(coff, spec.machine, true);
  v.setUint16(coff + 2, placed.length, true);
  v.setUint32(coff + 8, symbolTable, true);
  v.setUint32(coff + 12, symbolRecords, true);
  v.setUint16(coff + 16, optionalSize, true);
  v.setUint16(coff + 18, spec.characteristics ?? defaultCharacteristics, true);

  const opt = coff + 20;
  v.setUint16(opt, spec.pe32plus ? 0x20b : 0x10b, true);
  if (spec.pe32plus) v.setBigUint64(opt + 24, spec.imageBase, true);
  else v.setUint32(opt + 28, Number(spec.imageBase), true);
  v.setUint32(opt + 32, SECTION_ALIGNMENT, true);
  v.setUint32(opt + 36, FILE_ALIGNMENT, true);
  v.setUint16(opt + 40, 6, true); // MajorOperatingSystemVersion
  v.setUint16(opt + 48, 6, true); // MajorSubsystemVersion
  v.setUint32(opt + 56, rva, true); // SizeOfImage
  v.setUint32(opt + 60, align(sectionTable + placed.length * 40, FILE_ALIGNMENT), true); // SizeOfHeaders
  v.setUint16(opt + 68, 3, true); // Subsystem: Windows console
  const dirs = spec.pe32plus ? 112 : 96;
  v.setUint32(opt + dirs - 4, 16, true); // NumberOfRvaAndSizes

  let importDirectory = 0;
  placed.forEach((s, i) => {
    const at = sectionTable + i * 40;
    bytes.set((nameFields[i] ?? new Uint8Array()).subarray(0, 8), at);
    v.setUint32(at + 8, s.virtualSize, true);
    v.setUint32(at + 12, s.virtualAddress, true);
    v.setUint32(at + 16, s.rawSize, true);
    v.setUint32(at + 20, s.pointerToRawData, true);
    v.setUint32(at + 36, s.characteristics >>> 0, true);
    if (s.data) bytes.set(s.data, s.pointerToRawData);
    if (importSection && s.name === importSection.name && spec.imports) {
      importDirectory = s.pointerToRawData;
      v.setUint32(opt + dirs + 8, s.virtualAddress, true);
      v.setUint32(opt + dirs + 12, (spec.imports.length + 1) * 20, true);
      let nameAt = (spec.imports.length + 1) * 20;
      spec.imports.forEach((dll, d) => {
        const desc = s.pointerToRawData + d * 20;
        v.setUint32(desc, s.virtualAddress + nameAt, true); // OriginalFirstThunk: any nonzero RVA will do here
        v.setUint32(desc + 12, s.virtualAddress + nameAt, true);
        v.setUint32(desc + 16, s.virtualAddress + nameAt, true);
        bytes.set(utf8(dll), s.pointerToRawData + nameAt);
        nameAt += dll.length + 1;
      });
    }
  });

  let record = 0;
  (symbols ?? []).forEach((s, i) => {
    const at = symbolTable + record * 18;
    const long = symbolNames[i] ?? -1;
    if (long >= 0) v.setUint32(at + 4, long, true);
    else bytes.set(utf8(s.name), at);
    v.setUint32(at + 8, s.value >>> 0, true);
    v.setInt16(at + 12, s.sectionNumber, true);
    bytes[at + 16] = 2; // IMAGE_SYM_CLASS_EXTERNAL
    bytes[at + 17] = s.aux ?? 0;
    bytes.fill(0xee, at + 18, at + 18 + (s.aux ?? 0) * 18);
    record += 1 + (s.aux ?? 0);
  });
  if (needsStrings) bytes.set(stringBytes, stringTable);

  return {
    bytes,
    offsets: { coffHeader: coff, optionalHeader: opt, sectionTable, symbolTable, stringTable: needsStrings ? stringTable : 0, importDirectory },
    sections: placed.map((s) => ({ name: s.name, virtualAddress: s.virtualAddress, pointerToRawData: s.pointerToRawData })),
  };
}
