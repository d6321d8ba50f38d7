import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { runGoCommand } from '../analysis/go-command.js';
import { analyseGoSource, type GoSourceAnalysis } from '../analysis/go-source.js';
import { InputError, UsageError } from '../errors.js';
import { NO_PROGRESS, type Progress } from '../cli/progress.js';
import type { Platform } from '../image/types.js';
import { hostPlatform, platformText } from '../image/platform.js';

/**
 * `fromscratch build ./dir`: the person's own Go toolchain builds the
 * program once per platform (CGO_ENABLED=0, -trimpath), into the build's
 * temp directory; the binaries then go through the same inspect → plan →
 * image path as binaries given on the command line. When the source really
 * needs cgo (a non-standard package with C files), `--cgo` decides how.
 */

/** off: CGO_ENABLED=0 anyway; musl: static link against musl; libraries: glibc, dynamic, closure packed. */
export type CgoStrategy = 'off' | 'musl' | 'libraries';

export interface GoBuildOptions {
  /** Platforms to build for; default the host's. */
  readonly platforms?: readonly Platform[];
  /** How to build when cgo is really needed (default musl: a static binary that runs FROM scratch). */
  readonly cgo?: CgoStrategy;
  /** Where the binaries are written (a temp dir the caller removes). */
  readonly workDir: string;
  readonly timeoutMs?: number;
  /** Shows each platform's go build while it runs (a no-op off a terminal). */
  readonly progress?: Progress;
}

export interface GoBuiltBinary {
  readonly binary: string;
  readonly platform: Platform;
  /** How cgo was handled: "off" when the source does not need it. */
  readonly cgo: CgoStrategy;
  /** What the person should know (what --cgo off leaves out). */
  readonly notes: readonly string[];
}

const BUILD_TIMEOUT_MS = 15 * 60_000;
const MAX_OUTPUT = 16 << 20;
const MUSL_GCC = 'musl-gcc';

/** `--platform os/arch[/variant]`: only Linux platforms (the image runs Linux binaries). */
export function parseBuildPlatform(text: string): Platform {
  const parts = text.split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || (parts.length === 3 && !variant)) {
    throw new UsageError(`--platform ${JSON.stringify(text)}: expected os/arch[/variant], like linux/arm64`);
  }
  if (os !== 'linux') throw new UsageError(`--platform ${text}: images hold Linux binaries; the os must be linux`);
  if (architecture === 'arm' && variant !== undefined && !/^v[5-7]$/.test(variant)) throw new UsageError(`--platform ${text}: arm variants are v5, v6 and v7`);
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

/** Builds the main package in `dir` once per platform; the binaries are named after the package. */
export async function buildGoSource(dir: string, options: GoBuildOptions): Promise<GoBuiltBinary[]> {
  const analysis = await analyseGoSource(dir);
  const platforms = options.platforms !== undefined && options.platforms.length > 0 ? options.platforms : [hostPlatform()];
  const needsCgo = analysis.culprits.length > 0;
  const strategy: CgoStrategy = needsCgo ? (options.cgo ?? 'musl') : 'off';
  const ignored = !needsCgo && options.cgo !== undefined && options.cgo !== 'off';
  const notes = needsCgo
    ? cgoNotes(analysis, strategy)
    : ignored
      ? [`--cgo ${options.cgo} not used: no package outside the standard library calls C, so it is built with CGO_ENABLED=0`]
      : [];
  const name = binaryName(analysis);
  const built: GoBuiltBinary[] = [];
  for (const platform of platforms) {
    const outDir = join(options.workDir, 'go', platformText(platform).replaceAll('/', '-'));
    await mkdir(outDir, { recursive: true });
    const binary = join(outDir, name);
    const task = (options.progress ?? NO_PROGRESS).task(`go build ${dir} for ${platformText(platform)}`);
    await goBuild(dir, analysis, platform, strategy, binary, options.timeoutMs ?? BUILD_TIMEOUT_MS).catch((e: unknown) => {
      // With cgo turned off, say why the build broke, not only what go said.
      if (needsCgo && strategy === 'off' && e instanceof InputError) throw new InputError(e.code, `${e.message} (${notes.join('; ')})`);
      throw e;
    });
    task.finish(strategy === 'off' ? 'built' : `built with cgo (${strategy})`);
    built.push({ binary, platform, cgo: strategy, notes });
  }
  return built;
}

/** `go build`'s own default name: the last element of the import path, without a /vN major-version suffix. */
function binaryName(analysis: GoSourceAnalysis): string {
  const parts = analysis.mainPackage.split('/').filter((p) => p !== '');
  let last = parts.pop() ?? 'app';
  if (/^v\d+$/.test(last) && parts.length > 0) last = parts.pop() ?? last;
  return last === 'command-line-arguments' ? posix.basename(analysis.dir) : last;
}

function cgoNotes(analysis: GoSourceAnalysis, strategy: CgoStrategy): string[] {
  const culprits = analysis.culprits.map((c) => c.package).join(', ');
  switch (strategy) {
    case 'off':
      return [
        `--cgo off: ${culprits} call C; built with CGO_ENABLED=0 their C code is left out, so they fail to build or fail when called (${analysis.culprits[0]?.fix ?? ''})`,
      ];
    case 'musl':
      return [`cgo needed by ${culprits}: linked statically against musl (--cgo musl)`];
    case 'libraries':
      return [`cgo needed by ${culprits}: linked dynamically against the C library, whose closure goes in the image (--cgo libraries)`];
  }
}

async function goBuild(dir: string, analysis: GoSourceAnalysis, platform: Platform, strategy: CgoStrategy, output: string, timeoutMs: number): Promise<void> {
  const cgo = strategy !== 'off';
  const host = hostPlatform();
  const cross = platform.architecture !== host.architecture;
  if (cgo && cross && process.env.CC === undefined) {
    throw new UsageError(
      `${dir}: cgo for ${platformText(platform)} needs a C cross compiler for that architecture: set CC, or use --cgo off`,
    );
  }
  if (strategy === 'musl' && process.env.CC === undefined && !onPath(MUSL_GCC)) {
    throw new InputError('not-found', `${dir}: --cgo musl needs ${MUSL_GCC} (Debian: musl-tools); or use --cgo libraries or --cgo off`);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOOS: platform.os,
    GOARCH: platform.architecture,
    CGO_ENABLED: cgo ? '1' : '0',
    ...(platform.architecture === 'arm' ? { GOARM: (platform.variant ?? 'v7').slice(1) } : {}),
    ...(strategy === 'musl' && process.env.CC === undefined ? { CC: MUSL_GCC } : {}),
  };
  const args = ['build', '-trimpath', '-o', output];
  if (strategy === 'musl') args.push('-ldflags=-linkmode external -extldflags -static');
  args.push(analysis.mainPackageDir === '.' ? '.' : `./${analysis.mainPackageDir}`);
  const cwd = analysis.moduleDir ?? analysis.dir;
  await runGoCommand(analysis.goBinary, args, { cwd, env, timeoutMs, maxOutput: MAX_OUTPUT, where: dir, what: `go build for ${platformText(platform)}` });
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, command)));
}
