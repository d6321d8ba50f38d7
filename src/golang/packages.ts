import type { ExecutableLayout } from '../binary/layout.js';
import { forEachFunctionBatch, NO_UNIT_GIVEN, type FunctionNameBatch } from './funcnames.js';
import { CGO_C_WRAPPER, CGO_HELPERS, CGO_RUNTIME_C_NAMES, CLONE_FIRST_LETTERS, RUNTIME_CGO_C_NAMES, cgoCallOfSplit, isGeneratedName, packagePathOf, splitFunctionName, stripTypeArguments } from './function-name.js';
import { findPclntab, type PclntabInfo } from './pclntab.js';
import { looksStandard, moduleOfPackage, type BuildModules } from './package-modules.js';

/**
 * Which Go packages a binary has code from, read off its function names.
 * The linker drops every function nothing reaches, so this is the set of
 * packages that left code behind: a subset of `go list -deps` for the same
 * build. A package whose code was all inlined still shows, by the names of
 * the inlined functions, unless the inlining left no trace (a constant
 * folded away) or went only into the runtime (see PackageCollector). It
 * also notes, on the same pass, which packages call C (their `_Cfunc_`
 * stubs) for the cgo analysis.
 */
export interface GoPackages {
  /** Every package with code in the binary, sorted; the main package is "main". */
  readonly packages: readonly string[];
  /** The standard library's share of `packages`. */
  readonly stdlib: readonly string[];
  /** Each other package's module (longest module path prefix among the build info's main module and deps; "main" → the main module). */
  readonly modules: Readonly<Record<string, string>>;
  /** Each package that uses cgo → the C functions it calls (from `_Cfunc_`/`_C2func_` stubs, cgo's own helpers left out), sorted. */
  readonly cgoCalls: Readonly<Record<string, readonly string[]>>;
  /** C-side cgo runtime functions named in the table (internal linking lists host objects' functions there too). */
  readonly cgoRuntimeNames: readonly string[];
  /** How many names the table held (names may repeat). */
  readonly functionCount: number;
}

/**
 * PackageCollector.plainNameDot for one name on its own (no search
 * positions to keep): where the wanted names are split into prefix and rest.
 */
function simpleNameDot(name: string): number {
  if (name.charCodeAt(0) === 0x5f || isGeneratedName(name)) return -1;
  if (name.includes('[') || name.includes(']')) return -1;
  const dot = name.indexOf('.', name.lastIndexOf('/') + 1);
  if (dot <= 0 || dot + 1 >= name.length || name.charCodeAt(dot + 1) === 0x5f) return -1;
  return dot;
}

/** What the names of one package said: how many, and in which compilation units their code sits. */
interface PackageNames {
  /** Names without a unit (every name, before Go 1.16). */
  withoutUnit: number;
  /** Compilation unit → how many of the package's functions it holds. */
  readonly units: Map<number, number>;
}

/** What a name's package prefix (as written, escaped) says, remembered for the names that share it. */
interface PrefixFacts {
  readonly key: string;
  /** The unescaped package path, or null when no Go package owns names with this prefix. */
  readonly path: string | null;
  /** One-element path (no '/'): C's clones and helpers look like these. */
  readonly oneElement: boolean;
  /** Null when the path is a toolchain helper's, not a package. */
  readonly owner: string | null;
  /** The package's counts (shared by every prefix that unescapes to the same path), made at its first name. */
  entry?: PackageNames;
  /** The rest of each wanted function name with this prefix. */
  readonly wanted: ReadonlySet<string> | undefined;
}

/** First index of `ch` at or after `from`, or the text's length. */
function indexOrEnd(text: string, ch: string, from: number): number {
  const i = text.indexOf(ch, from);
  return i < 0 ? text.length : i;
}

/** GCC's clone suffixes at `at`: a cheap test before the full one on a string of its own. */
const CLONE_START = /(?:cold|part|isra|constprop|lto_priv|localalias)/y;

/**
 * Whether the rest of a name with a one-element prefix, from `at`, may be a
 * GCC clone's suffix (foo.cold, foo.part.0): such a name is C's, and the
 * full test on the name as a string (add) decides.
 */
function mayBeCloneAt(text: string, at: number): boolean {
  if (!CLONE_FIRST_LETTERS.has(text.charCodeAt(at))) return false;
  CLONE_START.lastIndex = at;
  return CLONE_START.test(text);
}

const MAX_REMEMBERED_PREFIXES = 20_000;

