import type { BinaryFormat, BinaryType } from '../binary/identity.js';
import type { GoInfo } from '../golang/types.js';
import type { LibraryNode, LibraryVia } from '../linker/types.js';

export type { LibraryNode, LibraryVia };

/**
 * The `inspect --json` contract (shared/DESIGN.md): one object per input
 * file. Names are stable; fields may be added, never renamed.
 */
export type Severity = 'error' | 'warning' | 'info';

export type NeedId =
  | 'ca-certificates'
  | 'tzdata'
  | 'passwd'
  | 'tmp'
  | 'shell'
  | 'exec'
  | 'plugin'
  | 'nsswitch'
  | 'interpreter'
  | 'libraries';

export interface Need {
  readonly id: NeedId;
  /** Files (inside the image) that satisfy it. */
  readonly paths: readonly string[];
  /** Functions, symbols or headers that show the need, so a person can check. */
  readonly evidence: readonly string[];
}

export interface Finding {
  /** Stable id, e.g. "interpreter-missing", "pie-needs-interpreter". */
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  /** What to do about it, or null when nothing needs doing. */
  readonly fix: string | null;
}

export interface LibraryEntry {
  readonly name: string;
  /** Where it was found inside the root, or null when missing. */
  readonly path: string | null;
  /** How the loader found it (null when missing). */
  readonly via: LibraryVia | null;
  /** The path of the object that needs it. */
  readonly neededBy: string;
}

export interface Recommendation {
  /** "scratch", "gcr.io/distroless/static-debian12", "alpine:3.20", ... or null when no Linux image can run it. */
  readonly base: string | null;
  /** Files that must be added to that base. */
  readonly files: readonly string[];
  readonly reason: string;
}

export interface InspectReport {
  readonly path: string;
  readonly format: BinaryFormat;
  readonly os: string | null;
  readonly arch: string | null;
  readonly bits: 32 | 64 | null;
  readonly endian: 'little' | 'big' | null;
  readonly type: BinaryType | null;
  readonly linkage: 'static' | 'static-pie' | 'dynamic' | null;
  readonly interpreter: string | null;
  readonly needed: readonly string[];
  readonly rpath: readonly string[];
  readonly runpath: readonly string[];
  readonly soname: string | null;
  readonly libraries: readonly LibraryEntry[];
  /** A lddtree-like view of `libraries`, for text output. */
  readonly libraryTree: readonly LibraryNode[];
  readonly stripped: boolean | null;
  readonly go: GoInfo | null;
  readonly needs: readonly Need[];
  readonly findings: readonly Finding[];
  readonly recommendation: Recommendation | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export function emptyReport(path: string): InspectReport {
  return {
    path,
    format: 'unknown',
    os: null,
    arch: null,
    bits: null,
    endian: null,
    type: null,
    linkage: null,
    interpreter: null,
    needed: [],
    rpath: [],
    runpath: [],
    soname: null,
    libraries: [],
    libraryTree: [],
    stripped: null,
    go: null,
    needs: [],
    findings: [],
    recommendation: null,
    error: null,
  };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}
