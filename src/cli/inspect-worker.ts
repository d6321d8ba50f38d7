import { parentPort, workerData } from 'node:worker_threads';
import { readTask, type HelperData, type HelperMessage, type InspectTask } from './inspector.js';

// A helper thread of a directory scan (see inspectAll): it reads files,
// taking the next one from the counter all threads share until none is
// left, and sends each file's facts to the main thread, which completes the
// reports against the root.
const { tasks, counter } = workerData as HelperData;
const next = new Int32Array(counter);
void (async () => {
  for (;;) {
    const index = Atomics.add(next, 0, 1);
    if (index >= tasks.length) break;
    const facts = await readTask(tasks[index] as InspectTask);
    parentPort?.postMessage({ index, facts } satisfies HelperMessage);
  }
  parentPort?.postMessage({ done: true } satisfies HelperMessage);
})();