/**
 * Prefixes addSpans compares a name with before splitting it: a function's
 * name and the names inlined into it alternate between a few packages, and
 * with the last four, 95% of real names match (one: 88%).
 */
const RECENT_PREFIXES = 4;

/**
 * Accumulates what a stream of function names says; `result` sorts and
 * classifies. Names arrive with their compilation unit where the table
 * records one (Go 1.16+), which tells the runtime's own functions from the
 * package they are named after: the runtime implements functions such as
 * `os/signal.signal_ignored` and `runtime/debug.SetTraceback` under other
 * packages' names (//go:linkname), and those packages are not compiled in
 * just because the runtime is. The price: a standard package whose only
 * code is inlined into the runtime is not listed either (the names cannot
 * tell it from those), which keeps the list a subset of `go list -deps`.
 *
 * It also notes which of `wanted` (whole function names, the need rules')
 * occur, on the same pass.
 */
export class PackageCollector {
  private readonly names = new Map<string, PackageNames>();
  private readonly calls = new Map<string, Set<string>>();
  private readonly cgoRuntime = new Set<string>();
  private readonly found = new Set<string>();
  private count = 0;
  /** Wanted names by package prefix, for addSpans; names of other shapes are only ever seen by add. */
  private readonly wantedByPrefix = new Map<string, Set<string>>();
  private readonly prefixes = new Map<string, PrefixFacts>();
  /** The last RECENT_PREFIXES prefixes found by splitting a name, newest first. */
  private readonly recent: PrefixFacts[] = [];
  // Where plainNameDot's next '/' and '.' are in `text`: names come in order, so every search moves forward.
  private text = '';
  private nextSlash = -1;
  private nextDot = -1;

  /** Whether a wanted name is itself generated-looking: then those names are checked as strings. */
  private readonly wantsGenerated: boolean;

  constructor(private readonly wanted: ReadonlySet<string> = new Set()) {
    this.wantsGenerated = [...wanted].some((name) => isGeneratedName(name));
    for (const name of wanted) {
      const dot = simpleNameDot(name);
      if (dot < 0) continue;
      const key = name.slice(0, dot);
      let rests = this.wantedByPrefix.get(key);
      if (!rests) this.wantedByPrefix.set(key, (rests = new Set()));
      rests.add(name.slice(dot + 1));
    }
  }

  /** Which of the wanted names were seen. */
  get functions(): ReadonlySet<string> {
    return this.found;
  }

  add(name: string, cu?: number): void {
    this.count++;
    if (this.wanted.has(name)) this.found.add(name);
    if (CGO_RUNTIME_C_NAMES.has(name) || (name.startsWith('_cgo_') && CGO_C_WRAPPER.test(name))) {
      // Keep the set small: one wrapper stands for them all.
      this.cgoRuntime.add(CGO_C_WRAPPER.test(name) ? '_cgo_<hash>_Cfunc_*' : name);
      return;
    }
    const split = splitFunctionName(name);
    if (!split) return;
    this.countName(this.entryOf(split.package), cu);
    const call = cgoCallOfSplit(split);
    if (call) {
      let set = this.calls.get(call.package);
      if (!set) this.calls.set(call.package, (set = new Set()));
      if (call.cFunction !== '' && !CGO_HELPERS.has(call.cFunction)) set.add(call.cFunction);
    }
  }

  /**
   * add(text.slice(start, end), cu) without making that string for the
   * common shapes (see addSpans): one name as a batch of one.
   */
  addSpan(text: string, start: number, end: number, cu?: number): void {
    const one = Int32Array.of(start, end, cu ?? NO_UNIT_GIVEN);
    this.addSpans({ text, count: 1, starts: one.subarray(0, 1), ends: one.subarray(1, 2), units: one.subarray(2, 3), inlined: new Uint8Array(1), hasUnits: cu !== undefined });
  }

