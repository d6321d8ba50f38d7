import { writeFileStream } from '../io/file-streams.js';
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../errors.js';
import { temporaryPathBeside, writeFileAtomic } from '../io/atomic.js';
import { verifyingStream } from '../layer/index.js';
import { digestHex } from './blob-streams.js';
import { collectBlobs, rootDescriptor, type BlobToWrite } from './blob-walk.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { REF_NAME_ANNOTATION } from './oci-layout.js';
import { parseIndexManifest } from './parse-documents.js';
import { MEDIA_TYPES, type Descriptor, type ImageIndexManifest, type ImageOrIndex } from './types.js';

/**
 * Sink: writes an image or index into an OCI image layout directory.
 *
 * Atomic in the sense that matters to readers: a new layout is assembled in
 * a sibling temp directory and renamed into place; into an existing layout,
 * blobs go first (each through a temp file and a rename, verified against its
 * digest on the way), and index.json is replaced by one rename at the end,
 * which is the commit point. On failure the blobs this call added are
 * removed again, so the layout is left as it was.
 */

export interface WriteOciLayoutOptions {
  /** Stored as the org.opencontainers.image.ref.name annotation; replaces an entry with the same tag. */
  readonly tag?: string;
}

export const OCI_LAYOUT_FILE = { imageLayoutVersion: '1.0.0' } as const;

export async function writeOciLayout(dir: string, root: ImageOrIndex, options: WriteOciLayoutOptions = {}): Promise<Descriptor> {
  const existing = await stat(dir).catch(() => undefined);
  if (existing === undefined) return writeNewLayout(dir, root, options);
  if (!existing.isDirectory()) throw new InputError('io', `${dir}: exists and is not a directory`);
  const entries = await readdir(dir);
  if (entries.length > 0 && !entries.includes('oci-layout')) {
    throw new InputError('io', `${dir}: exists, is not empty and is not an OCI layout; refusing to write into it`);
  }
  return updateLayout(dir, root, options);
}

async function writeNewLayout(dir: string, root: ImageOrIndex, options: WriteOciLayoutOptions): Promise<Descriptor> {
  await mkdir(dirname(dir), { recursive: true });
  const temp = await mkdtemp(join(dirname(dir), `.${basename(dir)}.tmp-`));
  try {
    const descriptor = await fillLayout(temp, root, options, []);
    // mkdtemp makes the directory private; a layout is as readable as any directory we create.
    await chmod(temp, 0o755);
    await rename(temp, dir);
    return descriptor;
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}

async function updateLayout(dir: string, root: ImageOrIndex, options: WriteOciLayoutOptions): Promise<Descriptor> {
  const created: string[] = [];
  try {
    return await fillLayout(dir, root, options, created);
  } catch (e) {
    await Promise.all(created.map((path) => unlink(path).catch(() => undefined)));
    throw e;
  }
}

/** Writes blobs, then oci-layout and index.json; records every file it creates in `created`. */
async function fillLayout(dir: string, root: ImageOrIndex, options: WriteOciLayoutOptions, created: string[]): Promise<Descriptor> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  for (const blob of await collectBlobs(root)) {
    if (await writeBlob(blobDir, blob)) created.push(join(blobDir, digestHex(blob.descriptor.digest, dir)));
  }
  const top = await rootDescriptor(root);
  const entry = layoutEntry(top, options.tag);
  const layoutPath = join(dir, 'oci-layout');
  if ((await stat(layoutPath).catch(() => undefined)) === undefined) {
    await writeFileAtomic(layoutPath, canonicalJsonBytes(OCI_LAYOUT_FILE));
    created.push(layoutPath);
  }
  const index = mergeIndex(await readExistingIndex(dir), entry, options.tag);
  await writeFileAtomic(join(dir, 'index.json'), canonicalJsonBytes(index));
  return top;
}

async function readExistingIndex(dir: string): Promise<ImageIndexManifest | undefined> {
  const path = join(dir, 'index.json');
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    return parseIndexManifest(new Uint8Array(await handle.readFile()), `${dir}/index.json`);
  } finally {
    await handle.close();
  }
}

/** index.json's entry for the image or index `top`, with its tag as the ref.name annotation. */
export function layoutEntry(top: Descriptor, tag: string | undefined): Descriptor {
  return {
    mediaType: top.mediaType,
    digest: top.digest,
    size: top.size,
    ...(tag !== undefined ? { annotations: { [REF_NAME_ANNOTATION]: tag } } : {}),
  };
}

/** The existing index with `entry` added: an entry with the same tag (or, untagged, the same digest) is replaced. */
export function mergeIndex(existing: ImageIndexManifest | undefined, entry: Descriptor, tag: string | undefined): ImageIndexManifest {
  const kept = (existing?.manifests ?? []).filter((d) => {
    const otherTag = d.annotations?.[REF_NAME_ANNOTATION];
    if (tag !== undefined) return otherTag !== tag;
    return !(otherTag === undefined && d.digest === entry.digest);
  });
  return {
    ...existing,
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [...kept, entry],
  };
}

/** Writes one blob unless a file of that digest and size is there already; true when it wrote one. */
export async function writeBlob(blobDir: string, blob: BlobToWrite): Promise<boolean> {
  const hex = digestHex(blob.descriptor.digest, blobDir);
  const path = join(blobDir, hex);
  const present = await stat(path).catch(() => undefined);
  if (present !== undefined && present.isFile() && present.size === blob.descriptor.size) return false;
  const temp = temporaryPathBeside(path);
  try {
    await streamToNewFile(verifyingStream(await blob.open(), blob.descriptor, `blob ${blob.descriptor.digest}`), temp);
    await rename(temp, path);
    return true;
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

/**
 * Streams into a file that must not exist yet. The stream owns the file
 * descriptor (a FileHandle's close() would wait forever on a write stream
 * that does not close it). On failure it returns only once the file stream
 * has closed: pipeline gives up at the first error, while the stream may
 * still be opening the file, which would then appear after the caller has
 * cleaned up (a leftover temporary file, seen when a blob failed its
 * digest check at once).
 */
export async function streamToNewFile(input: NodeJS.ReadableStream, path: string, mode = 0o644): Promise<void> {
  const output = writeFileStream(path, { flags: 'wx', mode });
  try {
    await pipeline(input, output);
  } catch (e) {
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
    throw e;
  }
}

