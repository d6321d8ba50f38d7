import type { ExecutableLayout } from '../binary/layout.js';
import { withChunkBuffer } from '../io/buffer-pool.js';
import { readChunk, type ByteSource } from '../io/source.js';

/**
 * Bounded, chunked searches over parts of a file, for the Go facts that
 * have no section of their own in some builds (the pclntab of an
 * external-link PIE, the version string of a stripped binary). Memory stays
 * at one chunk whatever the file size, and every scan stops after a fixed
 * number of candidates so a file full of look-alike bytes cannot stall us.
 */

/** A byte range of the file, already clamped to it. */
export interface FileSpan {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
}

const CHUNK = 1 << 20;

/** The named sections, clamped to the file; when the file has no sections at all, its non-executable regions. */
export function dataSpans(layout: ExecutableLayout, names: readonly string[]): FileSpan[] {
  const size = layout.source.size;
  const clamp = (name: string, offset: number, length: number): FileSpan | undefined => {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= size || length <= 0) return undefined;
    return { name, offset, length: Math.min(length, size - offset) };
  };
  const spans: FileSpan[] = [];
  if (layout.sections.length > 0) {
    for (const name of names) {
      for (const s of layout.sections) {
        // By name only: Mach-O reports __TEXT,__rodata as executable because its segment is.
        if (s.name !== name) continue;
        const span = clamp(s.name, s.offset, s.fileSize);
        if (span) spans.push(span);
      }
    }
    return spans;
  }
  for (const r of layout.regions) {
    if (r.executable) continue;
    const span = clamp(r.name, r.offset, r.fileSize);
    if (span) spans.push(span);
  }
  return spans;
}

export interface NeedleHit {
  /** File offset of the match. */
  readonly offset: number;
  /** Which of the needles matched. */
  readonly needle: number;
  /** The chunk the match was found in, and the match's index in it (for context bytes around it). */
  readonly bytes: Uint8Array;
  readonly index: number;
}

/**
 * Calls `visit` for each occurrence of any needle in `span`, in file order,
 * with at least `contextAfter` bytes after the match available in `bytes`
 * (fewer only at the span's end) and one byte before it; `bytes` is valid
 * only during the visit (the chunk buffer is read into again). Stops when `visit`
 * returns true or after `maxHits` matches; returns whether `visit` stopped it.
 */
export async function scanSpan(
  source: ByteSource,
  span: FileSpan,
  needles: readonly Uint8Array[],
  contextAfter: number,
  maxHits: number,
  visit: (hit: NeedleHit) => boolean | Promise<boolean>,
): Promise<boolean> {
  const end = span.offset + span.length;
  let hits = 0;
  return withChunkBuffer(async (buffer) => {
    for (let pos = span.offset; pos < end; pos += CHUNK) {
      // One byte of lead so a match at the chunk start still has its predecessor.
      const lead = pos > span.offset ? 1 : 0;
      const readStart = pos - lead;
      const readEnd = Math.min(end, pos + CHUNK + contextAfter);
      const bytes = await readChunk(source, buffer, readStart, readEnd - readStart);
      const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      // Matches starting past this chunk's own part belong to the next chunk.
      const ownEnd = Math.min(end, pos + CHUNK) - readStart;
      const found: { index: number; needle: number }[] = [];
      needles.forEach((needle, n) => {
        for (let i = chunk.indexOf(needle, lead); i >= 0 && i < ownEnd; i = chunk.indexOf(needle, i + 1)) {
          found.push({ index: i, needle: n });
          if (found.length > maxHits) break;
        }
      });
      found.sort((a, b) => a.index - b.index);
      for (const f of found) {
        if (++hits > maxHits) return false;
        if (await visit({ offset: readStart + f.index, needle: f.needle, bytes, index: f.index })) return true;
      }
    }
    return false;
  });
}