  /**
   * add for every name of a batch, in order, with the same result, without
   * making a string per name for the common shapes: compiler-made names,
   * and "import/path.rest" (type arguments or not) whose prefix is compared
   * in place with the last few seen, or else found once by splitting the
   * name. The loop runs over local variables: a scan runs it in V8's
   * interpreter and baseline code, where each call and each property read
   * per name cost more than the compares themselves. Names of one package
   * in one unit in a row are counted as one run. Every other name goes
   * through add.
   */
  addSpans(batch: FunctionNameBatch): void {
    const { text, starts, ends, units, count } = batch;
    const recent = this.recent;
    if (text !== this.text) {
      this.text = text;
      this.nextSlash = this.nextDot = -1;
    }
    // Where the next '/', '[' and ']' are in text: names come in order, so every search moves forward.
    let nextSlash = -1;
    let nextOpen = -1;
    let nextClose = -1;
    let plain = 0;
    let run: PrefixFacts | undefined;
    let runUnit = NO_UNIT_GIVEN;
    let runLength = 0;
    for (let i = 0; i < count; i++) {
      const start = starts[i] as number;
      const end = ends[i] as number;
      const unit = units[i] as number;
      const first = text.charCodeAt(start);
      const generated = (first === 0x74 || first === 0x67) && isGeneratedName(text, start);
      if (generated && !this.wantsGenerated) {
        // What add does with a compiler-generated name: count it, nothing more.
        plain++;
        continue;
      }
      if (nextOpen < start) nextOpen = indexOrEnd(text, '[', start);
      if (nextClose < start) nextClose = indexOrEnd(text, ']', start);
      const generic = nextOpen < end || nextClose < end;
      let facts: PrefixFacts | undefined;
      let restAt = 0;
      if (first !== 0x5f && !generated) {
        for (let r = 0; r < recent.length; r++) {
          const candidate = recent[r] as PrefixFacts;
          const dot = start + candidate.key.length;
          if (dot >= end || text.charCodeAt(dot) !== 0x2e || !text.startsWith(candidate.key, start)) continue;
          // The prefix is the same only if no '/' follows: then that '.' is the first after the last '/'.
          if (nextSlash < dot) nextSlash = indexOrEnd(text, '/', dot);
          if (nextSlash < end) break;
          facts = candidate;
          restAt = dot + 1;
          break;
        }
        // A prefix not seen lately: split the name (without brackets, whose '/' and '.' would mislead).
        if (facts === undefined && !generic) {
          const dot = this.plainNameDot(text, start, end);
          if (dot >= 0) {
            const key = text.slice(start, dot);
            facts = this.prefixes.get(key) ?? this.prefixFacts(key);
            restAt = dot + 1;
            recent.unshift(facts);
            if (recent.length > RECENT_PREFIXES) recent.pop();
          }
        }
      }
      // Type arguments keep the prefix when they start after the rest's
      // first letter (no '/' follows the '.', checked above) and balance.
      // Checked on the name's own string: searching the chunk's text ran
      // past the name to the next bracket, and once V8 had optimised that
      // search, kubectl's names took several times longer.
      const plainShape =
        facts !== undefined &&
        restAt < end &&
        text.charCodeAt(restAt) !== 0x5f &&
        (!generic || (nextOpen > restAt && stripTypeArguments(text.slice(start, end)) !== undefined)) &&
        !(facts.oneElement && mayBeCloneAt(text, restAt));
      if (!plainShape || facts === undefined) {
        this.add(text.slice(start, end), unit === NO_UNIT_GIVEN ? undefined : unit);
        continue;
      }
      plain++;
      if (facts.wanted?.has(text.slice(restAt, end))) this.found.add(text.slice(start, end));
      if (facts.owner === null) continue;
      if (facts === run && unit === runUnit) {
        runLength++;
        continue;
      }
      if (run !== undefined) this.countNames((run.entry ??= this.entryOf(run.owner as string)), runUnit, runLength);
      run = facts;
      runUnit = unit;
      runLength = 1;
    }
    if (run !== undefined) this.countNames((run.entry ??= this.entryOf(run.owner as string)), runUnit, runLength);
    this.count += plain;
  }

  /**
   * The index of the '.' ending the package prefix of text[start, end) (a
   * name without brackets, checked by addSpans), or -1: the first '.' after
   * the last '/', with something before it.
   */
  private plainNameDot(text: string, start: number, end: number): number {
    if (this.nextSlash < start) this.nextSlash = indexOrEnd(text, '/', start);
    let slash = -1;
    while (this.nextSlash < end) {
      slash = this.nextSlash;
      this.nextSlash = indexOrEnd(text, '/', slash + 1);
    }
    const after = slash >= 0 ? slash + 1 : start;
    if (this.nextDot < after) this.nextDot = indexOrEnd(text, '.', after);
    const dot = this.nextDot;
    return dot > start && dot < end ? dot : -1;
  }

