import { InputError, isFromscratchError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import { muslArchFromInterpreter } from './arch.js';
import { candidatePath, originOf } from './dst.js';
import { probeElf } from './elf-probe.js';
import type { Found, SearchObject } from './glibc.js';
import { readLdSoConf } from './ld-so-conf.js';
import { loadElfObject } from './load-object.js';
import { muslReservedFamily } from './musl.js';
import { glibcSearcher, muslSearcher, probeThroughLoader } from './searchers.js';
import type { LinkerSession, SharedClosure } from './session.js';
import type { LibraryNode, LibraryVia, LoadedObject, LoaderFlavor, LoadObject, ProbeObject, ResolvedLibrary, ResolvedTree, ResolveOptions } from './types.js';

export const DEFAULT_MAX_LIBRARIES = 1000;
export const DEFAULT_MAX_DEPTH = 64;

/** One mapped object: the executable or a library the search found. */
interface MappedObject extends SearchObject {
  /** The object that first needed it (glibc's l_loader, musl's needed_by); null for the executable. */
  readonly loadedBy: MappedObject | null;
  readonly depth: number;
  readonly via: LibraryVia | null;
  /** Names it answers to: glibc matches needed names against these (and the soname); musl uses its short name. */
  readonly names: Set<string>;
  /** The canonical path, so a second name for the same file maps to the same object (the loaders compare inodes). */
  readonly identity: string | undefined;
  readonly edges: Edge[];
}

type Edge =
  | { readonly kind: 'object'; readonly name: string; readonly target: MappedObject }
  | { readonly kind: 'loader'; readonly name: string }
  | { readonly kind: 'missing'; readonly name: string; readonly path: string | null; readonly via: LibraryVia | null };

/**
 * The shared libraries `binaryPath` needs inside `fs`, found the way its
 * loader (glibc's or musl's, told apart by PT_INTERP) would find them:
 * breadth first from the executable, each object loaded once (a name
 * already loaded, or a file already mapped under another name, is reused),
 * the first match winning. `libraries` follows ldd's order; `tree` is the
 * lddtree view. Checked against ldd on every dynamic binary of a Debian
 * system, on fixtures, and against the real loaders run inside a chroot.
 *
 * Deliberate differences from the loaders, because a static view cannot
 * know the machine or the process that will run the binary:
 * - glibc-hwcaps and legacy hwcap subdirectories (and their ld.so.cache
 *   entries) are not searched: which one wins depends on the CPU. The
 *   baseline library, which runs everywhere, is reported.
 * - $PLATFORM is the kernel's AT_PLATFORM for the architecture; glibc may
 *   use a CPU name instead ("haswell"). Empty and relative search path
 *   elements (relative to the working directory) are ignored.
 * - $ORIGIN of the executable is its real directory (the kernel's
 *   /proc/self/exe, what a real exec sees); ldd runs the loader with the
 *   path as given, so a binary reached through a symlink can differ there.
 *   `executableOrigin: 'as-given'` reproduces ldd.
 * - Where the loader stops at a file it cannot load (not ELF, too short,
 *   wrong byte order), ldd aborts; we record the loader's error on that
 *   library and go on with the rest.
 */
export async function resolveLibraries(fs: RootFS, binaryPath: string, opts: ResolveOptions = {}): Promise<ResolvedTree> {
  const shared = opts.session && opts.executable ? await resolveShared(fs, binaryPath, opts.session, opts.executable, opts) : undefined;
  return shared ?? (await resolveClosure(fs, binaryPath, opts)).tree;
}

/**
 * Through the session's closures: most binaries of a directory need the
 * same few libraries in the same way (192 of /usr/bin's 563 need libc.so.6
 * alone), so each distinct executable view is resolved once per scan. The
 * executable's path only shows as the requester of its own needs, rebound
 * here; its $ORIGIN only matters through a '$' in its own strings, and its
 * file only when a library found is that same file: those are resolved
 * afresh. Undefined when the options or the binary rule sharing out.
 */
async function resolveShared(fs: RootFS, binaryPath: string, session: LinkerSession, exeObject: LoadedObject, opts: ResolveOptions): Promise<ResolvedTree | undefined> {
  const key = closureKey(exeObject, opts);
  if (key === undefined) return undefined;
  const exeReal = await fs.realpath(binaryPath);
  if (exeReal === undefined) return undefined;
  const closure = await session.closure(fs, key, async (): Promise<SharedClosure | undefined> => {
    const { tree, identities } = await resolveClosure(fs, binaryPath, opts);
    // A warning may name the binary, and a library that is the binary itself maps onto it: neither is shared.
    return tree.warnings.length > 0 || identities.has(exeReal) ? undefined : { tree, exePath: binaryPath, identities };
  });
  if (closure === undefined || closure.identities.has(exeReal)) return undefined;
  if (closure.exePath === binaryPath) return closure.tree;
  const libraries = closure.tree.libraries.map((l) => (l.neededBy === closure.exePath ? { ...l, neededBy: binaryPath } : l));
  return { ...closure.tree, libraries };
}

/** What makes two executables resolve alike, or undefined when any option (or a '$' token) ties the result to this one. */
function closureKey(exe: LoadedObject, opts: ResolveOptions): string | undefined {
  const { executable: _executable, session: _session, ...rest } = opts;
  if (Object.values(rest).some((v) => v !== undefined)) return undefined;
  const strings = [...exe.needed, ...exe.rpath, ...exe.runpath];
  if (strings.some((s) => s.includes('$'))) return undefined;
  return JSON.stringify([exe.class, exe.littleEndian, exe.machine, exe.elfFlags, exe.flags1, exe.interpreter, exe.soname ?? null, exe.needed, exe.rpath, exe.runpath]);
}

/** One resolution, and the canonical paths of every library it met (for the sharing test above). */
async function resolveClosure(fs: RootFS, binaryPath: string, opts: ResolveOptions): Promise<{ tree: ResolvedTree; identities: Set<string> }> {
  const identities = new Set<string>();
  const session = opts.session;
  const visit = session?.visitLibrary;
  const baseLoad: LoadObject = opts.loadObject ?? (visit && session ? (f, p) => loadElfObject(f, p, f === session.fs ? visit : undefined) : loadElfObject);
  const baseProbe: ProbeObject = opts.probeObject ?? (opts.loadObject ? probeThroughLoader(opts.loadObject) : probeElf);
  const load = opts.session ? opts.session.loader(baseLoad) : baseLoad;
  const probe = opts.session ? opts.session.prober(baseProbe) : baseProbe;
  const maxLibraries = opts.maxLibraries ?? DEFAULT_MAX_LIBRARIES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const warnings: string[] = [];

  const exeObject = opts.executable ?? (await load(fs, binaryPath));
  if (!exeObject) throw new InputError('not-found', `${binaryPath}: not found in ${fs.description}`);
  const interpreterPath = exeObject.interpreter;
  const interpreter = interpreterPath === null ? null : { path: interpreterPath, found: (await fs.stat(interpreterPath))?.kind === 'file' };
  if (interpreterPath === null && exeObject.needed.length === 0) {
    return { tree: { flavor: null, interpreter, libraries: [], tree: [], warnings }, identities };
  }
  const flavor = opts.flavor ?? detectFlavor(exeObject);

  const exeReal = await fs.realpath(binaryPath);
  const exe: MappedObject = {
    path: binaryPath,
    object: exeObject,
    origin: originOf(opts.executableOrigin === 'as-given' ? binaryPath : (exeReal ?? binaryPath)),
    loadedBy: null,
    depth: 0,
    via: null,
    names: new Set(),
    identity: exeReal,
    edges: [],
  };

  const search = flavor === 'musl' ? await muslSearcher(fs, probe, exeObject, opts) : await glibcSearcher(fs, probe, exeObject, exe.origin, opts, warnings);
  const loaderNames = await loaderNamesFor(fs, load, flavor, interpreter);
  const loaderIdentity = interpreter?.found ? await fs.realpath(interpreter.path) : undefined;
  if (loaderIdentity !== undefined) identities.add(loaderIdentity);

  const mapped: MappedObject[] = [exe];
  const libraries: ResolvedLibrary[] = [];
  /** Where the loader object goes in `libraries` (glibc: after the object mapped just before it was first needed). */
  let loaderAfter: MappedObject | undefined;
  let loaderSeen = false;
  const muslFamiliesReported = new Set<string>();
  const libraryIndex = new Map<MappedObject, number>();
  let limitWarned = false;
  let depthWarned = false;

  for (let i = 0; i < mapped.length; i++) {
    const requester = mapped[i] as MappedObject;
    if (requester.depth >= maxDepth) {
      if (!depthWarned) warnings.push(`${requester.path}: deeper than ${maxDepth} levels of dependencies; its own are not followed`);
      depthWarned = true;
      continue;
    }
    const chain = chainOf(requester);
    for (const name of requester.object.needed) {
      // 1. The loader itself.
      const family = flavor === 'musl' ? muslReservedFamily(name) : undefined;
      if (interpreter?.found && (loaderNames.has(name) || family !== undefined)) {
        requester.edges.push({ kind: 'loader', name });
        if (flavor === 'glibc' && !loaderSeen) loaderAfter = mapped[mapped.length - 1];
        if (flavor === 'musl' && family !== undefined && !muslFamiliesReported.has(family)) {
          muslFamiliesReported.add(family);
          libraries.push({ name, path: interpreter.path, via: 'loader', neededBy: requester.path });
        }
        loaderSeen = true;
        continue;
      }
      // 2. Already loaded under this name.
      const existing = findLoaded(mapped, name, flavor);
      if (existing) {
        requester.edges.push({ kind: 'object', name, target: existing });
        continue;
      }
      // 3. Search.
      let found: Found | undefined;
      try {
        found = await search(name, chain);
      } catch (e) {
        if (!isFromscratchError(e)) throw e;
        warnings.push(e.message);
      }
      if (!found || found.error !== undefined) {
        const entry: ResolvedLibrary = found
          ? { name, path: found.path, via: found.via, neededBy: requester.path, error: found.error }
          : { name, path: null, via: null, neededBy: requester.path };
        libraries.push(entry);
        requester.edges.push({ kind: 'missing', name, path: entry.path, via: entry.via });
        continue;
      }
      const identity = await fs.realpath(found.path);
      if (identity !== undefined) identities.add(identity);
      if (identity !== undefined && identity === loaderIdentity && interpreter) {
        // The loader under another path (e.g. DT_NEEDED naming its real file): still the one object already mapped.
        requester.edges.push({ kind: 'loader', name });
        if (flavor === 'glibc' && !loaderSeen) loaderAfter = mapped[mapped.length - 1];
        loaderSeen = true;
        continue;
      }
      const sameFile = identity === undefined ? undefined : mapped.find((m) => m.identity === identity);
      if (sameFile) {
        // The loaders compare device and inode: a second name for a mapped file is that object.
        if (flavor === 'glibc' || !name.includes('/')) sameFile.names.add(name);
        requester.edges.push({ kind: 'object', name, target: sameFile });
        continue;
      }
      if (mapped.length - 1 >= maxLibraries) {
        if (!limitWarned) warnings.push(`${binaryPath}: more than ${maxLibraries} libraries; the rest are not followed`);
        limitWarned = true;
        continue;
      }
      let object: LoadedObject | undefined;
      let loadError: string | undefined;
      try {
        object = await load(fs, found.path);
      } catch (e) {
        if (!isFromscratchError(e)) throw e;
        loadError = e.message;
      }
      if (!object) {
        const entry: ResolvedLibrary = { name, path: found.path, via: found.via, neededBy: requester.path, error: loadError ?? `${found.path}: not a loadable object` };
        libraries.push(entry);
        requester.edges.push({ kind: 'missing', name, path: found.path, via: found.via });
        continue;
      }
      const library: MappedObject = {
        path: found.path,
        object,
        origin: originOf(found.path),
        loadedBy: requester,
        depth: requester.depth + 1,
        via: found.via,
        names: new Set(flavor === 'glibc' ? [name, found.path] : name.includes('/') ? [] : [basename(found.path)]),
        identity,
        edges: [],
      };
      mapped.push(library);
      libraryIndex.set(library, libraries.length);
      libraries.push({ name, path: found.path, via: found.via, neededBy: requester.path });
      requester.edges.push({ kind: 'object', name, target: library });
    }
  }

  if (flavor === 'glibc' && loaderSeen && interpreter) {
    placeGlibcLoader(libraries, libraryIndex, loaderAfter, firstLoaderNeed(mapped), interpreter.path);
  }
  const tree = buildTree(exe, interpreter?.path ?? null, maxDepth);
  return { tree: { flavor, interpreter, libraries: await explainMissing(fs, flavor, libraries, warnings), tree, warnings }, identities };
}

/** musl when the interpreter is musl's, or (for a shared object given directly) when it needs musl's libc. */
function detectFlavor(exe: LoadedObject): LoaderFlavor {
  if (exe.interpreter !== null) return muslArchFromInterpreter(exe.interpreter) !== undefined ? 'musl' : 'glibc';
  return exe.needed.some((n) => n.startsWith('libc.musl-')) ? 'musl' : 'glibc';
}

/** The requester and the objects that loaded it, up to the executable. */
function chainOf(object: MappedObject): MappedObject[] {
  const chain: MappedObject[] = [];
  for (let o: MappedObject | null = object; o; o = o.loadedBy) chain.push(o);
  return chain;
}

/** glibc: any name the object was loaded or asked for under, or its soname. musl: the short name of an object found by search. */
function findLoaded(mapped: readonly MappedObject[], name: string, flavor: LoaderFlavor): MappedObject | undefined {
  for (const m of mapped) {
    if (m.names.has(name)) return m;
    if (flavor === 'glibc' && m.object.soname === name) {
      m.names.add(name);
      return m;
    }
  }
  return undefined;
}

/** The names under which the loader is already "loaded": its PT_INTERP path, and for glibc its soname. */
async function loaderNamesFor(fs: RootFS, load: LoadObject, flavor: LoaderFlavor, interpreter: { path: string; found: boolean } | null): Promise<Set<string>> {
  const names = new Set<string>();
  if (!interpreter) return names;
  names.add(interpreter.path);
  if (flavor === 'glibc' && interpreter.found) {
    let soname: string | null | undefined;
    try {
      soname = (await load(fs, interpreter.path))?.soname;
    } catch (e) {
      if (!isFromscratchError(e)) throw e;
    }
    names.add(soname ?? basename(interpreter.path));
  }
  return names;
}

function firstLoaderNeed(mapped: readonly MappedObject[]): { name: string; neededBy: string } | undefined {
  for (const m of mapped) {
    const edge = m.edges.find((e) => e.kind === 'loader');
    if (edge) return { name: edge.name, neededBy: m.path };
  }
  return undefined;
}

/**
 * glibc's rtld.c moves its own link map to just after the object that
 * precedes it in the breadth-first search list, i.e. the object mapped last
 * before the loader was first needed. ldd prints it there.
 */
function placeGlibcLoader(
  libraries: ResolvedLibrary[],
  libraryIndex: Map<MappedObject, number>,
  after: MappedObject | undefined,
  need: { name: string; neededBy: string } | undefined,
  interpreterPath: string,
): void {
  if (!need) return;
  const index = after ? libraryIndex.get(after) : undefined;
  const entry: ResolvedLibrary = { name: need.name, path: interpreterPath, via: 'loader', neededBy: need.neededBy };
  libraries.splice(index === undefined ? 0 : index + 1, 0, entry);
}

/**
 * A library missing for glibc but present in a directory /etc/ld.so.conf
 * names: the cache is missing or stale (ldconfig was not run), which is
 * worth saying.
 */
async function explainMissing(fs: RootFS, flavor: LoaderFlavor, libraries: ResolvedLibrary[], warnings: string[]): Promise<ResolvedLibrary[]> {
  if (flavor !== 'glibc' || !libraries.some((l) => l.path === null && !l.name.includes('/'))) return libraries;
  let dirs: readonly string[] = [];
  try {
    const conf = await readLdSoConf(fs);
    dirs = conf.dirs.map((d) => d.path);
  } catch (e) {
    if (!isFromscratchError(e)) throw e;
    warnings.push(e.message);
  }
  const out: ResolvedLibrary[] = [];
  for (const library of libraries) {
    if (library.path !== null || library.name.includes('/') || library.inLdSoConfDir !== undefined) {
      out.push(library);
      continue;
    }
    let where: string | undefined;
    for (const dir of dirs) {
      const candidate = candidatePath(dir, library.name);
      if ((await fs.stat(candidate))?.kind === 'file') {
        where = candidate;
        break;
      }
    }
    out.push(where === undefined ? library : { ...library, inLdSoConfDir: where });
  }
  return out;
}

function buildTree(exe: MappedObject, interpreterPath: string | null, maxDepth: number): LibraryNode[] {
  const expanded = new Set<MappedObject>([exe]);
  const walk = (object: MappedObject, depth: number): LibraryNode[] =>
    object.edges.map((edge): LibraryNode => {
      if (edge.kind === 'loader') return { name: edge.name, path: interpreterPath, via: 'loader', repeated: false, children: [] };
      if (edge.kind === 'missing') return { name: edge.name, path: edge.path, via: edge.via, repeated: false, children: [] };
      const target = edge.target;
      if (expanded.has(target) || depth >= maxDepth) {
        return { name: edge.name, path: target.path, via: target.via, repeated: target.edges.length > 0, children: [] };
      }
      expanded.add(target);
      return { name: edge.name, path: target.path, via: target.via, repeated: false, children: walk(target, depth + 1) };
    });
  return walk(exe, 1);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
