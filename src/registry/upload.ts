import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import type { Descriptor } from '../image/types.js';
import { drain, header, type HttpResponse } from './http.js';
import { pullScope, pushScope, type RegistrySession } from './session.js';

/**
 * Blob upload: one POST then one PUT for blobs up to a chunk, PATCH chunks
 * for bigger ones. A PATCH that dies with the connection is not blindly
 * repeated (the registry may have kept part of it): we ask the upload URL
 * how far it got (Range) and continue from there; when the registry cannot
 * say, the upload starts over, a bounded number of times.
 */
export interface UploadOptions {
  /** Another repository on the same registry that may hold the blob: tried with a cross-repo mount first. */
  readonly mountFrom?: string;
  /** Set by the client. */
  readonly chunkSize?: number;
}

export type UploadResult = 'uploaded' | 'mounted';

const MAX_RESTARTS = 3;
const MAX_RESUMES_PER_CHUNK = 3;

/** What went up so far, so a retry can tell whether the stream was the blob it claimed to be. */
class UploadHasher {
  private readonly hash = createHash('sha256');
  size = 0;
  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.size += bytes.length;
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Reads a stream as fixed-size chunks (the last may be shorter), never holding more than one chunk. */
async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Uint8Array> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of stream) {
    let buf = piece as Buffer;
    while (buf.length > 0) {
      const take = Math.min(size - pendingBytes, buf.length);
      pending.push(buf.subarray(0, take));
      pendingBytes += take;
      buf = buf.subarray(take);
      if (pendingBytes === size) {
        yield new Uint8Array(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield new Uint8Array(Buffer.concat(pending, pendingBytes));
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location, 'http://placeholder.invalid/');
  url.searchParams.set('digest', digest);
  // Keep relative locations relative so the session resolves them against the registry.
  return /^https?:\/\//.test(location) ? url.toString() : `${url.pathname}${url.search}`;
}

function locationOf(session: RegistrySession, res: HttpResponse, what: string): string {
  const location = header(res, 'location');
  if (!location) throw new RegistryError('PROTOCOL', `${session.registry}: ${what}: the registry gave no upload Location`);
  return location;
}

async function startUpload(session: RegistrySession, repository: string, descriptor: Descriptor, mountFrom: string | undefined): Promise<string | 'mounted'> {
  const query = mountFrom !== undefined ? `?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(mountFrom)}` : '';
  const scopes = mountFrom !== undefined ? [pushScope(repository), pullScope(mountFrom)] : [pushScope(repository)];
  const what = `start upload of ${repository}@${descriptor.digest}`;
  const res = await session.request({ method: 'POST', path: `/v2/${repository}/blobs/uploads/${query}`, scopes, expect: [201, 202], what });
  drain(res);
  if (res.status === 201) return 'mounted';
  return locationOf(session, res, what);
}

/** Where the registry says an interrupted upload stands: the next byte it expects, and the URL to continue at. */
async function uploadStatus(session: RegistrySession, repository: string, location: string): Promise<{ next: number; location: string } | undefined> {
  try {
    const res = await session.request({
      method: 'GET',
      path: location,
      scopes: [pushScope(repository)],
      expect: [204],
      what: `status of upload to ${repository}`,
    });
    drain(res);
    const range = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
    // Distribution says "0-0" both for an empty upload and for one byte; empty is the case that happens
    // (a PATCH cut before its first byte landed), and a wrong guess only costs a 416 and a restart.
    const last = range?.[1] !== undefined ? Number(range[1]) : -1;
    const next = last > 0 ? last + 1 : 0;
    return { next, location: header(res, 'location') ?? location };
  } catch (e) {
    if (e instanceof RegistryError) return undefined; // unknown or invalidated upload: start over
    throw e;
  }
}

class RestartUpload extends Error {}

/** Errors that mean the upload session is lost, not that the blob is refused. */
const SESSION_GONE = new Set(['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID']);

function isRestartable(e: unknown): boolean {
  return e instanceof RegistryError && (e.registryCode === 'UNREACHABLE' || (e.status ?? 0) >= 500 || SESSION_GONE.has(e.registryCode));
}

async function uploadOnce(
  session: RegistrySession,
  repository: string,
  descriptor: Descriptor,
  stream: Readable,
  chunkSize: number,
  startLocation: string,
): Promise<void> {
  const hasher = new UploadHasher();
  const what = `upload of ${repository}@${descriptor.digest}`;
  let location = startLocation;
  if (descriptor.size <= chunkSize) {
    // Small blob: the whole thing in the closing PUT.
    const parts: Uint8Array[] = [];
    for await (const chunk of chunksOf(stream, chunkSize)) {
      hasher.update(chunk);
      if (hasher.size > descriptor.size) break;
      parts.push(chunk);
    }
    checkContent(session, descriptor, hasher, what);
    await finishUpload(session, repository, location, descriptor, what, new Uint8Array(Buffer.concat(parts)));
    return;
  }
  let offset = 0;
  for await (const chunk of chunksOf(stream, chunkSize)) {
    hasher.update(chunk);
    if (hasher.size > descriptor.size) break;
    let sent = 0; // bytes of this chunk the registry holds
    for (let resumes = 0; sent < chunk.length; resumes++) {
      const part = chunk.subarray(sent);
      const start = offset + sent;
      try {
        const res = await session.request({
          method: 'PATCH',
          path: location,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + part.length - 1}` },
          body: part,
          scopes: [pushScope(repository)],
          expect: [202],
          what: `${what} (bytes ${start}-${start + part.length - 1})`,
          noRetry: true,
        });
        drain(res);
        location = locationOf(session, res, what);
        sent = chunk.length;
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        // The registry dropped the upload session (Distribution does after a cut PATCH): only starting over helps.
        if (SESSION_GONE.has(e.registryCode)) throw new RestartUpload(e.message);
        if (!(e.registryCode === 'UNREACHABLE' || (e.status ?? 0) >= 500 || e.status === 416)) throw e;
        if (resumes >= MAX_RESUMES_PER_CHUNK) throw new RestartUpload(e.message);
        const status = await uploadStatus(session, repository, location);
        // Resume only inside the chunk we still hold; anything else means starting over.
        if (!status || status.next < offset || status.next > offset + chunk.length) throw new RestartUpload(e.message);
        location = status.location;
        sent = status.next - offset;
      }
    }
    offset += chunk.length;
  }
  checkContent(session, descriptor, hasher, what);
  await finishUpload(session, repository, location, descriptor, what);
}

/** The closing PUT with the digest: the whole blob (monolithic upload) or nothing more (after chunks). */
async function finishUpload(
  session: RegistrySession,
  repository: string,
  location: string,
  descriptor: Descriptor,
  what: string,
  body?: Uint8Array,
): Promise<void> {
  const res = await session
    .request({
      method: 'PUT',
      path: withDigest(location, descriptor.digest),
      ...(body ? { headers: { 'content-type': 'application/octet-stream' }, body } : {}),
      scopes: [pushScope(repository)],
      expect: [201],
      what,
      noRetry: true,
    })
    .catch((e: unknown) => {
      throw isRestartable(e) ? new RestartUpload((e as Error).message) : e;
    });
  drain(res);
}

function checkContent(session: RegistrySession, descriptor: Descriptor, hasher: UploadHasher, what: string): void {
  if (hasher.size !== descriptor.size) {
    throw new RegistryError('DIGEST_INVALID', `${session.registry}: ${what}: the blob's stream has ${hasher.size > descriptor.size ? 'more than' : 'only'} ${hasher.size} bytes, its descriptor says ${descriptor.size}`);
  }
  const digest = hasher.digest();
  if (digest !== descriptor.digest && descriptor.digest.startsWith('sha256:')) {
    throw new RegistryError('DIGEST_INVALID', `${session.registry}: ${what}: the blob's bytes have digest ${digest}, its descriptor says ${descriptor.digest}`);
  }
}

export async function uploadBlob(
  session: RegistrySession,
  repository: string,
  descriptor: Descriptor,
  open: () => Promise<Readable>,
  options: UploadOptions,
): Promise<UploadResult> {
  const chunkSize = options.chunkSize ?? 8 * 1024 * 1024;
  let mountFrom = options.mountFrom;
  for (let restart = 0; ; restart++) {
    const started = await startUpload(session, repository, descriptor, mountFrom);
    if (started === 'mounted') return 'mounted';
    mountFrom = undefined; // the mount was refused; a restart need not ask again
    const stream = await open();
    try {
      await uploadOnce(session, repository, descriptor, stream, chunkSize, started);
      return 'uploaded';
    } catch (e) {
      if (!(e instanceof RestartUpload)) throw e;
      if (restart + 1 >= MAX_RESTARTS) {
        throw new RegistryError('UNREACHABLE', `${e.message}; gave up after starting the upload ${MAX_RESTARTS} times`);
      }
    } finally {
      stream.destroy();
    }
  }
}
