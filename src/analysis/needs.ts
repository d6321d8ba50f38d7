import type { ExecutableLayout } from '../binary/layout.js';
import { readFunctionNames } from '../golang/funcnames.js';
import { settingValue } from '../golang/modinfo.js';
import { PackageCollector, type GoPackages } from '../golang/packages.js';
import { findPclntab, type PclntabInfo } from '../golang/pclntab.js';
import { dataSpans, scanSpan } from '../golang/scan.js';
import type { GoInfo } from '../golang/types.js';
import { NEED_FUNCTIONS, NEED_MENTIONS, RUNTIME_NEED_RULES, type Certainty, type RuntimeNeedRule } from '../knowledge/runtime-needs.js';
import type { Need } from './report.js';

export type { Certainty };

/**
 * What a Go program needs from the image at run time, from what it is made
 * of. The same rules (src/knowledge/runtime-needs.ts) apply at two
 * granularities: a binary's function names (exact: the linker keeps only
 * reachable code) and a source tree's imports and text (coarser).
 */
export interface GoEvidence {
  /** Packages with code in the binary, or imported by the program (source). */
  readonly packages: ReadonlySet<string>;
  /**
   * Function names from the binary's pclntab (only the ones the rules ask
   * about need be there: see readGoEvidence); null for source trees,
   * which have only imports and text.
   */
  readonly functions: { has(name: string): boolean } | null;
  /** The build settings (`build` lines) as readGoInfo returns them: -tags matters. */
  readonly settings: readonly { readonly key: string; readonly value: string }[];
  /** "go1.23.5", a range such as "go1.20+", or null when unknown. */
  readonly goVersion: string | null;
  /** How net and os/user reach the system (from analyseCgo); null when not known. */
  readonly cgo: { readonly resolver: 'cgo' | 'go' | null; readonly userLookup: 'cgo' | 'go' | null } | null;
  /** Strings found in the program (binary read-only data or source text), for rules that need one. */
  readonly mentions: { has(text: string): boolean };
  /** Source trees only: which rules' source patterns matched, and where ("main.go"). */
  readonly sourceMatches?: ReadonlyMap<RuntimeNeedRule['id'], readonly string[]>;
}

/** A need with how sure it is and why, for people; `id`, `paths` and `evidence` keep the report's contract. */
export interface GoNeed extends Need {
  readonly certainty: Certainty;
  /** 'any': one of `paths` is enough; 'all': every path is needed. */
  readonly match: 'any' | 'all';
  /** One line: what the program does and what it reads. */
  readonly reason: string;
  /** Environment variables that point the program at other files. */
  readonly env: readonly string[];
  readonly fix: string;
}

/** The Go minor versions a version string allows: "go1.23.5" → 23..23, "go1.2-1.15" → 2..15, "go1.20+" → 20..∞. */
export function goMinorRange(version: string | null): { min: number; max: number } | null {
  if (version === null) return null;
  const range = /^go1\.(\d+)-1\.(\d+)$/.exec(version);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  const plus = /^go1\.(\d+)\+$/.exec(version);
  if (plus) return { min: Number(plus[1]), max: Number.POSITIVE_INFINITY };
  const release = /^go1\.(\d+)(?![\d])/.exec(version);
  if (release) return { min: Number(release[1]), max: Number(release[1]) };
  return null;
}

/** Tags from the recorded `-tags` setting (comma separated since go1.18, spaces before). */
function tagsOf(settings: GoEvidence['settings']): string[] {
  const value = settingValue(settings, '-tags');
  return value ? value.split(/[,\s]+/).filter((t) => t.length > 0) : [];
}

const RANK: Record<Certainty, number> = { possible: 0, likely: 1, certain: 2 };
const LESS_SURE: Record<Certainty, Certainty> = { certain: 'likely', likely: 'possible', possible: 'possible' };

/**
 * The data compiled in that replaces a rule's files, as evidence strings;
 * empty when nothing does.
 */
