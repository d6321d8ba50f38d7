import type { RootFS } from '../fs/rootfs.js';
import { isFromscratchError } from '../errors.js';
import { readElfClassAndMachine } from '../elf/header.js';
import type { ElfIdent } from './arch.js';

/** What the first bytes of a candidate file say, enough for the loaders' "is this mine?" test. */
export type ElfProbe =
  | { readonly elf: true; readonly ident: ElfIdent; readonly type: number; readonly osabi: number; readonly size: number }
  | { readonly elf: false; readonly reason: string; readonly size: number };

const ELFOSABI_SYSV = 0;
const ELFOSABI_GNU = 3;
const ET_EXEC = 2;
const ET_DYN = 3;

/**
 * Reads the ELF identification and header fields of `path` (at most 64
 * bytes), or undefined if the file cannot be opened. A cheap check the
 * resolver runs on every candidate before committing to it.
 */
export async function probeElf(fs: RootFS, path: string): Promise<ElfProbe | undefined> {
  let source;
  try {
    source = await fs.open(path);
  } catch (e) {
    if (isFromscratchError(e)) return undefined;
    throw e;
  }
  try {
    const size = source.size;
    const head = await readElfClassAndMachine(source);
    if (!head) return { elf: false, reason: 'invalid ELF header', size };
    return {
      elf: true,
      ident: { class: head.class, littleEndian: head.littleEndian, machine: head.machine, elfFlags: head.flags },
      type: head.type,
      osabi: head.osabi,
      size,
    };
  } catch (e) {
    if (isFromscratchError(e)) return { elf: false, reason: e.message, size: source.size };
    throw e;
  } finally {
    await source.close();
  }
}

/**
 * glibc's open_verify verdict for a candidate found while searching for a
 * library needed by an object of kind `wanted`: 'use' it, 'skip' it and keep
 * searching (other ELF class, other machine: normal on multilib systems), or
 * a fatal reason (the loader stops with that error).
 */
export function glibcVerdict(probe: ElfProbe, wanted: ElfIdent): 'use' | 'skip' | { readonly fatal: string } {
  // open_verify reads one ELF header of the loader's own class first: a shorter file fails before any magic check.
  if (probe.size < (wanted.class === 64 ? 64 : 52)) return { fatal: 'file too short' };
  if (!probe.elf) return { fatal: probe.reason };
  const got = probe.ident;
  if (got.class !== wanted.class) return 'skip';
  if (got.littleEndian !== wanted.littleEndian) return { fatal: `ELF file data encoding not ${wanted.littleEndian ? 'little' : 'big'}-endian` };
  if (probe.osabi !== ELFOSABI_SYSV && probe.osabi !== ELFOSABI_GNU) return { fatal: 'ELF file OS ABI invalid' };
  if (got.machine !== wanted.machine) return 'skip';
  if (probe.type !== ET_DYN && probe.type !== ET_EXEC) return { fatal: 'only ET_DYN and ET_EXEC can be loaded' };
  return 'use';
}

/** Whether `probe` is an object the loader of `wanted` could map (musl checks nothing, so this only describes the mismatch). */
export function describeMismatch(probe: ElfProbe, wanted: ElfIdent): string | undefined {
  if (!probe.elf) return probe.reason;
  const got = probe.ident;
  if (got.class !== wanted.class) return `wrong ELF class: ELFCLASS${got.class}`;
  if (got.littleEndian !== wanted.littleEndian) return `wrong byte order: ${got.littleEndian ? 'little' : 'big'}-endian`;
  if (got.machine !== wanted.machine) return `wrong machine: e_machine ${got.machine}, expected ${wanted.machine}`;
  if (probe.type !== ET_DYN && probe.type !== ET_EXEC) return 'not a shared object';
  return undefined;
}
