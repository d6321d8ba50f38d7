import type { Finding, InspectReport, Need } from './report.js';

/**
 * Findings about how a binary links and whether a Linux image can run it.
 * Pure: facts in, findings out, so `inspect` on the host and `check` in an
 * image report the same thing for the same facts.
 */
export type LinkFacts = Pick<
  InspectReport,
  'format' | 'os' | 'arch' | 'type' | 'linkage' | 'interpreter' | 'needed' | 'libraries' | 'go'
> & {
  /** Whether the interpreter exists in the root the libraries were resolved against. */
  readonly interpreterFound: boolean | null;
  /** Where the libraries were resolved ("/" or the --root directory). */
  readonly rootDescription: string;
};

export function linkFindings(facts: LinkFacts): Finding[] {
  const findings: Finding[] = [];
  const go = facts.go;

  if (facts.format === 'macho' || facts.format === 'pe') {
    const kind = facts.format === 'macho' ? 'Mach-O (macOS)' : 'PE (Windows)';
    findings.push({
      id: 'not-linux',
      severity: 'error',
      message: `this is a ${kind} ${facts.arch ?? ''} binary: a Linux container cannot run it (exec format error)`.replace('  ', ' '),
      fix: go ? `rebuild for Linux: GOOS=linux GOARCH=${facts.arch ?? 'amd64'} CGO_ENABLED=0 go build` : 'build it for Linux',
    });
  } else if (facts.format === 'elf' && facts.os !== null && facts.os !== 'linux') {
    findings.push({
      id: 'not-linux',
      severity: 'error',
      message: `this is a ${facts.os} ELF binary: a Linux container may refuse it or it may fail at its first system call`,
      fix: go ? `rebuild for Linux: GOOS=linux GOARCH=${facts.arch ?? 'amd64'} CGO_ENABLED=0 go build` : 'build it for Linux',
    });
  }

  if (facts.format === 'elf' && (facts.type === 'relocatable' || facts.type === 'core')) {
    findings.push({
      id: 'not-executable',
      severity: 'error',
      message: `an ELF ${facts.type} file is not a program: it cannot be an entrypoint`,
      fix: null,
    });
  }

  // The trap file(1) gets right and ldd gets wrong: a PIE with an interpreter
  // but nothing to load. ldd says "statically linked", the kernel still needs
  // PT_INTERP to exist, and FROM scratch answers "no such file or directory".
  if (facts.linkage === 'dynamic' && facts.interpreter !== null && facts.needed.length === 0) {
    findings.push({
      id: 'pie-needs-interpreter',
      severity: facts.interpreterFound === true ? 'warning' : 'error',
      message:
        `position-independent executable with interpreter ${facts.interpreter} and no needed libraries: ` +
        `ldd calls it static, but the kernel must load ${facts.interpreter}, so it fails FROM scratch with "no such file or directory"`,
      fix: go
        ? 'build without -buildmode=pie (CGO_ENABLED=0 go build), or ship the interpreter in the image'
        : 'link with -static-pie or -static, or ship the interpreter in the image',
    });
  }

  if (facts.interpreter !== null && facts.interpreterFound === false) {
    findings.push({
      id: 'interpreter-missing',
      severity: 'error',
      message: `interpreter ${facts.interpreter} is not in ${facts.rootDescription}`,
      fix: facts.rootDescription === '/' ? 'install the C library it was linked against' : `add ${facts.interpreter} to the root`,
    });
  }

  for (const lib of facts.libraries) {
    if (lib.path !== null) continue;
    findings.push({
      id: 'library-missing',
      severity: 'error',
      message: `library ${lib.name} (needed by ${lib.neededBy}) is not found in ${facts.rootDescription}`,
      fix: `add ${lib.name} where the loader looks (a directory in ld.so.cache, RUNPATH or the default paths)`,
    });
  }

  if (facts.linkage === 'dynamic' && facts.needed.length > 0) {
    findings.push({
      id: 'dynamically-linked',
      severity: 'info',
      message: `dynamically linked: needs ${facts.interpreter ?? 'a loader'} and ${facts.needed.length} librar${facts.needed.length === 1 ? 'y' : 'ies'} at run time, so an empty image cannot run it as is`,
      fix: go
        ? 'CGO_ENABLED=0 go build for a static binary, or let fromscratch build copy the library closure'
        : 'link statically, or ship the interpreter and the library closure',
    });
  }
  return findings;
}

/** The interpreter and library closure as needs, with the evidence that shows them. */
export function linkNeeds(facts: LinkFacts): Need[] {
  const needs: Need[] = [];
  if (facts.interpreter !== null) {
    needs.push({ id: 'interpreter', paths: [facts.interpreter], evidence: ['PT_INTERP'] });
  }
  if (facts.libraries.length > 0) {
    needs.push({
      id: 'libraries',
      paths: facts.libraries.flatMap((l) => (l.path === null ? [] : [l.path])),
      evidence: facts.needed.map((n) => `DT_NEEDED ${n}`),
    });
  }
  return needs;
}
