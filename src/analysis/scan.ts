import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { holdsGoSource } from './go-source-dir.js';

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

/**
 * One input of the command line, looked at once: whether it is a
 * directory, and a directory's entries, which give the early guess at a
 * scan's size (inputSize), the Go source test and the walk's first level,
 * one stat and one read for all three.
 */
export interface ListedInput {
  readonly path: string;
  /** A directory's entries, or undefined for anything else (or a directory that cannot be read). */
  readonly entries: Dirent[] | undefined;
  readonly directory: boolean;
}

export function listInputs(inputs: readonly string[]): ListedInput[] {
  return inputs.map(listInput);
}

function listInput(path: string): ListedInput {
  let directory = false;
  try {
    directory = statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    // Refused (EACCES, ELOOP): inspected as a file, which reports why.
  }
  return { path, directory, entries: directory ? readEntries(path) : undefined };
}

/**
 * How many entries the inputs hold at their top level (a file, or a path
 * that is not there, counts one): a guess at a scan's size before the walk,
 * cheap enough to decide on helper threads early.
 */
export function inputSize(listed: readonly ListedInput[]): number {
  let count = 0;
  for (const input of listed) count += input.entries?.length ?? 1;
  return count;
}

export async function expandInputs(inputs: readonly string[] | readonly ListedInput[]): Promise<ScanTarget[]> {
  const out: ScanTarget[] = [];
  for (const given of inputs) {
    const input = typeof given === 'string' ? listInput(given) : given;
    const { path, entries } = input;
    if (!input.directory) out.push({ path, discovered: false }); // a file, or a path the inspector reports the error for
    else if (entries !== undefined && holdsGoSource(entries.map((e) => e.name))) out.push({ path, discovered: false, goSource: true });
    else if (entries !== undefined) walkEntries(path, entries, 0, out);
  }
  return out;
}

/** A directory's entries, or undefined when it cannot be read (skipped like a non-binary). */
function readEntries(dir: string): Dirent[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
}

function walkEntries(dir: string, entries: Dirent[], depth: number, out: ScanTarget[]): void {
  if (depth > MAX_DEPTH) return;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = readEntries(path);
      if (inner !== undefined) walkEntries(path, inner, depth + 1, out);
    } else if (entry.isFile()) out.push({ path, discovered: true });
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
