import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from 'node:util';
import { Rng } from '../testing/mutate.js';
import { ArgvError, parseArgv, type ArgvOption } from './parse-argv.js';

const OPTIONS: Record<string, ArgvOption> = {
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  all: { type: 'boolean', short: 'a' },
  jobs: { type: 'string', short: 'j' },
  'fail-on': { type: 'string' },
  label: { type: 'string', short: 'l', multiple: true },
};

test('long, short, grouped and = forms, repeats and --, as parseArgs reads them', () => {
  const cases: string[][] = [
    ['a', '--json', 'b'],
    ['--jobs', '4', 'x'],
    ['--jobs=4', '--jobs=', 'x'],
    ['-j', '4', '-j5'],
    ['-vaj', '3', 'p'],
    ['-vaj3'],
    ['--label', 'a=b', '-l', 'c', '--label=d'],
    ['--fail-on', 'none', '-', 'x'],
    ['x', '--', '--json', '-v'],
    ['--jobs', '-'],
    [],
  ];
  for (const args of cases) {
    const theirs = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    const ours = parseArgv(args, OPTIONS);
    assert.deepEqual({ ...ours.values }, { ...theirs.values }, args.join(' '));
    assert.deepEqual(ours.positionals, theirs.positionals, args.join(' '));
  }
});

test('what parseArgs refuses is an ArgvError naming the option, one line', () => {
  const bad: [string[], RegExp][] = [
    [['--bogus'], /unknown option --bogus/],
    [['-x'], /unknown option -x/],
    [['-vx'], /unknown option -x/],
    [['--json=yes'], /option --json takes no value/],
    [['--jobs'], /option --jobs needs a value/],
    [['-j'], /option -j needs a value/],
    [['--jobs', '--json'], /option --jobs needs a value .*--jobs=--json/],
    [['--constructor'], /unknown option --constructor/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }), Error, `parseArgs refuses ${args.join(' ')} too`);
    assert.throws(() => parseArgv(args, OPTIONS), (e: unknown) => e instanceof ArgvError && message.test(e.message) && !e.message.includes('\n'), args.join(' '));
  }
});

test('random command lines: accepted and refused alike, and read alike', () => {
  const words = ['--json', '-v', '-a', '-va', '-vj', '--jobs', '-j', '4', '-j7', '--jobs=2', '--fail-on', 'none', '--label', '-l', 'x', '-', '--', 'file', '--nope', '-q'];
  const rng = new Rng(5);
  for (let round = 0; round < 3000; round++) {
    const args = Array.from({ length: rng.below(7) }, () => words[rng.below(words.length)] as string);
    let theirs: ReturnType<typeof parseArgs> | undefined;
    try {
      theirs = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    } catch {
      theirs = undefined;
    }
    if (theirs === undefined) {
      assert.throws(() => parseArgv(args, OPTIONS), ArgvError, args.join(' '));
      continue;
    }
    const ours = parseArgv(args, OPTIONS);
    assert.deepEqual({ ...ours.values }, { ...theirs.values }, args.join(' '));
    assert.deepEqual(ours.positionals, theirs.positionals, args.join(' '));
  }
});
