import { FormatError, InputError } from '../errors.js';
import { BytesSource, type ByteSource } from '../io/source.js';
import { readTar } from '../layer/index.js';
import type { Image, Layer } from '../image/types.js';
import { notARegularFile, type FileInfo, type RootFS } from '../fs/rootfs.js';
import { DEFAULT_SMALL_FILE_LIMIT, MAX_SYMLINK_HOPS } from '../fs/host.js';
import { layerName, LayerScanner, openLayerTar, readBody, type LayerScan } from './layer-scan.js';
import { MergedTree, type DataLocation, type MergedEntry, type RefusedEntry } from './merged-tree.js';

/** A file bigger than this is not read into memory (no entrypoint or library is). */
export const MAX_OPEN_FILE_BYTES = 512 * 1024 * 1024;
/** Decompressed bytes per layer before the layer is taken for a gzip bomb. */
export const DEFAULT_MAX_LAYER_BYTES = 64 * 1024 * 1024 * 1024;
/** Files kept after open(): the linker and the ELF reader come back to the same few. */
const OPEN_CACHE_FILES = 8;
const OPEN_CACHE_BYTES = 256 * 1024 * 1024;
const MAX_PATH_BYTES = 4096;

export interface ImageRootFSOptions {
  /** Decompressed size allowed per layer (default 64 GiB). */
  readonly maxLayerBytes?: number;
  /** Largest file open() buffers (default 512 MiB). */
  readonly maxOpenBytes?: number;
  /**
   * Regular files (by their cleaned path in the layer, "etc/passwd") whose
   * bytes the indexing pass keeps, so opening them later streams no layer
   * again: what the caller knows it will read. Kept up to keepBytes in all.
   */
  readonly keep?: (path: string) => boolean;
  /** Bytes kept by `keep` in all (default 256 MiB); past it, files are read again on open. */
  readonly keepBytes?: number;
}

/** Bytes the indexing pass keeps for `keep` when the caller does not say. */
export const DEFAULT_KEEP_BYTES = 256 * 1024 * 1024;

/**
 * An image's merged layers as a RootFS, read without extracting anything:
 * one pass over the layers (each blob's digest verified as it streams, a few
 * layers at a time, applied bottom first) indexes the entries' metadata and
 * keeps the bytes of the files the caller said it will read (`keep`, within
 * a budget). open() of any other file streams the owning layer again up to
 * that one entry and keeps only its bytes. Memory grows with the number of
 * entries and the files kept or opened, never with the layers' sizes.
 *
 * Symlinks resolve exactly as in HostRootFS: component by component, an
 * absolute target restarts at the image root, ".." stops at the root, more
 * than 40 hops is "not found". The tree holds only what the layers say, so
 * nothing here touches a host file, whatever the links point at.
 */
export class ImageRootFS implements RootFS {
  readonly description: string;
  private readonly cache = new Map<string, Uint8Array>();
  private readonly maxOpenBytes: number;
  /** Layer streams opened after indexing (to read a file not kept): what the one-pass design keeps low. */
  restreams = 0;

  private constructor(
    private readonly name: string,
    private readonly layers: readonly Layer[],
    private readonly tree: MergedTree,
    private readonly maxLayerBytes: number,
    options: ImageRootFSOptions,
    /** Bytes kept by the indexing pass, by "layer:ordinal". */
    private readonly kept: ReadonlyMap<string, Uint8Array>,
  ) {
    this.description = name;
    this.maxOpenBytes = options.maxOpenBytes ?? MAX_OPEN_FILE_BYTES;
  }

  /** Indexes `image`'s layers; `name` (the image reference) starts every message. */
  static async open(image: Image, name: string, options: ImageRootFSOptions = {}): Promise<ImageRootFS> {
    const layers = await image.layers();
    const tree = new MergedTree(name);
    const maxLayerBytes = options.maxLayerBytes ?? DEFAULT_MAX_LAYER_BYTES;
    const scanner = new LayerScanner(name, {
      maxLayerBytes,
      maxOpenBytes: options.maxOpenBytes ?? MAX_OPEN_FILE_BYTES,
      keep: options.keep,
      keepBytes: options.keepBytes ?? DEFAULT_KEEP_BYTES,
    });
    // Layers are read a few at a time (decompression runs on other threads)
    // but applied strictly in order: the tree is the same as one by one.
    const scans = layers.map((layer, index) => scanner.schedule(layer, index));
    try {
      for (let index = 0; index < scans.length; index++) {
        const scan = await (scans[index] as Promise<LayerScan>);
        scan.headers.forEach((header, ordinal) => tree.apply(header, index, ordinal));
      }
    } catch (e) {
      scanner.abort();
      throw e;
    }
    // Kept files that an upper layer replaced or deleted are never read: let them go.
    const live = tree.dataKeys();
    const kept = new Map([...scanner.kept].filter(([key]) => live.has(key)));
    return new ImageRootFS(name, layers, tree, maxLayerBytes, options, kept);
  }

  /** Entries the layers held that were not applied (hard links out of the image, nameless whiteouts). */
  get refusedEntries(): readonly RefusedEntry[] {
    return this.tree.refused;
  }

  get refusedCount(): number {
    return this.tree.refusedCount;
  }

  /** Number of paths in the merged tree (the root included). */
  get entryCount(): number {
    return this.tree.size;
  }

  async lstat(path: string): Promise<FileInfo | undefined> {
    const walked = this.walk(path, false);
    return walked && toInfo(walked.entry);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const walked = this.walk(path, true);
    return walked && toInfo(walked.entry);
  }

