import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';

let counter = 0;

/**
 * A name for a temporary file beside `path`, unique within this process
 * (pid and counter) and unlikely to collide across processes; callers
 * create it with O_EXCL ('wx'), so a collision fails instead of clobbering.
 */
export function temporaryPathBeside(path: string): string {
  counter++;
  const salt = Math.floor(Math.random() * 0x100000000).toString(16);
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.${salt}.tmp`);
}

/**
 * Writes through a temporary file in the same directory, flushed to disk,
 * and renames it, so readers never see half a file (an OCI layout's
 * index.json rename is its commit point).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temporary = temporaryPathBeside(path);
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new InputError('not-found', `${path}: its directory does not exist`);
    throw new InputError('io', `${path}: ${err.message}`);
  }
}
