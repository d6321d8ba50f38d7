import type { ExecutableLayout, LoadRegion, MappedSection } from '../binary/layout.js';
import type { ByteSource } from '../io/source.js';
import { findElfSymbol } from './symbols.js';
import {
  PF_R,
  PF_W,
  PF_X,
  PT_LOAD,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHT_NOBITS,
  SHT_NULL,
  type ElfHeader,
  type ElfSection,
  type ElfSegment,
} from './types.js';

/**
 * The format-neutral view of an ELF file for the Go readers. File sizes are
 * cut to the bytes the file really holds, so `mapAddress` never promises
 * bytes past the end of a truncated file.
 */
export function elfLayout(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  sections: readonly ElfSection[],
): ExecutableLayout {
  const present = (offset: number, size: number): number => (offset >= source.size ? 0 : Math.min(size, source.size - offset));
  const mapped: MappedSection[] = [];
  for (const s of sections) {
    if (s.type === SHT_NULL) continue;
    // One BigInt operation a section: SHF_WRITE and SHF_EXECINSTR sit in the low 32 bits.
    const rawFlags = Number(s.flags & 0xffffffffn);
    mapped.push({
      name: s.name,
      vaddr: s.addr,
      offset: s.offset,
      fileSize: s.type === SHT_NOBITS ? 0 : present(s.offset, s.size),
      memSize: BigInt(s.size),
      writable: (rawFlags & SHF_WRITE) !== 0,
      executable: (rawFlags & SHF_EXECINSTR) !== 0,
      rawFlags,
    });
  }
  const regions: LoadRegion[] = [];
  segments.forEach((s, i) => {
    if (s.type !== PT_LOAD) return;
    regions.push({
      name: `PT_LOAD#${i}`,
      vaddr: s.vaddr,
      memSize: s.memSize,
      offset: s.offset,
      fileSize: present(s.offset, s.fileSize),
      readable: (s.flags & PF_R) !== 0,
      writable: (s.flags & PF_W) !== 0,
      executable: (s.flags & PF_X) !== 0,
      rawFlags: s.flags,
    });
  });
  return {
    format: 'elf',
    source,
    littleEndian: header.littleEndian,
    pointerSize: header.class === 64 ? 8 : 4,
    sections: mapped,
    regions,
    findSymbol: (name) => findElfSymbol(source, header, sections, name),
  };
}
