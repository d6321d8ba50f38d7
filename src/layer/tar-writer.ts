import { Readable } from 'node:stream';
import { FormatError, InputError, isFromscratchError } from '../errors.js';
import { BLOCK_SIZE, FIELD, type FieldName, TYPEFLAG, encodePaxRecord, headerChecksums, octalFieldMax, paddingAfter } from './tar-format.js';

/**
 * A deterministic POSIX tar writer: the same entries always give the same
 * bytes. Nothing comes from the host (no clock, no user names, no umask);
 * anything ustar cannot hold goes into a PAX 'x' record, never a GNU
 * extension, so every tar reader understands the result.
 */

export type TarWriteType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface TarHeaderInput {
  /** Relative path ("etc/passwd"): no leading '/', no '.' or '..' components. Directories get a trailing '/'. */
  readonly path: string;
  readonly type: TarWriteType;
  /** Permission bits (0o7777 is kept; file-type bits such as 0o100000 are dropped). */
  readonly mode: number;
  /** Files: required and must equal the body's length. Other types carry no data. */
  readonly size?: number;
  /** Symlink target (any text) or hard-link target (a relative path of an earlier entry). */
  readonly linkname?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly uname?: string;
  readonly gname?: string;
  /** Seconds since the epoch; 0 unless given. */
  readonly mtime?: number;
}

export interface TarInput {
  readonly header: TarHeaderInput;
  /** File contents: bytes, or a function opening a stream of exactly `size` bytes (called when the entry is written). */
  readonly body?: Uint8Array | (() => Promise<Readable>);
}

/** A header after validation, with every default filled in (what encodeEntryHeader takes). */
export interface NormalizedHeader {
  readonly path: string;
  readonly type: TarWriteType;
  readonly mode: number;
  readonly size: number;
  readonly linkname: string;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly mtime: number;
}

const TYPEFLAG_OF: Record<TarWriteType, number> = {
  file: TYPEFLAG.file,
  dir: TYPEFLAG.dir,
  symlink: TYPEFLAG.symlink,
  hardlink: TYPEFLAG.hardlink,
};

/** 2^33 bytes: the first size an 11-digit octal field cannot hold. */
const USTAR_SIZE_LIMIT = octalFieldMax(FIELD.size[1]);

/**
 * Streams a tar archive of `entries`, ending with two zero blocks. Entries
 * and bodies are pulled only as fast as the consumer reads, so a body is
 * never buffered whole. Invalid entries (unsafe paths, a body whose length
 * differs from `size`) destroy the stream with a FormatError.
 */
export function writeTar(entries: AsyncIterable<TarInput> | Iterable<TarInput>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false, highWaterMark: 64 * 1024 });
}

async function* tarChunks(entries: AsyncIterable<TarInput> | Iterable<TarInput>): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    const header = normalizeHeader(entry);
    yield encodeEntryHeader(header);
    if (header.type === 'file') {
      yield* bodyChunks(header, entry.body);
      const padding = paddingAfter(header.size);
      if (padding > 0) yield new Uint8Array(padding);
    }
  }
  yield new Uint8Array(2 * BLOCK_SIZE);
}

