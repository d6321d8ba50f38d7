import { main } from './main.js';

/**
 * The entry of the CommonJS bundle bin/fromscratch.js loads. `run` is the
 * command line; `startInspectWorker` is what an inspect worker thread runs
 * (its script, dist/bundle/inspect-worker.cjs, goes through the same loader
 * to share the code cache). Nothing here loads node:worker_threads: that
 * module and the streams it pulls in cost milliseconds every start-up.
 */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2));
}

export async function startInspectWorker(): Promise<void> {
  await import('./inspect-worker.js');
}
