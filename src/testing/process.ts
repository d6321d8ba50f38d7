/**
 * Runs an external tool with no shell, a time limit and captured output.
 * Used by the fixture build and by the oracles. A non-zero exit is returned,
 * not thrown, because several tools (ldd, readelf) exit non-zero for answers
 * the caller wants to read; failing to start the tool at all is thrown.
 */
import { execFile } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Milliseconds before the tool is killed. */
  timeoutMs?: number;
}

export interface RunResult {
  /** The exit code, or null when the tool was killed by a signal (a timeout). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Thrown when a tool cannot be started (not installed) or runs out of time. */
export class ToolError extends Error {
  override name = 'ToolError';
}

const MAX_OUTPUT = 64 * 1024 * 1024;

export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
        timeout: timeoutMs,
        maxBuffer: MAX_OUTPUT,
        encoding: 'utf8',
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (error) {
          const err = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string | null };
          if (typeof err.code === 'string') {
            const why = err.code === 'ENOENT' ? 'not installed or not on PATH' : err.code;
            reject(new ToolError(`cannot run ${file}: ${why}`));
            return;
          }
          if (err.killed || (err.code == null && err.signal)) {
            const timedOut = err.killed && err.signal === 'SIGKILL';
            const what = timedOut ? `timed out after ${timeoutMs} ms` : `killed by ${err.signal ?? 'a signal'}`;
            reject(new ToolError(`${file} ${args.join(' ')} ${what}\n${stderr}`.trimEnd()));
            return;
          }
          resolve({ code: typeof err.code === 'number' ? err.code : 1, signal: null, stdout, stderr });
          return;
        }
        resolve({ code: 0, signal: null, stdout, stderr });
      },
    );
  });
}

/** Renders a command line for messages: arguments with spaces or quotes are single-quoted. */
export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./$-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
