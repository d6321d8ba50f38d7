import type { BinaryIdentity } from '../binary/identity.js';
import type { ExecutableLayout, LoadRegion, MappedSection, SymbolInfo } from '../binary/layout.js';
import type { SymbolIndex } from '../binary/symbol-index.js';
import { FormatError } from '../errors.js';
import { ByteView, decodeUtf8, toSafeNumber } from '../io/bytes.js';
import { checkRange, type ByteSource } from '../io/source.js';
import {
  BUILD_VERSION_COMMAND_SIZE,
  DYLIB_COMMAND_SIZE,
  DYSYMTAB_COMMAND_SIZE,
  DYLIB_LOAD_COMMANDS,
  LC_BUILD_VERSION,
  LC_DYSYMTAB,
  LC_SEGMENT,
  LC_SEGMENT_64,
  LC_SYMTAB,
  LC_VERSION_MIN_IPHONEOS,
  LOAD_COMMAND_HEADER_SIZE,
  MACH_HEADER_64_SIZE,
  MACH_HEADER_SIZE,
  NLIST_64_SIZE,
  NLIST_SIZE,
  SECTION_64_SIZE,
  SECTION_SIZE,
  SEGMENT_COMMAND_64_SIZE,
  SEGMENT_COMMAND_SIZE,
  SYMTAB_COMMAND_SIZE,
  VM_PROT_EXECUTE,
  VM_PROT_READ,
  VM_PROT_WRITE,
  binaryTypeFor,
  goArchForCpuType,
  goOsForPlatform,
  isZeroFillSection,
} from './constants.js';
import { thinMagicKind } from './magic.js';
import { readMachOSymbols, type SymtabLocation } from './symbols.js';
import type { MachOFile, MachOHeader } from './types.js';

/** What the load commands say, gathered in one pass. */
interface LoadCommandFacts {
  sections: MappedSection[];
  regions: LoadRegion[];
  symtab: SymtabLocation | undefined;
  /** From LC_DYSYMTAB: how many symbols the file defines itself (local + external), when it says. */
  definedSymbols: number | undefined;
  loadDylibs: string[];
  os: string;
}

/** Parses one thin (single-architecture) Mach-O: header and load commands; symbols are read on first lookup. */
export async function parseThinMachO(source: ByteSource): Promise<Omit<MachOFile, 'slices'>> {
  const name = source.name;
  checkRange(source, 0, 4, 'Mach-O magic');
  const magicBytes = await source.read(0, 4);
  const kind = thinMagicKind(new ByteView(magicBytes, false, name).u32(0));
  if (!kind) throw new FormatError('malformed', `${name}: not a thin Mach-O file (bad magic)`);
  const { is64, littleEndian } = kind;

  const headerSize = is64 ? MACH_HEADER_64_SIZE : MACH_HEADER_SIZE;
  checkRange(source, 0, headerSize, 'Mach-O header');
  const h = new ByteView(await source.read(0, headerSize), littleEndian, `${name}: Mach-O header`);
  const header: MachOHeader = {
    cputype: h.u32(4),
    cpusubtype: h.u32(8),
    filetype: h.u32(12),
    ncmds: h.u32(16),
    sizeofcmds: h.u32(20),
    flags: h.u32(24),
  };

  const type = binaryTypeFor(header.filetype, header.flags);
  if (!type) throw new FormatError('unsupported', `${name}: Mach-O file type ${header.filetype} is not an executable, library, object or core`);
  if (header.sizeofcmds > source.size - headerSize) {
    throw new FormatError('truncated', `${name}: load commands (${header.sizeofcmds} bytes) run past the end of the file (${source.size} bytes)`);
  }
  if (header.ncmds > Math.floor(header.sizeofcmds / LOAD_COMMAND_HEADER_SIZE)) {
    throw new FormatError('malformed', `${name}: ${header.ncmds} load commands cannot fit in ${header.sizeofcmds} bytes`);
  }

  const commands = new ByteView(await source.read(headerSize, header.sizeofcmds), littleEndian, `${name}: load commands`);
  const facts = readLoadCommands(source, commands, header.ncmds, is64);

  const identity: BinaryIdentity = {
    format: 'macho',
    os: facts.os,
    arch: goArchForCpuType(header.cputype),
    bits: is64 ? 64 : 32,
    endian: littleEndian ? 'little' : 'big',
    type,
  };

  const symtab = facts.symtab;
  let symbols: Promise<SymbolIndex> | undefined;
  const layout: ExecutableLayout = {
    format: 'macho',
    source,
    littleEndian,
    pointerSize: is64 ? 8 : 4,
    sections: facts.sections,
    regions: facts.regions,
    async findSymbol(symbolName: string): Promise<SymbolInfo | undefined> {
      if (!symtab || symtab.nsyms === 0) return undefined;
      symbols ??= readMachOSymbols(source, symtab, is64, littleEndian, facts.sections);
      const index = await symbols;
      // C symbols carry a leading underscore in Mach-O; Go symbols do not.
      return index.find(symbolName) ?? index.find(`_${symbolName}`);
    },
  };

  // `go build -ldflags=-s` and strip(1) keep the undefined symbols dyld
  // binds, so a stripped executable may still have nsyms > 0; LC_DYSYMTAB
  // says how many of them the file defines itself.
  const stripped = !symtab || symtab.nsyms === 0 || facts.definedSymbols === 0;
  return {
    identity,
    layout,
    stripped,
    loadDylibs: facts.loadDylibs,
    header,
  };
}

