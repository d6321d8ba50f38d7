/**
 * Reusable buffers for the loops that read a file a chunk at a time (the
 * pclntab's name table and functab, read-only data scans). A fresh MiB a
 * read cost about seven times the read itself (allocation, a page fault a
 * page, zeroing, then the garbage collector's work): reading kubectl's
 * 21 MB that way took 37 ms, into one reused buffer a few. Each loop
 * borrows its own buffer (scans of several files interleave, and one walk
 * may hold two windows at once) and gives it back when done.
 */

/** Room for a chunk of 1 MiB plus the byte before it and the context (up to 64 KiB) a scan keeps past its end. */
const CHUNK_BUFFER_BYTES = (1 << 20) + (1 << 16) + 1;

/** Buffers given back, kept for the next loop: a scan of many files at once holds a few at a time. */
const spare: Uint8Array[] = [];
const MAX_SPARE = 8;

export function borrowChunkBuffer(): Uint8Array {
  return spare.pop() ?? new Uint8Array(CHUNK_BUFFER_BYTES);
}

/** Gives a buffer from borrowChunkBuffer back; nothing read into it may be used after this. */
export function returnChunkBuffer(buffer: Uint8Array): void {
  if (buffer.length === CHUNK_BUFFER_BYTES && spare.length < MAX_SPARE && !spare.includes(buffer)) spare.push(buffer);
}

/** Borrows a chunk buffer for the length of `use`. */
export async function withChunkBuffer<T>(use: (buffer: Uint8Array) => Promise<T>): Promise<T> {
  const buffer = borrowChunkBuffer();
  try {
    return await use(buffer);
  } finally {
    returnChunkBuffer(buffer);
  }
}
