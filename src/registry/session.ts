import { readFileSync } from 'node:fs';
import { RegistryError } from '../errors.js';
import { parseChallenges, type AuthChallenge } from './challenge.js';
import { findCredentials, type Credentials } from './credentials.js';
import { ConnectionError, drain, header, HttpTransport, readBody, type HttpRequest, type HttpResponse, type RequestEvent } from './http.js';

/**
 * Talking to one registry host: which scheme it speaks, who we are to it
 * (Basic or Bearer tokens, cached per scope), retries with backoff, redirects,
 * and turning error answers into RegistryErrors with the registry's code.
 * The operations (blobs, manifests) sit on top of `request`.
 */
export interface RegistryOptions {
  /** Credentials to use instead of looking them up in docker/podman config files. */
  readonly credentials?: Credentials;
  /** Environment for the config-file lookup (DOCKER_CONFIG, REGISTRY_AUTH_FILE, HOME) and SSL_CERT_FILE; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A PEM file with extra CA certificates trusted on top of the system roots. */
  readonly caFile?: string;
  /** Allow plain HTTP and unverified TLS for a registry that is not on loopback. */
  readonly insecure?: boolean;
  /** Total attempts for a request that fails with 429, 5xx or a dropped connection (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay in ms, doubled each time (default 250). */
  readonly retryBaseMs?: number;
  /** Longest wait between attempts, including a server's Retry-After (default 10 s). */
  readonly retryMaxMs?: number;
  /** Silence on a connection before it counts as dropped (default 60 s). */
  readonly timeoutMs?: number;
  /** Called for every HTTP exchange (tests count uploads with it). */
  readonly onRequest?: (event: RequestEvent) => void;
}

