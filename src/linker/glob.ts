import type { RootFS } from '../fs/rootfs.js';

/** glob(3) gives up nowhere; we stop a single pattern after this many matches. */
export const MAX_GLOB_MATCHES = 4096;

/**
 * glob(3) as ldconfig calls it (no flags) on a RootFS: `*`, `?` and
 * `[...]` within one path component, a leading "." only matched literally,
 * backslash escapes, results sorted, only paths that exist. Absolute
 * patterns only: ldconfig makes include patterns absolute first.
 */
export async function globInRoot(fs: RootFS, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter((p) => p !== '');
  let current = ['/'];
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (!hasWildcard(part)) {
        next.push(joinPath(dir, unescape(part)));
        continue;
      }
      const names = (await fs.list(dir)) ?? [];
      const matcher = compileComponent(part);
      for (const name of names) {
        if (matcher.test(name)) next.push(joinPath(dir, name));
        if (next.length >= MAX_GLOB_MATCHES) break;
      }
    }
    // Intermediate components must be directories; the final one only has to exist.
    current = [];
    for (const path of next) {
      const info = await fs.stat(path);
      if (info && (last || info.kind === 'dir')) current.push(path);
    }
    if (current.length === 0) return [];
  }
  return current.sort(compareBytes);
}

function hasWildcard(part: string): boolean {
  return /[*?[]/.test(part.replace(/\\./g, ''));
}

function unescape(part: string): string {
  return part.replace(/\\(.)/g, '$1');
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** One component of a glob pattern as an anchored regular expression (fnmatch with FNM_PERIOD). */
export function compileComponent(part: string): RegExp {
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === '\\' && i + 1 < part.length) {
      source += escapeRegExp(part[++i] as string);
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const close = findBracketEnd(part, i);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = part.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      source += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]').replace(/\[/g, '\\[')}]`;
      i = close;
    } else {
      source += escapeRegExp(c);
    }
  }
  // A leading dot is only matched by a literal dot.
  const leadingDotGuard = part.startsWith('.') || part.startsWith('\\.') ? '' : '(?!\\.)';
  return new RegExp(`^${leadingDotGuard}${source}$`, 's');
}

/** Index of the "]" closing a bracket expression opened at `open` ("]" right after "[" or "[!" is literal). */
function findBracketEnd(part: string, open: number): number {
  let i = open + 1;
  if (part[i] === '!' || part[i] === '^') i++;
  if (part[i] === ']') i++;
  for (; i < part.length; i++) if (part[i] === ']') return i;
  return -1;
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** glob(3) sorts with strcoll; in the C locale ldconfig runs under that is byte order. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
