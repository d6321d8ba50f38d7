import { createRequire } from 'node:module';
import { completeFileFacts, readFileFacts, type FileFacts } from '../analysis/inspect.js';
import { newNssImportsCache, nssImportsVisitor } from '../analysis/nss.js';
import type { InspectReport } from '../analysis/report.js';
import { InOrder, type ScanTarget } from '../analysis/scan.js';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { LinkerSession } from '../linker/session.js';
import { HelperThreads } from './helper-threads.js';

export type InspectTask = ScanTarget;

/**
 * The first half of inspecting a task, which reads the file and nothing
 * else (no root, no library): any thread can do it. A Go source directory
 * is analysed whole here.
 */
export async function readTask(task: InspectTask): Promise<FileFacts> {
  if (!task.goSource) return readFileFacts(task.path, task.discovered);
  // Loaded for Go source directories only: it runs the go command, which inspecting binaries never needs.
  const { inspectGoSource } = await import('../analysis/inspect-source.js');
  return { report: await inspectGoSource(task.path) };
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

/**
 * Helper threads for a scan expected to hold `expectedFiles` files, started
 * now (see HelperThreads), or undefined when it gets none.
 */
export function startHelpers(expectedFiles: number): HelperThreads | undefined {
  return HelperThreads.start(helpersFor(expectedFiles));
}

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
 * while the helpers start). The reads are synchronous and the parsing is
 * CPU work, so one thread keeps one core busy. `early` are helpers started
 * before the walk (startHelpers); without them the scan starts its own when
 * it is big. The helpers are closed when it returns.
 */
export async function inspectAll(
  targets: readonly InspectTask[],
  rootDir: string,
  jobs: number,
  emit: (report: InspectReport | undefined) => void,
  early?: HelperThreads,
): Promise<void> {
  const helpers = early ?? startHelpers(targets.length);
  const next = helpers?.next ?? new Int32Array(1);
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
  try {
    const complete = createCompleter(rootDir);
    helpers?.begin(targets, {
      facts: (index, facts) => {
        read.push({ index, facts });
        wake();
      },
      done: wake,
      failed: (e) => {
        failure ??= e;
        wake();
      },
    });
    const step = async (): Promise<void> => {
      const queued = read[readHead];
      if (queued !== undefined) {
        read[readHead++] = undefined;
        store(queued.index, await complete(queued.facts));
        return;
      }
      const index = Atomics.add(next, 0, 1);
      if (index < targets.length) store(index, await complete(await readTask(targets[index] as InspectTask)));
      // Every file is taken: wait for what the helpers are still reading.
      else await new Promise<void>((resolve) => waiting.push(resolve));
    };
    const runner = async (): Promise<void> => {
      let sinceYield = 0;
      while (order.emitted < targets.length && failure === undefined) {
        try {
          await step();
        } catch (e) {
          // An error here (in emit, say) stops the other runners too, rather than leave them emitting after the scan failed.
          failure ??= e instanceof Error ? e : new Error(String(e));
          wake();
        }
        if (helpers !== undefined && ++sinceYield === YIELD_EVERY) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, targets.length)) }, runner));
    if (failure) throw failure;
  } finally {
    helpers?.close();
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
