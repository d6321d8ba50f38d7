import type { ExecutableFormat, ExecutableLayout, LoadRegion, MappedSection, SymbolInfo } from '../binary/layout.js';
import { BytesSource } from '../io/source.js';

/**
 * In-memory executables for tests of readers that work on an
 * ExecutableLayout: lay some areas (bytes at a virtual address) out in a
 * file, describe them as sections and/or load regions, and get a layout over
 * those bytes, or over a corrupted copy of them with the same description
 * (for fuzzing the reader rather than the format parser).
 */
export interface SyntheticArea {
  readonly name: string;
  readonly vaddr: bigint;
  /** The file bytes of the area. */
  readonly bytes: Uint8Array;
  /** Defaults to the byte length; larger models zero-fill (.bss). */
  readonly memSize?: bigint;
  readonly writable?: boolean;
  readonly executable?: boolean;
  readonly rawFlags?: number;
  /** Describe it as a section, a load region, or both (default both). */
  readonly as?: 'section' | 'region' | 'both';
  readonly segment?: string;
}

export interface SyntheticOptions {
  readonly format?: ExecutableFormat;
  readonly littleEndian?: boolean;
  readonly pointerSize?: 4 | 8;
  readonly symbols?: Readonly<Record<string, bigint>>;
  readonly name?: string;
}

export interface SyntheticFile {
  /** The whole file. */
  readonly bytes: Uint8Array;
  /** File offset where each area's bytes start, by area name. */
  readonly offsets: ReadonlyMap<string, number>;
  /** A layout over `bytes` (default: the file as built) with the areas as described. */
  layout(bytes?: Uint8Array): ExecutableLayout;
}

/** Where the first area starts, so file offset 0 never looks like data. */
const FIRST_OFFSET = 0x40;

export function syntheticFile(areas: readonly SyntheticArea[], options: SyntheticOptions = {}): SyntheticFile {
  const offsets = new Map<string, number>();
  let size = FIRST_OFFSET;
  const placed = areas.map((area) => {
    const offset = size;
    offsets.set(area.name, offset);
    size = Math.ceil((offset + area.bytes.length) / 16) * 16;
    return { area, offset };
  });
  const file = new Uint8Array(size);
  for (const { area, offset } of placed) file.set(area.bytes, offset);

  const sections: MappedSection[] = [];
  const regions: LoadRegion[] = [];
  for (const { area, offset } of placed) {
    const common = {
      name: area.name,
      vaddr: area.vaddr,
      offset,
      fileSize: area.bytes.length,
      memSize: area.memSize ?? BigInt(area.bytes.length),
      writable: area.writable ?? false,
      executable: area.executable ?? false,
      rawFlags: area.rawFlags ?? 0,
    };
    const as = area.as ?? 'both';
    if (as !== 'region') sections.push(area.segment === undefined ? common : { ...common, segment: area.segment });
    if (as !== 'section') regions.push({ ...common, readable: true });
  }

  const symbols = new Map<string, SymbolInfo>(
    Object.entries(options.symbols ?? {}).map(([name, value]) => [name, { name, value, size: 0n }]),
  );
  const layout = (bytes: Uint8Array = file): ExecutableLayout => ({
    format: options.format ?? 'elf',
    source: new BytesSource(options.name ?? 'synthetic', bytes),
    littleEndian: options.littleEndian ?? true,
    pointerSize: options.pointerSize ?? 8,
    sections,
    regions,
    findSymbol: async (name: string) => symbols.get(name),
  });
  return { bytes: file, offsets, layout };
}
