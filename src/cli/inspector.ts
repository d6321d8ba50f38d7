import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { completeFileFacts, readFileFacts, type FileFacts } from '../analysis/inspect.js';
import { inspectGoSource } from '../analysis/inspect-source.js';
import { newNssImportsCache, nssImportsVisitor } from '../analysis/nss.js';
import type { InspectReport } from '../analysis/report.js';
import { InOrder, type ScanTarget } from '../analysis/scan.js';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { LinkerSession } from '../linker/index.js';

export type InspectTask = ScanTarget;

/**
 * The first half of inspecting a task, which reads the file and nothing
 * else (no root, no library): any thread can do it. A Go source directory
 * is analysed whole here.
 */
export async function readTask(task: InspectTask): Promise<FileFacts> {
  return task.goSource ? { report: await inspectGoSource(task.path) } : readFileFacts(task.path, task.discovered);
}

/** The second half: a report from what readTask gave, on the thread that holds the root's caches. */
export type Completer = (facts: FileFacts) => Promise<InspectReport | undefined>;

/**
 * One cached view of the root and one linker session for everything this
 * completer looks at: a scan of /usr/bin reads libc and ld.so.cache once,
 * not once per binary.
 */
export function createCompleter(rootDir: string): Completer {
  const root = new CachedRootFS(new HostRootFS(rootDir));
  const nssCache = newNssImportsCache();
  const session = new LinkerSession(root, nssImportsVisitor(nssCache));
  return (facts) => completeFileFacts(facts, { root, rootDir, session, nssCache });
}

/**
 * Below this many files a helper thread costs more than it saves: its
 * start-up (~30 ms on an idle core, ~80 ms while this thread is busy) and
 * the compiler and garbage-collector work of a second isolate. Measured on
 * two cores: /usr/bin (1,100 entries) ~15% faster with a helper, /usr/sbin
 * (220) within 2%, the Go toolchain's 20 tools 4% slower; a helper started
 * later (once a scan had run 25 ms) came too late and cost 9-15% on both.
 */
const HELPER_THRESHOLD = 256;
/** More helpers than this gain little: each warms its own JIT, and one thread completes every report. */
const MAX_HELPERS = 3;
/** The main thread lets helper threads' messages in (an event-loop turn) after this many steps of its own. */
const YIELD_EVERY = 8;

/** What a helper thread is given: the whole scan, and the shared counter every thread takes its next file from. */
export interface HelperData {
  readonly tasks: readonly InspectTask[];
  readonly counter: SharedArrayBuffer;
}

/** What a helper thread sends back: one file's facts (readTask), or that it has taken its last file. */
export type HelperMessage = { readonly index: number; readonly facts: FileFacts } | { readonly done: true };

/**
 * Inspects every target and hands the reports to `emit` in target order as
 * soon as each prefix is complete, so a long scan streams its output.
 *
 * A long scan is shared with helper threads (one per further core), split
 * by kind of work rather than by file: the helpers only read files
 * (readTask: headers, Go packages, imports), taking the next file from one
 * shared counter, and this thread completes every report against the root,
 * so the library closures, the libraries and ld.so.cache are worked out
 * once, in one cache, by code that warms up once. While no read file is
 * waiting, this thread reads files from the same counter too (all of them
 * while the helpers start). The reads are synchronous and the
 * parsing is CPU work, so one thread keeps one core busy.
 */
export async function inspectAll(
  targets: readonly InspectTask[],
  rootDir: string,
  jobs: number,
  emit: (report: InspectReport | undefined) => void,
): Promise<void> {
  const complete = createCompleter(rootDir);
  const helperCount = helpersFor(targets.length);
  const counter = new SharedArrayBuffer(4);
  const next = new Int32Array(counter);
  const order = new InOrder<InspectReport | undefined>(emit);
  /** Files the helpers have read, in arrival order, waiting to be completed here. */
  const read: ({ readonly index: number; readonly facts: FileFacts } | undefined)[] = [];
  let readHead = 0;
  let failure: Error | undefined;
  let waiting: (() => void)[] = [];
  const wake = (): void => {
    const woken = waiting;
    waiting = [];
    for (const w of woken) w();
  };
  const store = (index: number, report: InspectReport | undefined): void => {
    order.put(index, report);
    // The last report: a runner waiting for helpers' files has nothing left to wait for.
    if (order.emitted === targets.length) wake();
  };
  let closing = false;
  const startHelpers = (script: string): { terminate(): Promise<number> }[] => {
    // Loaded only here: worker_threads and the streams it needs cost every start-up a few milliseconds.
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    const data: HelperData = { tasks: targets, counter };
    return Array.from({ length: helperCount }, () => {
      const worker = new Worker(script, { workerData: data });
      // Set once it has sent every file it read: it then exits on its own, which is no failure.
      let finished = false;
      worker.on('message', (m: HelperMessage) => {
        if ('done' in m) finished = true;
        else read.push(m);
        wake();
      });
      // A helper that dies fails the scan at once (never a hang on the files it had taken).
      const fail = (e: unknown): void => {
        failure ??= e instanceof Error ? e : new Error(`inspect worker stopped (${String(e)})`);
        wake();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!closing && !finished) fail(new Error(`inspect worker exited with code ${code} before it finished`));
      });
      return worker;
    });
  };
  const script = helperCount > 0 ? workerScript() : undefined;
  const helpers = script === undefined ? [] : startHelpers(script);
  try {
    const runner = async (): Promise<void> => {
      let sinceYield = 0;
      while (order.emitted < targets.length) {
        if (failure) return;
        const queued = read[readHead];
        if (queued !== undefined) {
          read[readHead++] = undefined;
          store(queued.index, await complete(queued.facts));
        } else {
          const index = Atomics.add(next, 0, 1);
          if (index < targets.length) store(index, await complete(await readTask(targets[index] as InspectTask)));
          // Every file is taken: wait for what the helpers are still reading.
          else await new Promise<void>((resolve) => waiting.push(resolve));
        }
        if (helpers.length > 0 && ++sinceYield === YIELD_EVERY) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, targets.length)) }, runner));
    if (failure) throw failure;
  } finally {
    closing = true;
    // Not awaited (that took 10-20 ms at the end of a scan): a helper that sent its last file is leaving anyway.
    for (const w of helpers) void w.terminate();
  }
}

/**
 * How many helper threads a scan of `taskCount` files gets: one per core
 * beyond this thread's, up to MAX_HELPERS, none for small scans.
 * FROMSCRATCH_WORKERS=n asks for n helpers whatever the cores (0: one thread; debugging, comparisons).
 */
function helpersFor(taskCount: number): number {
  const fromEnv = process.env.FROMSCRATCH_WORKERS;
  if (fromEnv !== undefined) {
    const n = Number(fromEnv);
    return Number.isInteger(n) && n > 0 ? Math.min(n, MAX_HELPERS) : 0;
  }
  if (taskCount < HELPER_THRESHOLD) return 0;
  // node:os loaded here, not at start-up: most runs inspect a few files and never ask.
  const { availableParallelism } = createRequire(import.meta.url)('node:os') as typeof import('node:os');
  return Math.min(availableParallelism() - 1, MAX_HELPERS);
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
