import { ByteView } from '../io/bytes.js';
import { DOS_MAGIC_0, DOS_MAGIC_1, E_LFANEW_OFFSET, PE_SIGNATURE } from './constants.js';

/**
 * Telling a PE image by its first bytes, apart from reading one: every file
 * inspect looks at is asked, and the reader (parse.ts) is loaded only for
 * the files that are PE.
 */

/**
 * True when `head` starts with "MZ" and holds "PE\0\0" where e_lfanew points.
 * Needs the head to reach the signature (Go puts it at 0x80; other linkers
 * within the first few hundred bytes); a shorter head gives false.
 */
export function isPe(head: Uint8Array): boolean {
  const at = peSignatureOffset(head);
  if (at === undefined || at + 4 > head.length) return false;
  return new ByteView(head, true, 'PE signature').u32(at) === PE_SIGNATURE;
}

/** e_lfanew when `head` starts with "MZ" and holds the field, else undefined. */
export function peSignatureOffset(head: Uint8Array): number | undefined {
  if (head.length < E_LFANEW_OFFSET + 4 || head[0] !== DOS_MAGIC_0 || head[1] !== DOS_MAGIC_1) return undefined;
  return new ByteView(head, true, 'MS-DOS header').u32(E_LFANEW_OFFSET);
}
