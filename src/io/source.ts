import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { FormatError, InputError } from '../errors.js';
import { BufferPool } from './buffer-pool.js';

/**
 * Bounded random access to the bytes of one file or blob. Parsers read the
 * few structures they need by offset and never pull a whole binary into
 * memory; every read is checked against `size` first, so a hostile offset or
 * length becomes a FormatError instead of a huge allocation.
 */
export interface ByteSource {
  /** What to call this source in error messages (usually the path). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or a 'truncated' FormatError. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * `read` for a loop that reads a chunk at a time: the bytes are read into
   * `target` (whose length is at least `length`) where the source has to
   * copy them anyway, and stay valid only until `target` is read into again.
   * Use readChunk, which falls back to `read`.
   */
  readInto?(target: Uint8Array, offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** `length` bytes at `offset`, in `target` when the source reads into buffers (see ByteSource.readInto). */
export function readChunk(source: ByteSource, target: Uint8Array, offset: number, length: number): Promise<Uint8Array> {
  return source.readInto !== undefined && length <= target.length ? source.readInto(target, offset, length) : source.read(offset, length);
}

export function checkRange(source: { name: string; size: number }, offset: number, length: number, what = 'read'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new FormatError('malformed', `${source.name}: ${what} at offset ${offset} length ${length} is not a valid range`);
  }
  if (offset + length > source.size) {
    throw new FormatError(
      'truncated',
      `${source.name}: ${what} at offset ${offset} length ${length} runs past the end of the file (${source.size} bytes)`,
    );
  }
}

/** A source over bytes already in memory (tests, small blobs, slices). */
export class BytesSource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  async close(): Promise<void> {}
}

/** A window [start, start+size) of another source, e.g. one arch of a Mach-O fat file. */
export class SliceSource implements ByteSource {
  constructor(
    private readonly parent: ByteSource,
    private readonly start: number,
    readonly size: number,
    readonly name: string = parent.name,
  ) {
    checkRange(parent, start, size, 'slice');
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.parent.read(this.start + offset, length);
  }
  readInto(target: Uint8Array, offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return readChunk(this.parent, target, this.start + offset, length);
  }
  async close(): Promise<void> {}
}

/**
 * The first bytes of a file are read once, whole, on the first read that
 * falls inside them: an ELF file's header, program headers, interpreter and
 * notes sit there, and often its dynamic symbol and string tables, each
 * otherwise a system call of its own. Flat memory: one such buffer a file
 * open. Not on the first read when it is a small one: most files of a scan
 * that are looked at only that far are not binaries, or are library
 * candidates the loader's search merely probes.
 *
 * 8 KiB: over /usr/bin (750 files, 230 libraries) 64 KiB heads made 3,950
 * reads of 63 MB, 8 KiB ones 5,800 reads of 33 MB, and the time in read(2)
 * fell by a third to a half: copying bytes nobody looks at cost more than
 * the calls saved.
 */
const HEAD_BYTES = 8 * 1024;
/** Head buffers of closed files, reused: a new buffer a file kept the garbage collector busy over a directory. */
const heads = new BufferPool(HEAD_BYTES, 16);
/** A first read this small (a format's magic, an ELF header) is read alone, not through the head. */
const SNIFF_BYTES = 64;

/**
 * A file on disk, read with positioned reads through one descriptor. The
 * reads are synchronous on purpose: parsers make many small reads (a header,
 * a table, a string) that the page cache answers in microseconds, and a trip
 * through libuv's thread pool for each cost more than the parsing of a whole
 * directory of binaries. Opened with O_NONBLOCK so a FIFO given as input
 * cannot hang the open; anything but a regular file is then refused.
 */
export class FileSource implements ByteSource {
  private closed = false;
  private head: Uint8Array | undefined;
  private sniffed = false;
  private constructor(
    readonly name: string,
    private readonly fd: number,
    readonly size: number,
  ) {}

  static async open(path: string, name: string = path): Promise<FileSource> {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw new InputError('not-found', `${name}: no such file`);
      if (err.code === 'EISDIR') throw new InputError('io', `${name}: is a directory`);
      throw new InputError('io', `${name}: cannot open (${err.code ?? err.message})`);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new InputError('io', `${name}: is a directory`);
      if (!st.isFile()) throw new InputError('io', `${name}: not a regular file`);
      return new FileSource(name, fd, st.size);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkRead(offset, length);
    if (offset + length <= HEAD_BYTES) {
      if (this.head === undefined && !this.sniffed && length <= SNIFF_BYTES) {
        // The first look (is it ELF at all? which class and machine?) is all many opens make: a script
        // in a scanned directory, a candidate the library search probes. The head is read on the second.
        this.sniffed = true;
        const buf = new Uint8Array(length);
        this.fill(buf, offset);
        return buf;
      }
      if (this.head === undefined) {
        const head = heads.borrow().subarray(0, Math.min(this.size, HEAD_BYTES));
        this.fill(head, 0);
        this.head = head;
      }
      // A copy: callers own what they are given, and the buffer goes back to the pool on close.
      if (offset + length <= this.head.length) return this.head.slice(offset, offset + length);
    }
    const buf = new Uint8Array(length);
    this.fill(buf, offset);
    return buf;
  }

  async readInto(target: Uint8Array, offset: number, length: number): Promise<Uint8Array> {
    this.checkRead(offset, length);
    const bytes = target.subarray(0, length);
    this.fill(bytes, offset);
    return bytes;
  }

  private checkRead(offset: number, length: number): void {
    checkRange(this, offset, length);
    if (this.closed) throw new InputError('io', `${this.name}: read after close`);
  }

  /** Fills `buf` with the file's bytes from `offset`. */
  private fill(buf: Uint8Array, offset: number): void {
    let done = 0;
    while (done < buf.length) {
      const bytesRead = readSync(this.fd, buf, done, buf.length - done, offset + done);
      if (bytesRead === 0) throw new FormatError('truncated', `${this.name}: file shrank while reading at offset ${offset + done}`);
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.head !== undefined) heads.giveBack(this.head);
    this.head = undefined;
    closeSync(this.fd);
  }
}

/** Open, use, always close. */
export async function withFile<T>(path: string, use: (source: ByteSource) => Promise<T>, name: string = path): Promise<T> {
  const source = await FileSource.open(path, name);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}
