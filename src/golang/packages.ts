import type { ExecutableLayout } from '../binary/layout.js';
import { nameAt, nameEnd, readFunctionNames, type FunctionNameSink, type NameChunk } from './funcnames.js';
import { NO_UNIT_GIVEN, type FunctionCursor } from './functab.js';
import { CGO_C_WRAPPER, CGO_HELPERS, CGO_RUNTIME_C_NAMES, PACKAGE_RUN, RUNTIME_CGO_C_NAMES, cgoCallOfSplit, isGeneratedName, packageOfPrefix, splitFunctionName } from './function-name.js';
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
  /** How many of the functab's functions the names accounted for (before Go 1.16: how many names). */
  readonly functionCount: number;
}

/** What the names of one package said: in which compilation units their code sits. */
interface PackageNames {
  /** Some of its names are outside every unit (every name, before Go 1.16). */
  outsideUnits: boolean;
  /** Compilation unit → how many functab functions of the package it holds (0: only names inlined there). */
  readonly units: Map<number, number>;
}

/** What a run's package prefix (as written, escaped) says, remembered for the runs that share it. */
interface PrefixFacts {
  /** The package names with this prefix belong to, or null (generated names, C's, not a path). */
  readonly owner: string | null;
  /** A one-element package path: its names with type arguments may be C's clones (see PACKAGE_RUN). */
  readonly oneElement: boolean;
  /** The package's entry (shared by every prefix that unescapes to the same path), made at its first name. */
  entry?: PackageNames;
  /** The wanted names in this package, each with its NUL (searched for in the package's runs), or undefined for none. */
  readonly wanted: readonly string[] | undefined;
}

const MAX_REMEMBERED_PREFIXES = 20_000;

/** Adds a package's functions in one unit (NO_UNIT_GIVEN: outside every unit). */
function countUnit(entry: PackageNames, unit: number, functions: number): void {
  if (unit === NO_UNIT_GIVEN) entry.outsideUnits = true;
  else entry.units.set(unit, (entry.units.get(unit) ?? 0) + functions);
}

