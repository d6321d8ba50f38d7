import { randomBytes } from 'node:crypto';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
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
export function registerDockerfileCommand(program: Command): Command {
  return program
    .command('dockerfile')
    .description('a multi-stage Dockerfile for the smallest image that runs a Go program (from its binary or its source)')
    .argument('<input>', 'a Go binary, or a directory of Go source (its main package)')
    .option('-o, --output <file>', 'write the Dockerfile to this file (atomically) instead of stdout')
    .option('--package <pattern>', 'source only: the main package when the directory holds several (./cmd/app)')
    .option('--tags <tags>', 'source only: build tags, comma separated')
    .option('--embed-tzdata', 'compile the zone database in (-tags timetzdata) instead of copying /usr/share/zoneinfo')
    .option('--keep-symbols', 'keep the symbol table and DWARF (no -ldflags="-s -w")')
    .action(async (input: string, opts: DockerfileCommandOptions) => {
      const text = await runDockerfile(input, opts);
      if (opts.output === undefined) process.stdout.write(text);
    });
}

/** Reads the input, generates the Dockerfile, writes it to `output` when given; returns the text. */
export async function runDockerfile(input: string, opts: DockerfileCommandOptions): Promise<string> {
  const info = await stat(input).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new InputError('not-found', `${input}: no such file or directory`);
    throw new InputError('io', `${input}: ${e.message}`);
  });
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
  if (opts.output !== undefined) await writeAtomically(opts.output, text);
  return text;
}

/** Writes through a temporary file in the same directory and renames it, so readers never see half a file. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text, { flag: 'wx', mode: 0o644 });
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new InputError('not-found', `${path}: its directory does not exist`);
    throw new InputError('io', `${path}: ${err.message}`);
  }
}