function readLoadCommands(source: ByteSource, commands: ByteView, ncmds: number, is64: boolean): LoadCommandFacts {
  const name = source.name;
  const facts: LoadCommandFacts = { sections: [], regions: [], symtab: undefined, definedSymbols: undefined, loadDylibs: [], os: 'darwin' };
  let at = 0;
  for (let i = 0; i < ncmds; i++) {
    if (at + LOAD_COMMAND_HEADER_SIZE > commands.length) {
      throw new FormatError('malformed', `${name}: load command ${i} starts past the end of the load commands (sizeofcmds ${commands.length})`);
    }
    const cmd = commands.u32(at);
    const cmdsize = commands.u32(at + 4);
    if (cmdsize < LOAD_COMMAND_HEADER_SIZE || cmdsize > commands.length - at) {
      throw new FormatError('malformed', `${name}: load command ${i} (0x${cmd.toString(16)}) has size ${cmdsize}, outside the ${commands.length - at} bytes left`);
    }
    const body = new ByteView(commands.slice(at, cmdsize), commands.littleEndian, `${name}: load command ${i}`);
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      readSegment(source, body, cmd === LC_SEGMENT_64, i, facts);
    } else if (cmd === LC_SYMTAB) {
      facts.symtab = readSymtab(source, body, is64, i);
    } else if (cmd === LC_DYSYMTAB) {
      if (cmdsize < DYSYMTAB_COMMAND_SIZE) throw new FormatError('malformed', `${name}: LC_DYSYMTAB command ${i} is too short (${cmdsize} bytes)`);
      facts.definedSymbols = body.u32(12) + body.u32(20);
    } else if (DYLIB_LOAD_COMMANDS.has(cmd)) {
      facts.loadDylibs.push(readDylibName(name, body, i));
    } else if (cmd === LC_BUILD_VERSION) {
      if (cmdsize < BUILD_VERSION_COMMAND_SIZE) throw new FormatError('malformed', `${name}: LC_BUILD_VERSION command ${i} is too short (${cmdsize} bytes)`);
      facts.os = goOsForPlatform(body.u32(8));
    } else if (cmd === LC_VERSION_MIN_IPHONEOS) {
      facts.os = 'ios';
    }
    at += cmdsize;
  }
  return facts;
}

/** A fixed 16-byte name field: NUL padded, and not terminated when all 16 bytes are used. */
function fixedName(view: ByteView, offset: number): string {
  const bytes = view.slice(offset, 16);
  const end = bytes.indexOf(0);
  return decodeUtf8(end === -1 ? bytes : bytes.subarray(0, end));
}

