/**
 * Dynamic string tokens in search paths and needed names, expanded the way
 * each loader does it.
 */

/** The values glibc substitutes; undefined means "unknown", and a path using it is dropped, as glibc does. */
export interface GlibcTokens {
  readonly origin: string | undefined;
  readonly platform: string | undefined;
  readonly lib: string | undefined;
}

/**
 * glibc's _dl_dst_substitute on one string: $ORIGIN, $PLATFORM, $LIB and
 * their ${...} forms, each only when not followed by an identifier
 * character; any other "$" stays literal. Returns undefined when a known
 * token has no value (the loader then ignores that path element).
 */
export function substituteGlibc(input: string, tokens: GlibcTokens): string | undefined {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const rest = input.slice(i + 1);
    let matched: { length: number; value: string | undefined } | undefined;
    for (const [token, value] of [
      ['ORIGIN', tokens.origin],
      ['PLATFORM', tokens.platform],
      ['LIB', tokens.lib],
    ] as const) {
      const length = tokenLength(rest, token);
      if (length > 0) {
        matched = { length, value };
        break;
      }
    }
    if (!matched) {
      out += '$';
      i++;
      continue;
    }
    if (matched.value === undefined) return undefined;
    out += matched.value;
    i += 1 + matched.length;
  }
  return out;
}

/** glibc's is_dst: length of "NAME" or "{NAME}" at the start of `rest`, 0 when it is not that token. */
function tokenLength(rest: string, name: string): number {
  const curly = rest.startsWith('{');
  const body = curly ? rest.slice(1) : rest;
  if (!body.startsWith(name)) return 0;
  const next = body[name.length] ?? '';
  if (curly) return next === '}' ? name.length + 2 : 0;
  return /[A-Za-z0-9_]/.test(next) ? 0 : name.length;
}

/**
 * A DT_RPATH/DT_RUNPATH/LD_LIBRARY_PATH element list as glibc's
 * fillin_rpath turns it into directories: tokens substituted (elements with
 * an unknown token dropped), trailing slashes removed. Empty and relative
 * elements name directories relative to the process's working directory,
 * which a static view does not have: they are dropped too.
 */
export function glibcSearchDirs(elements: readonly string[], tokens: GlibcTokens): string[] {
  const dirs: string[] = [];
  for (const element of elements) {
    const expanded = substituteGlibc(element, tokens);
    if (expanded === undefined || !expanded.startsWith('/')) continue;
    dirs.push(trimTrailingSlashes(expanded));
  }
  return dirs;
}

/**
 * musl's fixup_rpath then path_open: only $ORIGIN and ${ORIGIN} are known
 * (matched as prefixes, no identifier check); any other "$" makes musl ignore
 * the whole path list, reported here as undefined. The result is split on
 * ':' and newline, empty pieces skipped; relative pieces are dropped as
 * for glibc.
 */
export function muslSearchDirs(raw: string, origin: string | undefined): string[] | undefined {
  let expanded = raw;
  if (raw.includes('$')) {
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const c = raw[i] as string;
      if (c !== '$') {
        out += c;
        i++;
        continue;
      }
      const length = raw.startsWith('$ORIGIN', i) ? 7 : raw.startsWith('${ORIGIN}', i) ? 9 : 0;
      if (length === 0 || origin === undefined) return undefined;
      out += origin;
      i += length;
    }
    expanded = out;
  }
  return splitMuslPath(expanded).filter((dir) => dir.startsWith('/'));
}

/** musl's path list separators: ':' and newline; empty pieces are skipped. */
export function splitMuslPath(list: string): string[] {
  return list.split(/[:\n]/).filter((piece) => piece !== '');
}

/** Directory of a path as the loaders take it (no resolution): "/a/b/c.so" → "/a/b", "/c.so" → "/". */
export function originOf(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : path.slice(0, slash);
}

export function trimTrailingSlashes(dir: string): string {
  let end = dir.length;
  while (end > 1 && dir[end - 1] === '/') end--;
  return dir.slice(0, end);
}

/** The candidate file for `name` in `dir`, built by string concatenation like the loaders (no normalisation of "..") . */
export function candidatePath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
