import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isGoSourceDir } from './go-source-dir.js';

/**
 * Expands the command line's inputs into the list of files to inspect. A
 * file named explicitly is always inspected (even a symlink to one); a
 * directory is walked recursively without following symlinks, so a link can
 * never lead the scan out of the tree it was given. Entries come back sorted
 * so output order does not depend on the file system.
 */
export interface ScanTarget {
  readonly path: string;
  /** True when the path came from walking a directory: non-binaries are then skipped quietly. */
  readonly discovered: boolean;
  /** A Go package directory named on the command line: analysed as source, not walked. */
  readonly goSource?: boolean;
}

const MAX_DEPTH = 64;

export async function expandInputs(inputs: readonly string[]): Promise<ScanTarget[]> {
  const out: ScanTarget[] = [];
  for (const input of inputs) {
    let info;
    try {
      // Synchronous, like the reads after it: one trip through libuv's thread pool (and starting it) cost more than the walk.
      info = statSync(input);
    } catch {
      out.push({ path: input, discovered: false }); // the inspector reports the error for this path
      continue;
    }
    if (info.isDirectory() && (await isGoSourceDir(input))) out.push({ path: input, discovered: false, goSource: true });
    else if (info.isDirectory()) await walk(input, 0, out);
    else out.push({ path: input, discovered: false });
  }
  return out;
}

/**
 * How many entries the inputs hold at their top level (a file counts one):
 * a guess at a scan's size before the walk, cheap enough to decide on
 * helper threads early.
 */
export function topLevelEntries(inputs: readonly string[]): number {
  let count = 0;
  for (const input of inputs) count += topLevelCount(input);
  return count;
}

/** A directory's entries, else 1 (a file, or what the walk will report): asked by stat, not by a readdir that throws (a cold throw costs ~0.15 ms). */
function topLevelCount(input: string): number {
  try {
    return statSync(input, { throwIfNoEntry: false })?.isDirectory() === true ? readdirSync(input).length : 1;
  } catch {
    return 1;
  }
}

async function walk(dir: string, depth: number, out: ScanTarget[]): Promise<void> {
  if (depth > MAX_DEPTH) return;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // unreadable directories are skipped like non-binaries
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, depth + 1, out);
    else if (entry.isFile()) out.push({ path, discovered: true });
    // Symlinks are not followed: a link inside the tree may point anywhere on the host.
  }
}

/**
 * Results that arrive in any order (from several runners or threads), handed
 * on in index order as soon as each prefix is complete, so long scans stream
 * their output.
 */
export class InOrder<R> {
  private readonly waiting = new Map<number, R>();
  private next = 0;

  constructor(private readonly emit: (result: R, index: number) => void) {}

  /** How many results have been handed on: every index below this one. */
  get emitted(): number {
    return this.next;
  }

  put(index: number, result: R): void {
    this.waiting.set(index, result);
    while (this.waiting.has(this.next)) {
      const r = this.waiting.get(this.next) as R;
      this.waiting.delete(this.next);
      this.emit(r, this.next++);
    }
  }
}

/**
 * Runs `work` over `items` with at most `limit` in flight and hands results
 * to `emit` in input order (see InOrder).
 */
export async function mapOrdered<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
  emit: (result: R, item: T) => void,
): Promise<void> {
  const order = new InOrder<R>((result, index) => emit(result, items[index] as T));
  let nextToStart = 0;
  const runner = async (): Promise<void> => {
    while (nextToStart < items.length) {
      const index = nextToStart++;
      order.put(index, await work(items[index] as T));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
}
