/**
 * What every format parser reports about a file's identity, in Go's names
 * (GOOS/GOARCH), so the report reads the same for ELF, Mach-O and PE.
 */
/** "go-source" is a Go package directory, analysed before it is built. */
export type BinaryFormat = 'elf' | 'macho' | 'pe' | 'go-source' | 'unknown';

export type BinaryType = 'executable' | 'pie-executable' | 'shared-object' | 'relocatable' | 'core';

export interface BinaryIdentity {
  readonly format: BinaryFormat;
  /** linux, darwin, windows, freebsd, netbsd, openbsd, solaris, illumos, ... or "unknown". */
  readonly os: string;
  /** amd64, arm64, arm, 386, s390x, ppc64le, ppc64, riscv64, mips64le, loong64, ... or "unknown". */
  readonly arch: string;
  readonly bits: 32 | 64;
  readonly endian: 'little' | 'big';
  readonly type: BinaryType;
}
