import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FormatError, InputError } from '../errors.js';
import { FILE_STREAM_CHUNK } from '../io/file-streams.js';
import { gunzip, verifyingStream } from '../layer/index.js';
import { MAX_JSON_BLOB, digestCheckingStream, digestHex } from './blob-streams.js';
import { isImageManifestType, isIndexType, parseImageConfig, parseImageManifest, parseIndexManifest, parseJson } from './parse-documents.js';
import {
  MEDIA_TYPES,
  type Descriptor,
  type Digest,
  type Image,
  type ImageConfig,
  type ImageIndex,
  type ImageIndexManifest,
  type ImageManifest,
  type ImageOrIndex,
  type Layer,
} from './types.js';

/**
 * Source for an OCI image layout directory (image-spec "image-layout"):
 * `oci-layout`, `index.json`, and content-addressed blobs under
 * `blobs/sha256/<hex>`. A digest is checked against /^sha256:[a-f0-9]{64}$/
 * before it becomes a file name, so an index cannot point outside the
 * layout, and every blob is verified against its descriptor's digest and
 * size as it streams, so a corrupt or swapped blob fails the read.
 */

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** How deep an index may nest indexes before we call it a loop. */
const MAX_INDEX_DEPTH = 8;

export class OciLayout {
  private constructor(
    readonly dir: string,
    /** index.json, the layout's root. */
    readonly root: ImageIndexManifest,
    /** What to call the layout in messages (an archive's name when extracted from one). */
    readonly name: string,
  ) {}

