import { realpathSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { openExecutable } from '../binary/open.js';
import { describeError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import type { NssImportsCache } from './nss.js';
import { FileSource } from '../io/source.js';
import type { LinkerSession } from '../linker/index.js';
import { completeAnalysis } from './analyse-binary.js';
import { readBinaryFacts, type BinaryFacts } from './binary-facts.js';
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
  return completeFileFacts(await readFileFacts(path, options.skipNonBinaries ?? false), options);
}

/**
 * The first half of inspectFile, which reads nothing but the file itself:
 * the binary's own facts, or an already finished report (its error, or an
 * empty one for a file named explicitly that is not a binary), or undefined
 * for a non-binary a scan skips. Plain data, sent between threads.
 */
export type FileFacts = { readonly facts: BinaryFacts } | { readonly report: InspectReport } | undefined;

export async function readFileFacts(path: string, skipNonBinaries: boolean): Promise<FileFacts> {
  let source: FileSource | undefined;
  try {
    source = await FileSource.open(path);
    const opened = await openExecutable(source);
    if (!opened) return skipNonBinaries ? undefined : { report: emptyReport(path) };
    return { facts: await readBinaryFacts(path, opened) };
  } catch (e) {
    return { report: errorReport(path, e) };
  } finally {
    await source?.close();
  }
}

/** The second half of inspectFile: the file's libraries, needs and findings against the root. */
export async function completeFileFacts(read: FileFacts, options: InspectOptions): Promise<InspectReport | undefined> {
  if (read === undefined || 'report' in read) return read?.report;
  const path = read.facts.report.path;
  try {
    return (await completeAnalysis(read.facts, { ...options, inRootPath: () => pathInsideRoot(path, options.rootDir) })).report;
  } catch (e) {
    return errorReport(path, e);
  }
}

function errorReport(path: string, e: unknown): InspectReport {
  const error = describeError(e);
  return { ...emptyReport(path), error: { code: error.code, message: error.message.startsWith(path) ? error.message : `${path}: ${error.message}` } };
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
