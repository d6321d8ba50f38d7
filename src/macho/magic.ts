import { ByteView } from '../io/bytes.js';
import { FAT_HEADER_SIZE, FAT_MAGIC, FAT_MAGIC_64, MAX_FAT_ARCHES, MH_CIGAM, MH_CIGAM_64, MH_MAGIC, MH_MAGIC_64 } from './constants.js';

/**
 * Telling a Mach-O by its first bytes, apart from reading one: every file
 * inspect looks at is asked, and the reader (parse.ts) is loaded only for
 * the files that are Mach-O.
 */

/** True when `head` (the first bytes of a file, at least 8) starts like a thin or fat Mach-O. */
export function isMachO(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  if (thinMagicKind(new ByteView(head, false, 'magic').u32(0))) return true;
  return isFatHeader(head);
}

/** Byte order and word size of a thin Mach-O from its first four bytes (read big-endian), or undefined. */
export function thinMagicKind(magic: number): { is64: boolean; littleEndian: boolean } | undefined {
  switch (magic) {
    case MH_MAGIC:
      return { is64: false, littleEndian: false };
    case MH_MAGIC_64:
      return { is64: true, littleEndian: false };
    case MH_CIGAM:
      return { is64: false, littleEndian: true };
    case MH_CIGAM_64:
      return { is64: true, littleEndian: true };
    default:
      return undefined;
  }
}

/**
 * True when the first eight bytes are a fat header and not a Java class file:
 * both start with CAFEBABE, but a fat header follows it with a small
 * architecture count where a class file has its version (major >= 45).
 */
export function isFatHeader(head: Uint8Array): boolean {
  if (head.length < FAT_HEADER_SIZE) return false;
  const view = new ByteView(head, false, 'fat header');
  const magic = view.u32(0);
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) return false;
  const count = view.u32(4);
  return count >= 1 && count <= MAX_FAT_ARCHES;
}
