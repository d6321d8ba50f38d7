import { Readable } from 'node:stream';
import { FormatError } from '../errors.js';
import { ChunkReader } from './chunk-reader.js';
import { BLOCK_SIZE, MAX_META_RECORD, TYPEFLAG, isZeroBlock, paddingAfter } from './tar-format.js';
import {
  type PaxRecords,
  type RawHeader,
  type TarHeader,
  carriesNoData,
  entryTypeOf,
  parseHeaderBlock,
  parsePaxNumber,
  parsePaxRecords,
} from './tar-header.js';

export type { TarEntryType, TarHeader } from './tar-header.js';

/**
 * A streaming tar reader for ustar, PAX ('x' and global 'g'), GNU long names
 * ('L', 'K') and old v7 archives. Memory is bounded by one header plus one
 * PAX/long-name record (at most 1 MiB), never by the sizes of the files.
 */

export interface TarEntry {
  /** As stored: paths may start with './' or '/', or contain '..'; consumers that write or resolve them must sanitise. */
  readonly header: TarHeader;
  /**
   * The entry's data. Read it (or not) before asking for the next entry: when
   * the iteration moves on, whatever was not read is skipped and the stream
   * is destroyed. A body that was read to its end stays readable.
   */
  readonly body: Readable;
}

const BODY_CHUNK = 64 * 1024;

/**
 * The entries of the tar archive in `input`. `name` (the archive's file name
 * or blob digest) starts every error message. Errors are FormatErrors:
 * 'truncated' when the stream ends inside a header or data, 'malformed' for
 * bad checksums or numbers, 'limit' for oversized metadata records. After the
 * end-of-archive marker the rest of the input is read and dropped, so a
 * digest computed over `input` completes. Breaking out of the iteration
 * early destroys `input`.
 */
export function readTar(input: Readable, name: string): AsyncIterable<TarEntry> {
  return tarEntries(input, name);
}

async function* tarEntries(input: Readable, name: string): AsyncGenerator<TarEntry> {
  const reader = new ChunkReader(input, name);
  let completed = false;
  let offset = 0;
  const globalPax: PaxRecords = new Map();
  let localPax: PaxRecords = new Map();
  let longName: string | undefined;
  let longLink: string | undefined;
  let pendingMeta = false;
  try {
    for (;;) {
      const block = await reader.readExactly(BLOCK_SIZE, 'header');
      if (block === null || isZeroBlock(block)) {
        if (pendingMeta) throw new FormatError('truncated', `${name}: archive ends after an extended header with no entry`);
        if (block !== null) await reader.drain();
        completed = true;
        return;
      }
      const headerOffset = offset;
      offset += BLOCK_SIZE;
      const raw = parseHeaderBlock(block, name, headerOffset);

      if (isMetaHeader(raw.typeflag)) {
        const where = `${name}: extended header at offset ${headerOffset}`;
        if (raw.size > MAX_META_RECORD) throw new FormatError('limit', `${where}: record of ${raw.size} bytes exceeds ${MAX_META_RECORD}`);
        const data = await reader.readExactly(raw.size, 'extended header');
        if (data === null) throw new FormatError('truncated', `${where}: truncated record`);
        await reader.skip(paddingAfter(raw.size), 'extended header padding');
        offset += raw.size + paddingAfter(raw.size);
        pendingMeta = true;
        if (raw.typeflag === TYPEFLAG.paxLocal) for (const [key, value] of parsePaxRecords(data, where)) localPax.set(key, value);
        else if (raw.typeflag === TYPEFLAG.paxGlobal) for (const [key, value] of parsePaxRecords(data, where)) globalPax.set(key, value);
        else if (raw.typeflag === TYPEFLAG.gnuLongName) longName = cString(data);
        else longLink = cString(data);
        continue;
      }

      const header = resolveHeader(raw, globalPax, localPax, longName, longLink, `${name}: entry at offset ${headerOffset}`);
      localPax = new Map();
      longName = undefined;
      longLink = undefined;
      pendingMeta = false;

      const body = new EntryBody(reader, header.size, name, header.path);
      yield { header, body: body.stream };
      await body.finish();
      await reader.skip(paddingAfter(header.size), 'entry padding');
      offset += header.size + paddingAfter(header.size);
    }
  } finally {
    if (!completed) await reader.close();
  }
}

