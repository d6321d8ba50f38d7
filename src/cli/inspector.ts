import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { inspectFile } from '../analysis/inspect.js';
import { inspectGoSource } from '../analysis/inspect-source.js';
import { newNssImportsCache, nssImportsVisitor } from '../analysis/nss.js';
import type { InspectReport } from '../analysis/report.js';
import type { ScanTarget } from '../analysis/scan.js';
import { CachedRootFS, HostRootFS } from '../fs/index.js';
import { LinkerSession } from '../linker/index.js';

export type InspectTask = ScanTarget;
export type Inspector = (task: InspectTask) => Promise<InspectReport | undefined>;

/**
 * One cached view of the root and one linker session for everything this
 * inspector looks at: a scan of /usr/bin reads libc and ld.so.cache once,
 * not once per binary.
 */
export function createInspector(rootDir: string): Inspector {
  const root = new CachedRootFS(new HostRootFS(rootDir));
  const nssCache = newNssImportsCache();
  const session = new LinkerSession(root, nssImportsVisitor(nssCache));
  return (t) => (t.goSource ? inspectGoSource(t.path) : inspectFile(t.path, { root, rootDir, session, nssCache, skipNonBinaries: t.discovered }));
}

/** Below this many files a worker's start-up (loading the code again) costs more than it saves. */
const WORKER_THRESHOLD = 64;
/**
 * Fewer cores than this and the scan stays on one thread: every worker
 * warms its own JIT and reads the same libraries again, which on two cores
 * cost about as much as the second core gave (measured on /usr/bin: one
 * thread 1.6 s of CPU, two workers 2.9 s), and lost outright when other
 * programs were busy too.
 */
const MIN_CORES_FOR_WORKERS = 4;

/**
 * Spreads a big scan over worker threads, one per core: the reading is
 * synchronous and the parsing is CPU work, so one thread uses one core.
 * Each worker keeps its own caches. Returns undefined when workers would
 * not help (few files, one core) or their code cannot be found.
 */
export function createWorkerInspector(rootDir: string, taskCount: number): { inspect: Inspector; close(): Promise<void> } | undefined {
  // FROMSCRATCH_WORKERS=n asks for n workers whatever the cores (0: one thread; debugging, comparisons).
  const fromEnv = process.env.FROMSCRATCH_WORKERS;
  const available = availableParallelism();
  const wanted = fromEnv === undefined ? (available >= MIN_CORES_FOR_WORKERS ? available : 1) : Number(fromEnv);
  const cores = Number.isInteger(wanted) ? Math.min(wanted, 4) : 1;
  if (taskCount < WORKER_THRESHOLD || cores < 2) return undefined;
  const script = workerScript();
  if (script === undefined) return undefined;
  // Loaded only here: worker_threads and the streams it needs cost every start-up a few milliseconds.
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const pending = new Map<number, { resolve: (r: InspectReport | undefined) => void; reject: (e: unknown) => void }>();
  const load: number[] = [];
  let failure: Error | undefined;
  let closing = false;
  const workers = Array.from({ length: cores }, (_, i) => {
    const worker = new Worker(script, { workerData: { rootDir } });
    load[i] = 0;
    worker.on('message', (m: { id: number; report: InspectReport | undefined }) => {
      load[i] = (load[i] ?? 1) - 1;
      pending.get(m.id)?.resolve(m.report);
      pending.delete(m.id);
    });
    // A worker that dies fails the scan at once (never a hang on its unanswered tasks).
    const fail = (e: unknown): void => {
      failure ??= e instanceof Error ? e : new Error(`inspect worker stopped (${String(e)})`);
      for (const p of pending.values()) p.reject(failure);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing) fail(new Error(`inspect worker exited with code ${code}`));
    });
    return worker;
  });
  let nextId = 0;
  const inspect: Inspector = (task) =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      // The least loaded worker: big Go binaries take far longer than small C ones.
      let pick = 0;
      for (let i = 1; i < workers.length; i++) if ((load[i] ?? 0) < (load[pick] ?? 0)) pick = i;
      load[pick] = (load[pick] ?? 0) + 1;
      pending.set(id, { resolve, reject });
      workers[pick]?.postMessage({ id, task });
    });
  const close = async (): Promise<void> => {
    closing = true;
    await Promise.all(workers.map((w) => w.terminate()));
  };
  return { inspect, close };
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
