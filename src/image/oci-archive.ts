import { verifyingStream } from '../layer/index.js';
import { extractArchive, packMembers, type ArchiveMember } from './archive-io.js';
import { digestHex } from './blob-streams.js';
import { collectBlobs, rootDescriptor } from './blob-walk.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { OciLayout } from './oci-layout.js';
import { layoutEntry, mergeIndex, OCI_LAYOUT_FILE } from './oci-layout-writer.js';
import type { Descriptor, ImageOrIndex } from './types.js';

/**
 * oci-archive: an OCI image layout in one tar file, as skopeo reads and
 * writes it. The sink packs the layout's files deterministically (sorted
 * names, fixed modes and times) straight from the image; the
 * source extracts the archive into a private temp directory (see
 * archive-io.ts for why) accepting only `oci-layout`, `index.json` and
 * `blobs/sha256/<64 hex>`, then reads it as a layout.
 */

const OCI_ARCHIVE_NAME = /^(?:oci-layout|index\.json|blobs\/sha256\/[a-f0-9]{64})$/;

export interface OpenedArchive {
  readonly root: ImageOrIndex;
  /** Removes the extracted copy; the image must not be read afterwards. */
  close(): Promise<void>;
}

export async function readOciArchive(file: string, tag?: string): Promise<OpenedArchive> {
  const extracted = await extractArchive(file, (path) => OCI_ARCHIVE_NAME.test(path), 3);
  try {
    const layout = await OciLayout.open(extracted.dir, file);
    return { root: await layout.resolve(tag), close: extracted.close };
  } catch (e) {
    await extracted.close();
    throw e;
  }
}

/**
 * Writes (replaces) `file` with an archive holding only this image or
 * index: the layout's files packed straight from the image's blobs, each
 * verified against its digest as it streams (no layout written to disk
 * first, which copied every layer twice more).
 */
export async function writeOciArchive(file: string, root: ImageOrIndex, options: { tag?: string } = {}): Promise<Descriptor> {
  const top = await rootDescriptor(root);
  const index = mergeIndex(undefined, layoutEntry(top, options.tag), options.tag);
  const blobs = (await collectBlobs(root)).map(
    (blob): ArchiveMember => ({
      path: `blobs/sha256/${digestHex(blob.descriptor.digest, file)}`,
      size: blob.descriptor.size,
      body: async () => verifyingStream(await blob.open(), blob.descriptor, `blob ${blob.descriptor.digest}`),
    }),
  );
  const json = (path: string, value: unknown): ArchiveMember => {
    const bytes = canonicalJsonBytes(value);
    return { path, size: bytes.length, body: bytes };
  };
  await packMembers([json('oci-layout', OCI_LAYOUT_FILE), json('index.json', index), ...blobs], file);
  return top;
}
