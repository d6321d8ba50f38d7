/**
 * The command line's options and positionals, by the conventions of
 * node:util's parseArgs in strict mode (which the CLI used before): `--name`,
 * `--name value`, `--name=value`, `-n value`, `-nvalue`, grouped short
 * flags (`-ab`), and `--` ending the options. Our own because parseArgs is
 * loaded on first use, with the validators it brings: ~3 ms of every run,
 * a fifth of what `inspect` of a 50 MB Go binary does after Node's start.
 */

export interface ArgvOption {
  /** Takes a value (`string`) or is a flag (`boolean`). */
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once: the values are then collected in order. */
  readonly multiple?: boolean;
}

export interface ParsedArgv {
  /** Each option given, by long name: true for a flag, its value, or its values when `multiple`. */
  readonly values: Record<string, string | boolean | string[]>;
  readonly positionals: string[];
}

/** Why a command line cannot be parsed: one line, naming the option. */
export class ArgvError extends Error {}

export function parseArgv(args: readonly string[], options: Readonly<Record<string, ArgvOption>>): ParsedArgv {
  // No prototype, as parseArgs gives: an option named like an Object method must not read as given.
  const values: Record<string, string | boolean | string[]> = Object.create(null) as Record<string, string | boolean | string[]>;
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short !== undefined) byShort.set(o.short, name);
  const set = (name: string, value: string | boolean): void => {
    const option = options[name] as ArgvOption;
    if (option.multiple) {
      const list = values[name];
      if (Array.isArray(list)) list.push(value as string);
      else values[name] = [value as string];
    } else {
      values[name] = value;
    }
  };
  // The value after an option that takes one: the next argument, unless that looks like an option itself.
  const valueAfter = (i: number, shown: string): string => {
    const next = args[i + 1];
    if (next === undefined) throw new ArgvError(`option ${shown} needs a value`);
    if (next.startsWith('-') && next !== '-') throw new ArgvError(`option ${shown} needs a value (for one that starts with '-', write ${shown}=${next})`);
    return next;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const option = Object.hasOwn(options, name) ? options[name] : undefined;
      if (option === undefined) throw new ArgvError(`unknown option --${name}`);
      if (option.type === 'boolean') {
        if (eq >= 0) throw new ArgvError(`option --${name} takes no value`);
        set(name, true);
      } else if (eq >= 0) {
        set(name, arg.slice(eq + 1));
      } else {
        set(name, valueAfter(i++, `--${name}`));
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Short flags, grouped; the first that takes a value takes the rest of the argument, or the next one.
      for (let k = 1; k < arg.length; k++) {
        const letter = arg[k] as string;
        const name = byShort.get(letter);
        if (name === undefined) throw new ArgvError(`unknown option -${letter}`);
        if ((options[name] as ArgvOption).type === 'boolean') {
          set(name, true);
          continue;
        }
        set(name, k + 1 < arg.length ? arg.slice(k + 1) : valueAfter(i++, `-${letter}`));
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values, positionals };
}
