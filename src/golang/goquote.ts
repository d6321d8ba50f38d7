import { decodeUtf8 } from '../io/bytes.js';

/**
 * Go's string quoting rules (strconv.Quote, strconv.Unquote,
 * strconv.QuotedPrefix), written from the language spec and the strconv
 * documentation. Build settings in a binary's modinfo are quoted this way,
 * and `go version -m` re-quotes them the same way when it prints them, so
 * matching its output byte for byte needs the same rules.
 */

/** A quoted-string problem; callers turn it into a FormatError naming the file. */
export class GoQuoteError extends Error {}

/** Made on first use: a Unicode property class costs most of a millisecond to build, at every start-up otherwise. */
let printable: RegExp | undefined;

/** unicode.IsPrint as strconv uses it: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(codePoint: number): boolean {
  if (codePoint <= 0xff) {
    if (codePoint >= 0x20 && codePoint <= 0x7e) return true;
    if (codePoint >= 0xa1 && codePoint <= 0xff) return codePoint !== 0xad;
    return false;
  }
  printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
  return printable.test(String.fromCodePoint(codePoint));
}

const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x0b, '\\v'],
]);

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/** strconv.Quote: a double-quoted Go string literal for `text`. */
export function goQuote(text: string): string {
  return quoteWith(text, '"');
}

/** strconv.QuoteRune (what fmt's %q prints for an integer, e.g. a byte): a single-quoted literal. */
export function goQuoteRune(codePoint: number): string {
  return quoteWith(String.fromCodePoint(codePoint), "'");
}

function quoteWith(text: string, quote: '"' | "'"): string {
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') {
      out += '\\' + ch;
    } else if (isPrint(cp)) {
      out += ch;
    } else if (SHORT_ESCAPES.has(cp)) {
      out += SHORT_ESCAPES.get(cp);
    } else if (cp < 0x20 || cp === 0x7f) {
      out += '\\x' + hex(cp, 2);
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate cannot be UTF-8; Go prints such runes as U+FFFD.
      out += '\\ufffd';
    } else if (cp < 0x10000) {
      out += '\\u' + hex(cp, 4);
    } else {
      out += '\\U' + hex(cp, 8);
    }
  }
  return out + quote;
}

/** Made on the first unquote that needs it: most runs unquote nothing. */
let encoder: InstanceType<typeof TextEncoder> | undefined;

const SIMPLE_UNESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  '\\': 0x5c,
};

function parseHexDigits(text: string, what: string): number {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new GoQuoteError(`invalid ${what} escape`);
  return parseInt(text, 16);
}

/**
 * strconv.Unquote for double-quoted and back-quoted literals (build
 * settings never use single quotes). Escapes produce bytes, as in Go, which
 * are then read as UTF-8.
 */
export function goUnquote(literal: string): string {
  if (literal.length < 2) throw new GoQuoteError('quoted string too short');
  const quote = literal[0];
  if (literal[literal.length - 1] !== quote) throw new GoQuoteError('unterminated quoted string');
  const body = literal.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new GoQuoteError('back-quoted string contains a back quote');
    return body.replaceAll('\r', '');
  }
  if (quote !== '"') throw new GoQuoteError('not a quoted string');
  const bytes: number[] = [];
  const pushText = (s: string): void => {
    for (const b of (encoder ??= new TextEncoder()).encode(s)) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === '"' || c === '\n') throw new GoQuoteError('unescaped quote or newline inside quoted string');
    if (c !== '\\') {
      const cp = body.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new GoQuoteError('quoted string ends in a backslash');
    const simple = SIMPLE_UNESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (e === '"') {
      bytes.push(0x22);
      i += 2;
    } else if (e === 'x') {
      bytes.push(parseHexDigits(body.slice(i + 2, i + 4).padEnd(2, 'z'), '\\x'));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const cp = parseHexDigits(body.slice(i + 2, i + 2 + n).padEnd(n, 'z'), `\\${e}`);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new GoQuoteError(`invalid code point in \\${e} escape`);
      pushText(String.fromCodePoint(cp));
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const digits = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(digits)) throw new GoQuoteError('invalid octal escape');
      const value = parseInt(digits, 8);
      if (value > 0xff) throw new GoQuoteError('octal escape out of range');
      bytes.push(value);
      i += 4;
    } else {
      throw new GoQuoteError(`unknown escape \\${e}`);
    }
  }
  return decodeUtf8(new Uint8Array(bytes));
}

/** strconv.QuotedPrefix: the quoted literal `text` starts with, or a GoQuoteError. */
export function goQuotedPrefix(text: string): string {
  const quote = text[0];
  if (quote === '`') {
    const end = text.indexOf('`', 1);
    if (end < 0) throw new GoQuoteError('unterminated back-quoted string');
    return text.slice(0, end + 1);
  }
  if (quote !== '"') throw new GoQuoteError('not a quoted string');
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') break;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') {
      const literal = text.slice(0, i + 1);
      goUnquote(literal); // validates every escape, as QuotedPrefix does
      return literal;
    }
  }
  throw new GoQuoteError('unterminated quoted string');
}
