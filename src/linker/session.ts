import type { RootFS } from '../fs/rootfs.js';
import { PromiseMemo } from '../util/memo.js';
import type { LdSoCache } from './ld-so-cache.js';
import type { LibraryVisitor } from './load-object.js';
import type { Found } from './glibc.js';
import type { LoadedObject, LoadObject, ProbeObject, ResolvedTree } from './types.js';

/** One executable's resolved libraries, shareable with executables that resolve alike (see resolveLibraries). */
export interface SharedClosure {
  readonly tree: ResolvedTree;
  /** The executable it was resolved for: the requester to rebind in `tree.libraries`. */
  readonly exePath: string;
  /** Canonical paths of the libraries met: an executable that is one of them resolves on its own. */
  readonly identities: ReadonlySet<string>;
}

/** Bounds each table: past this many entries a session starts afresh rather than growing without end. */
const MAX_ENTRIES = 50_000;

type CacheRead = { readonly ok: true; readonly cache: LdSoCache | undefined } | { readonly ok: false; readonly error: unknown };

/**
 * What stays true for one root while a command runs: the parsed
 * ld.so.cache, the directories compiled into each interpreter, and each
 * library's ELF facts. A directory scan resolves hundreds of binaries
 * against the same few dozen libraries; sharing one session turns that
 * from re-reading libc per binary into reading it once. Roots are at rest
 * while we read them (see HostRootFS), so nothing here goes stale.
 */
export class LinkerSession {
  private readonly ldSoCaches = new PromiseMemo<CacheRead>(MAX_ENTRIES);
  private readonly systemDirs = new PromiseMemo<string[] | undefined>(MAX_ENTRIES);
  private readonly objects = new PromiseMemo<LoadedObject | undefined>(MAX_ENTRIES);
  private readonly probes = new PromiseMemo<Awaited<ReturnType<ProbeObject>>>(MAX_ENTRIES);
  private readonly closures = new PromiseMemo<SharedClosure | undefined>(MAX_ENTRIES);
  private readonly searches = new PromiseMemo<Found | undefined>(MAX_ENTRIES);

  /** `visitLibrary` sees each library the session loads, parsed and open (see LibraryVisitor). */
  constructor(
    readonly fs: RootFS,
    readonly visitLibrary?: LibraryVisitor,
  ) {}

  /** The cache at `path`, read once; a read error is remembered and rethrown to every caller. */
  async ldSoCache(path: string, read: () => Promise<LdSoCache | undefined>): Promise<LdSoCache | undefined> {
    const result = await this.ldSoCaches.get(path, () =>
      read().then(
        (cache): CacheRead => ({ ok: true, cache }),
        (error: unknown): CacheRead => ({ ok: false, error }),
      ),
    );
    if (!result.ok) throw result.error;
    return result.cache;
  }

  interpreterDirs(interpreter: string, read: () => Promise<string[] | undefined>): Promise<string[] | undefined> {
    return this.systemDirs.get(interpreter, read);
  }

  /** Wraps a loader so each path is parsed once per session. */
  loader(load: LoadObject): LoadObject {
    return (fs, path) => (fs === this.fs ? this.objects.get(path, () => load(fs, path)) : load(fs, path));
  }

  /** The closure for executables alike under `key`, computed once per session (undefined: not shareable). */
  closure(fs: RootFS, key: string, compute: () => Promise<SharedClosure | undefined>): Promise<SharedClosure | undefined> {
    return fs === this.fs ? this.closures.get(key, compute) : compute();
  }

  /**
   * A library search whose answer depends on nothing but `key` (the name and
   * the loader's fixed settings; see glibcSearcher), done once per session:
   * the 176 closures of a /usr/bin scan search for libc.so.6 176 times.
   */
  search(fs: RootFS, key: string, compute: () => Promise<Found | undefined>): Promise<Found | undefined> {
    return fs === this.fs ? this.searches.get(key, compute) : compute();
  }

  prober(probe: ProbeObject): ProbeObject {
    return (fs, path) => (fs === this.fs ? this.probes.get(path, () => probe(fs, path)) : probe(fs, path));
  }
}

