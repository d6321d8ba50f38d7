import { readFileStream } from '../io/file-streams.js';
import { posix } from 'node:path';
import type { InspectReport } from '../analysis/report.js';
import { UsageError } from '../errors.js';
import { memoryImage, type LayerInput } from '../image/memory.js';
import type { ContainerConfig, HistoryEntry, Image, Platform } from '../image/types.js';
import { buildLayer, gunzip, zstdDecompress, LAYER_MEDIA_TYPES, type BuiltLayer, type LayerCompression, type TarInput } from '../layer/index.js';
import { NO_PROGRESS, formatBytes, type Progress } from '../cli/progress.js';
import { platformText } from '../image/platform.js';
import { baseLayerMediaType, mergeEnv, type BaseImage } from './base.js';
import type { BuildPlan, PlannedFile } from './plan.js';

/**
 * A plan → an OCI image: two deterministic layers (system files, then the
 * application alone, so a rebuild of the app reuses the system layer) and a
 * config taken from the binary. Nothing here reads the clock, the umask or
 * the user: the same plan and epoch give the same digests on any machine.
 */

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface AssembleOptions {
  /** Temp directory the layer blobs are written to; the caller removes it. */
  readonly workDir: string;
  readonly compression?: LayerCompression;
  /** Seconds since the epoch for every mtime and `created` (SOURCE_DATE_EPOCH), default 0. */
  readonly epoch?: number;
  /** Cmd: the arguments after `--`. */
  readonly cmd?: readonly string[];
  /** gzip parallelism; does not change the bytes. */
  readonly concurrency?: number;
  /** `--base`: our layers go on top of this image's. */
  readonly base?: BaseImage;
  /** Shows each layer being written (a no-op off a terminal). */
  readonly progress?: Progress;
}

export interface AssembledImage {
  readonly image: Image;
  readonly platform: Platform;
  readonly layers: readonly { readonly name: 'system' | 'app'; readonly layer: BuiltLayer }[];
}

export async function assembleImage(report: InspectReport, plan: BuildPlan, options: AssembleOptions): Promise<AssembledImage> {
  const epoch = options.epoch ?? 0;
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const compression = options.compression ?? 'gzip';
  const built: { name: 'system' | 'app'; layer: BuiltLayer }[] = [];
  const platform = platformOf(report);
  for (const name of ['system', 'app'] as const) {
    const files = plan.files.filter((f) => f.layer === name);
    const task = (options.progress ?? NO_PROGRESS).task(`${platformText(platform)} ${name} layer`, files.reduce((n, f) => n + f.size, 0));
    const layer = await buildLayer(tarEntries(files, epoch), {
      directory: options.workDir,
      compression,
      onBytes: (n) => task.advance(n),
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    });
    task.finish(`${formatBytes(layer.uncompressedSize)} tar, ${formatBytes(layer.size)} ${compression}`);
    built.push({ name, layer });
  }
  const labels = goLabels(report);
  const base = options.base;
  // The base's Cmd was written for the base's entrypoint, so it never carries over.
  const { Cmd: _baseCmd, ...baseContainer } = base?.config.config ?? {};
  const ourEnv = [DEFAULT_PATH_ENV, ...plan.env];
  const allLabels = { ...(baseContainer.Labels ?? {}), ...labels };
  const container: ContainerConfig = {
    ...baseContainer,
    Entrypoint: [plan.appPath],
    ...(options.cmd !== undefined && options.cmd.length > 0 ? { Cmd: [...options.cmd] } : {}),
    Env: base !== undefined ? mergeEnv(baseContainer.Env ?? [], ourEnv) : ourEnv,
    User: plan.user,
    WorkingDir: baseContainer.WorkingDir ?? '/',
    ...(Object.keys(allLabels).length > 0 ? { Labels: allLabels } : {}),
  };
  const systemReasons = [...new Set(plan.files.filter((f) => f.layer === 'system').map((f) => f.reason))].join(', ');
  const history: HistoryEntry[] = [
    ...(base?.config.history ?? []),
    { created, created_by: `fromscratch build: system files (${systemReasons})`, comment: 'fromscratch' },
    { created, created_by: `fromscratch build: ${plan.appPath}`, comment: 'fromscratch' },
  ];
  const baseLayers: LayerInput[] = (base?.layers ?? []).map((layer, i) => ({
    descriptor: { mediaType: baseLayerMediaType(layer.descriptor.mediaType), digest: layer.descriptor.digest, size: layer.descriptor.size },
    diffId: base?.config.rootfs.diff_ids[i] ?? '',
    open: () => layer.open(),
    uncompressed: () => layer.uncompressed(),
  }));
  const baseAnnotations: Record<string, string> = base !== undefined ? { 'org.opencontainers.image.base.name': base.name, 'org.opencontainers.image.base.digest': base.digest } : {};
  const image = memoryImage({
    config: {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
      config: container,
      history,
    },
    layers: [...baseLayers, ...built.map(({ layer }) => layerInput(layer))],
    annotations: { ...labels, ...baseAnnotations, 'org.opencontainers.image.created': labels['org.opencontainers.image.created'] ?? created },
  });
  return { image, platform, layers: built };
}

