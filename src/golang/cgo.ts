import type { ExecutableLayout } from '../binary/layout.js';
import type { CgoModule } from '../knowledge/cgo-modules.js';
import { settingValue } from './modinfo.js';
import { isStandardPackage, moduleOfPackage, type BuildModules } from './package-modules.js';
import { readGoPackages, type GoPackages } from './packages.js';
import type { GoCgo, GoInfo } from './types.js';

/**
 * Whether a Go binary really calls C, which packages do, and what to change
 * so it stops. Evidence, strongest first:
 * - cgo stubs in the function table, `<pkg>._Cfunc_<c>` / `<pkg>._C2func_<c>`:
 *   the package prefix names who calls C, and they survive stripping;
 * - runtime/cgo's C half (`x_cgo_init`, ...) in the function table (internal
 *   linking puts the C functions there) or in the symbol table;
 * - build settings, which only say what was allowed (CGO_ENABLED=1) or asked
 *   for (-tags netgo, osusergo; -ldflags -linkmode).
 * `crosscall2` alone proves nothing: purego defines one without cgo.
 */
export interface CgoAnalysis extends GoCgo {
  /** Which DNS resolver `net` has compiled in: 'cgo' when the libc one is there (getaddrinfo); null without net. */
  readonly resolver: 'cgo' | 'go' | null;
  /** How os/user looks users up: 'cgo' through libc (NSS), 'go' from /etc/passwd and /etc/group; null without os/user. */
  readonly userLookup: 'cgo' | 'go' | null;
  /** github.com/ebitengine/purego is compiled in: it loads C libraries at run time even with cgo off. */
  readonly purego: boolean;
  /** How the binary was linked: from -ldflags when recorded, else from where runtime/cgo's C code shows; null when unknown. */
  readonly linkmode: 'internal' | 'external' | null;
  /** One line per fact the verdict rests on, for people. */
  readonly evidence: readonly string[];
}

/** The build info facts the analysis uses: modules to attribute packages to, and the build settings. */
export interface CgoBuildFacts extends BuildModules {
  readonly settings: readonly { key: string; value: string }[];
}

/** A static musl link keeps the C code and still runs in an empty image. */
export const MUSL_STATIC_FIX =
  "link statically against musl: CC=musl-gcc go build -ldflags '-linkmode external -extldflags -static' (or use a base image with glibc)";
export const NETGO_FIX = 'build with -tags netgo (or CGO_ENABLED=0) to compile in the pure-Go DNS resolver';
export const OSUSERGO_FIX = 'build with -tags osusergo (or CGO_ENABLED=0) to read /etc/passwd and /etc/group in Go';
export const PLUGIN_FIX = 'plugin loads .so files through the C dynamic loader: there is no static route; ship a base image with libc and the plugins';
/** The module "path" standard packages are attributed to, as `go list -m` names it. */
export const STD_MODULE = 'std';

const PUREGO = 'github.com/ebitengine/purego';
/** Functions only runtime/cgo's C files define. */
const RUNTIME_CGO_C = ['x_cgo_init', 'x_cgo_thread_start', '_cgo_sys_thread_start'];

function hasPackage(packages: GoPackages, prefix: string): boolean {
  return packages.packages.some((p) => p === prefix || p.startsWith(`${prefix}/`));
}

/** The build tags recorded in `-tags` (comma separated since Go 1.18; spaces before). */
export function buildTags(settings: readonly { key: string; value: string }[]): string[] {
  const value = settingValue(settings, '-tags');
  return value ? value.split(/[,\s]+/).filter((t) => t.length > 0) : [];
}

