import { isFromscratchError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import { decodeUtf8 } from '../io/bytes.js';
import type { ElfIdent } from './arch.js';
import { muslSearchDirs, splitMuslPath } from './dst.js';
import { describeMismatch } from './elf-probe.js';
import type { Found, SearchObject } from './glibc.js';
import type { LibraryVia, ProbeObject } from './types.js';

/** musl's built-in search path when there is no path file. */
export const MUSL_DEFAULT_PATH = '/lib:/usr/local/lib:/usr/lib';

/**
 * The names musl's loader refuses to load because it implements them
 * itself (ldso/dynlink.c load_library): "lib" + one of these + anything,
 * e.g. libc.so, libc.musl-x86_64.so.1, libpthread.so.0, libm.so.6.
 */
const RESERVED = ['c.', 'pthread.', 'rt.', 'm.', 'dl.', 'util.', 'xnet.'] as const;

/** The reserved family a name falls in ("c.", "m.", ...), or undefined; ldd reports each family once. */
export function muslReservedFamily(name: string): string | undefined {
  if (!name.startsWith('lib')) return undefined;
  return RESERVED.find((prefix) => name.startsWith(prefix, 3));
}

export interface MuslSearchContext {
  readonly fs: RootFS;
  readonly probe: ProbeObject;
  readonly ident: ElfIdent;
  /** LD_LIBRARY_PATH as given (musl substitutes nothing in it). */
  readonly ldLibraryPath: string | undefined;
  /** The system path and where it came from, from readMuslSystemPath. */
  readonly systemPath: MuslSystemPath;
}

export interface MuslSystemPath {
  readonly dirs: readonly string[];
  readonly via: Extract<LibraryVia, 'musl-path' | 'default-path'>;
  /** The path file consulted (present or not). */
  readonly file: string;
}

/**
 * musl's system path: the file PREFIX/etc/ld-musl-ARCH.path, where PREFIX is
 * the loader's path minus its last two components ("/lib/ld-musl-x86_64.so.1"
 * → "", so /etc/ld-musl-x86_64.path); its contents split on ':' and newline
 * (an empty file means no directories at all); without the file,
 * /lib:/usr/local/lib:/usr/lib.
 */
export async function readMuslSystemPath(fs: RootFS, interpreter: string, arch: string): Promise<MuslSystemPath> {
  const file = `${muslPrefix(interpreter)}/etc/ld-musl-${arch}.path`;
  let bytes: Uint8Array | undefined;
  try {
    bytes = await fs.readSmallFile(file);
  } catch (e) {
    if (!isFromscratchError(e)) throw e;
    // musl treats a path file it cannot read (other than "missing") as an empty path.
    return { dirs: [], via: 'musl-path', file };
  }
  if (bytes === undefined) return { dirs: splitMuslPath(MUSL_DEFAULT_PATH), via: 'default-path', file };
  return { dirs: splitMuslPath(decodeUtf8(bytes)), via: 'musl-path', file };
}

/** musl's prefix rule: everything before the second-to-last '/' of the loader's path. */
export function muslPrefix(interpreter: string): string {
  if (!interpreter.startsWith('/')) return '';
  const last = interpreter.lastIndexOf('/');
  const previous = last > 0 ? interpreter.lastIndexOf('/', last - 1) : -1;
  return previous > 0 ? interpreter.slice(0, previous) : '';
}

/**
 * Where musl's loader finds `name` needed by `chain[0]` (ldso/dynlink.c
 * load_library). Reserved names and the loader's own path are handled by
 * the caller. Order: a name with '/' as is; LD_LIBRARY_PATH; then the
 * DT_RUNPATH, or if none the DT_RPATH, of the requester and of each object
 * that loaded it up to the executable ($ORIGIN only); then the system path.
 *
 * musl opens the first file that exists and never checks its class or
 * machine: a wrong one there is a load error, not a reason to look further.
 */
export async function searchMusl(name: string, chain: readonly SearchObject[], ctx: MuslSearchContext): Promise<Found | undefined> {
  if (name.includes('/')) return name.startsWith('/') ? tryCandidates([name], 'direct', ctx) : undefined;
  if (ctx.ldLibraryPath !== undefined) {
    const found = await tryDirs(splitMuslPath(ctx.ldLibraryPath).filter((d) => d.startsWith('/')), 'ld_library_path', name, ctx);
    if (found) return found;
  }
  for (const link of chain) {
    const useRunpath = link.object.runpath.length > 0;
    const raw = (useRunpath ? link.object.runpath : link.object.rpath).join(':');
    if (raw === '') continue;
    const dirs = muslSearchDirs(raw, link.origin);
    if (!dirs) continue;
    const found = await tryDirs(dirs, useRunpath ? 'runpath' : 'rpath', name, ctx);
    if (found) return found;
  }
  return tryDirs(ctx.systemPath.dirs, ctx.systemPath.via, name, ctx);
}

function tryDirs(dirs: readonly string[], via: LibraryVia, name: string, ctx: MuslSearchContext): Promise<Found | undefined> {
  // musl joins with "%.*s/%s": no trailing-slash cleanup, and ldd prints the result as built.
  return tryCandidates(
    dirs.map((dir) => `${dir}/${name}`),
    via,
    ctx,
  );
}

async function tryCandidates(paths: readonly string[], via: LibraryVia, ctx: MuslSearchContext): Promise<Found | undefined> {
  for (const path of paths) {
    const probe = await ctx.probe(ctx.fs, path);
    if (probe === undefined) continue;
    const mismatch = describeMismatch(probe, ctx.ident);
    return mismatch === undefined ? { path, via } : { path, via, error: `${path}: ${mismatch}` };
  }
  return undefined;
}
