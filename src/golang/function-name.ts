/**
 * What a Go function name, as the pclntab spells it, says about where it
 * comes from: its package and the rest, whether the compiler or the linker
 * made it, whether it is a cgo stub and which C function that calls. The
 * package list (packages.ts) is built from these answers.
 */

/** Prefixes the compiler and linker give the functions they generate (1.20+ with ':', before with '.'). */
const GENERATED_PREFIXES = [
  'type:',
  'type.',
  'go:',
  'go.buildid',
  'go.itab.',
  'go.string.',
  'go.func.',
  'go.shape.',
  'go.info.',
  'go.builtin.',
  'go.importpath.',
];
/**
 * Whether a name is one the compiler or linker generated (GENERATED_PREFIXES).
 * They all start "type" or "go" then ':' or '.': one or two character
 * compares spare nearly every name (github.com/..., golang.org/...) the list.
 */
export function isGeneratedName(name: string): boolean {
  const first = name.charCodeAt(0);
  if (first !== 0x74 && first !== 0x67) return false;
  const next = name.charCodeAt(first === 0x74 ? 4 : 2);
  return (next === 0x3a || next === 0x2e) && GENERATED_PREFIXES.some((p) => name.startsWith(p));
}
/** "Packages" that name nothing: what a generated or C name yields when cut like a Go one. */
const NOT_PACKAGES = new Set(['go', 'type', '']);
/**
 * GCC's suffixes for the clones it splits off a C function (foo.cold,
 * foo.part.0, foo.isra.0, foo.constprop.0): C code linked internally puts
 * these names in the pclntab, where they would read as package "foo".
 */
const CLONE_WORD = '(?:cold|part|isra|constprop|lto_priv|localalias)(?:\\.\\d+)?';
const CLONE_SUFFIX = `${CLONE_WORD}(?:\\.${CLONE_WORD})*`;
const C_CLONE_SUFFIX = new RegExp(`^${CLONE_SUFFIX}$`);
/** First letters of the clone suffixes above: most names are spared the regular expression. */
const CLONE_FIRST_LETTERS = new Set(['c', 'p', 'i', 'l'].map((c) => c.charCodeAt(0)));

/** A byte a name in a package run may hold outside type arguments: ASCII, not NUL, not '/', no bracket. */
const RUN_BYTE = '[^\\0/\\[\\]\\x80-\\xff]';
/** A byte inside type arguments: ASCII, not NUL, no bracket ('/' and '.' of other packages are fine there). */
const ARGUMENT_BYTE = '[^\\0\\[\\]\\x80-\\xff]';
/** Balanced type arguments nested up to three deep ("[go.shape.struct { a [4]int; b map[k]v }]"); deeper ones end a run. */
const TYPE_ARGUMENTS = [1, 2, 3].reduce((inner) => `\\[(?:${ARGUMENT_BYTE}${inner === '' ? '' : `|${inner}`})*\\]`, '');
/**
 * The rest of a name in a run, with its NUL: its first byte neither '_'
 * (cgo's stubs and exports) nor a bracket, so the rest is never empty once
 * type arguments are taken out; no '/' outside type arguments (else the
 * package path would be longer); not a GCC clone's suffix (foo.cold, C's).
 * Written as bytes, then type arguments each followed by bytes: one way to
 * match a rest, which irregexp runs as fast as a rest of plain bytes.
 */
const RUN_REST = `(?!${CLONE_SUFFIX}\\0)[^\\0/\\[\\]_\\x80-\\xff]${RUN_BYTE}*(?:${TYPE_ARGUMENTS}${RUN_BYTE}*)*\\0`;
/**
 * Consecutive names of a name table (latin1 text, each name ending in a
 * NUL) that belong to one package, matched from a name's start (sticky):
 * group 1 is the first name's prefix, up to the first '.' after its last
 * '/' (the escaped package path), and every further name starts with it
 * and that '.' too. A name is in a run only when that cut says all that
 * splitFunctionName would: ASCII, no bracket in the prefix (type
 * arguments, whose '/' and '.' would mislead, are taken out first there),
 * not starting with '_', and a rest after the '.' as RUN_REST allows. Every
 * name of a run then has the run's package, or none when the prefix names
 * no package (generated names: isGeneratedName of the prefix), but for one
 * case the reader checks: a one-element package's name with type arguments
 * whose rest is a clone's suffix once they are taken out ("os.cold[x]").
 * A match costs time linear in its length (checked on hostile shapes); the
 * matching is native, where a loop per name ran in V8's cold tiers.
 */
