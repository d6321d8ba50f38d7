import { UsageError } from '../errors.js';
import { parseRegistryReference, type RegistryReference } from '../registry/reference.js';

/**
 * Image references in skopeo's transport syntax, so people can reuse what
 * they already type: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
 * `docker-archive:FILE[:REF]`, `docker://HOST/REPO[:TAG|@DIGEST]`, and a bare
 * `HOST/REPO:TAG` meaning docker://. Like skopeo, the path ends at the first
 * colon after the transport name, so a path cannot itself contain a colon.
 */
export type ImageReference =
  | { readonly transport: 'oci'; readonly path: string; readonly tag?: string }
  | { readonly transport: 'oci-archive'; readonly path: string; readonly tag?: string }
  | { readonly transport: 'docker-archive'; readonly path: string; readonly reference?: DockerArchiveReference }
  | { readonly transport: 'docker'; readonly registry: RegistryReference };

/** In a docker-archive, an image is named "REPO:TAG", or "@N" for the N-th manifest.json entry. */
export type DockerArchiveReference = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'index'; readonly index: number };

// The characters skopeo's oci transport accepts in a ref.name (an OCI layout "tag").
const OCI_TAG = /^[A-Za-z0-9._:@/+-]{1,255}$/;
const DOCKER_NAME = /^[a-z0-9][a-z0-9._/:-]*:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const TRANSPORT_PREFIX = /^([a-z][a-z0-9-]*):/;

export function parseImageReference(text: string): ImageReference {
  if (text.length === 0) throw new UsageError('image reference is empty');
  if (text.startsWith('docker://')) return { transport: 'docker', registry: parseRegistryReference(text) };
  const prefix = TRANSPORT_PREFIX.exec(text)?.[1];
  switch (prefix) {
    case 'oci':
    case 'oci-archive': {
      const { path, rest } = splitPath(text, prefix);
      if (rest !== undefined && !OCI_TAG.test(rest)) throw new UsageError(`${text}: ${JSON.stringify(rest)} is not a valid tag`);
      return rest === undefined ? { transport: prefix, path } : { transport: prefix, path, tag: rest };
    }
    case 'docker-archive': {
      const { path, rest } = splitPath(text, prefix);
      if (rest === undefined) return { transport: 'docker-archive', path };
      return { transport: 'docker-archive', path, reference: parseDockerArchiveReference(text, rest) };
    }
    case 'docker':
      throw new UsageError(`${text}: a registry reference is written docker://HOST/REPO[:TAG]`);
    default:
      break;
  }
  // Not a known transport. "host:5000/repo:tag" also starts with "word:", but
  // a port follows that colon; anything else is a transport we do not know.
  if (prefix !== undefined && !/^\d/.test(text.slice(prefix.length + 1))) {
    throw new UsageError(`${text}: unknown transport "${prefix}" (use oci:, oci-archive:, docker-archive: or docker://)`);
  }
  return { transport: 'docker', registry: parseRegistryReference(text) };
}

function splitPath(text: string, transport: string): { path: string; rest?: string } {
  const body = text.slice(transport.length + 1);
  const colon = body.indexOf(':');
  const path = colon < 0 ? body : body.slice(0, colon);
  const rest = colon < 0 ? undefined : body.slice(colon + 1);
  if (path.length === 0) throw new UsageError(`${text}: ${transport}: needs a path`);
  if (path.includes('\0')) throw new UsageError(`${text}: the path contains a NUL byte`);
  return rest === undefined || rest.length === 0 ? { path } : { path, rest };
}

function parseDockerArchiveReference(text: string, rest: string): DockerArchiveReference {
  if (rest.startsWith('@')) {
    const index = Number(rest.slice(1));
    if (!/^@\d{1,6}$/.test(rest) || !Number.isSafeInteger(index)) throw new UsageError(`${text}: ${JSON.stringify(rest)} is not a manifest index (@N)`);
    return { kind: 'index', index };
  }
  if (!DOCKER_NAME.test(rest)) throw new UsageError(`${text}: ${JSON.stringify(rest)} is not a REPO:TAG name`);
  return { kind: 'name', name: rest };
}

/** The reference back in skopeo syntax (for messages and `build --json`'s ref). */
export function formatImageReference(ref: ImageReference): string {
  switch (ref.transport) {
    case 'oci':
    case 'oci-archive':
      return `${ref.transport}:${ref.path}${ref.tag !== undefined ? `:${ref.tag}` : ''}`;
    case 'docker-archive': {
      const r = ref.reference;
      const suffix = r === undefined ? '' : r.kind === 'name' ? `:${r.name}` : `:@${r.index}`;
      return `docker-archive:${ref.path}${suffix}`;
    }
    case 'docker': {
      const r = ref.registry;
      return `docker://${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
    }
  }
}
