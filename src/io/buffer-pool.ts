/**
 * Buffers of one size, lent and given back: loops that read a file a piece
 * at a time (file heads, the pclntab's name table and functab, read-only
 * data scans) reuse them instead of allocating. A fresh MiB a read cost
 * about seven times the read itself (allocation, a page fault a page,
 * zeroing, then the garbage collector's work): reading kubectl's 21 MB that
 * way took 37 ms, into one reused buffer a few.
 */
export class BufferPool {
  private readonly spare: Uint8Array[] = [];

  constructor(
    readonly size: number,
    /** Buffers kept for the next borrower: a scan of many files at once holds a few at a time. */
    private readonly maxSpare: number,
  ) {}

  borrow(): Uint8Array {
    return this.spare.pop() ?? new Uint8Array(this.size);
  }

  /** Gives back a buffer from `borrow`, or a view from its start; nothing read into it may be used after this. */
  giveBack(buffer: Uint8Array): void {
    if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== this.size || this.spare.length >= this.maxSpare) return;
    const whole = buffer.length === this.size ? buffer : new Uint8Array(buffer.buffer, 0, this.size);
    if (!this.spare.some((s) => s.buffer === whole.buffer)) this.spare.push(whole);
  }
}

/** Room for a chunk of 1 MiB plus the byte before it and the context (up to 64 KiB) a scan keeps past its end. */
const CHUNK_BUFFER_BYTES = (1 << 20) + (1 << 16) + 1;

/** Each chunked loop borrows its own buffer (scans of several files interleave, and one walk may hold two windows at once). */
const chunkBuffers = new BufferPool(CHUNK_BUFFER_BYTES, 8);

export function borrowChunkBuffer(): Uint8Array {
  return chunkBuffers.borrow();
}

/** Gives a buffer from borrowChunkBuffer back; nothing read into it may be used after this. */
export function returnChunkBuffer(buffer: Uint8Array): void {
  chunkBuffers.giveBack(buffer);
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