  static async open(dir: string, name: string = dir): Promise<OciLayout> {
    let st;
    try {
      st = await stat(dir);
    } catch (e) {
      throw new InputError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'io', `${name}: no such directory`);
    }
    if (!st.isDirectory()) throw new InputError('io', `${name}: not a directory (an OCI layout is a directory)`);
    const layoutFile = await readSmallFile(join(dir, 'oci-layout'), `${name}/oci-layout`);
    const layout = parseJson(layoutFile, `${name}/oci-layout`) as { imageLayoutVersion?: unknown } | null;
    if (typeof layout !== 'object' || layout === null || typeof layout.imageLayoutVersion !== 'string') {
      throw new FormatError('malformed', `${name}/oci-layout: imageLayoutVersion is missing`);
    }
    if (!layout.imageLayoutVersion.startsWith('1.')) {
      throw new FormatError('unsupported', `${name}/oci-layout: image layout version ${JSON.stringify(layout.imageLayoutVersion)}`);
    }
    const indexBytes = await readSmallFile(join(dir, 'index.json'), `${name}/index.json`);
    return new OciLayout(dir, parseIndexManifest(indexBytes, `${name}/index.json`), name);
  }

  /** The tags (ref.name annotations) in index.json, in order. */
  tags(): string[] {
    return this.root.manifests.flatMap((d) => (d.annotations?.[REF_NAME_ANNOTATION] !== undefined ? [d.annotations[REF_NAME_ANNOTATION]] : []));
  }

  /** The descriptor a tag names, or the only one when no tag is given. */
  find(tag?: string): Descriptor {
    const manifests = this.root.manifests;
    if (tag === undefined) {
      const only = manifests[0];
      if (manifests.length === 1 && only !== undefined) return only;
      if (manifests.length === 0) throw new InputError('not-found', `${this.name}: the layout holds no images`);
      throw new InputError('not-found', `${this.name}: holds ${manifests.length} images; name one with :TAG (tags: ${this.tags().join(', ') || 'none'})`);
    }
    const found = manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
    const first = found[0];
    if (first === undefined) throw new InputError('not-found', `${this.name}: no image tagged ${JSON.stringify(tag)} (tags: ${this.tags().join(', ') || 'none'})`);
    if (found.length > 1) throw new FormatError('malformed', `${this.name}/index.json: the tag ${JSON.stringify(tag)} names ${found.length} manifests`);
    return first;
  }

  /** Resolve a tag (or the only entry) to an image or an index. */
  async resolve(tag?: string): Promise<ImageOrIndex> {
    return this.resolveDescriptor(this.find(tag), 0);
  }

  async resolveDescriptor(descriptor: Descriptor, depth: number): Promise<ImageOrIndex> {
    if (isImageManifestType(descriptor.mediaType)) return { kind: 'image', image: await this.image(descriptor) };
    if (isIndexType(descriptor.mediaType)) return { kind: 'index', index: await this.index(descriptor, depth) };
    throw new FormatError('unsupported', `${this.name}: ${descriptor.digest} has media type ${JSON.stringify(descriptor.mediaType)}, not an image or an index`);
  }

  /** The path of a blob, after the digest is proven to be a plain sha256 name. */
  blobPath(digest: Digest): string {
    return join(this.dir, 'blobs', 'sha256', digestHex(digest, `${this.name}/index.json`));
  }

  /** A stream of a blob that fails unless it is exactly the descriptor's bytes. */
  async openBlob(descriptor: Descriptor): Promise<Readable> {
    const path = this.blobPath(descriptor.digest);
    const name = `${this.name}: blob ${descriptor.digest}`;
    // Open first so a missing blob is a clear error now, not a stream error later.
    const handle = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
      throw new InputError(e.code === 'ENOENT' ? 'not-found' : 'io', `${name} is missing`);
    });
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new FormatError('malformed', `${name} is not a regular file`);
    }
    // 1 MiB reads: a 50 MB layer in 50 reads, not 800 (each read is a trip through the thread pool).
    return verifyingStream(handle.createReadStream({ autoClose: true, highWaterMark: FILE_STREAM_CHUNK }), descriptor, name);
  }

  /** A small blob (manifest, config) read whole and verified. */
  async readBlob(descriptor: Descriptor): Promise<Uint8Array> {
    if (descriptor.size > MAX_JSON_BLOB) {
      throw new FormatError('limit', `${this.name}: blob ${descriptor.digest} declares ${descriptor.size} bytes, too large for a manifest or config`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openBlob(descriptor)) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }

  async image(descriptor: Descriptor): Promise<Image> {
    const rawManifest = await this.readBlob(descriptor);
    const name = `${this.name}: manifest ${descriptor.digest}`;
    const manifest = parseImageManifest(rawManifest, name);
    return new LayoutImage(this, descriptor, rawManifest, manifest);
  }

  async index(descriptor: Descriptor, depth = 0): Promise<ImageIndex> {
    if (depth >= MAX_INDEX_DEPTH) throw new FormatError('limit', `${this.name}: indexes nest deeper than ${MAX_INDEX_DEPTH} levels`);
    const raw = await this.readBlob(descriptor);
    const manifest = parseIndexManifest(raw, `${this.name}: index ${descriptor.digest}`);
    return new LayoutIndex(this, descriptor, raw, manifest, depth);
  }
}

/** Open `dir` and resolve `tag` (or its only image) in one step. */
export async function readOciLayout(dir: string, tag?: string): Promise<ImageOrIndex> {
  return (await OciLayout.open(dir)).resolve(tag);
}

