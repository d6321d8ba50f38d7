import type { LibraryEntry } from '../analysis/report.js';
import { parseElf } from '../elf/index.js';
import type { ElfFile } from '../elf/types.js';
import { isFromscratchError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import type { CheckFinding } from './findings.js';
import { PromiseMemo } from '../util/memo.js';

/**
 * GNU symbol versions checked in the image: every version an object needs
 * from a library (GLIBC_2.34 from libc.so.6) must be defined by the copy of
 * that library the loader finds there, or ld.so stops with "version
 * `GLIBC_2.34' not found". Checked for the entrypoint and every library it
 * loads, each library read once.
 */
export async function symbolVersionFindings(fs: RootFS, entrypoint: string, elf: ElfFile, libraries: readonly LibraryEntry[]): Promise<CheckFinding[]> {
  const parsed = new PromiseMemo<ElfFile | undefined>(Math.max(1, libraries.length + 1));
  const load = (path: string): Promise<ElfFile | undefined> =>
    parsed.get(path, () =>
      fs.open(path).then(
        (source) => parseElf(source).catch((e: unknown) => (isFromscratchError(e) ? undefined : Promise.reject(e))),
        (e: unknown) => (isFromscratchError(e) ? undefined : Promise.reject(e)),
      ),
    );
  // Which path each object's DT_NEEDED name resolved to (the loader finds one copy per name).
  const pathOf = new Map<string, string>();
  for (const lib of libraries) if (lib.path !== null && !pathOf.has(lib.name)) pathOf.set(lib.name, lib.path);
  const objects: [string, ElfFile | undefined][] = [[entrypoint, elf]];
  for (const path of new Set(pathOf.values())) objects.push([path, await load(path)]);

  const findings: CheckFinding[] = [];
  for (const [path, object] of objects) {
    for (const need of object?.versionNeeds ?? []) {
      const libraryPath = pathOf.get(need.file);
      if (libraryPath === undefined) continue; // missing altogether: library-missing says so
      const library = await load(libraryPath);
      if (!library) continue;
      const defined = new Set(library.versionDefinitions);
      const missing = need.versions.filter((v) => !defined.has(v));
      if (missing.length === 0) continue;
      findings.push({
        id: 'symbol-version-missing',
        path: libraryPath,
        severity: 'error',
        message: `${path} needs ${missing.join(', ')} from ${need.file}, which ${libraryPath} in the image does not define: ld.so stops with "version not found"`,
        fix: `use a base image whose ${need.file} is new enough, or build against the image's older library`,
      });
    }
  }
  return findings;
}
