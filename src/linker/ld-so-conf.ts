import { isFromscratchError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import { decodeUtf8 } from '../io/bytes.js';
import { globInRoot } from './glob.js';

/**
 * /etc/ld.so.conf as ldconfig reads it (glibc elf/ldconfig.c parse_conf):
 * text after '#' is a comment; leading whitespace is skipped; a line
 * "include PATTERN..." (blank-separated patterns, relative ones taken from
 * the including file's directory) reads every file the glob matches, in
 * sorted order; "hwcap ..." lines are obsolete and ignored; any other line
 * is one directory, trailing whitespace and slashes removed.
 *
 * The loader never reads this file: ldconfig turns it into ld.so.cache. We
 * read it to explain a library that sits in a configured directory while
 * the cache is missing or stale.
 */
export interface LdSoConfDir {
  readonly path: string;
  /** The file and line that named it, for messages. */
  readonly file: string;
  readonly line: number;
}

export interface LdSoConf {
  /** In the order ldconfig would scan them, duplicates removed (first wins). */
  readonly dirs: readonly LdSoConfDir[];
  /** Every configuration file read, in order. */
  readonly files: readonly string[];
  /** What was skipped and why (include loops, limits, unreadable files). */
  readonly warnings: readonly string[];
}

export const LD_SO_CONF_PATH = '/etc/ld.so.conf';
/** ldconfig recurses without a bound; a tree deeper than this is a loop or an attack. */
export const MAX_INCLUDE_DEPTH = 16;
export const MAX_CONF_FILES = 512;
export const MAX_CONF_DIRS = 10000;

export async function readLdSoConf(fs: RootFS, path: string = LD_SO_CONF_PATH): Promise<LdSoConf> {
  const state: ParseState = { dirs: [], seenDirs: new Set(), files: [], warnings: [] };
  await parseFile(fs, path, state, [], true);
  return { dirs: state.dirs, files: state.files, warnings: state.warnings };
}

interface ParseState {
  dirs: LdSoConfDir[];
  seenDirs: Set<string>;
  files: string[];
  warnings: string[];
  dirLimitReached?: boolean;
}

async function parseFile(fs: RootFS, path: string, state: ParseState, including: readonly string[], top: boolean): Promise<void> {
  if (including.includes(path)) {
    state.warnings.push(`${path}: included from itself (through ${including.join(' → ')}); skipped`);
    return;
  }
  if (including.length >= MAX_INCLUDE_DEPTH) {
    state.warnings.push(`${path}: includes nested deeper than ${MAX_INCLUDE_DEPTH}; skipped`);
    return;
  }
  if (state.files.length >= MAX_CONF_FILES) {
    state.warnings.push(`${path}: more than ${MAX_CONF_FILES} configuration files; skipped`);
    return;
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = await fs.readSmallFile(path);
  } catch (e) {
    if (!isFromscratchError(e)) throw e;
    state.warnings.push(`${e.message}; ignored`);
    return;
  }
  if (bytes === undefined) {
    if (!top) state.warnings.push(`${path}: matched by an include but missing; ignored`);
    return;
  }
  state.files.push(path);
  const lines = decodeUtf8(bytes).split('\n');
  for (const [index, raw] of lines.entries()) {
    const lineNumber = index + 1;
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).replace(/^\s+/, '');
    if (line === '') continue;
    if (/^include[ \t]/.test(line)) {
      for (const pattern of line.slice(8).split(/[ \t]/)) {
        if (pattern === '') continue;
        const absolute = pattern.startsWith('/') ? pattern : `${dirname(path)}/${pattern}`;
        for (const match of await globInRoot(fs, absolute)) {
          await parseFile(fs, match, state, [...including, path], false);
        }
      }
    } else if (/^hwcap[ \t]/i.test(line)) {
      continue;
    } else {
      addDir(state, line, path, lineNumber);
    }
  }
}

function addDir(state: ParseState, line: string, file: string, lineNumber: number): void {
  const dir = line.replace(/\s+$/, '').replace(/\/+$/, '');
  if (dir === '' || state.seenDirs.has(dir)) return;
  if (state.dirs.length >= MAX_CONF_DIRS) {
    if (!state.dirLimitReached) state.warnings.push(`${file}:${lineNumber}: more than ${MAX_CONF_DIRS} directories; the rest are ignored`);
    state.dirLimitReached = true;
    return;
  }
  state.seenDirs.add(dir);
  state.dirs.push({ path: dir, file, line: lineNumber });
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
