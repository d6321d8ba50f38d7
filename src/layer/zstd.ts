import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { FormatError, InputError, UsageError, isFromscratchError } from '../errors.js';

/**
 * zstd through the `zstd` command: Node 20's zlib has none. The input is
 * piped to the child and its output streamed back, so no layer is held in
 * memory. `-T0` uses every core; zstd's multi-threaded output does not
 * depend on the thread count, so the bytes are as reproducible as the
 * zstd version on the machine.
 */

export const ZSTD_COMMAND = 'zstd';
/** zstd's own default level. */
export const DEFAULT_ZSTD_LEVEL = 3;

export function zstdCompress(input: Readable, options: { readonly level?: number } = {}): Readable {
  const level = options.level ?? DEFAULT_ZSTD_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 19) throw new UsageError(`zstd level must be 1-19, got ${level}`);
  return runZstd(['-q', '-T0', `-${level}`, '-c'], input, 'zstd compression');
}

/** Decompresses a zstd stream; corrupt input ends the stream with a FormatError naming `name`. */
export function zstdDecompress(input: Readable, name = 'zstd stream'): Readable {
  return runZstd(['-q', '-d', '-c'], input, name);
}

function runZstd(args: readonly string[], input: Readable, name: string): Readable {
  const output = new PassThrough();
  const child = spawn(ZSTD_COMMAND, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdoutEnded = false;
  let exitCode: number | null | undefined;
  const finish = () => {
    if (!stdoutEnded || exitCode === undefined || output.destroyed) return;
    if (exitCode === 0) output.end();
    else output.destroy(new FormatError('malformed', `${name}: zstd failed (exit ${exitCode}): ${stderr.trim().split('\n')[0] ?? ''}`));
  };
  child.on('error', (error: NodeJS.ErrnoException) => {
    output.destroy(
      error.code === 'ENOENT'
        ? new InputError('not-found', `${name}: the ${ZSTD_COMMAND} command is not installed (Debian: apt-get install zstd); or use --compression gzip`)
        : new InputError('io', `${name}: cannot run ${ZSTD_COMMAND}: ${error.message}`),
    );
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-2000);
  });
  child.stdout.on('end', () => {
    stdoutEnded = true;
    finish();
  });
  child.on('close', (code) => {
    exitCode = code;
    finish();
  });
  child.stdout.pipe(output, { end: false });
  // zstd exits early on bad input: the pipe then breaks, which the exit status already reports.
  child.stdin.on('error', () => undefined);
  input.on('error', (error: unknown) => {
    output.destroy(isFromscratchError(error) ? error : new InputError('io', `${name}: ${error instanceof Error ? error.message : String(error)}`));
  });
  input.pipe(child.stdin);
  output.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!input.destroyed && !input.readableEnded) input.destroy();
  });
  return output;
}
