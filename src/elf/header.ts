import { FormatError } from '../errors.js';
import { ByteView, clampOffset } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import type { ElfHeader } from './types.js';

/**
 * The ELF file header (e_ident and the e_* fields). Everything else in the
 * file is found from here, so this is the one structure whose damage is
 * always fatal.
 */

const MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
const EI_CLASS = 4;
const EI_DATA = 5;
const EI_OSABI = 7;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;

/** Bytes of the file header: the probe never needs more. */
export const ELF_HEADER_MAX = 64;
const HEADER_SIZE = { 32: 52, 64: 64 } as const;

/** True when the first bytes carry the ELF magic. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((b, i) => head[i] === b);
}

/** Class and byte order from e_ident, or undefined when either byte is not a value we know. */
function classAndOrder(head: Uint8Array): { class: 32 | 64; littleEndian: boolean } | undefined {
  const cls = head[EI_CLASS];
  const data = head[EI_DATA];
  if ((cls !== ELFCLASS32 && cls !== ELFCLASS64) || (data !== ELFDATA2LSB && data !== ELFDATA2MSB)) return undefined;
  return { class: cls === ELFCLASS64 ? 64 : 32, littleEndian: data === ELFDATA2LSB };
}

/** What the library resolver needs to skip a candidate of the wrong kind. */
export interface ElfHeaderProbe {
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  readonly machine: number;
  /** e_type. */
  readonly type: number;
  readonly osabi: number;
  /** e_flags (ARM float ABI, MIPS ABI...: loaders compare these too). */
  readonly flags: number;
}

/**
 * A cheap look at a possible ELF file: reads at most the first 64 bytes and
 * returns undefined for anything that is not ELF (wrong magic, unknown class
 * or byte order, shorter than its file header). Only an I/O failure throws.
 */
export async function readElfClassAndMachine(source: ByteSource): Promise<ElfHeaderProbe | undefined> {
  const head = await source.read(0, Math.min(ELF_HEADER_MAX, source.size));
  if (!isElf(head) || head.length <= EI_DATA) return undefined;
  const co = classAndOrder(head);
  if (!co || head.length < HEADER_SIZE[co.class]) return undefined;
  const view = new ByteView(head, co.littleEndian, `${source.name}: ELF header`);
  const flags = view.u32(co.class === 64 ? 48 : 36);
  return { ...co, type: view.u16(16), machine: view.u16(18), osabi: head[EI_OSABI] ?? 0, flags };
}

/**
 * Parses the file header from the first bytes of the file. Throws
 * FormatError when the magic, class or byte order is wrong or the header is
 * cut short. e_phnum/e_shnum/e_shstrndx are returned raw: the escape values
 * (PN_XNUM, 0, SHN_XINDEX) are resolved by the table readers.
 */
export function parseElfHeader(head: Uint8Array, name: string): ElfHeader {
  if (!isElf(head)) throw new FormatError('malformed', `${name}: not an ELF file (bad magic)`);
  if (head.length <= EI_DATA) throw new FormatError('truncated', `${name}: ELF identification is cut short`);
  const co = classAndOrder(head);
  if (!co) {
    throw new FormatError('unsupported', `${name}: unknown ELF class ${head[EI_CLASS]} or byte order ${head[EI_DATA]}`);
  }
  const size = HEADER_SIZE[co.class];
  if (head.length < size) {
    throw new FormatError('truncated', `${name}: ELF${co.class} header needs ${size} bytes, file has ${head.length}`);
  }
  const v = new ByteView(head, co.littleEndian, `${name}: ELF header`);
  const is64 = co.class === 64;
  const word = is64 ? 8 : 4;
  // e_entry, e_phoff and e_shoff are words; the rest shift by their size.
  const entry = v.word(24, word);
  const phoff = v.word(24 + word, word);
  const shoff = v.word(24 + 2 * word, word);
  const after = 24 + 3 * word; // e_flags
  return {
    class: co.class,
    littleEndian: co.littleEndian,
    osabi: v.u8(EI_OSABI),
    type: v.u16(16),
    machine: v.u16(18),
    flags: v.u32(after),
    entry,
    phoff: clampOffset(phoff),
    shoff: clampOffset(shoff),
    // after + 4 is e_ehsize, which nothing needs.
    phentsize: v.u16(after + 6),
    phnum: v.u16(after + 8),
    shentsize: v.u16(after + 10),
    shnum: v.u16(after + 12),
    shstrndx: v.u16(after + 14),
  };
}

