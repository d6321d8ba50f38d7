import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/** How to wait for a lock another process of the test set-up holds. */
export interface FileLockOptions {
  /** True once the work the lock guards is done (by the holder): then there is nothing to wait for. */
  readonly done: () => boolean;
  readonly waitMs: number;
  readonly pollMs: number;
  /** The error when waiting for `holder` takes longer than waitMs. */
  readonly gaveUp: (holder: number) => Error;
  readonly onWait?: (holder: number) => void;
  readonly onStale?: (holder: number) => void;
}

/**
 * Takes the lock file at `path` (created exclusively, holding our pid) for
 * work several test processes may start at once (fixture builds, the Debian
 * root). A lock whose process is gone is removed. Returns false when the
 * work was done by another process while this one waited.
 */
export async function acquireFileLock(path: string, options: FileLockOptions): Promise<boolean> {
  const deadline = Date.now() + options.waitMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (options.done()) return false;
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // released between our open and read: try again
    }
    if (Number.isInteger(holder) && !isProcessAlive(holder)) {
      options.onStale?.(holder);
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw options.gaveUp(holder);
    if (!announced) options.onWait?.(holder);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/** Whether process `pid` still runs (EPERM: it does, as another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
