import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../errors.js';
import { camelCase, commandHelp, parseCommandLine, runProgram, type CommandSpec, type Program } from './command.js';

let ran: { positionals: readonly string[]; options: Record<string, unknown> } | undefined;
const demo: CommandSpec = {
  name: 'demo',
  summary: 'a demo',
  args: [{ name: 'paths', variadic: true, description: 'files' }],
  options: [
    { name: 'json', description: 'machine output' },
    { name: 'fail-on', value: 'severity', default: 'error', choices: ['error', 'none'], description: 'threshold' },
    { name: 'jobs', short: 'j', value: 'n', description: 'parallelism' },
  ],
  async run(positionals, options) {
    ran = { positionals, options };
    return 3;
  },
};
const single: CommandSpec = { name: 'single', summary: 'one input', args: [{ name: 'input', description: 'x' }], options: [], run: async () => 0 };
const program: Program = { name: 'tool', version: '9.9.9', summary: 'a tool', commands: [demo, single] };

test('options, defaults, short flags and camelCase keys', async () => {
  const out: string[] = [];
  assert.equal(await runProgram(program, ['demo', 'a', '--json', '-j', '4', 'b'], (t) => out.push(t)), 3);
  assert.deepEqual(ran?.positionals, ['a', 'b']);
  assert.deepEqual(ran?.options, { json: true, failOn: 'error', jobs: '4' });
});

test('usage errors are UsageErrors with one line', () => {
  const bad: [CommandSpec, string[], RegExp][] = [
    [demo, ['--bogus', 'x'], /bogus/],
    [demo, ['--fail-on', 'sometimes', 'x'], /must be one of error, none, not "sometimes"/],
    [demo, [], /missing <paths>/],
    [single, ['a', 'b'], /unexpected argument "b"/],
    [demo, ['--jobs'], /jobs/],
  ];
  for (const [command, argv, message] of bad) {
    assert.throws(() => parseCommandLine(program, command, argv), (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'));
  }
});

test('unknown commands suggest the near one; help and version print and return 0', async () => {
  await assert.rejects(runProgram(program, ['dmeo'], () => undefined), /unknown command "dmeo"; did you mean "demo"\?/);
  const out: string[] = [];
  assert.equal(await runProgram(program, ['--version'], (t) => out.push(t)), 0);
  assert.equal(await runProgram(program, ['demo', '--help'], (t) => out.push(t)), 0);
  assert.equal(await runProgram(program, [], (t) => out.push(t)), 0);
  assert.equal(out[0], '9.9.9\n');
  assert.equal(out[1], commandHelp(program, demo));
  assert.match(out[1] ?? '', /--fail-on <severity>\s+threshold \(error, none\) \[default: error\]/);
  assert.match(out[2] ?? '', /Commands:\n {2}demo +a demo\n {2}single +one input/);
});

test('camelCase is the regular expression replace it stands for, on every dash and letter', () => {
  const byReplace = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const letters = ['a', 'b', '-', 'Z', '9', '--'];
  let checked = 0;
  const visit = (name: string, depth: number): void => {
    assert.equal(camelCase(name), byReplace(name), name);
    checked++;
    if (depth < 5) for (const l of letters) visit(name + l, depth + 1);
  };
  visit('', 0);
  assert.ok(checked > 9000);
  assert.equal(camelCase('fail-on'), 'failOn');
});
