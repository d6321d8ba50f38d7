import { realpath } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { openExecutable, type OpenedBinary } from '../binary/open.js';
import { describeError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import type { ExecutableLayout } from '../binary/layout.js';
import { analyseCgo, readGoInfo, type GoInfo } from '../golang/index.js';
import { goRuntimeNeeds, readGoEvidence } from './needs.js';
import { glibcNssNeed, mergeNeed, type NssImportsCache } from './nss.js';
import { FileSource } from '../io/source.js';
import { LinkerSession, resolveLibraries } from '../linker/index.js';
import { linkFindings, linkNeeds, type LinkFacts } from './findings.js';
import { cgoFindings } from './go-findings.js';
import { recommendBase } from './recommend.js';
import { emptyReport, type InspectReport, type LibraryEntry, type Need } from './report.js';

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
    return await analyse(path, opened, options);
  } catch (e) {
    const report = emptyReport(path);
    const error = describeError(e);
    return { ...report, error: { code: error.code, message: error.message.startsWith(path) ? error.message : `${path}: ${error.message}` } };
  } finally {
    await source?.close();
  }
}

async function analyse(path: string, opened: OpenedBinary, options: InspectOptions): Promise<InspectReport> {
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
      const inRootPath = await pathInsideRoot(path, options.rootDir);
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
  return {
    ...facts,
    needs,
    findings: [...linkFindings(linkFacts), ...cgoFindings(facts)],
    recommendation: recommendBase({ ...facts, needs }),
  };
}

/**
 * Build info, then one pass over the pclntab's function names for the
 * packages compiled in, who calls C, and what the program will need at run
 * time (CA bundle, zoneinfo, /etc/passwd, ...).
 */
async function analyseGo(layout: ExecutableLayout): Promise<{ go: GoInfo | null; goNeeds: Need[] }> {
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

/**
 * The binary's path as the loader inside the root would see it, which is what
 * $ORIGIN expands to. A binary outside the root is treated as if it sat at
 * the root's top level under its own name.
 */
async function pathInsideRoot(path: string, rootDir: string): Promise<string> {
  // On the host the loader resolves the links itself (from this path, inside the root).
  if (rootDir === '/') return resolvePath(path);
  const abs = await realpath(path).catch(() => resolvePath(path));
  const root = await realpath(rootDir).catch(() => resolvePath(rootDir));
  if (abs === root || abs.startsWith(root + '/')) return abs.slice(root.length) || '/';
  return '/' + (abs.split('/').pop() ?? 'binary');
}
