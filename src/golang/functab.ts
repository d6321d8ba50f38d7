import type { ExecutableLayout } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import type { PclntabInfo } from './pclntab.js';
import { MAX_FUNCTION_NAME, pclntabWhere, readPclntabHeader, type PclntabHeader } from './pclntab-header.js';
import { WindowReader } from './window-reader.js';

/**
 * Calls `visit` for each functab function with its `_func`'s name offset
 * (relative to the name table, or to the table start before 1.16) and its
 * compilation unit (1.16+). The functab and the `_func` records are read
 * through separate windows, since the records spread over the table.
 */
export async function forEachFunctabEntry(
  layout: ExecutableLayout,
  pcln: PclntabInfo,
  h: PclntabHeader,
  visit: (nameOff: number, cu: number | undefined, index: number) => void,
): Promise<void> {
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
  const hasUnits = h.cuOffset !== undefined;
  const stretch: HeldStretch = { where, field, entrySize, hasUnits, funcdataOffset: h.funcdataOffset, littleEndian: layout.littleEndian, nfunc: h.nfunc };
  for (let i = 0; i < h.nfunc; ) {
    // Entries whose fields both windows hold, read inline; then one entry through the readers, which move their windows.
    i = visitHeldEntries(stretch, i, functab.held(), records.held(), visit);
    if (i >= h.nfunc) break;
    const at = (2 * i + 1) * field;
    const funcoff = (field === 4 ? functab.peekU32(at) : undefined) ?? (await functab.word(at, field));
    const func = h.funcdataOffset + funcoff;
    const nameOff = records.peekI32(func + entrySize) ?? (await records.i32(func + entrySize));
    const cu = hasUnits ? (records.peekU32(func + entrySize + 28) ?? (await records.u32(func + entrySize + 28))) : undefined;
    if (nameOff < 0) throw negativeNameOffset(where, i, nameOff);
    visit(nameOff, cu, i);
    i++;
  }
}

/** What visitHeldEntries needs of a table, fixed for the walk. */
interface HeldStretch {
  readonly where: string;
  readonly field: number;
  readonly entrySize: number;
  readonly hasUnits: boolean;
  readonly funcdataOffset: number;
  readonly littleEndian: boolean;
  readonly nfunc: number;
}

type Held = ReturnType<WindowReader['held']>;

/**
 * forEachFunctabEntry's loop for the entries from `from` on whose functab
 * field and `_func` fields the windows already hold, with the reads written
 * out: a directory scan runs this (96,000 entries for cmd/compile) in V8's
 * interpreter, where a call per field cost most of the walk. Synchronous,
 * so V8 can also optimise the loop while it runs. Returns the first entry
 * it did not visit.
 */
function visitHeldEntries(
  t: HeldStretch,
  from: number,
  functab: Held,
  records: Held,
  visit: (nameOff: number, cu: number | undefined, index: number) => void,
): number {
  if (t.field !== 4) return from;
  const le = t.littleEndian;
  const last = t.hasUnits ? t.entrySize + 32 : t.entrySize + 4;
  let i = from;
  for (; i < t.nfunc; i++) {
    const at = (2 * i + 1) * 4;
    if (at < functab.start || at + 4 > functab.end) return i;
    const func = t.funcdataOffset + functab.view.getUint32(at - functab.start, le);
    if (func < records.start || func + last > records.end) return i;
    const nameOff = records.view.getInt32(func + t.entrySize - records.start, le);
    const cu = t.hasUnits ? records.view.getUint32(func + t.entrySize + 28 - records.start, le) : undefined;
    if (nameOff < 0) throw negativeNameOffset(t.where, i, nameOff);
    visit(nameOff, cu, i);
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
  // Offsets first (4 bytes a function), names after: the record walk's visitor cannot wait for reads.
  const offsets = new Uint32Array(h.nfunc);
  await forEachFunctabEntry(layout, pcln, h, (nameOff, _cu, i) => {
    offsets[i] = nameOff;
  });
  for (const nameOff of offsets) {
    const at = namesBase + nameOff;
    if (at >= namesEnd) throw new FormatError('malformed', `${where} has a function name offset ${nameOff} outside its name table`);
    const name = await names.cstring(at, Math.min(MAX_FUNCTION_NAME, namesEnd - at));
    if (name.length > 0) visit(name);
  }
}
