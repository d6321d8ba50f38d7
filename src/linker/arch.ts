import {
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_LOONGARCH,
  EM_MIPS,
  EM_PPC64,
  EM_RISCV,
  EM_S390,
  EM_SPARCV9,
  EM_X86_64,
} from '../elf/types.js';

/**
 * What the loaders look at to decide whether a shared object is "theirs":
 * the ELF class, the byte order, the machine and (for the cache entry kind
 * of a few architectures) the ABI bits of e_flags.
 */
export interface ElfIdent {
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  readonly machine: number;
  /** e_flags; selects the float ABI on ARM, RISC-V and LoongArch and the ABI on MIPS. */
  readonly elfFlags?: number;
}

/**
 * ld.so.cache entry flags (glibc sysdeps/generic/ldconfig.h): the low byte
 * is the library type, the high byte the architecture/ABI variant.
 */
export const CACHE_FLAG_TYPE_MASK = 0x00ff;
export const CACHE_FLAG_ELF = 0x0001;
export const CACHE_FLAG_ELF_LIBC6 = 0x0003;
export const CACHE_FLAG_REQUIRED_MASK = 0xff00;
export const CACHE_FLAG_SPARC_LIB64 = 0x0100;
export const CACHE_FLAG_X8664_LIB64 = 0x0300;
export const CACHE_FLAG_S390_LIB64 = 0x0400;
export const CACHE_FLAG_POWERPC_LIB64 = 0x0500;
export const CACHE_FLAG_MIPS64_LIBN32 = 0x0600;
export const CACHE_FLAG_MIPS64_LIBN64 = 0x0700;
export const CACHE_FLAG_X8664_LIBX32 = 0x0800;
export const CACHE_FLAG_ARM_LIBHF = 0x0900;
export const CACHE_FLAG_AARCH64_LIB64 = 0x0a00;
export const CACHE_FLAG_ARM_LIBSF = 0x0b00;
export const CACHE_FLAG_MIPS_LIB32_NAN2008 = 0x0c00;
export const CACHE_FLAG_MIPS64_LIBN32_NAN2008 = 0x0d00;
export const CACHE_FLAG_MIPS64_LIBN64_NAN2008 = 0x0e00;
export const CACHE_FLAG_RISCV_FLOAT_ABI_SOFT = 0x0f00;
export const CACHE_FLAG_RISCV_FLOAT_ABI_DOUBLE = 0x1000;
export const CACHE_FLAG_LARCH_FLOAT_ABI_SOFT = 0x1100;
export const CACHE_FLAG_LARCH_FLOAT_ABI_DOUBLE = 0x1200;

const EF_ARM_ABI_FLOAT_HARD = 0x400;
const EF_MIPS_ABI2 = 0x20; // n32
const EF_MIPS_NAN2008 = 0x400;
const EF_RISCV_FLOAT_ABI_MASK = 0x6;
const EF_RISCV_FLOAT_ABI_DOUBLE = 0x4;
const EF_LARCH_ABI_MODIFIER_MASK = 0x7;
const EF_LARCH_ABI_DOUBLE_FLOAT = 0x3;

/** Which ld.so.cache entries the loader for this kind of object accepts, and which one it prefers. */
export interface CacheFlagsPolicy {
  /** _DL_CACHE_DEFAULT_ID: an entry with exactly these flags ends the search. */
  readonly preferred: number;
  /** _dl_cache_check_flags: every value accepted at all. */
  readonly accepted: readonly number[];
}

/**
 * The cache policy of the glibc loader that would load an object like
 * `ident`, from glibc's sysdeps/.../dl-cache.h: most 64-bit ports accept
 * only their own tag; the generic rule (i386, 32-bit PowerPC, s390 31-bit)
 * accepts plain ELF (1) or libc6 (3); ARM accepts its float-ABI tag or 3.
 */
