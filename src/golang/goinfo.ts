import type { ExecutableLayout } from '../binary/layout.js';
import { readBuildInfo } from './buildinfo.js';
import { parseModinfo } from './modinfo.js';
import { findPclntab } from './pclntab.js';
import type { GoInfo, GoVersionSource } from './types.js';
import { versionFromRodata, versionFromSymbol } from './version.js';

/**
 * Everything we can say about a binary as a Go program, best source first:
 * the build info (what `go version -m` reads); failing that, proof that it
 * is Go at all (a pclntab) and the version from the runtime's symbol, from
 * read-only data, or only the range its pclntab magic implies. Non-Go
 * binaries give null. A modinfo that exists but breaks Go's grammar is a
 * FormatError, as it is an error for `go version -m`.
 */
export async function readGoInfo(layout: ExecutableLayout): Promise<GoInfo | null> {
  if (ruledOutAsGo(layout)) return null;
  const buildInfo = await readBuildInfo(layout);
  if (buildInfo) {
    const parsed = parseModinfo(buildInfo.modinfo, layout.source.name);
    return {
      version: buildInfo.version,
      versionSource: 'buildinfo',
      path: parsed.path,
      main: parsed.main,
      deps: parsed.deps,
      settings: parsed.settings,
      modinfo: buildInfo.modinfo,
      cgo: null,
      packages: null,
    };
  }

  const pclntab = await findPclntab(layout);
  if (!pclntab) return null;
  const fromVersion = (version: string, versionSource: GoVersionSource): GoInfo => ({
    version,
    versionSource,
    path: '',
    main: null,
    deps: [],
    settings: [],
    modinfo: '',
    cgo: null,
    packages: null,
  });
  const symbol = await versionFromSymbol(layout);
  if (symbol !== undefined) return fromVersion(symbol, 'symbol');
  const rodata = await versionFromRodata(layout, pclntab.magic);
  if (rodata !== undefined) return fromVersion(rodata, 'rodata');
  return fromVersion(pclntab.goRange, 'pclntab');
}

/**
 * Sections the Go linker always emits in ELF, internal or external linking,
 * PIE or not, -s -w or not. Zeroing the build info or losing .gopclntab
 * still leaves the others.
 */
const GO_ELF_SECTIONS = new Set(['.go.buildinfo', '.gopclntab', '.note.go.buildid', '.gosymtab', '.go.module']);

/**
 * True for an ELF file with section headers and none of the Go linker's
 * sections: certainly not Go, so the build-info search of its data segment
 * and the pclntab scan of its read-only data (tens of milliseconds on a big
 * C++ binary) are skipped. That keeps a scan of a distribution's /usr/bin
 * cheap. Files without section headers, Mach-O and PE get the full search.
 */
function ruledOutAsGo(layout: ExecutableLayout): boolean {
  if (layout.format !== 'elf' || layout.sections.length === 0) return false;
  return !layout.sections.some((s) => GO_ELF_SECTIONS.has(s.name));
}
