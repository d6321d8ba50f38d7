import { statSync, type Stats } from 'node:fs';
import { factsFromBinary, factsFromSource, generateDockerfile, type DockerfileFacts } from '../dockerfile/index.js';
import { InputError, UsageError } from '../errors.js';
import type { DockerfileCommandOptions } from './dockerfile-command.js';

/** Reads the input, generates the Dockerfile, writes it to `output` when given; returns the text. */
export async function runDockerfile(input: string, opts: DockerfileCommandOptions): Promise<string> {
  let info: Stats;
  try {
    info = statSync(input);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new InputError('not-found', `${input}: no such file or directory`);
    throw new InputError('io', `${input}: ${e.message}`);
  }
  const tags = opts.tags === undefined ? [] : opts.tags.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
  for (const t of tags) if (!/^[A-Za-z0-9_.]+$/.test(t)) throw new UsageError(`--tags: "${t}" is not a build tag (letters, digits, '_' and '.')`);
  let facts: DockerfileFacts;
  if (info.isDirectory()) {
    facts = await factsFromSource(input, { ...(opts.package ? { package: opts.package } : {}), tags });
  } else {
    if (opts.package !== undefined || opts.tags !== undefined) throw new UsageError('--package and --tags apply to a source directory, not a binary');
    facts = await factsFromBinary(input);
  }
  const text = generateDockerfile(facts, { embedTzdata: opts.embedTzdata === true, keepSymbols: opts.keepSymbols === true });
  if (opts.output !== undefined) {
    // Loaded only here: its node:fs/promises costs every command's start-up (inspect's too) ~10 ms.
    const { writeFileAtomic } = await import('../io/atomic.js');
    await writeFileAtomic(opts.output, text);
  }
  return text;
}
