import { FormatError } from '../errors.js';
import { decodeUtf8 } from '../io/bytes.js';
import type { ByteSource } from '../io/source.js';
import { readDynamic, type DynamicTable } from './dynamic.js';
import { dynamicSymbolsFromDynamic, dynamicSymbolsFromSections, type SymbolTable } from './dynamic-symbols.js';
import { ELF_HEADER_MAX, parseElfHeader } from './header.js';
import { elfIdentity } from './identity.js';
import { elfLayout } from './layout.js';
import { readNotes } from './notes.js';
import { readSectionZero, readSections, readSegments } from './tables.js';
import { readVersionDefinitions, readVersionNeeds } from './versions.js';
import {
  DF_1_PIE,
  ET_CORE,
  ET_REL,
  PT_DYNAMIC,
  PN_XNUM,
  PT_INTERP,
  SHT_SYMTAB,
  VER_FLG_BASE,
  type ElfDynamic,
  type ElfFile,
  type ElfHeader,
  type ElfSection,
  type ElfSegment,
} from './types.js';

/** PATH_MAX: no loader accepts a longer interpreter path. */
const MAX_INTERPRETER = 4096;

/**
 * Parses an ELF file by offset: header, program and section headers, the
 * section names, the dynamic section with its strings, symbol versioning
 * and notes. Never reads the code or data.
 *
 * Throws FormatError when the file is not ELF, its header is cut short, its
 * type is unknown or its program header table is unreadable. Everything
 * else that is broken degrades to a partial result listed in `warnings`
 * (see tables.ts, dynamic.ts, versions.ts for each policy), the way file(1)
 * still reports the linkage of a binary with damaged section headers.
 */
export async function parseElf(source: ByteSource): Promise<ElfFile> {
  const { header, segments, sections, interpreter, table, warnings } = await readLinking(source, true);
  const dynamic = table?.dynamic ?? null;
  const versionNeeds = await readVersionNeeds(source, header, segments, sections, table, warnings);
  const definitions = await readVersionDefinitions(source, header, segments, sections, table, warnings);
  const notes = await readNotes(source, header, segments, sections, warnings);
  return {
    source,
    header,
    identity: elfIdentity(header, { notes, sectionNames: sections.map((s) => s.name), dynamic, name: source.name }),
    segments,
    sections,
    interpreter,
    dynamic,
    versionNeeds,
    versionDefinitions: definitions.filter((d) => (d.flags & VER_FLG_BASE) === 0).map((d) => d.name),
    notes,
    stripped: isStripped(sections),
    linkage: elfLinkage(segments, dynamic),
    layout: elfLayout(source, header, segments, sections),
    readDynamicSymbols: async () => dynamicSymbolsFromSections(source, header, sections) ?? (table ? dynamicSymbolsFromDynamic(source, header, segments, table) : undefined),
    warnings,
  };
}

/**
 * An ELF file as the loader reads it: header, program headers, interpreter
 * and dynamic section, no section headers (see parseElfLinking).
 */
export interface ElfLinking extends Pick<ElfFile, 'source' | 'header' | 'segments' | 'interpreter' | 'dynamic' | 'warnings'> {
  /** Where its dynamic symbols are, found through the dynamic section (read on demand, while the source is open). */
  readDynamicSymbols(): Promise<SymbolTable | undefined>;
}

/**
 * The loader's view, for the many libraries of a directory scan that are
 * only resolved (and searched for a few imports): the same header, program
 * header and dynamic section reads as parseElf, the same errors, and no
 * section headers, which ld.so never reads either (over /usr/bin's 230
 * libraries they were half the cost of this parse). parseElf's remaining
 * readers only warn, so a file that parses there parses here too.
 */
export async function parseElfLinking(source: ByteSource): Promise<ElfLinking> {
  const { header, segments, interpreter, table, warnings } = await readLinking(source, false);
  let symbols: Promise<SymbolTable | undefined> | undefined;
  return {
    source,
    header,
    segments,
    interpreter,
    dynamic: table?.dynamic ?? null,
    warnings,
    readDynamicSymbols: () => (symbols ??= loaderDynamicSymbols(source, header, segments, table)),
  };
}

