import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join, resolve as hostResolve } from 'node:path';
import type { Stats } from 'node:fs';
import { InputError } from '../errors.js';
import { PromiseMemo } from '../util/memo.js';
import { FileSource, type ByteSource } from '../io/source.js';
import { notARegularFile, type FileInfo, type FileKind, type RootFS } from './rootfs.js';

/** Linux gives up after 40 symlinks in one lookup (MAXSYMLINKS); so do we. */
export const MAX_SYMLINK_HOPS = 40;
/** Default cap for readSmallFile: config files are small, a huge one is a mistake or an attack. */
export const DEFAULT_SMALL_FILE_LIMIT = 1024 * 1024;
/** Linux's PATH_MAX: a longer path (or one grown longer through links) does not resolve. */
const MAX_PATH_BYTES = 4096;

/** Where a path led: its canonical components inside the root, and what sits there. */
interface Walked {
  /** Canonical components below the root, no symlinks among them (except possibly the last when not followed). */
  readonly components: readonly string[];
  readonly info: FileInfo;
}

/**
 * The host's file system seen from `rootDir` (default "/"), as a chroot would
 * see it, without needing privileges: every path is walked component by
 * component with lstat/readlink, an absolute link target restarts at the
 * root, ".." stops at the root, and more than 40 hops means "not found"
 * (a loop is a fact about the tree, not an error). Because the walk only
 * ever hands the operating system paths made of components it has already
 * checked are not symlinks, no link inside the root can lead outside it.
 *
 * What it does not defend against: another process swapping a checked
 * directory for a symlink between our check and our open. Trees we inspect
 * are at rest (an unpacked image, a --root directory), not under attack
 * while we read them.
 */
export class HostRootFS implements RootFS {
  readonly description: string;
  /** Absolute host path of the root, without a trailing slash (except "/"). */
  private readonly hostRoot: string;

  constructor(rootDir = '/') {
    this.hostRoot = hostResolve(rootDir);
    this.description = this.hostRoot;
  }

  async lstat(path: string): Promise<FileInfo | undefined> {
    const walked = await this.walk(path, false);
    return walked?.info;
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const walked = await this.walk(path, true);
    return walked?.info;
  }

  async readlink(path: string): Promise<string | undefined> {
    const walked = await this.walk(path, false);
    if (walked?.info.kind !== 'symlink') return undefined;
    return this.readlinkHost(this.hostPath(walked.components));
  }

  async realpath(path: string): Promise<string | undefined> {
    const walked = await this.walk(path, true);
    return walked && '/' + walked.components.join('/');
  }

  async list(path: string): Promise<string[] | undefined> {
    const walked = await this.walk(path, true);
    if (walked?.info.kind !== 'dir') return undefined;
    try {
      const names = readdirSync(this.hostPath(walked.components));
      return names.sort();
    } catch (e) {
      return this.missingOrThrow(e, path);
    }
  }

  async open(path: string): Promise<ByteSource> {
    const name = this.displayName(path);
    const walked = await this.walkToFile(path, name);
    if (!walked) throw new InputError('not-found', `${name}: no such file`);
    return FileSource.open(this.hostPath(walked.components), name);
  }

