/**
 * Facts of the tar formats shared by the writer and the reader: the 512-byte
 * header layout of POSIX ustar (and the v7 and GNU variants it grew from),
 * type flags, checksums and PAX records.
 */

export const BLOCK_SIZE = 512;

/** Byte offset and width of each ustar header field. */
export const FIELD = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

export type FieldName = keyof typeof FIELD;

/** Type flags (a single ASCII byte at offset 156). */
export const TYPEFLAG = {
  file: 0x30, // '0'
  oldFile: 0x00, // v7 regular file
  hardlink: 0x31, // '1'
  symlink: 0x32, // '2'
  char: 0x33, // '3'
  block: 0x34, // '4'
  dir: 0x35, // '5'
  fifo: 0x36, // '6'
  contiguous: 0x37, // '7': a regular file everywhere that matters
  paxLocal: 0x78, // 'x'
  paxGlobal: 0x67, // 'g'
  gnuLongName: 0x4c, // 'L'
  gnuLongLink: 0x4b, // 'K'
} as const;

/** The largest PAX or GNU long-name record we hold in memory (the brief's bound on hostile archives). */
export const MAX_META_RECORD = 1024 * 1024;

/** Largest values the octal fields can hold: width - 1 digits (the last byte is a NUL). */
export function octalFieldMax(width: number): number {
  return 8 ** (width - 1) - 1;
}

/**
 * Sum of the header's bytes with the checksum field counted as eight spaces.
 * Old tars summed signed chars, so both sums are returned for the reader.
 */
export function headerChecksums(header: Uint8Array): { unsigned: number; signed: number } {
  const [start, width] = FIELD.checksum;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= start && i < start + width ? 0x20 : (header[i] ?? 0);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return { unsigned, signed };
}

/** True when every byte of the block is zero (the end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Bytes of zero padding that follow `size` bytes of data to reach the next block. */
export function paddingAfter(size: number): number {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? 0 : BLOCK_SIZE - rest;
}

/**
 * One PAX record, "<length> <key>=<value>\n", where length counts the whole
 * record including its own digits (so it is found by a small fixed point).
 */
export function encodePaxRecord(key: string, value: string): Uint8Array {
  const body = Buffer.from(` ${key}=${value}\n`, 'utf8');
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), 'ascii'), body]);
}
