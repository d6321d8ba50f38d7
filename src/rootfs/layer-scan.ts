import type { Readable } from 'node:stream';
import { FormatError } from '../errors.js';
import { gunzip, readTar, verifyingStream, type TarHeader } from '../layer/index.js';
import { MEDIA_TYPES, type Layer } from '../image/types.js';
import { cleanComponents, MAX_MERGED_ENTRIES } from './merged-tree.js';

/**
 * Reading layers for ImageRootFS: a layer's verified, decompressed tar
 * stream, and the indexing scan that collects each layer's headers (and the
 * bytes of the files the caller wants kept), a few layers at a time.
 */

export interface ScanOptions {
  readonly maxLayerBytes: number;
  readonly maxOpenBytes: number;
  readonly keep: ((path: string) => boolean) | undefined;
  readonly keepBytes: number;
}

/** Layers whose tar streams are read at once while indexing. */
const SCAN_CONCURRENCY = 3;

export interface LayerScan {
  /** The layer's entries' headers, in tar order (the ordinal is the index). */
  readonly headers: readonly TarHeader[];
}

/**
 * Reads layers' tar streams for the index: each layer's headers in order and
 * the bytes of the files `keep` asks for, a few layers at a time. Holds
 * metadata only (plus the kept files, within their budget).
 */
export class LayerScanner {
  readonly kept = new Map<string, Uint8Array>();
  private keptBytes = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly streams = new Set<Readable>();
  private aborted = false;

  constructor(
    private readonly name: string,
    private readonly options: ScanOptions,
  ) {}

  schedule(layer: Layer, index: number): Promise<LayerScan> {
    const scan = this.slot().then(() => this.scan(layer, index)).finally(() => this.release());
    // Awaited in order by open(); a later layer failing first must not go unhandled meanwhile.
    scan.catch(() => undefined);
    return scan;
  }

  /** Stops every layer still being read (an earlier one failed). */
  abort(): void {
    this.aborted = true;
    for (const stream of this.streams) stream.destroy();
  }

  private async slot(): Promise<void> {
    if (this.running >= SCAN_CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }

  private async scan(layer: Layer, index: number): Promise<LayerScan> {
    if (this.aborted) return { headers: [] };
    const where = layerName(this.name, layer);
    const stream = await openLayerTar(layer, this.name, this.options.maxLayerBytes);
    this.streams.add(stream);
    const headers: TarHeader[] = [];
    try {
      for await (const entry of readTar(stream, where)) {
        const { header } = entry;
        const ordinal = headers.length;
        if (ordinal >= MAX_MERGED_ENTRIES) throw new FormatError('limit', `${this.name}: more than ${MAX_MERGED_ENTRIES} files in the image`);
        headers.push(header);
        if (!this.wanted(header)) {
          entry.body.resume();
          continue;
        }
        this.keptBytes += header.size;
        this.kept.set(`${index}:${ordinal}`, await readBody(entry.body, header.size, `${where}: ${header.path}`));
      }
    } finally {
      this.streams.delete(stream);
    }
    return { headers };
  }

  private wanted(header: TarHeader): boolean {
    const { keep, maxOpenBytes, keepBytes } = this.options;
    return (
      keep !== undefined &&
      header.type === 'file' &&
      header.size <= maxOpenBytes &&
      this.keptBytes + header.size <= keepBytes &&
      keep(cleanComponents(header.path).join('/'))
    );
  }
}

/** A tar entry's body, which must be exactly `size` bytes. */
export async function readBody(body: Readable, size: number, name: string): Promise<Uint8Array> {
  const buffer = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (filled + chunk.length > size) throw new FormatError('malformed', `${name}: more data than its header says`);
    buffer.set(chunk, filled);
    filled += chunk.length;
  }
  if (filled !== size) throw new FormatError('truncated', `${name}: ${size - filled} bytes missing`);
  return buffer;
}

/** "oci:dir: layer sha256:…": how a layer is named in messages. */
export function layerName(image: string, layer: Layer): string {
  return `${image}: layer ${layer.descriptor.digest}`;
}

/** The layer's tar stream: the stored blob verified against its descriptor as it streams, then decompressed under a cap. */
export async function openLayerTar(layer: Layer, image: string, maxBytes: number): Promise<Readable> {
  const name = layerName(image, layer);
  const mediaType = layer.descriptor.mediaType;
  const gzipped = mediaType === MEDIA_TYPES.ociLayerGzip || mediaType === MEDIA_TYPES.dockerLayerGzip;
  const plain = mediaType === MEDIA_TYPES.ociLayer || mediaType === 'application/vnd.docker.image.rootfs.diff.tar';
  if (!gzipped && !plain) throw new FormatError('unsupported', `${name}: media type ${mediaType} is not a tar or tar+gzip layer`);
  const verified = verifyingStream(await layer.open(), layer.descriptor, name);
  return gzipped ? gunzip(verified, { maxOutputBytes: maxBytes, name }) : verified;
}
