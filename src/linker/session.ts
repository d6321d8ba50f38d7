import type { RootFS } from '../fs/rootfs.js';
import type { LdSoCache } from './ld-so-cache.js';
import type { LoadedObject, LoadObject, ProbeObject } from './types.js';

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
  private readonly ldSoCaches = new Map<string, Promise<CacheRead>>();
  private readonly systemDirs = new Map<string, Promise<string[] | undefined>>();
  private readonly objects = new Map<string, Promise<LoadedObject | undefined>>();
  private readonly probes = new Map<string, ReturnType<ProbeObject>>();

  constructor(readonly fs: RootFS) {}

  /** The cache at `path`, read once; a read error is remembered and rethrown to every caller. */
  async ldSoCache(path: string, read: () => Promise<LdSoCache | undefined>): Promise<LdSoCache | undefined> {
    const result = await memo(this.ldSoCaches, path, () =>
      read().then(
        (cache): CacheRead => ({ ok: true, cache }),
        (error: unknown): CacheRead => ({ ok: false, error }),
      ),
    );
    if (!result.ok) throw result.error;
    return result.cache;
  }

  interpreterDirs(interpreter: string, read: () => Promise<string[] | undefined>): Promise<string[] | undefined> {
    return memo(this.systemDirs, interpreter, read);
  }

  /** Wraps a loader so each path is parsed once per session. */
  loader(load: LoadObject): LoadObject {
    return (fs, path) => (fs === this.fs ? memo(this.objects, path, () => load(fs, path)) : load(fs, path));
  }

  prober(probe: ProbeObject): ProbeObject {
    return (fs, path) => (fs === this.fs ? memo(this.probes, path, () => probe(fs, path)) : probe(fs, path));
  }
}

/** Bounds each table: past this many entries a session starts afresh rather than growing without end. */
const MAX_ENTRIES = 50_000;

function memo<T>(table: Map<string, Promise<T>>, key: string, compute: () => Promise<T>): Promise<T> {
  let hit = table.get(key);
  if (hit === undefined) {
    if (table.size >= MAX_ENTRIES) table.clear();
    hit = compute();
    table.set(key, hit);
  }
  return hit;
}
