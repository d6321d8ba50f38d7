import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspectFile } from '../analysis/inspect.js';
import type { InspectReport } from '../analysis/report.js';
import { InputError, UsageError } from '../errors.js';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { formatImageReference } from '../image/refs.js';
import type { Descriptor, ImageOrIndex, Platform } from '../image/types.js';
import type { LayerCompression } from '../layer/index.js';
import { LinkerSession } from '../linker/index.js';
import { assembleImage, platformOf, type AssembledImage } from './assemble.js';
import { openBase, planOnBase, type OpenedBase } from './base.js';
import { buildGoSource, type CgoStrategy } from './go-build.js';
import { isGoSourceDir } from '../analysis/go-source-dir.js';
import { memoryIndex } from './index-image.js';
import { withBlobProgress } from './progress-image.js';
import type { Progress } from '../cli/progress.js';
import { CA_BUNDLE_PATH, planBuild, type BuildPlan, type PlannedFile, type PlanOptions } from './plan.js';
import { parseOutput, writeToOutput } from './sink.js';

/**
 * `fromscratch build`: binaries → inspect → plan → layers → image (or, for
 * several platforms, an index) → the output. Layers are built in a private
 * temp directory that is removed whatever happens; the output appears only
 * through the sinks' atomic writes, so a failed build leaves nothing behind.
 */

export interface BuildOptions extends Omit<PlanOptions, 'rootDir'> {
  /** `-o`: oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]. */
  readonly output: string;
  /** `--root`: where the interpreter, libraries, CA bundle and zoneinfo come from (default "/"). */
  readonly rootDir?: string;
  readonly epoch?: number;
  readonly cmd?: readonly string[];
  readonly compression?: LayerCompression;
  /** `--base IMAGE`: append to this image (any transport) instead of scratch. */
  readonly base?: string;
  /** Go source directories: build for these platforms (default the host's). */
  readonly platforms?: readonly Platform[];
  /** Go source directories that really need cgo: how to build them (default musl). */
  readonly cgo?: CgoStrategy;
  /** Layers compressed and blobs written or pushed, shown as they go (a no-op off a terminal). */
  readonly progress?: Progress;
}

export interface BuiltPlatform {
  readonly binary: string;
  /** The Go source directory the binary was built from, when it was. */
  readonly source?: string;
  /** What the person should know about how it was built (cgo handling). */
  readonly notes: readonly string[];
  readonly report: InspectReport;
  readonly plan: BuildPlan;
  /** With --base: planned files left out because the base already has them. */
  readonly fromBase: readonly PlannedFile[];
  /** With --base: the base's layers, below ours. */
  readonly baseLayers: readonly Descriptor[];
  readonly assembled: AssembledImage;
  readonly digest: string;
  readonly size: number;
}

export interface BuildResult {
  /** The output as given, in skopeo syntax. */
  readonly ref: string;
  /** Digest of the top manifest (the image, or the index for several platforms). */
  readonly digest: string;
  readonly platforms: readonly BuiltPlatform[];
}

export async function buildImage(inputs: readonly string[], options: BuildOptions): Promise<BuildResult> {
  if (inputs.length === 0) throw new UsageError('build: no binary or Go source directory given');
  const output = parseOutput(options.output);
  const rootDir = resolve(options.rootDir ?? '/');
  const root = new CachedRootFS(new HostRootFS(rootDir));
  const session = new LinkerSession(root);
  const workDir = await mkdtemp(join(tmpdir(), 'fromscratch-build-'));
  let base: OpenedBase | undefined;
  try {
    if (options.base !== undefined) base = await openBase(options.base, workDir);
    const built: BuiltPlatform[] = [];
    for (const { binary, source, notes } of await binariesOf(inputs, options, workDir)) {
      const report = await inspectFile(binary, { root, rootDir, session });
      if (report === undefined) throw new InputError('io', `${binary}: not a binary`);
      const planned = await planBuild(report, { ...options, rootDir });
      const baseImage = base === undefined ? undefined : await base.forPlatform(platformOf(report));
      const { plan, fromBase } =
        baseImage === undefined ? { plan: planned, fromBase: [] } : await planOnBase(planned, baseImage, (f) => keepOverBase(f, options));
      const assembled = await assembleImage(report, plan, {
        workDir,
        ...(baseImage !== undefined && { base: baseImage }),
        ...(options.progress !== undefined && { progress: options.progress }),
        ...(options.compression !== undefined && { compression: options.compression }),
        ...(options.epoch !== undefined && { epoch: options.epoch }),
        ...(options.cmd !== undefined && { cmd: options.cmd }),
      });
      const descriptor = await assembled.image.descriptor();
      const manifest = await assembled.image.manifest();
      const size = descriptor.size + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
      const baseLayers = manifest.layers.slice(0, manifest.layers.length - assembled.layers.length);
      built.push({ binary, ...(source !== undefined && { source }), notes, report, plan, fromBase, baseLayers, assembled, digest: descriptor.digest, size });
    }
    const top: ImageOrIndex =
      built.length === 1 && built[0] !== undefined
        ? { kind: 'image', image: built[0].assembled.image }
        : { kind: 'index', index: await memoryIndex(built.map((b) => ({ image: b.assembled.image, platform: b.assembled.platform }))) };
    const verb = output.transport === 'docker' ? 'pushing' : 'writing';
    const descriptor = await writeToOutput(output, options.progress !== undefined ? withBlobProgress(top, options.progress, verb) : top);
    return { ref: formatImageReference(output), digest: descriptor.digest, platforms: built };
  } finally {
    await base?.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The binaries to build images of: each input as given, or for a Go source directory one fresh build per platform. */
async function binariesOf(inputs: readonly string[], options: BuildOptions, workDir: string): Promise<{ binary: string; source?: string; notes: readonly string[] }[]> {
  const result: { binary: string; source?: string; notes: readonly string[] }[] = [];
  for (const input of inputs) {
    if (!(await isGoSourceDir(input))) {
      if (options.platforms !== undefined && options.platforms.length > 0) {
        throw new UsageError(`build: --platform applies to Go source directories; ${input}'s platform is read from the binary itself`);
      }
      result.push({ binary: input, notes: [] });
      continue;
    }
    const built = await buildGoSource(input, {
      workDir: await mkdtemp(join(workDir, 'src-')),
      ...(options.platforms !== undefined && { platforms: options.platforms }),
      ...(options.cgo !== undefined && { cgo: options.cgo }),
      ...(options.progress !== undefined && { progress: options.progress }),
    });
    for (const b of built) result.push({ binary: b.binary, source: input, notes: b.notes });
  }
  return result;
}

/** What goes in even when the base has that path: what the person named (--add, a bundle with their --ca-file CAs). */
function keepOverBase(file: PlannedFile, options: BuildOptions): boolean {
  return file.reason === 'add' || (file.path === CA_BUNDLE_PATH && (options.caFiles ?? []).length > 0);
}
