import type { GoInfo, GoModule } from './types.js';

/**
 * The text `go version -m FILE` prints for a binary (cmd/go's version
 * command over debug/buildinfo's BuildInfo.String): `FILE: VERSION`, then
 * the module lines, each indented by one tab. Module lines print the sum
 * column even when it is empty (a trailing tab), except on a line whose
 * module is replaced, where the `=>` line follows instead, and then an
 * empty (tab-only) line.
 */
export function formatGoVersionM(file: string, info: GoInfo): string {
  const lines: string[] = [];
  if (info.path !== '') lines.push(`path\t${info.path}`);
  const moduleLines = (word: string, m: GoModule): void => {
    if (m.replace === undefined) {
      lines.push(`${word}\t${m.path}\t${m.version}\t${m.sum}`);
    } else {
      lines.push(`${word}\t${m.path}\t${m.version}`);
      moduleLines('=>', m.replace);
      // BuildInfo.String ends the replaced module's entry with one more newline: go version -m shows a line holding only a tab.
      lines.push('');
    }
  };
  if (info.main !== null) moduleLines('mod', info.main);
  for (const dep of info.deps) moduleLines('dep', dep);
  for (const s of info.settings) lines.push(`build\t${s.key}=${s.value}`);
  return `${file}: ${info.version}\n` + lines.map((l) => `\t${l}\n`).join('');
}
