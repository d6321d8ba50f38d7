import { Command, CommanderError, Option } from 'commander';
import { describeError, FromscratchError } from '../errors.js';
import { registerDockerfileCommand } from './dockerfile-command.js';
import { runInspect } from './inspect-command.js';

/**
 * The command line's one edge: argument parsing, and the single place where
 * errors turn into a one-line message and an exit code (2 for usage and
 * input errors; anything else is a bug, reported as such without a trace
 * unless FROMSCRATCH_DEBUG is set).
 */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('fromscratch')
    .description('Ship Go programs, and any Linux binary, in the smallest container image that actually runs them.')
    .version('0.1.0')
    .showSuggestionAfterError()
    .exitOverride();

  program
    .command('inspect')
    .description('what a binary is, how it links, what it needs at run time, and why (never runs it)')
    .argument('<paths...>', 'binaries or directories (scanned recursively, symlinks not followed)')
    .option('--json', 'one JSON object per file, one per line')
    .option('--root <dir>', 'resolve the interpreter and libraries inside this root file system', '/')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('-j, --jobs <n>', 'files inspected at once', '8')
    .action(async (paths: string[], opts: { json?: boolean; root?: string; failOn?: string; jobs?: string }) => {
      setExitCode(await runInspect(paths, opts));
    });
  registerDockerfileCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successful exits; commander has already printed them or the usage error.
      return e.exitCode === 0 ? 0 : 2;
    }
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