export function cachePolicyFor(ident: ElfIdent): CacheFlagsPolicy {
  const only = (arch: number): CacheFlagsPolicy => {
    const id = arch | CACHE_FLAG_ELF_LIBC6;
    return { preferred: id, accepted: [id] };
  };
  const flags = ident.elfFlags ?? 0;
  switch (ident.machine) {
    case EM_X86_64:
      return only(ident.class === 64 ? CACHE_FLAG_X8664_LIB64 : CACHE_FLAG_X8664_LIBX32);
    case EM_AARCH64:
      return only(CACHE_FLAG_AARCH64_LIB64);
    case EM_PPC64:
      return only(CACHE_FLAG_POWERPC_LIB64);
    case EM_S390:
      if (ident.class === 64) return only(CACHE_FLAG_S390_LIB64);
      break;
    case EM_SPARCV9:
      return only(CACHE_FLAG_SPARC_LIB64);
    case EM_RISCV:
      return only((flags & EF_RISCV_FLOAT_ABI_MASK) === EF_RISCV_FLOAT_ABI_DOUBLE ? CACHE_FLAG_RISCV_FLOAT_ABI_DOUBLE : CACHE_FLAG_RISCV_FLOAT_ABI_SOFT);
    case EM_LOONGARCH:
      return only((flags & EF_LARCH_ABI_MODIFIER_MASK) === EF_LARCH_ABI_DOUBLE_FLOAT ? CACHE_FLAG_LARCH_FLOAT_ABI_DOUBLE : CACHE_FLAG_LARCH_FLOAT_ABI_SOFT);
    case EM_ARM: {
      const id = ((flags & EF_ARM_ABI_FLOAT_HARD) !== 0 ? CACHE_FLAG_ARM_LIBHF : CACHE_FLAG_ARM_LIBSF) | CACHE_FLAG_ELF_LIBC6;
      return { preferred: id, accepted: [id, CACHE_FLAG_ELF_LIBC6] };
    }
    case EM_MIPS: {
      const nan2008 = (flags & EF_MIPS_NAN2008) !== 0;
      if (ident.class === 64) return only(nan2008 ? CACHE_FLAG_MIPS64_LIBN64_NAN2008 : CACHE_FLAG_MIPS64_LIBN64);
      if ((flags & EF_MIPS_ABI2) !== 0) return only(nan2008 ? CACHE_FLAG_MIPS64_LIBN32_NAN2008 : CACHE_FLAG_MIPS64_LIBN32);
      if (nan2008) return only(CACHE_FLAG_MIPS_LIB32_NAN2008);
      break;
    }
  }
  return { preferred: CACHE_FLAG_ELF_LIBC6, accepted: [CACHE_FLAG_ELF, CACHE_FLAG_ELF_LIBC6] };
}

/** ldconfig -p's wording for an entry's flags, e.g. "libc6,x86-64" (glibc elf/cache.c). */
export function describeCacheFlags(flags: number): string {
  const type = flags & CACHE_FLAG_TYPE_MASK;
  let text = type === CACHE_FLAG_ELF_LIBC6 ? 'libc6' : type === CACHE_FLAG_ELF ? 'ELF' : 'unknown or unsupported flag';
  const arch = flags & CACHE_FLAG_REQUIRED_MASK;
  const names: Record<number, string> = {
    [CACHE_FLAG_SPARC_LIB64]: ',64bit',
    [CACHE_FLAG_X8664_LIB64]: ',x86-64',
    [CACHE_FLAG_S390_LIB64]: ',64bit',
    [CACHE_FLAG_POWERPC_LIB64]: ',64bit',
    [CACHE_FLAG_MIPS64_LIBN32]: ',N32',
    [CACHE_FLAG_MIPS64_LIBN64]: ',64bit',
    [CACHE_FLAG_X8664_LIBX32]: ',x32',
    [CACHE_FLAG_ARM_LIBHF]: ',hard-float',
    [CACHE_FLAG_AARCH64_LIB64]: ',AArch64',
    [CACHE_FLAG_ARM_LIBSF]: ',soft-float',
    [CACHE_FLAG_MIPS_LIB32_NAN2008]: ',nan2008',
    [CACHE_FLAG_MIPS64_LIBN32_NAN2008]: ',N32,nan2008',
    [CACHE_FLAG_MIPS64_LIBN64_NAN2008]: ',64bit,nan2008',
    [CACHE_FLAG_RISCV_FLOAT_ABI_SOFT]: ',soft-float',
    [CACHE_FLAG_RISCV_FLOAT_ABI_DOUBLE]: ',double-float',
    [CACHE_FLAG_LARCH_FLOAT_ABI_SOFT]: ',soft-float',
    [CACHE_FLAG_LARCH_FLOAT_ABI_DOUBLE]: ',double-float',
  };
  if (arch !== 0) text += names[arch] ?? `,${arch}`;
  return text;
}

