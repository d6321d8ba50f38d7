import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { offsetOfAddress, type DynamicTable } from './dynamic.js';
import { stringTableOf, type StringTable } from './strings.js';
import {
  DT_VERDEF,
  DT_VERDEFNUM,
  DT_VERNEED,
  DT_VERNEEDNUM,
  SHT_GNU_VERDEF,
  SHT_GNU_VERNEED,
  type ElfHeader,
  type ElfSection,
  type ElfSegment,
  type ElfVersionNeed,
} from './types.js';

/**
 * GNU symbol versioning: .gnu.version_r (the versions a file needs from
 * each library, e.g. GLIBC_2.34 from libc.so.6) and .gnu.version_d (the
 * versions a library defines). Both are linked lists chained by relative
 * offsets, which a hostile file can point back on themselves, so every walk
 * is bounded by the declared count and by how many records the bytes can
 * hold. A broken list ends the walk with what was read and a warning.
 */

/** Real version tables are a few hundred bytes; more than this is not worth reading. */
const MAX_TABLE_BYTES = 1 << 20;
const VERNEED_SIZE = 16;
const VERNAUX_SIZE = 16;
const VERDEF_SIZE = 20;

export interface VersionDefinition {
  /** vd_ndx: the value .gnu.version stores for symbols of this version. */
  readonly index: number;
  readonly flags: number;
  readonly name: string;
}

interface VersionTable {
  readonly bytes: ByteView;
  /** Declared number of top-level records (sh_info or DT_VER*NUM); 0 = unknown. */
  readonly count: number;
  readonly strings: StringTable | undefined;
}

/** The table as the section header describes it, else as the dynamic tags do. */
async function locate(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  sections: readonly ElfSection[],
  dynamic: DynamicTable | undefined,
  kind: { sectionType: number; addressTag: number; countTag: number; what: string },
): Promise<VersionTable | undefined> {
  const section = sections.find((s) => s.type === kind.sectionType);
  let offset: number;
  let size: number;
  let count: number;
  let strings: StringTable | undefined;
  if (section) {
    offset = section.offset;
    size = section.size;
    count = section.info;
    const linked = sections[section.link];
    strings = linked && linked.index !== 0 ? stringTableOf(source, linked.offset, linked.size) : dynamic?.strings;
  } else {
    const va = dynamic?.values.get(kind.addressTag);
    if (va === undefined || !dynamic) return undefined;
    const where = offsetOfAddress(segments, va);
    if (!where) return undefined;
    offset = where.offset;
    size = where.available;
    count = Number((dynamic.values.get(kind.countTag) ?? 0n) & 0xffffffffn);
    strings = dynamic.strings;
  }
  if (offset >= source.size) return undefined;
  size = Math.min(size, source.size - offset, MAX_TABLE_BYTES);
  const bytes = new ByteView(await source.read(offset, size), header.littleEndian, `${source.name}: ${kind.what}`);
  return { bytes, count, strings };
}

/** How many records a walk may visit: the declared count, never more than the bytes can hold. */
function walkBound(count: number, bytes: number, recordSize: number): number {
  const fit = Math.floor(bytes / recordSize);
  return count > 0 ? Math.min(count, fit) : fit;
}

async function text(strings: StringTable | undefined, index: number): Promise<string> {
  return (strings ? await strings.get(index) : undefined) ?? '';
}

export async function readVersionNeeds(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  sections: readonly ElfSection[],
  dynamic: DynamicTable | undefined,
  warnings: string[],
): Promise<ElfVersionNeed[]> {
  const table = await locate(source, header, segments, sections, dynamic, {
    sectionType: SHT_GNU_VERNEED,
    addressTag: DT_VERNEED,
    countTag: DT_VERNEEDNUM,
    what: 'version needs (.gnu.version_r)',
  });
  if (!table) return [];
  const { bytes, strings } = table;
  const needs: ElfVersionNeed[] = [];
  try {
    let at = 0;
    for (let i = 0, n = walkBound(table.count, bytes.length, VERNEED_SIZE); i < n; i++) {
      const auxCount = bytes.u16(at + 2);
      const file = await text(strings, bytes.u32(at + 4));
      const versions: string[] = [];
      let aux = at + bytes.u32(at + 8);
      for (let j = 0, m = walkBound(auxCount, bytes.length, VERNAUX_SIZE); j < m; j++) {
        versions.push(await text(strings, bytes.u32(aux + 8)));
        const next = bytes.u32(aux + 12);
        if (next === 0) break;
        aux += next;
      }
      needs.push({ file, versions });
      const next = bytes.u32(at + 12);
      if (next === 0) break;
      at += next;
    }
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    warnings.push(`version needs list is broken after ${needs.length} entries: ${e.message}`);
  }
  return needs;
}

export async function readVersionDefinitions(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  sections: readonly ElfSection[],
  dynamic: DynamicTable | undefined,
  warnings: string[],
): Promise<VersionDefinition[]> {
  const table = await locate(source, header, segments, sections, dynamic, {
    sectionType: SHT_GNU_VERDEF,
    addressTag: DT_VERDEF,
    countTag: DT_VERDEFNUM,
    what: 'version definitions (.gnu.version_d)',
  });
  if (!table) return [];
  const { bytes, strings } = table;
  const definitions: VersionDefinition[] = [];
  try {
    let at = 0;
    for (let i = 0, n = walkBound(table.count, bytes.length, VERDEF_SIZE); i < n; i++) {
      const flags = bytes.u16(at + 2);
      const index = bytes.u16(at + 4);
      const auxCount = bytes.u16(at + 6);
      // The first verdaux names the version; any further ones name its parents.
      const name = auxCount > 0 ? await text(strings, bytes.u32(at + bytes.u32(at + 12))) : '';
      definitions.push({ index, flags, name });
      const next = bytes.u32(at + 16);
      if (next === 0) break;
      at += next;
    }
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    warnings.push(`version definitions list is broken after ${definitions.length} entries: ${e.message}`);
  }
  return definitions;
}
