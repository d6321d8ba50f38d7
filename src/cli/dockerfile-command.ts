import { statSync, type Stats } from 'node:fs';
import type { CommandSpec } from './command.js';
import { factsFromBinary, factsFromSource, generateDockerfile, type DockerfileFacts } from '../dockerfile/index.js';
import { InputError, UsageError } from '../errors.js';

export interface DockerfileCommandOptions {
  readonly output?: string;
  readonly package?: string;
  readonly tags?: string;
  readonly embedTzdata?: boolean;
  readonly keepSymbols?: boolean;
}

/**
 * `fromscratch dockerfile <binary|dir>`: a binary is read (build info,
 * function names), a directory is listed with the Go toolchain; either way
 * the same generator writes the Dockerfile, to stdout or atomically to -o.
 */
export const dockerfileCommand: CommandSpec = {
  name: 'dockerfile',
  summary: 'a multi-stage Dockerfile for the smallest image that runs a Go program (from its binary or its source)',
  args: [{ name: 'input', description: 'a Go binary, or a directory of Go source (its main package)' }],
  options: [
    { name: 'output', short: 'o', value: 'file', description: 'write the Dockerfile to this file (atomically) instead of stdout' },
    { name: 'package', value: 'pattern', description: 'source only: the main package when the directory holds several (./cmd/app)' },
    { name: 'tags', value: 'tags', description: 'source only: build tags, comma separated' },
    { name: 'embed-tzdata', description: 'compile the zone database in (-tags timetzdata) instead of copying /usr/share/zoneinfo' },
    { name: 'keep-symbols', description: 'keep the symbol table and DWARF (no -ldflags="-s -w")' },
  ],
  async run([input], options) {
    const opts = options as DockerfileCommandOptions;
    const text = await runDockerfile(input as string, opts);
    if (opts.output === undefined) process.stdout.write(text);
    return 0;
  },
};

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
