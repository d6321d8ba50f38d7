/**
 * The parts of the fixture build that both the builder and the tests need:
 * where the repository is, which tools build the fixtures, and the cache key
 * that names one complete set of fixtures. The key covers everything that
 * changes the bytes built (sources, recipes, toolchain versions), so tests
 * can never pick up fixtures built from other sources.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CCompiler, GoToolchain } from './fixture-specs.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: this file lives in src/testing or dist/testing. */
export const REPO_ROOT = resolve(HERE, '..', '..');
export const FIXTURE_SOURCES = join(REPO_ROOT, 'fixtures');
export const FIXTURE_CACHE = join(REPO_ROOT, '.cache', 'fixtures');
export const GO_CACHE = join(REPO_ROOT, '.cache', 'go-build');
export const GO_PATH = join(REPO_ROOT, '.cache', 'gopath');

/**
 * The modules that make up the build recipe: a change to any of them can
 * change what is built, so their text is part of the key.
 */
const RECIPE_MODULES = ['build-fixtures', 'fixture-specs', 'fixture-key', 'process'] as const;

export function goBinary(toolchain: GoToolchain): string {
  if (toolchain === 'go1.23') return process.env.GO123 || '/usr/lib/go-1.23/bin/go';
  return process.env.GO119 || '/usr/lib/go-1.19/bin/go';
}

/**
 * The environment every fixture command runs in: only what the build needs,
 * so a developer's GOFLAGS, GOROOT, CC or locale cannot change the output.
 */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
  for (const name of ['HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

/** Go settings shared by every Go fixture build: offline, local toolchain, caches inside .cache/. */
export function goEnv(): Record<string, string> {
  return {
    ...baseEnv(),
    GOCACHE: GO_CACHE,
    GOPATH: GO_PATH,
    GOMODCACHE: join(GO_PATH, 'pkg', 'mod'),
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod',
    GOTOOLCHAIN: 'local',
    GOTELEMETRY: 'off',
    GOWORK: 'off',
    GOENV: 'off',
  };
}

export interface ToolVersions {
  'go1.23': string;
  'go1.19': string;
  gcc: string;
  'musl-gcc': string;
}

/** Thrown when a tool the fixtures need cannot be run. */
export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

function firstLine(file: string, args: string[], env: Record<string, string>): string {
  try {
    const out = execFileSync(file, args, { env, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return (out.split('\n')[0] ?? '').trim();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const detail = err.code === 'ENOENT' ? 'not found' : (err.stderr?.trim() || err.message);
    throw new MissingToolError(`fixtures: cannot run ${file} ${args.join(' ')}: ${detail}`);
  }
}

/** The version line of each tool that builds fixtures; throws MissingToolError when one is absent. */
export function toolVersions(): ToolVersions {
  const env = goEnv();
  const compilers: Record<CCompiler, string> = {
    gcc: firstLine('gcc', ['--version'], baseEnv()),
    'musl-gcc': firstLine('musl-gcc', ['--version'], baseEnv()),
  };
  return {
    'go1.23': firstLine(goBinary('go1.23'), ['version'], env),
    'go1.19': firstLine(goBinary('go1.19'), ['version'], env),
    ...compilers,
  };
}

/** Files under `dir`, as sorted paths relative to it, with '/' separators. */
export function listFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return found.sort();
}

export interface KeyInputs {
  /** Fixture source files: repo-relative path → contents. */
  sources: ReadonlyMap<string, Uint8Array>;
  /** The build recipe's own source text, by module name. */
  recipe: ReadonlyMap<string, Uint8Array>;
  tools: ToolVersions;
}

/** The cache key: sha256 over every input, each framed by its name and length so no two input sets collide. */
export function fixtureKey(inputs: KeyInputs): string {
  const hash = createHash('sha256');
  const add = (label: string, bytes: Uint8Array | string): void => {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    hash.update(`${label}\0${data.length}\0`);
    hash.update(data);
  };
  for (const name of [...inputs.sources.keys()].sort()) add(`source:${name}`, inputs.sources.get(name) ?? '');
  for (const name of [...inputs.recipe.keys()].sort()) add(`recipe:${name}`, inputs.recipe.get(name) ?? '');
  for (const [tool, version] of Object.entries(inputs.tools).sort()) add(`tool:${tool}`, version);
  return hash.digest('hex');
}

/** Gathers the key's inputs from disk and the installed tools. */
export function currentKeyInputs(): KeyInputs {
  const sources = new Map<string, Uint8Array>();
  for (const file of listFiles(FIXTURE_SOURCES)) sources.set(`fixtures/${file}`, readFileSync(join(FIXTURE_SOURCES, file)));
  // The recipe is hashed from its TypeScript source, not the compiled files
  // beside this module: dist/ is shared by everyone compiling in this
  // checkout, and a compile in progress must not change the key.
  const recipe = new Map<string, Uint8Array>();
  for (const module of RECIPE_MODULES) recipe.set(module, readFileSync(join(REPO_ROOT, 'src', 'testing', `${module}.ts`)));
  return { sources, recipe, tools: toolVersions() };
}

/** The key of the fixtures the current sources and tools produce. */
export function currentFixtureKey(): string {
  return fixtureKey(currentKeyInputs());
}

/** The directory that holds the complete fixture set for `key`. */
export function fixtureDir(key: string): string {
  return join(FIXTURE_CACHE, key);
}

export const COMPLETE_MARKER = '.complete';
export const MANIFEST_FILE = 'manifest.json';

/** How one fixture was built, as recorded in manifest.json. */
export interface FixtureRecord {
  /** The fixture's path relative to the fixture set's directory. */
  path: string;
  kind: 'go' | 'c';
  directory: boolean;
  /** Repo-relative directory of the sources. */
  source: string;
  /** 'go1.23', 'go1.19', 'gcc' or 'musl-gcc' (the compiler of the last step for C). */
  toolchain: string;
  /** The toolchain's version line, e.g. "go version go1.23.5 linux/amd64". */
  toolchainVersion: string;
  /** Environment set for the build beyond the shared settings (Go: CGO_ENABLED, GOOS, GOARCH, CC…). */
  env: Record<string, string>;
  /** For Go: the arguments given to `go build` besides -o and the package. */
  flags: string[];
  /** Each command as run; paths are relative to `cwd`, `cwd` is repo-relative or "." for the fixture set. */
  commands: { cwd: string; argv: string[] }[];
}

export interface FixtureManifest {
  key: string;
  /** The environment every Go build shares (caches shown repo-relative). */
  goEnv: Record<string, string>;
  tools: ToolVersions;
  /** Wall-clock seconds the fresh build took. */
  buildSeconds: number;
  fixtures: Record<string, FixtureRecord>;
}
