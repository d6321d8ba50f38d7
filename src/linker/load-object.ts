import type { ElfFile } from '../elf/types.js';
import { parseElfLinking, type ElfLinking } from '../elf/parse.js';
import { isFromscratchError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import type { LoadedObject } from './types.js';

/** The resolver's view of a parsed ELF file. */
export function loadedObjectFromElf(elf: ElfFile | ElfLinking): LoadedObject {
  return {
    class: elf.header.class,
    littleEndian: elf.header.littleEndian,
    machine: elf.header.machine,
    elfFlags: elf.header.flags,
    needed: elf.dynamic?.needed ?? [],
    rpath: elf.dynamic?.rpath ?? [],
    runpath: elf.dynamic?.runpath ?? [],
    flags1: elf.dynamic?.flags1 ?? 0,
    interpreter: elf.interpreter,
    soname: elf.dynamic?.soname ?? null,
  };
}

/** Work to do on a library's parsed file while it is open (a look at its imports, say), so nothing opens it twice. */
export type LibraryVisitor = (path: string, elf: ElfLinking) => Promise<void>;

/**
 * The default LoadObject: the loader's half of parseElf through the root. A file that is missing
 * gives undefined; one that is not a readable ELF file throws its
 * FormatError, which the resolver reports on that library. `visit` runs on
 * the parsed file before it is closed; it must not throw.
 */
export async function loadElfObject(fs: RootFS, path: string, visit?: LibraryVisitor): Promise<LoadedObject | undefined> {
  let source;
  try {
    source = await fs.open(path);
  } catch (e) {
    if (isFromscratchError(e) && e.code === 'not-found') return undefined;
    throw e;
  }
  try {
    const elf = await parseElfLinking(source);
    await visit?.(path, elf);
    return loadedObjectFromElf(elf);
  } finally {
    await source.close();
  }
}
