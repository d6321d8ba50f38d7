import type { ExecutableLayout } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import type { ByteSource } from '../io/source.js';
import type { PclntabInfo } from './pclntab.js';
import { WindowReader } from './window-reader.js';

/**
 * The function names a Go binary carries in its pclntab, read without
 * holding the table in memory: the runtime needs these names for stack
 * traces, so they survive `-s -w` and strip, which makes them the one list
 * of compiled-in code every Go binary has.
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

/** Bytes read at a time, so a 10 MB table costs one chunk of memory, not ten. */
const CHUNK = 1 << 20;
/** Longest name accepted; real ones (even long generic instantiations) are far shorter. */
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

function describe(layout: ExecutableLayout): string {
  return `${layout.source.name}: pclntab`;
}

/** Reads and checks the header words of a pclntab findPclntab located; every offset is bounded by the table's area. */
export async function readPclntabHeader(layout: ExecutableLayout, pcln: PclntabInfo): Promise<PclntabHeader> {
  const { ptrSize, magic } = pcln;
  const where = describe(layout);
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

const utf8 = new TextDecoder('utf-8', { fatal: false });

const HIGH_BYTE = /[\x80-\xff]/g;

/** Index of the first byte >= 0x80 at or after `from` in a latin1-decoded chunk, or its length (a native search: a loop per byte ran cold). */
function nextHighByte(latin1: string, from: number): number {
  HIGH_BYTE.lastIndex = from;
  return HIGH_BYTE.exec(latin1)?.index ?? latin1.length;
}

/**
 * Receives one function name. `cu` is the compilation unit of the code the
 * name stands for (its index into the cu table), known from Go 1.16 on:
 * a functab function's own unit, or for a function that exists only
 * inlined, the unit of the function it was inlined into; undefined for the
 * few functions outside any unit. `inlined` tells the two kinds of name
 * apart. Before 1.16, or when a table's units make no sense, both are
 * undefined.
 */
export type FunctionNameVisitor = (name: string, cu?: number, inlined?: boolean) => void;

/**
 * The same, with the name given as `text.slice(start, end)` without making
 * that string: for the ASCII names that are nearly all of them, `text` is
 * the whole chunk of the table decoded once, so a reader that looks only at
 * a name's package prefix (PackageCollector) compares it in place.
 */
export type FunctionSpanVisitor = (text: string, start: number, end: number, cu?: number, inlined?: boolean) => void;

/**
 * Calls `visit` with every function name the binary's pclntab holds, in
 * table order. From Go 1.16 on this is the funcname table, which also names
 * functions that were only inlined; before, the names of the functab's
 * functions. Memory stays at a chunk of the table plus 8 bytes a function.
 * Throws FormatError when the table is inconsistent.
 */
export async function forEachFunctionName(layout: ExecutableLayout, pcln: PclntabInfo, visit: FunctionNameVisitor): Promise<void> {
  await forEachFunctionSpan(layout, pcln, (text, start, end, cu, inlined) => visit(start === 0 && end === text.length ? text : text.slice(start, end), cu, inlined));
}

/** forEachFunctionName for visitors that take the name in place (see FunctionSpanVisitor). */
export async function forEachFunctionSpan(layout: ExecutableLayout, pcln: PclntabInfo, visit: FunctionSpanVisitor): Promise<void> {
  const header = await readPclntabHeader(layout, pcln);
  if (header.funcnameOffset === undefined || header.cuOffset === undefined) {
    await forEachFunctabName(layout, pcln, (name) => visit(name, 0, name.length), header);
    return;
  }
  const units = await functionUnits(layout, pcln, header);
  // The linker writes each function's name followed by the names of the
  // functions inlined into it that are not in the table yet
  // (cmd/link/internal/ld/pcln.go, walkFuncs): an inlined-only name belongs
  // with the function named last before it.
  let parentUnit: number | undefined;
  await forEachNameInRegion(layout.source, pcln.offset + header.funcnameOffset, pcln.offset + header.cuOffset, describe(layout), (text, start, end, at) => {
    if (!units) {
      visit(text, start, end);
      return;
    }
    const own = units.unitAt(at);
    if (own !== undefined) {
      parentUnit = own === NO_UNIT ? undefined : own;
      visit(text, start, end, parentUnit, false);
    } else {
      visit(text, start, end, parentUnit, true);
    }
  });
}

/** Room for a functab index beside a 32-bit offset in one exact double: 2^32 * 2^21 = 2^53. */
const INDEX_SPAN = 1 << 21;

/** The unit the linker gives functions outside every Go compilation unit (some C and assembler functions, go:buildid). */
const NO_UNIT = 0xffffffff;

/**
 * Name offset → compilation unit of each functab function, as two arrays
 * sorted by name offset and a cursor: names are visited in offset order, so
 * each lookup is a step or two forward. (A Map of numbers cost a hash per
 * name; the first version's BigInt keys cost more than the rest of inspect.)
 */
class UnitsByNameOffset {
  private cursor = 0;
  constructor(
    private readonly offsets: Uint32Array,
    private readonly units: Uint32Array,
  ) {}

  /** The unit of the first functab function whose name is at `at`, or undefined. */
  unitAt(at: number): number | undefined {
    const offsets = this.offsets;
    // Offsets only grow along the name table; a step back (never seen) restarts the walk.
    if (this.cursor > 0 && (offsets[this.cursor - 1] as number) >= at) this.cursor = 0;
    let i = this.cursor;
    while (i < offsets.length && (offsets[i] as number) < at) i++;
    this.cursor = i;
    return i < offsets.length && offsets[i] === at ? this.units[i] : undefined;
  }
}

/**
 * Walks the functab of a 1.16+ table for each function's name offset and
 * compilation unit. Units are indexes into the cu table; when one points
 * past it, the `_func` layout is not the one we know (a newer toolchain), and
 * no units are given rather than wrong ones.
 */
async function functionUnits(layout: ExecutableLayout, pcln: PclntabInfo, h: PclntabHeader): Promise<UnitsByNameOffset | undefined> {
  const unitCount = ((h.filetabOffset ?? 0) - (h.cuOffset ?? 0)) / 4;
  const nameOffs = new Uint32Array(h.nfunc);
  const cus = new Uint32Array(h.nfunc);
  let plausible = true;
  let sorted = true;
  await forEachFunctabEntry(layout, pcln, h, (nameOff, cu, i) => {
    if (cu === undefined || (cu >= unitCount && cu !== NO_UNIT)) plausible = false;
    nameOffs[i] = nameOff;
    cus[i] = cu ?? 0;
    if (i > 0 && nameOff < (nameOffs[i - 1] as number)) sorted = false;
  });
  if (!plausible) return undefined;
  // Several entries can share a name offset; the first one's unit is kept (the lookup finds the first of equals).
  if (sorted) return new UnitsByNameOffset(nameOffs, cus);
  // No real table has two million functions; one that claims so gets no units rather than a slow sort.
  if (h.nfunc > INDEX_SPAN) return undefined;
  // Nearly sorted (a name the linker already wrote is reused, further back):
  // sort (offset, index) pairs as one number each, with the typed array's
  // native sort, which orders equal offsets by index.
  const order = new Float64Array(h.nfunc);
  for (let i = 0; i < h.nfunc; i++) order[i] = (nameOffs[i] as number) * INDEX_SPAN + i;
  order.sort();
  const sortedOffs = new Uint32Array(h.nfunc);
  const sortedUnits = new Uint32Array(h.nfunc);
  for (let k = 0; k < h.nfunc; k++) {
    const key = order[k] as number;
    const i = key % INDEX_SPAN;
    sortedOffs[k] = (key - i) / INDEX_SPAN;
    sortedUnits[k] = cus[i] as number;
  }
  return new UnitsByNameOffset(sortedOffs, sortedUnits);
}

/**
 * Splits [start, end) of the file into NUL-terminated strings, a chunk at a
 * time, giving each (as text.slice(start, end)) with its offset from
 * `start`; a name cut by a chunk boundary is carried into the next chunk.
 * Empty strings are skipped; a last name without its NUL still counts.
 */
async function forEachNameInRegion(
  source: ByteSource,
  start: number,
  end: number,
  where: string,
  visit: (text: string, start: number, end: number, offset: number) => void,
): Promise<void> {
  let carry: Uint8Array = new Uint8Array(0);
  let carryAt = 0;
  for (let pos = start; pos < end; pos += CHUNK) {
    const chunk = await source.read(pos, Math.min(CHUNK, end - pos));
    // Names are nearly all ASCII: one latin1 decode of the chunk gives a
    // string whose indexes are byte offsets, and an ASCII name is a slice of
    // it; only a name holding a byte >= 0x80 is decoded as UTF-8 on its own
    // (a TextDecoder call per name cost more than everything else here).
    const latin1 = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1');
    let highAt = -1;
    let from = 0;
    // The string's search for NUL is a native scan; the typed array's ran a loop per byte.
    for (let nul = latin1.indexOf('\0', from); nul >= 0; nul = latin1.indexOf('\0', from)) {
      const at = carry.length > 0 ? carryAt : pos + from - start;
      if (carry.length === 0) {
        if (nul - from > MAX_FUNCTION_NAME) throw new FormatError('limit', `${where} has a function name longer than ${MAX_FUNCTION_NAME} bytes`);
        if (highAt < from) highAt = nextHighByte(latin1, from);
        if (nul > from) {
          if (highAt < nul) {
            const name = utf8.decode(chunk.subarray(from, nul));
            visit(name, 0, name.length, at);
          } else {
            visit(latin1, from, nul, at);
          }
        }
        from = nul + 1;
        continue;
      }
      const piece = chunk.subarray(from, nul);
      const name = carry.length > 0 ? joined(carry, piece) : piece;
      carry = new Uint8Array(0);
      if (name.length > MAX_FUNCTION_NAME) throw new FormatError('limit', `${where} has a function name longer than ${MAX_FUNCTION_NAME} bytes`);
      if (name.length > 0) visitWhole(utf8.decode(name), at, visit);
      from = nul + 1;
    }
    if (carry.length + chunk.length - from > MAX_FUNCTION_NAME) {
      throw new FormatError('limit', `${where} has a function name longer than ${MAX_FUNCTION_NAME} bytes`);
    }
    if (carry.length === 0) carryAt = pos + from - start;
    carry = joined(carry, chunk.subarray(from));
  }
  if (carry.length > 0) visitWhole(utf8.decode(carry), carryAt, visit);
}

function visitWhole(name: string, at: number, visit: (text: string, start: number, end: number, offset: number) => void): void {
  visit(name, 0, name.length, at);
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Calls `visit` for each functab function with its `_func`'s name offset
 * (relative to the name table, or to the table start before 1.16) and its
 * compilation unit (1.16+). The functab and the `_func` records are read
 * through separate windows, since the records spread over the table.
 */
async function forEachFunctabEntry(
  layout: ExecutableLayout,
  pcln: PclntabInfo,
  h: PclntabHeader,
  visit: (nameOff: number, cu: number | undefined, index: number) => void,
): Promise<void> {
  const where = describe(layout);
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
  const where = describe(layout);
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
