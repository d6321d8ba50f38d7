import { isAscii } from 'node:buffer';
import type { ExecutableLayout } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import { decodeUtf8, latin1Text } from '../io/bytes.js';
import { withChunkBuffer } from '../io/buffer-pool.js';
import { readChunk, type ByteSource } from '../io/source.js';
import { forEachFunctabName, FunctionCursor, functionsByName, NO_UNIT_GIVEN } from './functab.js';
import type { PclntabInfo } from './pclntab.js';
import { MAX_FUNCTION_NAME, pclntabWhere, readPclntabHeader } from './pclntab-header.js';

/**
 * The function names a Go binary carries in its pclntab, read without
 * holding the table in memory: the runtime needs these names for stack
 * traces, so they survive `-s -w` and strip, which makes them the one list
 * of compiled-in code every Go binary has. The table's layouts are in
 * pclntab-header.ts; the functab walk in functab.ts.
 */

/** Bytes read at a time, so a 10 MB table costs one chunk of memory, not ten. */
const CHUNK = 1 << 20;

/**
 * Whole names of the funcname table (Go 1.16+), a chunk at a time: `text`
 * is the chunk's bytes decoded as latin1, one character a byte, so a
 * reader finds names, and compares them, with the string's native searches
 * and regular expressions instead of a loop per byte in JavaScript (which
 * V8 runs cold: a scan is over before it optimises much). Each name ends
 * in a NUL but perhaps the table's last; names holding bytes >= 0x80 are
 * UTF-8, which `nameAt` decodes. `bytes` is valid only during the visit
 * it is given to (the buffer is read into again).
 */
export interface NameChunk {
  readonly text: string;
  readonly bytes: Uint8Array;
  /** Where text[0] is in the name table (the offsets the functab's functions use). */
  readonly base: number;
  /** Where the chunk's first byte >= 0x80 is (text.length: none): every name before it is ASCII. */
  readonly asciiBefore: number;
}

const NOT_ASCII = /[\x80-\xff]/;

/** A chunk of the name table from its bytes and their latin1 text (the same length). */
export function nameChunk(bytes: Uint8Array, text: string, base: number): NameChunk {
  // Node's check of the whole chunk is vectorised; the search for the first
  // byte >= 0x80, a regular expression over every byte before it (2% of
  // listing kubectl's packages), runs only when there is one.
  const high = isAscii(bytes) ? -1 : text.search(NOT_ASCII);
  return { text, bytes, base, asciiBefore: high < 0 ? text.length : high };
}

/** Where the name at text[at] of a chunk ends: at its NUL, or at the text's end (the table's last name may have none). */
export function nameEnd(text: string, at: number): number {
  const nul = text.indexOf('\0', at);
  return nul < 0 ? text.length : nul;
}

/** The name at text[start, end) of a chunk, decoded as UTF-8 where it is not ASCII. */
export function nameAt(chunk: NameChunk, start: number, end: number): string {
  // Go names are nearly always ASCII: one search per chunk instead of a check per name.
  if (end <= chunk.asciiBefore) return chunk.text.slice(start, end);
  const bytes = chunk.bytes.subarray(start, end);
  return isAscii(bytes) ? chunk.text.slice(start, end) : decodeUtf8(bytes);
}

/** What reads a binary's function names: PackageCollector, or forEachFunctionName's visitor. */
export interface FunctionNameSink {
  /** One function's name, read on its own: tables before Go 1.16 have no name table, only the functab's names. */
  name(name: string): void;
  /** A chunk of the name table (1.16+), with the functab's functions in name order, to be taken as the chunk is read. */
  chunk(chunk: NameChunk, functions: FunctionCursor): void;
}

/**
 * Gives `sink` every function name the binary's pclntab holds, in table
 * order. From Go 1.16 on this is the funcname table, which also names
 * functions that were only inlined; before, the names of the functab's
 * functions. Memory stays at a chunk of the table plus 8 bytes a function
 * (16 while the few named out of order are merged in).
 * Throws FormatError when the table is inconsistent or holds a name longer
 * than MAX_FUNCTION_NAME.
 */
export async function readFunctionNames(layout: ExecutableLayout, pcln: PclntabInfo, sink: FunctionNameSink): Promise<void> {
  const header = await readPclntabHeader(layout, pcln);
  if (header.funcnameOffset === undefined || header.cuOffset === undefined) {
    await forEachFunctabName(layout, pcln, (name) => sink.name(name), header);
    return;
  }
  const functions = await functionsByName(layout, pcln, header);
  const start = pcln.offset + header.funcnameOffset;
  await forEachNameChunk(layout.source, start, pcln.offset + header.cuOffset, pclntabWhere(layout), (chunk) => sink.chunk(chunk, functions));
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

/** readFunctionNames one name at a time, as a string of its own with its unit. */
export async function forEachFunctionName(layout: ExecutableLayout, pcln: PclntabInfo, visit: FunctionNameVisitor): Promise<void> {
  await readFunctionNames(layout, pcln, {
    name: (name) => visit(name),
    chunk: (chunk, functions) => {
      const { text, base } = chunk;
      for (let from = 0; from < text.length; ) {
        const end = nameEnd(text, from);
        if (end > from) {
          const unit = functions.takeName(base + from, base + end + 1);
          if (functions.hasUnits) visit(nameAt(chunk, from, end), unit === NO_UNIT_GIVEN ? undefined : unit, functions.named === 0);
          else visit(nameAt(chunk, from, end));
        }
        from = end + 1;
      }
    },
  });
}

/** Every this many bytes a chunk is checked for a NUL: a name longer than twice this holds a whole such stretch. */
const NAME_CHECK_STRIDE = MAX_FUNCTION_NAME >> 1;

/**
 * Splits [start, end) of the file into chunks of whole names (a chunk ends
 * just after its last NUL; the next one starts there), each with its offset
 * from `start`. A last name without its NUL still counts.
 */
async function forEachNameChunk(source: ByteSource, start: number, end: number, where: string, visit: (chunk: NameChunk) => void): Promise<void> {
  await withChunkBuffer(async (buffer) => {
    for (let pos = start; pos < end; ) {
      const length = Math.min(CHUNK, end - pos);
      const bytes = await readChunk(source, buffer, pos, length);
      const latin1 = latin1Text(bytes);
      // A chunk that is not the table's last ends after its last NUL; the name cut there is read again at the start of the next.
      const take = pos + length < end ? latin1.lastIndexOf('\0') + 1 : length;
      if (take === 0 || hasLongName(latin1, take)) {
        throw new FormatError('limit', `${where} has a function name longer than ${MAX_FUNCTION_NAME} bytes`);
      }
      visit(nameChunk(bytes.subarray(0, take), take === length ? latin1 : latin1.slice(0, take), pos - start));
      pos += take;
    }
  });
}

/**
 * Whether text[0, end) holds a name longer than MAX_FUNCTION_NAME: such a
 * name covers a whole stretch [k * stride, (k + 1) * stride) with no NUL,
 * so one search per stride finds any, and only a stretch without a NUL is
 * measured (a few native searches a chunk instead of a check per name).
 */
function hasLongName(text: string, end: number): boolean {
  for (let at = 0; at < end; at += NAME_CHECK_STRIDE) {
    const nul = text.indexOf('\0', at);
    const next = nul < 0 || nul >= end ? end : nul;
    if (next < at + NAME_CHECK_STRIDE && next < end) continue;
    const previous = at === 0 ? -1 : text.lastIndexOf('\0', at - 1);
    if (next - previous - 1 > MAX_FUNCTION_NAME) return true;
  }
  return false;
}
