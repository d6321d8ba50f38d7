import { parentPort, workerData } from 'node:worker_threads';
import { createInspector, type HelperData, type HelperMessage, type InspectTask } from './inspector.js';

// A helper thread of a directory scan (see inspectAll): the same inspector
// as the main thread, with its own caches, taking the next file from the
// counter all threads share until none is left.
const { rootDir, tasks, counter } = workerData as HelperData;
const inspect = createInspector(rootDir);
const next = new Int32Array(counter);
void (async () => {
  for (;;) {
    const index = Atomics.add(next, 0, 1);
    if (index >= tasks.length) break;
    const report = await inspect(tasks[index] as InspectTask);
    parentPort?.postMessage({ index, report } satisfies HelperMessage);
  }
  parentPort?.postMessage({ done: true } satisfies HelperMessage);
})();