function embeddedEvidence(rule: RuntimeNeedRule, evidence: GoEvidence, tags: readonly string[]): string[] {
  const by = rule.embeddedBy;
  if (!by) return [];
  return [
    ...by.packages.filter((p) => evidence.packages.has(p)).map((p) => `package ${p}`),
    ...(evidence.functions ? by.functions.filter((f) => evidence.functions?.has(f)) : []),
    ...by.tags.filter((t) => tags.includes(t)).map((t) => `-tags ${t}`),
  ];
}

/** What the rule sees in a binary: matching functions, and whether one makes it certain. */
function binarySignals(rule: RuntimeNeedRule, functions: { has(name: string): boolean }): { evidence: string[]; certainty: Certainty } | null {
  const found = rule.functions.filter((f) => functions.has(f));
  if (found.length === 0) return null;
  // The functions that make it certain say the most: they come first.
  const strong = rule.certainWith.filter((f) => functions.has(f));
  const evidence = [...strong, ...found.filter((f) => !strong.includes(f))];
  return { evidence, certainty: strong.length > 0 ? 'certain' : rule.certainty };
}

/** What the rule sees in a source tree: imports, and source text where imports say too little. */
function sourceSignals(rule: RuntimeNeedRule, evidence: GoEvidence): { evidence: string[]; certainty: Certainty } | null {
  const imports = rule.packages.filter((p) => evidence.packages.has(p)).map((p) => `imports ${p}`);
  const text = evidence.sourceMatches?.get(rule.id) ?? [];
  if (imports.length === 0 && text.length === 0) return null;
  const levels = [...(imports.length > 0 ? [rule.packageCertainty] : []), ...(text.length > 0 ? [rule.sourceCertainty] : [])];
  const certainty = levels.reduce((best, c) => (RANK[c] > RANK[best] ? c : best), 'possible' as Certainty);
  return { evidence: [...imports, ...text.map((t) => `source ${t}`)], certainty };
}

/**
 * The run-time needs of a Go program from its evidence. Pure: the same
 * evidence always gives the same needs, in table order. A need whose data is
 * compiled in (time/tzdata, fallback roots) is left out.
 */
export function goRuntimeNeeds(evidence: GoEvidence): GoNeed[] {
  const tags = tagsOf(evidence.settings);
  const minors = goMinorRange(evidence.goVersion);
  const needs: GoNeed[] = [];
  for (const rule of RUNTIME_NEED_RULES) {
    const fromBinary = evidence.functions !== null;
    const signals = evidence.functions ? binarySignals(rule, evidence.functions) : sourceSignals(rule, evidence);
    if (!signals) continue;
    if (embeddedEvidence(rule, evidence, tags).length > 0) continue;
    let certainty = signals.certainty;
    const notes: string[] = [];

    // Source trees carry the mention inside the pattern that matched; binaries need the bytes.
    if (fromBinary && rule.alsoMentions) {
      const mentioned = rule.alsoMentions.filter((m) => evidence.mentions.has(m));
      if (mentioned.length === 0) continue;
      signals.evidence.push(...mentioned.map((m) => `string "${m}" in the binary`));
    } else if (!fromBinary && rule.alsoMentions && (evidence.sourceMatches?.get(rule.id) ?? []).length === 0) {
      continue;
    }

    if (rule.beforeGoMinor !== undefined) {
      if (minors && minors.min >= rule.beforeGoMinor) continue;
      if (!minors || minors.max >= rule.beforeGoMinor) {
        certainty = LESS_SURE[certainty];
        notes.push(`only Go before 1.${rule.beforeGoMinor} needs it, and the version (${evidence.goVersion ?? 'unknown'}) does not say`);
      } else {
        notes.push(`${evidence.goVersion ?? 'this Go'} predates 1.${rule.beforeGoMinor}`);
      }
    }

    if (rule.id === 'passwd' && evidence.cgo?.userLookup === 'cgo') {
      notes.push('through libc (getpwnam_r and friends), so NSS decides which files are read');
    }
    if (rule.id === 'nsswitch' && evidence.cgo?.resolver === 'cgo') {
      notes.push('the libc resolver reads it too');
    }

    const paths = rule.paths
      .filter((p) => !fromBinary || !p.onlyWith || p.onlyWith.some((f) => evidence.functions?.has(f)))
      .map((p) => p.path);
    // A lookup function exists but none that names a file (a future os/user API): keep every file.
    const allPaths = paths.length > 0 || rule.paths.length === 0 ? paths : rule.paths.map((p) => p.path);
    needs.push({
      id: rule.id,
      paths: allPaths,
      evidence: signals.evidence,
      certainty,
      match: rule.match,
      reason: [rule.what, ...notes].join('; '),
      env: rule.env,
      fix: rule.fix,
    });
  }
  return needs;
}

