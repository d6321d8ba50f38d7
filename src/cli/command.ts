import { UsageError } from '../errors.js';
import { ArgvError, parseArgv, type ArgvOption, type ParsedArgv } from './parse-argv.js';

/**
 * A small declarative command line (parse-argv.ts). Commander did this well
 * but cost ~30 ms of start-up (it loads child_process, and net with it, for
 * executable subcommands we do not have): a third of what `inspect` of a
 * 50 MB binary takes. Help text is generated from the same table the
 * parser reads, so they cannot disagree.
 */
export interface OptionSpec {
  /** Long name without dashes, e.g. "fail-on". The parsed key is its camelCase form ("failOn"). */
  readonly name: string;
  readonly short?: string;
  /** Placeholder of the value ("dir"); absent for a boolean flag. */
  readonly value?: string;
  readonly description: string;
  readonly default?: string;
  readonly choices?: readonly string[];
  /** May be given more than once; the parsed value is then a string[] (absent: undefined). */
  readonly multiple?: boolean;
}

export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
  /** Takes one or more values (the rest of the positionals). */
  readonly variadic?: boolean;
}

export type ParsedOptions = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Positional arguments; all are required. */
  readonly args: readonly ArgumentSpec[];
  readonly options: readonly OptionSpec[];
  /** When set, the arguments after the first `--` are not parsed but passed as options['--'] (a string[]); this describes them. */
  readonly trailing?: string;
  /** Runs the command; returns its exit code. */
  run(positionals: readonly string[], options: ParsedOptions): Promise<number>;
}

export interface Program {
  readonly name: string;
  readonly version: string;
  readonly summary: string;
  readonly commands: readonly CommandSpec[];
}

/** "fail-on" -> "failOn". (A replace with a callback cost ~0.5 ms of every run, compiled cold for ten names.) */
export function camelCase(name: string): string {
  let out = '';
  let from = 0;
  for (let dash = name.indexOf('-'); dash >= 0 && dash + 1 < name.length; dash = name.indexOf('-', from)) {
    const next = name.charCodeAt(dash + 1);
    if (next < 0x61 || next > 0x7a) {
      out += name.slice(from, dash + 1);
      from = dash + 1;
      continue;
    }
    out += name.slice(from, dash) + name.charAt(dash + 1).toUpperCase();
    from = dash + 2;
  }
  return out + name.slice(from);
}

/** Parses argv and runs the command it names; help and version print to stdout and return 0. */
export async function runProgram(program: Program, argv: readonly string[], out: (text: string) => void): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : findCommand(program, topic);
    out(command ? commandHelp(program, command) : programHelp(program));
    return 0;
  }
  if (first === '-V' || first === '--version') {
    out(`${program.version}\n`);
    return 0;
  }
  const command = findCommand(program, first);
  if (rest.includes('-h') || rest.includes('--help')) {
    out(commandHelp(program, command));
    return 0;
  }
  const { positionals, options } = parseCommandLine(program, command, rest);
  return command.run(positionals, options);
}

function findCommand(program: Program, name: string): CommandSpec {
  const command = program.commands.find((c) => c.name === name);
  if (command) return command;
  if (name.startsWith('-')) throw new UsageError(`unknown option ${name} (see ${program.name} --help)`);
  const near = program.commands.map((c) => c.name).find((c) => editDistance(c, name) <= 2);
  throw new UsageError(`unknown command "${name}"${near ? `; did you mean "${near}"?` : ''} (see ${program.name} --help)`);
}

export function parseCommandLine(program: Program, command: CommandSpec, argv: readonly string[]): { positionals: string[]; options: ParsedOptions } {
  const config: Record<string, ArgvOption> = {};
  for (const o of command.options) {
    config[o.name] = { type: o.value === undefined ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  const dashDash = command.trailing !== undefined ? argv.indexOf('--') : -1;
  const parsedArgv = dashDash < 0 ? argv : argv.slice(0, dashDash);
  let parsed: ParsedArgv;
  try {
    parsed = parseArgv(parsedArgv, config);
  } catch (e) {
    if (!(e instanceof ArgvError)) throw e;
    throw new UsageError(`${command.name}: ${e.message} (see ${program.name} ${command.name} --help)`);
  }
  const options: Record<string, string | boolean | readonly string[] | undefined> = {};
  if (command.trailing !== undefined) options['--'] = dashDash < 0 ? [] : argv.slice(dashDash + 1);
  for (const o of command.options) {
    const value = parsed.values[o.name] ?? o.default;
    if (typeof value === 'string' && o.choices && !o.choices.includes(value)) {
      throw new UsageError(`${command.name}: --${o.name} must be one of ${o.choices.join(', ')}, not "${value}"`);
    }
    options[camelCase(o.name)] = value;
  }
  const positionals = parsed.positionals;
  const required = command.args.length;
  const variadic = command.args.some((a) => a.variadic);
  if (positionals.length < required) {
    const missing = command.args[positionals.length];
    throw new UsageError(`${command.name}: missing ${missing ? `<${missing.name}>` : 'arguments'} (see ${program.name} ${command.name} --help)`);
  }
  if (!variadic && positionals.length > required) {
    throw new UsageError(`${command.name}: unexpected argument "${positionals[required]}" (see ${program.name} ${command.name} --help)`);
  }
  return { positionals, options };
}

function programHelp(program: Program): string {
  const width = Math.max(...program.commands.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${program.name} <command> [options]`,
    '',
    program.summary,
    '',
    'Commands:',
    ...program.commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run "${program.name} <command> --help" for a command's options. Exit codes: 0 fine, 1 findings at or above --fail-on, 2 usage or input error.`,
    '',
  ].join('\n');
}

export function commandHelp(program: Program, command: CommandSpec): string {
  const args = command.args.map((a) => `<${a.name}${a.variadic ? '...' : ''}>`).join(' ') + (command.trailing !== undefined ? ' [-- args...]' : '');
  const flag = (o: OptionSpec) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` <${o.value}>` : ''}`;
  const width = Math.max(0, ...command.options.map((o) => flag(o).length)) + 2;
  const describe = (o: OptionSpec) =>
    `${o.description}${o.choices ? ` (${o.choices.join(', ')})` : ''}${o.default !== undefined ? ` [default: ${o.default}]` : ''}`;
  return [
    `Usage: ${program.name} ${command.name} [options] ${args}`,
    '',
    command.summary,
    '',
    'Arguments:',
    ...command.args.map((a) => `  ${a.name.padEnd(width - 2)}${a.description}`),
    ...(command.trailing !== undefined ? [`  ${'-- args'.padEnd(width - 2)}${command.trailing}`] : []),
    '',
    'Options:',
    ...command.options.map((o) => `  ${flag(o).padEnd(width)}${describe(o)}`),
    `  ${'-h, --help'.padEnd(width)}show this help`,
    '',
  ].join('\n');
}

/** Levenshtein distance, for "did you mean" on a mistyped command. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}
