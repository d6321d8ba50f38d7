import { join, posix } from 'node:path';
import { InputError } from '../errors.js';
import { openImageReference, type OpenedReference } from '../image/open-reference.js';
import { platformText, selectPlatform } from '../image/platform.js';
import { formatImageReference, parseImageReference } from '../image/refs.js';
import { BlobSpool } from '../image/spooled-image.js';
import { MEDIA_TYPES, type Digest, type Image, type ImageConfig, type Layer, type Platform } from '../image/types.js';
import { ImageRootFS } from '../rootfs/index.js';
import { PromiseMemo } from '../util/memo.js';
import type { BuildPlan, PlannedFile } from './plan.js';

/** More platforms than any index has: the memo never starts afresh in one build. */
const MAX_PLATFORMS = 256;

/**
 * `--base IMAGE`: our layers go on top of an existing image instead of
 * scratch. The base is opened once (any transport) and each platform's
 * build picks its image from it; the base's layers are passed through as
 * stored blobs, never decompressed and recompressed, and the system files
 * the base already has are left out of our layer.
 */

export interface OpenedBase {
  /** The reference as given, in skopeo syntax (the base.name annotation). */
  readonly name: string;
  /** The image for one platform, with what the build needs of it. */
  forPlatform(platform: Platform): Promise<BaseImage>;
  close(): Promise<void>;
}

export interface BaseImage {
  readonly name: string;
  /** Digest of the base's manifest for this platform (the base.digest annotation). */
  readonly digest: Digest;
  readonly config: ImageConfig;
  readonly layers: readonly Layer[];
  /** The base's merged file system, to see what it already has. */
  readonly files: ImageRootFS;
}

export async function openBase(text: string, workDir: string): Promise<OpenedBase> {
  const ref = parseImageReference(text);
  const name = formatImageReference(ref);
  const opened: OpenedReference = await openImageReference(ref);
  // A registry's layers are read twice (indexing the base's files, then
  // passing them through): kept in the build's work directory on the first
  // read. Local transports are read from their files again.
  const spool = ref.transport === 'docker' ? new BlobSpool(join(workDir, 'base-blobs'), `--base ${name}`) : undefined;
  // One base image per platform, however many binaries a multi-arch build has for it.
  const perPlatform = new PromiseMemo<BaseImage>(MAX_PLATFORMS);
  return {
    name,
    forPlatform: (platform) => perPlatform.get(platformText(platform), () => baseFor(opened, name, platform, spool)),
    close: () => opened.close(),
  };
}

async function baseFor(opened: OpenedReference, name: string, platform: Platform, spool: BlobSpool | undefined): Promise<BaseImage> {
  // Registries list arm64 images with or without "v8"; only 32-bit arm's variant tells images apart.
  const wanted: Platform = platform.architecture === 'arm' ? platform : { os: platform.os, architecture: platform.architecture };
  const selected = await selectPlatform(opened.root, wanted, `--base ${name}`);
  if (selected.kind !== 'image') throw new InputError('not-found', `--base ${name}: no image for ${platformText(platform)}`);
  const image = spool ? spool.image(selected.image) : selected.image;
  const [descriptor, config, layers] = await Promise.all([image.descriptor(), image.config(), image.layers()]);
  if (config.rootfs.diff_ids.length !== layers.length) {
    throw new InputError('malformed', `--base ${name}: its config lists ${config.rootfs.diff_ids.length} diff_ids for ${layers.length} layers`);
  }
  const files = await ImageRootFS.open(image, `--base ${name}`);
  return { name, digest: descriptor.digest, config, layers, files };
}

/** What a build with a base leaves out: files the base already has. */
export interface BasedPlan {
  readonly plan: BuildPlan;
  /** Planned files the base already has at the same path, so the image keeps the base's. */
  readonly fromBase: readonly PlannedFile[];
}

/**
 * Drops planned system files the base already has (its CA bundle, passwd,
 * libc...), and moves the rest under the base's real directories, so a file
 * planned at /lib/x lands in /usr/lib/x when the base's /lib is a symlink to
 * usr/lib (a directory entry in our layer would otherwise hide the link).
 * What the person asked for (--add, --ca-file bundles) always goes in.
 */
export async function planOnBase(plan: BuildPlan, base: BaseImage, keep: (file: PlannedFile) => boolean): Promise<BasedPlan> {
  const files: PlannedFile[] = [];
  const fromBase: PlannedFile[] = [];
  for (const file of plan.files) {
    if (file.layer === 'system' && !keep(file) && (await base.files.lstat(file.path)) !== undefined) {
      fromBase.push(file);
      continue;
    }
    files.push({ ...file, path: await underRealDirectories(base, file.path) });
  }
  return { plan: { ...plan, files }, fromBase };
}

/** `path` with its deepest directory the base has replaced by that directory's real path (symlinks resolved in the base). */
async function underRealDirectories(base: BaseImage, path: string): Promise<string> {
  const rest: string[] = [posix.basename(path)];
  for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) {
    const real = await base.files.realpath(dir);
    if (real !== undefined) return posix.join(real, ...rest);
    rest.unshift(posix.basename(dir));
  }
  return path;
}

/** The base's layers as stored; a Docker media type becomes its OCI twin (same bytes), so the manifest is all OCI. */
export function baseLayerMediaType(mediaType: string): string {
  if (mediaType === MEDIA_TYPES.dockerLayerGzip) return MEDIA_TYPES.ociLayerGzip;
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return MEDIA_TYPES.ociLayer;
  return mediaType;
}

/** Env of the base, then ours; ours wins for a name both set, except PATH, where the base knows its own layout. */
export function mergeEnv(base: readonly string[], ours: readonly string[]): string[] {
  const key = (entry: string) => (entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry);
  const merged = new Map<string, string>(base.map((e) => [key(e), e]));
  for (const entry of ours) {
    const name = key(entry);
    if (name === 'PATH' && merged.has('PATH')) continue;
    merged.set(name, entry);
  }
  return [...merged.values()];
}
