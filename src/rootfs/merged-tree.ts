import { FormatError } from '../errors.js';
import type { TarHeader } from '../layer/index.js';

/**
 * The merged view of an image's layers as metadata only: every path that
 * exists after the layers are applied in order, and where its bytes live
 * (which layer, which entry of that layer's tar). Applying a layer follows
 * the OCI image spec's changeset rules: `.wh.NAME` deletes NAME from the
 * layers below, `.wh..wh..opq` hides everything the layers below put in its
 * directory, an entry replaces whatever was at its path (a directory by a
 * file and back), and a hard link shares its target's bytes.
 *
 * Paths in tar headers are cleaned lexically, as if joined to "/": "./a",
 * "/a" and "x/../a" all name "a", and ".." at the top stays at the top, so
 * no entry can land outside the image's root. Entries are placed by that
 * lexical path; a symlinked parent directory in a lower layer is not
 * followed when placing an entry (real layers are diffs of real trees and
 * never need that).
 */

export type MergedKind = 'file' | 'dir' | 'symlink' | 'other';

/** Where a regular file's bytes are: the entry at `ordinal` (0-based) of layer `layer`'s tar. */
export interface DataLocation {
  readonly layer: number;
  readonly ordinal: number;
}

export interface MergedEntry {
  readonly kind: MergedKind;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
  /** Symlink target, as stored. */
  readonly linkname: string;
  /** The layer that last wrote this path. */
  readonly layer: number;
  /** Files only: where the bytes are (for a hard link, its target's entry). */
  readonly data: DataLocation | undefined;
}

