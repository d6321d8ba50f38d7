import { writeTar, type TarInput } from '../layer/index.js';
import { readAllCapped } from '../image/blob-streams.js';
import { layerFromTar, memoryImage } from '../image/memory.js';
import type { Image, ImageOrIndex } from '../image/types.js';

/**
 * Tiny synthetic images for image backend tests: a few files in two
 * layers, built with our deterministic tar writer, so every digest is a
 * function of the values below and tests can compare against them.
 */

export const HELLO_SCRIPT = '#!/bin/sh\necho hello\n';
export const GREETING = 'hello from fromscratch\n';

export async function tarBytes(entries: readonly TarInput[]): Promise<Uint8Array> {
  return readAllCapped(writeTar(entries), 16 * 1024 * 1024, 'test tar');
}

export async function tinyImage(options: { compression?: 'gzip' | 'none'; marker?: string } = {}): Promise<Image> {
  const enc = new TextEncoder();
  const base = await tarBytes([
    { header: { path: 'bin/', type: 'dir', mode: 0o755 } },
    { header: { path: 'bin/hello', type: 'file', mode: 0o755, size: enc.encode(HELLO_SCRIPT).length }, body: enc.encode(HELLO_SCRIPT) },
    { header: { path: 'etc/', type: 'dir', mode: 0o755 } },
  ]);
  const greeting = enc.encode(GREETING + (options.marker ?? ''));
  const top = await tarBytes([
    { header: { path: 'etc/', type: 'dir', mode: 0o755 } },
    { header: { path: 'etc/greeting', type: 'file', mode: 0o640, size: greeting.length }, body: greeting },
    { header: { path: 'etc/hello-link', type: 'symlink', mode: 0o777, linkname: '../bin/hello' } },
  ]);
  const compression = options.compression ?? 'gzip';
  return memoryImage({
    config: {
      created: '1970-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/bin/hello'], Env: ['PATH=/bin'], WorkingDir: '/' },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'fromscratch test base' }, { created: '1970-01-01T00:00:00Z', created_by: 'fromscratch test top' }],
    },
    layers: [layerFromTar(base, compression), layerFromTar(top, compression)],
  });
}

/** The image of a reader's result; a test fails when it got an index. */
export function asImage(r: ImageOrIndex): Image {
  if (r.kind !== 'image') throw new Error(`expected an image, got an ${r.kind}`);
  return r.image;
}
