import { FormatError } from '../errors.js';
import { FIELD, type FieldName, TYPEFLAG, headerChecksums } from './tar-format.js';

/**
 * Decoding of one 512-byte tar header block (ustar, GNU and v7 variants) and
 * of PAX records. Every number is bounded and every malformed field becomes a
 * FormatError naming the archive.
 */

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface TarHeader {
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of data that follow the header (0 for links, directories and devices). */
  readonly size: number;
  /** Seconds since the epoch (whole seconds; PAX fractions are dropped). */
  readonly mtime: number;
  readonly linkname: string;
  readonly uname: string;
  readonly gname: string;
}

export type HeaderVariant = 'ustar' | 'gnu' | 'v7';

/** The raw fields of one header block, before PAX or GNU long names override them. */
export interface RawHeader {
  readonly typeflag: number;
  readonly variant: HeaderVariant;
  readonly name: string;
  readonly linkname: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly uname: string;
  readonly gname: string;
}

const utf8 = new TextDecoder('utf-8');

export function parseHeaderBlock(block: Uint8Array, archive: string, offset: number): RawHeader {
  const where = `${archive}: header at offset ${offset}`;
  const stored = parseOctal(field(block, 'checksum'), `${where}: checksum`);
  const sums = headerChecksums(block);
  if (stored !== sums.unsigned && stored !== sums.signed) {
    throw new FormatError('malformed', `${where}: bad checksum (stored ${stored}, computed ${sums.unsigned})`);
  }
  // POSIX writes "ustar\0" + "00"; GNU tar writes "ustar " + " \0"; v7 has neither.
  const magic = Buffer.from(field(block, 'magic')).toString('latin1');
  const variant: HeaderVariant = magic === 'ustar\0' ? 'ustar' : magic === 'ustar ' ? 'gnu' : 'v7';
  const typeflag = block[FIELD.typeflag[0]] ?? 0;
  let name = text(field(block, 'name'));
  // Only POSIX ustar has a prefix field; GNU keeps access/change times there.
  if (variant === 'ustar') {
    const prefix = text(field(block, 'prefix'));
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    typeflag,
    variant,
    name,
    linkname: text(field(block, 'linkname')),
    mode: parseNumeric(field(block, 'mode'), `${where}: mode`) & 0o7777,
    uid: parseNumeric(field(block, 'uid'), `${where}: uid`),
    gid: parseNumeric(field(block, 'gid'), `${where}: gid`),
    size: parseNumeric(field(block, 'size'), `${where}: size`),
    mtime: parseNumeric(field(block, 'mtime'), `${where}: mtime`),
    uname: variant === 'v7' ? '' : text(field(block, 'uname')),
    gname: variant === 'v7' ? '' : text(field(block, 'gname')),
  };
}

function field(block: Uint8Array, name: FieldName): Uint8Array {
  const [offset, width] = FIELD[name];
  return block.subarray(offset, offset + width);
}

/** A NUL-terminated (or full-width) text field. */
function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * A numeric field: octal digits padded with spaces or NULs, or GNU's base-256
 * form (high bit of the first byte set) for values octal cannot hold.
 */
export function parseNumeric(bytes: Uint8Array, what: string): number {
  const first = bytes[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new FormatError('malformed', `${what}: negative base-256 value`);
    let value = BigInt(first & 0x7f);
    for (let i = 1; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i] ?? 0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError('limit', `${what}: value too large`);
    return Number(value);
  }
  return parseOctal(bytes, what);
}

function parseOctal(bytes: Uint8Array, what: string): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0;
    if (byte === 0 || byte === 0x20) break;
    if (byte < 0x30 || byte > 0x37) throw new FormatError('malformed', `${what}: not an octal number`);
    value = value * 8 + (byte - 0x30);
    digits++;
  }
  // Whatever follows the digits must be padding only.
  for (; i < bytes.length; i++) {
    if (bytes[i] !== 0 && bytes[i] !== 0x20) throw new FormatError('malformed', `${what}: not an octal number`);
  }
  if (digits > 0 && value > Number.MAX_SAFE_INTEGER) throw new FormatError('limit', `${what}: value too large`);
  return value;
}

/** The PAX keys we honour; the rest (atime, comments, vendor keys) are ignored. */
export type PaxKey = 'path' | 'linkpath' | 'size' | 'uid' | 'gid' | 'mtime' | 'uname' | 'gname';
const PAX_KEYS: ReadonlySet<string> = new Set<PaxKey>(['path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'uname', 'gname']);
export type PaxRecords = Map<PaxKey, string>;

/** Parses "<len> key=value\n" records; every length is checked against what remains. */
export function parsePaxRecords(data: Uint8Array, where: string): PaxRecords {
  const records: PaxRecords = new Map();
  let offset = 0;
  while (offset < data.length) {
    // GNU tar and others pad the record area with NULs.
    if (data[offset] === 0) break;
    const space = data.indexOf(0x20, offset);
    if (space < 0 || space - offset > 16) throw new FormatError('malformed', `${where}: PAX record without a length`);
    const lengthText = Buffer.from(data.subarray(offset, space)).toString('latin1');
    if (!/^[1-9][0-9]*$/.test(lengthText)) throw new FormatError('malformed', `${where}: bad PAX record length ${JSON.stringify(lengthText)}`);
    const length = Number(lengthText);
    const end = offset + length;
    if (length <= space - offset + 1 || end > data.length) throw new FormatError('malformed', `${where}: PAX record length ${length} runs past its data`);
    if (data[end - 1] !== 0x0a) throw new FormatError('malformed', `${where}: PAX record does not end with a newline`);
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw new FormatError('malformed', `${where}: PAX record without '='`);
    const key = utf8.decode(record.subarray(0, equals));
    if (PAX_KEYS.has(key)) records.set(key as PaxKey, utf8.decode(record.subarray(equals + 1)));
    offset = end;
  }
  return records;
}

/** A decimal PAX number (mtime may carry a fraction, which is dropped). */
export function parsePaxNumber(value: string, what: string, allowFraction: boolean): number {
  const pattern = allowFraction ? /^[0-9]{1,16}(\.[0-9]*)?$/ : /^[0-9]{1,16}$/;
  if (!pattern.test(value)) throw new FormatError('malformed', `${what}: bad PAX number ${JSON.stringify(value.slice(0, 40))}`);
  const number = Number(value.split('.')[0]);
  if (!Number.isSafeInteger(number)) throw new FormatError('limit', `${what}: value too large`);
  return number;
}

/** Maps a type flag to the entry type the reader reports; v7 marks directories with a trailing '/'. */
export function entryTypeOf(typeflag: number, path: string): TarEntryType {
  switch (typeflag) {
    case TYPEFLAG.file:
    case TYPEFLAG.contiguous:
      return 'file';
    case TYPEFLAG.oldFile:
      return path.endsWith('/') ? 'dir' : 'file';
    case TYPEFLAG.hardlink:
      return 'hardlink';
    case TYPEFLAG.symlink:
      return 'symlink';
    case TYPEFLAG.char:
      return 'char';
    case TYPEFLAG.block:
      return 'block';
    case TYPEFLAG.dir:
      return 'dir';
    case TYPEFLAG.fifo:
      return 'fifo';
    default:
      return 'other';
  }
}

/** Types whose size field never announces data (Go's archive/tar reads them the same way). */
export function carriesNoData(type: TarEntryType): boolean {
  return type === 'hardlink' || type === 'symlink' || type === 'char' || type === 'block' || type === 'dir' || type === 'fifo';
}