async function* bodyChunks(header: NormalizedHeader, body: TarInput['body']): AsyncGenerator<Uint8Array> {
  if (body === undefined) {
    if (header.size !== 0) throw entryError(header.path, `size is ${header.size} but no body was given`);
    return;
  }
  if (body instanceof Uint8Array) {
    if (body.length !== header.size) throw entryError(header.path, `size is ${header.size} but the body has ${body.length} bytes`);
    if (body.length > 0) yield body;
    return;
  }
  const stream = await body();
  let written = 0;
  try {
    for await (const chunk of stream) {
      const bytes = toBytes(chunk, header.path);
      written += bytes.length;
      if (written > header.size) throw entryError(header.path, `size is ${header.size} but the body has more bytes`);
      if (bytes.length > 0) yield bytes;
    }
  } catch (error) {
    if (isFromscratchError(error)) throw error;
    throw new InputError('io', `${header.path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
  if (written !== header.size) throw entryError(header.path, `size is ${header.size} but the body has ${written} bytes`);
}

function toBytes(chunk: unknown, path: string): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw entryError(path, 'the body stream produced a chunk that is not bytes');
}

function entryError(path: string, what: string): FormatError {
  return new FormatError('malformed', `${path}: ${what}`);
}

/** Checks one entry and fills in its defaults; every rejection names the entry's path. */
function normalizeHeader(entry: TarInput): NormalizedHeader {
  const input = entry.header;
  const type = input.type;
  if (!(type in TYPEFLAG_OF)) throw entryError(String(input.path), `unknown entry type ${JSON.stringify(type)}`);
  const path = normalizePath(input.path, type === 'dir');
  const mode = checkInteger(input.mode, path, 'mode') & 0o7777;
  const uid = checkInteger(input.uid ?? 0, path, 'uid');
  const gid = checkInteger(input.gid ?? 0, path, 'gid');
  const mtime = checkInteger(input.mtime ?? 0, path, 'mtime');
  const uname = checkName(input.uname ?? '', path, 'uname');
  const gname = checkName(input.gname ?? '', path, 'gname');
  let size = 0;
  let linkname = '';
  if (type === 'file') {
    if (input.size === undefined) throw entryError(path, 'a file needs a size');
    size = checkInteger(input.size, path, 'size');
  } else {
    if (input.size !== undefined && input.size !== 0) throw entryError(path, `a ${type} carries no data (size ${input.size})`);
    if (entry.body !== undefined) throw entryError(path, `a ${type} cannot have a body`);
  }
  if (type === 'symlink' || type === 'hardlink') {
    if (input.linkname === undefined || input.linkname === '') throw entryError(path, `a ${type} needs a link name`);
    if (input.linkname.includes('\0')) throw entryError(path, 'the link name contains a NUL byte');
    // A hard link names another entry of this archive, so it obeys the same path rules.
    linkname = type === 'hardlink' ? normalizePath(input.linkname, false) : input.linkname;
  } else if (input.linkname !== undefined && input.linkname !== '') {
    throw entryError(path, `a ${type} cannot have a link name`);
  }
  return { path, type, mode, size, linkname, uid, gid, uname, gname, mtime };
}

function normalizePath(raw: string, isDir: boolean): string {
  if (typeof raw !== 'string' || raw === '') throw new FormatError('malformed', 'tar entry: empty path');
  const shown = JSON.stringify(raw);
  if (raw.includes('\0')) throw new FormatError('malformed', `${shown}: path contains a NUL byte`);
  if (raw.startsWith('/')) throw new FormatError('malformed', `${shown}: absolute path (tar entries must be relative)`);
  let body = raw;
  if (body.endsWith('/')) {
    if (!isDir) throw new FormatError('malformed', `${shown}: only directories may end with '/'`);
    body = body.slice(0, -1);
  }
  for (const component of body.split('/')) {
    if (component === '..') throw new FormatError('malformed', `${shown}: path contains '..'`);
    if (component === '' || component === '.') throw new FormatError('malformed', `${shown}: path has an empty or '.' component`);
  }
  return isDir ? `${body}/` : body;
}

function checkInteger(value: number, path: string, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw entryError(path, `${what} must be a non-negative integer, got ${value}`);
  return value;
}

function checkName(value: string, path: string, what: string): string {
  if (value.includes('\0')) throw entryError(path, `${what} contains a NUL byte`);
  return value;
}

/**
 * The header block(s) of one entry: a PAX 'x' header and its records when
 * some value does not fit ustar, then the ustar header itself.
 * Exported for tests of values too large to stream (sizes ≥ 8 GiB).
 */
export function encodeEntryHeader(header: NormalizedHeader): Uint8Array {
  const pax: [string, string][] = [];
  const fits = (text: string, width: number): boolean => isAscii(text) && Buffer.byteLength(text) <= width;
  // Keys are added in one fixed order so the bytes are deterministic.
  if (!fits(header.path, FIELD.name[1])) pax.push(['path', header.path]);
  if (!fits(header.linkname, FIELD.linkname[1])) pax.push(['linkpath', header.linkname]);
  if (header.size > USTAR_SIZE_LIMIT) pax.push(['size', String(header.size)]);
  if (header.uid > octalFieldMax(FIELD.uid[1])) pax.push(['uid', String(header.uid)]);
  if (header.gid > octalFieldMax(FIELD.gid[1])) pax.push(['gid', String(header.gid)]);
  if (header.mtime > octalFieldMax(FIELD.mtime[1])) pax.push(['mtime', String(header.mtime)]);
  // uname/gname fields must keep a terminating NUL.
  if (!fits(header.uname, FIELD.uname[1] - 1)) pax.push(['uname', header.uname]);
  if (!fits(header.gname, FIELD.gname[1] - 1)) pax.push(['gname', header.gname]);

  const ustar = ustarHeader({
    name: fits(header.path, FIELD.name[1]) ? header.path : asciiStandIn(header.path, FIELD.name[1]),
    typeflag: TYPEFLAG_OF[header.type],
    mode: header.mode,
    uid: Math.min(header.uid, octalFieldMax(FIELD.uid[1])),
    gid: Math.min(header.gid, octalFieldMax(FIELD.gid[1])),
    size: header.size > USTAR_SIZE_LIMIT ? 0 : header.size,
    mtime: Math.min(header.mtime, octalFieldMax(FIELD.mtime[1])),
    linkname: fits(header.linkname, FIELD.linkname[1]) ? header.linkname : asciiStandIn(header.linkname, FIELD.linkname[1]),
    uname: fits(header.uname, FIELD.uname[1] - 1) ? header.uname : '',
    gname: fits(header.gname, FIELD.gname[1] - 1) ? header.gname : '',
  });
  if (pax.length === 0) return ustar;

  const records = Buffer.concat(pax.map(([key, value]) => encodePaxRecord(key, value)));
  // Go's archive/tar names PAX headers "PaxHeaders.0/<base>"; GNU tar adds a pid, which would break determinism.
  const base = header.path.replace(/\/$/, '').split('/').pop() ?? '';
  const paxName = asciiStandIn(`PaxHeaders.0/${base}`, FIELD.name[1]);
  const paxHeader = ustarHeader({
    name: paxName,
    typeflag: TYPEFLAG.paxLocal,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: 0,
    linkname: '',
    uname: '',
    gname: '',
  });
  return Buffer.concat([paxHeader, records, new Uint8Array(paddingAfter(records.length)), ustar]);
}

interface UstarFields {
  name: string;
  typeflag: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
}

function ustarHeader(fields: UstarFields): Uint8Array {
  const block = Buffer.alloc(BLOCK_SIZE);
  writeText(block, 'name', fields.name);
  writeOctal(block, 'mode', fields.mode);
  writeOctal(block, 'uid', fields.uid);
  writeOctal(block, 'gid', fields.gid);
  writeOctal(block, 'size', fields.size);
  writeOctal(block, 'mtime', fields.mtime);
  block[FIELD.typeflag[0]] = fields.typeflag;
  writeText(block, 'linkname', fields.linkname);
  block.write('ustar\0', FIELD.magic[0], 'ascii');
  block.write('00', FIELD.version[0], 'ascii');
  writeText(block, 'uname', fields.uname);
  writeText(block, 'gname', fields.gname);
  writeOctal(block, 'devmajor', 0);
  writeOctal(block, 'devminor', 0);
  const checksum = headerChecksums(block).unsigned;
  // Six octal digits, NUL, space: the form every tar writes.
  block.write(`${checksum.toString(8).padStart(6, '0')}\0 `, FIELD.checksum[0], 'ascii');
  return block;
}

function writeText(block: Buffer, field: FieldName, text: string): void {
  const [offset, width] = FIELD[field];
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > width) throw new Error(`tar writer: ${field} does not fit (${bytes.length} > ${width})`);
  bytes.copy(block, offset);
}

function writeOctal(block: Buffer, field: FieldName, value: number): void {
  const [offset, width] = FIELD[field];
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new Error(`tar writer: ${field} ${value} does not fit`);
  block.write(`${digits}\0`, offset, 'ascii');
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e || text.charCodeAt(i) < 0x20) return false;
  return true;
}

/** What old readers that ignore PAX see instead of a name that does not fit: printable ASCII, cut to the field. */
function asciiStandIn(text: string, width: number): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0x5f;
    out += code >= 0x20 && code <= 0x7e ? char : '_';
    if (out.length >= width) break;
  }
  return out.slice(0, width);
}
