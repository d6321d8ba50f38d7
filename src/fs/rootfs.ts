import { InputError } from '../errors.js';
import type { ByteSource } from '../io/source.js';

/**
 * The one seam the analysis runs against: a read-only file system rooted
 * somewhere. The host (`--root DIR`, default /) implements it, and so will an
 * image's merged layers; the loader rules and the needs checks only ever
 * talk to this interface, so `inspect` on the host and `check` inside an
 * image share every line of that logic.
 *
 * Paths are absolute POSIX paths inside the root ("/lib/x86_64-linux-gnu").
 * Implementations must resolve every symlink inside the root: an absolute
 * target is re-rooted, ".." stops at the root, and loops end after a bounded
 * number of hops. Nothing here may reach a file outside the root.
 */
export type FileKind = 'file' | 'dir' | 'symlink' | 'other';

export interface FileInfo {
  readonly kind: FileKind;
  readonly size: number;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
}

export interface RootFS {
  /** For messages: "/" or the --root directory, or an image name. */
  readonly description: string;
  /** Info about the path itself (a symlink is reported as a symlink). */
  lstat(path: string): Promise<FileInfo | undefined>;
  /** Info about what the path finally points to, or undefined if missing or a dangling/looping link. */
  stat(path: string): Promise<FileInfo | undefined>;
  readlink(path: string): Promise<string | undefined>;
  /** The canonical path inside the root with every symlink resolved, or undefined. */
  realpath(path: string): Promise<string | undefined>;
  /** Entry names of a directory (following symlinks), or undefined if not a directory. */
  list(path: string): Promise<string[] | undefined>;
  /** Random access to a regular file (following symlinks). Throws InputError('not-found') when missing. */
  open(path: string): Promise<ByteSource>;
  /** A whole small file (config files), refused past maxBytes; undefined when missing. */
  readSmallFile(path: string, maxBytes?: number): Promise<Uint8Array | undefined>;
}

/** The error for `name`, which is there but is a `kind`, not a regular file; `where` ends the message (" in the image"). */
export function notARegularFile(name: string, kind: FileKind, where = ''): InputError {
  return new InputError('io', `${name}: ${kind === 'dir' ? 'is a directory' : 'not a regular file'}${where}`);
}
