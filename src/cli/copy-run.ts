import { referenceOptions } from './reference-options.js';
import { openImageReference, writeImageReference } from '../image/open-reference.js';
import { formatImageReference, parseImageReference } from '../image/refs.js';
import { UsageError } from '../errors.js';
import type { ParsedOptions } from './command.js';
import { progressFor } from './progress.js';

/** Runs `fromscratch copy` (see copy-command.ts for its options). */
export async function runCopy(positionals: readonly string[], options: ParsedOptions): Promise<number> {
  const [sourceText, destinationText] = positionals;
  if (sourceText === undefined || destinationText === undefined) throw new UsageError('copy: needs <source> and <destination>');
  // Both parsed before anything is read, so a typo in either fails first.
  const source = parseImageReference(sourceText);
  const destination = parseImageReference(destinationText);
  if (destination.transport === 'docker-archive' && destination.reference?.kind === 'index') {
    throw new UsageError(`copy: ${destinationText}: a docker-archive is written with a REPO:TAG name, not @N`);
  }
  // Per blob pulled or pushed, on stderr, only on a terminal: stdout stays the result alone.
  const progress = progressFor(process.stderr);
  // --platform picks the source's image; the destination is written as it comes.
  const reference = referenceOptions('copy', options, progress);
  const { platform: _platform, ...registry } = reference;
  try {
    const opened = await openImageReference(source, reference);
    try {
      const descriptor = await writeImageReference(destination, opened.root, registry);
      progress.close();
      const result = { source: formatImageReference(source), destination: formatImageReference(destination), digest: descriptor.digest };
      process.stdout.write(options.json === true ? `${JSON.stringify(result)}\n` : `${result.destination} ${result.digest}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  } finally {
    progress.close();
  }
}
