import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractArchive, packArchive } from './archive-io.js';
import { OciLayout } from './oci-layout.js';
import { writeOciLayout } from './oci-layout-writer.js';
import type { Descriptor, ImageOrIndex } from './types.js';

/**
 * oci-archive: an OCI image layout in one tar file, as skopeo reads and
 * writes it. The sink assembles the layout in a private temp directory and
 * packs it deterministically (sorted names, fixed modes and times); the
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

/** Writes (replaces) `file` with an archive holding only this image or index. */
export async function writeOciArchive(file: string, root: ImageOrIndex, options: { tag?: string } = {}): Promise<Descriptor> {
  const work = await mkdtemp(join(tmpdir(), 'fromscratch-oci-archive-'));
  try {
    const layoutDir = join(work, 'layout');
    const descriptor = await writeOciLayout(layoutDir, root, options);
    const blobs = (await readdir(join(layoutDir, 'blobs', 'sha256'))).map((hex) => `blobs/sha256/${hex}`);
    await packArchive(layoutDir, ['oci-layout', 'index.json', ...blobs], file);
    return descriptor;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
