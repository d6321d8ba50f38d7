import { resolve } from 'node:path';
import { atLeast, type InspectReport, type Severity } from '../analysis/report.js';
import { expandInputs, inputSize, listInputs, type ScanTarget } from '../analysis/scan.js';
import { UsageError } from '../errors.js';
import { inspectAll, startHelpers } from './inspector.js';
import { renderInspectText } from './render-inspect.js';
import { styleForTerminal, type Style } from './style.js';
import { stdoutClosed, stdoutIsCharacterDevice, writeStdout } from '../io/stdout.js';

export interface InspectCommandOptions {
  readonly json?: boolean;
  readonly root?: string;
  readonly failOn?: string;
  readonly jobs?: string;
  /** For `REF:/path` inputs: the platform of an index, and registry TLS settings. */
  readonly platform?: string;
  readonly insecure?: boolean;
  readonly caFile?: string;
}

/** How much output a scan gathers before it writes (off a terminal). */
const OUTPUT_BATCH = 64 * 1024;

/** `oci:DIR[:TAG]:/path`, `docker://HOST/REPO:TAG:/path`...: a file inside an image (inspect-image-path.ts). */
const IN_IMAGE = /^(?:(?:oci|oci-archive|docker-archive):.|docker:\/\/).*:\//;

export type FailOn = Severity | 'none';

export function parseFailOn(value: string | undefined): FailOn {
  const v = value ?? 'error';
  if (v === 'error' || v === 'warning' || v === 'info' || v === 'none') return v;
  throw new UsageError(`--fail-on must be error, warning, info or none, not "${v}"`);
}

function parseJobs(value: string | undefined): number {
  if (value === undefined) return 2;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--jobs must be a whole number from 1 to 256, not "${value}"`);
  return n;
}

/**
 * Thrown out of a scan's output once its reader has gone (`inspect / |
 * head`): the rest of the scan would only be dropped, so it stops, as a
 * tool killed by SIGPIPE would.
 */
class OutputClosed extends Error {}

/** The exit code for a set of reports: 2 for unreadable input, 1 for findings at or above the threshold. */
export function exitCodeFor(reports: readonly Pick<InspectReport, 'error' | 'findings'>[], failOn: FailOn): number {
  if (reports.some((r) => r.error !== null)) return 2;
  if (failOn === 'none') return 0;
  return reports.some((r) => r.findings.some((f) => atLeast(f.severity, failOn))) ? 1 : 0;
}

export async function runInspect(inputs: readonly string[], options: InspectCommandOptions): Promise<number> {
  if (inputs.length === 0) throw new UsageError('inspect needs at least one file or directory');
  if (inputs.some((i) => IN_IMAGE.test(i))) {
    // Loaded only for image inputs: the image and registry code is large.
    const { runInspectInImages } = await import('./inspect-image-path.js');
    return runInspectInImages(inputs, options, (rest) => runInspect(rest, options));
  }
  const failOn = parseFailOn(options.failOn);
  const jobs = parseJobs(options.jobs);
  const rootDir = resolve(options.root ?? '/');
  // What the exit code and the closing error lines need of each report, not the reports: a scan keeps flat memory.
  const kept: Pick<InspectReport, 'error' | 'findings'>[] = [];
  let style: Style | undefined;
  // Reports go out in pieces of OUTPUT_BATCH bytes, not one write(2) each (a /usr/bin scan made 570 of them);
  // on a terminal each goes out at once, so a person sees a long scan progress.
  const batch = stdoutIsCharacterDevice() ? 0 : OUTPUT_BATCH;
  let pending = '';
  const emit = (report: InspectReport | undefined): void => {
    if (report === undefined) return;
    if (report.error !== null || report.findings.length > 0) kept.push({ error: report.error, findings: report.findings });
    pending += options.json ? JSON.stringify(report) + '\n' : renderInspectText(report, (style ??= styleForTerminal(stdoutIsCharacterDevice())));
    if (pending.length >= batch) {
      writeStdout(pending);
      pending = '';
      if (stdoutClosed()) throw new OutputClosed();
    }
  };
  // Helper threads for a big directory start before it is walked, so their start-up overlaps the walk.
  const listed = listInputs(inputs);
  const helpers = startHelpers(inputSize(listed));
  let targets: ScanTarget[];
  try {
    targets = await expandInputs(listed);
  } catch (e) {
    helpers?.close();
    throw e;
  }
  try {
    await inspectAll(targets, rootDir, jobs, emit, helpers);
  } catch (e) {
    // The exit code is the reports' so far: the reader took what it wanted.
    if (!(e instanceof OutputClosed)) throw e;
  }
  if (pending !== '') writeStdout(pending);
  if (!options.json) {
    for (const r of kept) if (r.error !== null) process.stderr.write(`fromscratch: ${r.error.message}\n`);
  }
  return exitCodeFor(kept, failOn);
}