class LayoutImage implements Image {
  private configCache: Promise<{ raw: Uint8Array; parsed: ImageConfig }> | undefined;
  constructor(
    private readonly layout: OciLayout,
    private readonly manifestDescriptor: Descriptor,
    private readonly raw: Uint8Array,
    private readonly parsed: ImageManifest,
  ) {}
  async descriptor(): Promise<Descriptor> {
    const { mediaType, digest, size } = this.manifestDescriptor;
    return { mediaType, digest, size };
  }
  async rawManifest(): Promise<Uint8Array> {
    return this.raw;
  }
  async manifest(): Promise<ImageManifest> {
    return this.parsed;
  }
  private loadConfig(): Promise<{ raw: Uint8Array; parsed: ImageConfig }> {
    this.configCache ??= (async () => {
      const raw = await this.layout.readBlob(this.parsed.config);
      return { raw, parsed: parseImageConfig(raw, `${this.layout.name}: config ${this.parsed.config.digest}`) };
    })();
    return this.configCache;
  }
  async rawConfig(): Promise<Uint8Array> {
    return (await this.loadConfig()).raw;
  }
  async config(): Promise<ImageConfig> {
    return (await this.loadConfig()).parsed;
  }
  async layers(): Promise<readonly Layer[]> {
    const config = await this.config();
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== this.parsed.layers.length) {
      throw new FormatError(
        'malformed',
        `${this.layout.name}: manifest ${this.manifestDescriptor.digest} lists ${this.parsed.layers.length} layers but its config ${diffIds.length} diff_ids`,
      );
    }
    return this.parsed.layers.map((descriptor, i) => blobLayer(descriptor, diffIds[i] ?? '', () => this.layout.openBlob(descriptor), this.layout.name));
  }
}

/** A Layer over a stored blob: the uncompressed view decompresses by media type. */
export function blobLayer(descriptor: Descriptor, diffId: Digest, open: () => Promise<Readable>, where: string): Layer {
  return {
    descriptor,
    open,
    diffId: async () => diffId,
    uncompressed: async () => {
      const stored = await open();
      if (descriptor.mediaType === MEDIA_TYPES.ociLayerGzip || descriptor.mediaType === MEDIA_TYPES.dockerLayerGzip) {
        const name = `${where}: layer ${descriptor.digest}`;
        return digestCheckingStream(gunzip(stored, { name }), diffId, name);
      }
      if (descriptor.mediaType === MEDIA_TYPES.ociLayer || descriptor.mediaType === 'application/vnd.docker.image.rootfs.diff.tar') {
        if (descriptor.digest === diffId) return stored;
        stored.destroy();
        throw new FormatError('malformed', `${where}: uncompressed layer ${descriptor.digest} is listed in the config as ${diffId}`);
      }
      stored.destroy();
      throw new FormatError('unsupported', `${where}: layer ${descriptor.digest} has media type ${descriptor.mediaType}, which we cannot decompress`);
    },
  };
}

class LayoutIndex implements ImageIndex {
  constructor(
    private readonly layout: OciLayout,
    private readonly indexDescriptor: Descriptor,
    private readonly raw: Uint8Array,
    private readonly parsed: ImageIndexManifest,
    private readonly depth: number,
  ) {}
  async descriptor(): Promise<Descriptor> {
    const { mediaType, digest, size } = this.indexDescriptor;
    return { mediaType, digest, size };
  }
  async rawManifest(): Promise<Uint8Array> {
    return this.raw;
  }
  async manifest(): Promise<ImageIndexManifest> {
    return this.parsed;
  }
  private child(digest: Digest): Descriptor {
    const found = this.parsed.manifests.find((d) => d.digest === digest);
    if (found === undefined) throw new InputError('not-found', `${this.layout.name}: index ${this.indexDescriptor.digest} has no entry ${digest}`);
    return found;
  }
  async image(digest: Digest): Promise<Image> {
    return this.layout.image(this.child(digest));
  }
  async index(digest: Digest): Promise<ImageIndex> {
    return this.layout.index(this.child(digest), this.depth + 1);
  }
}

async function readSmallFile(path: string, name: string): Promise<Uint8Array> {
  const handle = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new InputError(e.code === 'ENOENT' ? 'not-found' : 'io', `${name}: no such file (not an OCI layout?)`);
  });
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FormatError('malformed', `${name}: not a regular file`);
    if (st.size > MAX_JSON_BLOB) throw new FormatError('limit', `${name}: ${st.size} bytes, larger than ${MAX_JSON_BLOB}`);
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await handle.read(buf, 0, st.size, 0);
    return new Uint8Array(buf.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
