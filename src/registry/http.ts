import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { isIP } from 'node:net';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import { FromscratchError, RegistryError } from '../errors.js';

/**
 * One HTTP exchange on node:http(s), with no retries, auth or redirects (the
 * client layers those on). Built on node:http rather than fetch because a
 * private CA and keep-alive agents are plain options here, and because the
 * response body is a Node stream the blob readers pipe straight through.
 */
export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** A body in memory (a manifest, a small blob): the request can be sent again. */
  readonly body?: Uint8Array;
  /**
   * A body streamed as it is read (one chunk of a big blob upload), of
   * exactly `length` bytes: sent once, never retried here. A stream error
   * that is a FromscratchError (the blob is not what its descriptor says)
   * fails the request with that error rather than a ConnectionError.
   */
  readonly bodyStream?: { readonly stream: Readable; readonly length: number };
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  readonly url: URL;
}

/** Reported once per exchange; tests count uploads with it, progress displays could too. */
export interface RequestEvent {
  readonly method: string;
  readonly url: string;
  /** Undefined when the connection failed before an answer. */
  readonly status: number | undefined;
  readonly bodyBytes: number;
  /** The Range asked for ("bytes=N-"): a download resumed after a cut connection. */
  readonly range?: string;
}

export interface TlsSettings {
  /** Extra PEM CA certificates, trusted on top of the system roots. */
  readonly extraCa?: readonly string[];
  /** Skip certificate verification (only with `insecure: true`). */
  readonly skipVerify?: boolean;
  /** `extraCa` starts with the system's CA bundle, which stands in for Node's bundled roots (as Go and curl use the system's alone). */
  readonly replacesRoots?: boolean;
}

/** A network failure before any HTTP answer: worth a retry, unlike an HTTP error. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  /** The system or TLS error code (ECONNRESET, EPROTO, DEPTH_ZERO_SELF_SIGNED_CERT...), when there was one. */
  readonly errorCode: string | undefined;
  constructor(message: string, options?: { cause?: unknown; errorCode?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.errorCode = options?.errorCode;
  }

  /** The server answered a TLS handshake with something that is not TLS (a plain-HTTP server). */
  get speaksNoTls(): boolean {
    return this.errorCode === 'EPROTO' || this.errorCode === 'ECONNRESET' || /wrong version number|packet length too long|unknown protocol/i.test(this.message);
  }

  /** A certificate that does not verify will not verify on the next try either. */
  get permanent(): boolean {
    return this.errorCode !== undefined && /CERT|SIGNATURE|ISSUER|ALTNAME/.test(this.errorCode);
  }
}

export class HttpTransport {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  private httpsAgentOnce: HttpsAgent | undefined;

  constructor(
    private readonly tls: TlsSettings,
    private readonly timeoutMs: number,
    private readonly onRequest?: (event: RequestEvent) => void,
  ) {}

  /** Made on first use: parsing a CA bundle costs tens of milliseconds, which a plain-HTTP registry should not pay. */
  private get httpsAgent(): HttpsAgent {
    const extraCa = this.tls.extraCa ?? [];
    this.httpsAgentOnce ??= new HttpsAgent({
      keepAlive: true,
      maxSockets: 8,
      // Setting `ca` replaces Node's bundled roots: the caller passes the system bundle, or gets them back here.
      ...(extraCa.length > 0 ? { ca: this.tls.replacesRoots ? [...extraCa] : [...rootCertificates, ...extraCa] } : {}),
      rejectUnauthorized: this.tls.skipVerify !== true,
    });
    return this.httpsAgentOnce;
  }

  /**
   * Whether the server at `url` answers a TLS handshake at all (certificate
   * not checked: this only picks the scheme for a loopback registry; every
   * real request verifies). False when it speaks something else (plain HTTP);
   * a ConnectionError when nothing answers.
   */
  speaksTls(url: URL): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const socket = tlsConnect({ host, port: Number(url.port || 443), rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
      socket.setTimeout(this.timeoutMs, () => socket.destroy(new ConnectionError(`no answer within ${this.timeoutMs} ms`)));
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof ConnectionError) return reject(error);
        const e = new ConnectionError(error.message, { cause: error, ...(error.code ? { errorCode: error.code } : {}) });
        if (e.speaksNoTls) resolve(false);
        else reject(e);
      });
    });
  }

  send(req: HttpRequest): Promise<HttpResponse> {
    const isHttps = req.url.protocol === 'https:';
    if (!isHttps && req.url.protocol !== 'http:') {
      return Promise.reject(new RegistryError('PROTOCOL', `${req.url.host}: unsupported URL scheme ${req.url.protocol}`));
    }
    const bodyBytes = req.bodyStream?.length ?? req.body?.length ?? 0;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined || req.bodyStream !== undefined) headers['content-length'] = String(bodyBytes);
    const report = (status: number | undefined): void => {
      const range = req.headers.range;
      this.onRequest?.({ method: req.method, url: req.url.toString(), status, bodyBytes, ...(range !== undefined ? { range } : {}) });
    };
    return new Promise<HttpResponse>((resolve, reject) => {
      const options = { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent };
      const clientRequest = (isHttps ? httpsRequest : httpRequest)(req.url, options, (res) => {
        report(res.statusCode);
        // The answer arrived: from here on a stall belongs to whoever reads the body.
        clientRequest.setTimeout(0);
        res.setTimeout(this.timeoutMs, () => res.destroy(new ConnectionError(`no data for ${this.timeoutMs} ms`)));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
      });
      clientRequest.setTimeout(this.timeoutMs, () => {
        clientRequest.destroy(new ConnectionError(`no answer within ${this.timeoutMs} ms`));
      });
      clientRequest.on('error', (error: NodeJS.ErrnoException) => {
        report(undefined);
        if (error instanceof ConnectionError || error instanceof FromscratchError) reject(error);
        else {
          const detail = error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message;
          reject(new ConnectionError(detail, { cause: error, ...(error.code ? { errorCode: error.code } : {}) }));
        }
      });
      if (req.bodyStream) {
        const { stream } = req.bodyStream;
        stream.on('error', (e) => clientRequest.destroy(e));
        stream.pipe(clientRequest);
        return;
      }
      clientRequest.end(req.body === undefined ? undefined : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength));
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgentOnce?.destroy();
  }
}

/** Reads a whole (small) body, refusing more than `limit` bytes so a hostile server cannot fill memory. */
export async function readBody(res: HttpResponse, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw new RegistryError('LIMIT', `${res.url.host}: ${what} is ${declared} bytes, more than the ${limit} allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > limit) {
        res.body.destroy();
        throw new RegistryError('LIMIT', `${res.url.host}: ${what} is more than the ${limit} bytes allowed`);
      }
      chunks.push(buf);
    }
  } catch (e) {
    if (e instanceof RegistryError) throw e;
    throw new ConnectionError(`connection lost while reading ${what}`, { cause: e });
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** Throws away a body we do not need, so the socket can be reused. */
export function drain(res: HttpResponse): void {
  res.body.resume();
  res.body.on('error', () => {});
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
