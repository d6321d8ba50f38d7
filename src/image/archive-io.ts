import { readFileStream } from '../io/file-streams.js';
import { mkdir, mkdtemp, rename, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { FormatError, InputError } from '../errors.js';
import { temporaryPathBeside } from '../io/atomic.js';
import { readTar, writeTar, type TarInput } from '../layer/index.js';
import { streamToNewFile } from './oci-layout-writer.js';

/**
 * Moving image directories in and out of tar archives (oci-archive,
 * docker-archive).
 *
 * Reading extracts the archive once into a private temp directory, then
 * the directory backends read from there. We chose extraction over an index
 * of offsets into the tar because blobs must be re-opened many times as
 * fresh streams and re-verified each time, which plain files give for free;
 * the cost is disk space, freed by close(). Only the names a backend accepts
 * are extracted, every name is a relative path of plain components (no `..`,
 * no absolute paths, no links), duplicates are refused, and entry counts are
 * capped, so nothing in the archive can write outside the temp directory.
 */

/** An opened archive source: what it resolved to, and the temp directory to free. */
export interface ExtractedArchive {
  readonly dir: string;
  /**
   * Symbolic links in the archive (when allowed), as in-archive path → the
   * in-archive path they point at. Never created on disk: a reader resolves
   * names through `resolveMember`, so a link cannot lead outside.
   */
  readonly links: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

const MAX_LINK_HOPS = 8;

/** The in-archive path `path` ends at after following links (bounded), or null for a loop. */
export function resolveMember(archive: ExtractedArchive, path: string): string | null {
  let current = path;
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const next = archive.links.get(current);
    if (next === undefined) return current;
    current = next;
  }
  return null;
}

const SAFE_COMPONENT = /^[A-Za-z0-9._-]{1,255}$/;
const MAX_ENTRIES = 100_000;

/** "./a/b/" → "a/b"; null when not a plain relative path. */
export function normalizeArchivePath(path: string): string | null {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.endsWith('/')) p = p.slice(0, -1);
  if (p === '' || p === '.') return '';
  const parts = p.split('/');
  if (parts.some((c) => c === '.' || c === '..' || !SAFE_COMPONENT.test(c))) return null;
  return parts.join('/');
}

/**
 * Extracts the regular files of `file` that `accept` allows into a new temp
 * directory; directories are created as needed, other entry types and
 * unaccepted names are refused with a FormatError naming the archive.
 */
export async function extractArchive(
  file: string,
  accept: (path: string) => boolean,
  maxDepth: number,
  options: { allowSymlinks?: boolean } = {},
): Promise<ExtractedArchive> {
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(e.code === 'ENOENT' ? 'not-found' : 'io', `${file}: no such file`);
  });
  if (!st.isFile()) throw new InputError('io', `${file}: not a regular file`);
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-archive-'));
  const close = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const seen = new Set<string>();
    const links = new Map<string, string>();
    let count = 0;
    for await (const { header, body } of readTar(readFileStream(file), file)) {
      if (++count > MAX_ENTRIES) throw new FormatError('limit', `${file}: more than ${MAX_ENTRIES} entries`);
      const path = normalizeArchivePath(header.path);
      if (path === null || path.split('/').length > maxDepth) {
        throw new FormatError('malformed', `${file}: entry ${JSON.stringify(header.path.slice(0, 200))} is not a name this archive format uses`);
      }
      if (header.type === 'dir') {
        if (path !== '') await mkdir(join(dir, path), { recursive: true });
        body.resume();
        continue;
      }
      if (header.type === 'symlink' && options.allowSymlinks === true) {
        // skopeo's docker-archive links the legacy <id>/layer.tar to <diffid>.tar.
        const target = header.linkname.startsWith('/') ? null : normalizeArchivePath(posix.normalize(posix.join(posix.dirname(path), header.linkname)));
        if (target === null || target === '') throw new FormatError('malformed', `${file}: link ${path} points outside the archive`);
        if (seen.has(path)) throw new FormatError('malformed', `${file}: entry ${path} appears twice`);
        seen.add(path);
        links.set(path, target);
        continue;
      }
      if (header.type !== 'file') throw new FormatError('unsupported', `${file}: entry ${path} is a ${header.type}; only regular files are read`);
      if (!accept(path)) throw new FormatError('malformed', `${file}: unexpected entry ${JSON.stringify(path)}`);
      if (seen.has(path)) throw new FormatError('malformed', `${file}: entry ${path} appears twice`);
      seen.add(path);
      await mkdir(join(dir, dirname(path)), { recursive: true });
      await streamToNewFile(body, join(dir, path), 0o600);
    }
    return { dir, links, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A file of an archive being packed: its path, and its bytes or a stream of exactly `size` bytes. */
export interface ArchiveMember {
  readonly path: string;
  readonly size: number;
  readonly body: Uint8Array | (() => Promise<Readable>);
}

/** The archive's entries: the members, in sorted order, with their parent directories. */
function archiveEntries(members: readonly ArchiveMember[]): TarInput[] {
  const dirs = new Set<string>();
  for (const { path } of members) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const byPath = new Map<string, ArchiveMember | undefined>([...[...dirs].map((d) => [d, undefined] as const), ...members.map((m) => [m.path, m] as const)]);
  return [...byPath.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((path): TarInput => {
      const member = byPath.get(path);
      return member === undefined ? { header: { path: `${path}/`, type: 'dir', mode: 0o755 } } : { header: { path, type: 'file', mode: 0o644, size: member.size }, body: member.body };
    });
}

/**
 * Writes a deterministic tar of `files` (relative to `dir`) to `out`: sorted
 * names, fixed modes, owner 0 and time 0, through a temp file renamed into
 * place so a failure leaves no half-written archive.
 */
export async function packArchive(dir: string, files: readonly string[], out: string): Promise<void> {
  const members = await Promise.all(
    files.map(async (file): Promise<ArchiveMember> => {
      const path = join(dir, file);
      const { size } = await stat(path);
      return { path: file, size, body: async () => readFileStream(path) };
    }),
  );
  await packMembers(members, out);
}

/** packArchive of members that need not be files: a blob streamed from wherever the image keeps it. */
export async function packMembers(members: readonly ArchiveMember[], out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const temp = temporaryPathBeside(out);
  try {
    await streamToNewFile(writeTar(archiveEntries(members)), temp);
    await rename(temp, out);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}
