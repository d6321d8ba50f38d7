import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import { MEDIA_TYPES, type Descriptor, type Digest } from '../image/types.js';
import { isSha256Digest, sha256Digest, verifyingStream } from '../layer/digest.js';
import { resumingDownload } from './download.js';
import { drain, header } from './http.js';
import { pullScope, pushScope, RegistrySession, type RegistryOptions } from './session.js';
import { DEFAULT_CHUNK_SIZE, uploadBlob, type UploadOptions, type UploadResult } from './upload.js';

/**
 * The OCI Distribution API for one registry host: blobs (exists, download,
 * upload, mount), manifests (get, put, head) and tags. Everything that can be
 * verified is: downloaded blobs against their descriptor, manifests against
 * the digest asked for or the one the registry names.
 */
export interface ClientOptions extends RegistryOptions {
  /** Bigger blobs go up in PATCH chunks of this size, streamed (default 32 MiB); up to it (and 8 MiB) in one PUT. */
  readonly chunkSize?: number;
  /** Told about every blob downloaded and uploaded (the CLI's progress line on a terminal). */
  readonly progress?: TransferProgress;
}

/** Per-blob progress, the shape of src/cli/progress.ts's Progress (kept here so the client does not depend on the CLI). */
export interface TransferProgress {
  task(label: string, total?: number): { advance(bytes: number): void; finish(note?: string): void };
}

/** How a blob is named on a progress line: "sha256:0123456789ab". */
export function shortDigest(digest: string): string {
  return digest.slice(0, digest.indexOf(':') + 13);
}

export interface FetchedManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly digest: Digest;
}

