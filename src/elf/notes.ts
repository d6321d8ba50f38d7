import { ByteView, decodeUtf8 } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { PT_NOTE, SHT_NOTE, type ElfHeader, type ElfNote, type ElfSection, type ElfSegment } from './types.js';

/**
 * ELF notes: the OS ABI tag (GNU, FreeBSD, NetBSD, OpenBSD...), build IDs,
 * Go's build ID. Read from SHT_NOTE sections when the file has section
 * headers, else from PT_NOTE segments (both describe the same bytes; this
 * is also file(1)'s order). Bounded: at most 64 regions, each read up to
 * 64 KiB, at most 256 notes kept, each descriptor cut to 1 KiB.
 */

const MAX_REGION = 64 * 1024;
/** Note regions looked at: real files have a handful; hostile ones could list thousands of copies. */
const MAX_REGIONS = 64;
const MAX_NOTES = 256;
const MAX_DESC = 1024;
const NOTE_HEADER = 12;

interface NoteRegion {
  readonly offset: number;
  readonly size: number;
  readonly align: bigint;
}

export async function readNotes(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  sections: readonly ElfSection[],
  warnings: string[],
): Promise<ElfNote[]> {
  const regions: NoteRegion[] =
    sections.length > 0
      ? sections.filter((s) => s.type === SHT_NOTE).map((s) => ({ offset: s.offset, size: s.size, align: 4n }))
      : segments.filter((s) => s.type === PT_NOTE).map((s) => ({ offset: s.offset, size: s.fileSize, align: s.align }));
  // Section alignment lives in sh_addralign, which ElfSection does not keep; 8-byte
  // notes (.note.gnu.property) sit in their own section, whose first note parses the
  // same at either alignment, and nothing we read depends on the ones after it.
  const notes: ElfNote[] = [];
  for (const region of regions.slice(0, MAX_REGIONS)) {
    if (notes.length >= MAX_NOTES) break;
    if (region.offset >= source.size || region.size === 0) continue;
    const size = Math.min(region.size, source.size - region.offset, MAX_REGION);
    const bytes = await source.read(region.offset, size);
    const align = region.align === 8n ? 8 : 4;
    if (!parseRegion(bytes, header.littleEndian, align, notes, `${source.name}: notes`)) {
      warnings.push(`note at offset ${region.offset} is cut short`);
    }
  }
  return notes;
}

/** Appends the notes of one region; false when the last one ran past the region. */
function parseRegion(bytes: Uint8Array, littleEndian: boolean, align: number, into: ElfNote[], what: string): boolean {
  const v = new ByteView(bytes, littleEndian, what);
  const up = (n: number): number => Math.ceil(n / align) * align;
  let at = 0;
  while (at + NOTE_HEADER <= bytes.length && into.length < MAX_NOTES) {
    const nameSize = v.u32(at);
    const descSize = v.u32(at + 4);
    const type = v.u32(at + 8);
    const nameStart = at + NOTE_HEADER;
    const descStart = up(nameStart + nameSize);
    const descEnd = descStart + descSize;
    if (nameStart + nameSize > bytes.length || descEnd > bytes.length) return false;
    const rawName = bytes.subarray(nameStart, nameStart + nameSize);
    const nul = rawName.indexOf(0);
    into.push({
      name: decodeUtf8(nul >= 0 ? rawName.subarray(0, nul) : rawName),
      type,
      desc: bytes.slice(descStart, Math.min(descEnd, descStart + MAX_DESC)),
    });
    at = up(descEnd);
  }
  return true;
}
