import type { OpenedBinary } from '../binary/open.js';
import type { RootFS } from '../fs/rootfs.js';
import type { LinkerSession } from '../linker/session.js';
import { readBinaryFacts, type BinaryFacts } from './binary-facts.js';
import { linkFindings, linkNeeds, type LinkFacts } from './findings.js';
import { cgoFindings } from './go-findings.js';
import type { GoNeed } from './needs.js';
import { glibcNssNeed, mergeNeed, type NssImportsCache } from './nss.js';
import { recommendBase } from './recommend.js';
import type { InspectReport, LibraryEntry } from './report.js';

/**
 * The analysis of one opened binary against a RootFS, shared by `inspect`
 * (a host file, --root) and `check` (an entrypoint inside an image): the
 * same facts, needs and findings whichever root the libraries live in.
 */
export interface AnalyseOptions {
  /** The root the interpreter and libraries are resolved in. */
  readonly root: RootFS;
  /** The binary's path inside that root (what $ORIGIN expands to); asked only for dynamic binaries. */
  readonly inRootPath: () => Promise<string>;
  readonly session?: LinkerSession | undefined;
  readonly nssCache?: NssImportsCache | undefined;
}

export interface AnalysedBinary {
  readonly report: InspectReport;
  /** The Go run-time needs with their certainty, env overrides and fix (the report's needs keep only id/paths/evidence). */
  readonly goNeeds: readonly GoNeed[];
  /** Whether PT_INTERP exists in the root; null when there is none or it was not resolved. */
  readonly interpreterFound: boolean | null;
}

export async function analyseBinary(path: string, opened: OpenedBinary, options: AnalyseOptions): Promise<AnalysedBinary> {
  return completeAnalysis(await readBinaryFacts(path, opened), options);
}

/** The rest of analyseBinary, from what the binary says about itself: its libraries inside the root, its needs, findings and base. */
export async function completeAnalysis(facts: BinaryFacts, options: AnalyseOptions): Promise<AnalysedBinary> {
  const { goNeeds, executable } = facts;
  let report = facts.report;
  let interpreterFound: boolean | null = null;
  if (executable !== null && (executable.interpreter !== null || executable.needed.length > 0)) {
    const inRootPath = await options.inRootPath();
    // The loader's search loads with the first dynamic binary: a static one (most Go programs) never needs it.
    const { resolveLibraries } = await import('../linker/resolve.js');
    const resolved = await resolveLibraries(options.root, inRootPath, { executable, session: options.session });
    interpreterFound = resolved.interpreter ? resolved.interpreter.found : null;
    report = {
      ...report,
      libraries: resolved.libraries.map(
        (l): LibraryEntry => ({ name: l.name, path: l.path, via: l.path === null ? null : l.via, neededBy: l.neededBy }),
      ),
      libraryTree: resolved.tree,
    };
  }
  // Named field by field, not spread from the report: reports come in many
  // shapes (with or without Go, libraries...), and a scan spent 1% of its
  // main thread copying their every field through V8's slow path.
  const linkFacts: LinkFacts = {
    format: report.format,
    os: report.os,
    arch: report.arch,
    type: report.type,
    linkage: report.linkage,
    interpreter: report.interpreter,
    needed: report.needed,
    libraries: report.libraries,
    go: report.go,
    interpreterFound,
    rootDescription: options.root.description,
  };
  const nss = await glibcNssNeed(facts.nssImports, report.libraries, options.root, options.nssCache);
  const needs = mergeNeed([...linkNeeds(linkFacts), ...goNeeds], nss);
  return {
    report: {
      ...report,
      needs,
      findings: [...linkFindings(linkFacts), ...cgoFindings(report)],
      recommendation: recommendBase({ ...linkFacts, needs }),
    },
    goNeeds,
    interpreterFound,
  };
}
