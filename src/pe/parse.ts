import type { BinaryIdentity } from '../binary/identity.js';
import type { ExecutableLayout, LoadRegion, MappedSection, SymbolInfo } from '../binary/layout.js';
import type { SymbolIndex } from '../binary/symbol-index.js';
import { checkRange, type ByteSource } from '../io/source.js';
import { CoffStringTable } from './coff-strings.js';
import {
  IMAGE_DIRECTORY_ENTRY_IMPORT,
  IMAGE_FILE_DLL,
  IMAGE_SCN_MEM_EXECUTE,
  IMAGE_SCN_MEM_READ,
  IMAGE_SCN_MEM_WRITE,
  PE32_PLUS_MAGIC,
  goArchForMachine,
} from './constants.js';
import { readPeHeaders, readSectionTable } from './headers.js';
import { readImportedDlls } from './imports.js';
import { readCoffSymbols } from './symbols.js';
import type { PeFile, PeSection } from './types.js';

/** Parses a PE32 or PE32+ image: headers, sections, import directory; COFF symbols are read on first lookup. */
export async function parsePe(source: ByteSource): Promise<PeFile> {
  const { header, directories } = await readPeHeaders(source);
  const strings = CoffStringTable.locate(source, header.pointerToSymbolTable, header.numberOfSymbols);
  const sections = await readSectionTable(source, header, strings);
  const mapped = sections.map((s) => mapSection(source, header.imageBase, s));
  const imports = await readImportedDlls(source, directories[IMAGE_DIRECTORY_ENTRY_IMPORT], sections);

  const identity: BinaryIdentity = {
    format: 'pe',
    os: 'windows',
    arch: goArchForMachine(header.machine),
    bits: header.optionalMagic === PE32_PLUS_MAGIC ? 64 : 32,
    endian: 'little',
    type: (header.characteristics & IMAGE_FILE_DLL) !== 0 ? 'shared-object' : 'executable',
  };

  const stripped = header.pointerToSymbolTable === 0 || header.numberOfSymbols === 0;
  let symbols: Promise<SymbolIndex> | undefined;
  const layout: ExecutableLayout = {
    format: 'pe',
    source,
    littleEndian: true,
    pointerSize: header.optionalMagic === PE32_PLUS_MAGIC ? 8 : 4,
    sections: mapped,
    // A PE image is mapped section by section, so the sections are the load regions.
    regions: sections.map((s, i): LoadRegion => {
      const m = mapped[i] as MappedSection;
      return {
        name: m.name,
        vaddr: m.vaddr,
        memSize: m.memSize,
        offset: m.offset,
        fileSize: m.fileSize,
        readable: (s.characteristics & IMAGE_SCN_MEM_READ) !== 0,
        writable: m.writable,
        executable: m.executable,
        rawFlags: m.rawFlags,
      };
    }),
    async findSymbol(name: string): Promise<SymbolInfo | undefined> {
      if (!strings || stripped) return undefined;
      symbols ??= readCoffSymbols(source, header, sections, mapped, strings);
      return (await symbols).find(name);
    },
  };

  return { identity, layout, stripped, imports, header, sections };
}

/**
 * The loader copies min(SizeOfRawData, VirtualSize) bytes from the file and
 * zero-fills the rest; VirtualSize 0 (seen in object-like images) means
 * SizeOfRawData. A section with no raw data pointer has no file bytes.
 */
function mapSection(source: ByteSource, imageBase: bigint, s: PeSection): MappedSection {
  const fileSize = s.pointerToRawData === 0 ? 0 : s.virtualSize > 0 ? Math.min(s.sizeOfRawData, s.virtualSize) : s.sizeOfRawData;
  if (fileSize > 0) checkRange(source, s.pointerToRawData, fileSize, `section ${s.name}`);
  return {
    name: s.name,
    vaddr: imageBase + BigInt(s.virtualAddress),
    offset: s.pointerToRawData,
    fileSize,
    memSize: BigInt(s.virtualSize > 0 ? s.virtualSize : s.sizeOfRawData),
    writable: (s.characteristics & IMAGE_SCN_MEM_WRITE) !== 0,
    executable: (s.characteristics & IMAGE_SCN_MEM_EXECUTE) !== 0,
    rawFlags: s.characteristics,
  };
}