/**
 * Accumulates what a binary's function names say; `result` sorts and
 * classifies. `add` takes one name, and is the definition; readers give it
 * the name table a chunk at a time (`chunk`), where the names of one
 * package in a row are taken as one run (PACKAGE_RUN) and only the other
 * names one by one, with the same result.
 *
 * Names come with the compilation unit of their code where the table
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
export class PackageCollector implements FunctionNameSink {
  private readonly names = new Map<string, PackageNames>();
  private readonly calls = new Map<string, Set<string>>();
  private readonly cgoRuntime = new Set<string>();
  private readonly found = new Set<string>();
  private count = 0;
  /** The wanted names by package, each with its NUL: every name of a run has its run's package. */
  private readonly wantedByPackage = new Map<string, string[]>();
  private readonly prefixes = new Map<string, PrefixFacts>();
  /** Every wanted name with its NUL, when one is generated-looking (no package owns it): then every run is searched for them all. */
  private readonly wantedInEveryRun: readonly string[] | undefined;
  /** The package the functions `countFunctions` is given belong to (undefined: none). */
  private current: PackageNames | undefined;
  private readonly countFunctions = (unit: number, functions: number): void => {
    this.count += functions;
    if (this.current !== undefined) countUnit(this.current, unit, functions);
  };

  constructor(private readonly wanted: ReadonlySet<string> = new Set()) {
    this.wantedInEveryRun = [...wanted].some((name) => isGeneratedName(name)) ? [...wanted].map((name) => `${name}\0`) : undefined;
    for (const name of wanted) {
      const split = splitFunctionName(name);
      if (!split) continue;
      const names = this.wantedByPackage.get(split.package);
      if (names === undefined) this.wantedByPackage.set(split.package, [`${name}\0`]);
      else names.push(`${name}\0`);
    }
  }

  /** Which of the wanted names were seen. */
  get functions(): ReadonlySet<string> {
    return this.found;
  }

  /**
   * One name, with the unit of its code (none: outside every unit, or not
   * known) and how many of the functab's functions it names (0 for a name
   * only inlined).
   */
  add(name: string, cu?: number, functions = 1): void {
    this.current = this.classify(name);
    this.countFunctions(cu ?? NO_UNIT_GIVEN, functions);
  }

  name(name: string): void {
    this.add(name);
  }

  /**
   * Every name of a chunk of the name table, in order, with the result of
   * `add` for each: a run of one package's names (PACKAGE_RUN) is one
   * native match, its functions' units counted from `functions`; a name
   * that is not in a run goes through `classify` on its own.
   */
  chunk(chunk: NameChunk, functions: FunctionCursor): void {
    const { text, base } = chunk;
    const run = PACKAGE_RUN;
    // The next '[' at or after the run being looked at: names come in order, so the search only moves forward.
    let nextBracket = -1;
    for (let at = 0; at < text.length; ) {
      if (text.charCodeAt(at) === 0) {
        at++;
        continue;
      }
      run.lastIndex = at;
      const match = run.exec(text);
      if (match === null) {
        at = this.addOne(chunk, functions, at);
        continue;
      }
      const key = match[1] as string;
      const facts = this.prefixes.get(key) ?? this.prefixFacts(key);
      const end = run.lastIndex;
      if (facts.oneElement) {
        if (nextBracket < at) nextBracket = text.indexOf('[', at) >>> 0;
        if (nextBracket < end) {
          // Type arguments in a one-element package's run: each name on its own (see PACKAGE_RUN).
          while (at < end) at = this.addOne(chunk, functions, at);
          continue;
        }
      }
      const wanted = this.wantedInEveryRun ?? facts.wanted;
      if (wanted !== undefined) this.findWanted(text, at, end, wanted);
      this.current = facts.owner === null ? undefined : (facts.entry ??= this.entryOf(facts.owner));
      functions.take(base + at, base + end, this.countFunctions);
      at = end;
    }
  }

  /** The name at text[at] through `classify` on its own, with its functions; returns where the next name starts. */
  private addOne(chunk: NameChunk, functions: FunctionCursor, at: number): number {
    const { text, base } = chunk;
    const end = nameEnd(text, at);
    this.current = this.classify(nameAt(chunk, at, end));
    functions.take(base + at, base + end + 1, this.countFunctions);
    return end + 1;
  }

  /**
   * Which of `names` (wanted names, each with its NUL) are names of the run
   * text[start, end): a native search each, where a look at every
   * name of the run (crypto/tls, net, os and time have wanted names) was a
   * loop and a string per name.
   */
  private findWanted(text: string, start: number, end: number, names: readonly string[]): void {
    const run = text.slice(start, end);
    for (const name of names) {
      // A match counts where a name starts: at the run's start or after a NUL.
      for (let at = run.indexOf(name); at >= 0; at = run.indexOf(name, at + 1)) {
        if (at === 0 || run.charCodeAt(at - 1) === 0) {
          this.found.add(name.slice(0, -1));
          break;
        }
      }
    }
  }

  /** What one name says, but for its functions: the package it adds to, if any. */
  private classify(name: string): PackageNames | undefined {
    if (this.wanted.has(name)) this.found.add(name);
    if (CGO_RUNTIME_C_NAMES.has(name) || (name.startsWith('_cgo_') && CGO_C_WRAPPER.test(name))) {
      // Keep the set small: one wrapper stands for them all.
      this.cgoRuntime.add(CGO_C_WRAPPER.test(name) ? '_cgo_<hash>_Cfunc_*' : name);
      return undefined;
    }
    const split = splitFunctionName(name);
    if (!split) return undefined;
    const call = cgoCallOfSplit(split);
    if (call) {
      let set = this.calls.get(call.package);
      if (!set) this.calls.set(call.package, (set = new Set()));
      if (call.cFunction !== '' && !CGO_HELPERS.has(call.cFunction)) set.add(call.cFunction);
    }
    return this.entryOf(split.package);
  }

  /**
   * A run prefix's package, as splitFunctionName gives it for every name of
   * the run: a generated name's prefix starts with its marker (the marker
   * holds no '/', so a prefix that goes past a '/' holds all of it).
   */
  private prefixFacts(key: string): PrefixFacts {
    const owner = isGeneratedName(`${key}.`) ? null : (packageOfPrefix(key) ?? null);
    const oneElement = owner !== null && !owner.includes('/');
    const facts: PrefixFacts = { owner, oneElement, wanted: owner === null ? undefined : this.wantedByPackage.get(owner) };
    if (this.prefixes.size >= MAX_REMEMBERED_PREFIXES) this.prefixes.clear();
    this.prefixes.set(key, facts);
    return facts;
  }

  private entryOf(pkg: string): PackageNames {
    let entry = this.names.get(pkg);
    if (!entry) this.names.set(pkg, (entry = { outsideUnits: false, units: new Map() }));
    return entry;
  }

  /** Units whose functions are mostly the runtime's: the functions named after other packages there are the runtime's own. */
  private runtimeUnits(): Set<number> {
    const best = new Map<number, { pkg: string; count: number }>();
    // forEach, not for-of over entries: V8 runs this cold, where each [key, value] pair is an array to make and take apart.
    this.names.forEach((entry, pkg) => {
      entry.units.forEach((count, unit) => {
        const current = best.get(unit);
        if (!current || count > current.count) best.set(unit, { pkg, count });
      });
    });
    return new Set([...best].filter(([, b]) => b.pkg === 'runtime').map(([unit]) => unit));
  }

  /** A standard package known only by functions inside the runtime's units: named by the runtime, not compiled in. */
  private onlyNamedByRuntime(pkg: string, entry: PackageNames, runtimeUnits: Set<number>): boolean {
    if (pkg === 'runtime' || entry.outsideUnits || entry.units.size === 0) return false;
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
  await readFunctionNames(layout, pcln, collector);
  return collector.result(buildModules);
}
