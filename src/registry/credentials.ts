import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from '../errors.js';
import { isDockerHub } from './reference.js';

/**
 * Registry credentials from the files docker, podman and skopeo already use,
 * so a user who ran `docker login` needs nothing more. Secrets never enter an
 * error message: failures name the file or helper, not what was in it.
 */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface CredentialOptions {
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The keys a config file may use for one registry (docker writes Hub's as a v1 URL). */
function candidateKeys(registry: string): string[] {
  if (isDockerHub(registry)) return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `http://${registry}/v1/`, `https://${registry}/v2/`];
}

function authFiles(env: Readonly<Record<string, string | undefined>>): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  // Where podman and skopeo keep logins that must outlive a reboot (containers-auth.json(5)).
  files.push(join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'containers', 'auth.json'));
  const dockerConfigDir = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
  files.push(join(dockerConfigDir, 'config.json'));
  return files;
}

async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined; // absent or unreadable: not configured here
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as AuthFile) : undefined;
  } catch {
    throw new RegistryError('CREDENTIALS', `${path}: not valid JSON`);
  }
}

function decodeAuth(path: string, key: string, auth: string): Credentials {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new RegistryError('CREDENTIALS', `${path}: the auth entry for ${key} is not base64 "user:password"`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Runs `docker-credential-NAME get` with the registry on stdin, as docker does. */
export function credentialsFromHelper(
  helper: string,
  serverUrl: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = 10_000,
): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    return Promise.reject(new RegistryError('CREDENTIALS', `credential helper name ${JSON.stringify(helper)} is not valid`));
  }
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { env: { ...env }, timeout: timeoutMs, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (error, stdout) => {
      if (error) {
        const err = error as NodeJS.ErrnoException;
        // Helpers print "credentials not found in native keychain" and exit 1 when they hold nothing for this host.
        if (typeof err.code === 'number' || /not found/i.test(stdout)) {
          resolve(undefined);
          return;
        }
        reject(new RegistryError('CREDENTIALS', `${program}: cannot run (${String(err.code ?? 'failed')})`));
        return;
      }
      try {
        const parsed = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
        if (typeof parsed.Username !== 'string' || typeof parsed.Secret !== 'string') throw new Error('fields');
        resolve({ username: parsed.Username, password: parsed.Secret });
      } catch {
        reject(new RegistryError('CREDENTIALS', `${program}: answered something other than {"Username","Secret"} JSON`));
      }
    });
    child.stdin?.end(serverUrl);
  });
}

/**
 * The credentials for one registry host, or undefined for anonymous access.
 * Files are searched in podman/skopeo order (REGISTRY_AUTH_FILE, the
 * containers auth.json, then docker's config.json); within a file a
 * per-registry helper wins over an inline entry, which wins over credsStore.
 */
export async function findCredentials(registry: string, options: CredentialOptions = {}): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  const keys = candidateKeys(registry);
  for (const path of authFiles(env)) {
    const file = await readAuthFile(path);
    if (!file) continue;
    for (const key of keys) {
      const helper = file.credHelpers?.[key];
      if (typeof helper === 'string') return credentialsFromHelper(helper, key, env);
    }
    for (const key of keys) {
      const entry = file.auths?.[key];
      if (!entry || typeof entry !== 'object') continue;
      if (typeof entry.auth === 'string' && entry.auth.length > 0) return decodeAuth(path, key, entry.auth);
      if (typeof entry.username === 'string' && typeof entry.password === 'string') {
        return { username: entry.username, password: entry.password };
      }
    }
    if (typeof file.credsStore === 'string' && file.credsStore.length > 0) {
      for (const key of keys) {
        // A default store that is not installed here (config.json copied from a desktop) must not block anonymous pulls.
        const found = await credentialsFromHelper(file.credsStore, key, env).catch(() => undefined);
        if (found) return found;
      }
    }
  }
  return undefined;
}
