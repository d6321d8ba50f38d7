import { isMachO } from '../macho/magic.js';
import { isPe, peSignatureOffset } from '../pe/magic.js';
import type { BinaryFormat } from './identity.js';

/**
 * Names a file's executable format from its first bytes, without parsing
 * it: the cheap first step before the right reader runs. Pass at least 64
 * bytes (or the whole file when it is shorter); passing a few hundred lets
 * a PE image be told from an MS-DOS program.
 *
 * Mach-O includes fat (universal) files but not Java class files, which
 * share the CAFEBABE magic (see isFatHeader).
 */
export function detectFormat(head: Uint8Array): BinaryFormat {
  if (head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'elf';
  if (isMachO(head)) return 'macho';
  if (isPe(head)) return 'pe';
  const peOffset = peSignatureOffset(head);
  // "MZ" whose e_lfanew points past the bytes we were given: a PE image or an
  // MS-DOS program. Say PE and let parsePe check the signature.
  if (peOffset !== undefined && peOffset + 4 > head.length) return 'pe';
  return 'unknown';
}
