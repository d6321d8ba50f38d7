import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../errors.js';
import { formatGoVersionM } from './format.js';
import { parseModinfo, settingValue } from './modinfo.js';
import type { GoInfo } from './types.js';

const SUM_A = 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const SUM_B = 'h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=';

const FULL = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.2.3\t' + SUM_A,
  'dep\tgithub.com/a/b\tv0.1.0\t' + SUM_B,
  'dep\tgithub.com/c/d\tv1.0.0\t' + SUM_A,
  '=>\tgithub.com/fork/d\tv1.0.1\t' + SUM_B,
  'dep\tgithub.com/e/f\tv2.0.0',
  '=>\t../local/f\t\t',
  'build\t-buildmode=exe',
  'build\t-ldflags="-s -w -X main.version=1.0"',
  'build\t-tags=netgo,osusergo',
  'build\tCGO_ENABLED=0',
  'build\tCGO_CFLAGS=',
  'build\tDefaultGODEBUG=httplaxcontentlength=1,panicnil=1',
  'build\tvcs.time=2024-01-02T03:04:05Z',
  '',
].join('\n');

test('parseModinfo reads path, main module, deps with versioned and directory replaces, and settings', () => {
  const parsed = parseModinfo(FULL);
  assert.equal(parsed.path, 'example.com/app/cmd/app');
  assert.deepEqual(parsed.main, { path: 'example.com/app', version: 'v1.2.3', sum: SUM_A });
  assert.deepEqual(parsed.deps, [
    { path: 'github.com/a/b', version: 'v0.1.0', sum: SUM_B },
    { path: 'github.com/c/d', version: 'v1.0.0', sum: SUM_A, replace: { path: 'github.com/fork/d', version: 'v1.0.1', sum: SUM_B } },
    { path: 'github.com/e/f', version: 'v2.0.0', sum: '', replace: { path: '../local/f', version: '', sum: '' } },
  ]);
  assert.deepEqual(parsed.settings, [
    { key: '-buildmode', value: 'exe' },
    { key: '-ldflags', value: '"-s -w -X main.version=1.0"' },
    { key: '-tags', value: 'netgo,osusergo' },
    { key: 'CGO_ENABLED', value: '0' },
    { key: 'CGO_CFLAGS', value: '' },
    { key: 'DefaultGODEBUG', value: 'httplaxcontentlength=1,panicnil=1' },
    { key: 'vcs.time', value: '2024-01-02T03:04:05Z' },
  ]);
  assert.equal(settingValue(parsed.settings, '-ldflags'), '-s -w -X main.version=1.0');
  assert.equal(settingValue(parsed.settings, '-tags'), 'netgo,osusergo');
  assert.equal(settingValue(parsed.settings, 'GOOS'), undefined);
});

test('quoted settings are printed re-quoted the way strconv.Quote does, whatever quoting they were stored with', () => {
  const parsed = parseModinfo(
    [
      'build\t-gcflags=`all=-N -l`', // back quotes: Go prints double quotes
      'build\t-asmflags="tab\\there"',
      'build\t"odd=key"=plain',
      'build\t`sp ace`="say \\"hi\\" \\u00e9\\x41"',
      'build\tX="\\a\\x01\\u2028"',
      'build\tempty=""',
      '',
    ].join('\n'),
  );
  assert.deepEqual(parsed.settings, [
    { key: '-gcflags', value: '"all=-N -l"' },
    { key: '-asmflags', value: '"tab\\there"' },
    { key: '"odd=key"', value: 'plain' },
    { key: '"sp ace"', value: '"say \\"hi\\" éA"' },
    // Not printable: bell as \a, control byte as \x01, U+2028 as \u2028; but no quoting needed, so printed raw.
    { key: 'X', value: '\x07\x01\u2028' },
    { key: 'empty', value: '' },
  ]);
  assert.equal(settingValue(parsed.settings, 'sp ace'), 'say "hi" éA');
});

test('a value that needs quoting is printed with Go escapes', () => {
  const parsed = parseModinfo('build\tX="a\\tb\\x01\\u2028 \\U0001F600"\n');
  assert.deepEqual(parsed.settings, [{ key: 'X', value: '"a\\tb\\x01\\u2028 \u{1F600}"' }]);
});

