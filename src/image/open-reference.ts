import { UsageError } from '../errors.js';
import { RegistryClient, type ClientOptions, type TransferProgress } from '../registry/client.js';
import { parsePlatform, pullImage } from '../registry/pull.js';
import { pushImage } from '../registry/push.js';
import { rootDescriptor } from './blob-walk.js';
import { readDockerArchive, writeDockerArchive } from './docker-archive.js';
import { readOciArchive, writeOciArchive } from './oci-archive.js';
import { readOciLayout } from './oci-layout.js';
import { writeOciLayout } from './oci-layout-writer.js';
import { selectPlatform } from './platform.js';
import { formatImageReference, type ImageReference } from './refs.js';
import type { Descriptor, ImageOrIndex, Platform } from './types.js';

/**
 * One door to every transport: open what a reference names (an OCI layout,
 * an oci-archive, a docker-archive or a registry) and write an image or
 * index to any of them, through the readers, writers and registry client
 * that already exist.
 */
export interface ReferenceOptions {
  /** Resolve an index to this platform's image: "linux/arm64/v8" or a Platform. */
  readonly platform?: string | Platform;
  /** Registries: allow plain HTTP and unverified TLS for a registry not on loopback. */
  readonly insecure?: boolean;
  /** Registries: a PEM file of extra CA certificates to trust. */
  readonly caFile?: string;
  /** Registries: told about each blob pulled or pushed (a progress line on a terminal). */
  readonly progress?: TransferProgress;
}

export interface OpenedReference {
  readonly root: ImageOrIndex;
  /** Releases what opening took (extracted archives, registry connections); the image must not be read afterwards. */
  close(): Promise<void>;
}


function registryOptions(opts: ReferenceOptions): ClientOptions {
  return {
    ...(opts.insecure !== undefined ? { insecure: opts.insecure } : {}),
    ...(opts.caFile !== undefined ? { caFile: opts.caFile } : {}),
    ...(opts.progress !== undefined ? { progress: opts.progress } : {}),
  };
}

export async function openImageReference(ref: ImageReference, opts: ReferenceOptions = {}): Promise<OpenedReference> {
  let opened: OpenedReference;
  switch (ref.transport) {
    case 'oci': {
      const root = await readOciLayout(ref.path, ref.tag);
      opened = { root, close: async () => {} };
      break;
    }
    case 'oci-archive':
      opened = await readOciArchive(ref.path, ref.tag);
      break;
    case 'docker-archive':
      opened = await readDockerArchive(ref.path, ref.reference);
      break;
    case 'docker': {
      const client = new RegistryClient(ref.registry.registry, registryOptions(opts));
      try {
        const root = await pullImage(ref.registry, { client });
        opened = { root, close: async () => client.close() };
      } catch (e) {
        client.close();
        throw e;
      }
      break;
    }
  }
  if (opts.platform === undefined) return opened;
  try {
    const root = await selectPlatform(opened.root, parsePlatform(opts.platform), formatImageReference(ref));
    return { root, close: opened.close };
  } catch (e) {
    await opened.close();
    throw e;
  }
}

/** Writes `root` where `ref` says; returns the descriptor of what was written (for a docker-archive, of the image given). */
export async function writeImageReference(ref: ImageReference, root: ImageOrIndex, opts: ReferenceOptions = {}): Promise<Descriptor> {
  switch (ref.transport) {
    case 'oci':
      return writeOciLayout(ref.path, root, ref.tag !== undefined ? { tag: ref.tag } : {});
    case 'oci-archive':
      return writeOciArchive(ref.path, root, ref.tag !== undefined ? { tag: ref.tag } : {});
    case 'docker-archive': {
      const text = formatImageReference(ref);
      if (ref.reference?.kind === 'index') throw new UsageError(`${text}: a docker-archive is written with a REPO:TAG name, not @N`);
      if (root.kind === 'index') throw new UsageError(`${text}: a docker-archive holds one platform; choose one with --platform, or write to oci: or oci-archive:`);
      const name = ref.reference?.kind === 'name' ? [ref.reference.name] : [];
      await writeDockerArchive(ref.path, root, { repoTags: name });
      return rootDescriptor(root);
    }
    case 'docker':
      return (await pushImage(ref.registry, root, registryOptions(opts))).descriptor;
  }
}

