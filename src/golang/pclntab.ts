import { findSection, mapAddress, type ExecutableLayout } from '../binary/layout.js';
import { dataSpans, scanSpan } from './scan.js';
import { clampOffset } from '../io/bytes.js';

/**
 * Finding the pclntab, the runtime's function table that every Go binary
 * carries (it survives `-s -w` and strip, since the runtime needs it). Its
 * presence is what makes a file a Go binary when the build info is gone; its
 * magic dates the toolchain; another reader walks it for package names.
 */
export interface PclntabInfo {
  /** File offset of the header. */
  readonly offset: number;
  /** File bytes from the header to the end of the section or region holding it. */
  readonly size: number;
  /** 0xfffffffb, 0xfffffffa, 0xfffffff0 or 0xfffffff1. */
  readonly magic: number;
  /** The toolchains that write this magic, e.g. "go1.20+". */
  readonly goRange: string;
  readonly ptrSize: 4 | 8;
  /** The pc quantum (minimum instruction size): 1, 2 or 4. */
  readonly quantum: number;
}

/** Each magic, the toolchains that write it, and the smallest minor version among them. */
export const PCLNTAB_MAGICS: ReadonlyMap<number, { goRange: string; minMinor: number; maxMinor: number }> = new Map([
  [0xfffffffb, { goRange: 'go1.2-1.15', minMinor: 2, maxMinor: 15 }],
  [0xfffffffa, { goRange: 'go1.16-1.17', minMinor: 16, maxMinor: 17 }],
  [0xfffffff0, { goRange: 'go1.18-1.19', minMinor: 18, maxMinor: 19 }],
  [0xfffffff1, { goRange: 'go1.20+', minMinor: 20, maxMinor: Number.POSITIVE_INFINITY }],
]);

/** Header words past the 8 fixed bytes: nfunc, nfiles, then offsets (with textStart from 1.18). */
const HEADER_WORDS = 8;
/** Candidates validated per scan before giving up, so a file full of look-alike bytes cannot stall us. */
const MAX_CANDIDATES = 4096;

/**
 * Checks the header at `bytes` (file offset known to the caller, `available`
 * bytes to the end of its area) and returns its facts, or undefined when it
 * is not a pclntab written by a Go linker.
 */
export function validatePclntabHeader(
  bytes: Uint8Array,
  available: number,
  littleEndian: boolean,
  expectedPtrSize: 4 | 8,
): Omit<PclntabInfo, 'offset' | 'size'> | undefined {
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = view.getUint32(0, littleEndian);
  const facts = PCLNTAB_MAGICS.get(magic);
  if (!facts) return undefined;
  const quantum = bytes[6] as number;
  const ptrSize = bytes[7] as number;
  if (bytes[4] !== 0 || bytes[5] !== 0) return undefined;
  if (quantum !== 1 && quantum !== 2 && quantum !== 4) return undefined;
  if (ptrSize !== expectedPtrSize) return undefined;
  const headerBytes = 8 + HEADER_WORDS * ptrSize;
  if (bytes.length < Math.min(headerBytes, available) || available < 8 + 2 * ptrSize) return undefined;
  const word = (i: number): number | undefined => {
    const at = 8 + i * ptrSize;
    if (at + ptrSize > bytes.length) return undefined;
    const v = ptrSize === 8 ? view.getBigUint64(at, littleEndian) : BigInt(view.getUint32(at, littleEndian));
    return clampOffset(v);
  };
  const nfunc = word(0);
  if (nfunc === undefined || nfunc === 0) return undefined;

  if (magic === 0xfffffffb) {
    // Go 1.2-1.15: nfunc, then 2*nfunc+1 words of {entry, funcoff} pairs and the end pc.
    if (8 + ptrSize + (2 * nfunc + 1) * ptrSize > available) return undefined;
  } else {
    // Go 1.16+: offsets of funcnametab, cutab, filetab, pctab, pclntab in that order
    // (Go 1.18 inserted textStart before them).
    const first = magic === 0xfffffffa ? 2 : 3;
    const words = magic === 0xfffffffa ? 7 : 8;
    const minOffset = 8 + words * ptrSize;
    let previous = minOffset;
    for (let i = first; i < first + 5; i++) {
      const off = word(i);
      if (off === undefined || off < previous || off > available) return undefined;
      previous = off;
    }
  }
  return { magic, goRange: facts.goRange, ptrSize: ptrSize as 4 | 8, quantum };
}

