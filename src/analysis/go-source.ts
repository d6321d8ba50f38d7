import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError, FormatError } from '../errors.js';
import { oneLine, runGoCommand } from './go-command.js';
import { findCgoModule } from '../knowledge/cgo-modules.js';
import { RUNTIME_NEED_RULES } from '../knowledge/runtime-needs.js';
import { goRuntimeNeeds, type GoNeed } from './needs.js';

/**
 * What a Go source tree will need once built, asked of the person's own Go
 * toolchain (`go list -deps -json`), so build constraints, replace
 * directives and vendoring are resolved exactly as their build resolves
 * them. Nothing is built and nothing is downloaded (GOPROXY=off): a module
 * missing from the local cache is an error, not a fetch.
 */

export interface GoSourceOptions {
  /** The main package: a pattern relative to the directory ("./cmd/app") or an import path. Default: the one main package under it. */
  readonly package?: string;
  /** Build tags to list with (as `go build -tags`). */
  readonly tags?: readonly string[];
  /** The go command; default $GO123, then Debian's go1.23, then `go` on PATH. */
  readonly goBinary?: string;
  readonly timeoutMs?: number;
  /** Most bytes of `go list` output read; more is an error. */
  readonly maxOutputBytes?: number;
}

export interface GoCgoPackage {
  readonly package: string;
  /** Module path, or "std" for the standard library. */
  readonly module: string;
  readonly files: readonly string[];
}

export interface GoSourceAnalysis {
  /** The directory analysed (absolute). */
  readonly dir: string;
  /** The main module's directory and path; null outside a module. */
  readonly moduleDir: string | null;
  readonly modulePath: string | null;
  /** The main module's `go` line ("1.19"), or null. */
  readonly goVersion: string | null;
  /** The main package analysed (import path). */
  readonly mainPackage: string;
  /** Its directory relative to the module root ("." or "cmd/app"), for `go build ./cmd/app`. */
  readonly mainPackageDir: string;
  /** Every main package the pattern matched (several: the caller chose one with `package`). */
  readonly mainPackages: readonly string[];
  /** Import paths the main package depends on, itself included, sorted. */
  readonly packages: readonly string[];
  /** Packages with cgo files (listed with CGO_ENABLED=1): they call C whenever cgo is on. */
  readonly cgoPackages: readonly GoCgoPackage[];
  /** Non-standard cgo packages: these force cgo on (or need replacing); the standard ones have pure-Go twins. */
  readonly culprits: readonly { readonly package: string; readonly module: string; readonly fix: string }[];
  readonly needs: readonly GoNeed[];
  /** The go command used. */
  readonly goBinary: string;
}

interface ListedPackage {
  readonly ImportPath?: string;
  readonly Name?: string;
  readonly Dir?: string;
  readonly Standard?: boolean;
  readonly GoFiles?: readonly string[];
  readonly CgoFiles?: readonly string[];
  readonly Imports?: readonly string[];
  readonly DepOnly?: boolean;
  readonly Module?: { readonly Path?: string; readonly Main?: boolean; readonly Dir?: string; readonly GoVersion?: string };
  readonly Error?: { readonly Err?: string };
}

const LIST_FIELDS = 'ImportPath,Name,Dir,Standard,GoFiles,CgoFiles,Imports,DepOnly,Module,Error';
const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_OUTPUT = 64 << 20;
/** Source text read for the rules' patterns: enough for large programs, bounded for hostile trees. */
const MAX_SOURCE_FILE = 1 << 20;
const MAX_SOURCE_TOTAL = 32 << 20;
const DEBIAN_GO123 = '/usr/lib/go-1.23/bin/go';

/** The go command to run: an explicit one, $GO123, Debian's go1.23 package when installed, else `go` on PATH. */
export function defaultGoBinary(): string {
  const fromEnv = process.env.GO123;
  if (fromEnv) return fromEnv;
  return existsSync(DEBIAN_GO123) ? DEBIAN_GO123 : 'go';
}