export const PACKAGE_RUN = new RegExp(`(?!_)((?:${RUN_BYTE}*/)*[^\\0/.\\[\\]\\x80-\\xff]+)\\.${RUN_REST}(?:\\1\\.${RUN_REST})*`, 'y');
/** Characters no import path holds; seeing one means the name was not a Go function's. */
const NOT_IN_IMPORT_PATH = /[\s*()[\]{}"',;:\\<>|^`]/;
/** C-side cgo functions worth recording; crosscall2 among them proves nothing alone (purego defines one without cgo). */
export const CGO_RUNTIME_C_NAMES = new Set(['x_cgo_init', 'x_cgo_thread_start', 'crosscall1', '_cgo_sys_thread_start', 'crosscall2']);
/** Stubs cgo writes for its own helpers (C.GoString, C.CString, ...): Go code, not C functions the package chose to call. */
export const CGO_HELPERS = new Set(['GoString', 'GoStringN', 'GoBytes', 'CString', 'CBytes', '_CMalloc']);
/** Functions only runtime/cgo's C files define (crosscall2 is left out: purego defines one too). */
export const RUNTIME_CGO_C_NAMES = ['x_cgo_init', 'x_cgo_thread_start', '_cgo_sys_thread_start'];
/** The per-package C wrappers cgo writes: _cgo_<hash>_Cfunc_<name>. */
export const CGO_C_WRAPPER = /^_cgo_[0-9a-f]{12}_C2?func_/;

/**
 * Removes generic type arguments, `[...]` at any depth; undefined when the
 * brackets do not balance. Steps from bracket to bracket with the string's
 * native search and keeps the pieces outside them: a loop per character
 * (a one-character string and a concatenation each) cost a generic
 * instantiation's name ~15 us, the largest share of listing a Go binary's
 * packages.
 */
export function stripTypeArguments(name: string): string | undefined {
  let nextOpen = name.indexOf('[');
  let nextClose = name.indexOf(']');
  if (nextOpen < 0) return nextClose < 0 ? name : undefined;
  let out = '';
  // Start of the piece at depth 0 being read.
  let from = 0;
  let depth = 0;
  while (nextOpen >= 0 || nextClose >= 0) {
    if (nextOpen >= 0 && (nextClose < 0 || nextOpen < nextClose)) {
      if (depth === 0) out += name.slice(from, nextOpen);
      depth++;
      nextOpen = name.indexOf('[', nextOpen + 1);
    } else {
      if (--depth < 0) return undefined;
      if (depth === 0) from = nextClose + 1;
      nextClose = name.indexOf(']', nextClose + 1);
    }
  }
  return depth === 0 ? out + name.slice(from) : undefined;
}

/** Undoes the linker's %xx escapes (it escapes '.', '%', '"' and control bytes in the last path element); undefined when malformed. */
export function unescapePackagePath(path: string): string | undefined {
  if (!path.includes('%')) return path;
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const ch = path.charCodeAt(i);
    if (ch === 0x25) {
      const hex = path.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(path[i] as string, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The Go package a function name belongs to, and the rest of the name after
 * it, or undefined for names no Go package owns (compiler and linker
 * generated functions, C functions linked in with the Go code).
 */
export function splitFunctionName(name: string): { package: string; rest: string } | undefined {
  if (isGeneratedName(name)) return undefined;
  const plain = stripTypeArguments(name);
  if (plain === undefined) return undefined;
  // The package path ends at the first '.' after its last '/': dots in the last element are escaped.
  const slash = plain.lastIndexOf('/');
  const dot = plain.indexOf('.', slash + 1);
  if (dot <= 0) return undefined;
  const escaped = plain.slice(0, dot);
  const rest = plain.slice(dot + 1);
  if (rest.length === 0) return undefined;
  const path = packageOfPrefix(escaped);
  if (path === undefined) return undefined;
  // One-element names that are C's: GCC's clones (foo.cold).
  if (!path.includes('/') && CLONE_FIRST_LETTERS.has(rest.charCodeAt(0)) && C_CLONE_SUFFIX.test(rest)) return undefined;
  return { package: path, rest };
}

/**
 * The package a name's escaped prefix (before the '.' that ends it) names,
 * as far as the prefix alone decides: its import path, or undefined for a
 * prefix no Go package has, or a toolchain helper's (one element starting
 * with '_': __x86.get_pc_thunk.ax). splitFunctionName's rule for the
 * prefix, and the package of every name in a PACKAGE_RUN with that prefix.
 */
export function packageOfPrefix(escaped: string): string | undefined {
  const path = packagePathOf(escaped);
  return path === undefined || (path.startsWith('_') && !path.includes('/')) ? undefined : path;
}

/**
 * The checks that depend only on a name's package part, remembered: a
 * binary's tens of thousands of names share a few hundred packages, and
 * the regular expressions per name were most of the cost of listing them.
 */
const packagePaths = new Map<string, string | null>();
const MAX_REMEMBERED_PACKAGES = 20_000;

export function packagePathOf(escaped: string): string | undefined {
  let path = packagePaths.get(escaped);
  if (path === undefined) {
    // Nearly every prefix has no escape: one native match then decides what the steps below would.
    path = escaped.includes('%') ? packagePathByParts(escaped) : PLAIN_IMPORT_PATH.test(escaped) && !NOT_PACKAGES.has(escaped) ? escaped : null;
    if (packagePaths.size >= MAX_REMEMBERED_PACKAGES) packagePaths.clear();
    packagePaths.set(escaped, path);
  }
  return path ?? undefined;
}

/** A byte an import path element may start or end with (none of NOT_IN_IMPORT_PATH, no space, '"', '%', '/' or '.'). */
const PATH_EDGE = '[^\\s*()[\\]{}"\',;:\\\\<>|^`%/.]';
/** A byte inside an element: the same, and '.' too. */
const PATH_INNER = '[^\\s*()[\\]{}"\',;:\\\\<>|^`%/]';
/**
 * packagePathByParts for a prefix without '%' escapes, as one regular
 * expression: elements not empty, neither starting nor ending with '.', no
 * "..", none of the bytes no import path holds. (The steps one at a time,
 * cold, cost ~10 us a prefix, and kubectl has 1,200 of them.)
 */
const PLAIN_IMPORT_PATH = new RegExp(`^(?!.*\\.\\.)${PATH_EDGE}(?:${PATH_INNER}*${PATH_EDGE})?(?:/${PATH_EDGE}(?:${PATH_INNER}*${PATH_EDGE})?)*$`);

/** The import path a name's escaped prefix stands for, or null: the definition, step by step. */
export function packagePathByParts(escaped: string): string | null {
  const unescaped = NOT_IN_IMPORT_PATH.test(escaped) ? undefined : unescapePackagePath(escaped);
  return unescaped === undefined || NOT_PACKAGES.has(unescaped) || !isPlausibleImportPath(unescaped) ? null : unescaped;
}

/** Elements are non-empty, neither start nor end with '.', and hold no ".." (which only generated names have). */
function isPlausibleImportPath(path: string): boolean {
  if (path.startsWith('/') || path.endsWith('/')) return false;
  return path.split('/').every((e) => e.length > 0 && !e.startsWith('.') && !e.endsWith('.') && !e.includes('..') && !/[\s"%]/.test(e));
}

/** The package of a function name, or undefined when no Go package owns it. */
export function packageOfFunction(name: string): string | undefined {
  return splitFunctionName(name)?.package;
}

/**
 * The C function a cgo stub calls, with the package the stub belongs to:
 * `net._C2func_getaddrinfo` → {package: "net", cFunction: "getaddrinfo"}.
 * Exported Go functions (`_cgoexp_`) mark a cgo package too, with an empty cFunction.
 */
export function cgoCallOf(name: string): { package: string; cFunction: string } | undefined {
  const split = splitFunctionName(name);
  return split && cgoCallOfSplit(split);
}

export function cgoCallOfSplit(split: { package: string; rest: string }): { package: string; cFunction: string } | undefined {
  if (!split.rest.startsWith('_C')) return split.rest.startsWith('_cgoexp_') ? { package: split.package, cFunction: '' } : undefined;
  const stub = /^_C2?func_(.+)$/.exec(split.rest);
  if (stub) return { package: split.package, cFunction: stub[1] as string };
  if (split.rest.startsWith('_cgoexp_')) return { package: split.package, cFunction: '' };
  return undefined;
}
