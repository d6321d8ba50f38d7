import type { ExecutableLayout } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import type { PclntabInfo } from './pclntab.js';

/**
 * The header of a Go pclntab: where its function table, names and
 * compilation units are, in each layout the toolchain has written.
 *
 * Layouts (src/runtime/symtab.go, src/debug/gosym/pclntab.go):
 * - 1.2-1.15 (0xfffffffb): word nfunc at 8, then the functab of pointer-sized
 *   {entry, funcoff} pairs; a `_func` at table+funcoff holds a pointer-sized
 *   entry and an int32 name offset from the table start.
 * - 1.16-1.17 (0xfffffffa): header words nfunc, nfiles, funcnameOffset,
 *   cuOffset, filetabOffset, pctabOffset, pclnOffset; the functab (pointer
 *   pairs) starts at pclnOffset, funcoffs and name offsets are relative to
 *   pclnOffset and funcnameOffset.
 * - 1.18+ (0xfffffff0, 0xfffffff1): as 1.16 with textStart inserted before
 *   funcnameOffset, and functab entries and `_func.entryOff` as uint32.
 */

/** Longest function name accepted; real ones (even long generic instantiations) are far shorter. */
export const MAX_FUNCTION_NAME = 1 << 16;

export interface PclntabHeader {
  readonly magic: number;
  readonly ptrSize: 4 | 8;
  /** Functions in the functab. */
  readonly nfunc: number;
  /** Offsets from the table start; undefined before Go 1.16, where names sit anywhere in the table. */
  readonly funcnameOffset?: number;
  readonly cuOffset?: number;
  /** End of the cu table (the file table's offset); undefined before Go 1.16. */
  readonly filetabOffset?: number;
  /** Where the functab starts, from the table start. */
  readonly functabOffset: number;
  /** Base that `_func` offsets in the functab are relative to, from the table start. */
  readonly funcdataOffset: number;
  /** Bytes per functab field: pointer-sized before 1.18, 4 after. */
  readonly functabFieldSize: 4 | 8;
}

/** How errors name a binary's pclntab. */
export function pclntabWhere(layout: ExecutableLayout): string {
  return `${layout.source.name}: pclntab`;
}

/** Reads and checks the header words of a pclntab findPclntab located; every offset is bounded by the table's area. */
export async function readPclntabHeader(layout: ExecutableLayout, pcln: PclntabInfo): Promise<PclntabHeader> {
  const { ptrSize, magic } = pcln;
  const where = pclntabWhere(layout);
  const size = Math.min(pcln.size, layout.source.size - pcln.offset);
  const headerWords = magic === 0xfffffffb ? 1 : magic === 0xfffffffa ? 7 : 8;
  const headerBytes = 8 + headerWords * ptrSize;
  if (size < headerBytes) throw new FormatError('truncated', `${where} header needs ${headerBytes} bytes, the table has ${size}`);
  const bytes = await layout.source.read(pcln.offset, headerBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const word = (i: number): number => {
    const at = 8 + i * ptrSize;
    const value = ptrSize === 8 ? view.getBigUint64(at, layout.littleEndian) : BigInt(view.getUint32(at, layout.littleEndian));
    // Anything past the table is as wrong as anything past 2^53: clamp and let the bounds checks below reject it.
    return value > BigInt(size) ? size + 1 : Number(value);
  };
  const nfunc = word(0);

  if (magic === 0xfffffffb) {
    const functabOffset = 8 + ptrSize;
    checkFunctab(where, nfunc, functabOffset, ptrSize, size);
    return { magic, ptrSize, nfunc, functabOffset, funcdataOffset: 0, functabFieldSize: ptrSize };
  }
  const first = magic === 0xfffffffa ? 2 : 3;
  const offsets = [0, 1, 2, 3, 4].map((i) => word(first + i));
  let previous = headerBytes;
  for (const offset of offsets) {
    if (offset < previous || offset > size) {
      throw new FormatError('malformed', `${where} header offsets are not increasing within the ${size}-byte table`);
    }
    previous = offset;
  }
  const [funcnameOffset, cuOffset, filetabOffset, , pclnOffset] = offsets as [number, number, number, number, number];
  const functabFieldSize = magic === 0xfffffffa ? ptrSize : 4;
  checkFunctab(where, nfunc, pclnOffset, functabFieldSize, size);
  return { magic, ptrSize, nfunc, funcnameOffset, cuOffset, filetabOffset, functabOffset: pclnOffset, funcdataOffset: pclnOffset, functabFieldSize };
}

/** The functab holds nfunc {entry, funcoff} pairs and a final entry: it must fit in the table. */
function checkFunctab(where: string, nfunc: number, start: number, field: number, size: number): void {
  if (nfunc > (size - start) / (2 * field)) {
    throw new FormatError('malformed', `${where} claims ${nfunc} functions, more than its ${size} bytes can hold`);
  }
}
