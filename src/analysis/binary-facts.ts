import type { ExecutableLayout } from '../binary/layout.js';
import type { OpenedBinary } from '../binary/open.js';
import { analyseCgo, readGoInfo, type GoInfo } from '../golang/index.js';
import { loadedObjectFromElf } from '../linker/load-object.js';
import type { LoadedObject } from '../linker/types.js';
import { goRuntimeNeeds, readGoEvidence, type GoNeed } from './needs.js';
import { glibcNssImports } from './nss.js';
import { emptyReport, type InspectReport } from './report.js';

/**
 * What a binary says about itself, from its own bytes alone: format, link
 * facts, Go build info and packages, and the NSS look-ups it imports.
 * Nothing here looks at a root or a library. Plain data on purpose: a
 * directory scan's helper threads read these and send them to the thread
 * that holds the library caches, which completes each report
 * (completeAnalysis), so no thread parses the same libraries again.
 */
export interface BinaryFacts {
  /** The report's fields that need no root: everything but libraries, needs, findings and recommendation. */
  readonly report: InspectReport;
  /** The Go run-time needs with their certainty, env overrides and fix. */
  readonly goNeeds: readonly GoNeed[];
  /** The executable as the loader sees it (ELF only). */
  readonly executable: LoadedObject | null;
  /** The glibc NSS look-ups it imports itself; null when glibc's NSS cannot be in play (see glibcNssImports). */
  readonly nssImports: readonly string[] | null;
}

export async function readBinaryFacts(path: string, opened: OpenedBinary): Promise<BinaryFacts> {
  const { go, goNeeds } = await analyseGo(opened.layout);
  const { identity } = opened;
  const elf = opened.kind === 'elf' ? opened.elf : undefined;
  // The link facts the report shows are the loader's view of the executable.
  const executable = elf === undefined ? null : loadedObjectFromElf(elf);
  const report: InspectReport = {
    ...emptyReport(path),
    format: identity.format,
    os: identity.os,
    arch: identity.arch,
    bits: identity.bits,
    endian: identity.endian,
    type: identity.type,
    linkage: elf?.linkage ?? null,
    interpreter: executable?.interpreter ?? null,
    needed: executable?.needed ?? [],
    rpath: executable?.rpath ?? [],
    runpath: executable?.runpath ?? [],
    soname: executable?.soname ?? null,
    stripped: opened.stripped,
    go,
  };
  return { report, goNeeds, executable, nssImports: elf === undefined ? null : await glibcNssImports(elf) };
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
