import { realpathSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { openExecutable } from '../binary/open.js';
import { describeError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import type { NssImportsCache } from './nss.js';
import { FileSource } from '../io/source.js';
import type { LinkerSession } from '../linker/index.js';
import { analyseBinary } from './analyse-binary.js';
import { emptyReport, type InspectReport } from './report.js';

export interface InspectOptions {
  /** The root the interpreter and libraries are resolved in (`--root`, default the host). */
  readonly root: RootFS;
  /** Absolute host directory of that root, so a binary inside it gets its in-root path for $ORIGIN; "/" for the host. */
  readonly rootDir: string;
  /** Shared across the files of one command, so libraries are read once per scan. */
  readonly session?: LinkerSession;
  /** Shared across a scan: each library's NSS imports, read once. */
  readonly nssCache?: NssImportsCache;
  /** When true (directory scans), a file that is not a binary yields undefined instead of a report. */
  readonly skipNonBinaries?: boolean;
}

/**
 * bytes → parsed formats → facts → findings: everything `inspect` says about
 * one file. Never throws for a bad file: the problem becomes the report's
 * `error`, so one bad file in a scan does not stop the others.
 */
export async function inspectFile(path: string, options: InspectOptions): Promise<InspectReport | undefined> {
  let source: FileSource | undefined;
  try {
    source = await FileSource.open(path);
    const opened = await openExecutable(source);
    if (!opened) {
      if (options.skipNonBinaries) return undefined;
      return emptyReport(path);
    }
    const { report } = await analyseBinary(path, opened, { ...options, inRootPath: () => pathInsideRoot(path, options.rootDir) });
    return report;
  } catch (e) {
    const report = emptyReport(path);
    const error = describeError(e);
    return { ...report, error: { code: error.code, message: error.message.startsWith(path) ? error.message : `${path}: ${error.message}` } };
  } finally {
    await source?.close();
  }
}

/**
 * The binary's path as the loader inside the root would see it, which is what
 * $ORIGIN expands to. A binary outside the root is treated as if it sat at
 * the root's top level under its own name.
 */
async function pathInsideRoot(path: string, rootDir: string): Promise<string> {
  // On the host the loader resolves the links itself (from this path, inside the root).
  if (rootDir === '/') return resolvePath(path);
  const abs = realOrResolved(path);
  const root = realOrResolved(rootDir);
  if (abs === root || abs.startsWith(root + '/')) return abs.slice(root.length) || '/';
  return '/' + (abs.split('/').pop() ?? 'binary');
}

function realOrResolved(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolvePath(path);
  }
}
