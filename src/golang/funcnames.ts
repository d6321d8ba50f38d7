import { isAscii } from 'node:buffer';
import type { ExecutableLayout } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import type { ByteSource } from '../io/source.js';
import { forEachFunctabName, readFunctabEntries } from './functab.js';
import type { PclntabInfo } from './pclntab.js';
import { MAX_FUNCTION_NAME, pclntabWhere, readPclntabHeader, type PclntabHeader } from './pclntab-header.js';

/**
 * The function names a Go binary carries in its pclntab, read without
 * holding the table in memory: the runtime needs these names for stack
 * traces, so they survive `-s -w` and strip, which makes them the one list
 * of compiled-in code every Go binary has. The table's layouts are in
 * pclntab-header.ts; the functab walk in functab.ts.
 */

/** Bytes read at a time, so a 10 MB table costs one chunk of memory, not ten. */
const CHUNK = 1 << 20;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Bytes the first probe of nextHighByte looks at; each further one looks at twice as many. */
const FIRST_PROBE = 256;

/**
 * Index of the first byte >= 0x80 in `bytes` at or after `from`, or its
 * length. Probes ever larger stretches with buffer.isAscii (a vector scan),
 * then halves the stretch that holds one down to a few bytes: finding a
 * byte `d` ahead reads a few times d bytes, so a chunk costs a few passes
 * however many names hold one. (A regular expression's scan cost
 * kubectl's 5.8 MB name table 14 ms; a loop per byte runs cold.)
 */
function nextHighByte(bytes: Uint8Array, from: number): number {
  let at = from;
  for (let probe = FIRST_PROBE; at < bytes.length; probe *= 2) {
    let end = Math.min(bytes.length, at + probe);
    if (isAscii(bytes.subarray(at, end))) {
      at = end;
      continue;
    }
    // [at, end) holds the first one: keep the half that does.
    while (end - at > 32) {
      const middle = at + ((end - at) >>> 1);
      if (isAscii(bytes.subarray(at, middle))) at = middle;
      else end = middle;
    }
    while (at < end && (bytes[at] as number) < 0x80) at++;
    return at;
  }
  return bytes.length;
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

/** Names a batch holds at most: fixed, so a table of any size costs the same few arrays (~50 KiB). */
const BATCH_SIZE = 4096;

/** A batch's unit for a name that has none (before Go 1.16, outside every unit, or a table whose units make no sense). */
export const NO_UNIT_GIVEN = -1;

/**
 * Consecutive names of the table, in table order, as spans of one string:
 * name i is `text.slice(starts[i], ends[i])` for i < count, with what a
 * FunctionNameVisitor gets as `cu` (NO_UNIT_GIVEN for undefined) and
 * `inlined` (1 or 0, meaningful only where hasUnits). A reader that takes
 * a batch runs one loop over plain arrays where a visitor per name made
 * several calls and property reads per name, which in V8's interpreter and
 * baseline code cost more than the work itself. Valid only during the
 * call it is given to: the arrays are reused.
 */
export interface FunctionNameBatch {
  readonly text: string;
  readonly count: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly units: Int32Array;
  readonly inlined: Uint8Array;
  readonly hasUnits: boolean;
}

export type FunctionBatchVisitor = (batch: FunctionNameBatch) => void;

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
  await forEachFunctionBatch(layout, pcln, (b) => {
    for (let i = 0; i < b.count; i++) {
      const unit = b.units[i] as number;
      if (b.hasUnits) visit(b.text, b.starts[i] as number, b.ends[i] as number, unit === NO_UNIT_GIVEN ? undefined : unit, b.inlined[i] === 1);
      else visit(b.text, b.starts[i] as number, b.ends[i] as number);
    }
  });
}

