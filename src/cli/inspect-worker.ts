import { parentPort, workerData } from 'node:worker_threads';
import { createInspector, type InspectTask } from './inspector.js';

// A worker of a directory scan: the same inspector as the main thread, with
// its own caches, answering one task per message.
const { rootDir } = workerData as { rootDir: string };
const inspect = createInspector(rootDir);
parentPort?.on('message', (message: { id: number; task: InspectTask }) => {
  void inspect(message.task).then((report) => parentPort?.postMessage({ id: message.id, report }));
});
