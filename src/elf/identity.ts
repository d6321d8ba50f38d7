import type { BinaryIdentity, BinaryType } from '../binary/identity.js';
import { FormatError } from '../errors.js';
import {
  DF_1_PIE,
  ELFOSABI_AIX,
  ELFOSABI_ARM,
  ELFOSABI_FREEBSD,
  ELFOSABI_HPUX,
  ELFOSABI_IRIX,
  ELFOSABI_LINUX,
  ELFOSABI_NETBSD,
  ELFOSABI_OPENBSD,
  ELFOSABI_SOLARIS,
  ELFOSABI_SYSV,
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_LOONGARCH,
  EM_MIPS,
  EM_PPC,
  EM_PPC64,
  EM_RISCV,
  EM_S390,
  EM_SPARC,
  EM_SPARCV9,
  EM_X86_64,
  ET_CORE,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  type ElfDynamic,
  type ElfHeader,
  type ElfNote,
} from './types.js';

/**
 * An ELF file's identity in Go's names (GOOS/GOARCH), so reports read the
 * same for every format.
 */

type ArchHeader = Pick<ElfHeader, 'machine' | 'class' | 'littleEndian'>;

/** GOARCH for e_machine, refined by class and byte order where one machine number covers several. */
export function elfArch(header: ArchHeader): string {
  const is64 = header.class === 64;
  const le = header.littleEndian;
  switch (header.machine) {
    case EM_X86_64:
      return 'amd64';
    case EM_386:
      return '386';
    case EM_AARCH64:
      return 'arm64';
    case EM_ARM:
      return 'arm';
    case EM_RISCV:
      return is64 ? 'riscv64' : 'riscv';
    case EM_PPC64:
      return le ? 'ppc64le' : 'ppc64';
    case EM_PPC:
      return 'ppc';
    case EM_S390:
      return is64 ? 's390x' : 's390';
    case EM_MIPS:
      return (is64 ? 'mips64' : 'mips') + (le ? 'le' : '');
    case EM_LOONGARCH:
      return 'loong64';
    case EM_SPARCV9:
      return 'sparc64';
    case EM_SPARC:
      return 'sparc';
    default:
      return 'unknown';
  }
}

const OS_BY_OSABI: ReadonlyMap<number, string> = new Map([
  [ELFOSABI_HPUX, 'hpux'],
  [ELFOSABI_NETBSD, 'netbsd'],
  [ELFOSABI_LINUX, 'linux'],
  [ELFOSABI_SOLARIS, 'solaris'],
  [ELFOSABI_AIX, 'aix'],
  [ELFOSABI_IRIX, 'irix'],
  [ELFOSABI_FREEBSD, 'freebsd'],
  [ELFOSABI_OPENBSD, 'openbsd'],
]);

/** Owners of notes that by themselves name the OS. */
const OS_BY_NOTE_OWNER: ReadonlyMap<string, string> = new Map([
  ['FreeBSD', 'freebsd'],
  ['NetBSD', 'netbsd'],
  ['OpenBSD', 'openbsd'],
  ['DragonFly', 'dragonfly'],
  ['Android', 'android'],
  ['SuSE', 'linux'],
]);

/** The OS word of a GNU ABI tag note (glibc's elf/abi-tag). */
const OS_BY_GNU_ABI_TAG = ['linux', 'hurd', 'solaris', 'freebsd', 'netbsd'] as const;
const NT_GNU_ABI_TAG = 1;

/** Section names that only one OS's toolchain emits. */
const OS_BY_SECTION: readonly [test: (name: string) => boolean, os: string][] = [
  [(n) => n === '.note.openbsd.ident', 'openbsd'],
  [(n) => n === '.note.netbsd.ident', 'netbsd'],
  [(n) => n.startsWith('.SUNW_'), 'solaris'],
];

/**
 * GOOS: EI_OSABI when it names an OS; for SYSV (and the old ARM EABI value)
 * the OS ABI notes, then OS-specific section names; "linux" when nothing
 * else says otherwise (Go and most Linux toolchains leave EI_OSABI at 0).
 */
export function elfOs(header: Pick<ElfHeader, 'osabi' | 'littleEndian'>, notes: readonly ElfNote[], sectionNames: readonly string[]): string {
  if (header.osabi !== ELFOSABI_SYSV && header.osabi !== ELFOSABI_ARM) return OS_BY_OSABI.get(header.osabi) ?? 'unknown';
  for (const note of notes) {
    const owner = OS_BY_NOTE_OWNER.get(note.name);
    if (owner) return owner;
    if (note.name === 'GNU' && note.type === NT_GNU_ABI_TAG && note.desc.length >= 4) {
      const view = new DataView(note.desc.buffer, note.desc.byteOffset, note.desc.byteLength);
      const os = OS_BY_GNU_ABI_TAG[view.getUint32(0, header.littleEndian)];
      if (os) return os;
    }
  }
  for (const name of sectionNames) {
    for (const [test, os] of OS_BY_SECTION) if (test(name)) return os;
  }
  return 'linux';
}

/**
 * file(1)'s file type. ET_DYN is a "pie executable" exactly when its
 * dynamic section carries DF_1_PIE (file 5.44 decides the same way when a
 * PT_DYNAMIC exists; without one it falls back to the file's execute bits,
 * which a byte reader does not have, so we say shared object).
 */
export function elfType(header: Pick<ElfHeader, 'type'>, dynamic: ElfDynamic | null, name = 'ELF file'): BinaryType {
  switch (header.type) {
    case ET_EXEC:
      return 'executable';
    case ET_DYN:
      return dynamic && (dynamic.flags1 & DF_1_PIE) !== 0 ? 'pie-executable' : 'shared-object';
    case ET_REL:
      return 'relocatable';
    case ET_CORE:
      return 'core';
    default:
      throw new FormatError('unsupported', `${name}: ELF file type ${header.type} is not one we read (executable, shared object, relocatable, core)`);
  }
}

export interface ElfIdentityEvidence {
  readonly notes: readonly ElfNote[];
  readonly sectionNames: readonly string[];
  readonly dynamic: ElfDynamic | null;
  /** For error messages. */
  readonly name?: string;
}

export function elfIdentity(header: ElfHeader, evidence: ElfIdentityEvidence): BinaryIdentity {
  return {
    format: 'elf',
    os: elfOs(header, evidence.notes, evidence.sectionNames),
    arch: elfArch(header),
    bits: header.class,
    endian: header.littleEndian ? 'little' : 'big',
    type: elfType(header, evidence.dynamic, evidence.name),
  };
}