function readSegment(source: ByteSource, body: ByteView, is64: boolean, index: number, facts: LoadCommandFacts): void {
  const name = source.name;
  const commandSize = is64 ? SEGMENT_COMMAND_64_SIZE : SEGMENT_COMMAND_SIZE;
  const sectionSize = is64 ? SECTION_64_SIZE : SECTION_SIZE;
  if (body.length < commandSize) throw new FormatError('malformed', `${name}: segment command ${index} is too short (${body.length} bytes)`);
  const segname = fixedName(body, 8);
  const what = `${name}: segment ${segname}`;
  const vmaddr = is64 ? body.u64(24) : BigInt(body.u32(24));
  const vmsize = is64 ? body.u64(32) : BigInt(body.u32(28));
  const fileoff = is64 ? toSafeNumber(body.u64(40), `${what} fileoff`) : body.u32(32);
  const filesize = is64 ? toSafeNumber(body.u64(48), `${what} filesize`) : body.u32(36);
  const protAt = is64 ? 56 : 40;
  const maxprot = body.u32(protAt) & 0xff;
  const initprot = body.u32(protAt + 4) & 0xff;
  const nsects = body.u32(protAt + 8);
  if (nsects > Math.floor((body.length - commandSize) / sectionSize)) {
    throw new FormatError('malformed', `${what}: ${nsects} sections do not fit in its ${body.length}-byte load command`);
  }
  if (filesize > 0) checkRange(source, fileoff, filesize, `segment ${segname}`);

  const writable = (initprot & VM_PROT_WRITE) !== 0;
  const executable = (initprot & VM_PROT_EXECUTE) !== 0;
  facts.regions.push({
    name: segname,
    vaddr: vmaddr,
    memSize: vmsize,
    offset: fileoff,
    fileSize: filesize,
    readable: (initprot & VM_PROT_READ) !== 0,
    writable,
    executable,
    rawFlags: (maxprot << 8) | initprot,
  });

  for (let s = 0; s < nsects; s++) {
    const at = commandSize + s * sectionSize;
    const sectname = fixedName(body, at);
    const addr = is64 ? body.u64(at + 32) : BigInt(body.u32(at + 32));
    const size = is64 ? body.u64(at + 40) : BigInt(body.u32(at + 36));
    const offset = body.u32(is64 ? at + 48 : at + 40);
    const flags = body.u32(is64 ? at + 64 : at + 56);
    const fileSize = isZeroFillSection(flags) ? 0 : toSafeNumber(size, `${what} section ${sectname} size`);
    if (fileSize > 0) checkRange(source, offset, fileSize, `section ${segname},${sectname}`);
    facts.sections.push({
      name: sectname,
      segment: fixedName(body, at + 16),
      vaddr: addr,
      offset,
      fileSize,
      memSize: size,
      writable,
      executable,
      rawFlags: flags,
    });
  }
}

function readSymtab(source: ByteSource, body: ByteView, is64: boolean, index: number): SymtabLocation {
  if (body.length < SYMTAB_COMMAND_SIZE) throw new FormatError('malformed', `${source.name}: LC_SYMTAB command ${index} is too short (${body.length} bytes)`);
  const symoff = body.u32(8);
  const nsyms = body.u32(12);
  const stroff = body.u32(16);
  const strsize = body.u32(20);
  const entrySize = is64 ? NLIST_64_SIZE : NLIST_SIZE;
  // Bounds the symbol count by what the file can hold before anything is allocated.
  if (nsyms > 0) {
    if (nsyms > Math.floor(source.size / entrySize)) {
      throw new FormatError('truncated', `${source.name}: symbol table of ${nsyms} entries cannot fit in the file (${source.size} bytes)`);
    }
    checkRange(source, symoff, nsyms * entrySize, 'symbol table');
    checkRange(source, stroff, strsize, 'string table');
  }
  return { symoff, nsyms, stroff, strsize };
}

/** The library path of a dylib command: an lc_str offset from the start of the command, NUL terminated inside it. */
function readDylibName(name: string, body: ByteView, index: number): string {
  if (body.length < DYLIB_COMMAND_SIZE) throw new FormatError('malformed', `${name}: dylib command ${index} is too short (${body.length} bytes)`);
  const nameOffset = body.u32(8);
  if (nameOffset < DYLIB_COMMAND_SIZE || nameOffset >= body.length) {
    throw new FormatError('malformed', `${name}: dylib command ${index} names its library at offset ${nameOffset}, outside the command`);
  }
  return body.cstring(nameOffset, body.length - nameOffset);
}
