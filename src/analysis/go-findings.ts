import type { Finding, InspectReport } from './report.js';

/**
 * Why a Go binary is not static, in the words a person can act on: each
 * package that calls C, the module it comes from, and the fix (netgo,
 * osusergo, a pure-Go module, or a static musl link).
 */
export function cgoFindings(report: Pick<InspectReport, 'go' | 'linkage'>): Finding[] {
  const cgo = report.go?.cgo;
  if (!cgo?.used) return [];
  const dynamic = report.linkage === 'dynamic';
  return cgo.culprits.map((c) => ({
    id: 'cgo-package',
    // The culprit is the cause of a dynamic link; in a static binary it is only worth knowing.
    severity: dynamic ? 'warning' : 'info',
    message:
      `${c.package}${c.module && c.module !== 'std' && c.module !== c.package ? ` (module ${c.module})` : ''} calls C` +
      (dynamic ? ': that is why this Go binary is dynamically linked' : ', linked statically here'),
    fix: dynamic ? c.fix : null,
  }));
}
