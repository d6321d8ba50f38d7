import type { BinaryIdentity, ExecutableLayout } from '../binary/index.js';
import type { ByteSource } from '../io/source.js';
import type { SymbolTable } from './dynamic-symbols.js';

/**
 * The parsed facts of one ELF file. Produced by `parseElf(source)` in
 * ./parse.ts; consumed by the linker (library resolution), the Go readers
 * (through `layout`) and the analysis.
 */
export interface ElfHeader {
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  /** EI_OSABI byte. */
  readonly osabi: number;
  /** e_type: 1 REL, 2 EXEC, 3 DYN, 4 CORE. */
  readonly type: number;
  /** e_machine. */
  readonly machine: number;
  readonly flags: number;
  readonly entry: bigint;
  readonly phoff: number;
  readonly shoff: number;
  /** Raw e_phnum: PN_XNUM (0xffff) means the count is in section 0's sh_info; see ElfFile.segments. */
  readonly phnum: number;
  /** Raw e_shnum: 0 with a non-zero e_shoff means the count is in section 0's sh_size. */
  readonly shnum: number;
  /** Raw e_shstrndx: SHN_XINDEX (0xffff) means the index is in section 0's sh_link. */
  readonly shstrndx: number;
  readonly phentsize: number;
  readonly shentsize: number;
}

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: bigint;
  readonly fileSize: number;
  readonly memSize: bigint;
  readonly align: bigint;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

/** What the dynamic section says, strings already resolved, lists in file order. */
export interface ElfDynamic {
  readonly needed: readonly string[];
  readonly soname: string | null;
  /** DT_RPATH split on ':' exactly as stored ($ORIGIN not expanded); empty when absent. */
  readonly rpath: readonly string[];
  readonly runpath: readonly string[];
  /** DT_FLAGS_1 or 0. */
  readonly flags1: number;
  /** DT_FLAGS or 0. */
  readonly flags: number;
}

/** One DT_VERNEED entry: the versions (e.g. GLIBC_2.34) required from one library. */
export interface ElfVersionNeed {
  readonly file: string;
  readonly versions: readonly string[];
}

export interface ElfFile {
  readonly source: ByteSource;
  readonly header: ElfHeader;
  readonly identity: BinaryIdentity;
  readonly segments: readonly ElfSegment[];
  readonly sections: readonly ElfSection[];
  /** PT_INTERP contents without the trailing NUL, or null. */
  readonly interpreter: string | null;
  /** Null when there is no PT_DYNAMIC. */
  readonly dynamic: ElfDynamic | null;
  /** Versions required per library (.gnu.version_r), empty when none. */
  readonly versionNeeds: readonly ElfVersionNeed[];
  /**
   * Version names this file defines (.gnu.version_d), e.g. "GLIBC_2.34", in
   * file order, without the base entry (which only repeats the soname).
   */
  readonly versionDefinitions: readonly string[];
  /** Notes from SHT_NOTE sections, or from PT_NOTE segments when there are no sections. */
  readonly notes: readonly ElfNote[];
  /**
   * file(1)'s "stripped": no SHT_SYMTAB section and no section named
   * ".debug_info" (file counts DWARF as "not stripped" too).
   */
  readonly stripped: boolean;
  /** file(1)'s verdict. */
  readonly linkage: 'static' | 'static-pie' | 'dynamic';
  /**
   * Where its dynamic symbols are: the section headers' SHT_DYNSYM, else
   * what the dynamic section says (a file whose section headers were
   * stripped); read on demand, while the source is open.
   */
  readDynamicSymbols(): Promise<SymbolTable | undefined>;
  /** The format-neutral view for the Go readers. */
  readonly layout: ExecutableLayout;
  /**
   * One line per structure that was broken but skipped rather than fatal
   * (a bad section table, an unreadable string), so callers can say the
   * verdict rests on partial data. Empty for a well-formed file.
   */
  readonly warnings: readonly string[];
}

/** One ELF note: owner name (without NUL), type and (at most the first 1 KiB of) its descriptor. */
export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_HASH = 4;
export const DT_STRTAB = 5;
export const DT_STRSZ = 10;
export const DT_SYMENT = 11;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_FLAGS = 30;
export const DT_RUNPATH = 29;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DT_GNU_HASH = 0x6ffffef5;
/** MIPS: the number of .dynsym entries. */
export const DT_MIPS_SYMTABNO = 0x70000011;
export const DF_1_NODEFLIB = 0x800;
export const DF_1_PIE = 0x08000000;

export const EM_386 = 3;
export const EM_MIPS = 8;
export const EM_PPC = 20;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_ARM = 40;
export const EM_SPARCV9 = 43;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;
export const EM_LOONGARCH = 258;

export const PT_PHDR = 6;
export const PT_GNU_STACK = 0x6474e551;
/** e_phnum value meaning "the real count is in section 0's sh_info". */
export const PN_XNUM = 0xffff;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERNEED = 0x6ffffffe;
export const SHT_GNU_VERSYM = 0x6fffffff;
export const SHF_WRITE = 1;
export const SHF_ALLOC = 2;
export const SHF_EXECINSTR = 4;
export const SHN_UNDEF = 0;
/** e_shstrndx value meaning "the real index is in section 0's sh_link". */
export const SHN_XINDEX = 0xffff;

export const DT_SYMTAB = 6;
export const DT_VERSYM = 0x6ffffff0;
export const DT_VERDEF = 0x6ffffffc;
export const DT_VERDEFNUM = 0x6ffffffd;
export const DT_VERNEED = 0x6ffffffe;
export const DT_VERNEEDNUM = 0x6fffffff;
export const DF_ORIGIN = 0x1;
export const DF_BIND_NOW = 0x8;
export const DF_1_NOW = 0x1;
/** Verdef flag of the entry that names the file itself. */
export const VER_FLG_BASE = 0x1;

export const ELFOSABI_SYSV = 0;
export const ELFOSABI_HPUX = 1;
export const ELFOSABI_NETBSD = 2;
export const ELFOSABI_LINUX = 3;
export const ELFOSABI_SOLARIS = 6;
export const ELFOSABI_AIX = 7;
export const ELFOSABI_IRIX = 8;
export const ELFOSABI_FREEBSD = 9;
export const ELFOSABI_OPENBSD = 12;
/** Old ARM EABI binaries put 97 here; it says nothing about the OS. */
export const ELFOSABI_ARM = 97;

export const EM_SPARC = 2;
