import { importedDynamicSymbols, parseElfLinking, type ElfLinking } from '../elf/index.js';
import type { ElfFile } from '../elf/types.js';
import type { RootFS } from '../fs/rootfs.js';
import { PromiseMemo } from '../util/memo.js';
import type { LibraryEntry, Need } from './report.js';

/**
 * glibc answers host and user look-ups through NSS: /etc/nsswitch.conf
 * names the sources, and before glibc 2.34 each source was a module
 * (libnss_files.so.2, libnss_dns.so.2) loaded at run time, which no
 * DT_NEEDED and no ldd shows. Without nsswitch.conf glibc asks DNS before
 * /etc/hosts. A cgo Go binary imports these functions too (net's cgo
 * resolver, os/user's getpwnam_r), so the import table tells for both.
 */
const HOST_LOOKUPS = ['getaddrinfo', 'gethostbyname', 'gethostbyname2', 'gethostbyname_r', 'gethostbyname2_r', 'gethostbyaddr', 'gethostbyaddr_r', 'getnameinfo'];
const USER_LOOKUPS = ['getpwnam', 'getpwnam_r', 'getpwuid', 'getpwuid_r', 'getgrnam', 'getgrnam_r', 'getgrgid', 'getgrgid_r', 'getgrouplist', 'initgroups'];
/** How the need's evidence names a look-up: "getaddrinfo (glibc NSS)". */
const GLIBC_NSS_SUFFIX = ' (glibc NSS)';

/** Whether a line of the nsswitch need's evidence is a host look-up through glibc (not a user look-up, not Go's resolver). */
export function isGlibcHostLookupEvidence(evidence: string): boolean {
  return evidence.endsWith(GLIBC_NSS_SUFFIX) && HOST_LOOKUPS.includes(evidence.slice(0, -GLIBC_NSS_SUFFIX.length));
}

/** One list for every call: importedDynamicSymbols builds its search for a list once. */
const LOOKUPS = [...HOST_LOOKUPS, ...USER_LOOKUPS];
const MODULES = { hosts: ['libnss_files.so.2', 'libnss_dns.so.2'], users: ['libnss_files.so.2'] };

/** Remembers each library's look-up imports across a scan (libcurl is read once, not once per binary). */
export type NssImportsCache = PromiseMemo<readonly string[]>;

export function newNssImportsCache(): NssImportsCache {
  return new PromiseMemo(10_000);
}

/**
 * The look-ups the executable itself imports, read from its own file; null
 * when glibc's NSS cannot be in play (no dynamic section, no interpreter, or
 * musl's). The first half of glibcNssNeed, apart so a helper thread can read
 * it while the thread holding the library caches does the rest.
 */
export async function glibcNssImports(
  elf: Pick<ElfFile, 'source' | 'header' | 'dynamic' | 'interpreter' | 'readDynamicSymbols'>,
): Promise<readonly string[] | null> {
  if (elf.dynamic === null || elf.interpreter === null || elf.interpreter.includes('ld-musl')) return null;
  return importsOf(elf, LOOKUPS);
}

/** The nsswitch need, from the executable's own look-ups (glibcNssImports) and those of the libraries it loads. */
export async function glibcNssNeed(
  executableImports: readonly string[] | null,
  libraries: readonly LibraryEntry[],
  root: RootFS,
  cache: NssImportsCache = newNssImportsCache(),
): Promise<Need | undefined> {
  if (executableImports === null) return undefined;
  const lookups = LOOKUPS;
  // The executable or any library it loads may call them (curl's getaddrinfo is libcurl's).
  const imported = new Set(executableImports);
  for (const lib of libraries) {
    if (lib.path === null || lib.via === 'loader' || lib.name === 'libc.so.6') continue;
    const path = lib.path;
    const imports = cache.settled(path) ?? (await cache.get(path, () => importsOfLibrary(root, path, lookups)));
    for (const f of imports) imported.add(f);
  }
  if (imported.size === 0) return undefined;
  const hosts = HOST_LOOKUPS.some((f) => imported.has(f));
  const users = USER_LOOKUPS.some((f) => imported.has(f));
  // The modules sit beside libc; from glibc 2.34 they are stubs (files and dns moved into libc), harmless to copy.
  const libc = libraries.find((l) => l.name === 'libc.so.6' && l.path !== null)?.path;
  const dir = libc?.slice(0, libc.lastIndexOf('/'));
  const wanted = [...new Set([...(hosts ? MODULES.hosts : []), ...(users ? MODULES.users : [])])];
  const modules: string[] = [];
  if (dir !== undefined) {
    for (const m of wanted) if ((await root.stat(`${dir}/${m}`))?.kind === 'file') modules.push(`${dir}/${m}`);
  }
  return {
    id: 'nsswitch',
    paths: ['/etc/nsswitch.conf', ...modules],
    evidence: [...imported].sort().map((f) => `${f}${GLIBC_NSS_SUFFIX}`),
  };
}

/**
 * Fills `cache` for a library the linker session has open anyway (a
 * LibraryVisitor): a scan then opens and parses each library once, not
 * once to resolve it and again for its imports.
 */
export function nssImportsVisitor(cache: NssImportsCache): (path: string, elf: ElfLinking) => Promise<void> {
  return async (path, elf) => {
    await cache.get(path, () => importsOf(elf, LOOKUPS).catch(() => []));
  };
}

async function importsOfLibrary(root: RootFS, path: string, names: readonly string[]): Promise<readonly string[]> {
  let source;
  try {
    source = await root.open(path);
  } catch {
    return [];
  }
  try {
    return await importsOf(await parseElfLinking(source), names);
  } catch {
    return []; // a library we cannot read is reported by the resolver, not here
  } finally {
    await source.close();
  }
}

/** Which of `names` a program or library imports (parseElf's or the loader's view of it). */
async function importsOf(elf: Pick<ElfFile | ElfLinking, 'source' | 'header' | 'readDynamicSymbols'>, names: readonly string[]): Promise<readonly string[]> {
  return [...(await importedDynamicSymbols(elf.source, elf.header, await elf.readDynamicSymbols(), names))];
}

/** Adds `need` to `needs`, merging with a need of the same id. */
export function mergeNeed(needs: readonly Need[], need: Need | undefined): Need[] {
  if (need === undefined) return [...needs];
  const same = needs.find((n) => n.id === need.id);
  if (!same) return [...needs, need];
  const merged: Need = { ...same, paths: [...new Set([...same.paths, ...need.paths])], evidence: [...same.evidence, ...need.evidence] };
  return needs.map((n) => (n === same ? merged : n));
}
