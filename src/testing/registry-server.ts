/**
 * Test helpers for the registry client: a real Distribution registry
 * (Debian's `docker-registry`) on 127.0.0.1 with a free port and throw-away
 * storage, a test CA and server certificate made with the openssl CLI, a
 * bcrypt htpasswd file, and a loopback TCP proxy that drops a connection on
 * purpose (registry-fixtures.ts has the token issuer and synthetic images).
 * Nothing here listens beyond 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './process.js';

export interface RegistryServerOptions {
  /** Serve HTTPS with this certificate and key (PEM files). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Basic auth against this htpasswd file (bcrypt entries). */
  readonly htpasswdFile?: string;
  /** Bearer token auth: tokens from `realm`, signed by a certificate in `rootCertBundle`. */
  readonly token?: { readonly realm: string; readonly service: string; readonly issuer: string; readonly rootCertBundle: string };
}

export interface RegistryServer {
  /** "127.0.0.1:PORT", what a reference names as its registry. */
  readonly host: string;
  readonly port: number;
  readonly storageDir: string;
  stop(): Promise<void>;
}

export const REGISTRY_BINARY = 'docker-registry';

/** A port the kernel just handed out on loopback (closed again, so the registry can take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function configYaml(port: number, storage: string, options: RegistryServerOptions): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storage)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (options.tls) {
    lines.push('  tls:', `    certificate: ${JSON.stringify(options.tls.certFile)}`, `    key: ${JSON.stringify(options.tls.keyFile)}`);
  }
  if (options.htpasswdFile) {
    lines.push('auth:', '  htpasswd:', '    realm: fromscratch-test', `    path: ${JSON.stringify(options.htpasswdFile)}`);
  }
  if (options.token) {
    const t = options.token;
    lines.push('auth:', '  token:', `    realm: ${JSON.stringify(t.realm)}`, `    service: ${JSON.stringify(t.service)}`,
      `    issuer: ${JSON.stringify(t.issuer)}`, `    rootcertbundle: ${JSON.stringify(t.rootCertBundle)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** True once GET /v2/ gets any HTTP answer (200, or 401 with auth). */
function answers(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 1000, ...(tls ? { rejectUnauthorized: false } : {}) };
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startRegistry(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-registry-'));
  const storageDir = join(dir, 'storage');
  const port = await freePort();
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, configYaml(port, storageDir, options));
  const child = spawn(REGISTRY_BINARY, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
    if (failed) {
      await stop();
      throw new Error(`cannot start ${REGISTRY_BINARY}: ${failed.message}`);
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${REGISTRY_BINARY} exited with ${child.exitCode}: ${stderr.trim()}`);
    }
    if (await answers(port, options.tls !== undefined)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${REGISTRY_BINARY} did not answer on 127.0.0.1:${port} within 20 s: ${stderr.trim()}`);
    }
  }
  return { host: `127.0.0.1:${port}`, port, storageDir, stop };
}

