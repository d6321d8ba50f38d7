import { isMainThread } from 'node:worker_threads';
import { main } from './main.js';

/**
 * The entry of the CommonJS bundle bin/fromscratch.js loads: the command
 * line on the main thread; in a worker thread (inspect's directory scans
 * start workers on the same loader, to share its code cache) an inspect
 * worker, loaded only there.
 */
export async function run(): Promise<void> {
  if (!isMainThread) {
    await import('./inspect-worker.js');
    return;
  }
  process.exitCode = await main(process.argv.slice(2));
}
