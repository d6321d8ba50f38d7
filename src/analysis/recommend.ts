import type { InspectReport, Recommendation } from './report.js';

/**
 * The smallest base that runs the binary, from its link facts. Static
 * binaries go FROM scratch; a dynamic one goes FROM scratch too, with its
 * interpreter and exact library closure copied in (what `fromscratch build`
 * does), because that is always smaller than a distribution base.
 */
export function recommendBase(
  report: Pick<InspectReport, 'format' | 'os' | 'type' | 'linkage' | 'interpreter' | 'libraries' | 'needed'>,
): Recommendation | null {
  if (report.format === 'unknown') return null;
  if (report.format !== 'elf' || report.os !== 'linux') {
    return { base: null, files: [], reason: `a ${report.os ?? 'non-Linux'} binary does not run in a Linux image; rebuild it for linux` };
  }
  if (report.type === 'relocatable' || report.type === 'core') {
    return { base: null, files: [], reason: `an ELF ${report.type} file is not a program` };
  }
  if (report.linkage === 'static' || report.linkage === 'static-pie') {
    return { base: 'scratch', files: [], reason: `${report.linkage === 'static' ? 'statically' : 'static-pie'} linked: needs nothing from the image to start` };
  }
  const missing = report.libraries.filter((l) => l.path === null).map((l) => l.name);
  // The loader also appears as a library (libc needs ld-linux): list each file once.
  const files = [...new Set([...(report.interpreter ? [report.interpreter] : []), ...report.libraries.flatMap((l) => (l.path ? [l.path] : []))])];
  const libraryCount = new Set(report.libraries.filter((l) => l.via !== 'loader').map((l) => l.name)).size;
  const musl = report.interpreter?.includes('ld-musl') ?? false;
  if (report.needed.length === 0) {
    return {
      base: 'scratch',
      files,
      reason: `needs only its interpreter ${report.interpreter ?? ''}; rebuilding as a static executable removes even that`.trim(),
    };
  }
  return {
    base: 'scratch',
    files,
    reason:
      `dynamically linked against ${musl ? 'musl' : 'glibc'}: scratch plus the interpreter and ${libraryCount} ` +
      `librar${libraryCount === 1 ? 'y' : 'ies'} is the smallest image that runs it` +
      (musl ? ' (alpine also works)' : ' (a glibc base such as gcr.io/distroless/base-debian12 also works)') +
      (missing.length > 0 ? `; not found here: ${missing.join(', ')}` : ''),
  };
}
