import { FormatError } from '../errors.js';
import { ByteView, toSafeNumber } from '../io/bytes.js';
import { checkRange, type ByteSource } from '../io/source.js';
import { FAT_ARCH_64_SIZE, FAT_ARCH_SIZE, FAT_HEADER_SIZE, FAT_MAGIC, FAT_MAGIC_64, MAX_FAT_ARCHES } from './constants.js';

/** One fat_arch / fat_arch_64 entry. */
export interface FatArch {
  readonly cputype: number;
  readonly cpusubtype: number;
  readonly offset: number;
  readonly size: number;
}

/** Reads the architecture table of a fat file; every slice is checked to lie inside the file. */
export async function readFatArches(source: ByteSource): Promise<FatArch[]> {
  const name = source.name;
  checkRange(source, 0, FAT_HEADER_SIZE, 'fat header');
  const header = new ByteView(await source.read(0, FAT_HEADER_SIZE), false, `${name}: fat header`);
  const magic = header.u32(0);
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) throw new FormatError('malformed', `${name}: not a fat Mach-O file (bad magic)`);
  const count = header.u32(4);
  if (count === 0) throw new FormatError('malformed', `${name}: fat Mach-O file lists no architectures`);
  if (count > MAX_FAT_ARCHES) {
    // The same word in a Java class file holds its version; file(1) draws the line here too.
    throw new FormatError('malformed', `${name}: not a fat Mach-O file (${count} architectures; a Java class file has this magic too)`);
  }
  const is64 = magic === FAT_MAGIC_64;
  const entrySize = is64 ? FAT_ARCH_64_SIZE : FAT_ARCH_SIZE;
  checkRange(source, FAT_HEADER_SIZE, count * entrySize, 'fat architecture table');
  const table = new ByteView(await source.read(FAT_HEADER_SIZE, count * entrySize), false, `${name}: fat architecture table`);

  const arches: FatArch[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    const what = `${name}: fat architecture ${i}`;
    const arch: FatArch = {
      cputype: table.u32(at),
      cpusubtype: table.u32(at + 4),
      offset: is64 ? toSafeNumber(table.u64(at + 8), `${what} offset`) : table.u32(at + 8),
      size: is64 ? toSafeNumber(table.u64(at + 16), `${what} size`) : table.u32(at + 12),
    };
    if (arch.offset < FAT_HEADER_SIZE + count * entrySize) {
      throw new FormatError('malformed', `${what} starts at offset ${arch.offset}, inside the fat header`);
    }
    checkRange(source, arch.offset, arch.size, `fat architecture ${i}`);
    arches.push(arch);
  }
  return arches;
}
