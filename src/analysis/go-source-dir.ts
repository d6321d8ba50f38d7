import { readdirSync } from 'node:fs';

/** A directory is Go source, not a tree of binaries to scan, when it holds a go.mod or .go files of its own. */
export async function isGoSourceDir(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  return holdsGoSource(names);
}

/** isGoSourceDir for a directory whose entries' names are known. */
export function holdsGoSource(names: readonly string[]): boolean {
  return names.some((n) => n === 'go.mod' || (n.endsWith('.go') && !n.endsWith('_test.go')));
}
