import { describeError, FromscratchError } from '../errors.js';
import { writeStdout } from '../io/stdout.js';
import { runProgram, type CommandSpec, type Program } from './command.js';
import { buildCommand } from './build-command.js';
import { checkCommand } from './check-command.js';
import { copyCommand } from './copy-command.js';
import { dockerfileCommand } from './dockerfile-command.js';
import { runInspect, type InspectCommandOptions } from './inspect-command.js';

const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'what a binary is, how it links, what it needs at run time, and why (never runs it)',
  args: [{ name: 'paths', variadic: true, description: 'binaries, directories (scanned recursively, symlinks not followed), Go source directories, or IMAGE:/path (oci:DIR[:TAG]:/app/server, docker://HOST/REPO:TAG:/app/server...)' }],
  options: [
    { name: 'json', description: 'one JSON object per file, one per line' },
    { name: 'root', value: 'dir', default: '/', description: 'resolve the interpreter and libraries inside this root file system' },
    { name: 'fail-on', value: 'severity', default: 'error', choices: ['error', 'warning', 'info', 'none'], description: 'exit 1 when a finding reaches this severity' },
    // Reads are synchronous: on one thread more files at once only overlap the library look-ups, and past two cost more than they hid.
    { name: 'jobs', short: 'j', value: 'n', default: '2', description: 'files inspected at once' },
    { name: 'platform', value: 'os/arch[/variant]', description: "for IMAGE:/path, the index's image to look in [default: the host's, or the only one]" },
    { name: 'insecure', description: 'allow plain HTTP and unverified TLS for registries not on loopback' },
    { name: 'ca-file', value: 'file', description: 'PEM file of extra CA certificates to trust for registries' },
  ],
  run: (paths, options) => runInspect(paths, options as InspectCommandOptions),
};

export const PROGRAM: Program = {
  name: 'fromscratch',
  version: '0.1.0',
  summary: 'Ship Go programs, and any Linux binary, in the smallest container image that actually runs them.',
  commands: [inspectCommand, dockerfileCommand, buildCommand, checkCommand, copyCommand],
};

/**
 * The command line's one edge: the single place where errors turn into a
 * one-line message and an exit code (2 for usage and input errors; anything
 * else is a bug, reported as such without a trace unless FROMSCRATCH_DEBUG
 * is set).
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await runProgram(PROGRAM, argv, writeStdout);
  } catch (e) {
    if (e instanceof FromscratchError) {
      process.stderr.write(`fromscratch: ${e.message}\n`);
      return 2;
    }
    const { message } = describeError(e);
    process.stderr.write(`fromscratch: internal error: ${message}\n`);
    if (process.env.FROMSCRATCH_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 70;
  }
}