/** The -linkmode given in the recorded -ldflags, if any ('auto' counts as none). */
export function linkmodeFromLdflags(settings: readonly { key: string; value: string }[]): 'internal' | 'external' | undefined {
  const ldflags = settingValue(settings, '-ldflags');
  if (!ldflags) return undefined;
  const match = /(?:^|\s)--?linkmode(?:=|\s+)['"]?(internal|external)\b/.exec(ldflags);
  return match ? (match[1] as 'internal' | 'external') : undefined;
}

/** The fix for one package that calls C; `known`: its entry in the table of modules known to call C, if any. */
function fixFor(pkg: string, known: CgoModule | undefined): string {
  if (pkg === 'net') return NETGO_FIX;
  if (pkg === 'os/user') return OSUSERGO_FIX;
  if (pkg === 'plugin') return PLUGIN_FIX;
  if (known && known.replacements.length > 0) {
    const [first, ...others] = known.replacements;
    const alternatives = others.length > 0 ? ` (or ${others.join(', ')})` : '';
    return `replace ${known.module} with ${first}${alternatives}: ${known.note}`;
  }
  if (known) return `${MUSL_STATIC_FIX}; ${known.module} has no pure-Go replacement (${known.note})`;
  return MUSL_STATIC_FIX;
}

/**
 * Analyses cgo use from the function names already read into `packages`,
 * the symbol table (when the file has one) and the build info's modules and
 * settings (when present). Never reads the function table again.
 */
export async function analyseCgo(layout: ExecutableLayout, packages: GoPackages, build?: CgoBuildFacts | null): Promise<CgoAnalysis> {
  const evidence: string[] = [];
  const settings = build?.settings ?? [];

  const callers = Object.keys(packages.cgoCalls).sort();
  for (const pkg of callers) {
    const calls = packages.cgoCalls[pkg] ?? [];
    evidence.push(calls.length > 0 ? `${pkg} calls C through cgo: ${calls.join(', ')}` : `${pkg} uses cgo (its helpers or exports to C)`);
  }

  const cSideInTable = packages.cgoRuntimeNames.filter((n) => RUNTIME_CGO_C.includes(n) || n.startsWith('_cgo_<'));
  if (cSideInTable.length > 0) evidence.push(`runtime/cgo's C code is in the function table (${cSideInTable.join(', ')}): linked internally`);
  let cSideSymbol = false;
  // Symbol lookups scan the whole symbol table, megabytes in a big binary:
  // only ask when the function table shows runtime/cgo, without which the
  // Go toolchain links no x_cgo_init.
  const runtimeCgoPackage = packages.packages.includes('runtime/cgo');
  if (runtimeCgoPackage && cSideInTable.length === 0 && (await layout.findSymbol('x_cgo_init'))) {
    cSideSymbol = true;
    evidence.push('symbol x_cgo_init: runtime/cgo\'s C code is linked in');
  }
  const runtimeCgo = runtimeCgoPackage || cSideInTable.length > 0 || cSideSymbol;
  if (runtimeCgoPackage && cSideInTable.length === 0) evidence.push('package runtime/cgo is compiled in');

  const purego = hasPackage(packages, PUREGO);
  if (purego) {
    evidence.push(`${PUREGO} is compiled in: it loads C libraries (libc, .so files) at run time even with CGO_ENABLED=0`);
  }
  const crosscall2 =
    packages.cgoRuntimeNames.includes('crosscall2') || (purego && !runtimeCgoPackage && (await layout.findSymbol('crosscall2')) !== undefined);
  if (crosscall2 && !runtimeCgo) evidence.push('crosscall2 without runtime/cgo: a cgo shim such as purego\'s, not cgo itself');

  const cgoEnabled = settingValue(settings, 'CGO_ENABLED');
  if (cgoEnabled !== undefined) {
    evidence.push(cgoEnabled === '1' ? 'built with CGO_ENABLED=1 (cgo allowed, which alone does not mean used)' : `built with CGO_ENABLED=${cgoEnabled}`);
  }
  const tags = buildTags(settings);
  for (const tag of ['netgo', 'osusergo'].filter((t) => tags.includes(t))) evidence.push(`built with -tags ${tag}`);

  const used = callers.length > 0 || runtimeCgo;

  const explicitLinkmode = linkmodeFromLdflags(settings);
  let linkmode: CgoAnalysis['linkmode'];
  if (explicitLinkmode) {
    linkmode = explicitLinkmode;
    evidence.push(`-ldflags asks for -linkmode ${explicitLinkmode}`);
  } else if (packages.functionCount === 0) {
    linkmode = null;
  } else if (runtimeCgo) {
    // The Go linker lists the host objects it links itself; after an external link they are not in its table.
    linkmode = cSideInTable.length > 0 ? 'internal' : 'external';
    if (linkmode === 'external') evidence.push('runtime/cgo\'s C code is not in the function table: linked externally');
  } else {
    linkmode = 'internal';
  }

  const modules: BuildModules = { main: build?.main ?? null, deps: build?.deps ?? [] };
  const cCallers = callers.filter((p) => p !== 'runtime/cgo');
  const culprits: { package: string; module: string; fix: string }[] = [];
  if (cCallers.length > 0) {
    // The table of modules known to call C is loaded when a package does: a binary without cgo (most) never looks.
    const { findCgoModule } = await import('../knowledge/cgo-modules.js');
    for (const pkg of cCallers) {
      // The package looked up once: for its module when the build info does not say, and for its fix.
      const listed = findCgoModule(pkg);
      const module = isStandardPackage(pkg, modules) ? STD_MODULE : (packages.modules[pkg] ?? moduleOfPackage(pkg, modules) ?? listed?.module ?? '');
      const known = listed ?? (module !== '' && module !== STD_MODULE ? findCgoModule(module) : undefined);
      culprits.push({ package: pkg, module, fix: fixFor(pkg, known) });
    }
  }
  if (used && culprits.length === 0) {
    // runtime/cgo with no caller of C: something imports it (or has `import "C"` without calls).
    culprits.push({ package: 'runtime/cgo', module: STD_MODULE, fix: `build with CGO_ENABLED=0, or ${MUSL_STATIC_FIX}` });
  }

  const cgoPackages = [...new Set([...callers, ...(runtimeCgo ? ['runtime/cgo'] : [])])].sort();
  const net = packages.packages.includes('net');
  const osUser = packages.packages.includes('os/user');
  return {
    used,
    packages: cgoPackages,
    culprits,
    resolver: net ? (packages.cgoCalls['net'] !== undefined ? 'cgo' : 'go') : null,
    userLookup: osUser ? (packages.cgoCalls['os/user'] !== undefined ? 'cgo' : 'go') : null,
    purego,
    linkmode,
    evidence,
  };
}

/**
 * Fills `packages` and `cgo` of a GoInfo (readGoInfo leaves them null) from
 * the binary's function table; unchanged when the file has no pclntab.
 */
export async function withPackagesAndCgo(layout: ExecutableLayout, info: GoInfo): Promise<GoInfo> {
  const packages = await readGoPackages(layout, info);
  if (!packages) return info;
  const cgo = await analyseCgo(layout, packages, info);
  return { ...info, packages: packages.packages, cgo: { used: cgo.used, packages: cgo.packages, culprits: cgo.culprits } };
}