/** The manifest digest skopeo reports for `ref` (a registry on loopback, TLS not verified): the independent reader's view. */
export async function skopeoDigest(ref: string): Promise<string> {
  const result = await run('skopeo', ['inspect', '--tls-verify=false', ref]);
  if (result.code !== 0) throw new Error(`skopeo inspect ${ref}: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { Digest: string }).Digest;
}

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  /** A directory holding only the CA certificate (what skopeo's --cert-dir wants). */
  readonly trustDir: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** A self-signed key pair for signing registry tokens (the certificate is the registry's rootcertbundle). */
  readonly tokenCertFile: string;
  readonly tokenKeyFile: string;
  remove(): Promise<void>;
}

/** A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it, made with the openssl CLI. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-pki-'));
  const path = (name: string): string => join(dir, name);
  const openssl = async (args: string[]): Promise<void> => {
    const result = await run('openssl', args, { cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim()}`);
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ecKey, '-keyout', path('ca.key'), '-out', path('ca.crt'), '-days', '2', '-subj', '/CN=fromscratch test CA']);
  await openssl(['req', ...ecKey, '-keyout', path('server.key'), '-out', path('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await openssl(['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial',
    '-out', path('server.crt'), '-days', '2', '-extfile', path('server.ext')]);
  await openssl(['req', '-x509', ...ecKey, '-keyout', path('token.key'), '-out', path('token.crt'), '-days', '2', '-subj', '/CN=fromscratch test token issuer']);
  const trustDir = path('trust');
  await mkdir(trustDir);
  await copyFile(path('ca.crt'), join(trustDir, 'ca.crt'));
  return {
    dir,
    trustDir,
    caFile: path('ca.crt'),
    certFile: path('server.crt'),
    keyFile: path('server.key'),
    tokenCertFile: path('token.crt'),
    tokenKeyFile: path('token.key'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * One "user:bcrypt-hash" htpasswd line, as the registry requires bcrypt.
 * htpasswd (apache2-utils) when installed, else Python's crypt module with
 * the system libcrypt's bcrypt.
 */
export async function htpasswdLine(user: string, password: string): Promise<string> {
  try {
    const result = await run('htpasswd', ['-nbB', user, password]);
    if (result.code === 0 && result.stdout.includes(':$2')) return result.stdout.trim();
  } catch {
    // not installed: fall through
  }
  const script = 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))';
  const result = await run('python3', ['-W', 'ignore', '-c', script, password]);
  const hash = result.stdout.trim();
  if (result.code !== 0 || !hash.startsWith('$2')) throw new Error(`cannot make a bcrypt hash (no htpasswd; python3: ${result.stderr.trim()})`);
  return `${user}:${hash}`;
}

export interface FaultProxy {
  readonly host: string;
  /** Connections cut (or stalled) so far. */
  readonly drops: number;
  /** Bytes forwarded client → registry (requests), over all connections. */
  readonly upBytes: number;
  /** Bytes forwarded registry → client (answers), over all connections. */
  readonly downBytes: number;
  stop(): Promise<void>;
}

export interface FaultOptions {
  /** Which traffic the fault hits: requests (an upload) or answers (a download). Default "up". */
  readonly direction?: 'up' | 'down';
  /** "cut" closes both sides; "stall" stops forwarding and holds the connection open. Default "cut". */
  readonly mode?: 'cut' | 'stall';
}

/**
 * A loopback TCP proxy to `target` that faults the connection carrying byte
 * number `dropAtBytes` of one direction (counted over all connections),
 * `times` times, each fault `dropAtBytes` bytes after the previous one, so
 * an upload or a download dies part way through a request or an answer.
 */
export async function startFaultProxy(targetPort: number, dropAtBytes: number, times = 1, options: FaultOptions = {}): Promise<FaultProxy> {
  const direction = options.direction ?? 'up';
  const counted = { up: 0, down: 0 };
  let drops = 0;
  let threshold = dropAtBytes;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let stalled = false;
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const forward = (from: 'up' | 'down', to: Socket) => (data: Buffer) => {
      if (stalled) return;
      const seen = counted[from];
      if (from === direction && drops < times && seen + data.length >= threshold) {
        const keep = Math.max(0, threshold - seen);
        to.write(data.subarray(0, keep));
        counted[from] += keep;
        drops++;
        threshold = counted[from] + dropAtBytes;
        if (options.mode === 'stall') stalled = true;
        else cut();
        return;
      }
      counted[from] += data.length;
      to.write(data);
    };
    client.on('data', forward('up', upstream));
    upstream.on('data', forward('down', client));
    client.on('close', () => {
      upstream.end();
      sockets.delete(client);
    });
    upstream.on('close', () => {
      client.end();
      sockets.delete(upstream);
    });
    client.on('error', cut);
    upstream.on('error', cut);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    get drops() {
      return drops;
    },
    get upBytes() {
      return counted.up;
    },
    get downBytes() {
      return counted.down;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
