import type { Certainty } from '../knowledge/runtime-needs.js';
import type { InspectReport, Need, NeedId, Recommendation } from './report.js';

/**
 * The smallest base that runs the binary, and why. Static binaries go FROM
 * scratch with only the files their run-time needs name (CA bundle,
 * zoneinfo, passwd/group, /tmp); a dynamic one goes FROM scratch too, with
 * its interpreter and exact library closure copied in (what `fromscratch
 * build` does), because that is always smaller than a distribution base.
 * The alternative is the ready-made base a person would otherwise pick:
 * distroless static for static binaries, distroless base (glibc) or alpine
 * (musl) for dynamic ones.
 */
export interface BaseRecommendation extends Recommendation {
  /** A ready-made base that also works, with the files it still lacks; null when there is none. */
  readonly alternative: Recommendation | null;
}

export type RecommendFacts = Pick<InspectReport, 'format' | 'os' | 'type' | 'linkage' | 'interpreter' | 'libraries' | 'needed'> & {
  /** Run-time needs (goRuntimeNeeds, linkNeeds); needs without a certainty count as certain. */
  readonly needs?: readonly Need[];
};

export const DISTROLESS_STATIC = 'gcr.io/distroless/static-debian12';
export const DISTROLESS_BASE = 'gcr.io/distroless/base-debian12';
export const DISTROLESS_CC = 'gcr.io/distroless/cc-debian12';
export const ALPINE = 'alpine:3.20';

/** The file FROM scratch gets for each need, where one file or tree satisfies it. */
export const SCRATCH_FILES: Partial<Record<NeedId, readonly string[]>> = {
  'ca-certificates': ['/etc/ssl/certs/ca-certificates.crt'],
  tzdata: ['/usr/share/zoneinfo'],
  // Both, even for user lookups only: the user's primary group is looked up too by most callers.
  passwd: ['/etc/passwd', '/etc/group'],
  tmp: ['/tmp'],
  nsswitch: ['/etc/nsswitch.conf'],
  shell: ['/bin/sh'],
};

/** Needs whose files no list can name: what to tell the person instead. */
const UNLISTED: Partial<Record<NeedId, string>> = {
  exec: 'the programs it starts (os/exec) must be in the image too',
  plugin: 'the plugins it opens, with libc and the loader, must be in the image',
  libraries: 'the C libraries it opens at run time must be in the image',
};

/** glibc's own libraries: every glibc base has them. */
const GLIBC_FAMILY = /^(?:libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|ld-linux[-\w.]*\.so\.\d|ld64\.so\.\d|ld-linux\.so\.\d)$/;
/** What distroless/cc adds to distroless/base. */
const CC_RUNTIME = /^(?:libstdc\+\+\.so\.6|libgcc_s\.so\.1|libgomp\.so\.1)$/;
/** What distroless/base carries beyond glibc. */
const BASE_EXTRAS = /^(?:libssl\.so\.3|libcrypto\.so\.3)$/;
/** musl's libc and loader: alpine has them. */
const MUSL_FAMILY = /^(?:libc\.musl-[\w]+\.so\.1|ld-musl-[\w]+\.so\.1|libc\.so)$/;

function certaintyOf(need: Need): Certainty {
  const c = (need as { certainty?: unknown }).certainty;
  return c === 'likely' || c === 'possible' ? c : 'certain';
}

interface NeedSummary {
  /** Files to add FROM scratch for needs that are certain or likely. */
  readonly files: string[];
  /** "CA certificates", ... for the reason text. */
  readonly named: string[];
  /** Needs that may not be real, named for the reason text. */
  readonly maybe: string[];
  /** Sentences about needs no file list satisfies. */
  readonly notes: string[];
  shell: boolean;
}

const NEED_NAMES: Partial<Record<NeedId, string>> = {
  'ca-certificates': 'CA certificates',
  tzdata: 'zoneinfo',
  passwd: '/etc/passwd and /etc/group',
  tmp: 'a writable /tmp',
  nsswitch: '/etc/nsswitch.conf',
  shell: '/bin/sh',
};

