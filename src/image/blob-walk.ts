import type { Readable } from 'node:stream';
import { FormatError } from '../errors.js';
import { bytesStream } from './blob-streams.js';
import { isImageManifestType, isIndexType } from './parse-documents.js';
import type { Descriptor, Image, ImageIndex, ImageOrIndex } from './types.js';

/**
 * Every blob an image or index consists of, children before the manifests
 * that name them (so a reader never sees a manifest whose blobs are not yet
 * there), each digest once. What every sink writes.
 */
export interface BlobToWrite {
  readonly descriptor: Descriptor;
  open(): Promise<Readable>;
}

const MAX_DEPTH = 8;

export async function collectBlobs(root: ImageOrIndex): Promise<BlobToWrite[]> {
  const seen = new Set<string>();
  const out: BlobToWrite[] = [];
  const add = (blob: BlobToWrite): void => {
    if (seen.has(blob.descriptor.digest)) return;
    seen.add(blob.descriptor.digest);
    out.push(blob);
  };
  if (root.kind === 'image') await addImage(root.image, add);
  else await addIndex(root.index, add, 0);
  return out;
}

async function addImage(image: Image, add: (blob: BlobToWrite) => void): Promise<void> {
  const manifest = await image.manifest();
  const rawConfig = await image.rawConfig();
  add({ descriptor: manifest.config, open: async () => bytesStream(rawConfig) });
  for (const layer of await image.layers()) add({ descriptor: layer.descriptor, open: () => layer.open() });
  const raw = await image.rawManifest();
  add({ descriptor: await image.descriptor(), open: async () => bytesStream(raw) });
}

async function addIndex(index: ImageIndex, add: (blob: BlobToWrite) => void, depth: number): Promise<void> {
  if (depth >= MAX_DEPTH) throw new FormatError('limit', `index nests deeper than ${MAX_DEPTH} levels`);
  const manifest = await index.manifest();
  for (const child of manifest.manifests) {
    if (isImageManifestType(child.mediaType)) await addImage(await index.image(child.digest), add);
    else if (isIndexType(child.mediaType)) await addIndex(await index.index(child.digest), add, depth + 1);
    else throw new FormatError('unsupported', `index entry ${child.digest} has media type ${child.mediaType}, which we do not copy`);
  }
  const raw = await index.rawManifest();
  add({ descriptor: await index.descriptor(), open: async () => bytesStream(raw) });
}

/** The top-level descriptor of an image or index. */
export function rootDescriptor(root: ImageOrIndex): Promise<Descriptor> {
  return root.kind === 'image' ? root.image.descriptor() : root.index.descriptor();
}
