import { createRequire } from 'node:module';

/**
 * V8 optimises a function once it has run through this much bytecode (its
 * default is 67584). A scan of many files runs mostly cold code for well
 * under a second: at the default, TurboFan compiled hundreds of functions
 * that were then barely used, on a second thread a 2-core machine does not
 * have to spare (a /usr/bin scan: 1.4 s of CPU, 0.9 s wall). Eight times
 * the budget still optimises the hot loops and took that scan to 0.9 s of
 * CPU, 0.76 s wall; /usr/sbin, by instruction count, half the work.
 */
const SCAN_INTERRUPT_BUDGET = 540672;

/**
 * From this many files on a scan raises the budget. One file does not gain
 * what loading node:v8 costs (it pulls in the stream modules: ~3 ms of a
 * ~60 ms run).
 */
export const SCAN_TUNING_THRESHOLD = 8;

let raised = false;

/**
 * Raises V8's interrupt budget for the rest of the process (flags are
 * process-wide: helper threads started later share it). Set after the
 * bundle is compiled on purpose: V8 stamps a code cache with the flags in
 * force when it is compiled or written, so the one cache the build writes
 * serves every run, tuned or not; bin/fromscratch.js does not write a
 * cache from a tuned run (v8FlagsChanged).
 */
export function raiseInterruptBudgetForScan(): void {
  if (raised) return;
  raised = true;
  const v8 = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  v8.setFlagsFromString(`--interrupt-budget=${SCAN_INTERRUPT_BUDGET}`);
}

/** Whether this process changed a V8 flag (then a code cache it writes would not match an untuned run's). */
export function v8FlagsChanged(): boolean {
  return raised;
}
