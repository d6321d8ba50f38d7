import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type RunResult } from './process.js';

/**
 * Runs an image the way a container runtime would, with no daemon: umoci
 * unpacks the OCI layout into a runtime bundle, runc runs its entrypoint.
 * Needs root (tests run as root here); a missing tool makes the test fail.
 */

async function tool(file: string, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return run(file, args, { timeoutMs, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
}

/** `umoci unpack` of `layout:tag` into `bundle`, with the terminal off so runc can run it detached from a TTY. */
export async function unpackBundle(layout: string, tag: string, bundle: string, options: { hostNetwork?: boolean } = {}): Promise<void> {
  const unpacked = await tool('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  if (unpacked.code !== 0) throw new Error(`umoci unpack ${layout}:${tag} failed: ${unpacked.stderr}`);
  const configPath = join(bundle, 'config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { process: { terminal?: boolean }; linux?: { namespaces?: { type: string }[] } };
  config.process.terminal = false;
  // Sharing the host's network namespace lets the container reach a test server on the host's 127.0.0.1.
  if (options.hostNetwork === true && config.linux?.namespaces) config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'network');
  await writeFile(configPath, JSON.stringify(config));
}

/** `runc run` with a unique container id and a time limit; the container is deleted afterwards whatever happened. */
export async function runBundle(bundle: string, timeoutMs = 20_000): Promise<RunResult> {
  const id = `fromscratch-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    return await tool('runc', ['run', '--bundle', bundle, id], timeoutMs);
  } finally {
    await tool('runc', ['delete', '-f', id]).catch(() => undefined);
  }
}