function summariseNeeds(needs: readonly Need[]): NeedSummary {
  const summary: NeedSummary = { files: [], named: [], maybe: [], notes: [], shell: false };
  for (const need of needs) {
    // The link needs (interpreter, library closure) are the closure's files; purego's libraries (a GoNeed) are a note.
    if (need.id === 'interpreter' || (need.id === 'libraries' && (need as { certainty?: unknown }).certainty === undefined)) continue;
    const certainty = certaintyOf(need);
    const files = SCRATCH_FILES[need.id];
    const name = NEED_NAMES[need.id];
    if (certainty === 'possible') {
      if (name) summary.maybe.push(name);
      continue;
    }
    if (need.id === 'shell') summary.shell = true;
    if (files) {
      for (const f of files) if (!summary.files.includes(f)) summary.files.push(f);
      if (name) summary.named.push(name);
    }
    const note = UNLISTED[need.id];
    if (note && !summary.notes.includes(note)) summary.notes.push(note);
  }
  return summary;
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The sentence tail that explains the needs' files and notes. */
function needsText(summary: NeedSummary): string {
  const parts: string[] = [];
  if (summary.named.length > 0) parts.push(`plus ${joinNames(summary.named)} for what it does at run time`);
  parts.push(...summary.notes);
  if (summary.maybe.length > 0) parts.push(`it may also need ${joinNames(summary.maybe)} (the code is linked in, its use is not certain)`);
  return parts.length > 0 ? `; ${parts.join('; ')}` : '';
}

export function recommendBase(report: RecommendFacts): BaseRecommendation | null {
  if (report.format === 'unknown') return null;
  if (report.format !== 'elf' || report.os !== 'linux') {
    return {
      base: null,
      files: [],
      reason: `a ${report.os ?? 'non-Linux'} binary does not run in a Linux image; rebuild it for linux`,
      alternative: null,
    };
  }
  if (report.type === 'relocatable' || report.type === 'core') {
    return { base: null, files: [], reason: `an ELF ${report.type} file is not a program`, alternative: null };
  }
  const summary = summariseNeeds(report.needs ?? []);
  const tail = needsText(summary);

  if (report.linkage === 'static' || report.linkage === 'static-pie') {
    const how = report.linkage === 'static' ? 'statically linked' : 'static-pie linked';
    const base = summary.shell ? ALPINE : 'scratch';
    const files = summary.shell ? summary.files.filter((f) => f !== '/bin/sh') : summary.files;
    return {
      base,
      files,
      reason:
        (summary.shell ? `${how}, but it runs /bin/sh: alpine is the smallest common base with a shell` : `${how}: needs nothing from the image to start`) +
        tail,
      alternative: {
        base: DISTROLESS_STATIC,
        // distroless static already has CA certificates, zoneinfo, passwd/group (nonroot 65532), /tmp and nsswitch.conf.
        files: summary.shell ? ['/bin/sh'] : [],
        reason: 'distroless static carries CA certificates, zoneinfo, /etc/passwd with a nonroot user (65532), /tmp and nsswitch.conf, and no shell',
      },
    };
  }

  const missing = report.libraries.filter((l) => l.path === null).map((l) => l.name);
  // The loader also appears as a library (libc needs ld-linux): list each file once.
  const closure = [...new Set([...(report.interpreter ? [report.interpreter] : []), ...report.libraries.flatMap((l) => (l.path ? [l.path] : []))])];
  const files = [...closure, ...summary.files.filter((f) => !closure.includes(f))];
  const libraryNames = [...new Set(report.libraries.filter((l) => l.via !== 'loader').map((l) => l.name))];
  const libraryCount = libraryNames.length;
  const musl = report.interpreter?.includes('ld-musl') ?? false;
  const notFound = missing.length > 0 ? `; not found here: ${missing.join(', ')}` : '';

  if (report.needed.length === 0) {
    return {
      base: 'scratch',
      files,
      reason: `needs only its interpreter${report.interpreter ? ` ${report.interpreter}` : ''}; rebuilding as a static executable removes even that${tail}`,
      alternative: musl ? alpineAlternative([]) : glibcAlternative([]),
    };
  }
  return {
    base: 'scratch',
    files,
    reason:
      `dynamically linked against ${musl ? 'musl' : 'glibc'}: scratch plus the interpreter and ${libraryCount} ` +
      `librar${libraryCount === 1 ? 'y' : 'ies'} is the smallest image that runs it` +
      tail +
      notFound,
    alternative: musl ? alpineAlternative(report.libraries) : glibcAlternative(report.libraries),
  };
}

type LibraryFacts = RecommendFacts['libraries'];

/** Libraries of the closure a base lacks, as the files to add to it (unresolved ones by name). */
function extraFiles(libraries: LibraryFacts, covered: (name: string) => boolean): string[] {
  return [...new Set(libraries.filter((l) => !covered(l.name)).map((l) => l.path ?? l.name))];
}

function glibcAlternative(libraries: LibraryFacts): Recommendation {
  const needsCc = libraries.some((l) => CC_RUNTIME.test(l.name));
  const base = needsCc ? DISTROLESS_CC : DISTROLESS_BASE;
  const files = extraFiles(libraries, (n) => GLIBC_FAMILY.test(n) || BASE_EXTRAS.test(n) || CC_RUNTIME.test(n));
  return {
    base,
    files,
    reason:
      `${needsCc ? 'distroless cc carries glibc and the C++ runtime' : 'distroless base carries glibc, OpenSSL'}, CA certificates, zoneinfo and passwd` +
      (files.length > 0 ? `; add the ${files.length} other librar${files.length === 1 ? 'y' : 'ies'}` : ''),
  };
}

function alpineAlternative(libraries: LibraryFacts): Recommendation {
  const files = extraFiles(libraries, (n) => MUSL_FAMILY.test(n));
  return {
    base: ALPINE,
    files,
    reason: 'alpine carries musl and its loader, CA certificates and a shell' + (files.length > 0 ? `; add the ${files.length} other librar${files.length === 1 ? 'y' : 'ies'}` : ''),
  };
}
