import { Readable, Transform } from 'node:stream';
import { RegistryError } from '../errors.js';
import { isIndexType } from '../image/parse-documents.js';
import type { Blob, Descriptor, Digest, Image, ImageIndex, ImageOrIndex } from '../image/types.js';
import { RegistryClient, shortDigest, type ClientOptions, type TransferProgress } from './client.js';
import type { RegistryOrigin } from './pull.js';
import { parseRegistryReference, type RegistryReference } from './reference.js';

/**
 * Pushing an image or index: every blob first (skipping what the registry
 * has, mounting what another repository there has), then each manifest by
 * digest, then the index, and the tag last, so a push that fails half way
 * leaves no tag pointing at a partial image.
 */
export interface PushOptions extends ClientOptions {
  /** Blobs uploaded at once (default 3). */
  readonly parallelism?: number;
  /** Reuse a client (and its tokens and connections) instead of creating one. */
  readonly client?: RegistryClient;
}

export interface PushResult {
  /** The top manifest's (or index's) descriptor. */
  readonly descriptor: Descriptor;
  /** Blob counts: sent, already present, mounted from another repository. */
  readonly uploaded: number;
  readonly existing: number;
  readonly mounted: number;
}

const MAX_INDEX_DEPTH = 4;

interface PushState {
  readonly client: RegistryClient;
  readonly repository: string;
  readonly parallelism: number;
  /** Digests already handled in this push (an index's images often share layers). */
  readonly done: Map<Digest, Promise<void>>;
  uploaded: number;
  existing: number;
  mounted: number;
}

function isImage(source: Image | ImageIndex): source is Image {
  return 'layers' in source && typeof source.layers === 'function';
}

/** Runs `work` over `items` with at most `limit` in flight; the first failure rejects (after the rest settle). */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

function originOf(blob: Blob): RegistryOrigin | undefined {
  const origin = (blob as Partial<{ registryOrigin: RegistryOrigin }>).registryOrigin;
  return origin && typeof origin.registry === 'string' && typeof origin.repository === 'string' ? origin : undefined;
}

/**
 * `open` with every byte read counted on a progress task; a reopened stream
 * (an upload started over) takes back what the previous one counted.
 */
function countedOpen(open: () => Promise<Readable>, task: ReturnType<TransferProgress['task']>): () => Promise<Readable> {
  let counted = 0;
  return async () => {
    task.advance(-counted);
    counted = 0;
    const source = await open();
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        counted += chunk.length;
        task.advance(chunk.length);
        callback(null, chunk);
      },
    });
    source.on('error', (e) => counter.destroy(e));
    // Whoever stops reading the counter (an upload that failed) releases the source too.
    counter.on('close', () => source.destroy());
    return source.pipe(counter);
  };
}

async function pushBlob(state: PushState, descriptor: Descriptor, open: () => Promise<Readable>, origin: RegistryOrigin | undefined): Promise<void> {
  const existing = state.done.get(descriptor.digest);
  if (existing) return existing;
  const work = (async () => {
    const task = state.client.progress?.task(`push ${shortDigest(descriptor.digest)}`, descriptor.size);
    if ((await state.client.blobExists(state.repository, descriptor.digest)) !== undefined) {
      state.existing++;
      task?.finish('exists');
      return;
    }
    const mountFrom = origin && origin.registry === state.client.registry && origin.repository !== state.repository ? origin.repository : undefined;
    const result = await state.client.uploadBlob(state.repository, descriptor, task ? countedOpen(open, task) : open, mountFrom !== undefined ? { mountFrom } : {});
    if (result === 'mounted') state.mounted++;
    else state.uploaded++;
    task?.finish(result === 'mounted' ? `mounted from ${mountFrom}` : undefined);
  })();
  state.done.set(descriptor.digest, work);
  return work;
}

/** Pushes an image's blobs and its manifest by digest; returns the manifest's descriptor. */
async function pushImageContent(state: PushState, image: Image): Promise<Descriptor> {
  const [manifest, rawConfig, layers, descriptor, raw] = await Promise.all([image.manifest(), image.rawConfig(), image.layers(), image.descriptor(), image.rawManifest()]);
  if (layers.length !== manifest.layers.length) {
    throw new RegistryError('MANIFEST_INVALID', `${state.client.registry}/${state.repository}: the image has ${layers.length} layers but its manifest lists ${manifest.layers.length}`);
  }
  const blobs: { descriptor: Descriptor; open: () => Promise<Readable>; origin: RegistryOrigin | undefined }[] = [
    { descriptor: manifest.config, open: async () => Readable.from([Buffer.from(rawConfig)]), origin: undefined },
    ...layers.map((layer) => ({ descriptor: layer.descriptor, open: () => layer.open(), origin: originOf(layer) })),
  ];
  await forEachLimited(blobs, state.parallelism, (b) => pushBlob(state, b.descriptor, b.open, b.origin));
  await state.client.putManifest(state.repository, descriptor.digest, raw, descriptor.mediaType);
  return descriptor;
}

async function pushIndexContent(state: PushState, index: ImageIndex, depth: number): Promise<Descriptor> {
  if (depth >= MAX_INDEX_DEPTH) throw new RegistryError('MANIFEST_INVALID', `${state.client.registry}/${state.repository}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
  const [manifest, descriptor, raw] = await Promise.all([index.manifest(), index.descriptor(), index.rawManifest()]);
  // Children one at a time; their blobs already go up in parallel.
  for (const child of manifest.manifests) {
    if (isIndexType(child.mediaType)) await pushIndexContent(state, await index.index(child.digest), depth + 1);
    else await pushImageContent(state, await index.image(child.digest));
  }
  await state.client.putManifest(state.repository, descriptor.digest, raw, descriptor.mediaType);
  return descriptor;
}

export async function pushImage(ref: string | RegistryReference, source: Image | ImageIndex | ImageOrIndex, options: PushOptions = {}): Promise<PushResult> {
  const reference = typeof ref === 'string' ? parseRegistryReference(ref) : ref;
  const client = options.client ?? new RegistryClient(reference.registry, options);
  try {
    const state: PushState = {
      client,
      repository: reference.repository,
      parallelism: Math.max(1, Math.min(options.parallelism ?? 3, 16)),
      done: new Map(),
      uploaded: 0,
      existing: 0,
      mounted: 0,
    };
    const target = 'kind' in source ? (source.kind === 'image' ? source.image : source.index) : source;
    const descriptor = isImage(target) ? await pushImageContent(state, target) : await pushIndexContent(state, target, 0);
    if (reference.digest !== undefined && reference.digest !== descriptor.digest) {
      throw new RegistryError('DIGEST_INVALID', `${reference.registry}/${reference.repository}: pushing to @${reference.digest}, but the image's digest is ${descriptor.digest}`);
    }
    if (reference.tag !== undefined) {
      await client.putManifest(reference.repository, reference.tag, await target.rawManifest(), descriptor.mediaType);
    }
    return { descriptor, uploaded: state.uploaded, existing: state.existing, mounted: state.mounted };
  } finally {
    if (!options.client) client.close();
  }
}