/** SOURCE_DATE_EPOCH as seconds, 0 when unset; anything but a non-negative integer is a usage error. */
export function epochFromEnvironment(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,12}$/.test(value)) throw new UsageError(`SOURCE_DATE_EPOCH must be a whole number of seconds, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** Every planned file plus its parent directories (0755), sorted, owned by 0:0, all stamped with `epoch`. */
export function tarEntries(files: readonly PlannedFile[], epoch: number): TarInput[] {
  const byPath = new Map<string, TarInput>();
  for (const file of files) {
    const relative = file.path.replace(/^\/+/, '');
    for (let dir = posix.dirname(relative); dir !== '.' && !byPath.has(dir); dir = posix.dirname(dir)) {
      byPath.set(dir, { header: { path: dir, type: 'dir', mode: 0o755, mtime: epoch } });
    }
    byPath.set(relative, tarEntry(relative, file, epoch));
  }
  return [...byPath.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
}

function tarEntry(path: string, file: PlannedFile, mtime: number): TarInput {
  const base = { path, mode: file.mode, mtime };
  const content = file.content;
  switch (content.kind) {
    case 'dir':
      return { header: { ...base, type: 'dir' } };
    case 'symlink':
      return { header: { ...base, type: 'symlink', linkname: content.target } };
    case 'bytes':
      return { header: { ...base, type: 'file', size: content.bytes.length }, body: content.bytes };
    case 'host':
      return { header: { ...base, type: 'file', size: file.size }, body: async () => readFileStream(content.hostPath) };
  }
}

function layerInput(layer: BuiltLayer): LayerInput {
  const open = async () => readFileStream(layer.path);
  const uncompressed = async () => {
    if (layer.mediaType === LAYER_MEDIA_TYPES.gzip) return gunzip(readFileStream(layer.path), { name: layer.path });
    if (layer.mediaType === LAYER_MEDIA_TYPES.zstd) return zstdDecompress(readFileStream(layer.path), layer.path);
    return readFileStream(layer.path);
  };
  return { descriptor: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size }, diffId: layer.diffId, open, uncompressed };
}

/** OCI platform from the binary: Go's names are the OCI names; 32-bit arm takes its variant from GOARM. */
export function platformOf(report: InspectReport): Platform {
  if (report.arch === null || report.os === null) throw new UsageError(`${report.path}: architecture unknown; cannot name the image's platform`);
  const goarm = report.go?.settings.find((s) => s.key === 'GOARM')?.value;
  if (report.arch === 'arm') return { os: report.os, architecture: 'arm', variant: `v${goarm?.replace(/,.*/, '') ?? '7'}` };
  if (report.arch === 'arm64') return { os: report.os, architecture: 'arm64', variant: 'v8' };
  return { os: report.os, architecture: report.arch };
}

/** org.opencontainers.image.* labels from the Go build info's vcs settings and main module path. */
export function goLabels(report: InspectReport): Record<string, string> {
  const go = report.go;
  if (go === null) return {};
  const setting = (key: string) => go.settings.find((s) => s.key === key)?.value;
  const labels: Record<string, string> = {};
  const revision = setting('vcs.revision');
  const time = setting('vcs.time');
  if (revision !== undefined) labels['org.opencontainers.image.revision'] = revision;
  if (time !== undefined) labels['org.opencontainers.image.created'] = time;
  const module = go.main?.path ?? '';
  // Only a module path that starts with a host name ("github.com/x/y") says where the source lives.
  if (setting('vcs') !== undefined && /^[a-z0-9-]+(\.[a-z0-9-]+)+\//.test(module)) labels['org.opencontainers.image.source'] = `https://${module}`;
  return labels;
}
