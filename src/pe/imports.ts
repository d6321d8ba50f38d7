import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { IMPORT_DESCRIPTOR_SIZE } from './constants.js';
import type { DataDirectory } from './headers.js';
import type { PeSection } from './types.js';

/** More DLLs than any real image imports; a table without a terminator before this is hostile. */
const MAX_IMPORTED_DLLS = 4096;
/** DLL names are short file names; Windows caps paths at 260 characters. */
const MAX_DLL_NAME = 260;

/** File offset of a relative virtual address, and how many bytes of its section follow it in the file. */
export function rvaToOffset(sections: readonly PeSection[], rva: number): { offset: number; available: number } | undefined {
  for (const s of sections) {
    if (s.pointerToRawData === 0) continue;
    const delta = rva - s.virtualAddress;
    if (delta >= 0 && delta < s.sizeOfRawData && (s.virtualSize === 0 || delta < s.virtualSize)) {
      return { offset: s.pointerToRawData + delta, available: s.sizeOfRawData - delta };
    }
  }
  return undefined;
}

/**
 * The DLL names of the import directory, in descriptor order. The table
 * ends at an all-zero descriptor; its length is bounded by the bytes its
 * section holds and by MAX_IMPORTED_DLLS.
 */
export async function readImportedDlls(source: ByteSource, directory: DataDirectory | undefined, sections: readonly PeSection[]): Promise<string[]> {
  if (!directory || directory.rva === 0) return [];
  const name = source.name;
  const where = rvaToOffset(sections, directory.rva);
  if (!where) throw new FormatError('malformed', `${name}: import directory at RVA 0x${directory.rva.toString(16)} is in no section`);
  const room = Math.max(0, Math.floor(Math.min(where.available, source.size - where.offset) / IMPORT_DESCRIPTOR_SIZE));
  const limit = Math.min(room, MAX_IMPORTED_DLLS);
  const table = new ByteView(await source.read(where.offset, limit * IMPORT_DESCRIPTOR_SIZE), true, `${name}: import directory`);

  const dlls: string[] = [];
  for (let i = 0; ; i++) {
    if (i >= limit) {
      const why = limit === MAX_IMPORTED_DLLS ? 'limit' : 'truncated';
      throw new FormatError(why, `${name}: import directory has no terminating entry within ${limit} descriptors`);
    }
    const at = i * IMPORT_DESCRIPTOR_SIZE;
    const nameRva = table.u32(at + 12);
    if (nameRva === 0 && table.u32(at) === 0 && table.u32(at + 16) === 0) break;
    const nameAt = rvaToOffset(sections, nameRva);
    if (!nameAt) throw new FormatError('malformed', `${name}: import descriptor ${i} names its DLL at RVA 0x${nameRva.toString(16)}, in no section`);
    if (nameAt.offset >= source.size) throw new FormatError('truncated', `${name}: import descriptor ${i} names its DLL past the end of the file`);
    const length = Math.min(nameAt.available, MAX_DLL_NAME + 1, source.size - nameAt.offset);
    dlls.push(new ByteView(await source.read(nameAt.offset, length), true, name).cstring(0, length));
  }
  return dlls;
}
