import type { ExecutableLayout } from '../binary/layout.js';
import type { OpenedBinary } from '../binary/open.js';
import type { RootFS } from '../fs/rootfs.js';
import { analyseCgo, readGoInfo, type GoInfo } from '../golang/index.js';
import { resolveLibraries, type LinkerSession } from '../linker/index.js';
import { linkFindings, linkNeeds, type LinkFacts } from './findings.js';
import { cgoFindings } from './go-findings.js';
import { goRuntimeNeeds, readGoEvidence, type GoNeed } from './needs.js';
import { glibcNssNeed, mergeNeed, type NssImportsCache } from './nss.js';
import { recommendBase } from './recommend.js';
import { emptyReport, type InspectReport, type LibraryEntry } from './report.js';

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
  const base = emptyReport(path);
  const { go, goNeeds } = await analyseGo(opened.layout);
  const { identity } = opened;
  let facts: InspectReport = {
    ...base,
    format: identity.format,
    os: identity.os,
    arch: identity.arch,
    bits: identity.bits,
    endian: identity.endian,
    type: identity.type,
    stripped: opened.stripped,
    go,
  };
  let interpreterFound: boolean | null = null;
  if (opened.kind === 'elf') {
    const elf = opened.elf;
    facts = {
      ...facts,
      linkage: elf.linkage,
      interpreter: elf.interpreter,
      needed: elf.dynamic?.needed ?? [],
      rpath: elf.dynamic?.rpath ?? [],
      runpath: elf.dynamic?.runpath ?? [],
      soname: elf.dynamic?.soname ?? null,
    };
    if (elf.interpreter !== null || (elf.dynamic?.needed.length ?? 0) > 0) {
      const inRootPath = await options.inRootPath();
      const resolved = await resolveLibraries(options.root, inRootPath, { elf, session: options.session });
      interpreterFound = resolved.interpreter ? resolved.interpreter.found : null;
      facts = {
        ...facts,
        libraries: resolved.libraries.map(
          (l): LibraryEntry => ({ name: l.name, path: l.path, via: l.path === null ? null : l.via, neededBy: l.neededBy }),
        ),
        libraryTree: resolved.tree,
      };
    }
  }
  const linkFacts: LinkFacts = { ...facts, interpreterFound, rootDescription: options.root.description };
  const nss = opened.kind === 'elf' ? await glibcNssNeed(opened.elf, facts.libraries, options.root, options.nssCache) : undefined;
  const needs = mergeNeed([...linkNeeds(linkFacts), ...goNeeds], nss);
  const report: InspectReport = {
    ...facts,
    needs,
    findings: [...linkFindings(linkFacts), ...cgoFindings(facts)],
    recommendation: recommendBase({ ...facts, needs }),
  };
  return { report, goNeeds, interpreterFound };
}

/**
 * Build info, then one pass over the pclntab's function names for the
 * packages compiled in, who calls C, and what the program will need at run
 * time (CA bundle, zoneinfo, /etc/passwd, ...).
 */
async function analyseGo(layout: ExecutableLayout): Promise<{ go: GoInfo | null; goNeeds: GoNeed[] }> {
  const info = await readGoInfo(layout);
  if (info === null) return { go: null, goNeeds: [] };
  const read = await readGoEvidence(layout, info);
  if (read === null) return { go: info, goNeeds: [] };
  const cgo = await analyseCgo(layout, read.packages, info);
  return {
    go: { ...info, packages: read.packages.packages, cgo: { used: cgo.used, packages: cgo.packages, culprits: cgo.culprits } },
    goNeeds: goRuntimeNeeds({ ...read.evidence, cgo: { resolver: cgo.resolver, userLookup: cgo.userLookup } }),
  };
}

