import { isFromscratchError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import { latin1Text } from '../io/bytes.js';

/** ld.so is a few hundred KiB; we scan no more than this much of a file that claims to be one. */
export const MAX_INTERPRETER_SCAN = 16 * 1024 * 1024;
const CHUNK = 256 * 1024;
const OVERLAP = 4096;

/**
 * glibc compiles its default search directories into ld.so as one constant,
 * SYSTEM_DIRS: the directories, each ending in '/', separated by NULs
 * ("/lib/x86_64-linux-gnu/\0/usr/lib/x86_64-linux-gnu/\0/lib/\0/usr/lib/\0"
 * on Debian, "/lib64/\0/usr/lib64/\0" upstream). Distributions configure
 * these, so reading them from the interpreter in the root is the only way
 * to know what that loader will search. Returns the directories without the
 * trailing slash, or undefined when the interpreter is missing or holds no
 * such list.
 */
export async function readGlibcSystemDirs(fs: RootFS, interpreter: string): Promise<string[] | undefined> {
  let source;
  try {
    source = await fs.open(interpreter);
  } catch (e) {
    if (isFromscratchError(e)) return undefined;
    throw e;
  }
  try {
    const end = Math.min(source.size, MAX_INTERPRETER_SCAN);
    for (let offset = 0; offset < end; offset += CHUNK - OVERLAP) {
      const length = Math.min(CHUNK, end - offset);
      const found = findSystemDirs(await source.read(offset, length));
      if (found) return found;
      if (offset + length >= end) break;
    }
    return undefined;
  } catch (e) {
    if (isFromscratchError(e)) return undefined;
    throw e;
  } finally {
    await source.close();
  }
}

/**
 * Finds the first run of two or more NUL-terminated strings, preceded by a
 * NUL, each an absolute path ending in '/' and naming a lib directory.
 */
export function findSystemDirs(bytes: Uint8Array): string[] | undefined {
  // latin1 keeps one character per byte, so string offsets are byte offsets.
  const text = latin1Text(bytes);
  const run = /\0((?:\/[A-Za-z0-9_.+\-/]{0,254}\/\0){2,16})/g;
  for (let match = run.exec(text); match; match = run.exec(text)) {
    const dirs = (match[1] as string).split('\0').filter((d) => d !== '');
    if (dirs.every((d) => /(^|\/)lib[^/]*\//.test(d) && !d.includes('//'))) return dirs.map((d) => (d.length > 1 ? d.slice(0, -1) : d));
    run.lastIndex = match.index + 1;
  }
  return undefined;
}