/** The dynamic symbols the loader's way; the section headers' SHT_DYNSYM when the dynamic section cannot say (no hash table to count with, say). */
async function loaderDynamicSymbols(
  source: ByteSource,
  header: ElfHeader,
  segments: readonly ElfSegment[],
  table: DynamicTable | undefined,
): Promise<SymbolTable | undefined> {
  if (table === undefined) return undefined;
  const found = await dynamicSymbolsFromDynamic(source, header, segments, table);
  if (found !== undefined) return found;
  const sections = await readSections(source, header, await readSectionZero(source, header), []);
  return dynamicSymbolsFromSections(source, header, sections);
}

interface LinkingParts {
  readonly header: ElfHeader;
  readonly segments: readonly ElfSegment[];
  readonly sections: readonly ElfSection[];
  readonly interpreter: string | null;
  readonly table: DynamicTable | undefined;
  readonly warnings: string[];
}

/** Header, program headers, (with `withSections`) section headers, interpreter and dynamic section. */
async function readLinking(source: ByteSource, withSections: boolean): Promise<LinkingParts> {
  const header = parseElfHeader(await source.read(0, Math.min(ELF_HEADER_MAX, source.size)), source.name);
  if (header.type < ET_REL || header.type > ET_CORE) {
    throw new FormatError('unsupported', `${source.name}: ELF file type ${header.type} is not one we read (executable, shared object, relocatable, core)`);
  }
  const warnings: string[] = [];
  // Section 0 holds the real counts when a header field overflows; without sections only e_phnum's matters.
  const zero = withSections || header.phnum === PN_XNUM ? await readSectionZero(source, header) : undefined;
  const segments = await readSegments(source, header, zero);
  const sections = withSections ? await readSections(source, header, zero, warnings) : [];
  const interpreter = await readInterpreter(source, segments, warnings);
  const table = await readDynamic(source, header, segments, sections, warnings);
  return { header, segments, sections, interpreter, table, warnings };
}

/**
 * file(1)'s verdict (readelf.c dophn_exec): need = DT_NEEDED entries plus
 * one for PT_INTERP; a file with PT_DYNAMIC is "static-pie" when DF_1_PIE is
 * set and nothing is needed, else "dynamic"; without PT_DYNAMIC it is
 * "static".
 *
 * file 5.44 (Debian bookworm) treats any DT_FLAGS_1 entry as "pie" here,
 * so a shared library with, say, only DF_1_NODELETE, no DT_NEEDED and no
 * interpreter is "static-pie linked" to it; later file versions (and this
 * code) test the DF_1_PIE bit. synthetic.test.ts pins that difference
 * against the installed file(1).
 */
export function elfLinkage(segments: readonly ElfSegment[], dynamic: ElfDynamic | null): ElfFile['linkage'] {
  if (!segments.some((s) => s.type === PT_DYNAMIC)) return 'static';
  const need = (dynamic?.needed.length ?? 0) + (segments.some((s) => s.type === PT_INTERP) ? 1 : 0);
  const pie = dynamic !== null && (dynamic.flags1 & DF_1_PIE) !== 0;
  return pie && need === 0 ? 'static-pie' : 'dynamic';
}

/** file(1)'s "stripped": neither a symbol table nor DWARF (.debug_info) is left. */
export function isStripped(sections: readonly ElfSection[]): boolean {
  return !sections.some((s) => s.type === SHT_SYMTAB || s.name === '.debug_info');
}

/** PT_INTERP's path up to its NUL; "" (with a warning) when its bytes are outside the file. */
async function readInterpreter(source: ByteSource, segments: readonly ElfSegment[], warnings: string[]): Promise<string | null> {
  const segment = segments.find((s) => s.type === PT_INTERP);
  if (!segment) return null;
  if (segment.offset >= source.size) {
    warnings.push(`interpreter path at offset ${segment.offset} is outside the file`);
    return '';
  }
  const length = Math.min(segment.fileSize, source.size - segment.offset, MAX_INTERPRETER);
  const bytes = await source.read(segment.offset, length);
  const nul = bytes.indexOf(0);
  return decodeUtf8(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}
