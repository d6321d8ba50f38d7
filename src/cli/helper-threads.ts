import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileFacts } from '../analysis/inspect.js';
import type { ScanTarget } from '../analysis/scan.js';

/** What a helper thread is given at start: the counter every thread takes its next file from. */
export interface HelperData {
  readonly counter: SharedArrayBuffer;
}

/** What a helper is sent once the scan's files are known (it waits for this). */
export interface HelperTasks {
  readonly tasks: readonly ScanTarget[];
}

/** What a helper thread sends back: one file's facts (readTask), or that it has taken its last file. */
export type HelperMessage = { readonly index: number; readonly facts: FileFacts } | { readonly done: true };

/** What the scan hears from its helpers. */
export interface HelperListener {
  facts(index: number, facts: FileFacts): void;
  /** A helper sent its last file. */
  done(): void;
  failed(error: Error): void;
}

/**
 * Helper threads of a directory scan (see inspectAll), started before the
 * scan's file list exists when the caller can tell early that the scan is
 * big: a helper's start-up (~30 ms on an idle core, ~80 ms beside a busy
 * scan) then overlaps the walk of the directory instead of the busy scan.
 * They wait until `begin` gives them the files.
 */
export class HelperThreads {
  /** The counter the helpers and the main thread take file indexes from. */
  readonly next: Int32Array;
  private readonly workers: { postMessage(m: HelperTasks): void; terminate(): Promise<number> }[];
  private listener: HelperListener | undefined;
  /** A failure before `begin`, told to the listener when it comes. */
  private early: Error | undefined;
  private closing = false;

  private constructor(count: number, script: string) {
    const counter = new SharedArrayBuffer(4);
    this.next = new Int32Array(counter);
    // Loaded only here: worker_threads and the streams it needs cost every start-up a few milliseconds.
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    this.workers = [];
    const spawn = () => {
      // The helper's stdout and stderr are its own streams, not piped into
      // this thread's: piping them creates process.stdout and process.stderr
      // here (~2 ms of this thread's start, and the stream modules), and
      // leaves fd 1 non-blocking, so that a full pipe would move every later
      // report through that stream. A helper writes nothing to stdout; what
      // it writes to stderr (a warning) is passed on when it comes.
      const worker = new Worker(script, { workerData: { counter } satisfies HelperData, stdout: true, stderr: true });
      worker.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      worker.stdout.resume();
      // Set once it has sent every file it read: it then exits on its own, which is no failure.
      let finished = false;
      worker.on('message', (m: HelperMessage) => {
        if ('done' in m) {
          finished = true;
          this.listener?.done();
        } else this.listener?.facts(m.index, m.facts);
      });
      // A helper that dies fails the scan at once (never a hang on the files it had taken).
      const fail = (e: unknown): void => {
        const error = e instanceof Error ? e : new Error(`inspect worker stopped (${String(e)})`);
        if (this.listener) this.listener.failed(error);
        else this.early ??= error;
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closing && !finished) fail(new Error(`inspect worker exited with code ${code} before it finished`));
      });
      return worker;
    };
    try {
      for (let i = 0; i < count; i++) this.workers.push(spawn());
    } catch (e) {
      // One that cannot start: the ones already started would wait for their files for ever.
      this.close();
      throw e;
    }
  }

  /**
   * `count` helpers running `script` (the inspect worker beside this module;
   * tests give others), or undefined when there are none to start.
   */
  static start(count: number, script: string | undefined = count > 0 ? workerScript() : undefined): HelperThreads | undefined {
    return count > 0 && script !== undefined ? new HelperThreads(count, script) : undefined;
  }

  /** Gives the helpers the scan's files; from now on they take indexes from `next` and report to `listener`. */
  begin(tasks: readonly ScanTarget[], listener: HelperListener): void {
    this.listener = listener;
    if (this.early) listener.failed(this.early);
    for (const w of this.workers) w.postMessage({ tasks });
  }

  close(): void {
    this.closing = true;
    // Not awaited (that took 10-20 ms at the end of a scan): a helper that sent its last file is leaving anyway.
    for (const w of this.workers) void w.terminate();
  }
}

/**
 * The worker's code: dist/bundle/inspect-worker.cjs (the bundle's loader,
 * with its code cache) when this module runs from the bundle, else
 * dist/cli/inspect-worker.js beside the unbundled module.
 */
function workerScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'inspect-worker.cjs'), join(here, 'inspect-worker.js')];
  return candidates.find((p) => existsSync(p));
}
