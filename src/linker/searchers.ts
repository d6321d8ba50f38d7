import { isFromscratchError } from '../errors.js';
import { DF_1_NODEFLIB } from '../elf/types.js';
import type { RootFS } from '../fs/rootfs.js';
import { defaultPlatform, muslArchFromInterpreter, upstreamSystemDirs, type ElfIdent } from './arch.js';
import { glibcSearchDirs } from './dst.js';
import type { ElfProbe } from './elf-probe.js';
import { searchGlibc, type Found, type GlibcSearchContext, type SearchObject } from './glibc.js';
import { LD_SO_CACHE_PATH, readLdSoCache, type LdSoCache } from './ld-so-cache.js';
import { readMuslSystemPath, searchMusl, type MuslSearchContext } from './musl.js';
import { readGlibcSystemDirs } from './system-dirs.js';
import type { LoadedObject, LoadObject, ProbeObject, ResolveOptions } from './types.js';

/** Finds one needed name for the object at the head of a chain (the requester, then who loaded it, up to the executable). */
export type Searcher = (name: string, chain: readonly SearchObject[]) => Promise<Found | undefined>;

/**
 * Sets up glibc's search for one executable: the cache read once, the
 * default directories taken from the interpreter in the root (else
 * upstream's for the architecture), $LIB and $PLATFORM, LD_LIBRARY_PATH
 * expanded against the executable's origin (as glibc does).
 */
export async function glibcSearcher(
  fs: RootFS,
  probe: ProbeObject,
  exeObject: LoadedObject,
  exeOrigin: string | undefined,
  opts: ResolveOptions,
  warnings: string[],
): Promise<Searcher> {
  const ident = identOf(exeObject);
  const upstream = upstreamSystemDirs(ident);
  const interp = exeObject.interpreter;
  const readDirs = (i: string) => readGlibcSystemDirs(fs, i);
  const fromInterpreter =
    opts.systemDirs !== undefined || interp === null
      ? undefined
      : await (opts.session ? opts.session.interpreterDirs(interp, () => readDirs(interp)) : readDirs(interp));
  const systemDirs = opts.systemDirs ?? fromInterpreter ?? upstream.dirs;
  // $LIB is DL_DST_LIB, the last part of slibdir upstream; Debian makes it "lib/<triplet>", the first system dir.
  const sameAsUpstream = systemDirs.length === upstream.dirs.length && systemDirs.every((d, i) => d === upstream.dirs[i]);
  const lib = opts.lib ?? (sameAsUpstream || !systemDirs[0] ? upstream.lib : systemDirs[0].replace(/^\/+/, ''));
  const platform = opts.platform ?? defaultPlatform(ident);
  let cache: LdSoCache | undefined;
  const cachePath = opts.ldSoCachePath ?? LD_SO_CACHE_PATH;
  try {
    cache = await (opts.session ? opts.session.ldSoCache(cachePath, () => readLdSoCache(fs, cachePath)) : readLdSoCache(fs, cachePath));
  } catch (e) {
    if (!isFromscratchError(e)) throw e;
    // The loader ignores a cache it cannot use and goes on to the default directories.
    warnings.push(`${e.message} (ignored, as the loader would)`);
  }
  const ldLibraryDirs =
    opts.ldLibraryPath === undefined ? [] : glibcSearchDirs(opts.ldLibraryPath.split(/[:;]/), { origin: exeOrigin, platform, lib });
  const ctx: GlibcSearchContext = { fs, probe, ident, cache, systemDirs, platform, lib, ldLibraryDirs };
  const session = opts.session;
  // Shared across the session only with its own probe and no LD_LIBRARY_PATH: then a search that no
  // RPATH, RUNPATH or '/' in the name ties to its requester has one answer per name and loader setting.
  if (!session || opts.probeObject || opts.loadObject || ldLibraryDirs.length > 0) return (name, chain) => searchGlibc(name, chain, ctx);
  const setting = [cachePath, ident.class, ident.littleEndian, ident.machine, ident.elfFlags, systemDirs.join(':')].join('\0');
  return (name, chain) => {
    const requester = chain[0];
    const contextFree = requester !== undefined && requester.object.runpath.length === 0 && !name.includes('/') && chain.every((link) => link.object.rpath.length === 0);
    if (!contextFree) return searchGlibc(name, chain, ctx);
    const noDefaultLibs = (requester.object.flags1 & DF_1_NODEFLIB) !== 0;
    return session.search(fs, `${name}\0${noDefaultLibs ? 1 : 0}\0${setting}`, () => searchGlibc(name, chain, ctx));
  };
}

/** Sets up musl's search: the path file under the loader's prefix, read once. */
export async function muslSearcher(
  fs: RootFS,
  probe: ProbeObject,
  exeObject: LoadedObject,
  opts: ResolveOptions,
): Promise<Searcher> {
  const interpreter = exeObject.interpreter ?? '/lib/ld-musl.so.1';
  const arch = muslArchFromInterpreter(interpreter) ?? 'unknown';
  const systemPath = await readMuslSystemPath(fs, interpreter, arch);
  const ctx: MuslSearchContext = { fs, probe, ident: identOf(exeObject), ldLibraryPath: opts.ldLibraryPath, systemPath };
  return (name, chain) => searchMusl(name, chain, ctx);
}

export function identOf(object: LoadedObject): ElfIdent {
  return { class: object.class, littleEndian: object.littleEndian, machine: object.machine, elfFlags: object.elfFlags };
}

/** With only a loader injected (tests), candidates are judged by what it reports. */
export function probeThroughLoader(load: LoadObject): ProbeObject {
  return async (fs, path): Promise<ElfProbe | undefined> => {
    const info = await fs.stat(path);
    if (info?.kind !== 'file') return undefined;
    // Fakes are empty files: their size says nothing, so report one past any header.
    const size = Math.max(info.size, 64);
    let object: LoadedObject | undefined;
    try {
      object = await load(fs, path);
    } catch (e) {
      if (!isFromscratchError(e)) throw e;
      return { elf: false, reason: e.message, size };
    }
    if (!object) return { elf: false, reason: 'invalid ELF header', size };
    return { elf: true, ident: identOf(object), type: 3, osabi: 0, size };
  };
}
