import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import { SliceSource, type ByteSource } from '../io/source.js';
import { FAT_MAGIC, FAT_MAGIC_64, goArchForCpuType } from './constants.js';
import { readFatArches } from './fat.js';
import { thinMagicKind } from './magic.js';
import { parseThinMachO } from './thin.js';
import type { MachOFile, MachOSlice } from './types.js';

/**
 * Parses a thin or fat Mach-O. A fat file is read through its first
 * architecture, as Go's debug/buildinfo does; every architecture's identity
 * is listed in `slices`.
 */
export async function parseMachO(source: ByteSource): Promise<MachOFile> {
  if (source.size < 4) throw new FormatError('truncated', `${source.name}: too short to be a Mach-O file (${source.size} bytes)`);
  const magic = new ByteView(await source.read(0, 4), false, source.name).u32(0);
  if (thinMagicKind(magic)) return parseThinMachO(source);
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) throw new FormatError('malformed', `${source.name}: not a Mach-O file (bad magic)`);

  const arches = await readFatArches(source);
  const slices: MachOSlice[] = [];
  let first: Omit<MachOFile, 'slices'> | undefined;
  for (const [i, arch] of arches.entries()) {
    const slice = new SliceSource(source, arch.offset, arch.size, source.name);
    const sliceMagic = arch.size >= 4 ? new ByteView(await slice.read(0, 4), false, source.name).u32(0) : 0;
    if (!thinMagicKind(sliceMagic)) {
      throw new FormatError('malformed', `${source.name}: fat architecture ${i} at offset ${arch.offset} is not a thin Mach-O`);
    }
    const parsed = await parseThinMachO(slice);
    if (parsed.header.cputype !== arch.cputype) {
      throw new FormatError(
        'malformed',
        `${source.name}: fat architecture ${i} claims cputype 0x${arch.cputype.toString(16)} but its header says 0x${parsed.header.cputype.toString(16)}`,
      );
    }
    first ??= parsed;
    slices.push({ arch: goArchForCpuType(arch.cputype), identity: parsed.identity, offset: arch.offset, size: arch.size });
  }
  if (!first) throw new FormatError('malformed', `${source.name}: fat Mach-O file lists no architectures`);
  return { ...first, slices };
}
