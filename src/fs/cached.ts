import type { ByteSource } from '../io/source.js';
import { PromiseMemo } from '../util/memo.js';
import type { FileInfo, RootFS } from './rootfs.js';

/**
 * A RootFS decorator that remembers metadata answers (stat, lstat,
 * realpath, readlink, list) and small config files. Library resolution asks
 * the same questions for every binary in a scan (is /lib/x86_64-linux-gnu
 * there, where does /lib64 point); walking each path component by component
 * again costs far more than the analysis itself. Only for roots at rest.
 */
export class CachedRootFS implements RootFS {
  private readonly answers: PromiseMemo<unknown>;

  constructor(
    private readonly inner: RootFS,
    maxEntries = 100_000,
  ) {
    this.answers = new PromiseMemo(maxEntries);
  }

  get description(): string {
    return this.inner.description;
  }

  lstat(path: string): Promise<FileInfo | undefined> {
    return this.remember(`lstat\0${path}`, () => this.inner.lstat(path));
  }
  stat(path: string): Promise<FileInfo | undefined> {
    return this.remember(`stat\0${path}`, () => this.inner.stat(path));
  }
  readlink(path: string): Promise<string | undefined> {
    return this.remember(`readlink\0${path}`, () => this.inner.readlink(path));
  }
  realpath(path: string): Promise<string | undefined> {
    return this.remember(`realpath\0${path}`, () => this.inner.realpath(path));
  }
  list(path: string): Promise<string[] | undefined> {
    // A copy each time: callers may sort or filter the array they get.
    return this.remember(`list\0${path}`, () => this.inner.list(path)).then((names) => names && [...names]);
  }
  readSmallFile(path: string, maxBytes?: number): Promise<Uint8Array | undefined> {
    return this.remember(`small\0${maxBytes ?? ''}\0${path}`, () => this.inner.readSmallFile(path, maxBytes));
  }
  open(path: string): Promise<ByteSource> {
    return this.inner.open(path);
  }

  private remember<T>(key: string, compute: () => Promise<T>): Promise<T> {
    return this.answers.get(key, compute) as Promise<T>;
  }
}
