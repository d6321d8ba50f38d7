import type { ContainerConfig } from '../image/types.js';
import type { RootFS } from '../fs/rootfs.js';

/**
 * The command a runtime would start for an image config, resolved as runc
 * and Docker do: Entrypoint followed by Cmd (both exec form; a Dockerfile's
 * shell form is already stored as ["/bin/sh", "-c", "..."]), a command
 * without "/" looked up in the image's PATH, a relative one under WorkingDir.
 */

/** The PATH runtimes use when the image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ResolvedCommand {
  /** The argv the runtime would run (Entrypoint + Cmd). */
  readonly argv: readonly string[];
  /** argv[0] as written, or null when the config has no command. */
  readonly command: string | null;
  /** The absolute path in the image the command names, or null when not found (PATH lookup failed). */
  readonly path: string | null;
  /** Where the lookup went, for the message when nothing is found. */
  readonly searched: readonly string[];
}

export function envValue(config: ContainerConfig | undefined, key: string): string | undefined {
  const prefix = `${key}=`;
  // The last assignment wins, as in a process environment built from the list.
  const found = (config?.Env ?? []).filter((e) => e.startsWith(prefix)).pop();
  return found?.slice(prefix.length);
}

export function commandLine(config: ContainerConfig | undefined): string[] {
  const entrypoint = config?.Entrypoint ?? [];
  const cmd = config?.Cmd ?? [];
  return [...entrypoint, ...cmd];
}

function joinPath(dir: string, name: string): string {
  const base = dir.startsWith('/') ? dir : `/${dir}`;
  return base.endsWith('/') ? `${base}${name}` : `${base}/${name}`;
}

export async function resolveCommand(fs: RootFS, config: ContainerConfig | undefined): Promise<ResolvedCommand> {
  const argv = commandLine(config);
  const command = argv[0];
  if (command === undefined || command === '') return { argv, command: null, path: null, searched: [] };
  if (command.startsWith('/')) return { argv, command, path: command, searched: [command] };
  if (command.includes('/')) {
    const path = joinPath(config?.WorkingDir || '/', command);
    return { argv, command, path, searched: [path] };
  }
  const searched: string[] = [];
  const dirs = (envValue(config, 'PATH') ?? DEFAULT_PATH).split(':');
  for (const dir of dirs) {
    // An empty PATH element means the working directory (execvp's rule).
    const candidate = joinPath(dir === '' ? config?.WorkingDir || '/' : dir, command);
    searched.push(candidate);
    const info = await fs.stat(candidate);
    if (info?.kind === 'file' && (info.mode & 0o111) !== 0) return { argv, command, path: candidate, searched };
  }
  return { argv, command, path: null, searched };
}