/** forEachFunctionName a batch of names at a time (see FunctionNameBatch). */
export async function forEachFunctionBatch(layout: ExecutableLayout, pcln: PclntabInfo, visit: FunctionBatchVisitor): Promise<void> {
  const header = await readPclntabHeader(layout, pcln);
  if (header.funcnameOffset === undefined || header.cuOffset === undefined) {
    const batch = new BatchWriter(undefined, visit);
    await forEachFunctabName(layout, pcln, (name) => batch.own(name, 0), header);
    batch.flush();
    return;
  }
  const units = await functionUnits(layout, pcln, header);
  const batch = new BatchWriter(units, visit);
  await forEachNameInRegion(layout.source, pcln.offset + header.funcnameOffset, pcln.offset + header.cuOffset, pclntabWhere(layout), batch);
  batch.flush();
}

/** Fills a FunctionNameBatch and hands it on when full; the name loops write its arrays directly. */
class BatchWriter implements FunctionNameBatch {
  text = '';
  count = 0;
  readonly starts = new Int32Array(BATCH_SIZE);
  readonly ends = new Int32Array(BATCH_SIZE);
  /** Where `text` starts in the name table: name i is at base + starts[i] (for its unit). */
  base = 0;
  readonly units = new Int32Array(BATCH_SIZE).fill(NO_UNIT_GIVEN);
  readonly inlined = new Uint8Array(BATCH_SIZE);
  readonly hasUnits: boolean;

  constructor(
    private readonly unitsByOffset: UnitsByNameOffset | undefined,
    private readonly visit: FunctionBatchVisitor,
  ) {
    this.hasUnits = unitsByOffset !== undefined;
  }

  flush(): void {
    if (this.count === 0) return;
    this.unitsByOffset?.assign(this);
    this.visit(this);
    this.count = 0;
  }

  /** A name that is a string of its own (not ASCII, cut by a chunk boundary, or read on its own before Go 1.16): a batch of one. */
  own(name: string, offset: number): void {
    this.flush();
    const { text, base } = this;
    this.text = name;
    this.base = offset;
    this.starts[0] = 0;
    this.ends[0] = name.length;
    this.count = 1;
    this.flush();
    this.text = text;
    this.base = base;
  }
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
  /** The unit of the functab function named last: an inlined-only name after it belongs there. */
  private parent = NO_UNIT_GIVEN;
  constructor(
    private readonly offsets: Uint32Array,
    private readonly units: Uint32Array,
  ) {}

  /**
   * Gives each name of the batch its unit. The linker writes each
   * function's name followed by the names of the functions inlined into it
   * that are not in the table yet (cmd/link/internal/ld/pcln.go,
   * walkFuncs): a name no functab function has belongs with the function
   * named last before it. Names arrive in offset order, across batches.
   */
  assign(batch: BatchWriter): void {
    const { base, starts, units: out, inlined, count } = batch;
    const offsets = this.offsets;
    const units = this.units;
    const n = offsets.length;
    let cursor = this.cursor;
    let parent = this.parent;
    for (let i = 0; i < count; i++) {
      const offset = base + (starts[i] as number);
      while (cursor < n && (offsets[cursor] as number) < offset) cursor++;
      if (cursor < n && offsets[cursor] === offset) {
        const own = units[cursor] as number;
        parent = own === NO_UNIT ? NO_UNIT_GIVEN : own;
        inlined[i] = 0;
      } else {
        inlined[i] = 1;
      }
      out[i] = parent;
    }
    this.cursor = cursor;
    this.parent = parent;
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
  const { nameOffsets: nameOffs, units: cus } = await readFunctabEntries(layout, pcln, h);
  if (cus === undefined) return undefined;
  const order = unitOrder(nameOffs, cus, unitCount);
  if (order === 'implausible') return undefined;
  // Several entries can share a name offset; the first one's unit is kept (the lookup finds the first of equals).
  if (order === 'sorted') return new UnitsByNameOffset(nameOffs, cus);
  // No real table has two million functions; one that claims so gets no units rather than a slow sort.
  if (h.nfunc > INDEX_SPAN) return undefined;
  // Nearly sorted (a name the linker already wrote is reused, further back):
  // sort (offset, index) pairs as one number each, with the typed array's
  // native sort, which orders equal offsets by index.
  const keys = new Float64Array(h.nfunc);
  for (let i = 0; i < h.nfunc; i++) keys[i] = (nameOffs[i] as number) * INDEX_SPAN + i;
  keys.sort();
  const sortedOffs = new Uint32Array(h.nfunc);
  const sortedUnits = new Uint32Array(h.nfunc);
  for (let k = 0; k < h.nfunc; k++) {
    const key = keys[k] as number;
    const i = key % INDEX_SPAN;
    sortedOffs[k] = (key - i) / INDEX_SPAN;
    sortedUnits[k] = cus[i] as number;
  }
  return new UnitsByNameOffset(sortedOffs, sortedUnits);
}

/**
 * Whether every unit is an index into the cu table (or NO_UNIT) and, if
 * so, whether the name offsets only grow. A loop in a function of its own:
 * V8 optimises it while it runs (kubectl: 80,000 entries) without taking
 * along code after it that has not run yet, which it would have to throw
 * away on reaching it.
 */
function unitOrder(nameOffs: Uint32Array, units: Uint32Array, unitCount: number): 'implausible' | 'unsorted' | 'sorted' {
  let sorted = true;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i] as number;
    if (unit >= unitCount && unit !== NO_UNIT) return 'implausible';
    if (i > 0 && (nameOffs[i] as number) < (nameOffs[i - 1] as number)) sorted = false;
  }
  return sorted ? 'sorted' : 'unsorted';
}