async function validateAt(layout: ExecutableLayout, offset: number, available: number): Promise<PclntabInfo | undefined> {
  const size = Math.min(available, layout.source.size - offset);
  if (!Number.isSafeInteger(offset) || offset < 0 || size < 16) return undefined;
  const bytes = await layout.source.read(offset, Math.min(size, 8 + HEADER_WORDS * 8));
  const facts = validatePclntabHeader(bytes, size, layout.littleEndian, layout.pointerSize);
  return facts && { offset, size, ...facts };
}

/**
 * What to search for, and where the header starts relative to a match. In
 * little-endian files all four magics end in the same five bytes
 * (ff ff ff 00 00 after the varying first byte), so one pass finds every
 * candidate; big-endian files need one needle per magic.
 */
function magicSearch(littleEndian: boolean): { needles: Uint8Array[]; headerDelta: number } {
  if (littleEndian) return { needles: [new Uint8Array([0xff, 0xff, 0xff, 0, 0])], headerDelta: -1 };
  const needles = [...PCLNTAB_MAGICS.keys()].map((magic) => {
    const b = new Uint8Array(6);
    new DataView(b.buffer).setUint32(0, magic, false);
    return b;
  });
  return { needles, headerDelta: 0 };
}

/** Sections that may hold a pclntab without naming it: relro data in external-link PIE, read-only data elsewhere. */
const SCAN_SECTIONS = ['.data.rel.ro', '.rodata', '.rdata', '__rodata', '__const', '.noptrdata'];

/**
 * Locates and validates the pclntab header: the `.gopclntab` /
 * `__gopclntab` section, else the `runtime.pclntab` symbol (PE), else a
 * bounded scan of the data sections for its magic where every candidate is
 * validated (external-link PIE before Go 1.26 has no section for it).
 */
export async function findPclntab(layout: ExecutableLayout): Promise<PclntabInfo | undefined> {
  // Internally linked PIE keeps the table in relro under .data.rel.ro.gopclntab.
  const section = findSection(layout, '.gopclntab', '__gopclntab', '.data.rel.ro.gopclntab');
  if (section && section.fileSize > 0) {
    const found = await validateAt(layout, section.offset, section.fileSize);
    if (found) return found;
  }

  const symbol = await layout.findSymbol('runtime.pclntab');
  if (symbol) {
    const where = mapAddress(layout, symbol.value);
    if (where) {
      const found = await validateAt(layout, where.offset, where.available);
      if (found) return found;
    }
  }

  const { needles, headerDelta } = magicSearch(layout.littleEndian);
  let result: PclntabInfo | undefined;
  for (const span of dataSpans(layout, SCAN_SECTIONS)) {
    const end = span.offset + span.length;
    const stopped = await scanSpan(layout.source, span, needles, 0, MAX_CANDIDATES, async (hit) => {
      // The byte before a little-endian match is the magic's first byte: reject most look-alikes without a read.
      if (headerDelta !== 0 && (hit.index === 0 || !PCLNTAB_MAGICS.has(0xffffff00 + (hit.bytes[hit.index - 1] as number)))) return false;
      const at = hit.offset + headerDelta;
      if (at < span.offset) return false;
      result = await validateAt(layout, at, end - at);
      return result !== undefined;
    });
    if (stopped) return result;
  }
  return undefined;
}