/**
 * Upstream glibc's default search directories (slibdir, libdir) for this
 * kind of object, from sysdeps/unix/sysv/linux/<arch>/configure: the 64-bit
 * ports that use lib64 (x86_64, aarch64, ppc64, s390x, sparc64, mips n64,
 * loongarch64), riscv's ABI-specific subdirectories, x32's libx32 and mips
 * n32's lib32; everything else uses /lib and /usr/lib. Distributions change
 * these (Debian: /lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib), which
 * is why the resolver prefers the list compiled into the interpreter itself.
 */
export function upstreamSystemDirs(ident: ElfIdent): { dirs: readonly string[]; lib: string } {
  const pair = (dir: string) => ({ dirs: [dir, `/usr${dir}`], lib: dir.slice(dir.lastIndexOf('/') + 1) });
  const flags = ident.elfFlags ?? 0;
  switch (ident.machine) {
    case EM_X86_64:
      return pair(ident.class === 64 ? '/lib64' : '/libx32');
    case EM_AARCH64:
    case EM_PPC64:
    case EM_SPARCV9:
      return pair('/lib64');
    case EM_S390:
      return pair(ident.class === 64 ? '/lib64' : '/lib');
    case EM_LOONGARCH:
      return pair((flags & EF_LARCH_ABI_MODIFIER_MASK) === EF_LARCH_ABI_DOUBLE_FLOAT ? '/lib64' : '/lib64/sf');
    case EM_MIPS:
      if (ident.class === 64) return pair('/lib64');
      return pair((flags & EF_MIPS_ABI2) !== 0 ? '/lib32' : '/lib');
    case EM_RISCV: {
      const double = (flags & EF_RISCV_FLOAT_ABI_MASK) === EF_RISCV_FLOAT_ABI_DOUBLE;
      if (ident.class === 64) return pair(double ? '/lib64/lp64d' : '/lib64/lp64');
      return pair(double ? '/lib32/ilp32d' : '/lib32/ilp32');
    }
  }
  return pair('/lib');
}

/**
 * $PLATFORM: the kernel's AT_PLATFORM string where it is fixed for the
 * architecture. glibc may replace it by a CPU-dependent name on x86_64
 * ("haswell", "xeon_phi"), which a static view cannot know; unknown means
 * the loader's rule for an unset value: drop the path element.
 */
export function defaultPlatform(ident: ElfIdent): string | undefined {
  switch (ident.machine) {
    case EM_X86_64:
      return ident.class === 64 ? 'x86_64' : undefined;
    case EM_386:
      return 'i686';
    case EM_AARCH64:
      return 'aarch64';
  }
  return undefined;
}

/** musl's LDSO_ARCH from its interpreter name ("/lib/ld-musl-x86_64.so.1" → "x86_64"), or undefined if not musl's. */
export function muslArchFromInterpreter(interpreter: string): string | undefined {
  const base = interpreter.slice(interpreter.lastIndexOf('/') + 1);
  const match = /^ld-musl-(.+)\.so\.1$/.exec(base);
  return match ? match[1] : undefined;
}