export interface SessionRequest {
  readonly method: string;
  /** A path under the registry ("/v2/...") or an absolute URL the registry gave us (an upload Location). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** A streamed body (an upload chunk): one attempt, and no second try after a 401 (the bytes are gone). */
  readonly bodyStream?: HttpRequest['bodyStream'];
  /** Token scopes this request needs, e.g. "repository:foo:pull,push". */
  readonly scopes: readonly string[];
  /** Follow 3xx (blob downloads); uploads and manifests take Location themselves. */
  readonly followRedirects?: boolean;
  /** Statuses that are answers, not failures; anything else becomes a RegistryError. */
  readonly expect: readonly number[];
  /** Names what failed in an error message, e.g. "GET manifest foo:latest". */
  readonly what: string;
  /** Registry error code for a bodiless 404 (HEAD answers have no JSON). */
  readonly notFoundCode?: string;
  /** One attempt only: uploads recover from a dropped PATCH themselves, by asking where the upload stands. */
  readonly noRetry?: boolean;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const MAX_REDIRECTS = 5;
const ERROR_BODY_LIMIT = 64 * 1024;
const TOKEN_BODY_LIMIT = 1024 * 1024;

function hostOnly(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(0, registry.indexOf(']') + 1);
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

export function isLoopbackRegistry(registry: string): boolean {
  return LOOPBACK.has(hostOnly(registry));
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RegistrySession {
  private readonly transport: HttpTransport;
  private base: Promise<URL> | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly tokens = new Map<string, string>();
  private readonly pendingTokens = new Map<string, Promise<string>>();
  private useBasic = false;
  /** Total attempts for one exchange (and, for a blob download, connections per blob). */
  readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(
    readonly registry: string,
    private readonly options: RegistryOptions = {},
  ) {
    const insecure = options.insecure === true;
    const system = systemCaBundle(options.env ?? process.env);
    const extraCa = [...(system !== undefined ? [system] : []), ...(options.caFile ? [readCaFile(options.caFile)] : [])];
    const tls = { extraCa, skipVerify: insecure, replacesRoots: system !== undefined };
    this.transport = new HttpTransport(tls, options.timeoutMs ?? 60_000, options.onRequest);
    this.maxAttempts = Math.max(1, Math.min(options.maxAttempts ?? 5, 20));
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
  }

  close(): void {
    this.transport.close();
  }

  /** The registry's base URL: HTTPS, falling back to HTTP only for loopback or insecure registries that do not speak TLS. */
  baseUrl(): Promise<URL> {
    if (!this.base) {
      this.base = this.probeBase();
      this.base.catch(() => {
        this.base = undefined; // a registry that was down may be up next time
      });
    }
    return this.base;
  }

  private async probeBase(): Promise<URL> {
    const https = new URL(`https://${this.registry}/`);
    const mayUseHttp = this.options.insecure === true || isLoopbackRegistry(this.registry);
    if (!mayUseHttp) return https;
    for (let attempt = 1; ; attempt++) {
      try {
        // Only a server that does not speak TLS at all may be spoken to in plain HTTP; a certificate
        // we cannot verify fails the first real request, never a reason to drop encryption.
        return (await this.transport.speaksTls(https)) ? https : new URL(`http://${this.registry}/`);
      } catch (e) {
        if (!(e instanceof ConnectionError)) throw e;
        if (attempt >= this.maxAttempts) {
          throw new RegistryError('UNREACHABLE', `${this.registry}: ${e.message} (gave up after ${attempt} attempts)`, { cause: e });
        }
        await sleep(this.backoff(attempt, undefined));
      }
    }
  }

  private getCredentials(): Promise<Credentials | undefined> {
    this.credentials ??= this.options.credentials
      ? Promise.resolve(this.options.credentials)
      : findCredentials(this.registry, this.options.env ? { env: this.options.env } : {});
    return this.credentials;
  }

  private authorization(scopes: readonly string[]): Promise<string | undefined> | string | undefined {
    const token = this.tokens.get(scopeKey(scopes));
    if (token) return `Bearer ${token}`;
    if (this.useBasic) return this.getCredentials().then((c) => (c ? basicHeader(c) : undefined));
    return undefined;
  }

  /**
   * Answers a 401: fetch a token or switch to Basic. False when there is
   * nothing more we can try. `sent` is the Authorization the refused request
   * carried: parallel requests refused together must not all fetch a token,
   * and a refused Basic login is final.
   */
  private async authenticate(res: HttpResponse, scopes: readonly string[], sent: string | undefined): Promise<boolean> {
    const challenges = parseChallenges(header(res, 'www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const key = scopeKey(scopes);
    if (bearer) {
      const current = this.tokens.get(key);
      if (current !== undefined && sent !== `Bearer ${current}`) return true; // someone else already renewed it
      let pending = this.pendingTokens.get(key);
      if (!pending) {
        pending = this.fetchToken(bearer, scopes).finally(() => this.pendingTokens.delete(key));
        this.pendingTokens.set(key, pending);
      }
      this.tokens.set(key, await pending);
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (sent?.startsWith('Basic ')) return false;
      const credentials = await this.getCredentials();
      if (!credentials) return false;
      this.useBasic = true;
      return true;
    }
    return false;
  }

  private async fetchToken(challenge: AuthChallenge, scopes: readonly string[]): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError('UNAUTHORIZED', `${this.registry}: Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('UNAUTHORIZED', `${this.registry}: Bearer realm is not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (this.options.insecure === true || isLoopbackRegistry(url.host)))) {
      throw new RegistryError('UNAUTHORIZED', `${this.registry}: refusing to send credentials to a token server over plain HTTP (${url.host})`);
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    const wanted = new Set(scopes);
    if (challenge.params.scope) for (const s of challenge.params.scope.split(' ')) if (s) wanted.add(s);
    for (const scope of wanted) url.searchParams.append('scope', scope);
    const credentials = await this.getCredentials();
    const headers: Record<string, string> = {};
    if (credentials) {
      headers.authorization = basicHeader(credentials);
      url.searchParams.set('account', credentials.username);
    }
    const res = await this.withRetries(`token from ${url.host}`, () => this.transport.send({ method: 'GET', url, headers }));
    if (res.status !== 200) throw await this.errorFrom(res, `token from ${url.host}`, 'UNAUTHORIZED');
    const body = await readBody(res, TOKEN_BODY_LIMIT, 'token answer');
    let parsed: { token?: unknown; access_token?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body).toString('utf8')) as typeof parsed;
    } catch {
      throw new RegistryError('UNAUTHORIZED', `${url.host}: token answer is not JSON`);
    }
    const token = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token.length === 0) throw new RegistryError('UNAUTHORIZED', `${url.host}: token answer holds no token`);
    return token;
  }

  /** Runs one exchange with retries on 429/5xx/dropped connections, then maps failures to RegistryError. */
  private async withRetries(what: string, exchange: () => Promise<HttpResponse>, maxAttempts = this.maxAttempts): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await exchange();
      } catch (e) {
        if (!(e instanceof ConnectionError)) throw e;
        if (attempt >= maxAttempts || e.permanent) {
          const tries = e.permanent || maxAttempts === 1 ? '' : ` (gave up after ${attempt} attempts)`;
          throw new RegistryError('UNREACHABLE', `${this.registry}: ${what}: ${e.message}${tries}`, { cause: e });
        }
        await sleep(this.backoff(attempt, undefined));
        continue;
      }
      const retryable = res.status === 429 || (res.status >= 500 && res.status !== 501 && res.status !== 505);
      if (!retryable || attempt >= maxAttempts) return res;
      drain(res);
      await sleep(this.backoff(attempt, header(res, 'retry-after')));
    }
  }

  /** Waits before retry number `attempt` (exponential, with jitter, capped): for callers that retry on their own, like a resumed download. */
  pause(attempt: number): Promise<void> {
    return sleep(this.backoff(attempt, undefined));
  }

  private backoff(attempt: number, retryAfter: string | undefined): number {
    if (retryAfter !== undefined) {
      const seconds = Number(retryAfter);
      const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), this.retryMaxMs);
    }
    const exponential = this.retryBaseMs * 2 ** (attempt - 1);
    // Jitter spreads parallel uploads that failed together so they do not retry in lock-step.
    return Math.min(exponential * (0.75 + Math.random() * 0.5), this.retryMaxMs);
  }

  async request(req: SessionRequest): Promise<HttpResponse> {
    const base = await this.baseUrl();
    let url = new URL(req.path, base);
    const exchange = async (): Promise<HttpResponse> => {
      let triedAuth = false;
      for (;;) {
        const headers: Record<string, string> = { ...req.headers };
        const auth = await this.authorization(req.scopes);
        if (auth) headers.authorization = auth;
        const body = req.bodyStream ? { bodyStream: req.bodyStream } : req.body ? { body: req.body } : {};
        const res = await this.transport.send({ method: req.method, url, headers, ...body });
        if (res.status === 401 && !triedAuth && !req.bodyStream) {
          triedAuth = true;
          if (await this.authenticate(res, req.scopes, auth)) {
            drain(res);
            continue;
          }
        }
        return res;
      }
    };
    let res = await this.withRetries(req.what, exchange, req.noRetry || req.bodyStream ? 1 : this.maxAttempts);
    for (let hops = 0; req.followRedirects && isRedirect(res.status); hops++) {
      const location = header(res, 'location');
      drain(res);
      if (!location || hops >= MAX_REDIRECTS) throw new RegistryError('PROTOCOL', `${this.registry}: ${req.what}: too many or empty redirects`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && (this.options.insecure === true || isLoopbackRegistry(next.host)))) {
        throw new RegistryError('PROTOCOL', `${this.registry}: ${req.what}: refusing a redirect to ${next.protocol}//${next.host}`);
      }
      // Blob storage (S3, a CDN) gets no registry credentials: they are not its to see.
      const sameOrigin = next.origin === base.origin;
      url = next;
      const target = url;
      res = await this.withRetries(req.what, async () => {
        const headers: Record<string, string> = { ...req.headers };
        const auth = sameOrigin ? await this.authorization(req.scopes) : undefined;
        if (auth) headers.authorization = auth;
        return this.transport.send({ method: req.method, url: target, headers });
      });
    }
    if (!req.expect.includes(res.status)) throw await this.errorFrom(res, req.what, req.notFoundCode);
    return res;
  }

  /**
   * A request whose answer is a small document (a manifest, a tag list) read
   * whole: a connection lost while the body streams in is retried like one
   * lost before the answer, within the same bound.
   */
  async requestSmall(req: SessionRequest, limit: number, label: string): Promise<{ res: HttpResponse; bytes: Uint8Array }> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.request(req);
      try {
        return { res, bytes: await readBody(res, limit, label) };
      } catch (e) {
        if (!(e instanceof ConnectionError) || attempt >= this.maxAttempts) {
          if (e instanceof ConnectionError) throw new RegistryError('UNREACHABLE', `${this.registry}: ${req.what}: ${e.message} (gave up after ${attempt} attempts)`, { cause: e });
          throw e;
        }
        await this.pause(attempt);
      }
    }
  }

  /** A RegistryError from an error answer: the registry's own code when it sent one (OCI error JSON). */
  async errorFrom(res: HttpResponse, what: string, notFoundCode?: string): Promise<RegistryError> {
    let code = statusCode(res.status, notFoundCode);
    let detail = '';
    try {
      const body = await readBody(res, ERROR_BODY_LIMIT, 'error answer');
      const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
      const first = parsed.errors?.[0];
      if (first && typeof first.code === 'string' && /^[A-Z_]{1,64}$/.test(first.code)) {
        code = first.code;
        if (typeof first.message === 'string') detail = `: ${first.message.replace(/\s+/g, ' ').slice(0, 200)}`;
      }
    } catch {
      // No JSON body (a HEAD, a proxy's HTML page): the status alone decides the code.
    }
    return new RegistryError(code, `${this.registry}: ${what}: ${code}${detail} (HTTP ${res.status})`, { status: res.status });
  }
}

function statusCode(status: number, notFoundCode: string | undefined): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return notFoundCode ?? 'NOT_FOUND';
  if (status === 429) return 'TOOMANYREQUESTS';
  return `HTTP_${status}`;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** Where distributions keep the system's CA bundle (Debian/Ubuntu, Fedora/RHEL, SUSE, Alpine). */
const SYSTEM_CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/**
 * The system's CA bundle (SSL_CERT_FILE, as OpenSSL and Go honour it, else
 * the distribution's file), trusted besides Node's own roots: a private CA
 * an administrator installed works here as it does for docker and skopeo.
 */
function systemCaBundle(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const candidates = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : SYSTEM_CA_BUNDLES;
  for (const path of candidates) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // absent here: try the next place
    }
  }
  return undefined;
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new RegistryError('CREDENTIALS', `${path}: cannot read CA file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
