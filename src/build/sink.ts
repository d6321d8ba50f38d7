import { UsageError } from '../errors.js';
import { writeImageReference, type ReferenceOptions } from '../image/open-reference.js';
import { parseImageReference, type ImageReference } from '../image/refs.js';
import type { Descriptor, ImageOrIndex } from '../image/types.js';

/**
 * Where `build -o` writes: any transport writeImageReference knows. Local
 * sinks are atomic (a layout's index.json, an archive's final name, appear
 * only once everything else is written); a push sets the tag last.
 */

/** Parses `-o` early, so a typo fails before any work is done. */
export function parseOutput(text: string): ImageReference {
  const ref = parseImageReference(text);
  if (ref.transport === 'docker-archive' && ref.reference?.kind === 'index') throw new UsageError(`-o ${text}: a docker-archive is written with a REPO:TAG name, not @N`);
  return ref;
}

export function writeToOutput(ref: ImageReference, root: ImageOrIndex, options: ReferenceOptions = {}): Promise<Descriptor> {
  return writeImageReference(ref, root, options);
}
