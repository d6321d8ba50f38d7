import { UsageError } from '../errors.js';
import { formatImageReference, parseImageReference, type ImageReference } from '../image/refs.js';
import { rootDescriptor } from '../image/blob-walk.js';
import { writeDockerArchive } from '../image/docker-archive.js';
import { writeOciArchive } from '../image/oci-archive.js';
import { writeOciLayout } from '../image/oci-layout-writer.js';
import type { Descriptor, ImageOrIndex } from '../image/types.js';

/**
 * Where `build -o` writes: the existing sinks, each atomic (a layout's
 * index.json, an archive's final name, appear only once everything else is
 * written).
 */

/** Parses `-o` early, so a typo fails before any work is done. */
export function parseOutput(text: string): ImageReference {
  const ref = parseImageReference(text);
  if (ref.transport === 'docker') throw new UsageError(`-o ${text}: pushing to a registry is not supported by build yet; write oci:DIR and use \`fromscratch copy\``);
  if (ref.transport === 'docker-archive' && ref.reference?.kind === 'index') throw new UsageError(`-o ${text}: a docker-archive is written with a REPO:TAG name, not @N`);
  return ref;
}

export async function writeToOutput(ref: ImageReference, root: ImageOrIndex): Promise<Descriptor> {
  switch (ref.transport) {
    case 'oci':
      return writeOciLayout(ref.path, root, ref.tag !== undefined ? { tag: ref.tag } : {});
    case 'oci-archive':
      return writeOciArchive(ref.path, root, ref.tag !== undefined ? { tag: ref.tag } : {});
    case 'docker-archive': {
      if (root.kind === 'index') throw new UsageError(`-o ${formatImageReference(ref)}: a docker-archive holds one platform; write a multi-platform build to oci: or oci-archive:`);
      const name = ref.reference?.kind === 'name' ? [ref.reference.name] : [];
      await writeDockerArchive(ref.path, root, { repoTags: name });
      return rootDescriptor(root);
    }
    case 'docker':
      throw new UsageError('pushing to a registry is not supported by build yet');
  }
}