  async readlink(path: string): Promise<string | undefined> {
    const walked = this.walk(path, false);
    return walked?.entry.kind === 'symlink' ? walked.entry.linkname : undefined;
  }

  async realpath(path: string): Promise<string | undefined> {
    const walked = this.walk(path, true);
    return walked && '/' + walked.key;
  }

  async list(path: string): Promise<string[] | undefined> {
    const walked = this.walk(path, true);
    if (walked?.entry.kind !== 'dir') return undefined;
    return this.tree.childNames(walked.key) ?? [];
  }

  async open(path: string): Promise<ByteSource> {
    const name = this.displayName(path);
    const entry = this.regularFile(path, name);
    if (entry.size > this.maxOpenBytes) throw new InputError('limit', `${name}: ${entry.size} bytes, over the ${this.maxOpenBytes}-byte limit for one file`);
    return new BytesSource(name, await this.bytesOf(entry, name));
  }

  async readSmallFile(path: string, maxBytes: number = DEFAULT_SMALL_FILE_LIMIT): Promise<Uint8Array | undefined> {
    const name = this.displayName(path);
    const walked = this.walk(path, true);
    if (!walked) return undefined;
    const entry = this.regularFile(path, name);
    if (entry.size > maxBytes) throw new InputError('limit', `${name}: larger than the ${maxBytes}-byte limit for a configuration file`);
    return this.bytesOf(entry, name);
  }

  private displayName(path: string): string {
    return `${this.name}:${path}`;
  }

  private regularFile(path: string, name: string): MergedEntry {
    const walked = this.walk(path, true);
    if (!walked) throw new InputError('not-found', `${name}: no such file`);
    if (walked.entry.kind !== 'file' || walked.entry.data === undefined) throw notARegularFile(name, walked.entry.kind);
    return walked.entry;
  }

  /** The entry's bytes: from the cache, or by streaming its layer to that entry. */
  private async bytesOf(entry: MergedEntry, name: string): Promise<Uint8Array> {
    const location = entry.data as DataLocation;
    const cacheKey = `${location.layer}:${location.ordinal}`;
    const kept = this.kept.get(cacheKey);
    if (kept) return kept;
    const cached = this.cache.get(cacheKey);
    if (cached) {
      // Re-insert: Map order is the eviction order.
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, cached);
      return cached;
    }
    const bytes = await this.readEntry(location, entry.size, name);
    this.remember(cacheKey, bytes);
    return bytes;
  }

  private async readEntry(location: DataLocation, size: number, name: string): Promise<Uint8Array> {
    const layer = this.layers[location.layer] as Layer;
    this.restreams++;
    const stream = await openLayerTar(layer, this.name, this.maxLayerBytes);
    let ordinal = 0;
    for await (const entry of readTar(stream, layerName(this.name, layer))) {
      if (ordinal++ !== location.ordinal) {
        entry.body.resume();
        continue;
      }
      if (entry.header.size !== size) throw new FormatError('malformed', `${name}: the layer changed since it was indexed`);
      // Leaving the loop destroys the rest of the layer stream: nothing more is read.
      return await readBody(entry.body, size, name);
    }
    throw new FormatError('malformed', `${name}: the layer changed since it was indexed (entry ${location.ordinal} is gone)`);
  }

  private remember(key: string, bytes: Uint8Array): void {
    if (bytes.length > OPEN_CACHE_BYTES) return;
    this.cache.set(key, bytes);
    let total = 0;
    for (const value of this.cache.values()) total += value.length;
    for (const [oldKey, value] of this.cache) {
      if (this.cache.size <= OPEN_CACHE_FILES && total <= OPEN_CACHE_BYTES) break;
      this.cache.delete(oldKey);
      total -= value.length;
    }
  }

  /**
   * Resolves `path` in the merged tree, as HostRootFS.walk does on the host:
   * undefined when a component is missing, a non-directory is used as a
   * directory, the path grows past PATH_MAX, or more than 40 links are met.
   */
  private walk(path: string, followLast: boolean): { key: string; entry: MergedEntry } | undefined {
    if (typeof path !== 'string' || path.includes('\0') || Buffer.byteLength(path) > MAX_PATH_BYTES) return undefined;
    if (path.endsWith('/')) followLast = true;
    const resolved: string[] = [];
    const pending = splitComponents(path).reverse();
    let hops = 0;
    let entry = this.tree.get('') as MergedEntry;
    while (pending.length > 0) {
      const part = pending.pop() as string;
      if (entry.kind !== 'dir') return undefined;
      if (part === '..') {
        resolved.pop();
        entry = this.tree.get(resolved.join('/')) as MergedEntry;
        continue;
      }
      const candidateKey = resolved.length === 0 ? part : `${resolved.join('/')}/${part}`;
      const candidate = this.tree.get(candidateKey);
      if (!candidate) return undefined;
      const isLast = pending.length === 0;
      if (candidate.kind === 'symlink' && (!isLast || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) return undefined;
        const target = candidate.linkname;
        if (target === '') return undefined;
        const targetParts = splitComponents(target);
        if (pending.length + targetParts.length > MAX_PATH_BYTES) return undefined;
        for (let i = targetParts.length - 1; i >= 0; i--) pending.push(targetParts[i] as string);
        if (target.startsWith('/')) resolved.length = 0;
        entry = this.tree.get(resolved.join('/')) as MergedEntry;
        continue;
      }
      resolved.push(part);
      entry = candidate;
    }
    if (path.endsWith('/') && entry.kind !== 'dir') return undefined;
    return { key: resolved.join('/'), entry };
  }
}

function splitComponents(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

function toInfo(entry: MergedEntry): FileInfo {
  return { kind: entry.kind, size: entry.size, mode: entry.mode };
}