test('no deps, no main module, unknown lines and an unterminated last line', () => {
  assert.deepEqual(parseModinfo('path\tcommand-line-arguments\nbuild\tGOOS=linux\n'), {
    path: 'command-line-arguments',
    main: null,
    deps: [],
    settings: [{ key: 'GOOS', value: 'linux' }],
  });
  const parsed = parseModinfo('path\tx\nsomething\telse\nmod\tx\t(devel)\t\nbuild\tGOARCH=amd64');
  assert.deepEqual(parsed.main, { path: 'x', version: '(devel)', sum: '' });
  assert.deepEqual(parsed.settings, [], 'the last line lacks its newline: Go drops it');
  assert.deepEqual(parseModinfo(''), { path: '', main: null, deps: [], settings: [] });
});

test('modinfo Go refuses to parse is a FormatError naming the file and line', () => {
  const bad: [string, RegExp][] = [
    ['=>\ta\tb\tc\n', /line 1: replacement with no module/],
    ['dep\ta\tv1\th1:x\n=>\tb\tv2\tsum\n=>\tc\tv3\tsum\n', /line 3: replacement with no module/],
    ['dep\ta\tv1\th1:x\textra\n', /line 1: expected 2 or 3 columns; got 4/],
    ['dep\ta\n', /expected 2 or 3 columns; got 1/],
    ['dep\ta\tv1\n=>\tb\tv2\n', /line 2: expected 3 columns for replacement; got 2/],
    ['path\tp\nbuild\tnokey\n', /line 2: build line missing '=' after key/],
    ['build\t=v\n', /missing key/],
    ['build\t\n', /missing '='/],
    ['build\tk=a b\n', /unquoted value "a b" must be quoted/],
    ['build\tk="a\n', /invalid quoted value/],
    ['build\tk="\\q"\n', /invalid quoted value/],
    ['build\t"k"v\n', /unexpected character after quoted key/],
    ['build\t"k\n', /invalid quoted key/],
    ['build\t"k"\n', /missing '=' after quoted key/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseModinfo(text, 'bin/app'),
      (e: unknown) => e instanceof FormatError && e.code === 'malformed' && e.message.startsWith('bin/app: ') && message.test(e.message),
      JSON.stringify(text),
    );
  }
});

test('formatGoVersionM prints the go version -m layout: tabs, empty sum columns, => lines and the blank line after them', () => {
  const parsed = parseModinfo(FULL);
  const info: GoInfo = { version: 'go1.23.5', versionSource: 'buildinfo', modinfo: FULL, cgo: null, packages: null, ...parsed };
  const expected =
    'bin/app: go1.23.5\n' +
    '\tpath\texample.com/app/cmd/app\n' +
    `\tmod\texample.com/app\tv1.2.3\t${SUM_A}\n` +
    `\tdep\tgithub.com/a/b\tv0.1.0\t${SUM_B}\n` +
    '\tdep\tgithub.com/c/d\tv1.0.0\n' +
    `\t=>\tgithub.com/fork/d\tv1.0.1\t${SUM_B}\n` +
    '\t\n' +
    '\tdep\tgithub.com/e/f\tv2.0.0\n' +
    '\t=>\t../local/f\t\t\n' +
    '\t\n' +
    '\tbuild\t-buildmode=exe\n' +
    '\tbuild\t-ldflags="-s -w -X main.version=1.0"\n' +
    '\tbuild\t-tags=netgo,osusergo\n' +
    '\tbuild\tCGO_ENABLED=0\n' +
    '\tbuild\tCGO_CFLAGS=\n' +
    '\tbuild\tDefaultGODEBUG=httplaxcontentlength=1,panicnil=1\n' +
    '\tbuild\tvcs.time=2024-01-02T03:04:05Z\n';
  assert.equal(formatGoVersionM('bin/app', info), expected);

  const bare: GoInfo = { ...info, path: '', main: null, deps: [], settings: [], modinfo: '' };
  assert.equal(formatGoVersionM('old', bare), 'old: go1.23.5\n');
});