/** Longest mention looked for, so a match cut by a chunk boundary is still seen (worked out on the first search: most runs search none). */
let mentionContext: number | undefined;
const READ_ONLY_SECTIONS = ['.rodata', '__rodata', '__cstring', '.rdata'];

/**
 * Which of `texts` occur in the binary's read-only data (Go packs string
 * constants there without terminators, so a match may be part of a longer
 * string: callers treat a mention as a hint, never as proof).
 */
export async function findMentions(layout: ExecutableLayout, texts: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (texts.length === 0) return found;
  const needles = texts.map((t) => Buffer.from(t, 'utf8'));
  mentionContext ??= Math.max(1, ...NEED_MENTIONS.map((m) => Buffer.byteLength(m)));
  for (const span of dataSpans(layout, READ_ONLY_SECTIONS)) {
    await scanSpan(layout.source, span, needles, mentionContext, 1 << 16, (hit) => {
      found.add(texts[hit.needle] as string);
      return found.size === texts.length;
    });
    if (found.size === texts.length) break;
  }
  return found;
}

/** A binary's evidence together with the package list read on the same pass. */
export interface BinaryGoEvidence {
  readonly evidence: GoEvidence;
  readonly packages: GoPackages;
}

/**
 * Reads what goRuntimeNeeds needs from a Go binary: one pass over the
 * pclntab's function names (packages and the rules' functions), then, only
 * when a rule asks for one, a scan of read-only data for its strings. Null
 * when the file has no pclntab. Throws FormatError for a corrupt table.
 */
export async function readGoEvidence(
  layout: ExecutableLayout,
  go: Pick<GoInfo, 'version' | 'settings' | 'main' | 'deps'> | null,
  cgo: GoEvidence['cgo'] = null,
  pclntab?: PclntabInfo,
): Promise<BinaryGoEvidence | null> {
  const pcln = pclntab ?? (await findPclntab(layout));
  if (!pcln) return null;
  // One pass gives packages and the rules' functions: the compilation unit
  // lets the package list drop the runtime's functions that carry other
  // packages' names; only the rules' functions are kept as names.
  const packages = new PackageCollector(NEED_FUNCTIONS);
  await readFunctionNames(layout, pcln, packages);
  const functions = packages.functions;
  const packageList = packages.result(go ? { main: go.main, deps: go.deps } : null);
  const wanted = RUNTIME_NEED_RULES.filter((r) => r.alsoMentions && r.functions.some((f) => functions.has(f))).flatMap((r) => r.alsoMentions ?? []);
  const mentions = await findMentions(layout, [...new Set(wanted)]);
  const packageSet = new Set(packageList.packages);
  return {
    packages: packageList,
    evidence: {
      packages: packageSet,
      functions,
      settings: go?.settings ?? [],
      goVersion: go?.version ?? null,
      cgo: cgo ?? {
        resolver: packageSet.has('net') ? (packageList.cgoCalls['net'] !== undefined ? 'cgo' : 'go') : null,
        userLookup: packageSet.has('os/user') ? (packageList.cgoCalls['os/user'] !== undefined ? 'cgo' : 'go') : null,
      },
      mentions,
    },
  };
}
