import type { LinkerSession } from './session.js';
import type { RootFS } from '../fs/rootfs.js';
import type { ElfIdent } from './arch.js';
import type { ElfProbe } from './elf-probe.js';

/** What the resolver needs to know about one object (the executable or a library). */
export interface LoadedObject extends ElfIdent {
  /** DT_NEEDED in file order. */
  readonly needed: readonly string[];
  /** DT_RPATH split on ':' as stored ($ORIGIN unexpanded); empty when absent. */
  readonly rpath: readonly string[];
  /** DT_RUNPATH likewise; present (non-empty) disables DT_RPATH for glibc. */
  readonly runpath: readonly string[];
  /** DT_FLAGS_1 (DF_1_NODEFLIB = 0x800). */
  readonly flags1: number;
  /** PT_INTERP, or null. */
  readonly interpreter: string | null;
  /** DT_SONAME: glibc matches later requests against it. */
  readonly soname?: string | null;
}

/** Reads an object inside the root, or undefined when it is not a loadable ELF object. May throw InputError. */
export type LoadObject = (fs: RootFS, path: string) => Promise<LoadedObject | undefined>;
/** The cheap header look at a candidate; undefined when the file cannot be opened. */
export type ProbeObject = (fs: RootFS, path: string) => Promise<ElfProbe | undefined>;

/** How a library was found, in the words of the DESIGN contract. */
export type LibraryVia = 'direct' | 'rpath' | 'runpath' | 'ld_library_path' | 'ld.so.cache' | 'default-path' | 'musl-path' | 'loader';

export type LoaderFlavor = 'glibc' | 'musl';

export interface ResolveOptions {
  /** The executable, already read (saves a read, and allows a binary that is not inside the root). */
  readonly executable?: LoadedObject;
  /** Reads objects; defaults to parseElf through the root. Tests inject fakes. */
  readonly loadObject?: LoadObject;
  /** Checks candidates; defaults to the ELF header probe (or, when only loadObject is given, to it). */
  readonly probeObject?: ProbeObject;
  /** LD_LIBRARY_PATH as the environment would hold it; default none. */
  readonly ldLibraryPath?: string;
  /** Force the loader rules instead of judging by PT_INTERP. */
  readonly flavor?: LoaderFlavor;
  /** glibc's compiled-in default directories; default: read from the interpreter, else upstream's. */
  readonly systemDirs?: readonly string[];
  /** Value of $LIB; default derived from the system directories. */
  readonly lib?: string;
  /** Value of $PLATFORM; default the kernel's AT_PLATFORM for the architecture, where fixed. */
  readonly platform?: string;
  /**
   * The executable's $ORIGIN. 'realpath' (default) is what a real exec does
   * (the kernel's /proc/self/exe is canonical); 'as-given' is what ldd does
   * (it runs the loader with the path it was given).
   */
  readonly executableOrigin?: 'realpath' | 'as-given';
  readonly ldSoCachePath?: string;
  /** Bounds on the closure. */
  readonly maxLibraries?: number;
  readonly maxDepth?: number;
  /** Shares parsed caches and objects across calls on the same root (directory scans). */
  readonly session?: LinkerSession;
}

export interface ResolvedLibrary {
  /** The DT_NEEDED string. */
  readonly name: string;
  /** Where the loader finds it inside the root, spelled as the loader builds it (ldd prints the same); null when missing. */
  readonly path: string | null;
  /** How it was found; null when missing. */
  readonly via: LibraryVia | null;
  /** The path of the object whose DT_NEEDED asked for it. */
  readonly neededBy: string;
  /** Found, but the loader would stop with this error (not ELF, wrong byte order, ...). */
  readonly error?: string;
  /**
   * When missing: where it sits in a directory /etc/ld.so.conf names, which
   * the loader would only see after ldconfig rebuilds the cache.
   */
  readonly inLdSoConfDir?: string;
}

export interface LibraryNode {
  readonly name: string;
  readonly path: string | null;
  readonly via: LibraryVia | null;
  /** True when this library's dependencies are shown elsewhere in the tree (or it is the loader). */
  readonly repeated: boolean;
  readonly children: readonly LibraryNode[];
}

export interface ResolvedTree {
  readonly flavor: LoaderFlavor | null;
  /** PT_INTERP and whether it exists in the root; null for a binary without one. */
  readonly interpreter: { readonly path: string; readonly found: boolean } | null;
  /** Every library the loader maps, in ldd's order (load order, breadth first); a missing one once per object needing it. */
  readonly libraries: readonly ResolvedLibrary[];
  /** lddtree-like: the executable's direct needs, each with its own below it. */
  readonly tree: readonly LibraryNode[];
  /** What could not be read or was cut short (a bad ld.so.cache, closure limits). */
  readonly warnings: readonly string[];
}
