/**
 * Fixtures for the registry tests: small images whose digests are computed
 * here, independently of the code under test, and a Docker-protocol token
 * issuer on 127.0.0.1 for the registry's `auth: token` mode.
 */
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  MEDIA_TYPES,
  type Descriptor,
  type Image,
  type ImageConfig,
  type ImageIndex,
  type ImageIndexManifest,
  type ImageManifest,
  type Layer,
} from '../image/types.js';

/**
 * A one-layer image built here from a config object and gzip-compressed
 * bytes, with every digest computed independently of the code under test.
 */
export function syntheticImage(options: { readonly layerBytes: Uint8Array; readonly cmd?: readonly string[]; readonly arch?: string }): Image & {
  readonly layerGzip: Uint8Array;
} {
  const layerGzip = new Uint8Array(gzipSync(options.layerBytes, { level: 1 }));
  const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const config: ImageConfig = {
    architecture: options.arch ?? 'amd64',
    os: 'linux',
    config: { Cmd: options.cmd ?? ['/hello'] },
    rootfs: { type: 'layers', diff_ids: [sha(options.layerBytes)] },
  };
  const rawConfig = new TextEncoder().encode(JSON.stringify(config));
  const layerDescriptor: Descriptor = { mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha(layerGzip), size: layerGzip.length };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha(rawConfig), size: rawConfig.length },
    layers: [layerDescriptor],
  };
  const rawManifest = new TextEncoder().encode(JSON.stringify(manifest));
  const layer: Layer = {
    descriptor: layerDescriptor,
    open: async () => Readable.from([Buffer.from(layerGzip)]),
    diffId: async () => sha(options.layerBytes),
    uncompressed: async () => Readable.from([Buffer.from(options.layerBytes)]),
  };
  return {
    layerGzip,
    descriptor: async () => ({ mediaType: MEDIA_TYPES.ociManifest, digest: sha(rawManifest), size: rawManifest.length }),
    rawManifest: async () => rawManifest,
    manifest: async () => manifest,
    rawConfig: async () => rawConfig,
    config: async () => config,
    layers: async () => [layer],
  };
}

/** An index over images, serialised here. */
export function syntheticIndex(images: readonly { readonly image: Image; readonly descriptor: Descriptor; readonly arch: string }[]): ImageIndex {
  const manifest: ImageIndexManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: images.map((i) => ({ ...i.descriptor, platform: { os: 'linux', architecture: i.arch } })),
  };
  const raw = new TextEncoder().encode(JSON.stringify(manifest));
  const byDigest = new Map(images.map((i) => [i.descriptor.digest, i.image]));
  return {
    descriptor: async () => ({ mediaType: MEDIA_TYPES.ociIndex, digest: `sha256:${createHash('sha256').update(raw).digest('hex')}`, size: raw.length }),
    rawManifest: async () => raw,
    manifest: async () => manifest,
    image: async (digest) => {
      const image = byDigest.get(digest);
      if (!image) throw new Error(`no image ${digest}`);
      return image;
    },
    index: async (digest) => {
      throw new Error(`no nested index ${digest}`);
    },
  };
}

export interface TokenServer {
  /** The realm URL to configure in the registry. */
  readonly realm: string;
  /** Every token request: the account it authenticated as (undefined: anonymous) and the scopes it asked for. */
  readonly requests: { readonly account: string | undefined; readonly scopes: readonly string[] }[];
  stop(): Promise<void>;
}

/**
 * A token issuer on 127.0.0.1 in the Docker token protocol: GET realm with
 * service and scope parameters, Basic credentials optional. Authenticated
 * users get every action they ask for, anonymous callers only "pull". Tokens
 * are ES256 JWTs carrying the signing certificate in x5c, which the registry
 * checks against its rootcertbundle.
 */
export async function startTokenServer(options: {
  readonly keyFile: string;
  readonly certFile: string;
  readonly issuer: string;
  readonly service: string;
  readonly users: Readonly<Record<string, string>>;
}): Promise<TokenServer> {
  const key = createPrivateKey(await readFile(options.keyFile));
  const certDer = new X509Certificate(await readFile(options.certFile)).raw.toString('base64');
  const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');
  const requests: { account: string | undefined; scopes: string[] }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    let account: string | undefined;
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      if (user === undefined || options.users[user] !== rest.join(':')) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
        return;
      }
      account = user;
    }
    const scopes = url.searchParams.getAll('scope');
    requests.push({ account, scopes });
    const access = scopes.map((scope) => {
      const parts = scope.split(':');
      const actions = (parts.pop() ?? '').split(',').filter((a) => account !== undefined || a === 'pull');
      return { type: parts[0] ?? '', name: parts.slice(1).join(':'), actions };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDer] };
    const claims = { iss: options.issuer, sub: account ?? '', aud: url.searchParams.get('service') ?? options.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
