import type { BinaryIdentity } from '../binary/identity.js';
import type { ExecutableLayout } from '../binary/layout.js';

/** One architecture of a fat (universal) Mach-O file. */
export interface MachOSlice {
  /** Go's GOARCH for the slice ("amd64", "arm64", ... or "unknown"). */
  readonly arch: string;
  readonly identity: BinaryIdentity;
  /** Where the slice's bytes sit in the fat file. */
  readonly offset: number;
  readonly size: number;
}

/** The facts of one Mach-O file, thin or fat. Produced by `parseMachO(source)`. */
export interface MachOFile {
  /** For a fat file: the identity of the first architecture. */
  readonly identity: BinaryIdentity;
  /**
   * Sections and segments of the (first) architecture. Like Go's
   * debug/buildinfo, a fat file is read through its first slice; the
   * layout's source is that slice, and its offsets are relative to it.
   */
  readonly layout: ExecutableLayout;
  /** Present only for fat files: every architecture in header order. */
  readonly slices?: readonly MachOSlice[];
  /** No symbols of its own: no LC_SYMTAB, nsyms 0, or LC_DYSYMTAB counting no local or external defined symbols. */
  readonly stripped: boolean;
  /** Libraries dyld loads (LC_LOAD_DYLIB and its weak/re-export/lazy/upward variants), in command order. */
  readonly loadDylibs: readonly string[];
  /** mach_header fields of the (first) architecture, for callers that want more than the identity. */
  readonly header: MachOHeader;
}

export interface MachOHeader {
  readonly cputype: number;
  readonly cpusubtype: number;
  readonly filetype: number;
  readonly ncmds: number;
  readonly sizeofcmds: number;
  readonly flags: number;
}
