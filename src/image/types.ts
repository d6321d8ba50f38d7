import type { Readable } from 'node:stream';

/**
 * The OCI image model and the one small, read-only Image interface every
 * backend (OCI layout, oci-archive, docker-archive, registry) produces or
 * consumes, in the shape of go-containerregistry's v1.Image: sources return
 * it, sinks take it, transformations wrap it instead of copying it.
 * JSON field names follow the OCI image spec exactly.
 */

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** "sha256:<64 hex>". */
export type Digest = string;

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageIndexManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

export interface ContainerConfig {
  readonly User?: string;
  readonly ExposedPorts?: Readonly<Record<string, Record<string, never>>>;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly Volumes?: Readonly<Record<string, Record<string, never>>>;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
}

export interface ImageConfig {
  readonly created?: string;
  readonly author?: string;
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
  readonly config?: ContainerConfig;
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly Digest[] };
  readonly history?: readonly HistoryEntry[];
}

/** A content-addressed blob: its descriptor, and a fresh stream of its bytes each time it is opened. */
export interface Blob {
  readonly descriptor: Descriptor;
  /** The stored (for layers: compressed) bytes. Consumers verify the digest as they read. */
  open(): Promise<Readable>;
}

export interface Layer extends Blob {
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId(): Promise<Digest>;
  /** The uncompressed tar stream. */
  uncompressed(): Promise<Readable>;
}

/** One platform's image. Read-only; every method may be called more than once. */
export interface Image {
  /** The manifest's descriptor (digest and size of rawManifest, its media type). */
  descriptor(): Promise<Descriptor>;
  rawManifest(): Promise<Uint8Array>;
  manifest(): Promise<ImageManifest>;
  rawConfig(): Promise<Uint8Array>;
  config(): Promise<ImageConfig>;
  /** In manifest order, bottom layer first. */
  layers(): Promise<readonly Layer[]>;
}

/** A multi-platform index: its manifest and the images (or nested indexes) it names. */
export interface ImageIndex {
  descriptor(): Promise<Descriptor>;
  rawManifest(): Promise<Uint8Array>;
  manifest(): Promise<ImageIndexManifest>;
  image(digest: Digest): Promise<Image>;
  index(digest: Digest): Promise<ImageIndex>;
}

/** What a source resolves a reference to. */
export type ImageOrIndex = { readonly kind: 'image'; readonly image: Image } | { readonly kind: 'index'; readonly index: ImageIndex };