/**
 * Splits [start, end) of the file into NUL-terminated strings, a chunk at a
 * time, into `batch`, each with its offset from `start`; a name cut by a
 * chunk boundary is carried into the next chunk. Empty strings are skipped;
 * a last name without its NUL still counts.
 */
async function forEachNameInRegion(source: ByteSource, start: number, end: number, where: string, batch: BatchWriter): Promise<void> {
  const tooLong = (): FormatError => new FormatError('limit', `${where} has a function name longer than ${MAX_FUNCTION_NAME} bytes`);
  let carry: Uint8Array | undefined;
  let carryAt = 0;
  for (let pos = start; pos < end; pos += CHUNK) {
    const chunk = await source.read(pos, Math.min(CHUNK, end - pos));
    // Names are nearly all ASCII: one latin1 decode of the chunk gives a
    // string whose indexes are byte offsets, and an ASCII name is a slice of
    // it; only a name holding a byte >= 0x80 is decoded as UTF-8 on its own
    // (a TextDecoder call per name cost more than everything else here).
    const latin1 = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1');
    let from = 0;
    if (carry !== undefined) {
      // The name the last chunk ended in: it ends in this chunk, or the region
      // ends first (a chunk is far longer than the longest name allowed).
      const nul = latin1.indexOf('\0');
      const name = joined(carry, chunk.subarray(0, nul < 0 ? chunk.length : nul));
      if (name.length > MAX_FUNCTION_NAME) throw tooLong();
      if (nul < 0) {
        carry = name;
        continue;
      }
      if (name.length > 0) batch.own(utf8.decode(name), carryAt);
      carry = undefined;
      from = nul + 1;
    }
    batch.flush();
    const base = pos - start;
    batch.text = latin1;
    batch.base = base;
    const { starts, ends } = batch;
    let count = 0;
    let highAt = -1;
    // The string's search for NUL is a native scan; the typed array's ran a loop per byte.
    for (let nul = latin1.indexOf('\0', from); nul >= 0; nul = latin1.indexOf('\0', from)) {
      if (nul - from > MAX_FUNCTION_NAME) throw tooLong();
      if (nul > from) {
        if (highAt < from) highAt = nextHighByte(chunk, from);
        if (highAt < nul) {
          batch.count = count;
          batch.own(utf8.decode(chunk.subarray(from, nul)), base + from);
          count = 0;
        } else {
          starts[count] = from;
          ends[count] = nul;
          if (++count === BATCH_SIZE) {
            batch.count = count;
            batch.flush();
            count = 0;
          }
        }
      }
      from = nul + 1;
    }
    batch.count = count;
    batch.flush();
    if (chunk.length - from > MAX_FUNCTION_NAME) throw tooLong();
    if (from < chunk.length) {
      carry = chunk.slice(from);
      carryAt = base + from;
    }
  }
  if (carry !== undefined && carry.length > 0) batch.own(utf8.decode(carry), carryAt);
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