/** Splits `go list -json` output, a stream of JSON objects one after another, into objects. */
export function splitJsonStream(text: string, where: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === '}') {
      if (--depth < 0) throw new FormatError('malformed', `${where}: go list output has an unbalanced "}"`);
      if (depth === 0) {
        try {
          values.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          throw new FormatError('malformed', `${where}: go list printed an object that is not JSON`);
        }
      }
    } else if (depth === 0 && ch !== undefined && !/\s/.test(ch)) {
      throw new FormatError('malformed', `${where}: go list printed "${ch}" between objects`);
    }
  }
  if (depth !== 0 || inString) throw new FormatError('truncated', `${where}: go list output ends inside an object`);
  return values;
}

/** The nearest directory at or above `dir` holding go.mod, or null. */
function findModuleRoot(dir: string): string | null {
  let current = dir;
  for (let i = 0; i < 256; i++) {
    if (existsSync(join(current, 'go.mod'))) return current;
    const parent = dirname(current);
    if (parent === current) return null;
    current = parent;
  }
  return null;
}

/**
 * The environment `go list` runs in: the person's, with the module cache
 * only (no network), the local toolchain only, cgo on so cgo files show,
 * and vendoring honoured when the module vendors.
 */
function listEnv(dir: string): NodeJS.ProcessEnv {
  const root = findModuleRoot(dir);
  const vendored = root !== null && existsSync(join(root, 'vendor', 'modules.txt'));
  return {
    ...process.env,
    GOFLAGS: vendored ? '-mod=vendor' : '-mod=mod',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '1',
  };
}

/** The import paths `main` reaches through Imports, itself included. */
function closureOf(main: string, byPath: ReadonlyMap<string, ListedPackage>): Set<string> {
  const seen = new Set<string>();
  const stack = [main];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const imported of byPath.get(path)?.Imports ?? []) if (!seen.has(imported)) stack.push(imported);
  }
  return seen;
}

/**
 * Matches the rules' source patterns against the Go files of the program's
 * non-standard packages (the standard library's use of LoadLocation and
 * friends shows in imports, or is the API itself). Returns, per need id, the
 * files that matched as "import/path: file.go".
 */
async function scanSources(packages: readonly ListedPackage[]): Promise<Map<GoNeed['id'], string[]>> {
  const rules = RUNTIME_NEED_RULES.filter((r) => r.sourcePatterns.length > 0);
  const matches = new Map<GoNeed['id'], string[]>();
  let budget = MAX_SOURCE_TOTAL;
  for (const pkg of packages) {
    if (pkg.Standard || !pkg.Dir) continue;
    for (const file of [...(pkg.GoFiles ?? []), ...(pkg.CgoFiles ?? [])]) {
      if (budget <= 0) return matches;
      const text = readBounded(join(pkg.Dir, file), Math.min(MAX_SOURCE_FILE, budget));
      budget -= text.length;
      for (const rule of rules) {
        if (!rule.sourcePatterns.some((p) => p.test(text))) continue;
        const list = matches.get(rule.id) ?? [];
        if (list.length < 8) list.push(`${pkg.ImportPath ?? pkg.Dir}: ${file}`);
        matches.set(rule.id, list);
      }
    }
  }
  return matches;
}

