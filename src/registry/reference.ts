import { UsageError } from '../errors.js';

/**
 * Where an image lives in a registry. `registry` is the host[:port] we talk
 * to (Docker Hub's "docker.io" is already mapped to its API host), and exactly
 * one of tag/digest is what the reference points at (a bare name means
 * "latest", as with docker and skopeo).
 */
export interface RegistryReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

const REPOSITORY_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry);
}

/**
 * Parses "HOST/REPO[:TAG][@DIGEST]" with or without a "docker://" prefix. The
 * first component is a host only when it looks like one (has a dot or a port,
 * or is localhost), which is the rule docker uses; otherwise Docker Hub.
 */
export function parseRegistryReference(text: string): RegistryReference {
  const raw = text.startsWith('docker://') ? text.slice('docker://'.length) : text;
  if (raw.length === 0 || raw.length > 4096) throw new UsageError(`${JSON.stringify(text)}: not an image reference`);
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new UsageError(`${text}: ${JSON.stringify(digest)} is not a digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new UsageError(`${text}: ${JSON.stringify(tag)} is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first;
    parts.shift();
  }
  if (isDockerHub(registry)) {
    registry = DOCKER_HUB_API_HOST;
    if (parts.length === 1) parts.unshift('library');
  }
  for (const part of parts) {
    if (!REPOSITORY_COMPONENT.test(part)) throw new UsageError(`${text}: ${JSON.stringify(part)} is not a valid repository name component`);
  }
  const repository = parts.join('/');
  if (digest === undefined && tag === undefined) tag = 'latest';
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** What the manifest endpoint is asked for: the digest when there is one, else the tag. */
export function referenceTarget(ref: RegistryReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export function formatRegistryReference(ref: RegistryReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
