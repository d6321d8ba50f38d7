import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import type { Descriptor } from '../image/types.js';
import { BlobCursor } from './blob-cursor.js';
import { drain, header, type HttpResponse } from './http.js';
import { pullScope, pushScope, type RegistrySession } from './session.js';

/**
 * Blob upload: one POST then one PUT for small blobs, PATCH chunks for
 * bigger ones, each chunk streamed from the blob as it is read (so a chunk
 * can be big: fewer round trips, nothing held in memory). A PATCH
 * that dies with the connection is not blindly repeated (the registry may
 * have kept part of it): we ask the upload URL how far it got (Range), open
 * the blob again at that byte and continue; when the registry cannot say,
 * the upload starts over, a bounded number of times.
 */
export interface UploadOptions {
  /** Another repository on the same registry that may hold the blob: tried with a cross-repo mount first. */
  readonly mountFrom?: string;
  /** Set by the client. */
  readonly chunkSize?: number;
}

export type UploadResult = 'uploaded' | 'mounted';

/** PATCH chunk size when the client names none. */
export const DEFAULT_CHUNK_SIZE = 32 * 1024 * 1024;
const MAX_RESTARTS = 3;
/** Blobs up to this size (or the chunk size, if smaller) go up whole in the closing PUT, read into memory first. */
const MONOLITHIC_MAX = 8 * 1024 * 1024;
/** Resumes (a PATCH lost, the upload continued where the registry says) within one upload. */
const MAX_RESUMES = 3;

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
  open: () => Promise<Readable>,
  chunkSize: number,
  startLocation: string,
): Promise<void> {
  const what = `upload of ${repository}@${descriptor.digest}`;
  const name = `${session.registry}: ${what}`;
  let cursor = new BlobCursor(await open(), name);
  try {
    let location = startLocation;
    if (descriptor.size <= Math.min(chunkSize, MONOLITHIC_MAX)) {
      // Small blob: the whole thing in the closing PUT.
      const body = await cursor.read(descriptor.size);
      await cursor.verify(descriptor.size, descriptor.digest);
      await finishUpload(session, repository, location, descriptor, what, new Uint8Array(body.buffer, body.byteOffset, body.length));
      return;
    }
    let resumes = 0;
    while (cursor.position < descriptor.size) {
      const start = cursor.position;
      // Chunks end on multiples of chunkSize, also after a resume inside one.
      const end = Math.min((Math.floor(start / chunkSize) + 1) * chunkSize, descriptor.size);
      try {
        const res = await session.request({
          method: 'PATCH',
          path: location,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end - 1}` },
          bodyStream: { stream: cursor.part(end - start), length: end - start },
          scopes: [pushScope(repository)],
          expect: [202],
          what: `${what} (bytes ${start}-${end - 1})`,
        });
        drain(res);
        location = locationOf(session, res, what);
      } catch (e) {
        if (!(e instanceof RegistryError) || e.registryCode === 'DIGEST_INVALID') throw e;
        // The registry dropped the upload session (Distribution does after a cut PATCH): only starting over helps.
        if (SESSION_GONE.has(e.registryCode)) throw new RestartUpload(e.message);
        if (!(e.registryCode === 'UNREACHABLE' || (e.status ?? 0) >= 500 || e.status === 416)) throw e;
        if (++resumes > MAX_RESUMES) throw new RestartUpload(e.message);
        const status = await uploadStatus(session, repository, location);
        // Anything past the chunk in flight is not a state this upload could have left.
        if (!status || status.next > end) throw new RestartUpload(e.message);
        location = status.location;
        cursor.destroy();
        cursor = new BlobCursor(await open(), name);
        await cursor.skip(status.next);
      }
    }
    await cursor.verify(descriptor.size, descriptor.digest);
    await finishUpload(session, repository, location, descriptor, what);
  } finally {
    cursor.destroy();
  }
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

export async function uploadBlob(
  session: RegistrySession,
  repository: string,
  descriptor: Descriptor,
  open: () => Promise<Readable>,
  options: UploadOptions,
): Promise<UploadResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let mountFrom = options.mountFrom;
  for (let restart = 0; ; restart++) {
    const started = await startUpload(session, repository, descriptor, mountFrom);
    if (started === 'mounted') return 'mounted';
    mountFrom = undefined; // the mount was refused; a restart need not ask again
    try {
      await uploadOnce(session, repository, descriptor, open, chunkSize, started);
      return 'uploaded';
    } catch (e) {
      if (!(e instanceof RestartUpload)) throw e;
      if (restart + 1 >= MAX_RESTARTS) {
        throw new RegistryError('UNREACHABLE', `${e.message}; gave up after starting the upload ${MAX_RESTARTS} times`);
      }
    }
  }
}