/** Manifests are small JSON documents; a registry sending more is broken or hostile. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList].join(', ');


function checkDigestSyntax(registry: string, digest: string): void {
  if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) {
    throw new RegistryError('DIGEST_INVALID', `${registry}: ${JSON.stringify(digest)} is not a digest`);
  }
}

export class RegistryClient {
  readonly session: RegistrySession;
  readonly chunkSize: number;
  readonly progress: TransferProgress | undefined;

  constructor(
    readonly registry: string,
    options: ClientOptions = {},
  ) {
    this.session = new RegistrySession(registry, options);
    const chunk = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.chunkSize = Math.max(1024, Math.min(chunk, 256 * 1024 * 1024));
    this.progress = options.progress;
  }

  close(): void {
    this.session.close();
  }

  /** GET /v2/: the registry speaks the API and lets us in (anonymously, or with our credentials). */
  async ping(): Promise<void> {
    const res = await this.session.request({ method: 'GET', path: '/v2/', scopes: [], expect: [200], what: 'ping /v2/' });
    drain(res);
  }

  /** The blob's size when the repository has it, undefined when not. */
  async blobExists(repository: string, digest: Digest): Promise<number | undefined> {
    checkDigestSyntax(this.registry, digest);
    const res = await this.session.request({
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${digest}`,
      scopes: [pullScope(repository)],
      followRedirects: true,
      expect: [200, 404],
      what: `HEAD blob ${repository}@${digest}`,
    });
    drain(res);
    if (res.status === 404) return undefined;
    const size = Number(header(res, 'content-length'));
    return Number.isSafeInteger(size) ? size : 0;
  }

  /**
   * A stream of the blob's bytes that fails (FormatError) unless they match
   * the descriptor's digest and size. A connection cut mid-body is resumed
   * from the bytes already passed on (see download.ts), within the session's
   * attempt bound.
   */
  async openBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    checkDigestSyntax(this.registry, descriptor.digest);
    const name = `${this.registry}/${repository}@${descriptor.digest}`;
    const fetchFrom = (offset: number) =>
      this.session.request({
        method: 'GET',
        path: `/v2/${repository}/blobs/${descriptor.digest}`,
        ...(offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {}),
        scopes: [pullScope(repository)],
        followRedirects: true,
        expect: offset > 0 ? [200, 206] : [200],
        what: `GET blob ${repository}@${descriptor.digest}${offset > 0 ? ` from byte ${offset}` : ''}`,
        notFoundCode: 'BLOB_UNKNOWN',
      });
    const first = await fetchFrom(0);
    const task = this.progress?.task(`pull ${shortDigest(descriptor.digest)}`, descriptor.size);
    const body = resumingDownload(first, {
      size: descriptor.size,
      name,
      maxConnections: this.session.maxAttempts,
      fetchFrom,
      pause: (n) => this.session.pause(n),
      ...(task ? { onBytes: (n: number) => task.advance(n), onEnd: () => task.finish() } : {}),
    });
    return verifyingStream(body, descriptor, name);
  }

  /** A small blob (a config) read whole, verified, refused beyond `limit` bytes. */
  async readBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, limit = MAX_MANIFEST_BYTES): Promise<Uint8Array> {
    if (descriptor.size > limit) {
      throw new RegistryError('LIMIT', `${this.registry}/${repository}@${descriptor.digest}: ${descriptor.size} bytes, more than the ${limit} allowed here`);
    }
    const stream = await this.openBlob(repository, descriptor);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }

  /** Uploads a blob unless the repository has it (or can mount it from `options.mountFrom`). */
  uploadBlob(repository: string, descriptor: Descriptor, open: () => Promise<Readable>, options: UploadOptions = {}): Promise<UploadResult> {
    checkDigestSyntax(this.registry, descriptor.digest);
    return uploadBlob(this.session, repository, descriptor, open, { chunkSize: this.chunkSize, ...options });
  }

  /** GET a manifest or index by tag or digest, verified against the digest asked for or announced. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `GET manifest ${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    const request = {
      method: 'GET',
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pullScope(repository)],
      expect: [200],
      what,
      notFoundCode: 'MANIFEST_UNKNOWN',
    };
    const { res, bytes } = await this.session.requestSmall(request, MAX_MANIFEST_BYTES, 'manifest');
    const digest = sha256Digest(bytes);
    const expected = reference.includes(':') ? reference : header(res, 'docker-content-digest');
    // Only sha256 can be checked here; other algorithms are taken on the registry's word.
    if (expected !== undefined && isSha256Digest(expected) && expected !== digest) {
      throw new RegistryError('DIGEST_MISMATCH', `${this.registry}: ${what}: the registry sent bytes with digest ${digest}, not ${expected}`);
    }
    return { bytes, digest: expected !== undefined && !isSha256Digest(expected) ? expected : digest, mediaType: manifestMediaType(bytes, header(res, 'content-type')) };
  }

  /** The manifest's descriptor if it exists (HEAD), without downloading it. */
  async headManifest(repository: string, reference: string): Promise<Descriptor | undefined> {
    const res = await this.session.request({
      method: 'HEAD',
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pullScope(repository)],
      expect: [200, 404],
      what: `HEAD manifest ${repository}:${reference}`,
    });
    drain(res);
    if (res.status === 404) return undefined;
    const digest = header(res, 'docker-content-digest') ?? (reference.includes(':') ? reference : undefined);
    const size = Number(header(res, 'content-length'));
    if (digest === undefined || !Number.isSafeInteger(size)) return undefined;
    return { mediaType: (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '', digest, size };
  }

  /** PUT a manifest under a tag or its digest; returns its digest, checked against what the registry computed. */
  async putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<Digest> {
    const digest = sha256Digest(bytes);
    if (reference.includes(':') && reference !== digest) {
      throw new RegistryError('DIGEST_INVALID', `${this.registry}: PUT manifest ${repository}@${reference}: the manifest's digest is ${digest}`);
    }
    const what = `PUT manifest ${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    const res = await this.session.request({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { 'content-type': mediaType },
      body: bytes,
      scopes: [pushScope(repository)],
      expect: [201, 200],
      what,
    });
    drain(res);
    const announced = header(res, 'docker-content-digest');
    if (announced !== undefined && isSha256Digest(announced) && announced !== digest) {
      throw new RegistryError('DIGEST_MISMATCH', `${this.registry}: ${what}: the registry stored digest ${announced}, we sent ${digest}`);
    }
    return digest;
  }

  /** The repository's tags (first page of up to 1000; enough for tests and checks). */
  async listTags(repository: string): Promise<string[]> {
    const request = {
      method: 'GET',
      path: `/v2/${repository}/tags/list?n=1000`,
      scopes: [pullScope(repository)],
      expect: [200],
      what: `GET tags of ${repository}`,
      notFoundCode: 'NAME_UNKNOWN',
    };
    const { bytes: body } = await this.session.requestSmall(request, MAX_MANIFEST_BYTES, 'tag list');
    let parsed: { tags?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { tags?: unknown };
    } catch {
      throw new RegistryError('PROTOCOL', `${this.registry}: tag list of ${repository} is not JSON`);
    }
    const tags = parsed.tags;
    if (tags === null || tags === undefined) return [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
      throw new RegistryError('PROTOCOL', `${this.registry}: tag list of ${repository} is not a list of strings`);
    }
    return tags as string[];
  }
}

/** The manifest's own mediaType field wins; the Content-Type header is the fallback (old Docker manifests lack the field). */
function manifestMediaType(bytes: Uint8Array, contentType: string | undefined): string {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof doc.mediaType === 'string') return doc.mediaType;
    const fromHeader = contentType?.split(';')[0]?.trim();
    if (fromHeader) return fromHeader;
    return Array.isArray(doc.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
  } catch {
    return contentType?.split(';')[0]?.trim() ?? MEDIA_TYPES.ociManifest;
  }
}