function readBounded(path: string, max: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const buffer = Buffer.alloc(max);
    const bytesRead = readSync(fd, buffer, 0, max, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function cgoFix(pkg: string, module: string): string {
  const known = findCgoModule(pkg) ?? findCgoModule(module);
  if (known && known.replacements.length > 0) return `replace ${known.module} with ${known.replacements.join(' or ')}: ${known.note}`;
  const why = known ? `; ${known.module} has no pure-Go replacement (${known.note})` : '';
  return `keep cgo and link statically against musl (CC=musl-gcc, -ldflags '-linkmode external -extldflags -static')${why}`;
}

/**
 * Lists the program in `dir` with the Go toolchain and reports its main
 * package, the packages that would call C, and its run-time needs at
 * package granularity. Throws InputError when the directory or the toolchain
 * is missing, or when go list reports a broken package.
 */
export async function analyseGoSource(dir: string, options: GoSourceOptions = {}): Promise<GoSourceAnalysis> {
  const absolute = resolve(dir);
  const info = statOrUndefined(absolute);
  if (!info) throw new InputError('not-found', `${dir}: no such directory`);
  if (!info.isDirectory()) throw new InputError('io', `${dir}: not a directory`);
  const goBinary = options.goBinary ?? defaultGoBinary();
  const args = ['list', '-e', '-deps', `-json=${LIST_FIELDS}`];
  if (options.tags && options.tags.length > 0) args.push('-tags', options.tags.join(','));
  args.push(options.package ?? './...');
  const output = await runGoCommand(goBinary, args, {
    cwd: absolute,
    env: listEnv(absolute),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxOutput: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
    where: dir,
    what: 'go list',
  });
  const listed = splitJsonStream(output, dir).filter((v): v is ListedPackage => typeof v === 'object' && v !== null && !Array.isArray(v));
  const byPath = new Map<string, ListedPackage>();
  for (const p of listed) if (p.ImportPath) byPath.set(p.ImportPath, p);

  const targets = listed.filter((p) => !p.DepOnly);
  const broken = targets.find((p) => p.Error?.Err);
  if (broken) throw new InputError('io', `${dir}: ${oneLine(broken.Error?.Err ?? '')}`);
  const mains = targets.filter((p) => p.Name === 'main').map((p) => p.ImportPath ?? '').filter((p) => p !== '');
  if (mains.length === 0) {
    throw new InputError('not-found', `${dir}: no main package${options.package ? ` matches ${options.package}` : ' here or below'} (go list found ${targets.length} package${targets.length === 1 ? '' : 's'})`);
  }
  if (mains.length > 1) {
    throw new InputError('io', `${dir}: ${mains.length} main packages (${mains.slice(0, 5).join(', ')}${mains.length > 5 ? ', ...' : ''}): choose one with --package`);
  }
  const mainPath = mains[0] as string;
  const main = byPath.get(mainPath) as ListedPackage;
  const closure = closureOf(mainPath, byPath);
  const inClosure = listed.filter((p) => p.ImportPath !== undefined && closure.has(p.ImportPath));
  const depError = inClosure.find((p) => p.Error?.Err);
  if (depError) throw new InputError('io', `${dir}: ${depError.ImportPath ?? 'a dependency'}: ${oneLine(depError.Error?.Err ?? '')}`);

  const moduleOf = (p: ListedPackage): string => (p.Standard ? 'std' : (p.Module?.Path ?? ''));
  const cgoPackages = inClosure
    .filter((p) => (p.CgoFiles?.length ?? 0) > 0)
    .map((p) => ({ package: p.ImportPath as string, module: moduleOf(p), files: [...(p.CgoFiles ?? [])] }))
    .sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
  const culprits = cgoPackages.filter((c) => c.module !== 'std').map((c) => ({ package: c.package, module: c.module, fix: cgoFix(c.package, c.module) }));

  const packageSet = new Set(closure);
  const sourceMatches = await scanSources(inClosure);
  const goVersion = main.Module?.GoVersion ?? null;
  const needs = goRuntimeNeeds({
    packages: packageSet,
    functions: null,
    settings: options.tags && options.tags.length > 0 ? [{ key: '-tags', value: options.tags.join(',') }] : [],
    goVersion: goVersion ? `go${goVersion}` : null,
    // With cgo on, net and os/user would use libc; the Dockerfile turns cgo off or adds netgo/osusergo.
    cgo: {
      resolver: packageSet.has('net') ? 'cgo' : null,
      userLookup: packageSet.has('os/user') ? 'cgo' : null,
    },
    mentions: { has: () => false },
    sourceMatches,
  });

  const moduleDir = main.Module?.Dir ?? findModuleRoot(absolute);
  const mainDir = main.Dir ?? absolute;
  const rel = moduleDir ? relative(moduleDir, mainDir) : '';
  return {
    dir: absolute,
    moduleDir,
    modulePath: main.Module?.Path ?? null,
    goVersion,
    mainPackage: mainPath,
    mainPackageDir: rel === '' ? '.' : rel,
    mainPackages: mains,
    packages: [...closure].sort(),
    cgoPackages,
    culprits,
    needs,
    goBinary,
  };
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
