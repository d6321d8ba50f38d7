import { FormatError } from '../errors.js';
import { ByteView, decodeUtf8 } from '../io/bytes.js';
import { checkRange, type ByteSource } from '../io/source.js';
import type { CoffStringTable } from './coff-strings.js';
import {
  COFF_HEADER_SIZE,
  DATA_DIRECTORY_SIZE,
  DOS_HEADER_SIZE,
  OPTIONAL_HEADER_LAYOUT,
  PE32_MAGIC,
  PE32_PLUS_MAGIC,
  PE_SIGNATURE,
  PE_SIGNATURE_SIZE,
  SECTION_HEADER_SIZE,
} from './constants.js';
import { peSignatureOffset } from './magic.js';
import type { PeHeader, PeSection } from './types.js';

export interface DataDirectory {
  readonly rva: number;
  readonly size: number;
}

/** Reads the MS-DOS stub pointer, the PE signature, the COFF header and the optional header. */
export async function readPeHeaders(source: ByteSource): Promise<{ header: PeHeader; directories: DataDirectory[] }> {
  const name = source.name;
  checkRange(source, 0, DOS_HEADER_SIZE, 'MS-DOS header');
  const peOffset = peSignatureOffset(await source.read(0, DOS_HEADER_SIZE));
  if (peOffset === undefined) throw new FormatError('malformed', `${name}: not a PE file (no MZ header)`);
  checkRange(source, peOffset, PE_SIGNATURE_SIZE + COFF_HEADER_SIZE, 'PE signature and COFF header');
  const coff = new ByteView(await source.read(peOffset, PE_SIGNATURE_SIZE + COFF_HEADER_SIZE), true, `${name}: COFF header`);
  if (coff.u32(0) !== PE_SIGNATURE) throw new FormatError('malformed', `${name}: not a PE file (no PE signature at offset ${peOffset}; an MS-DOS program?)`);

  const machine = coff.u16(4);
  const numberOfSections = coff.u16(6);
  const pointerToSymbolTable = coff.u32(12);
  const numberOfSymbols = coff.u32(16);
  const sizeOfOptionalHeader = coff.u16(20);
  const characteristics = coff.u16(22);

  const optionalOffset = peOffset + PE_SIGNATURE_SIZE + COFF_HEADER_SIZE;
  if (sizeOfOptionalHeader < 2) throw new FormatError('unsupported', `${name}: no optional header: a COFF object file, not a PE image`);
  checkRange(source, optionalOffset, sizeOfOptionalHeader, 'PE optional header');
  const optional = new ByteView(await source.read(optionalOffset, sizeOfOptionalHeader), true, `${name}: PE optional header`);
  const optionalMagic = optional.u16(0);
  if (optionalMagic !== PE32_MAGIC && optionalMagic !== PE32_PLUS_MAGIC) {
    throw new FormatError('unsupported', `${name}: PE optional header magic 0x${optionalMagic.toString(16)} is neither PE32 nor PE32+`);
  }
  const offsets = OPTIONAL_HEADER_LAYOUT[optionalMagic];
  const imageBase = optionalMagic === PE32_PLUS_MAGIC ? optional.u64(offsets.imageBase) : BigInt(optional.u32(offsets.imageBase));

  // Data directories: as many as both NumberOfRvaAndSizes and the header's size allow.
  const directories: DataDirectory[] = [];
  if (sizeOfOptionalHeader >= offsets.numberOfRvaAndSizes + 4) {
    const declared = optional.u32(offsets.numberOfRvaAndSizes);
    const room = Math.max(0, Math.floor((sizeOfOptionalHeader - offsets.dataDirectories) / DATA_DIRECTORY_SIZE));
    const count = Math.min(declared, room);
    for (let i = 0; i < count; i++) {
      const at = offsets.dataDirectories + i * DATA_DIRECTORY_SIZE;
      directories.push({ rva: optional.u32(at), size: optional.u32(at + 4) });
    }
  }

  return {
    header: { peOffset, machine, numberOfSections, pointerToSymbolTable, numberOfSymbols, sizeOfOptionalHeader, characteristics, optionalMagic, imageBase },
    directories,
  };
}

/** Reads the section table that follows the optional header; "/123" names are looked up in the string table. */
export async function readSectionTable(source: ByteSource, header: PeHeader, strings: CoffStringTable | undefined): Promise<PeSection[]> {
  const name = source.name;
  const count = header.numberOfSections;
  const start = header.peOffset + PE_SIGNATURE_SIZE + COFF_HEADER_SIZE + header.sizeOfOptionalHeader;
  // NumberOfSections is a u16, so the table is at most 2.6 MB, and checked against the file first.
  checkRange(source, start, count * SECTION_HEADER_SIZE, 'PE section table');
  const table = new ByteView(await source.read(start, count * SECTION_HEADER_SIZE), true, `${name}: PE section table`);
  const sections: PeSection[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * SECTION_HEADER_SIZE;
    const raw = table.slice(at, 8);
    const nul = raw.indexOf(0);
    let sectionName = decodeUtf8(nul === -1 ? raw : raw.subarray(0, nul));
    if (/^\/\d{1,7}$/.test(sectionName) && strings) {
      sectionName = await strings.sectionName(Number(sectionName.slice(1)), `section ${i} (${sectionName})`);
    }
    sections.push({
      name: sectionName,
      virtualSize: table.u32(at + 8),
      virtualAddress: table.u32(at + 12),
      sizeOfRawData: table.u32(at + 16),
      pointerToRawData: table.u32(at + 20),
      characteristics: table.u32(at + 36),
    });
  }
  return sections;
}
