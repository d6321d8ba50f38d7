import { FormatError, InputError, RegistryError } from '../errors.js';
import { isIndexType, parseImageConfig, parseImageManifest, parseIndexManifest } from '../image/parse-documents.js';
import { selectPlatform } from '../image/platform.js';
import { blobLayer } from '../image/oci-layout.js';
import {
  type Descriptor,
  type Digest,
  type Image,
  type ImageConfig,
  type ImageIndex,
  type ImageIndexManifest,
  type ImageManifest,
  type ImageOrIndex,
  type Layer,
  type Platform,
} from '../image/types.js';
import { RegistryClient, type ClientOptions, type FetchedManifest } from './client.js';
import { parseRegistryReference, referenceTarget, type RegistryReference } from './reference.js';

/**
 * Images read from a registry, lazily: a pull fetches the manifest (and, on
 * demand, the config); layer bytes flow only when a layer is opened, verified
 * against its descriptor as they stream.
 */

/** Where a blob of a pulled image lives, so a push to the same registry can mount it instead of copying it. */
export interface RegistryOrigin {
  readonly registry: string;
  readonly repository: string;
}

export interface RegistryLayer extends Layer {
  readonly registryOrigin: RegistryOrigin;
}

export interface PullOptions extends ClientOptions {
  /** Resolve an index to this platform's image: "linux/arm64/v8" or a Platform. */
  readonly platform?: string | Platform;
  /** Reuse a client (and its tokens and connections) instead of creating one. */
  readonly client?: RegistryClient;
}


/**
 * A registry layer: the same Layer as a layout's (blobLayer decompresses by
 * media type and checks the diff_id), plus where it came from, so a later
 * push to the same registry can mount it instead of sending it again.
 */
function pulledLayer(client: RegistryClient, repository: string, descriptor: Descriptor, diffId: Digest | undefined): RegistryLayer {
  const where = `${client.registry}/${repository}@${descriptor.digest}`;
  const layer = blobLayer(descriptor, diffId ?? '', () => client.openBlob(repository, descriptor), `${client.registry}/${repository}`);
  return {
    ...layer,
    registryOrigin: { registry: client.registry, repository },
    diffId: async () => {
      if (diffId === undefined) throw new FormatError('malformed', `${where}: the config has no diff_id for this layer`);
      return diffId;
    },
  };
}

class PulledImage implements Image {
  private configBytes: Promise<Uint8Array> | undefined;
  private readonly parsed: ImageManifest;
  private readonly name: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly repository: string,
    private readonly fetched: FetchedManifest,
  ) {
    this.name = `${client.registry}/${repository}@${fetched.digest}`;
    this.parsed = parseImageManifest(fetched.bytes, this.name);
  }

  async descriptor(): Promise<Descriptor> {
    return { mediaType: this.fetched.mediaType, digest: this.fetched.digest, size: this.fetched.bytes.length };
  }
  async rawManifest(): Promise<Uint8Array> {
    return this.fetched.bytes;
  }
  async manifest(): Promise<ImageManifest> {
    return this.parsed;
  }
  rawConfig(): Promise<Uint8Array> {
    this.configBytes ??= this.client.readBlob(this.repository, this.parsed.config);
    return this.configBytes;
  }
  async config(): Promise<ImageConfig> {
    return parseImageConfig(await this.rawConfig(), `${this.name} config`);
  }
  async layers(): Promise<readonly Layer[]> {
    const diffIds = (await this.config()).rootfs.diff_ids;
    return this.parsed.layers.map((d, i) => pulledLayer(this.client, this.repository, d, diffIds[i]));
  }
}

class PulledIndex implements ImageIndex {
  private readonly parsed: ImageIndexManifest;
  constructor(
    private readonly client: RegistryClient,
    private readonly repository: string,
    private readonly fetched: FetchedManifest,
  ) {
    this.parsed = parseIndexManifest(fetched.bytes, `${client.registry}/${repository}@${fetched.digest}`);
  }
  async descriptor(): Promise<Descriptor> {
    return { mediaType: this.fetched.mediaType, digest: this.fetched.digest, size: this.fetched.bytes.length };
  }
  async rawManifest(): Promise<Uint8Array> {
    return this.fetched.bytes;
  }
  async manifest(): Promise<ImageIndexManifest> {
    return this.parsed;
  }
  async image(digest: Digest): Promise<Image> {
    const fetched = await this.client.getManifest(this.repository, digest);
    return new PulledImage(this.client, this.repository, fetched);
  }
  async index(digest: Digest): Promise<ImageIndex> {
    const fetched = await this.client.getManifest(this.repository, digest);
    return new PulledIndex(this.client, this.repository, fetched);
  }
}

export function parsePlatform(platform: string | Platform): Platform {
  if (typeof platform !== 'string') return platform;
  const [os, architecture, variant] = platform.split('/');
  if (!os || !architecture) throw new RegistryError('PLATFORM_INVALID', `${JSON.stringify(platform)} is not OS/ARCH[/VARIANT]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function wrap(client: RegistryClient, repository: string, fetched: FetchedManifest): ImageOrIndex {
  return isIndexType(fetched.mediaType)
    ? { kind: 'index', index: new PulledIndex(client, repository, fetched) }
    : { kind: 'image', image: new PulledImage(client, repository, fetched) };
}

/**
 * The image or index a registry reference names. With `platform`, an index
 * is resolved (through nested indexes) to that platform's image, or a
 * RegistryError PLATFORM_NOT_FOUND naming what the index offers.
 */
export async function pullImage(ref: string | RegistryReference, options: PullOptions = {}): Promise<ImageOrIndex> {
  const reference = typeof ref === 'string' ? parseRegistryReference(ref) : ref;
  const client = options.client ?? new RegistryClient(reference.registry, options);
  const result = wrap(client, reference.repository, await client.getManifest(reference.repository, referenceTarget(reference)));
  if (options.platform === undefined) return result;
  const where = `${reference.registry}/${reference.repository}`;
  try {
    return await selectPlatform(result, parsePlatform(options.platform), where);
  } catch (e) {
    // The one platform rule lives in src/image; here a miss keeps the registry's stable code.
    if (e instanceof InputError && e.code === 'not-found') throw new RegistryError('PLATFORM_NOT_FOUND', e.message);
    if (e instanceof FormatError && e.code === 'limit') throw new RegistryError('PROTOCOL', e.message);
    throw e;
  }
}