function isMetaHeader(typeflag: number): boolean {
  return (
    typeflag === TYPEFLAG.paxLocal ||
    typeflag === TYPEFLAG.paxGlobal ||
    typeflag === TYPEFLAG.gnuLongName ||
    typeflag === TYPEFLAG.gnuLongLink
  );
}

/** Applies, in increasing precedence: the header block, GNU long names, global PAX, local PAX. */
function resolveHeader(
  raw: RawHeader,
  globalPax: PaxRecords,
  localPax: PaxRecords,
  longName: string | undefined,
  longLink: string | undefined,
  where: string,
): TarHeader {
  // An empty local value cancels a global one (POSIX): fall back to the header.
  const pax = (key: Parameters<PaxRecords['get']>[0]): string | undefined => {
    const value = localPax.has(key) ? localPax.get(key) : globalPax.get(key);
    return value === '' ? undefined : value;
  };
  const number = (key: 'size' | 'uid' | 'gid' | 'mtime', fallback: number): number => {
    const value = pax(key);
    return value === undefined ? fallback : parsePaxNumber(value, `${where}: PAX ${key}`, key === 'mtime');
  };
  const path = pax('path') ?? longName ?? raw.name;
  const type = entryTypeOf(raw.typeflag, path);
  const size = number('size', raw.size);
  return {
    path,
    type,
    mode: raw.mode,
    uid: number('uid', raw.uid),
    gid: number('gid', raw.gid),
    size: carriesNoData(type) ? 0 : size,
    mtime: number('mtime', raw.mtime),
    linkname: pax('linkpath') ?? longLink ?? raw.linkname,
    uname: pax('uname') ?? raw.uname,
    gname: pax('gname') ?? raw.gname,
  };
}

function cString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? data : data.subarray(0, end));
}

/**
 * One entry's data as a Readable fed from the shared ChunkReader. Reads are
 * made only when the consumer asks, one at a time; `finish` waits for the
 * read in flight, then skips what the consumer left.
 */
class EntryBody {
  readonly stream: Readable;
  private remaining: number;
  private inflight: Promise<void> | undefined;
  private abandoned = false;
  private failure: unknown;

  constructor(
    private readonly reader: ChunkReader,
    size: number,
    private readonly archive: string,
    private readonly path: string,
  ) {
    this.remaining = size;
    this.stream = new Readable({ highWaterMark: BODY_CHUNK, read: () => this.pull() });
    // A consumer that only calls resume() to skip a body attaches no 'error' listener; a truncated
    // body must not then crash the process. The failure is rethrown by the iteration (finish).
    this.stream.on('error', () => undefined);
    if (size === 0) this.stream.push(null);
  }

  private pull(): void {
    if (this.inflight !== undefined || this.abandoned || this.remaining === 0) return;
    this.inflight = this.reader.readUpTo(Math.min(this.remaining, BODY_CHUNK)).then(
      (chunk) => {
        this.inflight = undefined;
        if (chunk === null) {
          this.fail(new FormatError('truncated', `${this.archive}: ${this.path}: truncated data (${this.remaining} bytes missing)`));
          return;
        }
        this.remaining -= chunk.length;
        if (this.abandoned) return;
        this.stream.push(chunk);
        if (this.remaining === 0) this.stream.push(null);
      },
      (error: unknown) => {
        this.inflight = undefined;
        this.fail(error);
      },
    );
  }

  private fail(error: unknown): void {
    this.failure = error;
    // Once the iteration has moved on nobody may be listening; the iterator reports it instead.
    if (!this.abandoned) this.stream.destroy(error instanceof Error ? error : new Error(String(error)));
  }

  async finish(): Promise<void> {
    this.abandoned = true;
    if (this.inflight !== undefined) await this.inflight;
    if (this.failure !== undefined) throw this.failure;
    if (this.remaining > 0) {
      await this.reader.skip(this.remaining, `data of ${this.path}`);
      this.remaining = 0;
      this.stream.destroy();
    }
  }
}