/** A path the tree refused to apply, and why (a finding for the person, not an error that stops the check). */
export interface RefusedEntry {
  readonly layer: number;
  readonly path: string;
  readonly reason: string;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** Entries kept (per image) before refusing: each costs a few hundred bytes. */
export const MAX_MERGED_ENTRIES = 2_000_000;
/** Refusals remembered for findings; more are counted, not kept. */
const MAX_REFUSALS_KEPT = 100;

const ROOT: MergedEntry = { kind: 'dir', mode: 0o755, size: 0, linkname: '', layer: -1, data: undefined };

/** Components of `path` cleaned as if joined to "/" (".." at the top stays there). */
export function cleanComponents(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

export class MergedTree {
  private readonly entries = new Map<string, MergedEntry>([['', ROOT]]);
  /** Directory key to the names of its children. */
  private readonly children = new Map<string, Set<string>>([['', new Set()]]);
  readonly refused: RefusedEntry[] = [];
  refusedCount = 0;

  constructor(private readonly where: string) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): MergedEntry | undefined {
    return this.entries.get(key);
  }

  /** "layer:ordinal" of every file's bytes that some path of the merged tree still reads. */
  dataKeys(): Set<string> {
    const keys = new Set<string>();
    for (const entry of this.entries.values()) if (entry.data !== undefined) keys.add(`${entry.data.layer}:${entry.data.ordinal}`);
    return keys;
  }

  childNames(key: string): string[] | undefined {
    const names = this.children.get(key);
    return names === undefined ? undefined : [...names].sort();
  }

  /** Applies one tar entry of layer `layer` (its `ordinal`-th entry). Returns false when the entry was refused. */
  apply(header: TarHeader, layer: number, ordinal: number): boolean {
    const parts = cleanComponents(header.path);
    if (parts.length === 0) {
      // "./" itself: the root's mode may change, nothing else.
      return true;
    }
    const name = parts[parts.length - 1] as string;
    const parentKey = parts.slice(0, -1).join('/');
    if (name === OPAQUE_MARKER) {
      this.ensureDirectory(parentKey, layer);
      this.removeLowerChildren(parentKey, layer);
      return true;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      const hidden = name.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') return this.refuse(layer, header.path, 'whiteout names no file');
      const key = parentKey === '' ? hidden : `${parentKey}/${hidden}`;
      this.remove(key);
      return true;
    }
    const key = parts.join('/');
    const mode = header.mode & 0o7777;
    switch (header.type) {
      case 'dir': {
        const existing = this.entries.get(key);
        this.ensureDirectory(parentKey, layer);
        if (existing?.kind !== 'dir') {
          if (existing) this.remove(key);
          this.children.set(key, new Set());
          this.link(parentKey, name);
        }
        this.entries.set(key, { kind: 'dir', mode, size: 0, linkname: '', layer, data: undefined });
        return true;
      }
      case 'file':
        return this.place(parentKey, name, key, { kind: 'file', mode, size: header.size, linkname: '', layer, data: { layer, ordinal } });
      case 'symlink':
        return this.place(parentKey, name, key, { kind: 'symlink', mode, size: Buffer.byteLength(header.linkname), linkname: header.linkname, layer, data: undefined });
      case 'hardlink': {
        const targetKey = cleanComponents(header.linkname).join('/');
        const target = this.entries.get(targetKey);
        if (target === undefined || target.kind !== 'file' || target.data === undefined) {
          return this.refuse(layer, header.path, `hard link to ${JSON.stringify(header.linkname)}, which is not a file in the image`);
        }
        if (targetKey === key) return true;
        return this.place(parentKey, name, key, { ...target, layer });
      }
      default:
        return this.place(parentKey, name, key, { kind: 'other', mode, size: 0, linkname: '', layer, data: undefined });
    }
  }

  private place(parentKey: string, name: string, key: string, entry: MergedEntry): boolean {
    this.ensureDirectory(parentKey, entry.layer);
    if (this.entries.has(key)) this.remove(key);
    if (this.entries.size >= MAX_MERGED_ENTRIES) {
      throw this.limitError();
    }
    this.entries.set(key, entry);
    this.link(parentKey, name);
    return true;
  }

  private limitError(): FormatError {
    return new FormatError('limit', `${this.where}: more than ${MAX_MERGED_ENTRIES} files in the image`);
  }

  private link(parentKey: string, name: string): void {
    this.children.get(parentKey)?.add(name);
  }

  /** Makes `key` and its ancestors directories, replacing files that stood in the way (as extractors do). */
  private ensureDirectory(key: string, layer: number): void {
    if (key === '') return;
    const existing = this.entries.get(key);
    if (existing?.kind === 'dir') return;
    const cut = key.lastIndexOf('/');
    const parentKey = cut < 0 ? '' : key.slice(0, cut);
    this.ensureDirectory(parentKey, layer);
    if (existing) this.remove(key);
    if (this.entries.size >= MAX_MERGED_ENTRIES) throw this.limitError();
    this.entries.set(key, { kind: 'dir', mode: 0o755, size: 0, linkname: '', layer, data: undefined });
    this.children.set(key, new Set());
    this.link(parentKey, key.slice(cut + 1));
  }

  /** Deletes `key` and, for a directory, everything below it. Iterative: depth is bounded by memory, not the stack. */
  private remove(key: string): void {
    if (key === '' || !this.entries.has(key)) return;
    const cut = key.lastIndexOf('/');
    this.children.get(cut < 0 ? '' : key.slice(0, cut))?.delete(key.slice(cut + 1));
    const stack = [key];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      this.entries.delete(current);
      const names = this.children.get(current);
      if (names === undefined) continue;
      this.children.delete(current);
      for (const child of names) stack.push(`${current}/${child}`);
    }
  }

  /** An opaque directory: what lower layers put below it goes; what this layer put there stays. */
  private removeLowerChildren(dirKey: string, layer: number): void {
    const stack = [dirKey];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      for (const child of [...(this.children.get(current) ?? [])]) {
        const childKey = current === '' ? child : `${current}/${child}`;
        const entry = this.entries.get(childKey);
        if (entry === undefined) continue;
        if (entry.layer < layer) this.remove(childKey);
        else if (entry.kind === 'dir') stack.push(childKey);
      }
    }
  }

  private refuse(layer: number, path: string, reason: string): false {
    this.refusedCount++;
    if (this.refused.length < MAX_REFUSALS_KEPT) this.refused.push({ layer, path, reason });
    return false;
  }
}
