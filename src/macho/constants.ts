import type { BinaryType } from '../binary/identity.js';

/**
 * Mach-O constants from Apple's <mach-o/loader.h>, <mach-o/fat.h>,
 * <mach-o/nlist.h> and <mach/machine.h>, and their mapping to Go's names.
 * Only what identification and section lookup need.
 */

/** The first word of a thin Mach-O, read big-endian: it tells both word size and byte order. */
export const MH_MAGIC = 0xfeedface; // 32-bit, big-endian file
export const MH_MAGIC_64 = 0xfeedfacf; // 64-bit, big-endian file
export const MH_CIGAM = 0xcefaedfe; // 32-bit, little-endian file
export const MH_CIGAM_64 = 0xcffaedfe; // 64-bit, little-endian file

/** Fat (universal) headers are always big-endian. */
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;
/**
 * CAFEBABE is also the magic of a Java class file, whose next word is
 * (minor << 16) | major with major >= 45. file(1) calls 1..19 architectures a
 * universal binary and anything above 30 a Java class; we take its side so
 * the two tools agree.
 */
export const MAX_FAT_ARCHES = 19;
export const FAT_HEADER_SIZE = 8;
export const FAT_ARCH_SIZE = 20;
export const FAT_ARCH_64_SIZE = 32;

export const MACH_HEADER_SIZE = 28;
export const MACH_HEADER_64_SIZE = 32;

/** mach_header.filetype */
export const MH_OBJECT = 0x1;
export const MH_EXECUTE = 0x2;
export const MH_FVMLIB = 0x3;
export const MH_CORE = 0x4;
export const MH_PRELOAD = 0x5;
export const MH_DYLIB = 0x6;
export const MH_DYLINKER = 0x7;
export const MH_BUNDLE = 0x8;
export const MH_DYLIB_STUB = 0x9;
export const MH_DSYM = 0xa;
export const MH_KEXT_BUNDLE = 0xb;
export const MH_FILESET = 0xc;

/** mach_header.flags: the executable may be loaded at a random address (ASLR). */
export const MH_PIE = 0x200000;

/** Load command types. LC_REQ_DYLD marks commands dyld must understand. */
const LC_REQ_DYLD = 0x80000000;
export const LC_SEGMENT = 0x1;
export const LC_SYMTAB = 0x2;
export const LC_DYSYMTAB = 0xb;
export const LC_LOAD_DYLIB = 0xc;
export const LC_SEGMENT_64 = 0x19;
export const LC_LOAD_WEAK_DYLIB = (0x18 | LC_REQ_DYLD) >>> 0;
export const LC_REEXPORT_DYLIB = (0x1f | LC_REQ_DYLD) >>> 0;
export const LC_LAZY_LOAD_DYLIB = 0x20;
export const LC_LOAD_UPWARD_DYLIB = (0x23 | LC_REQ_DYLD) >>> 0;
export const LC_VERSION_MIN_MACOSX = 0x24;
export const LC_VERSION_MIN_IPHONEOS = 0x25;
export const LC_VERSION_MIN_TVOS = 0x2f;
export const LC_VERSION_MIN_WATCHOS = 0x30;
export const LC_BUILD_VERSION = 0x32;

/** Every command that makes dyld load a library; all of them name a dependency. */
export const DYLIB_LOAD_COMMANDS: ReadonlySet<number> = new Set([
  LC_LOAD_DYLIB,
  LC_LOAD_WEAK_DYLIB,
  LC_REEXPORT_DYLIB,
  LC_LAZY_LOAD_DYLIB,
  LC_LOAD_UPWARD_DYLIB,
]);

export const LOAD_COMMAND_HEADER_SIZE = 8;
export const SEGMENT_COMMAND_SIZE = 56;
export const SEGMENT_COMMAND_64_SIZE = 72;
export const SECTION_SIZE = 68;
export const SECTION_64_SIZE = 80;
export const SYMTAB_COMMAND_SIZE = 24;
export const DYSYMTAB_COMMAND_SIZE = 80;
export const DYLIB_COMMAND_SIZE = 24;
export const BUILD_VERSION_COMMAND_SIZE = 24;
export const NLIST_SIZE = 12;
export const NLIST_64_SIZE = 16;

/** vm_prot_t bits in segment maxprot/initprot. */
export const VM_PROT_READ = 0x1;
export const VM_PROT_WRITE = 0x2;
export const VM_PROT_EXECUTE = 0x4;

/** Section type (low byte of section flags) values whose contents are not in the file. */
const SECTION_TYPE_MASK = 0xff;
const S_ZEROFILL = 0x1;
const S_GB_ZEROFILL = 0xc;
const S_THREAD_LOCAL_ZEROFILL = 0x12;

export function isZeroFillSection(flags: number): boolean {
  const type = flags & SECTION_TYPE_MASK;
  return type === S_ZEROFILL || type === S_GB_ZEROFILL || type === S_THREAD_LOCAL_ZEROFILL;
}

/** nlist n_type bits. */
export const N_STAB = 0xe0;
export const N_TYPE = 0x0e;
export const N_SECT = 0x0e;
export const N_ABS = 0x02;

/** cputype values; 64-bit variants carry CPU_ARCH_ABI64. */
const CPU_ARCH_ABI64 = 0x01000000;
const CPU_TYPE_X86 = 7;
const CPU_TYPE_ARM = 12;
const CPU_TYPE_POWERPC = 18;

const GO_ARCH_BY_CPUTYPE: ReadonlyMap<number, string> = new Map([
  [CPU_TYPE_X86, '386'],
  [CPU_TYPE_X86 | CPU_ARCH_ABI64, 'amd64'],
  [CPU_TYPE_ARM, 'arm'],
  [CPU_TYPE_ARM | CPU_ARCH_ABI64, 'arm64'],
  [CPU_TYPE_POWERPC, 'ppc'],
  [CPU_TYPE_POWERPC | CPU_ARCH_ABI64, 'ppc64'],
]);

/** Go's GOARCH for a Mach-O cputype, or "unknown" (e.g. arm64_32, which Go does not target). */
export function goArchForCpuType(cputype: number): string {
  return GO_ARCH_BY_CPUTYPE.get(cputype) ?? 'unknown';
}

/**
 * Our file type for a Mach-O filetype. MH_EXECUTE with MH_PIE is reported as
 * "pie-executable": the flag means the same as ELF's DF_1_PIE (the image is
 * position independent and loaded at a random address), and the report should
 * say the same thing for the same property whatever the format. file(1) keeps
 * "executable" and lists PIE among the flags. Returns undefined for kinds we
 * do not classify (dSYM companions, kernel filesets).
 */
export function binaryTypeFor(filetype: number, flags: number): BinaryType | undefined {
  switch (filetype) {
    case MH_EXECUTE:
      return (flags & MH_PIE) !== 0 ? 'pie-executable' : 'executable';
    case MH_PRELOAD:
      return 'executable';
    case MH_OBJECT:
      return 'relocatable';
    case MH_CORE:
      return 'core';
    case MH_DYLIB:
    case MH_BUNDLE:
    case MH_DYLIB_STUB:
    case MH_FVMLIB:
    case MH_DYLINKER:
    case MH_KEXT_BUNDLE:
      return 'shared-object';
    default:
      return undefined;
  }
}

/** LC_BUILD_VERSION platform numbers that Go calls GOOS=ios (device and simulator). */
const PLATFORM_IOS = 2;
const PLATFORM_IOSSIMULATOR = 7;

export function goOsForPlatform(platform: number): string {
  return platform === PLATFORM_IOS || platform === PLATFORM_IOSSIMULATOR ? 'ios' : 'darwin';
}
