/**
 * Go facts read from a binary, in the shape of the `go` field of
 * `inspect --json` (shared/DESIGN.md). Produced by `readGoInfo(layout)`.
 */
export interface GoModule {
  readonly path: string;
  readonly version: string;
  /** "h1:..." or "" when absent. */
  readonly sum: string;
  readonly replace?: GoModule;
}

/**
 * Where the Go version came from, best first:
 * - "buildinfo": the .go.buildinfo header (what `go version` reads);
 * - "symbol": the runtime.buildVersion symbol's string;
 * - "rodata": a "go1.N..." string found next to the runtime's own strings;
 * - "pclntab": only the pclntab magic, which gives a range such as "go1.20+";
 * - "go.mod": a source directory's `go` line (the minimum version, before any build).
 */
export type GoVersionSource = 'buildinfo' | 'symbol' | 'rodata' | 'pclntab' | 'go.mod';

export interface GoCgo {
  /** True when C code is really called (a _Cfunc_/_C2func_ or C-side cgo symbol exists). */
  readonly used: boolean;
  /** Import paths of Go packages that call C. */
  readonly packages: readonly string[];
  readonly culprits: readonly { package: string; module: string; fix: string }[];
}

export interface GoInfo {
  /** "go1.23.5", or a range such as "go1.20+" when only the pclntab tells. */
  readonly version: string;
  readonly versionSource: GoVersionSource;
  /** The main package path ("path" line), or "" when there is no build info. */
  readonly path: string;
  readonly main: GoModule | null;
  readonly deps: readonly GoModule[];
  /** Each `build` line's key and value, exactly as `go version -m` prints them, in order. */
  readonly settings: readonly { key: string; value: string }[];
  /** The modinfo text as stored (without sentinels); "" when absent. */
  readonly modinfo: string;
  /** Filled by the package analysis (issue 3); null until then. */
  readonly cgo: GoCgo | null;
  readonly packages: readonly string[] | null;
}
