import type { CommandSpec } from './command.js';

export interface DockerfileCommandOptions {
  readonly output?: string;
  readonly package?: string;
  readonly tags?: string;
  readonly embedTzdata?: boolean;
  readonly keepSymbols?: boolean;
}

/**
 * `fromscratch dockerfile <binary|dir>`: a binary is read (build info,
 * function names), a directory is listed with the Go toolchain; either way
 * the same generator writes the Dockerfile, to stdout or atomically to -o.
 */
export const dockerfileCommand: CommandSpec = {
  name: 'dockerfile',
  summary: 'a multi-stage Dockerfile for the smallest image that runs a Go program (from its binary or its source)',
  args: [{ name: 'input', description: 'a Go binary, or a directory of Go source (its main package)' }],
  options: [
    { name: 'output', short: 'o', value: 'file', description: 'write the Dockerfile to this file (atomically) instead of stdout' },
    { name: 'package', value: 'pattern', description: 'source only: the main package when the directory holds several (./cmd/app)' },
    { name: 'tags', value: 'tags', description: 'source only: build tags, comma separated' },
    { name: 'embed-tzdata', description: 'compile the zone database in (-tags timetzdata) instead of copying /usr/share/zoneinfo' },
    { name: 'keep-symbols', description: 'keep the symbol table and DWARF (no -ldflags="-s -w")' },
  ],
  async run([input], options) {
    const opts = options as DockerfileCommandOptions;
    // Loaded only here, as the other commands' run modules are: the generator is no part of inspect's start-up.
    const { runDockerfile } = await import('./dockerfile-run.js');
    const text = await runDockerfile(input as string, opts);
    if (opts.output === undefined) process.stdout.write(text);
    return 0;
  },
};
