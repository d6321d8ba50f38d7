import { exitWhenWritten } from '../io/stdout.js';
import { main } from './main.js';

/**
 * The entry of the CommonJS bundles bin/fromscratch.cjs loads (the whole
 * CLI's, and inspect's: scripts/bundle-cli.js). `run` is the command line;
 * `startInspectWorker` is what an inspect worker thread runs (its script,
 * dist/bundle/inspect-worker.cjs, goes through the same loader to share
 * the inspect bundle's code cache). Nothing here loads node:worker_threads:
 * that module and the streams it pulls in cost milliseconds every start-up.
 */
export async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  const code = await main(argv);
  // inspect leaves nothing running once main resolves: exit now rather than
  // wait for V8's background compile jobs and the heap's teardown, which on
  // a busy machine took ~10 ms of a ~50 ms run. Other commands keep the
  // natural exit (their sockets and streams finish on their own terms).
  if (argv[0] === 'inspect') exitWhenWritten(code);
  else process.exitCode = code;
}

export async function startInspectWorker(): Promise<void> {
  await import('./inspect-worker.js');
}
