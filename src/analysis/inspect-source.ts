import { statSync } from 'node:fs';
import { describeError } from '../errors.js';
import { analyseGoSource } from './go-source.js';
import { recommendBase } from './recommend.js';
import { emptyReport, type Finding, type InspectReport } from './report.js';

/**
 * `inspect ./cmd/server`: what the program will be before it is built,
 * from `go list -deps` (which packages have cgo files, which imports imply
 * which run-time needs), in the same report shape as a binary's so scripts
 * read both alike. Like inspectFile it never throws: a failure is the
 * report's `error`.
 */
export async function inspectGoSource(dir: string): Promise<InspectReport> {
  const base = emptyReport(dir);
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory`);
    const a = await analyseGoSource(dir);
    const findings: Finding[] = a.culprits.map((c) => ({
      id: 'cgo-package',
      severity: 'warning',
      message: `${c.package}${c.module !== 'std' && c.module !== c.package ? ` (module ${c.module})` : ''} has cgo files: with cgo on, the binary links libc dynamically`,
      fix: c.fix,
    }));
    const report: InspectReport = {
      ...base,
      format: 'go-source',
      go: {
        version: a.goVersion === null ? '' : `go${a.goVersion}`,
        versionSource: 'go.mod',
        path: a.mainPackage,
        main: a.modulePath === null ? null : { path: a.modulePath, version: '(devel)', sum: '' },
        deps: [],
        settings: [],
        modinfo: '',
        packages: a.packages,
        cgo: { used: a.cgoPackages.length > 0, packages: a.cgoPackages.map((p) => p.package), culprits: a.culprits },
      },
      needs: a.needs,
      findings,
    };
    // Built the way `fromscratch dockerfile` builds it (CGO_ENABLED=0 unless a culprit needs C), it is a static Linux ELF.
    const recommendation = recommendBase({ ...report, format: 'elf', os: 'linux', type: 'executable', linkage: 'static' });
    return { ...report, recommendation };
  } catch (e) {
    const error = describeError(e);
    return { ...base, error: { code: error.code, message: error.message.startsWith(dir) ? error.message : `${dir}: ${error.message}` } };
  }
}
