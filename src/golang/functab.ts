import type { ExecutableLayout } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import type { PclntabInfo } from './pclntab.js';
import { MAX_FUNCTION_NAME, pclntabWhere, readPclntabHeader, type PclntabHeader } from './pclntab-header.js';
import { WindowReader } from './window-reader.js';

/** What the functab says of each function, by functab index. */
export interface FunctabEntries {
  /** Each `_func`'s name offset: relative to the name table from 1.16 on, to the table start before. */
  readonly nameOffsets: Uint32Array;
  /** Each `_func`'s compilation unit (1.16+; undefined before). */
  readonly units: Uint32Array | undefined;
}

/**
 * Reads every functab function's `_func` name offset and compilation unit
 * (4 or 8 bytes a function). The functab and the `_func` records are read
 * through separate windows, since the records spread over the table.
 */
export async function readFunctabEntries(layout: ExecutableLayout, pcln: PclntabInfo, h: PclntabHeader): Promise<FunctabEntries> {
  const where = pclntabWhere(layout);
  const size = Math.min(pcln.size, layout.source.size - pcln.offset);
  const field = h.functabFieldSize;
  // The functab gets a window of its own, no larger than itself, so the walk reads each byte of the table about once.
  const functabBytes = Math.min(size - h.functabOffset, (2 * h.nfunc + 1) * field);
  const functab = new WindowReader(layout.source, pcln.offset + h.functabOffset, functabBytes, layout.littleEndian, `${where} functab`);
  const records = new WindowReader(layout.source, pcln.offset, size, layout.littleEndian, where);
  // _func: the entry (pointer-sized before 1.18, uint32 after), int32 nameOff,
  // then args, deferreturn, pcsp, pcfile, pcln, npcdata (4 bytes each) and, from 1.16, cuOffset.
  const entrySize = h.magic === 0xfffffff0 || h.magic === 0xfffffff1 ? 4 : h.ptrSize;
  const entries: FunctabEntries = { nameOffsets: new Uint32Array(h.nfunc), units: h.cuOffset !== undefined ? new Uint32Array(h.nfunc) : undefined };
  const stretch: HeldStretch = { where, field, entrySize, funcdataOffset: h.funcdataOffset, littleEndian: layout.littleEndian, nfunc: h.nfunc };
  for (let i = 0; i < h.nfunc; ) {
    // Entries whose fields both windows hold, read inline; then one entry through the readers, which move their windows.
    i = readHeldEntries(stretch, i, functab.held(), records.held(), entries);
    if (i >= h.nfunc) break;
    const at = (2 * i + 1) * field;
    const funcoff = (field === 4 ? functab.peekU32(at) : undefined) ?? (await functab.word(at, field));
    const func = h.funcdataOffset + funcoff;
    const nameOff = records.peekI32(func + entrySize) ?? (await records.i32(func + entrySize));
    if (nameOff < 0) throw negativeNameOffset(where, i, nameOff);
    entries.nameOffsets[i] = nameOff;
    if (entries.units !== undefined) entries.units[i] = records.peekU32(func + entrySize + 28) ?? (await records.u32(func + entrySize + 28));
    i++;
  }
  return entries;
}

/** What readHeldEntries needs of a table, fixed for the walk. */
interface HeldStretch {
  readonly where: string;
  readonly field: number;
  readonly entrySize: number;
  readonly funcdataOffset: number;
  readonly littleEndian: boolean;
  readonly nfunc: number;
}

type Held = ReturnType<WindowReader['held']>;

/**
 * readFunctabEntries' loop for the entries from `from` on whose functab
 * field and `_func` fields the windows already hold, with the reads written
 * out over local variables: a scan runs this (96,000 entries for
 * cmd/compile) in V8's interpreter, where a call per field, and a property
 * read per window bound, cost most of the walk. Synchronous, so V8 can
 * also optimise the loop while it runs. Returns the first entry it did not
 * read.
 */
function readHeldEntries(t: HeldStretch, from: number, functab: Held, records: Held, entries: FunctabEntries): number {
  if (t.field !== 4) return from;
  const { littleEndian: le, entrySize, funcdataOffset, nfunc } = t;
  const { nameOffsets, units } = entries;
  const last = units !== undefined ? entrySize + 32 : entrySize + 4;
  const { start: tableStart, end: tableEnd, view: table } = functab;
  const { start: recordsStart, end: recordsEnd, view: record } = records;
  let i = from;
  for (; i < nfunc; i++) {
    const at = (2 * i + 1) * 4;
    if (at < tableStart || at + 4 > tableEnd) return i;
    const func = funcdataOffset + table.getUint32(at - tableStart, le);
    if (func < recordsStart || func + last > recordsEnd) return i;
    const nameOff = record.getInt32(func + entrySize - recordsStart, le);
    if (nameOff < 0) throw negativeNameOffset(t.where, i, nameOff);
    nameOffsets[i] = nameOff;
    if (units !== undefined) units[i] = record.getUint32(func + entrySize + 28 - recordsStart, le);
  }
  return i;
}

function negativeNameOffset(where: string, i: number, nameOff: number): FormatError {
  return new FormatError('malformed', `${where} function ${i} has a negative name offset ${nameOff}`);
}

/**
 * Calls `visit` with the name of each function in the functab, in table
 * order, following every entry's `_func` to its name. Works for every
 * layout; forEachFunctionName prefers the plain name table where one exists,
 * since it also names inlined functions and reads sequentially.
 */
export async function forEachFunctabName(
  layout: ExecutableLayout,
  pcln: PclntabInfo,
  visit: (name: string) => void,
  header?: PclntabHeader,
): Promise<void> {
  const h = header ?? (await readPclntabHeader(layout, pcln));
  const where = pclntabWhere(layout);
  const size = Math.min(pcln.size, layout.source.size - pcln.offset);
  const names = new WindowReader(layout.source, pcln.offset, size, layout.littleEndian, where);
  // Names are relative to the funcname table from 1.16 on, to the table start before.
  const namesBase = h.funcnameOffset ?? 0;
  const namesEnd = h.cuOffset ?? size;
  // Offsets first (4 bytes a function), names after.
  const { nameOffsets } = await readFunctabEntries(layout, pcln, h);
  for (const nameOff of nameOffsets) {
    const at = namesBase + nameOff;
    if (at >= namesEnd) throw new FormatError('malformed', `${where} has a function name offset ${nameOff} outside its name table`);
    const name = await names.cstring(at, Math.min(MAX_FUNCTION_NAME, namesEnd - at));
    if (name.length > 0) visit(name);
  }
}
