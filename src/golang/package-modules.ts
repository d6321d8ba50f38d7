import type { GoModule } from './types.js';

/** Modules to attribute packages to: the build info's main module and its dependencies. */
export interface BuildModules {
  readonly main: GoModule | null;
  readonly deps: readonly GoModule[];
}

/** True for standard library packages: the first path element has no dot (and the path belongs to no build-info module). */
export function isStandardPackage(path: string, modules?: BuildModules | null): boolean {
  // A module may be named without a dot ("myapp"): its packages are not the standard library's.
  return looksStandard(path) && (modules ? moduleOfPackage(path, modules) === undefined : true);
}

/** The path alone allows the standard library: not main, and no dot in the first element. */
export function looksStandard(path: string): boolean {
  if (path === 'main' || path === 'command-line-arguments') return false;
  // No '.' before the first '/' (or at all, for a one-element path).
  const dot = path.indexOf('.');
  if (dot < 0) return true;
  const slash = path.indexOf('/');
  return slash >= 0 && slash < dot;
}

/** The module path holding `pkg`: the longest module path that is the package or a parent of it; "main" belongs to the main module. */
export function moduleOfPackage(pkg: string, modules: BuildModules): string | undefined {
  if (pkg === 'main') return modules.main?.path || undefined;
  let paths = modulePaths.get(modules);
  if (paths === undefined) {
    paths = new Set([modules.main, ...modules.deps].flatMap((m) => (m && m.path !== '' ? [m.path] : [])));
    modulePaths.set(modules, paths);
  }
  // The package itself, then each parent, longest first: a look-up per path
  // element rather than a prefix test per module (kubectl: 776 packages, ~200 modules).
  for (let end = pkg.length; end > 0; end = pkg.lastIndexOf('/', end - 1)) {
    const candidate = end === pkg.length ? pkg : pkg.slice(0, end);
    if (paths.has(candidate)) return candidate;
  }
  return undefined;
}

/** Each module list's paths, made once per list. */
const modulePaths = new WeakMap<BuildModules, Set<string>>();
