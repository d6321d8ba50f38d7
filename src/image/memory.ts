import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FormatError } from '../errors.js';
import { bytesStream, sha256Of } from './blob-streams.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { MEDIA_TYPES, type Descriptor, type Digest, type Image, type ImageConfig, type ImageManifest, type Layer } from './types.js';

/**
 * An Image held in memory: a config object and layers given as descriptors
 * plus byte providers. The manifest and config are serialised as canonical
 * JSON (sorted keys, no whitespace), so the same inputs always give the same
 * digests. Used by tests and by the build command.
 */

export interface LayerInput {
  /** Media type, digest and size of the stored (possibly compressed) bytes. */
  readonly descriptor: Descriptor;
  /** Digest of the uncompressed tar. */
  readonly diffId: Digest;
  /** A fresh stream of the stored bytes. */
  open(): Promise<Readable>;
  /** A fresh stream of the uncompressed tar. */
  uncompressed(): Promise<Readable>;
}

export interface MemoryImageOptions {
  /** rootfs is filled in from the layers' diff ids when absent. */
  readonly config: Omit<ImageConfig, 'rootfs'> & { readonly rootfs?: ImageConfig['rootfs'] };
  readonly layers: readonly LayerInput[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export function memoryImage(options: MemoryImageOptions): Image {
  const diffIds = options.layers.map((l) => l.diffId);
  const config: ImageConfig = { ...options.config, rootfs: options.config.rootfs ?? { type: 'layers', diff_ids: diffIds } };
  return imageFromParts({ config, rawConfig: canonicalJsonBytes(config), layers: options.layers, annotations: options.annotations });
}

export interface ImageParts {
  readonly config: ImageConfig;
  /** The config's bytes as stored: kept verbatim so a source preserves the config digest (the image ID). */
  readonly rawConfig: Uint8Array;
  readonly layers: readonly LayerInput[];
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

/** An Image whose OCI manifest is computed (canonical JSON) from a config and its layers. */
export function imageFromParts(parts: ImageParts): Image {
  const { config, rawConfig } = parts;
  const diffIds = parts.layers.map((l) => l.diffId);
  if (config.rootfs.diff_ids.length !== diffIds.length || config.rootfs.diff_ids.some((d, i) => d !== diffIds[i])) {
    throw new FormatError('malformed', `image config: rootfs.diff_ids (${config.rootfs.diff_ids.length}) does not match the ${diffIds.length} layers`);
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Of(rawConfig), size: rawConfig.length },
    layers: parts.layers.map((l) => l.descriptor),
    ...(parts.annotations !== undefined ? { annotations: parts.annotations } : {}),
  };
  const rawManifest = canonicalJsonBytes(manifest);
  const descriptor: Descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Of(rawManifest), size: rawManifest.length };
  const layers: Layer[] = parts.layers.map((input) => ({
    descriptor: input.descriptor,
    open: () => input.open(),
    diffId: async () => input.diffId,
    uncompressed: () => input.uncompressed(),
  }));
  return {
    descriptor: async () => descriptor,
    rawManifest: async () => rawManifest,
    manifest: async () => manifest,
    rawConfig: async () => rawConfig,
    config: async () => config,
    layers: async () => layers,
  };
}

/**
 * A layer from an uncompressed tar in memory, stored gzip-compressed (the
 * default, what registries expect) or as is. Gzip with zlib's defaults and no
 * name or time in the header is byte-for-byte reproducible.
 */
export function layerFromTar(tar: Uint8Array, compression: 'gzip' | 'none' = 'gzip'): LayerInput {
  const stored = compression === 'gzip' ? new Uint8Array(gzipSync(tar)) : tar;
  const diffId = sha256Of(tar);
  return {
    descriptor: {
      mediaType: compression === 'gzip' ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer,
      digest: compression === 'gzip' ? sha256Of(stored) : diffId,
      size: stored.length,
    },
    diffId,
    open: async () => bytesStream(stored),
    uncompressed: async () => bytesStream(compression === 'gzip' ? new Uint8Array(gunzipSync(stored)) : tar),
  };
}
