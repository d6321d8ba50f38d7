import { Readable } from 'node:stream';
import { FormatError, RegistryError } from '../errors.js';
import { header, type HttpResponse } from './http.js';

/**
 * A blob download that survives a connection cut after the answer began:
 * the bytes already passed on are kept (the digest check downstream covers
 * them and what follows), and the rest is asked for with a Range request
 * from that offset. A registry that ignores Range answers 200 with the whole
 * blob; its first bytes are then skipped, which is a restart from our side.
 * Bounded: after `maxConnections` connections the download fails with
 * UNREACHABLE, saying how far it got.
 */
export interface ResumeOptions {
  /** The blob's declared size: a body that ends before it counts as cut. */
  readonly size: number;
  /** Names the blob in messages ("host/repo@sha256:…"). */
  readonly name: string;
  /** Connections in all, the first one included. */
  readonly maxConnections: number;
  /** A new request for the bytes from `offset` on (the session retries a connection refused before any answer). */
  readonly fetchFrom: (offset: number) => Promise<HttpResponse>;
  /** Waits before resume number `n` (backoff). */
  readonly pause: (n: number) => Promise<void>;
  /** Called with each piece passed on, and once when the whole size has arrived (a progress line). */
  readonly onBytes?: (bytes: number) => void;
  readonly onEnd?: () => void;
}

const BATCH_BYTES = 1024 * 1024;

/** Where a 206 answer starts ("bytes START-END/TOTAL"), or undefined when the header is missing or malformed. */
function contentRangeStart(res: HttpResponse): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header(res, 'content-range') ?? '');
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}

export function resumingDownload(first: HttpResponse, options: ResumeOptions): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    let res = first;
    let offset = 0;
    try {
      for (let connection = 1; ; connection++) {
        // Bytes of this answer that we passed on already (a 200 to a Range request starts at 0).
        let skip = 0;
        if (connection > 1) {
          if (res.status === 206) {
            const start = contentRangeStart(res);
            if (start !== offset) throw new RegistryError('PROTOCOL', `${options.name}: asked for bytes from ${offset}, the registry answered from ${start ?? 'an unreadable Content-Range'}`);
          } else {
            skip = offset;
          }
        }
        // Pieces go on in batches: a 50 MB blob in ~50 hash updates and file writes, not ~800.
        let batch: Buffer[] = [];
        let batched = 0;
        const flush = (): Buffer => {
          const out = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batched);
          batch = [];
          batched = 0;
          offset += out.length;
          options.onBytes?.(out.length);
          return out;
        };
        let cause: string;
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            if (skip >= chunk.length) {
              skip -= chunk.length;
              continue;
            }
            const fresh = skip > 0 ? chunk.subarray(skip) : chunk;
            skip = 0;
            batch.push(fresh);
            batched += fresh.length;
            if (batched >= BATCH_BYTES) yield flush();
          }
          if (batched > 0) yield flush();
          // The body ended cleanly: complete, or (more than the size) left for the digest check to refuse.
          if (offset >= options.size) {
            options.onEnd?.();
            return;
          }
          cause = `the answer ended after ${offset} of ${options.size} bytes`;
        } catch (e) {
          if (e instanceof RegistryError || e instanceof FormatError) throw e;
          cause = e instanceof Error ? e.message : String(e);
          // What arrived before the cut is good (the digest check downstream covers it): keep it.
          if (batched > 0) yield flush();
        }
        res.body.destroy();
        if (connection >= options.maxConnections) {
          throw new RegistryError('UNREACHABLE', `${options.name}: download cut ${connection} times, last at byte ${offset} of ${options.size} (${cause})`);
        }
        await options.pause(connection);
        res = await options.fetchFrom(offset);
      }
    } finally {
      res.body.destroy();
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