  private prefixFacts(key: string): PrefixFacts {
    const path = packagePathOf(key) ?? null;
    const oneElement = path !== null && !path.includes('/');
    // A one-element path starting with '_' is a toolchain helper's (__x86.get_pc_thunk.ax): no package.
    const owner = path !== null && !(oneElement && path.startsWith('_')) ? path : null;
    const facts: PrefixFacts = { key, path, oneElement, owner, wanted: this.wantedByPrefix.get(key) };
    if (this.prefixes.size >= MAX_REMEMBERED_PREFIXES) this.prefixes.clear();
    this.prefixes.set(key, facts);
    return facts;
  }

  private entryOf(pkg: string): PackageNames {
    let entry = this.names.get(pkg);
    if (!entry) this.names.set(pkg, (entry = { withoutUnit: 0, units: new Map() }));
    return entry;
  }

  private countName(entry: PackageNames, cu: number | undefined): void {
    this.countNames(entry, cu ?? NO_UNIT_GIVEN, 1);
  }

  private countNames(entry: PackageNames, unit: number, names: number): void {
    if (unit === NO_UNIT_GIVEN) entry.withoutUnit += names;
    else entry.units.set(unit, (entry.units.get(unit) ?? 0) + names);
  }

  /** Units whose functions are mostly the runtime's: the functions named after other packages there are the runtime's own. */
  private runtimeUnits(): Set<number> {
    const best = new Map<number, { pkg: string; count: number }>();
    for (const [pkg, entry] of this.names) {
      for (const [unit, count] of entry.units) {
        const current = best.get(unit);
        if (!current || count > current.count) best.set(unit, { pkg, count });
      }
    }
    return new Set([...best].filter(([, b]) => b.pkg === 'runtime').map(([unit]) => unit));
  }

  /** A standard package known only by functions inside the runtime's units: named by the runtime, not compiled in. */
  private onlyNamedByRuntime(pkg: string, entry: PackageNames, runtimeUnits: Set<number>): boolean {
    if (pkg === 'runtime' || entry.withoutUnit > 0 || entry.units.size === 0) return false;
    return [...entry.units.keys()].every((unit) => runtimeUnits.has(unit));
  }

  result(modules?: BuildModules | null): GoPackages {
    const runtimeUnits = this.runtimeUnits();
    // Each package's module looked up once (a walk over every dependency), for the standard test and the module map.
    const moduleOf = new Map<string, string | undefined>();
    const moduleFor = (pkg: string): string | undefined => {
      if (!modules) return undefined;
      if (!moduleOf.has(pkg)) moduleOf.set(pkg, moduleOfPackage(pkg, modules));
      return moduleOf.get(pkg);
    };
    const standard = (pkg: string): boolean => looksStandard(pkg) && moduleFor(pkg) === undefined;
    const found = [...this.names].filter(([pkg, entry]) => !(standard(pkg) && this.onlyNamedByRuntime(pkg, entry, runtimeUnits))).map(([pkg]) => pkg);
    // runtime/cgo had no Go functions before Go 1.21; its C half names it.
    if (RUNTIME_CGO_C_NAMES.some((n) => this.cgoRuntime.has(n)) && !found.includes('runtime/cgo')) found.push('runtime/cgo');
    const packages = found.sort();
    const stdlib = packages.filter(standard);
    const moduleMap: Record<string, string> = {};
    for (const p of packages) {
      const m = moduleFor(p);
      if (m !== undefined) moduleMap[p] = m;
    }
    const cgoCalls: Record<string, readonly string[]> = {};
    for (const p of [...this.calls.keys()].sort()) cgoCalls[p] = [...(this.calls.get(p) ?? [])].sort();
    return { packages, stdlib, modules: moduleMap, cgoCalls, cgoRuntimeNames: [...this.cgoRuntime].sort(), functionCount: this.count };
  }
}

/**
 * The packages compiled into a Go binary, from its pclntab's function names,
 * attributed to modules by `buildModules` (the build info's main module and
 * deps) when given. Null when the file has no pclntab (not Go). Reads only
 * the table, a chunk at a time.
 */
export async function readGoPackages(
  layout: ExecutableLayout,
  buildModules?: BuildModules | null,
  pclntab?: PclntabInfo,
): Promise<GoPackages | null> {
  const pcln = pclntab ?? (await findPclntab(layout));
  if (!pcln) return null;
  const collector = new PackageCollector();
  await forEachFunctionBatch(layout, pcln, (batch) => collector.addSpans(batch));
  return collector.result(buildModules);
}
