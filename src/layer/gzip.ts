import { availableParallelism } from 'node:os';
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { FormatError, InputError, UsageError, isFromscratchError } from '../errors.js';

/**
 * gzip compression that uses several cores the way pigz does, and a guarded
 * gunzip. The input is cut into blocks; each block is raw-deflated on its
 * own (zlib's async API runs on libuv's thread pool) with the 32 KiB of input
 * before it as a preset dictionary, so matches still reach across block
 * edges. Every block but the last ends with a sync flush (byte-aligned, not
 * final) and the last with finish; their concatenation is one ordinary
 * deflate stream inside one gzip member that every gunzip reads.
 */

export interface GzipOptions {
  /** zlib level 0–9; default 6 (gzip's default). */
  readonly level?: number;
  /** Bytes of input per block; default 128 KiB. Output depends on it (and on level), never on concurrency. */
  readonly blockSize?: number;
  /** Blocks in flight; default 2 × os.availableParallelism(), so a core never waits while the stream thread reads and checksums. Memory is about concurrency × blockSize × 2. */
  readonly concurrency?: number;
}

const DEFAULT_LEVEL = 6;
const DEFAULT_BLOCK_SIZE = 128 * 1024;
const MAX_BLOCK_SIZE = 64 * 1024 * 1024;
const WINDOW_SIZE = 32 * 1024;
const OS_UNKNOWN = 255;

/**
 * One gzip member of `input`, compressed in parallel. The header is fixed
 * (no name, mtime 0, OS 255) so the bytes depend only on the input, level and
 * blockSize. The CRC-32 and length cover the whole input. Errors of `input`
 * end the output stream with the same error.
 */
export function gzipParallel(input: Readable, options: GzipOptions = {}): Readable {
  const level = options.level ?? DEFAULT_LEVEL;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const concurrency = options.concurrency ?? 2 * availableParallelism();
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new UsageError(`gzip level must be 0-9, got ${level}`);
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
    throw new UsageError(`gzip block size must be 1..${MAX_BLOCK_SIZE}, got ${blockSize}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`gzip concurrency must be a positive integer, got ${concurrency}`);
  return Readable.from(gzipChunks(input, level, blockSize, concurrency), { objectMode: false });
}

async function* gzipChunks(input: Readable, level: number, blockSize: number, concurrency: number): AsyncGenerator<Uint8Array> {
  yield gzipHeader(level);
  let crc = 0;
  let length = 0;
  let window: Buffer = Buffer.alloc(0);
  const inFlight: Promise<Buffer>[] = [];
  for await (const block of blocksOf(input, blockSize)) {
    crc = zlib.crc32(block.data, crc);
    length = (length + block.data.length) % 2 ** 32;
    const job = deflateBlock(block.data, window, level, block.last);
    // Failures surface when the job is awaited in order; this only keeps Node from calling them unhandled meanwhile.
    job.catch(() => undefined);
    inFlight.push(job);
    window = slideWindow(window, block.data);
    while (inFlight.length >= concurrency) yield await (inFlight.shift() as Promise<Buffer>);
  }
  while (inFlight.length > 0) yield await (inFlight.shift() as Promise<Buffer>);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length >>> 0, 4);
  yield trailer;
}

function gzipHeader(level: number): Uint8Array {
  // XFL tells readers the level class, as gzip sets it: 2 = slowest, 4 = fastest.
  const extraFlags = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, OS_UNKNOWN);
}

/** Fixed-size blocks of the input, the last flagged (an empty input gives one empty last block). */
async function* blocksOf(input: Readable, blockSize: number): AsyncGenerator<{ data: Buffer; last: boolean }> {
  let pending: Buffer | undefined;
  let parts: Buffer[] = [];
  let filled = 0;
  for await (const chunk of input) {
    let rest = toBuffer(chunk);
    while (rest.length > 0) {
      const take = Math.min(blockSize - filled, rest.length);
      parts.push(rest.subarray(0, take));
      filled += take;
      rest = rest.subarray(take);
      if (filled === blockSize) {
        // concat copies, so a block never pins a larger input chunk in memory.
        const block = Buffer.concat(parts, filled);
        parts = [];
        filled = 0;
        if (pending !== undefined) yield { data: pending, last: false };
        pending = block;
      }
    }
  }
  if (filled > 0) {
    if (pending !== undefined) yield { data: pending, last: false };
    pending = Buffer.concat(parts, filled);
  }
  yield { data: pending ?? Buffer.alloc(0), last: true };
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new InputError('io', 'gzip: the input stream produced a chunk that is not bytes');
}

/** The last 32 KiB of input seen so far (deflate's window), copied so it owns its memory. */
function slideWindow(window: Buffer, block: Buffer): Buffer {
  if (block.length >= WINDOW_SIZE) return Buffer.from(block.subarray(block.length - WINDOW_SIZE));
  const joined = Buffer.concat([window, block]);
  return joined.length > WINDOW_SIZE ? Buffer.from(joined.subarray(joined.length - WINDOW_SIZE)) : joined;
}

function deflateBlock(data: Buffer, dictionary: Buffer, level: number, last: boolean): Promise<Buffer> {
  const options: zlib.ZlibOptions = {
    level,
    finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
  };
  if (dictionary.length > 0) options.dictionary = dictionary;
  return new Promise((resolve, reject) => {
    zlib.deflateRaw(data, options, (error, output) => (error ? reject(error) : resolve(output)));
  });
}

export interface GunzipOptions {
  /** Fail once the decompressed output exceeds this many bytes (defuses gzip bombs). Default: no limit. */
  readonly maxOutputBytes?: number;
  /** Names the stream in error messages (a file name or blob digest); default "gzip stream". */
  readonly name?: string;
}

const GUNZIP_CHUNK_BYTES = 1 << 20;

/**
 * Decompresses gzip (one or more members). Corrupt or truncated input and an
 * exceeded `maxOutputBytes` end the returned stream with a FormatError
 * naming `options.name`; destroying the returned stream stops `input`.
 */
export function gunzip(input: Readable, options: GunzipOptions = {}): Readable {
  const name = options.name ?? 'gzip stream';
  const limit = options.maxOutputBytes ?? Number.POSITIVE_INFINITY;
  if (Number.isNaN(limit) || limit < 0) throw new UsageError(`gunzip: maxOutputBytes must be a non-negative number, got ${limit}`);
  let produced = 0;
  // 1 MiB output chunks instead of zlib's 16 KiB: a layer's inflate then
  // crosses from the zlib thread pool to the main thread 64 times less often,
  // which is most of what reading a layer costs beside the inflate itself.
  const decompressor = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  const output = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      produced += chunk.length;
      if (produced > limit) {
        callback(new FormatError('limit', `${name}: decompressed data exceeds ${limit} bytes`));
        return;
      }
      callback(null, chunk);
    },
  });
  input.on('error', (error: unknown) => output.destroy(asInputError(error, name)));
  decompressor.on('error', (error: unknown) => output.destroy(zlibError(error, name)));
  output.on('close', () => {
    if (!decompressor.destroyed) decompressor.destroy();
    if (!input.destroyed) input.destroy();
  });
  input.pipe(decompressor).pipe(output);
  return output;
}

function zlibError(error: unknown, name: string): Error {
  if (isFromscratchError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'Z_BUF_ERROR') return new FormatError('truncated', `${name}: truncated gzip data (${message})`);
  return new FormatError('malformed', `${name}: corrupt gzip data (${message})`);
}

function asInputError(error: unknown, name: string): Error {
  if (isFromscratchError(error)) return error;
  return new InputError('io', `${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
