import { FormatError } from '../errors.js';
import { GoQuoteError, goQuote, goQuoteRune, goQuotedPrefix, goUnquote } from './goquote.js';
import type { GoModule } from './types.js';

/**
 * The modinfo text the go command embeds in a binary, parsed with the same
 * grammar as runtime/debug.ParseBuildInfo: newline-terminated lines of
 * tab-separated fields, `path`, `mod`, `dep`, `=>` (replaces the module on
 * the line above) and `build key=value`. Lines it does not know are skipped;
 * a last line without its newline is ignored, as Go does.
 */
export interface ParsedModinfo {
  /** The main package ("path" line), "" when absent. */
  readonly path: string;
  /** The main module ("mod" line), null when absent. */
  readonly main: GoModule | null;
  readonly deps: readonly GoModule[];
  /** Build settings, key and value exactly as `go version -m` prints them (Go-quoted where Go quotes). */
  readonly settings: readonly { key: string; value: string }[];
}

/** Keys must be quoted when empty or holding `=`, space, tab, CR, LF, `"` or a back quote (runtime/debug). */
function keyNeedsQuotes(key: string): boolean {
  return key.length === 0 || /[= \t\r\n"`]/.test(key);
}

/** Values must be quoted when holding space, tab, CR, LF, `"` or a back quote. */
function valueNeedsQuotes(value: string): boolean {
  return /[ \t\r\n"`]/.test(value);
}

/** A build setting's key or value as `go version -m` prints it. */
export function printedSettingKey(key: string): string {
  return keyNeedsQuotes(key) ? goQuote(key) : key;
}
export function printedSettingValue(value: string): string {
  return valueNeedsQuotes(value) ? goQuote(value) : value;
}

/** The raw value of a printed setting (undoes the quoting `go version -m` applies), for analysis code. */
export function settingValue(settings: readonly { key: string; value: string }[], key: string): string | undefined {
  const printedKey = printedSettingKey(key);
  const found = settings.find((s) => s.key === printedKey);
  if (found === undefined) return undefined;
  const v = found.value;
  return v.startsWith('"') || v.startsWith('`') ? goUnquote(v) : v;
}

interface MutableModule {
  path: string;
  version: string;
  sum: string;
  replace?: GoModule;
}

/** `name` only labels error messages (the file the modinfo came from). */
export function parseModinfo(text: string, name = 'modinfo'): ParsedModinfo {
  let path = '';
  let main: MutableModule | null = null;
  const deps: MutableModule[] = [];
  const settings: { key: string; value: string }[] = [];
  // The module a following `=>` line replaces; cleared after one replacement, as in Go.
  let last: MutableModule | null = null;

  let lineNumber = 1;
  const fail = (what: string): never => {
    throw new FormatError('malformed', `${name}: Go build info line ${lineNumber}: ${what}`);
  };
  const moduleFrom = (fields: string[]): MutableModule => {
    if (fields.length !== 2 && fields.length !== 3) fail(`expected 2 or 3 columns; got ${fields.length}`);
    return { path: fields[0] ?? '', version: fields[1] ?? '', sum: fields[2] ?? '' };
  };

  let rest = text;
  while (rest.length > 0) {
    const newline = rest.indexOf('\n');
    if (newline < 0) break;
    const line = rest.slice(0, newline);
    rest = rest.slice(newline + 1);

    if (line.startsWith('path\t')) {
      path = line.slice('path\t'.length);
    } else if (line.startsWith('mod\t')) {
      main = moduleFrom(line.slice('mod\t'.length).split('\t'));
      last = main;
    } else if (line.startsWith('dep\t')) {
      const dep = moduleFrom(line.slice('dep\t'.length).split('\t'));
      deps.push(dep);
      last = dep;
    } else if (line.startsWith('=>\t')) {
      const fields = line.slice('=>\t'.length).split('\t');
      if (fields.length !== 3) fail(`expected 3 columns for replacement; got ${fields.length}`);
      if (last === null) fail('replacement with no module on previous line');
      (last as MutableModule).replace = { path: fields[0] ?? '', version: fields[1] ?? '', sum: fields[2] ?? '' };
      last = null;
    } else if (line.startsWith('build\t')) {
      settings.push(parseBuildLine(line.slice('build\t'.length), fail));
    }
    lineNumber++;
  }

  const hasMain = main !== null && (main.path !== '' || main.version !== '' || main.sum !== '' || main.replace !== undefined);
  return { path, main: hasMain ? main : null, deps, settings };
}

/** One `build` line's key=value, returned in printed (re-quoted) form. */
function parseBuildLine(kv: string, fail: (what: string) => never): { key: string; value: string } {
  if (kv.length < 1) fail("build line missing '='");
  let key: string;
  let rawValue: string;
  const first = kv[0];
  if (first === '=') {
    fail('build line with missing key');
  }
  if (first === '"' || first === '`') {
    let rawKey = '';
    try {
      rawKey = goQuotedPrefix(kv);
    } catch (e) {
      if (e instanceof GoQuoteError) fail('invalid quoted key in build line');
      throw e;
    }
    if (kv.length === rawKey.length) fail("build line missing '=' after quoted key");
    const next = kv.slice(rawKey.length, rawKey.length + 2);
    if (!next.startsWith('=')) {
      // Go reports the offending byte; for a multi-byte character that is its first UTF-8 byte, shown as a rune.
      const firstByte = new TextEncoder().encode(next)[0] ?? 0;
      fail(`unexpected character after quoted key: ${goQuoteRune(firstByte)}`);
    }
    key = goUnquote(rawKey);
    rawValue = kv.slice(rawKey.length + 1);
  } else {
    const eq = kv.indexOf('=');
    if (eq < 0) fail("build line missing '=' after key");
    key = kv.slice(0, eq);
    rawValue = kv.slice(eq + 1);
    if (keyNeedsQuotes(key)) fail(`unquoted key ${goQuote(key)} must be quoted`);
  }

  let value = '';
  if (rawValue.length > 0) {
    if (rawValue[0] === '"' || rawValue[0] === '`') {
      try {
        value = goUnquote(rawValue);
      } catch (e) {
        if (e instanceof GoQuoteError) fail('invalid quoted value in build line');
        throw e;
      }
    } else {
      value = rawValue;
      if (valueNeedsQuotes(value)) fail(`unquoted value ${goQuote(value)} must be quoted`);
    }
  }
  return { key: printedSettingKey(key), value: printedSettingValue(value) };
}
