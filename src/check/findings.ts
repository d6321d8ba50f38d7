import type { Finding } from '../analysis/report.js';

/**
 * What `check` reports: a finding about one image, placed at the path
 * inside the image it concerns, so a code-scanning upload (SARIF) can point
 * at it. The ids are the contract of shared/DESIGN.md.
 */
export interface CheckFinding extends Finding {
  /** The path inside the image the finding is about; null when it is about the config itself. */
  readonly path: string | null;
}

/** `findings` placed at `path` (findings that already name their own path keep it). */
export function at(path: string | null, findings: readonly (Finding | CheckFinding)[]): CheckFinding[] {
  return findings.map((f) => ('path' in f ? f : { ...f, path }));
}

/** One line per finding id `check` can report: what it means, for rule lists (SARIF) and help. */
export const CHECK_FINDING_IDS: Readonly<Record<string, string>> = {
  'entrypoint-missing': 'The command the image runs (Entrypoint and Cmd) is not a file in the image.',
  'entrypoint-not-executable': 'The entrypoint exists but cannot be executed (no execute bit, a directory, not a program).',
  'arch-mismatch': "The entrypoint is built for another architecture than the image's platform.",
  'interpreter-missing': 'The ELF interpreter (dynamic loader) or the script interpreter named by "#!" is not in the image.',
  'library-missing': 'A shared library the entrypoint needs is not found through the image\'s own loader rules.',
  'symbol-version-missing': 'A library in the image is older than the entrypoint needs (a versioned symbol such as GLIBC_2.34 is not defined).',
  'ca-certificates-missing': 'The program makes TLS connections but the image has no CA bundle where Go looks for one.',
  'tzdata-missing': 'The program loads named time zones but the image has no zoneinfo and the binary embeds none.',
  'user-unknown': "The config's User names a user or group that the image's /etc/passwd or /etc/group does not define.",
  'tmp-missing': 'The program creates temporary files but the image has no /tmp.',
  'nsswitch-missing': 'The program resolves host names and the image has no /etc/nsswitch.conf, which changes the lookup order.',
  'layer-entry-refused': 'A layer entry was left out of the image (a hard link pointing outside it, a whiteout naming nothing).',
  'not-linux': 'The entrypoint is not a Linux binary.',
  'not-executable': 'The entrypoint is an ELF file of a type that cannot be executed (a relocatable or core file).',
  'pie-needs-interpreter': 'A position-independent executable without its dynamic loader.',
};
