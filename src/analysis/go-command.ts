import { createRequire } from 'node:module';
import { FormatError, InputError } from '../errors.js';

/** How to run the go command once. */
export interface GoCommandRun {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Most bytes of standard output kept; more is an error. */
  readonly maxOutput: number;
  /** Who asked (a directory), for the messages. */
  readonly where: string;
  /** What runs, for the messages: "go list", "go build for linux/arm64". */
  readonly what: string;
}

/** Stderr lines a failure message keeps, and its longest length. */
const STDERR_LINES = 6;
const MAX_MESSAGE = 2000;

/**
 * Runs `goBinary args` and gives its standard output. Every way it can go
 * wrong is a one-line InputError or FormatError naming `where` and `what`:
 * no go command, a timeout, too much output, or a failure with the first
 * lines go wrote to stderr. One place for `go list` (inspect of a source
 * directory) and `go build` (build).
 */
export async function runGoCommand(goBinary: string, args: readonly string[], run: GoCommandRun): Promise<string> {
  // Loaded on first use: child_process (and net with it) cost more start-up
  // than inspecting a binary. Through require, which works both here and in
  // the CommonJS bundle the CLI runs (a vm script, where import() has no loader).
  const { execFile } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const { where, what } = run;
  return new Promise((resolvePromise, reject) => {
    execFile(goBinary, [...args], { cwd: run.cwd, env: run.env, timeout: run.timeoutMs, maxBuffer: run.maxOutput, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolvePromise(stdout);
      const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number };
      if (e.code === 'ENOENT') {
        return reject(new InputError('not-found', `${where}: the go command "${goBinary}" is not installed (set GO123 or put go on PATH)`));
      }
      if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new FormatError('limit', `${where}: ${what} printed more than ${run.maxOutput} bytes`));
      if (e.killed || e.signal) return reject(new InputError('io', `${where}: ${what} did not finish within ${Math.round(run.timeoutMs / 1000)} s`));
      const said = oneLine(stderr, STDERR_LINES);
      reject(new InputError('io', `${where}: ${what} failed: ${said || `exit ${String(e.code)}`}`.slice(0, MAX_MESSAGE)));
    });
  });
}

/** The go command's words on one line: its non-blank lines (the first `maxLines`), trimmed, joined with "; ". */
export function oneLine(text: string, maxLines = Infinity): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(0, maxLines)
    .join('; ');
}