  async readSmallFile(path: string, maxBytes: number = DEFAULT_SMALL_FILE_LIMIT): Promise<Uint8Array | undefined> {
    const name = this.displayName(path);
    const walked = await this.walkToFile(path, name);
    if (!walked) return undefined;
    const tooBig = () => new InputError('limit', `${name}: larger than the ${maxBytes}-byte limit for a configuration file`);
    if (walked.info.size > maxBytes) throw tooBig();
    // Synchronous like every other read here (see settle); node:fs/promises alone cost each start-up ~10 ms to load.
    let fd: number;
    try {
      fd = openSync(this.hostPath(walked.components), 'r');
    } catch (e) {
      return this.missingOrThrow(e, path);
    }
    try {
      // One byte more than we accept, so a file that grew since the stat is still refused.
      const buf = new Uint8Array(Math.min(walked.info.size, maxBytes) + 1);
      let done = 0;
      while (done < buf.length) {
        const bytesRead = readSync(fd, buf, done, buf.length - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      if (done > maxBytes) throw tooBig();
      return buf.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  }

  /** The name a user recognises: the path itself for "/", else the file under the --root directory. */
  private displayName(path: string): string {
    return this.hostRoot === '/' ? path : join(this.hostRoot, path);
  }

  private hostPath(components: readonly string[]): string {
    // Components are single clean names (the walk drops "" and "." and resolves ".."), so they join
    // without path.join's normalising, which every lstat of a scan's walks paid for.
    if (components.length === 0) return this.hostRoot;
    return (this.hostRoot === '/' ? '/' : `${this.hostRoot}/`) + components.join('/');
  }

  /**
   * Resolves `path` inside the root, once per path: a library search probes
   * a candidate, takes its real path and opens it, three walks of the same
   * path (the tree is at rest, see above). Returns undefined when a
   * component is missing, a non-directory is used as a directory, the path
   * grows past PATH_MAX, or more than MAX_SYMLINK_HOPS links are met.
   */
  private walk(path: string, followLast: boolean): Promise<Walked | undefined> {
    return this.walks.get(followLast ? `1${path}` : `0${path}`, () => this.walkUncached(path, followLast));
  }

  private async walkUncached(path: string, followLast: boolean): Promise<Walked | undefined> {
    if (typeof path !== 'string' || path.includes('\0') || Buffer.byteLength(path) > MAX_PATH_BYTES) return undefined;
    // "link/" names what the link points to, as it does for the kernel.
    if (path.endsWith('/')) followLast = true;
    const resolved: string[] = [];
    // Components still to visit, in reverse so the next one is at the end (cheap pop/push of link targets).
    const pending = splitComponents(path).reverse();
    let hops = 0;
    let info = await this.lstatHost(this.hostRoot, path);
    if (!info) return undefined;
    while (pending.length > 0) {
      const part = pending.pop() as string;
      if (info.kind !== 'dir') return undefined; // ENOTDIR: "file/x" and "file/.." alike
      if (part === '..') {
        // The walk holds only real directories, so popping one is the physical parent; at the root it stays.
        resolved.pop();
        info = await this.lstatHost(this.hostPath(resolved), path);
        if (!info) return undefined;
        continue;
      }
      const candidate = [...resolved, part];
      const candidateInfo = await this.lstatHost(this.hostPath(candidate), path);
      if (!candidateInfo) return undefined;
      const isLast = pending.length === 0;
      if (candidateInfo.kind === 'symlink' && (!isLast || followLast)) {
        hops++;
        if (hops > MAX_SYMLINK_HOPS) return undefined; // ELOOP
        const target = await this.readlinkHost(this.hostPath(candidate));
        if (target === undefined || target === '') return undefined;
        const targetParts = splitComponents(target);
        if (pending.length + targetParts.length > MAX_PATH_BYTES) return undefined;
        for (let i = targetParts.length - 1; i >= 0; i--) pending.push(targetParts[i] as string);
        if (target.startsWith('/')) resolved.length = 0;
        info = await this.lstatHost(this.hostPath(resolved), path);
        if (!info) return undefined;
        continue;
      }
      resolved.push(part);
      info = candidateInfo;
    }
    if (path.endsWith('/') && info.kind !== 'dir') return undefined;
    return { components: resolved, info };
  }

  /** The walk to `path`, undefined when it is not there; an InputError (named `name`) when it is not a regular file. */
  private async walkToFile(path: string, name: string): Promise<Walked | undefined> {
    const walked = await this.walk(path, true);
    if (walked && walked.info.kind !== 'file') throw notARegularFile(name, walked.info.kind);
    return walked;
  }

  /**
   * Every walk re-visits the same directories (/, /usr, /lib -> usr/lib), so
   * each host path is lstat'ed and readlink'ed once per instance: the tree
   * is at rest (see above). What is kept is the FileInfo, not Node's Stats:
   * a Stats holds four Dates and ten other fields (~450 bytes), and a scan
   * of /usr/bin kept 2,200 of them, copied by every young collection
   * until they reached the old generation.
   */
  private readonly lstats = new PromiseMemo<FileInfo | undefined>(100_000);
  private readonly walks = new PromiseMemo<Walked | undefined>(100_000);
  private readonly links = new PromiseMemo<string | undefined>(100_000);

  private lstatHost(hostPath: string, asked: string): Promise<FileInfo | undefined> {
    return this.lstats.get(hostPath, () => settle(() => toInfo(lstatSync(hostPath))).catch((e: unknown) => this.missingOrThrow(e, asked)));
  }

  private readlinkHost(hostPath: string): Promise<string | undefined> {
    return this.links.get(hostPath, () => settle(() => readlinkSync(hostPath)).catch((e: unknown) => this.missingOrThrow(e, hostPath)));
  }

  /** Absence in any of its forms is an answer (undefined); a refusal (EACCES, EIO) is an InputError. */
  private missingOrThrow(e: unknown, asked: string): undefined {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG' || code === 'EINVAL') return undefined;
    throw new InputError('io', `${this.displayName(asked)}: cannot read (${code ?? String(e)})`);
  }
}

function splitComponents(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

function toInfo(stats: Stats): FileInfo {
  let kind: FileKind = 'other';
  if (stats.isFile()) kind = 'file';
  else if (stats.isDirectory()) kind = 'dir';
  else if (stats.isSymbolicLink()) kind = 'symlink';
  return { kind, size: stats.size, mode: stats.mode & 0o7777 };
}

/**
 * Runs a synchronous metadata call as a promise. Sync on purpose, like
 * FileSource's reads: walks make thousands of lstat calls that the kernel's
 * dentry cache answers at once, and each trip through the thread pool cost
 * more than the call.
 */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (e) {
    return Promise.reject(e);
  }
}
