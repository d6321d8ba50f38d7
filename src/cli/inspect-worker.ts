import { parentPort, workerData } from 'node:worker_threads';
import type { HelperData, HelperMessage, HelperTasks } from './helper-threads.js';
import { readTask, type InspectTask } from './inspector.js';

// A helper thread of a directory scan (see inspectAll): once it is given the
// scan's files, it reads them, taking the next one from the counter all
// threads share until none is left, and sends each file's facts to the main
// thread, which completes the reports against the root.
const next = new Int32Array((workerData as HelperData).counter);
parentPort?.once('message', ({ tasks }: HelperTasks) => {
  void (async () => {
    for (;;) {
      const index = Atomics.add(next, 0, 1);
      if (index >= tasks.length) break;
      const facts = await readTask(tasks[index] as InspectTask);
      parentPort?.postMessage({ index, facts } satisfies HelperMessage);
    }
    parentPort?.postMessage({ done: true } satisfies HelperMessage);
  })();
});
