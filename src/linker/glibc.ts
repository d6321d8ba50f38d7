import { DF_1_NODEFLIB } from '../elf/types.js';
import type { RootFS } from '../fs/rootfs.js';
import { cachePolicyFor, type ElfIdent } from './arch.js';
import { candidatePath, glibcSearchDirs, substituteGlibc, type GlibcTokens } from './dst.js';
import { glibcVerdict } from './elf-probe.js';
import { lookupLdSoCache, type LdSoCache } from './ld-so-cache.js';
import type { LibraryVia, LoadedObject, ProbeObject } from './types.js';

/** One object on the path from a requester up to the executable, with its $ORIGIN. */
export interface SearchObject {
  readonly path: string;
  readonly object: LoadedObject;
  /** Directory for $ORIGIN, or undefined when unknown (paths using it are dropped). */
  readonly origin: string | undefined;
}

/** Everything a glibc search needs that does not change between names. */
export interface GlibcSearchContext {
  readonly fs: RootFS;
  readonly probe: ProbeObject;
  /** The kind of object the loader maps: the executable's class, byte order and machine. */
  readonly ident: ElfIdent;
  readonly cache: LdSoCache | undefined;
  /** The loader's compiled-in default directories, without trailing slashes. */
  readonly systemDirs: readonly string[];
  readonly platform: string | undefined;
  readonly lib: string | undefined;
  /** LD_LIBRARY_PATH directories, already expanded (against the executable, as glibc does). */
  readonly ldLibraryDirs: readonly string[];
}

export interface Found {
  readonly path: string;
  readonly via: LibraryVia;
  /** Set when the loader would stop at this file with an error instead of loading it. */
  readonly error?: string;
}

/**
 * Where glibc's loader finds `name` needed by `chain[0]` (glibc
 * elf/dl-load.c _dl_map_new_object), `chain` running from the requester up
 * through the objects that loaded it to the executable:
 *
 * 1. a name with '/' is used as is (after token expansion);
 * 2. DT_RPATH of every object in the chain, only when the requester has no
 *    DT_RUNPATH;
 * 3. LD_LIBRARY_PATH;
 * 4. the requester's own DT_RUNPATH (not inherited);
 * 5. ld.so.cache, skipping an entry in a default directory when the
 *    requester has DF_1_NODEFLIB;
 * 6. the default directories, unless the requester has DF_1_NODEFLIB.
 *
 * A candidate of another ELF class or machine is skipped and the search
 * goes on (as open_verify does); one that is not a loadable ELF file stops
 * it with an error. glibc-hwcaps and legacy hwcap subdirectories, which
 * depend on the CPU at run time, are not searched.
 */
export async function searchGlibc(name: string, chain: readonly SearchObject[], ctx: GlibcSearchContext): Promise<Found | undefined> {
  const requester = chain[0];
  if (!requester) return undefined;
  const tokens = (o: SearchObject): GlibcTokens => ({ origin: o.origin, platform: ctx.platform, lib: ctx.lib });

  if (name.includes('/')) {
    const path = substituteGlibc(name, tokens(requester));
    // A relative name is relative to the process's working directory, which a static view does not have.
    if (path === undefined || !path.startsWith('/')) return undefined;
    return tryCandidates([path], 'direct', ctx);
  }

  if (requester.object.runpath.length === 0) {
    for (const link of chain) {
      const found = await tryDirs(glibcSearchDirs(link.object.rpath, tokens(link)), 'rpath', name, ctx);
      if (found) return found;
    }
  }

  const fromEnv = await tryDirs(ctx.ldLibraryDirs, 'ld_library_path', name, ctx);
  if (fromEnv) return fromEnv;

  const fromRunpath = await tryDirs(glibcSearchDirs(requester.object.runpath, tokens(requester)), 'runpath', name, ctx);
  if (fromRunpath) return fromRunpath;

  const noDefaultLibs = (requester.object.flags1 & DF_1_NODEFLIB) !== 0;
  const cached = ctx.cache && lookupLdSoCache(ctx.cache, name, cachePolicyFor(ctx.ident));
  if (cached && !(noDefaultLibs && ctx.systemDirs.some((dir) => cached.path.startsWith(dir.endsWith('/') ? dir : `${dir}/`)))) {
    const found = await tryCandidates([cached.path], 'ld.so.cache', ctx);
    if (found) return found;
  }

  if (!noDefaultLibs) return tryDirs(ctx.systemDirs, 'default-path', name, ctx);
  return undefined;
}

function tryDirs(dirs: readonly string[], via: LibraryVia, name: string, ctx: GlibcSearchContext): Promise<Found | undefined> {
  return tryCandidates(
    dirs.map((dir) => candidatePath(dir, name)),
    via,
    ctx,
  );
}

async function tryCandidates(paths: readonly string[], via: LibraryVia, ctx: GlibcSearchContext): Promise<Found | undefined> {
  for (const path of paths) {
    const probe = await ctx.probe(ctx.fs, path);
    if (probe === undefined) continue;
    const verdict = glibcVerdict(probe, ctx.ident);
    if (verdict === 'skip') continue;
    if (verdict === 'use') return { path, via };
    return { path, via, error: `${path}: ${verdict.fatal}` };
  }
  return undefined;
}
