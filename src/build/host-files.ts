import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError } from '../errors.js';
import { HostRootFS } from '../fs/host.js';
import type { PlannedContent } from './plan.js';

/**
 * Host files as planned image content. Modes are normalised (0755 when any
 * execute bit is set, else 0644) so the image does not depend on the host's
 * umask or on how a file happened to be installed.
 */

export interface HostEntry {
  /** Absolute path inside the image. */
  readonly path: string;
  readonly content: PlannedContent;
  readonly mode: number;
  readonly size: number;
}

/** Bounds a directory walk: --add of "/" must fail clearly, not exhaust memory. */
const MAX_TREE_ENTRIES = 200_000;
const MAX_TREE_DEPTH = 64;

/** One regular file, symlinks followed (the image gets the loader's view: the file's contents at the path it asks for). */
export async function hostFile(path: string): Promise<Omit<HostEntry, 'path'>> {
  try {
    const real = await realpath(path);
    const info = await stat(real);
    if (!info.isFile()) throw new InputError('io', `${path}: not a regular file`);
    return { content: { kind: 'host', hostPath: real }, mode: normalMode(info.mode), size: info.size };
  } catch (e) {
    if (e instanceof InputError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new InputError(err.code === 'ENOENT' ? 'not-found' : 'io', `${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
}

/**
 * A file inside a root file system (`--root`, default the host), symlinks
 * resolved inside that root: a sysroot's absolute link to /lib/... is its
 * own /lib, never the host's.
 */
export async function rootFile(rootDir: string, path: string): Promise<Omit<HostEntry, 'path'>> {
  if (rootDir === '/') return hostFile(path);
  const canonical = await new HostRootFS(rootDir).realpath(path);
  if (canonical === undefined) throw new InputError('not-found', `${join(rootDir, path)}: no such file`);
  // The canonical path holds no symlinks, so the host lookup below stays inside the root.
  return hostFile(join(rootDir, canonical));
}

/**
 * A file, or a directory and everything under it, placed at `imagePath`.
 * Relative symlinks that stay inside the tree are kept as symlinks (zoneinfo
 * uses them for aliases); any other symlink is replaced by what it points to.
 */
export async function hostTree(hostPath: string, imagePath: string): Promise<HostEntry[]> {
  const info = await stat(hostPath).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(e.code === 'ENOENT' ? 'not-found' : 'io', `${hostPath}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
  });
  if (!info.isDirectory()) return [{ path: imagePath, ...(await hostFile(hostPath)) }];
  const out: HostEntry[] = [{ path: imagePath, content: { kind: 'dir' }, mode: 0o755, size: 0 }];
  await walk(hostPath, imagePath, imagePath, 0, out);
  return out;
}

async function walk(hostDir: string, imageDir: string, treeRoot: string, depth: number, out: HostEntry[]): Promise<void> {
  if (depth > MAX_TREE_DEPTH) throw new InputError('io', `${hostDir}: directories nested more than ${MAX_TREE_DEPTH} deep`);
  const names = (await readdir(hostDir)).sort();
  for (const name of names) {
    if (out.length >= MAX_TREE_ENTRIES) throw new InputError('io', `${hostDir}: more than ${MAX_TREE_ENTRIES} files to add`);
    const hostPath = join(hostDir, name);
    const imagePath = posix.join(imageDir, name);
    const info = await lstat(hostPath);
    if (info.isDirectory()) {
      out.push({ path: imagePath, content: { kind: 'dir' }, mode: 0o755, size: 0 });
      await walk(hostPath, imagePath, treeRoot, depth + 1, out);
    } else if (info.isSymbolicLink()) {
      const target = await readlink(hostPath);
      if (!target.startsWith('/') && posix.normalize(posix.join(imageDir, target)).startsWith(`${treeRoot}/`)) {
        out.push({ path: imagePath, content: { kind: 'symlink', target }, mode: 0o777, size: 0 });
      } else {
        const resolved = await stat(hostPath).catch(() => undefined);
        // A dangling or directory link outside the tree is left out rather than copying a whole other tree.
        if (resolved?.isFile()) out.push({ path: imagePath, ...(await hostFile(hostPath)) });
      }
    } else if (info.isFile()) {
      out.push({ path: imagePath, content: { kind: 'host', hostPath }, mode: normalMode(info.mode), size: info.size });
    }
  }
}

function normalMode(mode: number): number {
  return (mode & 0o111) !== 0 ? 0o755 : 0o644;
}
