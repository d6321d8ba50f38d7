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
  /**
   * The functions whose name offset is below an earlier function's (a name
   * the linker had already written; ~1% in real tables), in functab order,
   * as (offset, index) keys: offset * INDEX_SPAN + index. Noted on the walk,
   * so putting the functions in name order needs no pass of its own.
   */
  readonly behind: number[];
  /** The largest name offset so far, and the largest unit other than NO_UNIT (-1: none). */
  largestOffset: number;
  largestUnit: number;
}

/** Room for a functab index beside a 32-bit offset in one exact double: 2^32 * 2^21 = 2^53. */
const INDEX_SPAN = 1 << 21;

/** The unit the linker gives functions outside every Go compilation unit (some C and assembler functions, go:buildid). */
const NO_UNIT = 0xffffffff;

/** Records function i's name offset and unit, noting the order and the units' range on the way. */
function noteEntry(entries: FunctabEntries, i: number, nameOff: number, unit: number): void {
  entries.nameOffsets[i] = nameOff;
  if (nameOff < entries.largestOffset) entries.behind.push(nameOff * INDEX_SPAN + i);
  else entries.largestOffset = nameOff;
  if (entries.units === undefined) return;
  entries.units[i] = unit;
  if (unit !== NO_UNIT && unit > entries.largestUnit) entries.largestUnit = unit;
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
  const entries: FunctabEntries = {
    nameOffsets: new Uint32Array(h.nfunc),
    units: h.cuOffset !== undefined ? new Uint32Array(h.nfunc) : undefined,
    behind: [],
    largestOffset: 0,
    largestUnit: -1,
  };
  const stretch: HeldStretch = { where, field, entrySize, funcdataOffset: h.funcdataOffset, littleEndian: layout.littleEndian, nfunc: h.nfunc };
  try {
    for (let i = 0; i < h.nfunc; ) {
      // Entries whose fields both windows hold, read inline; then one entry through the readers, which move their windows.
      i = readHeldEntries(stretch, i, functab.held(), records.held(), entries);
      if (i >= h.nfunc) break;
      const at = (2 * i + 1) * field;
      const funcoff = (field === 4 ? functab.peekU32(at) : undefined) ?? (await functab.word(at, field));
      const func = h.funcdataOffset + funcoff;
      const nameOff = records.peekI32(func + entrySize) ?? (await records.i32(func + entrySize));
      if (nameOff < 0) throw negativeNameOffset(where, i, nameOff);
      const unit = entries.units === undefined ? NO_UNIT : (records.peekU32(func + entrySize + 28) ?? (await records.u32(func + entrySize + 28)));
      noteEntry(entries, i, nameOff, unit);
      i++;
    }
  } finally {
    functab.release();
    records.release();
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

/** Whether this machine keeps a Uint32Array's elements little-endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** A held window's bytes as 32-bit words, or undefined when its bytes do not start on a word. */
function wordsOf(view: DataView): Uint32Array | undefined {
  return view.byteOffset % 4 === 0 ? new Uint32Array(view.buffer, view.byteOffset, view.byteLength >>> 2) : undefined;
}

/** A word read in the other byte order. */
function swapped(word: number): number {
  return (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
}

/**
 * readFunctabEntries' loop for the entries from `from` on whose functab
 * field and `_func` fields the windows already hold, with the reads written
 * out over local variables: a scan runs this (96,000 entries for
 * cmd/compile) in V8's interpreter, where a call per field, and a property
 * read per window bound, cost most of the walk. The windows are read as
 * Uint32Arrays, an element load where a DataView read is a call (a third
 * of this loop's time). Synchronous, so V8 can also optimise the loop
 * while it runs. Returns the first entry it did not read: at once when a
 * field is off a word boundary (a corrupt table), which the caller's
 * reads then take one by one.
 */
function readHeldEntries(t: HeldStretch, from: number, functab: Held, records: Held, entries: FunctabEntries): number {
  if (t.field !== 4) return from;
  const { entrySize, funcdataOffset, nfunc } = t;
  const { nameOffsets, units, behind } = entries;
  const last = units !== undefined ? entrySize + 32 : entrySize + 4;
  const { start: tableStart, end: tableEnd } = functab;
  const { start: recordsStart, end: recordsEnd } = records;
  const table = wordsOf(functab.view);
  const record = wordsOf(records.view);
  if (table === undefined || record === undefined || tableStart % 4 !== 0) return from;
  const swap = t.littleEndian !== HOST_LITTLE_ENDIAN;
  // noteEntry written out over local variables.
  let largestOffset = entries.largestOffset;
  let largestUnit = entries.largestUnit;
  // The bounds worked out once, not per entry (each operation here is a
  // builtin call at V8's baseline tier). Entry i's functab field is the
  // table's word 2i + 1: held from the window's first word, for i below
  // `end`. Its record's name offset is `entrySize` bytes into the record,
  // at `fieldByte` in the records window: the record must start in the
  // window (fieldByte >= entrySize) and its `last` bytes end in it.
  const firstWord = tableStart / 4;
  if (2 * from + 1 < firstWord) return from;
  const end = Math.min(nfunc, Math.floor((tableEnd - 8) / 8) + 1);
  const fieldBase = funcdataOffset + entrySize - recordsStart;
  const fieldMax = recordsEnd - recordsStart - last + entrySize;
  let i = from;
  for (let word = 2 * from + 1 - firstWord; i < end; i++, word += 2) {
    const funcoff = table[word] as number;
    const fieldByte = fieldBase + (swap ? swapped(funcoff) : funcoff);
    if (fieldByte < entrySize || fieldByte > fieldMax || fieldByte % 4 !== 0) break;
    const field = fieldByte >>> 2;
    const nameWord = record[field] as number;
    const nameOff = (swap ? swapped(nameWord) : nameWord) | 0;
    if (nameOff < 0) throw negativeNameOffset(t.where, i, nameOff);
    nameOffsets[i] = nameOff;
    if (nameOff < largestOffset) behind.push(nameOff * INDEX_SPAN + i);
    else largestOffset = nameOff;
    if (units === undefined) continue;
    const unitWord = record[field + 7] as number;
    const unit = swap ? swapped(unitWord) : unitWord;
    units[i] = unit;
    if (unit !== NO_UNIT && unit > largestUnit) largestUnit = unit;
  }
  entries.largestOffset = largestOffset;
  entries.largestUnit = largestUnit;
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
  try {
    for (const nameOff of nameOffsets) {
      const at = namesBase + nameOff;
      if (at >= namesEnd) throw new FormatError('malformed', `${where} has a function name offset ${nameOff} outside its name table`);
      const name = await names.cstring(at, Math.min(MAX_FUNCTION_NAME, namesEnd - at));
      if (name.length > 0) visit(name);
    }
  } finally {
    names.release();
  }
}

/** A unit for a name that has none (before Go 1.16, outside every unit, or a table whose units make no sense). */
export const NO_UNIT_GIVEN = -1;

/** Receives the functions named in a stretch of the name table, a stretch of one unit at a time. */
type UnitVisitor = (unit: number, functions: number) => void;

/**
 * The functab's functions in name-offset order, with their compilation
 * units, taken in order as a reader walks the name table (each lookup is a
 * step or two forward). The linker writes each function's name followed by
 * the names of the functions inlined into it that are not in the table yet
 * (cmd/link/internal/ld/pcln.go): a name no function has belongs with the
 * function named last before it, its parent.
 */
export class FunctionCursor {
  private next = 0;
  /** The unit of the function named last before the cursor. */
  private parent = NO_UNIT_GIVEN;
  /** How many functions the last takeName found. */
  named = 0;

  constructor(
    private readonly offsets: Uint32Array,
    /** Undefined when the table's units make no sense: every function then has none. */
    private readonly units: Uint32Array | undefined,
  ) {}

  /** Whether the functions come with their units (1.16+ tables whose units make sense). */
  get hasUnits(): boolean {
    return this.units !== undefined;
  }

  /**
   * Takes the functions whose names start in [from, to) of the name table
   * (whole names, each with its NUL), which must come after those taken
   * before: `visit` gets each stretch of functions of one unit, preceded by
   * (parent's unit, 0) when the stretch starts with a name that is only
   * inlined. NO_UNIT_GIVEN stands for no unit.
   */
  take(from: number, to: number, visit: UnitVisitor): void {
    const { offsets, units } = this;
    const n = offsets.length;
    let next = this.next;
    let parent = this.parent;
    // Functions named before `from`, in text that was never taken (empty names, a table that points elsewhere).
    while (next < n && (offsets[next] as number) < from) parent = unitAt(units, next++);
    if (next >= n || offsets[next] !== from) visit(parent, 0);
    let unit = NO_UNIT_GIVEN;
    let count = 0;
    for (; next < n && (offsets[next] as number) < to; next++) {
      const u = unitAt(units, next);
      if (u === unit) {
        count++;
        continue;
      }
      if (count > 0) visit(unit, count);
      unit = u;
      count = 1;
    }
    if (count > 0) {
      visit(unit, count);
      parent = unit;
    }
    this.next = next;
    this.parent = parent;
  }

  /** take for one name: its unit (its first function's, or its parent's when it is only inlined), with `named` set to how many functions it names. */
  takeName(from: number, to: number): number {
    let first: number | undefined;
    this.named = 0;
    this.take(from, to, (unit, functions) => {
      first ??= unit;
      this.named += functions;
    });
    return first ?? NO_UNIT_GIVEN;
  }
}

function unitAt(units: Uint32Array | undefined, i: number): number {
  const unit = units === undefined ? NO_UNIT : (units[i] as number);
  return unit === NO_UNIT ? NO_UNIT_GIVEN : unit;
}

/**
 * The functab's functions for a 1.16+ table, by name offset. Units are
 * indexes into the cu table; when one points past it, the `_func` layout is
 * not the one we know (a newer toolchain), and no units are given rather
 * than wrong ones.
 */
export async function functionsByName(layout: ExecutableLayout, pcln: PclntabInfo, h: PclntabHeader): Promise<FunctionCursor> {
  const unitCount = ((h.filetabOffset ?? 0) - (h.cuOffset ?? 0)) / 4;
  const entries = await readFunctabEntries(layout, pcln, h);
  const { nameOffsets, behind } = entries;
  const units = entries.largestUnit < unitCount ? entries.units : undefined;
  if (behind.length === 0) return new FunctionCursor(nameOffsets, units);
  // No real table has two million functions; one that claims so keeps its offsets (sorted natively) and loses its units.
  if (units === undefined || h.nfunc > INDEX_SPAN) return new FunctionCursor(nameOffsets.sort(), undefined);
  const sorted = sortByNameOffset(nameOffsets, units, behind);
  return new FunctionCursor(sorted.offsets, sorted.units);
}

/**
 * The functions in (name offset, index) order when a few (~1% in real
 * binaries: a function whose name the linker had already written, further
 * back) break the offsets' growth. The rest are in order already: they are
 * copied in stretches (natively, between the few), and each of the few,
 * sorted on its own as (offset, index) packed in one number for the typed
 * array's native sort, goes in after the rest's entries up to its offset
 * (found by binary search; those all come before it in the functab too,
 * or they would not be in order). `behind` is as FunctabEntries keeps it.
 * A sort of every entry cost kubectl's 67,000 several milliseconds, and a
 * merge one entry at a time nearly as much.
 */
export function sortByNameOffset(offsets: Uint32Array, units: Uint32Array, behind: readonly number[]): { offsets: Uint32Array; units: Uint32Array } {
  // Plain loops over typed arrays: V8 runs this once a binary, cold, where
  // from(), map() and spreading an array cost more than the copying.
  const n = offsets.length;
  const keys = new Float64Array(behind).sort();
  // The rest, in functab order: the stretches between the indexes of those behind.
  const cuts = new Float64Array(keys.length + 1);
  for (let k = 0; k < keys.length; k++) cuts[k] = (keys[k] as number) % INDEX_SPAN;
  cuts[keys.length] = n;
  cuts.sort();
  const restOffsets = new Uint32Array(n - keys.length);
  const restUnits = new Uint32Array(n - keys.length);
  let kept = 0;
  let from = 0;
  for (let k = 0; k < cuts.length; k++) {
    const cut = cuts[k] as number;
    restOffsets.set(offsets.subarray(from, cut), kept);
    restUnits.set(units.subarray(from, cut), kept);
    kept += cut - from;
    from = cut + 1;
  }
  const sortedOffsets = new Uint32Array(n);
  const sortedUnits = new Uint32Array(n);
  let out = 0;
  let restAt = 0;
  const copyRest = (to: number): void => {
    sortedOffsets.set(restOffsets.subarray(restAt, to), out);
    sortedUnits.set(restUnits.subarray(restAt, to), out);
    out += to - restAt;
    restAt = to;
  };
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as number;
    const index = key % INDEX_SPAN;
    const offset = (key - index) / INDEX_SPAN;
    copyRest(upperBound(restOffsets, offset, restAt));
    sortedOffsets[out] = offset;
    sortedUnits[out] = units[index] as number;
    out++;
  }
  copyRest(restOffsets.length);
  return { offsets: sortedOffsets, units: sortedUnits };
}

/** The first position at or after `from` in the ascending `values` whose value is above `value`. */
function upperBound(values: Uint32Array, value: number, from: number): number {
  let low = from;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}
