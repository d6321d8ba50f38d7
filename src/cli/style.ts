/**
 * Colour only when writing to a terminal and NO_COLOR is unset
 * (https://no-color.org), so pipes and files get plain text.
 */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

const COLOURED: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  green: wrap(32, 39),
  cyan: wrap(36, 39),
};
const identity = (s: string): string => s;
const PLAIN: Style = { bold: identity, dim: identity, red: identity, yellow: identity, green: identity, cyan: identity };

export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  return styleForTerminal(stream.isTTY === true, env);
}

/** styleFor, told whether the output is a terminal (see stdoutIsCharacterDevice). */
export function styleForTerminal(terminal: boolean, env: NodeJS.ProcessEnv = process.env): Style {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return terminal && !noColor ? COLOURED : PLAIN;
}
